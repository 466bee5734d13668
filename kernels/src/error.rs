//! Typed errors. Every message names the value that was wrong and what would be right.

/// A [`ModelConfig`](crate::ModelConfig) field that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
	/// A dimension is zero.
	#[error("model config: `{field}` is 0; every dimension must be at least 1")]
	Zero { field: &'static str },
	/// A dimension or the pool is larger than the crate accepts.
	#[error("model config: `{field}` is {value}, above the limit of {max}")]
	TooLarge { field: &'static str, value: u64, max: u64 },
	/// `heads` does not divide `dim`.
	#[error("model config: `heads` ({heads}) does not divide `dim` ({dim})")]
	HeadsDoNotDivideDim { dim: u32, heads: u32 },
	/// `dim / heads` is odd, so rotary embedding cannot pair the head's channels.
	#[error(
		"model config: the head size `dim / heads` is {head_dim}; rotary embedding needs it even"
	)]
	OddHeadDim { head_dim: u32 },
	/// `r_target` outside the open interval (0, 2) of possible distances between unit vectors.
	#[error(
		"model config: `r_target_micros` is {r_target_micros} (= {}); it must lie strictly between 0 and 2_000_000 (distance 2)",
		*r_target_micros as f64 * 1e-6
	)]
	RTargetOutOfRange { r_target_micros: u32 },
	/// The pool size is not a power of two, so an odd stride would not walk the whole pool.
	#[error("model config: `pool_size` is {pool_size}; it must be a power of two")]
	PoolNotPowerOfTwo { pool_size: u64 },
	/// The pool is smaller than the largest tensor or the input, so values would repeat.
	#[error(
		"model config: `pool_size` is {pool_size}, smaller than the {needed} values the largest tensor (or the input) takes; use at least the next power of two"
	)]
	PoolTooSmall { pool_size: u64, needed: u64 },
}

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
