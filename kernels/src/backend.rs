//! The interface every backend implements.

use codec::{Decode, Encode};

use crate::{
	config::ModelConfig,
	error::KernelError,
	hash::{HostKey, Seed},
};

/// A backend that computes Sprint distances: [`CpuBackend`](crate::cpu::CpuBackend), and
/// `TorchBackend` with the `torch` feature.
pub trait Backend: Send {
	/// What runs: backend, device, precision, threads.
	fn describe(&self) -> String;

	/// The model config the backend was built for.
	fn config(&self) -> &ModelConfig;

	/// Builds the epoch's model for `seed` (pool, weights on the device) unless it is the model
	/// already held. [`distances`](Self::distances) calls it; call it first to take the build
	/// out of the first batch's time.
	fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError>;

	/// A batch size that keeps the device busy.
	fn batch_size(&self) -> usize;

	/// `distance(seed, pk, n)` for every nonce, in order. An empty batch is
	/// [`KernelError::EmptyBatch`].
	fn distances(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
	) -> Result<Vec<f32>, KernelError>;
}

impl<B: Backend + ?Sized> Backend for Box<B> {
	fn describe(&self) -> String {
		(**self).describe()
	}
	fn config(&self) -> &ModelConfig {
		(**self).config()
	}
	fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError> {
		(**self).prepare(seed)
	}
	fn batch_size(&self) -> usize {
		(**self).batch_size()
	}
	fn distances(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
	) -> Result<Vec<f32>, KernelError> {
		(**self).distances(seed, pk, nonces)
	}
}

/// Checks a batch's size: not empty, at most `max` nonces.
pub fn check_batch(nonces: &[u64], max: usize) -> Result<(), KernelError> {
	if nonces.is_empty() {
		return Err(KernelError::EmptyBatch);
	}
	if nonces.len() > max {
		return Err(KernelError::BatchTooLarge { len: nonces.len(), max });
	}
	Ok(())
}

/// A nonce whose distance is below `r_target`, with that distance: what a search finds and a
/// worker logs (12 bytes: nonce u64 LE, distance f32 bits u32 LE). The commitment's leaf is the
/// nonce alone (PROTOCOL §5, [`crate::merkle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Hit {
	pub nonce: u64,
	/// `f32::to_bits` of the distance (SCALE has no floats).
	pub distance_bits: u32,
}

impl Hit {
	pub fn new(nonce: u64, distance: f32) -> Self {
		Self { nonce, distance_bits: distance.to_bits() }
	}

	pub fn distance(&self) -> f32 {
		f32::from_bits(self.distance_bits)
	}

	/// The 12-byte record: `nonce` u64 LE ‖ `distance` f32 bits LE.
	pub fn to_bytes(&self) -> [u8; 12] {
		let mut out = [0u8; 12];
		out[..8].copy_from_slice(&self.nonce.to_le_bytes());
		out[8..].copy_from_slice(&self.distance_bits.to_le_bytes());
		out
	}
}
