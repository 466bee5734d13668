//! Typed errors. Each message names the file, field or value that was wrong and what would be
//! right, so an operator pointing `--model` at the wrong directory knows what to fix.

use std::path::PathBuf;

/// A model directory that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
	/// A file of the checkpoint could not be read.
	#[error("cannot read {path}: {source}")]
	Io {
		path: PathBuf,
		#[source]
		source: std::io::Error,
	},
	/// A JSON file of the checkpoint is not valid JSON.
	#[error("{path} is not valid JSON: {source}")]
	Json {
		path: PathBuf,
		#[source]
		source: serde_json::Error,
	},
	/// A required field of `config.json` (or another file) is missing or has the wrong type.
	#[error("{file}: field `{field}` {problem}")]
	Field { file: &'static str, field: String, problem: String },
	/// The checkpoint is well formed but uses something this engine does not implement.
	#[error("{file}: `{field}` = {value} is not supported: {why}")]
	Unsupported { file: &'static str, field: String, value: String, why: String },
	/// A weight tensor is missing, has the wrong shape or an unsupported dtype.
	#[error("weights: tensor `{name}` {problem}")]
	Tensor { name: String, problem: String },
	/// A safetensors file is malformed.
	#[error("{path} is not a valid safetensors file: {why}")]
	Safetensors { path: PathBuf, why: String },
	/// `tokenizer.json` cannot be loaded by the tokenizers library.
	#[error("tokenizer.json: {0}")]
	Tokenizer(String),
	/// The backend's device cannot take the model (no such CUDA device, out of memory while
	/// uploading the weights).
	#[error("device: {0}")]
	Device(String),
	/// The chat template does not compile.
	#[error("chat template ({source_file}): {why}")]
	Template { source_file: &'static str, why: String },
}

/// A prompt that cannot be turned into tokens.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PromptError {
	/// The model has no chat template, so chat messages cannot be formatted.
	#[error("this model has no chat template (neither tokenizer_config.json `chat_template` nor chat_template.jinja); use the completions endpoint with a plain prompt")]
	NoTemplate,
	/// The template rejected the messages (its own `raise_exception`) or failed while rendering.
	#[error("the chat template refused the messages: {0}")]
	Template(String),
	/// The tokenizer failed on the text.
	#[error("tokenizer: {0}")]
	Tokenizer(String),
}

/// A generation that could not run.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum EngineError {
	/// A token id outside the vocabulary.
	#[error("token id {id} is outside the vocabulary of {vocab} tokens")]
	TokenOutOfRange { id: u32, vocab: usize },
	/// The sequence would exceed the model's context length.
	#[error("{needed} tokens exceed the context length of {max}")]
	ContextExceeded { needed: usize, max: usize },
	/// A forward step named a sequence the backend does not hold, or gave no tokens.
	#[error("bad step: {0}")]
	BadStep(String),
	/// The backend failed (out of memory, a libtorch error); the request should be retried
	/// elsewhere, and the backend rebuilt.
	#[error("backend: {0}")]
	Backend(String),
	/// Sampling parameters out of range.
	#[error("sampling: {0}")]
	Sampling(String),
}
