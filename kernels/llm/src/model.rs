//! A model directory: its config, tokenizer, template and generation defaults, checked together.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{
	config::{read_json, ModelConfig},
	cpu::CpuModel,
	error::LoadError,
	sampling::SamplingParams,
	tokenizer::ChatTokenizer,
	weights::Weights,
};

/// `generation_config.json`: the sampling the checkpoint's authors recommend, used when a request
/// leaves a parameter out.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationDefaults {
	pub eos_token_ids: Vec<u32>,
	/// `None` when the file says `do_sample: false` or gives nothing.
	pub sampling: Option<SamplingParams>,
}

/// A checkpoint directory, loaded except for its weights.
pub struct Model {
	pub dir: PathBuf,
	/// The name clients use (`model` of a request): the directory's name.
	pub name: String,
	pub config: ModelConfig,
	pub tokenizer: ChatTokenizer,
	pub generation: GenerationDefaults,
	/// Every id that ends a completion: config.json's, generation_config.json's and the
	/// tokenizer's `eos_token`, deduplicated.
	pub stop_ids: Vec<u32>,
}

impl Model {
	/// Reads and checks a directory: config.json, tokenizer, template and generation config. The
	/// weights are read by the backend (`load_cpu`, or the torch backend).
	pub fn open(dir: &Path) -> Result<Self, LoadError> {
		let config = ModelConfig::from_dir(dir)?;
		let tokenizer = ChatTokenizer::from_dir(dir)?;
		if tokenizer.vocab_size() > config.vocab_size {
			return Err(LoadError::Field {
				file: "config.json",
				field: "vocab_size".into(),
				problem: format!(
					"({}) is smaller than the tokenizer's {} tokens; tokenizer.json is not this model's",
					config.vocab_size,
					tokenizer.vocab_size()
				),
			});
		}
		let generation = generation_defaults(dir)?;
		let mut stop_ids = config.eos_token_ids.clone();
		stop_ids.extend(&generation.eos_token_ids);
		stop_ids.extend(tokenizer.eos_token_id);
		stop_ids.sort_unstable();
		stop_ids.dedup();
		let name = dir
			.canonicalize()
			.ok()
			.and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
			.unwrap_or_else(|| "model".into());
		Ok(Model { dir: dir.to_path_buf(), name, config, tokenizer, generation, stop_ids })
	}

	/// The CPU reference backend of this model.
	pub fn load_cpu(&self) -> Result<CpuModel, LoadError> {
		CpuModel::new(self.config.clone(), Weights::from_dir(&self.dir)?)
	}

	/// The libtorch backend of this model on `device`, in its default precision (bf16 on CUDA, f32
	/// on the CPU) or the one given.
	#[cfg(feature = "torch")]
	pub fn load_torch(
		&self,
		device: crate::torch::TorchDevice,
		precision: Option<crate::torch::Precision>,
	) -> Result<crate::torch::TorchModel, LoadError> {
		let weights = Weights::from_dir(&self.dir)?;
		match precision {
			None => crate::torch::TorchModel::new(self.config.clone(), weights, device),
			Some(p) => crate::torch::TorchModel::with_precision(
				self.config.clone(),
				weights,
				device.resolve()?,
				p,
			),
		}
	}
}

fn generation_defaults(dir: &Path) -> Result<GenerationDefaults, LoadError> {
	let path = dir.join("generation_config.json");
	if !path.exists() {
		return Ok(GenerationDefaults { eos_token_ids: Vec::new(), sampling: None });
	}
	let v = read_json(&path)?;
	let field = |name: &str, problem: &str| LoadError::Field {
		file: "generation_config.json",
		field: name.into(),
		problem: problem.into(),
	};
	let eos_token_ids = match v.get("eos_token_id") {
		None | Some(Value::Null) => Vec::new(),
		Some(Value::Array(a)) => a
			.iter()
			.map(|x| {
				x.as_u64()
					.map(|n| n as u32)
					.ok_or_else(|| field("eos_token_id", "must hold token ids"))
			})
			.collect::<Result<_, _>>()?,
		Some(x) => {
			vec![x.as_u64().ok_or_else(|| field("eos_token_id", "must be a token id"))? as u32]
		},
	};
	let sampling = if v.get("do_sample").and_then(Value::as_bool).unwrap_or(false) {
		let p = SamplingParams {
			temperature: v.get("temperature").and_then(Value::as_f64).unwrap_or(1.0) as f32,
			top_p: v.get("top_p").and_then(Value::as_f64).unwrap_or(1.0) as f32,
			top_k: v.get("top_k").and_then(Value::as_u64).unwrap_or(0) as usize,
		};
		p.validate().map_err(|e| field("temperature/top_p", &e.to_string()))?;
		Some(p)
	} else {
		None
	};
	Ok(GenerationDefaults { eos_token_ids, sampling })
}
