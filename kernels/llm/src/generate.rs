//! Generation and teacher-forced scoring on any backend.
//!
//! A [`Sequence`] is one request's state: the ids the backend has seen, the tokens generated so
//! far, and why it finished. Each forward call feeds every unfinished sequence its pending ids
//! (the prompt first, then one token at a time), so sequences can join and leave between calls;
//! [`generate`] runs a set of them to the end in one batch.

use rayon::prelude::*;

use crate::{
	backend::{Backend, SeqId, Step},
	error::EngineError,
	sampling::{log_softmax, sample, top_logprobs, uniform, SamplingParams},
};

/// The most `top_logprobs` a request may ask for (OpenAI's limit).
pub const MAX_TOP_LOGPROBS: usize = 20;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
	pub prompt: Vec<u32>,
	/// At least 1.
	pub max_tokens: usize,
	pub params: SamplingParams,
	/// With `request_id`, fixes every uniform of the sampler (PROTOCOL §10).
	pub seed: u64,
	pub request_id: [u8; 32],
	/// Ids that end the completion (they are part of it, with finish reason `stop`).
	pub stop_ids: Vec<u32>,
	/// How many alternatives to report per position (0 to [`MAX_TOP_LOGPROBS`]).
	pub top_logprobs: usize,
}

/// One completion token.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
	pub id: u32,
	/// Its log-probability under the model (before temperature and truncation).
	pub logprob: f32,
	/// The most likely tokens at its position, most likely first.
	pub top: Vec<(u32, f32)>,
}

/// Why a completion ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
	/// An end-of-sequence id (or, at the API, a stop string).
	Stop,
	/// `max_tokens` reached, or the context is full.
	Length,
}

impl FinishReason {
	/// OpenAI's spelling.
	pub fn as_str(self) -> &'static str {
		match self {
			FinishReason::Stop => "stop",
			FinishReason::Length => "length",
		}
	}
}

/// One request being generated.
#[derive(Clone, Debug)]
pub struct Sequence {
	pub id: SeqId,
	pub request: Request,
	/// Prompt then completion ids.
	ids: Vec<u32>,
	/// How many of `ids` the backend holds.
	fed: usize,
	pub tokens: Vec<Token>,
	pub finished: Option<FinishReason>,
	context: usize,
}

impl Sequence {
	/// Checks a request against the model and starts its sequence.
	pub fn new(
		id: SeqId,
		request: Request,
		vocab: usize,
		context: usize,
	) -> Result<Self, EngineError> {
		request.params.validate()?;
		if request.prompt.is_empty() {
			return Err(EngineError::BadStep("the prompt has no tokens".into()));
		}
		if request.max_tokens == 0 {
			return Err(EngineError::Sampling("max_tokens must be at least 1".into()));
		}
		if request.top_logprobs > MAX_TOP_LOGPROBS {
			return Err(EngineError::Sampling(format!(
				"top_logprobs {} is above the limit of {MAX_TOP_LOGPROBS}",
				request.top_logprobs
			)));
		}
		if let Some(&bad) = request.prompt.iter().find(|&&t| t as usize >= vocab) {
			return Err(EngineError::TokenOutOfRange { id: bad, vocab });
		}
		// At least one token must fit after the prompt.
		if request.prompt.len() >= context {
			return Err(EngineError::ContextExceeded {
				needed: request.prompt.len() + 1,
				max: context,
			});
		}
		let ids = request.prompt.clone();
		Ok(Sequence { id, request, ids, fed: 0, tokens: Vec::new(), finished: None, context })
	}

