//! # The gonka parachain runtime
//!
//! A Cumulus parachain runtime in the shape of polkadot-sdk's parachain template: Aura collators
//! managed by `CollatorSelection`, 6 s blocks with asynchronous backing, the XCM queues and
//! `PolkadotXcm`, and the GNK token (9 decimals).
//!
//! There is **no `pallet-sudo`**: nobody holds a key over this chain. `Root` comes only from
//! compute-weighted on-chain governance (`pallets/governance`, PROTOCOL.md §9): a proposal that
//! hosts pass is dispatched as Root — parameter changes, treasury spends, runtime upgrades
//! (`system.authorize_upgrade`, then anyone's `system.apply_authorized_upgrade`).
//!
//! The protocol pallets (`sprint`, `issuance`, `governance`) get the pallet indices reserved in
//! [`runtime`] below and the genesis slots in [`genesis_config_presets`].

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

// Make the WASM binary available.
#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

// The pallets `benchmark pallet` measures (`list_benchmarks!`/`add_benchmarks!` for `apis`).
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;

extern crate alloc;

use alloc::vec::Vec;
use smallvec::smallvec;

use polkadot_sdk::{staging_parachain_info as parachain_info, *};

use frame_support::weights::{
	constants::{ExtrinsicBaseWeight, WEIGHT_REF_TIME_PER_SECOND},
	Weight, WeightToFeeCoefficient, WeightToFeeCoefficients, WeightToFeePolynomial,
};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature,
};
use sp_version::RuntimeVersion;

pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;
pub use sp_runtime::{MultiAddress, Perbill, Permill};

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// An account on the chain: the public key of its sr25519 (or ed25519/ecdsa) signing key.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account, in base units (1 GNK = 10^9 base units).
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// An index to a block.
pub type BlockNumber = u32;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions checked for every signed extrinsic, in order.
///
/// Off-chain signers (the `gonka-worker` chain client, Polkadot.js) must produce exactly this
/// tuple; its `Implicit` data (spec and transaction version, genesis hash, era block hash and the
/// optional metadata hash) is signed but not transmitted.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	),
>;

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The storage migrations this runtime runs at its upgrade: protocol v1 (every pallet at storage
/// version 0) to v2. Each is a `VersionedMigration`, a no-op once its pallet is at version 1, so
/// they can stay until the next release removes them. Checked by the try-runtime tier against
/// the state of a v1 dev chain (`migration_tests`).
pub type Migrations = (
	pallet_sprint::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_issuance::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_governance::migrations::v1::MigrateV0ToV1<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// GNK amounts, in base units. The token has 9 decimals.
pub mod currency {
	use super::Balance;

	/// Number of decimals of GNK.
	pub const DECIMALS: u8 = 9;
	/// The token symbol.
	pub const SYMBOL: &str = "GNK";
	/// One GNK in base units (10^9).
	pub const GNK: Balance = 1_000_000_000;
	/// One thousandth of a GNK (10^6 base units).
	pub const MILLI_GNK: Balance = GNK / 1_000;
	/// One millionth of a GNK (10^3 base units).
	pub const MICRO_GNK: Balance = MILLI_GNK / 1_000;

	/// The existential deposit: 0.001 GNK. Accounts below it are reaped.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_GNK;

	/// Fee charged per byte of an extrinsic: 0.00001 GNK (so a 150-byte transfer pays 0.0015 GNK
	/// for its length).
	pub const TRANSACTION_BYTE_FEE: Balance = 10 * MICRO_GNK;

	/// Fee charged for `ExtrinsicBaseWeight` (the smallest non-zero dispatch): 0.0001 GNK.
	pub const BASE_EXTRINSIC_FEE: Balance = MILLI_GNK / 10;
}
pub use currency::*;

/// Converts a weight to a fee: `ExtrinsicBaseWeight` costs [`BASE_EXTRINSIC_FEE`], linearly.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = BASE_EXTRINSIC_FEE;
		let q = Balance::from(ExtrinsicBaseWeight::get().ref_time());
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p % q, q),
			coeff_integer: p / q,
		}]
	}
}

/// Opaque types. These are used by the CLI to instantiate machinery that don't need to know
/// the specifics of the runtime.
pub mod opaque {
	use super::*;
	pub use polkadot_sdk::sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	use polkadot_sdk::sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as HashT},
	};

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The session keys of a collator: its Aura key.
	pub struct SessionKeys {
		pub aura: Aura,
	}
}

