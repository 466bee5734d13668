//! The validation maths of PROTOCOL §6, as functions the worker calls: which leaves a validator
//! samples, which of them are mismatches, and the one-sided binomial test that turns the
//! mismatch count into a verdict.

use std::collections::{BTreeSet, HashMap, HashSet};

use codec::{Decode, Encode};

use crate::{
	chacha::WordStream,
	error::ValidationError,
	hash::{blake2_256, HostKey, Seed},
	merkle::{self, Hash, LeafProof},
	probability::ln_gamma,
};

/// Default number of leaves a validator samples per host.
pub const DEFAULT_SAMPLE_SIZE: u32 = 200;
/// Default tolerance `δ` between backends, in distance units.
pub const DEFAULT_DELTA: f32 = 1e-2;
/// Default probability that an honest leaf is a mismatch (backend disagreement beyond `δ`).
pub const DEFAULT_P_MISMATCH: f64 = 5e-4;
/// Default p-value below which a host is judged invalid.
pub const DEFAULT_FRAUD_THRESHOLD: f64 = 1e-7;

/// The leaf indices validator `validator` samples from host `host`'s commitment of `count`
/// leaves: all of them when `count ≤ sample_size`, otherwise `sample_size` distinct indices
/// drawn by Floyd's algorithm from the ChaCha20 stream keyed by
/// `blake2_256(sampling_seed ‖ validator ‖ host)`: for `j = count − sample_size, …, count − 1`,
/// draw the next u64 `x` of the stream (two words, the first in the low half), `t = x mod (j+1)`;
/// take `t` if not taken yet, else `j`. Returned sorted ascending. Exactly `sample_size` draws.
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
	let mut stream = WordStream::new(blake2_256(&[sampling_seed, validator, host]));
	let mut taken = BTreeSet::new();
	for j in count - s..count {
		let t = stream.next_u64() % (j + 1);
		if !taken.insert(t) {
			taken.insert(j);
		}
	}
	taken.into_iter().collect()
}

/// Why a sampled leaf counts against its host.
#[derive(Clone, Debug, PartialEq, Encode, Decode)]
pub enum Mismatch {
	/// The host sent no proof for this index.
	Missing,
	/// The proof does not lead to the committed root (or has the wrong length).
	BadPath,
	/// The leaf's nonce equals that of a sampled leaf at a lower index (leaves must be unique).
	RepeatedNonce { nonce: u64 },
	/// The leaf's nonce is below that of a sampled leaf at a lower index (leaves must be sorted).
	OutOfOrder { nonce: u64 },
	/// The re-computed distance is not below `r_target + δ`.
	NotAHit { nonce: u64, recomputed_bits: u32 },
}

/// The structural checks of a sample: proofs matched to the requested indices and verified, and
/// nonces checked for repeats and order. What passes still needs its distance re-computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit {
	/// Leaves whose path and order are fine: `(index, nonce)`, by index. Re-compute these.
	pub to_recompute: Vec<(u64, u64)>,
	/// Leaves already found bad: `(index, why)`.
	pub mismatches: Vec<(u64, Mismatch)>,
}

/// Checks the proofs a host returned for the `requested` indices against its commitment
/// (`root`, `count`). Proofs for indices not requested are ignored; a requested index without a
/// proof is [`Mismatch::Missing`]; with several, the first is used.
pub fn audit_proofs(root: &Hash, count: u64, requested: &[u64], proofs: &[LeafProof]) -> Audit {
	let mut by_index: HashMap<u64, &LeafProof> = HashMap::new();
	for p in proofs {
		by_index.entry(p.index).or_insert(p);
	}
	let mut sorted: Vec<u64> = requested.to_vec();
	sorted.sort_unstable();
	sorted.dedup();
	let mut audit = Audit::default();
	let mut seen = HashSet::new();
	let mut max_nonce: Option<u64> = None;
	for index in sorted {
		let Some(proof) = by_index.get(&index) else {
			audit.mismatches.push((index, Mismatch::Missing));
			continue;
		};
		if merkle::verify(root, count, proof).is_err() {
			audit.mismatches.push((index, Mismatch::BadPath));
			continue;
		}
		let nonce = proof.leaf.nonce;
		if !seen.insert(nonce) {
			audit.mismatches.push((index, Mismatch::RepeatedNonce { nonce }));
			continue;
		}
		if max_nonce.is_some_and(|m| nonce < m) {
			audit.mismatches.push((index, Mismatch::OutOfOrder { nonce }));
			continue;
		}
		max_nonce = Some(max_nonce.map_or(nonce, |m| m.max(nonce)));
		audit.to_recompute.push((index, nonce));
	}
	audit
}

/// Whether a re-computed distance confirms a hit: `recomputed < r_target + δ` (in f32).
pub fn confirms_hit(recomputed: f32, r_target: f32, delta: f32) -> bool {
	recomputed < r_target + delta
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

/// A validator's judgement of one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Verdict {
	Valid,
	Invalid,
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
	fn default_test_needs_several_mismatches() {
		let t = FraudTest::default();
		// With 200 samples at p 5e-4, the expected count is 0.1; three mismatches have
		// p ≈ 1.5e-4 and four ≈ 3.8e-6 (not enough); five have ≈ 7.6e-8 < 1e-7.
		assert_eq!(t.invalid_from(200).unwrap(), Some(5));
		assert_eq!(t.judge(200, 0).unwrap().0, Verdict::Valid);
		assert_eq!(t.judge(200, 200).unwrap().0, Verdict::Invalid);
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
