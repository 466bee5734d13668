//! Deterministic sampling (PROTOCOL §10): the uniform that picks the token of completion position
//! `i` is derived from `(seed, request_id, i)` with blake2b, so a validator re-running the
//! prompt and completion can check that every sampled token was one the sampler allowed, at the
//! place the uniform points to.
//!
//! The order is transformers' (temperature, then top-k, then top-p on what top-k kept):
//!
//! 1. `temperature == 0`: greedy, the highest logit (the lowest id on an exact tie).
//! 2. `p = softmax(logits / temperature)` in f64; tokens sorted by `p` descending, id ascending.
//! 3. top-k (`0` = off) keeps the first `k`; the kept mass is renormalized.
//! 4. top-p keeps each token whose preceding mass is below `top_p` (so the token that crosses
//!    `top_p` is kept, and always at least one); renormalized again.
//! 5. The token is the first whose cumulative mass exceeds `u`.
//!
//! `u = (first 8 bytes of blake2b-256("gonka/sampling/v1" ‖ u64_le(seed) ‖ request_id ‖ u64_le(i)),
//! little-endian) >> 11) · 2⁻⁵³`, uniform on [0, 1) with 53 bits.
//!
//! Log-probabilities reported to clients (`logprobs`, `top_logprobs`) and compared by validators
//! are those of the model itself: `log_softmax(logits)`, before temperature and truncation.

use crate::error::EngineError;

/// How tokens are picked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplingParams {
	/// 0 is greedy; at most 2 (OpenAI's range).
	pub temperature: f32,
	/// In (0, 1]; 1 is off.
	pub top_p: f32,
	/// 0 is off.
	pub top_k: usize,
}

impl Default for SamplingParams {
	fn default() -> Self {
		SamplingParams { temperature: 1.0, top_p: 1.0, top_k: 0 }
	}
}

impl SamplingParams {
	/// Always the most likely token.
	pub const GREEDY: SamplingParams = SamplingParams { temperature: 0.0, top_p: 1.0, top_k: 0 };

	/// Whether the choice ignores `u`.
	pub fn is_greedy(&self) -> bool {
		self.temperature == 0.0 || self.top_k == 1
	}

	/// Refuses values a client could send but the sampler has no meaning for.
	pub fn validate(&self) -> Result<(), EngineError> {
		if !(self.temperature.is_finite() && (0.0..=2.0).contains(&self.temperature)) {
			return Err(EngineError::Sampling(format!(
				"temperature {} is outside [0, 2]",
				self.temperature
			)));
		}
		if !(self.top_p.is_finite() && self.top_p > 0.0 && self.top_p <= 1.0) {
			return Err(EngineError::Sampling(format!("top_p {} is outside (0, 1]", self.top_p)));
		}
		Ok(())
	}
}

