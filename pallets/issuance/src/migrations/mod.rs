//! Storage migrations, one module per storage version, each a
//! [`VersionedMigration`](polkadot_sdk::frame_support::migrations::VersionedMigration) that runs
//! only from the version before it.

pub mod v1;
