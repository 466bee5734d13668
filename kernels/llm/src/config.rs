//! `config.json` of a Hugging Face checkpoint, read into the one shape every supported
//! architecture shares (PROTOCOL §10: models are Hub checkpoints, identified by their files).
//!
//! Both ways transformers writes RoPE are accepted: `rope_theta` + `rope_scaling` (4.x) and
//! `rope_parameters` (5.x). Anything the engine would compute differently from transformers is
//! refused with the field and the reason, never approximated: sliding-window attention, RoPE
//! types other than `default`, `linear` and `llama3`, activations other than SiLU, MLP biases.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::LoadError;

const FILE: &str = "config.json";

/// The architecture families (the `architectures` entry of `config.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
	/// `LlamaForCausalLM` (Llama 2 and 3, and the many checkpoints that share its layout).
	Llama,
	/// `Qwen2ForCausalLM` (Qwen2, Qwen2.5): biases on the q, k and v projections.
	Qwen2,
	/// `Qwen3ForCausalLM`: RMS norms on the queries and keys of every head, explicit head_dim.
	Qwen3,
}

impl Architecture {
	/// The name transformers gives the class.
	pub fn class_name(self) -> &'static str {
		match self {
			Architecture::Llama => "LlamaForCausalLM",
			Architecture::Qwen2 => "Qwen2ForCausalLM",
			Architecture::Qwen3 => "Qwen3ForCausalLM",
		}
	}

	fn from_class(name: &str) -> Option<Self> {
		[Architecture::Llama, Architecture::Qwen2, Architecture::Qwen3]
			.into_iter()
			.find(|a| a.class_name() == name)
	}
}

/// How rotary position embeddings scale their frequencies.
#[derive(Clone, Debug, PartialEq)]
pub enum RopeScaling {
	/// `inv_freq[i] = theta^(-2i/d)`.
	None,
	/// Every frequency divided by `factor`.
	Linear { factor: f32 },
	/// Llama 3.1's: low frequencies divided by `factor`, high ones kept, a smooth ramp between.
	Llama3 { factor: f32, low_freq_factor: f32, high_freq_factor: f32, original_max_position: f32 },
}

/// The model's shape and the constants of its forward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
	pub architecture: Architecture,
	pub vocab_size: usize,
	pub hidden_size: usize,
	pub intermediate_size: usize,
	pub num_layers: usize,
	pub num_heads: usize,
	pub num_kv_heads: usize,
	pub head_dim: usize,
	pub rms_norm_eps: f32,
	pub rope_theta: f32,
	pub rope_scaling: RopeScaling,
	/// The context length: prompt plus completion never exceed it.
	pub max_position_embeddings: usize,
	/// The output projection is the embedding matrix (no `lm_head.weight` in the files).
	pub tie_word_embeddings: bool,
	/// Biases on the q, k and v projections (Qwen2; Llama's `attention_bias`).
	pub qkv_bias: bool,
	/// Bias on the output projection (Llama's `attention_bias` also sets it).
	pub o_bias: bool,
	/// Per-head RMS norms of queries and keys before RoPE (Qwen3).
	pub qk_norm: bool,
	pub bos_token_id: Option<u32>,
	/// End-of-sequence ids named by config.json (generation_config.json may add more).
	pub eos_token_ids: Vec<u32>,
}