/// The uniform of completion position `position` of a request.
pub fn uniform(seed: u64, request_id: &[u8; 32], position: u64) -> f64 {
	let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
	state.update(b"gonka/sampling/v1");
	state.update(&seed.to_le_bytes());
	state.update(request_id);
	state.update(&position.to_le_bytes());
	let hash = state.finalize();
	let mut first = [0u8; 8];
	first.copy_from_slice(&hash.as_bytes()[..8]);
	(u64::from_le_bytes(first) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Tokens in sampling order with their probabilities after temperature (not renormalized), and
/// how many of them the top-k and top-p rules keep.
struct Ranked {
	order: Vec<(u32, f64)>,
	kept: usize,
}

fn rank(logits: &[f32], params: &SamplingParams) -> Ranked {
	let t = f64::from(params.temperature);
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
	let mut order: Vec<(u32, f64)> = logits
		.iter()
		.enumerate()
		.map(|(i, &l)| (i as u32, ((f64::from(l) - max) / t).exp()))
		.collect();
	let z: f64 = order.iter().map(|p| p.1).sum();
	order.iter_mut().for_each(|p| p.1 /= z);
	order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	let mut kept = if params.top_k == 0 { order.len() } else { params.top_k.min(order.len()) };
	if params.top_p < 1.0 {
		let mass: f64 = order[..kept].iter().map(|p| p.1).sum();
		let (mut before, mut n) = (0.0, 0);
		while n < kept && (n == 0 || before < f64::from(params.top_p)) {
			before += order[n].1 / mass;
			n += 1;
		}
		kept = n;
	}
	Ranked { order, kept }
}

fn argmax(logits: &[f32]) -> u32 {
	let mut best = 0;
	for (i, &l) in logits.iter().enumerate() {
		if l > logits[best] {
			best = i;
		}
	}
	best as u32
}

/// The sampled token, given the uniform of its position.
pub fn sample(logits: &[f32], params: &SamplingParams, u: f64) -> u32 {
	if params.is_greedy() {
		return argmax(logits);
	}
	let r = rank(logits, params);
	let kept = &r.order[..r.kept];
	let mass: f64 = kept.iter().map(|p| p.1).sum();
	let mut cum = 0.0;
	for &(id, p) in kept {
		cum += p / mass;
		if cum > u {
			return id;
		}
	}
	kept[kept.len() - 1].0
}

/// Why a sampled token does not follow from the validator's logits.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SampleFault {
	/// Greedy decoding chose a token whose logit is below the best by more than the tolerance.
	#[error(
		"greedy decoding chose token {token} whose logit is {gap} below the best token {best}"
	)]
	NotArgmax { token: u32, best: u32, gap: f32 },
	/// The token is outside what top-k/top-p allowed (rank counted from 0).
	#[error("token {token} has rank {rank}; top-k/top-p allowed only the first {allowed}")]
	NotAllowed { token: u32, rank: usize, allowed: usize },
	/// The token was allowed, but the uniform points elsewhere.
	#[error("token {token} covers [{lo:.6}, {hi:.6}) of the distribution; the uniform of its position is {u:.6}")]
	WrongDraw { token: u32, lo: f64, hi: f64, u: f64 },
	/// The token id is outside the vocabulary.
	#[error("token {token} is outside the vocabulary of {vocab}")]
	OutOfVocabulary { token: u32, vocab: usize },
}

/// How far a validator's numbers may differ from the executor's (other hardware, other batch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
	/// Probability mass by which the interval of a token, or the boundary of the allowed set, may
	/// be off.
	pub mass: f64,
	/// Logit gap allowed between a greedy choice and the validator's best token.
	pub logit: f32,
}

impl Tolerance {
	/// No difference at all: the same backend on the same numbers.
	pub const EXACT: Tolerance = Tolerance { mass: 0.0, logit: 0.0 };
}

/// Checks that `token` is what the sampler could have picked at a position with uniform `u`,
/// judged on the validator's own logits.
pub fn check(
	logits: &[f32],
	params: &SamplingParams,
	u: f64,
	token: u32,
	tol: Tolerance,
) -> Result<(), SampleFault> {
	if token as usize >= logits.len() {
		return Err(SampleFault::OutOfVocabulary { token, vocab: logits.len() });
	}
	if params.is_greedy() {
		let best = argmax(logits);
		let gap = logits[best as usize] - logits[token as usize];
		return if gap <= tol.logit {
			Ok(())
		} else {
			Err(SampleFault::NotArgmax { token, best, gap })
		};
	}
	let r = rank(logits, params);
	let at = r.order.iter().position(|p| p.0 == token).expect("every id is ranked");
	let p_token = r.order[at].1;
	let allowed = if at < r.kept {
		r.kept
	} else if p_token + tol.mass >= r.order[r.kept - 1].1 {
		// At the boundary within the tolerance: counted as allowed, the set extended to it.
		at + 1
	} else {
		return Err(SampleFault::NotAllowed { token, rank: at, allowed: r.kept });
	};
	// The same operations, in the same order, as `sample`'s running sum (so an exact check of the
	// same numbers agrees to the bit).
	let mass: f64 = r.order[..allowed].iter().map(|p| p.1).sum();
	let lo = r.order[..at].iter().fold(0.0, |cum, p| cum + p.1 / mass);
	let mut hi = lo + p_token / mass;
	if at + 1 == allowed {
		// `sample` falls back to the last allowed token when rounding leaves the sum below u.
		hi = hi.max(1.0);
	}
	if u + tol.mass >= lo && u < hi + tol.mass {
		Ok(())
	} else {
		Err(SampleFault::WrongDraw { token, lo, hi, u })
	}
}

