//! Types the chain and the off-chain code share, so both read the same bytes the same way:
//! the Sprint's model config (PROTOCOL §4). `no_std` for the runtime.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod model;

pub use model::{ConfigError, ModelConfig};