	/// The step this sequence needs next, if it is not finished.
	pub fn step(&self) -> Option<Step<'_>> {
		if self.finished.is_some() {
			return None;
		}
		Some(Step { seq: self.id, tokens: &self.ids[self.fed..], all_logits: false })
	}

	/// The next step with at most `budget` tokens (at least 1): a prompt longer than that is fed
	/// in chunks (chunked prefill), each but the last followed by [`Sequence::fed_chunk`] instead
	/// of [`Sequence::advance`].
	pub fn step_within(&self, budget: usize) -> Option<Step<'_>> {
		let step = self.step()?;
		let n = step.tokens.len().min(budget.max(1));
		Some(Step { tokens: &step.tokens[..n], ..step })
	}

	/// Ids given to the backend but not yet fed.
	pub fn pending(&self) -> usize {
		if self.finished.is_some() {
			0
		} else {
			self.ids.len() - self.fed
		}
	}

	/// Records that a chunk of `n` prompt ids was fed, short of the last one (no token is sampled).
	pub fn fed_chunk(&mut self, n: usize) {
		debug_assert!(self.fed + n < self.ids.len(), "the last chunk is followed by advance");
		self.fed += n;
	}

	/// Takes the logits of the last fed position and picks the next token.
	pub fn advance(&mut self, logits: &[f32]) -> &Token {
		self.fed = self.ids.len();
		let r = &self.request;
		let position = self.tokens.len() as u64;
		let u = uniform(r.seed, &r.request_id, position);
		let id = sample(logits, &r.params, u);
		let lp = log_softmax(logits);
		let token = Token { id, logprob: lp[id as usize], top: top_logprobs(&lp, r.top_logprobs) };
		self.ids.push(id);
		self.tokens.push(token);
		if r.stop_ids.contains(&id) {
			self.finished = Some(FinishReason::Stop);
		} else if self.tokens.len() >= r.max_tokens || self.ids.len() >= self.context {
			self.finished = Some(FinishReason::Length);
		}
		self.tokens.last().expect("just pushed")
	}

	/// Ends the sequence early (a stop string seen by the caller).
	pub fn finish(&mut self, reason: FinishReason) {
		self.finished = Some(reason);
	}

	/// The completion ids.
	pub fn completion_ids(&self) -> Vec<u32> {
		self.tokens.iter().map(|t| t.id).collect()
	}
}

/// Runs one forward call for every unfinished sequence; returns how many advanced.
pub fn step_all(
	backend: &mut dyn Backend,
	seqs: &mut [&mut Sequence],
) -> Result<usize, EngineError> {
	let active: Vec<usize> = (0..seqs.len()).filter(|&i| seqs[i].finished.is_none()).collect();
	if active.is_empty() {
		return Ok(0);
	}
	let steps: Vec<Step<'_>> = active.iter().filter_map(|&i| seqs[i].step()).collect();
	let logits = backend.forward(&steps)?;
	drop(steps);
	// Sampling runs on every core (each sequence's draw depends on its own logits only).
	let live: Vec<&mut &mut Sequence> = seqs.iter_mut().filter(|s| s.finished.is_none()).collect();
	live.into_par_iter().zip(logits.par_iter()).for_each(|(s, l)| {
		s.advance(l.last());
	});
	for &i in &active {
		if seqs[i].finished.is_some() {
			backend.release(seqs[i].id);
		}
	}
	Ok(active.len())
}

/// Generates every sequence to its end, together; the backend's caches are freed.
pub fn generate(backend: &mut dyn Backend, seqs: &mut [Sequence]) -> Result<(), EngineError> {
	let mut refs: Vec<&mut Sequence> = seqs.iter_mut().collect();
	let result = loop {
		match step_all(backend, &mut refs) {
			Ok(0) => break Ok(()),
			Ok(_) => {},
			Err(e) => break Err(e),
		}
	};
	for s in refs {
		backend.release(s.id);
	}
	result
}

/// Teacher-forced scoring (PROTOCOL §10, the validator's tool): one forward pass over the prompt
/// and the given completion, returning for every completion position the log-probability of the
/// completion's token and the `k` most likely tokens.
pub fn score(
	backend: &mut dyn Backend,
	seq: SeqId,
	prompt: &[u32],
	completion: &[u32],
	k: usize,
) -> Result<Vec<Token>, EngineError> {
	if prompt.is_empty() {
		return Err(EngineError::BadStep("the prompt has no tokens".into()));
	}
	if completion.is_empty() {
		return Ok(Vec::new());
	}
	let vocab = backend.config().vocab_size;
	if let Some(&bad) = completion.iter().find(|&&t| t as usize >= vocab) {
		return Err(EngineError::TokenOutOfRange { id: bad, vocab });
	}
	// Position p's logits predict token p + 1: the last completion token is not fed.
	let mut ids = prompt.to_vec();
	ids.extend_from_slice(&completion[..completion.len() - 1]);
	backend.release(seq);
	let result = backend.forward(&[Step { seq, tokens: &ids, all_logits: true }]);
	backend.release(seq);
	let logits = result?.remove(0);
	Ok(completion
		.iter()
		.enumerate()
		.map(|(i, &id)| {
			let lp = log_softmax(logits.row(prompt.len() - 1 + i));
			Token { id, logprob: lp[id as usize], top: top_logprobs(&lp, k) }
		})
		.collect())
}