/// The runtime's version. `spec_version` 2 added governance; 3 is protocol v2 (commit–reveal
/// verdicts, seats, bounds; its calls changed, so `transaction_version` 2), with the storage
/// migrations of [`Migrations`].
#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("gonka"),
	impl_name: alloc::borrow::Cow::Borrowed("gonka"),
	authoring_version: 1,
	spec_version: 3,
	impl_version: 0,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// The same runtime one `spec_version` higher, for the runtime-upgrade end-to-end test only
/// (feature `upgrade-test`; build.rs builds it as a second WASM).
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("gonka"),
	impl_name: alloc::borrow::Cow::Borrowed("gonka"),
	authoring_version: 1,
	spec_version: 4,
	impl_version: 0,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// Block time and the time units derived from it.
pub mod block_times {
	use super::BlockNumber;

	/// The target block time. Blocks are produced at a minimum duration of `SLOT_DURATION`, which
	/// `pallet_timestamp` and `pallet_aura` pick up.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6000;

	/// Aura slot duration. It cannot change after the chain has started.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

	/// Blocks per minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks per hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks per day (one mainnet epoch, PROTOCOL.md §2).
	pub const DAYS: BlockNumber = HOURS * 24;
}
pub use block_times::*;

/// We assume that ~5% of the block weight is consumed by `on_initialize` handlers. This is
/// used to limit the maximal weight of a single extrinsic.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);

/// We allow `Normal` extrinsics to fill up the block up to 75%, the rest can be used by
/// `Operational` extrinsics.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// 2 seconds of compute with a 6 second average block time, and the relay chain's PoV limit.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);

/// Asynchronous backing, as the parachain template sets it.
mod async_backing_params {
	/// Maximum number of blocks simultaneously accepted by the runtime, not yet included into
	/// the relay chain.
	pub(crate) const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
	/// How many parachain blocks are processed by the relay chain per parent. Limits the number
	/// of blocks authored per slot.
	pub(crate) const BLOCK_PROCESSING_VELOCITY: u32 = 1;
	/// Relay chain slot duration, in milliseconds.
	pub(crate) const RELAY_CHAIN_SLOT_DURATION_MILLIS: u32 = 6000;
}
pub(crate) use async_backing_params::*;

/// Aura consensus hook.
type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

// Create the runtime by composing the FRAME pallets that were previously configured.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;

	// Monetary stuff.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Collator support. The order of these 5 is important and shall not change.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// XCM helpers.
	#[runtime::pallet_index(30)]
	pub type XcmpQueue = cumulus_pallet_xcmp_queue;
	#[runtime::pallet_index(31)]
	pub type PolkadotXcm = pallet_xcm;
	#[runtime::pallet_index(32)]
	pub type CumulusXcm = cumulus_pallet_xcm;
	#[runtime::pallet_index(33)]
	pub type MessageQueue = pallet_message_queue;

	// The protocol (PROTOCOL.md).
	/// Hosts, epochs, seeds, commitments, committees, verdicts, settlement and weights.
	#[runtime::pallet_index(50)]
	pub type Sprint = pallet_sprint;
	/// The epoch reward with its halvings and cap, paid at settlement by expected weight.
	#[runtime::pallet_index(51)]
	pub type Issuance = pallet_issuance;
	/// Proposals by hosts, votes by compute weight: the only source of Root.
	#[runtime::pallet_index(52)]
	pub type Governance = pallet_governance;

	// Governance support.
	/// Calls too large to propose inline.
	#[runtime::pallet_index(40)]
	pub type Preimage = pallet_preimage;

	/// Only in the runtime-upgrade test's WASM: an event the runtime before it lacks.
	#[cfg(feature = "upgrade-test")]
	#[runtime::pallet_index(60)]
	pub type UpgradeNote = crate::upgrade_note;
}

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}

#[cfg(test)]
mod tests;

#[cfg(all(test, feature = "try-runtime"))]
mod migration_tests;

#[cfg(test)]
mod governance_tests;

/// Part of the runtime only in the runtime-upgrade test's WASM (the module itself always
/// compiles: the runtime macro's first pass names its path whatever the features).
pub mod upgrade_note;
