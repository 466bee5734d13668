//! The worker's compute backends, each in a [`BackendCell`] that survives its backend's
//! failures: a backend that returns an error or panics is dropped and built again from its
//! factory at the next use, and its failure is reported to [`Health`] until a later use
//! succeeds. A failure of this worker's own backend is never the fault of the host being
//! judged: the validator casts no vote on that host (PROTOCOL §6).

use std::{
	panic::{catch_unwind, AssertUnwindSafe},
	sync::{
		atomic::{AtomicU64, Ordering::Relaxed},
		Arc, Mutex,
	},
};

use gonka_kernels::{Backend, CpuBackend, ModelConfig};

use crate::health::Health;

/// Builds a backend (the first time, and after every failure).
pub type BackendFactory = Box<dyn Fn() -> Result<Box<dyn Backend>, String> + Send + Sync>;

/// A backend shared by the Sprint and the validator (one at a time).
pub type SharedBackend = Arc<BackendCell>;

/// Why a use of a backend failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackendFailure {
	#[error("cannot build the backend on {device}: {reason}")]
	Build { device: String, reason: String },
	#[error("the backend on {device} failed: {reason} (it is rebuilt for its next use)")]
	Failed { device: String, reason: String },
	#[error("the backend on {device} panicked: {reason} (it is rebuilt for its next use)")]
	Panicked { device: String, reason: String },
}

/// One device's backend, built on demand, rebuilt after a failure.
pub struct BackendCell {
	device: String,
	model: ModelConfig,
	factory: BackendFactory,
	slot: Mutex<Option<Box<dyn Backend>>>,
	health: Arc<Health>,
	builds: AtomicU64,
}

impl BackendCell {
	/// A cell for `device` that builds its backend for `model` with `factory`; built once now,
	/// so a backend that cannot be built at all is an error at start-up.
	pub fn new(
		device: &str,
		model: ModelConfig,
		factory: BackendFactory,
		health: Arc<Health>,
	) -> Result<Self, BackendFailure> {
		let cell = Self {
			device: device.to_string(),
			model,
			factory,
			slot: Mutex::new(None),
			health,
			builds: AtomicU64::new(0),
		};
		cell.with(|_| Ok(()))?;
		Ok(cell)
	}

	/// A cell of the CPU reference on `threads` threads (0: one per core).
	pub fn cpu(
		model: ModelConfig,
		threads: usize,
		health: Arc<Health>,
	) -> Result<Self, BackendFailure> {
		let factory: BackendFactory = Box::new(move || {
			CpuBackend::with_threads(model, threads)
				.map(|b| Box::new(b) as Box<dyn Backend>)
				.map_err(|e| e.to_string())
		});
		Self::new("cpu", model, factory, health)
	}

	/// The device it runs on, as configured (`cpu`, `cuda:0`).
	pub fn device(&self) -> &str {
		&self.device
	}

	/// The model it computes.
	pub fn model(&self) -> &ModelConfig {
		&self.model
	}

	/// How many times the backend was built (1 + rebuilds after failures).
	pub fn builds(&self) -> u64 {
		self.builds.load(Relaxed)
	}

	fn component(&self) -> String {
		format!("backend {}", self.device)
	}

	/// Runs `f` on the backend (building it first if needed). An `Err` from `f` or a panic in
	/// it drops the backend, to be built again at the next use, and marks the worker unhealthy;
	/// a success clears that.
	pub fn with<R>(
		&self,
		f: impl FnOnce(&mut dyn Backend) -> Result<R, String>,
	) -> Result<R, BackendFailure> {
		// The slot is only written below, outside the closure: a poisoned lock still holds a
		// consistent `Option`.
		let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
		if slot.is_none() {
			let built = catch_unwind(AssertUnwindSafe(|| (self.factory)()))
				.unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&p))));
			match built {
				Ok(backend) => {
					self.builds.fetch_add(1, Relaxed);
					tracing::info!(target: "gonka::backend", "device {}: {}", self.device, backend.describe());
					*slot = Some(backend);
				},
				Err(reason) => {
					let failure = BackendFailure::Build { device: self.device.clone(), reason };
					self.health.set(&self.component(), failure.to_string());
					return Err(failure);
				},
			}
		}
		let backend = slot.as_mut().expect("built above; qed");
		let failure = match catch_unwind(AssertUnwindSafe(|| f(&mut **backend))) {
			Ok(Ok(r)) => {
				self.health.clear(&self.component());
				return Ok(r);
			},
			Ok(Err(reason)) => BackendFailure::Failed { device: self.device.clone(), reason },
			Err(p) => {
				BackendFailure::Panicked { device: self.device.clone(), reason: panic_message(&p) }
			},
		};
		*slot = None;
		tracing::error!(target: "gonka::backend", "{failure}");
		self.health.set(&self.component(), failure.to_string());
		Err(failure)
	}
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
	p.downcast_ref::<&str>()
		.map(|s| s.to_string())
		.or_else(|| p.downcast_ref::<String>().cloned())
		.unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::atomic::AtomicU32;

	#[test]
	fn a_failing_or_panicking_backend_is_rebuilt_and_reported_until_it_works() {
		let health = Arc::new(Health::default());
		let cell = BackendCell::cpu(ModelConfig::tiny(), 1, health.clone()).unwrap();
		assert_eq!(cell.builds(), 1);
		assert!(health.is_healthy());
		let seed = [1u8; 32];
		let d = cell.with(|b| b.distances(&seed, &[2; 32], &[0, 1]).map_err(|e| e.to_string()));
		assert_eq!(d.unwrap().len(), 2);

		let e = cell.with(|_| -> Result<(), String> { Err("CUDA out of memory".into()) });
		assert!(
			matches!(e, Err(BackendFailure::Failed { ref reason, .. }) if reason.contains("memory"))
		);
		assert_eq!(health.problems()[0].0, "backend cpu");
		let e = cell.with(|_| -> Result<(), String> { panic!("device lost") });
		assert!(
			matches!(e, Err(BackendFailure::Panicked { ref reason, .. }) if reason == "device lost")
		);
		assert!(health.problems()[0].1.contains("panicked: device lost"));

		// The next use builds a fresh backend, computes the same distances, and clears the report.
		let again = cell.with(|b| b.distances(&seed, &[2; 32], &[0, 1]).map_err(|e| e.to_string()));
		assert_eq!(again.unwrap(), d_once(&seed));
		assert_eq!(cell.builds(), 3, "built at start and after each of the two failures");
		assert!(health.is_healthy());
	}

	fn d_once(seed: &[u8; 32]) -> Vec<f32> {
		CpuBackend::with_threads(ModelConfig::tiny(), 1)
			.unwrap()
			.distances(seed, &[2; 32], &[0, 1])
			.unwrap()
	}

	#[test]
	fn a_backend_that_cannot_be_built_is_an_error_at_once_and_at_each_use() {
		let health = Arc::new(Health::default());
		let tries = Arc::new(AtomicU32::new(0));
		let t = tries.clone();
		let factory: BackendFactory = Box::new(move || {
			t.fetch_add(1, Relaxed);
			Err("no CUDA device 3 (2 visible)".into())
		});
		let e = BackendCell::new("cuda:3", ModelConfig::tiny(), factory, health.clone());
		assert!(matches!(e, Err(BackendFailure::Build { ref device, .. }) if device == "cuda:3"));
		assert_eq!(tries.load(Relaxed), 1);
		assert!(health.problems()[0].1.contains("no CUDA device 3"));
	}
}
