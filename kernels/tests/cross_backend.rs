//! The libtorch backend against the CPU reference (`--features torch`; on the CPU in CI).
#![cfg(feature = "torch")]

use gonka_kernels::{
	torch::{Precision, TorchBackend, TorchDevice, BF16_SEARCH_MARGIN},
	validation::DEFAULT_TOLERANCE,
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
fn f32_on_cpu_agrees_with_the_reference_within_epsilon() {
	let (d, disagree) = differences(Precision::F32, 1000);
	let max = *d.last().unwrap();
	eprintln!(
		"torch f32 (cpu) vs reference, 1000 tiny nonces: p50 {:.2e}, max {max:.2e}, hit disagreements {disagree}",
		d[500]
	);
	// PROTOCOL §4.5: an f32 backend agrees with the reference within ε on distance.
	assert!(max < DEFAULT_TOLERANCE, "largest difference {max} ≥ ε {DEFAULT_TOLERANCE}");
}

#[test]
fn bf16_on_cpu_stays_within_the_search_margin() {
	let (d, disagree) = differences(Precision::Bf16, 1000);
	let max = *d.last().unwrap();
	eprintln!(
		"torch bf16 (cpu) vs reference, 1000 tiny nonces: p50 {:.2e}, p99 {:.2e}, max {max:.2e}, hit disagreements {disagree}",
		d[500], d[990]
	);
	// The search margin must be wider than the largest error, or a bf16 search loses f32 hits.
	assert!(max < BF16_SEARCH_MARGIN, "largest difference {max} ≥ margin {BF16_SEARCH_MARGIN}");
}

/// PROTOCOL §4.5 on the torch backend: a bf16 search confirmed in f32 finds exactly the
/// reference's hits.
#[test]
fn a_bf16_search_confirmed_in_f32_finds_exactly_the_reference_hits() {
	let config = ModelConfig::tiny();
	let mut reference = CpuBackend::new(config).unwrap();
	let search = TorchBackend::with_precision(config, tch::Device::Cpu, Precision::Bf16).unwrap();
	let confirm = TorchBackend::with_precision(config, tch::Device::Cpu, Precision::F32).unwrap();
	let mut confirmed = gonka_kernels::Confirmed::new(search, confirm, BF16_SEARCH_MARGIN).unwrap();
	let nonces: Vec<u64> = (0..2_000).collect();
	let r = config.r_target();
	let want: Vec<u64> = reference
		.distances(&SEED, &PK, &nonces)
		.unwrap()
		.iter()
		.zip(&nonces)
		.filter(|(d, _)| **d < r)
		.map(|(_, n)| *n)
		.collect();
	let mut got = Vec::new();
	for chunk in nonces.chunks(confirmed.batch_size()) {
		let d = confirmed.distances(&SEED, &PK, chunk).unwrap();
		got.extend(chunk.iter().zip(d).filter(|(_, d)| *d < r).map(|(n, _)| *n));
	}
	let (searched, candidates) = confirmed.counts();
	eprintln!(
		"bf16 search + f32 confirmation, 2000 tiny nonces: {} hits, {candidates} candidates \
		 confirmed ({:.1} % of {searched})",
		got.len(),
		100.0 * candidates as f64 / searched as f64
	);
	assert_eq!(got, want);
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
