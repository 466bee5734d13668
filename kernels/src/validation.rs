//! The validation maths of PROTOCOL §6, as functions the worker calls: which leaves a validator
//! samples, which of them are mismatches, and the one-sided binomial test that turns the
//! mismatch count into a verdict.

use std::collections::HashMap;

use codec::{Decode, Encode};
// Floyd's algorithm over the ChaCha20 stream: the one the chain re-computes.
use gonka_primitives::sampling::floyd_indices;

use crate::{
	error::ValidationError,
	hash::{blake2_256, HostKey, Seed},
	merkle::{self, Hash, SampleProof},
	probability::ln_gamma,
};

pub use gonka_primitives::Verdict;

/// Default number of leaves a validator samples per host.
pub const DEFAULT_SAMPLE_SIZE: u32 = 200;
/// Default hit tolerance `ε` (PROTOCOL §4.5), in distance units: a backend computing in f32
/// agrees with the reference within it. The chain carries it as an integer in billionths
/// (`SprintParams::hit_tolerance`, [`tolerance_from_chain`]).
pub const DEFAULT_TOLERANCE: f32 = 1e-5;
/// Default probability that an honest leaf is a mismatch (an f32 backend disagreeing with the
/// reference by more than `ε` on a hit within `ε` of the radius).
pub const DEFAULT_P_MISMATCH: f64 = 1e-4;
/// Default p-value below which a host is judged invalid.
pub const DEFAULT_FRAUD_THRESHOLD: f64 = 1e-7;

/// Host `host`'s **pool** in an epoch (PROTOCOL §6.1): the `2 · sample_size` leaf indices every
/// validator samples from, the same for all of them, drawn by Floyd's algorithm keyed by
/// `blake2_256(sampling_seed ‖ host ‖ "pool")`; every index when `count ≤ 2 · sample_size`.
/// Sorted ascending.
pub fn pool_indices(
	sampling_seed: &Seed,
	host: &HostKey,
	count: u64,
	sample_size: u32,
) -> Vec<u64> {
	let size = 2 * sample_size as u64;
	if count <= size {
		return (0..count).collect();
	}
	floyd_indices(blake2_256(&[sampling_seed, host, b"pool"]), count, size)
}

/// The leaf indices validator `validator` samples from host `host`'s commitment of `count`
/// leaves (PROTOCOL §6.1): every index when `count ≤ sample_size`; otherwise `sample_size`
/// distinct positions of the host's [`pool_indices`], chosen by Floyd's algorithm keyed by
/// `blake2_256(sampling_seed ‖ validator ‖ host)`. Sorted ascending.
pub fn sample_indices(
	sampling_seed: &Seed,
	validator: &HostKey,
	host: &HostKey,
	count: u64,
	sample_size: u32,
) -> Vec<u64> {
	let s = sample_size as u64;
	if count <= s {
		return (0..count).collect();
	}
	let pool = pool_indices(sampling_seed, host, count, sample_size);
	let n = pool.len() as u64;
	floyd_indices(sample_key(sampling_seed, validator, host), n, s)
		.into_iter()
		.map(|position| pool[position as usize])
		.collect()
}

/// The key of validator `validator`'s choice within host `host`'s pool:
/// `blake2_256(sampling_seed ‖ validator ‖ host)` (the chain derives the same from its
/// accounts, [`gonka_primitives::sampling::sampled_positions`]).
pub fn sample_key(sampling_seed: &Seed, validator: &HostKey, host: &HostKey) -> Seed {
	blake2_256(&[sampling_seed, validator, host])
}

/// `r_mid` (PROTOCOL §6 step 5): the radius within which half of the expected hits lie, from the
/// closed form of the hit probability, rounded to f32. A check bit says whether a sampled leaf's
/// re-computed f32 distance is below it: for an honest hit a fair coin nobody can guess without
/// computing the leaf.
pub fn r_mid(k: u32, r_target: f32) -> Result<f32, ValidationError> {
	let p = crate::probability::hit_probability(k, r_target as f64)?;
	Ok(crate::probability::radius_for_hit_probability(k, p / 2.0)? as f32)
}

