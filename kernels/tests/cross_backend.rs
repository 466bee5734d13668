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

/// PROTOCOL §6 step 5: a validator on the CPU reference and one on torch (f32) compute the same
/// check bit for every hit a host found, so neither is ever taken for lazy. The hits are found
/// by a torch search (as a host would), then re-computed by both. `GONKA_CHECK_HITS` sets how
/// many (default 1,000).
#[test]
fn cpu_and_torch_validators_agree_on_every_check_bit() {
	let config = ModelConfig::tiny();
	let want: usize =
		std::env::var("GONKA_CHECK_HITS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000);
	let r_target = config.r_target();
	let r_mid = gonka_kernels::validation::r_mid(config.out_dim, r_target).unwrap();
	let mut torch = TorchBackend::with_precision(config, tch::Device::Cpu, Precision::F32).unwrap();
	let mut reference = CpuBackend::new(config).unwrap();
	let mut hits: Vec<(u64, f32)> = Vec::new();
	let mut next = 0u64;
	let step = torch.batch_size() as u64 * 16;
	let started = std::time::Instant::now();
	while hits.len() < want {
		let nonces: Vec<u64> = (next..next + step).collect();
		next += step;
		for chunk in nonces.chunks(torch.batch_size()) {
			let d = torch.distances(&SEED, &PK, chunk).unwrap();
			hits.extend(chunk.iter().zip(d).filter(|(_, d)| *d < r_target).map(|(n, d)| (*n, d)));
		}
	}
	let searched = started.elapsed();
	let nonces: Vec<u64> = hits.iter().map(|(n, _)| *n).collect();
	let cpu = reference.distances(&SEED, &PK, &nonces).unwrap();
	let bit = |d: f32| gonka_kernels::validation::check_bit(d, r_mid);
	let disagree = hits.iter().zip(&cpu).filter(|((_, t), c)| bit(*t) != bit(**c)).count();
	let max_diff = hits.iter().zip(&cpu).map(|((_, t), c)| (t - c).abs()).fold(0f32, f32::max);
	let closest = hits.iter().map(|(_, t)| (t - r_mid).abs()).fold(f32::INFINITY, f32::min);
	let below = hits.iter().filter(|(_, t)| bit(*t)).count();
	eprintln!(
		"check bits, CPU reference vs torch f32 (cpu), {} hits of {next} tiny nonces (searched in \
		 {searched:.1?}): {disagree} disagreements; r_mid {r_mid}, {below} below it; largest \
		 distance difference {max_diff:.2e}; closest hit to r_mid {closest:.2e}",
		hits.len()
	);
	assert_eq!(disagree, 0, "an honest CPU and an honest torch validator disagree");
	// A fair coin over hits: P(outside 40–60 % of ≥ 1,000) < 1e-9.
	let share = below as f64 / hits.len() as f64;
	assert!((0.4..=0.6).contains(&share), "{below} of {} hits below r_mid", hits.len());
}
