//! The libtorch backend against the CPU reference (`--features torch`; on the CPU in CI).
#![cfg(feature = "torch")]

use gonka_kernels::{
	torch::{Precision, TorchBackend, TorchDevice},
	validation::DEFAULT_DELTA,
	Backend, CpuBackend, KernelError, ModelConfig,
};

const SEED: [u8; 32] = [0x42; 32];
const PK: [u8; 32] = [0x17; 32];

fn differences(precision: Precision, n: u64) -> (Vec<f32>, u64) {
	let config = ModelConfig::tiny();
	let mut reference = CpuBackend::new(config).unwrap();
	let mut torch = TorchBackend::with_precision(config, tch::Device::Cpu, precision).unwrap();
	let nonces: Vec<u64> = (0..n).collect();
	let r = reference.distances(&SEED, &PK, &nonces).unwrap();
	let mut t = Vec::new();
	for chunk in nonces.chunks(torch.batch_size()) {
		t.extend(torch.distances(&SEED, &PK, chunk).unwrap());
	}
	// Hits on which the two backends disagree.
	let rt = config.r_target();
	let disagree = r.iter().zip(&t).filter(|(a, b)| (**a < rt) != (**b < rt)).count() as u64;
	let mut d: Vec<f32> = r.iter().zip(&t).map(|(a, b)| (a - b).abs()).collect();
	d.sort_by(f32::total_cmp);
	(d, disagree)
}

#[test]
fn f32_on_cpu_agrees_with_the_reference_within_delta() {
	let (d, disagree) = differences(Precision::F32, 1000);
	let max = *d.last().unwrap();
	eprintln!(
		"torch f32 (cpu) vs reference, 1000 tiny nonces: p50 {:.2e}, max {max:.2e}, hit disagreements {disagree}",
		d[500]
	);
	assert!(max < DEFAULT_DELTA, "largest difference {max} ≥ δ {DEFAULT_DELTA}");
	// f32 against f32: far inside δ.
	assert!(max < 1e-4, "largest difference {max}");
}

#[test]
fn bf16_on_cpu_agrees_with_the_reference_within_delta() {
	let (d, disagree) = differences(Precision::Bf16, 1000);
	let max = *d.last().unwrap();
	eprintln!(
		"torch bf16 (cpu) vs reference, 1000 tiny nonces: p50 {:.2e}, p99 {:.2e}, max {max:.2e}, hit disagreements {disagree}",
		d[500], d[990]
	);
	assert!(max < DEFAULT_DELTA, "largest difference {max} ≥ δ {DEFAULT_DELTA}");
}

#[test]
fn bad_input_is_a_typed_error() {
	let mut t = TorchBackend::new(ModelConfig::tiny(), TorchDevice::Cpu).unwrap();
	assert!(matches!(t.distances(&SEED, &PK, &[]), Err(KernelError::EmptyBatch)));
	// A device this machine does not have.
	let err = TorchBackend::new(ModelConfig::tiny(), TorchDevice::Cuda(99)).err().unwrap();
	assert!(matches!(err, KernelError::NoDevice(..)), "{err}");
	assert!(TorchDevice::parse("cuda:1") == Some(TorchDevice::Cuda(1)));
	assert!(TorchDevice::parse("gpu").is_none());
}