/// A check bit: the re-computed distance is below `r_mid` (a NaN is not).
pub fn check_bit(distance: f32, r_mid: f32) -> bool {
	distance < r_mid
}

/// A structural fault of a sample (PROTOCOL §6 step 3): one is enough for `Invalid`, whatever
/// the binomial test says.
#[derive(Clone, Debug, PartialEq, Encode, Decode)]
pub enum Fault {
	/// The host sent no proof for this index (which its count says exists).
	Missing,
	/// The leaf's proof does not lead to the committed root (or has the wrong length or index).
	BadPath,
	/// The leaf is not the last, and the host sent no proof of its neighbour `index + 1`.
	MissingNeighbour,
	/// The neighbour's proof does not lead to the committed root (or is of another index).
	BadNeighbourPath,
	/// The neighbour's nonce is not strictly greater: a duplicate (`next == nonce`) or a
	/// disorder.
	NotIncreasing { nonce: u64, next: u64 },
	/// The leaf's nonce is not above the nonce of a sampled leaf at a lower index.
	OutOfOrder { nonce: u64 },
}

/// The structural checks of a sample: proofs matched to the requested indices and verified with
/// their neighbours. What passes still needs its distance re-computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
	/// Leaves whose paths and order are fine: `(index, nonce)`, by index. Re-compute these.
	pub to_recompute: Vec<(u64, u64)>,
	/// Every leaf whose own path leads to the root, faults of its neighbour or order aside:
	/// `(index, nonce)`, by index. The root binds these nonces, so every validator sees the
	/// same ones: the check bits (PROTOCOL §6 step 5) are computed over them.
	pub verified: Vec<(u64, u64)>,
	/// Faults found: `(index, what)`.
	pub faults: Vec<(u64, Fault)>,
}

/// Checks the sample proofs a host returned for the `requested` indices against its commitment
/// (`root`, `count`). Proofs for indices not requested are ignored; with several for one index,
/// the first is used.
pub fn audit_proofs(root: &Hash, count: u64, requested: &[u64], proofs: &[SampleProof]) -> Audit {
	let mut by_index: HashMap<u64, &SampleProof> = HashMap::new();
	for p in proofs {
		by_index.entry(p.leaf.index).or_insert(p);
	}
	let mut sorted: Vec<u64> = requested.to_vec();
	sorted.sort_unstable();
	sorted.dedup();
	let mut audit = Audit::default();
	let mut max_nonce: Option<u64> = None;
	for index in sorted {
		let Some(proof) = by_index.get(&index) else {
			audit.faults.push((index, Fault::Missing));
			continue;
		};
		if merkle::verify(root, count, &proof.leaf).is_err() {
			audit.faults.push((index, Fault::BadPath));
			continue;
		}
		let nonce = proof.leaf.nonce;
		audit.verified.push((index, nonce));
		if index + 1 < count {
			let fault = match &proof.next {
				None => Some(Fault::MissingNeighbour),
				Some(next)
					if next.index != index + 1 || merkle::verify(root, count, next).is_err() =>
				{
					Some(Fault::BadNeighbourPath)
				},
				Some(next) if next.nonce <= nonce => {
					Some(Fault::NotIncreasing { nonce, next: next.nonce })
				},
				Some(_) => None,
			};
			if let Some(fault) = fault {
				audit.faults.push((index, fault));
				continue;
			}
		}
		if max_nonce.is_some_and(|m| nonce <= m) {
			audit.faults.push((index, Fault::OutOfOrder { nonce }));
			continue;
		}
		max_nonce = Some(nonce);
		audit.to_recompute.push((index, nonce));
	}
	audit
}

/// Whether a re-computed distance confirms a hit: `recomputed < r_target + ε` (in f32).
pub fn confirms_hit(recomputed: f32, r_target: f32, tolerance: f32) -> bool {
	recomputed < r_target + tolerance
}

/// `ε` from the chain's integer `hit_tolerance` (billionths of a unit of distance).
pub fn tolerance_from_chain(hit_tolerance: u32) -> f32 {
	(hit_tolerance as f64 * gonka_primitives::HIT_TOLERANCE_UNIT) as f32
}