impl ModelConfig {
	/// Reads `config.json` from a checkpoint directory.
	pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
		let path = dir.join(FILE);
		let value = read_json(&path)?;
		Self::from_json(&value)
	}

	/// Parses the contents of `config.json`.
	pub fn from_json(value: &Value) -> Result<Self, LoadError> {
		let obj = value.as_object().ok_or_else(|| field("(top level)", "is not a JSON object"))?;
		let classes = obj.get("architectures").and_then(Value::as_array).ok_or_else(|| {
			field(
				"architectures",
				"is missing: it names the model class, e.g. [\"Qwen2ForCausalLM\"]",
			)
		})?;
		let class = match classes.as_slice() {
			[Value::String(c)] => c.as_str(),
			_ => return Err(field("architectures", "must hold exactly one class name")),
		};
		let architecture =
			Architecture::from_class(class).ok_or_else(|| LoadError::Unsupported {
				file: FILE,
				field: "architectures".into(),
				value: format!("{class:?}"),
				why: "supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM".into(),
			})?;

		let hidden_size = positive(obj, "hidden_size")?;
		let num_heads = positive(obj, "num_attention_heads")?;
		let num_kv_heads = match obj.get("num_key_value_heads") {
			None | Some(Value::Null) => num_heads,
			Some(_) => positive(obj, "num_key_value_heads")?,
		};
		if num_heads % num_kv_heads != 0 {
			return Err(field(
				"num_key_value_heads",
				&format!("({num_kv_heads}) must divide num_attention_heads ({num_heads})"),
			));
		}
		let head_dim = match obj.get("head_dim") {
			None | Some(Value::Null) => {
				if hidden_size % num_heads != 0 {
					return Err(field(
						"hidden_size",
						&format!("({hidden_size}) is not a multiple of num_attention_heads ({num_heads}) and there is no head_dim"),
					));
				}
				hidden_size / num_heads
			},
			Some(_) => positive(obj, "head_dim")?,
		};
		if head_dim % 2 != 0 {
			return Err(field(
				"head_dim",
				&format!("({head_dim}) must be even for rotary embeddings"),
			));
		}

		let act = obj.get("hidden_act").and_then(Value::as_str).unwrap_or("silu");
		if act != "silu" {
			return Err(unsupported("hidden_act", act, "only SiLU (SwiGLU MLPs) is implemented"));
		}
		if obj.get("mlp_bias").and_then(Value::as_bool).unwrap_or(false) {
			return Err(unsupported("mlp_bias", "true", "MLP biases are not implemented"));
		}
		if obj.get("use_sliding_window").and_then(Value::as_bool).unwrap_or(false) {
			return Err(unsupported(
				"use_sliding_window",
				"true",
				"sliding-window attention is not implemented; every layer attends to the whole context",
			));
		}
		if let Some(types) = obj.get("layer_types").and_then(Value::as_array) {
			if let Some(other) = types.iter().find(|t| t.as_str() != Some("full_attention")) {
				return Err(unsupported(
					"layer_types",
					&other.to_string(),
					"only full_attention layers are implemented",
				));
			}
		}
		if let Some(tp) = obj.get("pretraining_tp").and_then(Value::as_u64) {
			if tp != 1 {
				return Err(unsupported(
					"pretraining_tp",
					&tp.to_string(),
					"only 1 is implemented",
				));
			}
		}

		let attention_bias = obj.get("attention_bias").and_then(Value::as_bool);
		let (qkv_bias, o_bias, qk_norm) = match architecture {
			Architecture::Llama => {
				(attention_bias.unwrap_or(false), attention_bias.unwrap_or(false), false)
			},
			// Qwen2 always has q/k/v biases and none on o_proj (transformers hard-codes it).
			Architecture::Qwen2 => (true, false, false),
			Architecture::Qwen3 => {
				(attention_bias.unwrap_or(false), attention_bias.unwrap_or(false), true)
			},
		};

		let (rope_theta, rope_scaling) = rope(obj)?;
		let eos_token_ids = token_ids(obj, "eos_token_id")?;
		let bos_token_id = token_ids(obj, "bos_token_id")?.first().copied();

		let config = ModelConfig {
			architecture,
			vocab_size: positive(obj, "vocab_size")?,
			hidden_size,
			intermediate_size: positive(obj, "intermediate_size")?,
			num_layers: positive(obj, "num_hidden_layers")?,
			num_heads,
			num_kv_heads,
			head_dim,
			rms_norm_eps: number(obj, "rms_norm_eps")?.unwrap_or(1e-6) as f32,
			rope_theta,
			rope_scaling,
			max_position_embeddings: positive(obj, "max_position_embeddings")?,
			tie_word_embeddings: obj
				.get("tie_word_embeddings")
				.and_then(Value::as_bool)
				.unwrap_or(false),
			qkv_bias,
			o_bias,
			qk_norm,
			bos_token_id,
			eos_token_ids,
		};
		if !(config.rms_norm_eps > 0.0 && config.rms_norm_eps < 1.0) {
			return Err(field(
				"rms_norm_eps",
				&format!("({}) must be in (0, 1)", config.rms_norm_eps),
			));
		}
		if let Some(bad) = config.eos_token_ids.iter().find(|&&id| id as usize >= config.vocab_size)
		{
			return Err(field(
				"eos_token_id",
				&format!("({bad}) is outside the vocabulary of {}", config.vocab_size),
			));
		}
		Ok(config)
	}

	/// Query heads per key/value head (grouped-query attention).
	pub fn group_size(&self) -> usize {
		self.num_heads / self.num_kv_heads
	}

	/// RoPE inverse frequencies, `head_dim / 2` of them, computed in f32 as transformers does.
	pub fn inv_freq(&self) -> Vec<f32> {
		let d = self.head_dim;
		let base: Vec<f32> =
			(0..d / 2).map(|i| 1.0 / self.rope_theta.powf((2 * i) as f32 / d as f32)).collect();
		match self.rope_scaling {
			RopeScaling::None => base,
			RopeScaling::Linear { factor } => base.into_iter().map(|f| f / factor).collect(),
			RopeScaling::Llama3 {
				factor,
				low_freq_factor,
				high_freq_factor,
				original_max_position,
			} => {
				let low_wavelen = original_max_position / low_freq_factor;
				let high_wavelen = original_max_position / high_freq_factor;
				base.into_iter()
					.map(|f| {
						let wavelen = 2.0 * std::f32::consts::PI / f;
						if wavelen < high_wavelen {
							f
						} else if wavelen > low_wavelen {
							f / factor
						} else {
							let smooth = (original_max_position / wavelen - low_freq_factor)
								/ (high_freq_factor - low_freq_factor);
							(1.0 - smooth) * f / factor + smooth * f
						}
					})
					.collect()
			},
		}
	}
}

