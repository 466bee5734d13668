//! The CPU reference: determinism, batch independence, bad input, the search loop, hit rates.

use std::ops::ControlFlow;

use gonka_kernels::{
	hit_probability, sprint, Backend, Budget, CpuBackend, KernelError, ModelConfig, StopReason,
};

const SEED: [u8; 32] = [7; 32];
const PK: [u8; 32] = [9; 32];

fn tiny() -> CpuBackend {
	CpuBackend::new(ModelConfig::tiny()).unwrap()
}

fn bits(v: &[f32]) -> Vec<u32> {
	v.iter().map(|d| d.to_bits()).collect()
}

#[test]
fn a_nonce_does_not_depend_on_its_batch() {
	let mut b = tiny();
	let nonces: Vec<u64> = (100..164).collect();
	let all = b.distances(&SEED, &PK, &nonces).unwrap();
	assert!(all.iter().all(|d| d.is_finite() && *d > 0.0 && *d < 2.0));
	for chunk in [1, 3, 7, 64] {
		let again = b.distances_with_chunk(&SEED, &PK, &nonces, chunk).unwrap();
		assert_eq!(bits(&again), bits(&all), "chunk {chunk}");
	}
	// One nonce alone, and with one thread.
	let one = b.distances(&SEED, &PK, &[131]).unwrap();
	assert_eq!(one[0].to_bits(), all[31].to_bits());
	let mut single = CpuBackend::with_threads(ModelConfig::tiny(), 1).unwrap();
	assert_eq!(bits(&single.distances(&SEED, &PK, &nonces).unwrap()), bits(&all));
}

#[test]
fn seed_pk_and_nonce_all_change_the_output() {
	let mut b = tiny();
	let base = b.distances(&SEED, &PK, &[5]).unwrap()[0];
	let mut other_seed = SEED;
	other_seed[31] ^= 1;
	let mut other_pk = PK;
	other_pk[0] ^= 0x80;
	assert_ne!(b.distances(&other_seed, &PK, &[5]).unwrap()[0], base);
	assert_ne!(b.distances(&SEED, &other_pk, &[5]).unwrap()[0], base);
	assert_ne!(b.distances(&SEED, &PK, &[6]).unwrap()[0], base);
	// And back: the model of the first seed is rebuilt identically.
	assert_eq!(b.distances(&SEED, &PK, &[5]).unwrap()[0].to_bits(), base.to_bits());
}

#[test]
fn bad_input_is_a_typed_error() {
	let mut b = tiny();
	assert!(matches!(b.distances(&SEED, &PK, &[]), Err(KernelError::EmptyBatch)));
	let bad = ModelConfig { heads: 5, ..ModelConfig::tiny() };
	assert!(matches!(CpuBackend::new(bad), Err(KernelError::Config(_))));
	assert!(matches!(
		sprint(&mut b, &SEED, &PK, Budget::Nonces(10..10), |_, _| ControlFlow::Continue(())),
		Err(KernelError::EmptyRange { start: 10, end: 10 })
	));
}

#[test]
fn sprint_finds_exactly_the_hits() {
	let mut b = tiny();
	let r = ModelConfig::tiny().r_target();
	let mut reported = Vec::new();
	let mut last_done = 0;
	let outcome = sprint(&mut b, &SEED, &PK, Budget::Nonces(1000..1500), |p, hits| {
		assert!(p.nonces_done > last_done);
		last_done = p.nonces_done;
		reported.extend_from_slice(hits);
		ControlFlow::Continue(())
	})
	.unwrap();
	assert_eq!(outcome.stopped, StopReason::RangeDone);
	assert_eq!((outcome.nonces_done, outcome.next_nonce), (500, 1500));
	let nonces: Vec<u64> = (1000..1500).collect();
	let d = b.distances(&SEED, &PK, &nonces).unwrap();
	let expected: Vec<u64> =
		nonces.iter().zip(&d).filter(|(_, d)| **d < r).map(|(n, _)| *n).collect();
	let found: Vec<u64> = outcome.hits.iter().map(|h| h.nonce).collect();
	assert_eq!(found, expected);
	assert_eq!(reported, outcome.hits, "the callback saw every hit once");
	assert!(!found.is_empty());
}

#[test]
fn sprint_stops_at_the_deadline_and_on_cancel() {
	let mut b = tiny();
	let deadline = std::time::Instant::now() + std::time::Duration::from_millis(300);
	let out = sprint(&mut b, &SEED, &PK, Budget::Until { start: 0, deadline }, |_, _| {
		ControlFlow::Continue(())
	})
	.unwrap();
	assert_eq!(out.stopped, StopReason::Deadline);
	assert!(out.nonces_done > 0);
	let mut calls = 0;
	let out = sprint(&mut b, &SEED, &PK, Budget::Nonces(0..1 << 40), |_, _| {
		calls += 1;
		if calls == 2 {
			ControlFlow::Break(())
		} else {
			ControlFlow::Continue(())
		}
	})
	.unwrap();
	assert_eq!(out.stopped, StopReason::Cancelled);
	assert!(out.next_nonce < 1 << 40);
}

/// The observed hit rate against the closed form. For a fixed model the outputs are not uniform
/// on the sphere (the output projection is a random matrix), so the rate of one seed differs
/// from the closed form; but the target is uniform and independent of the model, so averaged
/// over seeds the expected rate is exactly `hit_probability`. The test checks the mean over 48
/// seeds against it within 4 standard errors of the observed between-seed spread.
#[test]
fn hit_rate_matches_the_closed_form_over_seeds() {
	let c = ModelConfig::tiny();
	let mut b = tiny();
	let (seeds, per_seed) = (48u32, 1000u64);
	let nonces: Vec<u64> = (0..per_seed).collect();
	let rates: Vec<f64> = (0..seeds)
		.map(|s| {
			let mut seed = [0u8; 32];
			seed[..4].copy_from_slice(&s.to_le_bytes());
			let d = b.distances(&seed, &PK, &nonces).unwrap();
			d.iter().filter(|d| **d < c.r_target()).count() as f64 / per_seed as f64
		})
		.collect();
	let n = seeds as f64;
	let mean = rates.iter().sum::<f64>() / n;
	let sd = (rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
	let p = hit_probability(c.out_dim, c.r_target() as f64).unwrap();
	let (lo, hi) = rates.iter().fold((1f64, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
	eprintln!(
		"tiny: mean hit rate {mean:.4} over {seeds} seeds x {per_seed} nonces (per seed {lo:.3}..{hi:.3}, \
		 sd {sd:.4}); closed form {p:.4}"
	);
	assert!((mean - p).abs() < 4.0 * sd / n.sqrt() + 1e-3, "mean {mean}, closed form {p}, sd {sd}");
	// Not degenerate: every seed has hits and misses.
	assert!(lo > 0.0 && hi < 0.5);
}
