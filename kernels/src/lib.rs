#![doc = include_str!("../SPEC.md")]

pub mod backend;
pub use gonka_primitives::chacha;
pub mod config;
pub mod confirm;
pub mod cpu;
pub mod error;
pub mod hash;
pub mod merkle;
pub mod model;
pub mod probability;
pub mod search;
#[cfg(feature = "torch")]
pub mod torch;
pub mod validation;

pub use backend::{Backend, Hit};
pub use config::ModelConfig;
pub use confirm::Confirmed;
pub use cpu::CpuBackend;
pub use error::{ConfigError, KernelError, MerkleError, ValidationError};
pub use hash::{HostKey, Seed};
pub use merkle::{LeafProof, MerkleTree, SampleProof};
pub use probability::{hit_probability, radius_for_hit_probability};
pub use search::{sprint, Budget, Progress, SprintOutcome, StopReason};
#[cfg(feature = "torch")]
pub use torch::TorchBackend;
pub use validation::{
	audit_proofs, binomial_tail, pool_indices, sample_indices, Fault, FraudTest, Verdict,
};