/// `P(X ≥ m)` for `X ~ Binomial(n, p)`, exactly (a sum of the tail's terms in log space, no
/// normal approximation), relative error about 1e-12.
pub fn binomial_tail(n: u64, m: u64, p: f64) -> Result<f64, ValidationError> {
	if !(0.0..=1.0).contains(&p) {
		return Err(ValidationError::NotAProbability { name: "p", value: p });
	}
	if m > n {
		return Err(ValidationError::MoreMismatchesThanSamples { mismatches: m, samples: n });
	}
	if m == 0 {
		return Ok(1.0);
	}
	if p == 0.0 {
		return Ok(0.0);
	}
	if p == 1.0 {
		return Ok(1.0);
	}
	let (nf, lp, lq) = (n as f64, p.ln(), (1.0 - p).ln());
	let ln_term = |i: u64| {
		let i = i as f64;
		ln_gamma(nf + 1.0) - ln_gamma(i + 1.0) - ln_gamma(nf - i + 1.0) + i * lp + (nf - i) * lq
	};
	// The largest term of the tail is at max(m, mode); sum relative to it.
	let mode = (((n + 1) as f64) * p).floor() as u64;
	let peak = ln_term(m.max(mode.min(n)));
	let ratio = (p / (1.0 - p)).ln();
	let mut sum = 0.0f64;
	let mut ln_t = ln_term(m);
	for i in m..=n {
		let rel = (ln_t - peak).exp();
		sum += rel;
		if i > mode && rel < 1e-18 * sum {
			break;
		}
		// t(i+1) = t(i) · (n − i)/(i + 1) · p/(1 − p)
		ln_t += ((n - i) as f64 / (i + 1) as f64).ln() + ratio;
	}
	Ok((peak + sum.ln()).exp().min(1.0))
}

/// The test's parameters (PROTOCOL §6 defaults in [`Default`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FraudTest {
	/// Probability that an honest leaf is a mismatch.
	pub p_mismatch: f64,
	/// p-value below which the host is invalid.
	pub fraud_threshold: f64,
}

impl Default for FraudTest {
	fn default() -> Self {
		Self { p_mismatch: DEFAULT_P_MISMATCH, fraud_threshold: DEFAULT_FRAUD_THRESHOLD }
	}
}

impl FraudTest {
	/// The verdict on `mismatches` out of `samples` checked leaves: invalid when
	/// `P(X ≥ mismatches | samples, p_mismatch) < fraud_threshold`. A host that did not answer at
	/// all is judged by the caller (invalid), not here. Also returns the p-value.
	pub fn judge(&self, samples: u64, mismatches: u64) -> Result<(Verdict, f64), ValidationError> {
		if !(0.0..=1.0).contains(&self.fraud_threshold) {
			return Err(ValidationError::NotAProbability {
				name: "fraud_threshold",
				value: self.fraud_threshold,
			});
		}
		let p_value = binomial_tail(samples, mismatches, self.p_mismatch)?;
		let verdict =
			if p_value < self.fraud_threshold { Verdict::Invalid } else { Verdict::Valid };
		Ok((verdict, p_value))
	}

