//! The inference engine of gonka workers (PROTOCOL §10).
//!
//! * [`Model`]: a Hugging Face checkpoint directory as the Hub publishes it — `config.json`
//!   ([`ModelConfig`]: Llama, Qwen2, Qwen3), the safetensors files ([`weights`]), `tokenizer.json`
//!   and the chat template ([`ChatTokenizer`]), `generation_config.json`.
//! * [`Backend`]: the one trait of forward passes over batches of sequences; [`CpuModel`] is the
//!   f32 reference every validator can reproduce; `torch::TorchModel` (feature `torch`) runs it
//!   on libtorch, in bf16 on CUDA.
//! * [`sampling`]: deterministic sampling from `(seed, request_id, position)` and the check a
//!   validator runs on each sampled token; [`generate`]: generation and teacher-forced scoring.
//!
//! Nothing here downloads anything: a model is a directory on disk.

pub mod backend;
pub mod config;
pub mod cpu;
pub mod error;
pub mod generate;
pub mod model;
pub mod sampling;
pub mod scheduler;
pub mod tokenizer;
#[cfg(feature = "torch")]
pub mod torch;
pub mod weights;

pub use backend::{Backend, Logits, SeqId, Step};
pub use config::{Architecture, ModelConfig, RopeScaling};
pub use cpu::CpuModel;
pub use error::{EngineError, LoadError, PromptError};
pub use generate::{generate, score, FinishReason, Request, Sequence, Token};
pub use model::{GenerationDefaults, Model};
pub use sampling::{SampleFault, SamplingParams, Tolerance};
pub use scheduler::{Event, Scheduler, SchedulerConfig, Sink, SubmitError};
pub use tokenizer::{ChatTokenizer, Message};
