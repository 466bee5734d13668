//! The one trait every inference backend implements (the CPU reference, libtorch).
//!
//! A backend owns the key/value cache of every sequence it is running, so a GPU backend can keep
//! it in device memory (paged or static, its choice). A forward call takes a batch of steps —
//! a prompt being prefilled, a sequence decoding one token, a completion being scored — runs
//! them together, and returns the logits the caller asked for. Sequences join and leave between
//! calls (continuous batching); `release` frees a sequence's cache.

use crate::{config::ModelConfig, error::EngineError};

/// The caller's handle of a sequence.
pub type SeqId = u64;

/// One sequence's part of a forward call: `tokens` follow what the sequence already holds (a new
/// id starts an empty sequence).
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
	pub seq: SeqId,
	pub tokens: &'a [u32],
	/// Logits of every position of `tokens` (scoring), or of the last one only (generation).
	pub all_logits: bool,
}

/// Logits of one step: `rows` positions of `vocab` values each, raw (before any temperature).
#[derive(Clone, Debug, PartialEq)]
pub struct Logits {
	pub vocab: usize,
	pub data: Vec<f32>,
}

impl Logits {
	/// How many positions.
	pub fn rows(&self) -> usize {
		self.data.len().checked_div(self.vocab).unwrap_or(0)
	}

	/// The logits of position `i`.
	pub fn row(&self, i: usize) -> &[f32] {
		&self.data[i * self.vocab..(i + 1) * self.vocab]
	}

	/// The last position's logits.
	pub fn last(&self) -> &[f32] {
		self.row(self.rows() - 1)
	}
}

/// An inference backend.
pub trait Backend: Send {
	/// The model it runs.
	fn config(&self) -> &ModelConfig;

	/// A name for logs and metrics (`cpu`, `torch:cuda:0 bf16`).
	fn name(&self) -> String;

	/// Runs a batch of steps; one `Logits` per step, in order. On error no sequence has advanced.
	fn forward(&mut self, steps: &[Step<'_>]) -> Result<Vec<Logits>, EngineError>;

	/// Frees a sequence's cache (unknown ids are ignored).
	fn release(&mut self, seq: SeqId);

	/// How many tokens a sequence holds, if the backend knows it.
	fn len(&self, seq: SeqId) -> Option<usize>;
}

/// Checks a batch against the model before any work: known token ids, the context length, no
/// sequence twice, no empty step.
pub fn check_steps(
	config: &ModelConfig,
	steps: &[Step<'_>],
	len: impl Fn(SeqId) -> usize,
) -> Result<(), EngineError> {
	for (i, step) in steps.iter().enumerate() {
		if step.tokens.is_empty() {
			return Err(EngineError::BadStep(format!(
				"step {i} (sequence {}) has no tokens",
				step.seq
			)));
		}
		if steps[..i].iter().any(|s| s.seq == step.seq) {
			return Err(EngineError::BadStep(format!(
				"sequence {} appears twice in one batch",
				step.seq
			)));
		}
		if let Some(&id) = step.tokens.iter().find(|&&t| t as usize >= config.vocab_size) {
			return Err(EngineError::TokenOutOfRange { id, vocab: config.vocab_size });
		}
		let needed = len(step.seq) + step.tokens.len();
		if needed > config.max_position_embeddings {
			return Err(EngineError::ContextExceeded {
				needed,
				max: config.max_position_embeddings,
			});
		}
	}
	Ok(())
}