	/// The fewest mismatches out of `samples` that make a host invalid (`None`: none can).
	pub fn invalid_from(&self, samples: u64) -> Result<Option<u64>, ValidationError> {
		for m in 0..=samples {
			if self.judge(samples, m)?.0 == Verdict::Invalid {
				return Ok(Some(m));
			}
		}
		Ok(None)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::collections::BTreeSet;

	#[test]
	fn samples_are_distinct_sorted_and_in_range() {
		let (seed, v, h) = ([1; 32], [2; 32], [3; 32]);
		let s = sample_indices(&seed, &v, &h, 10_000, 200);
		assert_eq!(s.len(), 200);
		assert!(s.windows(2).all(|w| w[0] < w[1]));
		assert!(*s.last().unwrap() < 10_000);
		// Deterministic, and different for another validator.
		assert_eq!(s, sample_indices(&seed, &v, &h, 10_000, 200));
		assert_ne!(s, sample_indices(&seed, &[4; 32], &h, 10_000, 200));
		// Everything when the commitment is small; nothing when it is empty.
		assert_eq!(sample_indices(&seed, &v, &h, 150, 200), (0..150).collect::<Vec<_>>());
		assert!(sample_indices(&seed, &v, &h, 0, 200).is_empty());
		// sample_size = count − 1 still gives distinct indices.
		let s = sample_indices(&seed, &v, &h, 201, 200);
		assert_eq!(s.len(), 200);
	}

	#[test]
	fn every_validator_samples_from_the_hosts_pool() {
		let (seed, h) = ([1; 32], [3; 32]);
		let pool = pool_indices(&seed, &h, 1_000_000, 200);
		assert_eq!(pool.len(), 400);
		assert!(pool.windows(2).all(|w| w[0] < w[1]));
		// The pool is the host's, not the validator's; another host has another.
		assert_ne!(pool, pool_indices(&seed, &[4; 32], 1_000_000, 200));
		let mut seen = BTreeSet::new();
		for v in 0..32u8 {
			let s = sample_indices(&seed, &[v; 32], &h, 1_000_000, 200);
			assert_eq!(s.len(), 200);
			assert!(s.iter().all(|i| pool.binary_search(i).is_ok()), "validator {v}");
			seen.extend(s);
		}
		// 32 validators between them see (nearly) the whole pool, and nothing else.
		assert!(seen.len() > 390 && seen.len() <= 400, "{}", seen.len());
		// A small commitment: the pool is everything.
		assert_eq!(pool_indices(&seed, &h, 300, 200), (0..300).collect::<Vec<_>>());
	}

	#[test]
	fn default_test_needs_four_mismatches_in_two_hundred() {
		let t = FraudTest::default();
		// PROTOCOL §6: with 200 samples at p 1e-4 the expected count is 0.02; three mismatches
		// have p ≈ 1.3e-6 (not enough), four ≈ 6.5e-9 < 1e-7.
		assert_eq!(t.invalid_from(200).unwrap(), Some(4));
		assert_eq!(t.judge(200, 3).unwrap().0, Verdict::Valid);
		assert_eq!(t.judge(200, 0).unwrap().0, Verdict::Valid);
		assert_eq!(t.judge(200, 200).unwrap().0, Verdict::Invalid);
	}

	#[test]
	fn the_chain_tolerance_is_in_billionths() {
		assert_eq!(tolerance_from_chain(10_000), DEFAULT_TOLERANCE);
		assert_eq!(tolerance_from_chain(1_000_000), 1e-3);
		let r = 1.25f32;
		assert!(confirms_hit(r - 1e-6, r, DEFAULT_TOLERANCE));
		assert!(confirms_hit(r + 5e-6, r, DEFAULT_TOLERANCE));
		// v1's δ = 0.01 let near-misses pass; ε does not.
		assert!(!confirms_hit(r + 0.005, r, DEFAULT_TOLERANCE));
	}

	#[test]
	fn binomial_tail_edges() {
		assert_eq!(binomial_tail(10, 0, 0.3).unwrap(), 1.0);
		assert!((binomial_tail(10, 10, 0.5).unwrap() - 0.5f64.powi(10)).abs() < 1e-18);
		assert!((binomial_tail(1, 1, 0.25).unwrap() - 0.25).abs() < 1e-15);
		assert!(binomial_tail(10, 11, 0.3).is_err());
		assert!(binomial_tail(10, 1, 1.5).is_err());
		assert_eq!(binomial_tail(10, 1, 0.0).unwrap(), 0.0);
		// Far tails stay accurate: P(X ≥ 200 | 200, 5e-4) = (5e-4)^200 = 10^-660.2, below f64.
		assert_eq!(binomial_tail(200, 200, 5e-4).unwrap(), 0.0);
		// P(X ≥ 30 | 200, 5e-4) ≈ C(200,30)·(5e-4)^30·(1 − 5e-4)^170 ≈ 3.5e-64: no underflow,
		// no approximation.
		let t = binomial_tail(200, 30, 5e-4).unwrap();
		assert!(t > 3e-64 && t < 4e-64, "{t}");
	}
}
