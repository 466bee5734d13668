//! Types the chain and the off-chain code share, so both read the same bytes the same way: the
//! protocol's words (epochs, verdicts, leaf limits) and the Sprint's model config
//! (`docs/PROTOCOL.md` §4). `no_std` for the runtime.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod model;
pub mod protocol;

pub use model::{ConfigError, ModelConfig};
pub use protocol::{EpochIndex, Verdict, HIT_TOLERANCE_UNIT, MAX_LEAVES, MAX_PROOF_DEPTH};