/// `log_softmax(logits)`, computed in f64.
pub fn log_softmax(logits: &[f32]) -> Vec<f32> {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
	let lse = logits.iter().map(|&l| (f64::from(l) - max).exp()).sum::<f64>().ln() + max;
	logits.iter().map(|&l| (f64::from(l) - lse) as f32).collect()
}

/// The `k` most likely tokens and their log-probabilities, most likely first (lowest id first on
/// a tie).
pub fn top_logprobs(logprobs: &[f32], k: usize) -> Vec<(u32, f32)> {
	let k = k.min(logprobs.len());
	if k == 0 {
		return Vec::new();
	}
	let mut all: Vec<(u32, f32)> =
		logprobs.iter().enumerate().map(|(i, &l)| (i as u32, l)).collect();
	all.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	all.truncate(k);
	all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	all
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn logits_strategy() -> impl Strategy<Value = Vec<f32>> {
		proptest::collection::vec(-8.0f32..8.0, 2..40)
	}

	fn params_strategy() -> impl Strategy<Value = SamplingParams> {
		(0.05f32..2.0, 0.05f32..=1.0, 0usize..10)
			.prop_map(|(temperature, top_p, top_k)| SamplingParams { temperature, top_p, top_k })
	}

	#[test]
	fn uniform_is_fixed_and_spread() {
		let id = [7u8; 32];
		assert_eq!(uniform(1, &id, 0), uniform(1, &id, 0));
		assert_ne!(uniform(1, &id, 0), uniform(1, &id, 1));
		assert_ne!(uniform(1, &id, 0), uniform(2, &id, 0));
		assert_ne!(uniform(1, &id, 0), uniform(1, &[8u8; 32], 0));
		let n = 20_000;
		let mean = (0..n).map(|i| uniform(3, &id, i)).sum::<f64>() / n as f64;
		assert!((mean - 0.5).abs() < 0.01, "{mean}");
		assert!((0..n).all(|i| (0.0..1.0).contains(&uniform(3, &id, i))));
	}

	#[test]
	fn frequencies_follow_the_probabilities() {
		let logits = [2.0f32, 1.0, 0.5, 0.0, -1.0];
		let params = SamplingParams { temperature: 0.8, top_p: 1.0, top_k: 0 };
		let probs: Vec<f64> = {
			let e: Vec<f64> = logits.iter().map(|&l| (f64::from(l) / 0.8).exp()).collect();
			let z: f64 = e.iter().sum();
			e.iter().map(|x| x / z).collect()
		};
		let n = 40_000;
		let mut counts = [0usize; 5];
		for i in 0..n {
			counts[sample(&logits, &params, uniform(9, &[1; 32], i)) as usize] += 1;
		}
		for (c, p) in counts.iter().zip(&probs) {
			let f = *c as f64 / n as f64;
			// Five standard deviations of a binomial frequency.
			assert!(
				(f - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(),
				"{counts:?} vs {probs:?}"
			);
		}
		// top-k 2: only the two best, in proportion 1 : e^(-1/0.8).
		let k2 = SamplingParams { top_k: 2, ..params };
		let mut c2 = [0usize; 5];
		for i in 0..n {
			c2[sample(&logits, &k2, uniform(9, &[2; 32], i)) as usize] += 1;
		}
		assert_eq!(c2[2..].iter().sum::<usize>(), 0);
		let want = probs[0] / (probs[0] + probs[1]);
		assert!((c2[0] as f64 / n as f64 - want).abs() < 0.01);
	}

	#[test]
	fn top_p_keeps_the_crossing_token() {
		// Probabilities 0.5, 0.3, 0.2 at temperature 1.
		let logits = [0.5f64.ln() as f32, 0.3f64.ln() as f32, 0.2f64.ln() as f32];
		let p = |top_p| rank(&logits, &SamplingParams { temperature: 1.0, top_p, top_k: 0 }).kept;
		// As transformers' TopPLogitsWarper: a token stays while the mass before it is below top_p.
		assert_eq!(p(0.4), 1);
		assert_eq!(p(0.45), 1);
		assert_eq!(p(0.55), 2);
		assert_eq!(p(0.79), 2);
		assert_eq!(p(0.85), 3);
		assert_eq!(p(1.0), 3);
	}

	#[test]
	fn greedy_check() {
		let logits = [0.0f32, 3.0, 2.9995];
		assert_eq!(sample(&logits, &SamplingParams::GREEDY, 0.99), 1);
		assert!(check(&logits, &SamplingParams::GREEDY, 0.0, 1, Tolerance::EXACT).is_ok());
		assert!(matches!(
			check(&logits, &SamplingParams::GREEDY, 0.0, 2, Tolerance::EXACT),
			Err(SampleFault::NotArgmax { best: 1, .. })
		));
		assert!(check(
			&logits,
			&SamplingParams::GREEDY,
			0.0,
			2,
			Tolerance { mass: 0.0, logit: 1e-3 }
		)
		.is_ok());
	}

	#[test]
	fn log_softmax_and_top() {
		let lp = log_softmax(&[1.0, 2.0, 3.0, 3.0]);
		let total: f64 = lp.iter().map(|&l| f64::from(l).exp()).sum();
		assert!((total - 1.0).abs() < 1e-6);
		assert_eq!(top_logprobs(&lp, 3).iter().map(|t| t.0).collect::<Vec<_>>(), vec![2, 3, 1]);
		assert_eq!(top_logprobs(&lp, 10).len(), 4);
	}

	proptest! {
		#[test]
		fn the_check_accepts_what_was_sampled(logits in logits_strategy(), params in params_strategy(), seed: u64, pos in 0u64..1000) {
			let u = uniform(seed, &[3; 32], pos);
			let token = sample(&logits, &params, u);
			prop_assert_eq!(check(&logits, &params, u, token, Tolerance::EXACT), Ok(()));
		}

		#[test]
		fn the_check_refuses_other_draws(logits in logits_strategy(), params in params_strategy(), seed: u64) {
			let u = uniform(seed, &[4; 32], 0);
			let token = sample(&logits, &params, u);
			let r = rank(&logits, &params);
			for (at, &(other, _)) in r.order.iter().enumerate() {
				if other == token {
					continue;
				}
				let verdict = check(&logits, &params, u, other, Tolerance::EXACT);
				if params.is_greedy() {
					let tie = logits[other as usize] == logits[token as usize];
					prop_assert!(matches!(verdict, Err(SampleFault::NotArgmax { .. })) || tie, "{:?}", verdict);
				} else if at >= r.kept {
					prop_assert!(matches!(verdict, Err(SampleFault::NotAllowed { .. })) || r.order[at].1 >= r.order[r.kept - 1].1, "{:?}", verdict);
				} else {
					prop_assert!(matches!(verdict, Err(SampleFault::WrongDraw { .. })), "{:?}", verdict);
				}
			}
		}

		#[test]
		fn sampled_tokens_are_in_the_allowed_set(logits in logits_strategy(), params in params_strategy(), seed: u64) {
			let u = uniform(seed, &[5; 32], 1);
			let token = sample(&logits, &params, u);
			let r = rank(&logits, &params);
			prop_assert!(r.order[..r.kept].iter().any(|p| p.0 == token));
		}
	}
}
