//! A low-precision search confirmed in f32 (PROTOCOL §4.5): hits are defined by the f32
//! reference arithmetic, so a backend that searches in bf16 re-computes every candidate in f32
//! before it can become a leaf.
//!
//! [`Confirmed`] runs the search backend on every batch and the confirming backend (f32: the CPU
//! reference, or libtorch in f32 with TF32 off — libtorch's default `highest` float32 matmul
//! precision) on the **candidates**: the nonces whose search distance is below
//! `r_target + margin`. Candidates get their f32 distance; every other nonce keeps its search
//! distance, which is at least `r_target + margin` and so never a hit. With a margin wider than
//! the search precision's largest error, no f32 hit is lost and no near-miss becomes a leaf.

use crate::{
	backend::Backend,
	config::ModelConfig,
	error::KernelError,
	hash::{HostKey, Seed},
};

/// A search backend whose candidates are confirmed by another (see the module docs).
pub struct Confirmed<S, C> {
	search: S,
	confirm: C,
	margin: f32,
	candidates: u64,
	searched: u64,
}

impl<S: Backend, C: Backend> Confirmed<S, C> {
	/// `search` and `confirm` must be built for the same model; `margin` is how far above
	/// `r_target` a search distance still makes a candidate.
	pub fn new(search: S, confirm: C, margin: f32) -> Result<Self, KernelError> {
		if search.config() != confirm.config() {
			return Err(KernelError::Mismatch(format!(
				"the search backend runs {:?}, the confirming one {:?}",
				search.config(),
				confirm.config()
			)));
		}
		if margin.is_nan() || margin < 0.0 || margin.is_infinite() {
			return Err(KernelError::Mismatch(format!("the search margin {margin} is not ≥ 0")));
		}
		Ok(Self { search, confirm, margin, candidates: 0, searched: 0 })
	}

	/// Nonces searched and candidates confirmed so far.
	pub fn counts(&self) -> (u64, u64) {
		(self.searched, self.candidates)
	}
}

impl<S: Backend, C: Backend> Backend for Confirmed<S, C> {
	fn describe(&self) -> String {
		format!(
			"{} (search), candidates below r_target + {} confirmed on {}",
			self.search.describe(),
			self.margin,
			self.confirm.describe()
		)
	}

	fn config(&self) -> &ModelConfig {
		self.confirm.config()
	}

	fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError> {
		self.search.prepare(seed)?;
		self.confirm.prepare(seed)
	}

	fn batch_size(&self) -> usize {
		self.search.batch_size()
	}

	fn distances(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
	) -> Result<Vec<f32>, KernelError> {
		let mut d = self.search.distances(seed, pk, nonces)?;
		let limit = self.config().r_target() + self.margin;
		let picked: Vec<usize> = (0..d.len()).filter(|&i| d[i] < limit).collect();
		self.searched += nonces.len() as u64;
		self.candidates += picked.len() as u64;
		let batch = self.confirm.batch_size().max(1);
		for chunk in picked.chunks(batch) {
			let these: Vec<u64> = chunk.iter().map(|&i| nonces[i]).collect();
			let exact = self.confirm.distances(seed, pk, &these)?;
			for (&i, e) in chunk.iter().zip(exact) {
				d[i] = e;
			}
		}
		Ok(d)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::CpuBackend;

	/// A search backend that is off by `error` on every distance (a stand-in for bf16).
	struct Noisy {
		inner: CpuBackend,
		error: f32,
	}

	impl Backend for Noisy {
		fn describe(&self) -> String {
			"noisy".into()
		}
		fn config(&self) -> &ModelConfig {
			self.inner.config()
		}
		fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError> {
			self.inner.prepare(seed)
		}
		fn batch_size(&self) -> usize {
			self.inner.batch_size()
		}
		fn distances(
			&mut self,
			seed: &Seed,
			pk: &HostKey,
			nonces: &[u64],
		) -> Result<Vec<f32>, KernelError> {
			let d = self.inner.distances(seed, pk, nonces)?;
			// Alternately high and low, as a rounding error would be.
			Ok(d.iter()
				.enumerate()
				.map(|(i, x)| x + if i % 2 == 0 { self.error } else { -self.error })
				.collect())
		}
	}

	#[test]
	fn every_hit_is_the_f32_one_and_none_is_lost_within_the_margin() {
		let config = ModelConfig::tiny();
		let (seed, pk) = ([3u8; 32], [4u8; 32]);
		let nonces: Vec<u64> = (0..2_000).collect();
		let reference =
			CpuBackend::with_threads(config, 1).unwrap().distances(&seed, &pk, &nonces).unwrap();
		let r = config.r_target();
		let hits = |d: &[f32]| -> Vec<u64> {
			nonces.iter().zip(d).filter(|(_, d)| **d < r).map(|(n, _)| *n).collect()
		};
		let error = 2e-3;
		let search = || Noisy { inner: CpuBackend::with_threads(config, 1).unwrap(), error };
		// Without confirmation the noisy search finds other hits than the reference.
		let raw = search().distances(&seed, &pk, &nonces).unwrap();
		assert_ne!(hits(&raw), hits(&reference));
		// Confirmed with a margin above the error: exactly the reference's hits, with its
		// distances.
		let mut confirmed =
			Confirmed::new(search(), CpuBackend::with_threads(config, 1).unwrap(), 2.0 * error)
				.unwrap();
		let d = confirmed.distances(&seed, &pk, &nonces).unwrap();
		assert_eq!(hits(&d), hits(&reference));
		for (got, want) in d.iter().zip(&reference) {
			if *got < r + 2.0 * error - error {
				assert_eq!(got.to_bits(), want.to_bits());
			}
		}
		let (searched, candidates) = confirmed.counts();
		assert_eq!(searched, 2_000);
		assert!(candidates >= hits(&reference).len() as u64 && candidates < 2_000);
		// A margin below the error loses hits (never adds one).
		let mut narrow =
			Confirmed::new(search(), CpuBackend::with_threads(config, 1).unwrap(), 0.0).unwrap();
		let lost = hits(&narrow.distances(&seed, &pk, &nonces).unwrap());
		assert!(lost.len() < hits(&reference).len());
		assert!(lost.iter().all(|n| hits(&reference).contains(n)));
		// Backends of different models, or a bad margin: typed errors.
		let other = CpuBackend::with_threads(ModelConfig { seq_len: 8, ..config }, 1).unwrap();
		assert!(Confirmed::new(search(), other, 0.01).is_err());
		assert!(
			Confirmed::new(search(), CpuBackend::with_threads(config, 1).unwrap(), -1.0).is_err()
		);
	}
}
