//! Typed errors. Every message names the value that was wrong and what would be right.

pub use gonka_primitives::ConfigError;

/// Errors of the Sprint kernels.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
	/// The model config is invalid.
	#[error(transparent)]
	Config(#[from] ConfigError),
	/// A batch call was given no nonces.
	#[error("empty batch: `distances` needs at least one nonce")]
	EmptyBatch,
	/// A batch larger than the backend accepts in one call.
	#[error("batch of {len} nonces is larger than this backend's limit of {max}; split it")]
	BatchTooLarge { len: usize, max: usize },
	/// The search range is empty or inverted.
	#[error("empty nonce range {start}..{end}")]
	EmptyRange { start: u64, end: u64 },
	/// The libtorch backend failed (device out of memory, CUDA error, ...).
	#[error("libtorch backend: {0}")]
	Torch(String),
	/// A device was asked for that this build or machine does not have.
	#[error("device `{0}` is not available: {1}")]
	NoDevice(String, String),
	/// The search was stopped by its caller.
	#[error("the search was cancelled")]
	Cancelled,
	/// Two backends that must agree were built differently (a confirmed search).
	#[error("backends do not match: {0}")]
	Mismatch(String),
}

/// Errors of Merkle commitments and their proofs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
	/// A tree needs at least one leaf.
	#[error("a commitment needs at least one leaf")]
	NoLeaves,
	/// More leaves than a commitment may hold.
	#[error("{count} leaves exceed the limit of {max} per commitment")]
	TooManyLeaves { count: u64, max: u64 },
	/// Leaves must be sorted by nonce, strictly (no duplicates).
	#[error("leaf {index} has nonce {nonce}, not above the previous leaf's nonce {previous}; leaves must be sorted by nonce without duplicates")]
	NotSorted { index: u64, nonce: u64, previous: u64 },
	/// A proof was asked for, or claims, an index outside the tree.
	#[error("leaf index {index} is outside a tree of {count} leaves")]
	IndexOutOfRange { index: u64, count: u64 },
	/// A proof carries the wrong number of sibling hashes for its index and the tree size.
	#[error(
		"proof of leaf {index} has {got} sibling hashes; a tree of {count} leaves needs {expected}"
	)]
	WrongProofLength { index: u64, count: u64, got: usize, expected: usize },
	/// The path does not lead to the committed root.
	#[error("proof of leaf {index} does not lead to the committed root")]
	RootMismatch { index: u64 },
}

/// Errors of the validation maths.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ValidationError {
	/// A probability outside [0, 1].
	#[error("`{name}` is {value}; a probability must lie in [0, 1]")]
	NotAProbability { name: &'static str, value: f64 },
	/// More mismatches than samples.
	#[error("{mismatches} mismatches out of {samples} samples")]
	MoreMismatchesThanSamples { mismatches: u64, samples: u64 },
	/// An argument outside its domain.
	#[error("`{name}` is {value}: {reason}")]
	OutOfDomain { name: &'static str, value: f64, reason: &'static str },
}