/// Reads and parses a JSON file of the checkpoint.
pub(crate) fn read_json(path: &Path) -> Result<Value, LoadError> {
	let bytes =
		std::fs::read(path).map_err(|source| LoadError::Io { path: path.into(), source })?;
	serde_json::from_slice(&bytes).map_err(|source| LoadError::Json { path: path.into(), source })
}

fn field(name: &str, problem: &str) -> LoadError {
	LoadError::Field { file: FILE, field: name.into(), problem: problem.into() }
}

fn unsupported(name: &str, value: &str, why: &str) -> LoadError {
	LoadError::Unsupported { file: FILE, field: name.into(), value: value.into(), why: why.into() }
}

fn positive(obj: &Map<String, Value>, name: &str) -> Result<usize, LoadError> {
	match obj.get(name) {
		None | Some(Value::Null) => Err(field(name, "is missing")),
		Some(v) => match v.as_u64() {
			Some(n) if n > 0 && n <= u32::MAX as u64 => Ok(n as usize),
			_ => Err(field(name, &format!("must be a positive integer, not {v}"))),
		},
	}
}

fn number(obj: &Map<String, Value>, name: &str) -> Result<Option<f64>, LoadError> {
	match obj.get(name) {
		None | Some(Value::Null) => Ok(None),
		Some(v) => {
			v.as_f64().map(Some).ok_or_else(|| field(name, &format!("must be a number, not {v}")))
		},
	}
}

fn token_ids(obj: &Map<String, Value>, name: &str) -> Result<Vec<u32>, LoadError> {
	let one = |v: &Value| v.as_u64().filter(|&n| n <= u32::MAX as u64).map(|n| n as u32);
	match obj.get(name) {
		None | Some(Value::Null) => Ok(Vec::new()),
		Some(Value::Array(items)) => items
			.iter()
			.map(|v| one(v).ok_or_else(|| field(name, &format!("holds {v}, not a token id"))))
			.collect(),
		Some(v) => one(v)
			.map(|id| vec![id])
			.ok_or_else(|| field(name, &format!("must be a token id or a list of them, not {v}"))),
	}
}

