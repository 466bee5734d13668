//! Types the chain and the off-chain code share, so both read the same bytes the same way: the
//! protocol's words (epochs, verdicts, leaf limits, endpoints) and the Sprint's model config
//! (`docs/PROTOCOL.md` §4). `no_std` for the runtime.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod chacha;
pub mod endpoint;
pub mod model;
pub mod protocol;
pub mod sampling;

pub use endpoint::{is_valid_endpoint, parse_endpoint, EndpointError, EndpointHost, EndpointParts};
pub use model::{ConfigError, ModelConfig};
pub use protocol::{
	worker_key_message, EpochIndex, Verdict, HIT_TOLERANCE_UNIT, MAX_LEAVES, MAX_PROOF_DEPTH,
	WORKER_KEY_CONTEXT,
};