/// `(theta, scaling)` from `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling`.
fn rope(obj: &Map<String, Value>) -> Result<(f32, RopeScaling), LoadError> {
	let (params, where_): (Option<&Map<String, Value>>, &str) = match obj.get("rope_parameters") {
		Some(Value::Object(p)) => (Some(p), "rope_parameters"),
		Some(Value::Null) | None => match obj.get("rope_scaling") {
			Some(Value::Object(p)) => (Some(p), "rope_scaling"),
			Some(Value::Null) | None => (None, "rope_scaling"),
			Some(v) => {
				return Err(field("rope_scaling", &format!("must be an object or null, not {v}")))
			},
		},
		Some(v) => return Err(field("rope_parameters", &format!("must be an object, not {v}"))),
	};
	let theta = match params.and_then(|p| p.get("rope_theta")) {
		Some(v) => {
			v.as_f64().ok_or_else(|| field(&format!("{where_}.rope_theta"), "must be a number"))?
		},
		None => number(obj, "rope_theta")?.unwrap_or(10_000.0),
	};
	if !(theta > 1.0 && theta.is_finite()) {
		return Err(field("rope_theta", &format!("({theta}) must be a finite number above 1")));
	}
	let Some(p) = params else { return Ok((theta as f32, RopeScaling::None)) };
	let kind =
		p.get("rope_type").or_else(|| p.get("type")).and_then(Value::as_str).unwrap_or("default");
	let get = |name: &str| -> Result<f32, LoadError> {
		p.get(name)
			.and_then(Value::as_f64)
			.filter(|v| v.is_finite() && *v > 0.0)
			.map(|v| v as f32)
			.ok_or_else(|| field(&format!("{where_}.{name}"), "must be a positive number"))
	};
	let scaling = match kind {
		"default" => RopeScaling::None,
		"linear" => RopeScaling::Linear { factor: get("factor")? },
		"llama3" => {
			let s = RopeScaling::Llama3 {
				factor: get("factor")?,
				low_freq_factor: get("low_freq_factor")?,
				high_freq_factor: get("high_freq_factor")?,
				original_max_position: get("original_max_position_embeddings")?,
			};
			if let RopeScaling::Llama3 { low_freq_factor, high_freq_factor, .. } = s {
				if high_freq_factor <= low_freq_factor {
					return Err(field(
						&format!("{where_}.high_freq_factor"),
						"must be above low_freq_factor",
					));
				}
			}
			s
		},
		other => {
			return Err(unsupported(
				&format!("{where_}.rope_type"),
				&format!("{other:?}"),
				"supported: default, linear, llama3",
			))
		},
	};
	Ok((theta as f32, scaling))
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;

	fn base() -> Value {
		json!({
			"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
			"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
			"vocab_size": 100, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
			"eos_token_id": [1, 2], "bos_token_id": 0
		})
	}

	fn with(key: &str, v: Value) -> Value {
		let mut b = base();
		b[key] = v;
		b
	}

	#[test]
	fn reads_llama() {
		let c = ModelConfig::from_json(&base()).unwrap();
		assert_eq!(c.architecture, Architecture::Llama);
		assert_eq!(c.head_dim, 16);
		assert_eq!(c.group_size(), 2);
		assert_eq!(c.eos_token_ids, vec![1, 2]);
		assert_eq!(c.rope_theta, 10_000.0);
		assert_eq!(c.rope_scaling, RopeScaling::None);
		assert!(!c.qkv_bias && !c.qk_norm);
	}

	#[test]
	fn both_rope_spellings_agree() {
		let v4 = with(
			"rope_scaling",
			json!({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
		);
		let mut v4 = v4;
		v4["rope_theta"] = json!(500000.0);
		let v5 = with(
			"rope_parameters",
			json!({"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
		);
		let a = ModelConfig::from_json(&v4).unwrap();
		let b = ModelConfig::from_json(&v5).unwrap();
		assert_eq!(a, b);
		assert_eq!(a.rope_theta, 500000.0);
		let f = a.inv_freq();
		let plain =
			ModelConfig::from_json(&with("rope_theta", json!(500000.0))).unwrap().inv_freq();
		// Highest frequency kept, lowest divided by the factor, the ones between smoothed.
		assert_eq!(f[0], plain[0]);
		assert!((f[7] - plain[7] / 8.0).abs() < 1e-12);
		assert!(f.iter().zip(&plain).any(|(s, p)| s < p && *s > p / 8.0));
	}

	#[test]
	fn refuses_what_it_would_compute_wrong() {
		let cases = [
			(with("architectures", json!(["MistralForCausalLM"])), "architectures"),
			(with("architectures", json!("LlamaForCausalLM")), "architectures"),
			(with("hidden_act", json!("gelu")), "hidden_act"),
			(with("use_sliding_window", json!(true)), "use_sliding_window"),
			(with("num_key_value_heads", json!(3)), "num_key_value_heads"),
			(with("hidden_size", json!(0)), "hidden_size"),
			(with("vocab_size", json!("many")), "vocab_size"),
			(
				with("rope_scaling", json!({"rope_type": "yarn", "factor": 4.0})),
				"rope_scaling.rope_type",
			),
			(
				with("rope_parameters", json!({"rope_type": "llama3", "factor": 8.0})),
				"rope_parameters.low_freq_factor",
			),
			(with("eos_token_id", json!(100)), "eos_token_id"),
			(with("head_dim", json!(15)), "head_dim"),
		];
		for (value, name) in cases {
			let err = ModelConfig::from_json(&value).unwrap_err();
			let f = match &err {
				LoadError::Field { field, .. } | LoadError::Unsupported { field, .. } => {
					field.clone()
				},
				other => panic!("{other}"),
			};
			assert_eq!(f, name, "{err}");
		}
		let mut missing = base();
		missing.as_object_mut().unwrap().remove("intermediate_size");
		assert!(ModelConfig::from_json(&missing)
			.unwrap_err()
			.to_string()
			.contains("`intermediate_size` is missing"));
	}

	#[test]
	fn qwen_families() {
		let q2 =
			ModelConfig::from_json(&with("architectures", json!(["Qwen2ForCausalLM"]))).unwrap();
		assert!(q2.qkv_bias && !q2.o_bias && !q2.qk_norm);
		let mut q3 = with("architectures", json!(["Qwen3ForCausalLM"]));
		q3["head_dim"] = json!(32);
		let q3 = ModelConfig::from_json(&q3).unwrap();
		assert!(q3.qk_norm && !q3.qkv_bias);
		assert_eq!(q3.head_dim, 32);
	}
}
