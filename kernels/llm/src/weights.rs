//! The checkpoint's tensors: `model.safetensors`, or the shards named by
//! `model.safetensors.index.json`, in f32, f16 or bf16, read through a memory map and handed out
//! as f32 (exactly: both half formats widen to f32 without rounding) or as stored (the torch
//! backend uploads the bytes and casts on the device, so a bf16 checkpoint never takes f32 room in
//! host memory).

use std::{
	collections::HashMap,
	fs::File,
	path::{Path, PathBuf},
};

use safetensors::{tensor::Dtype, SafeTensors};
use serde_json::Value;

use crate::{
	config::{read_json, ModelConfig},
	error::LoadError,
};

/// The storage type of a tensor in the files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredDtype {
	F32,
	F16,
	BF16,
}

/// One tensor, widened to f32, row-major.
#[derive(Clone, Debug)]
pub struct Tensor {
	pub shape: Vec<usize>,
	pub data: Vec<f32>,
	pub stored: StoredDtype,
}

/// One tensor as stored: little-endian bytes of `stored`, row-major.
#[derive(Clone, Debug)]
pub struct RawTensor {
	pub shape: Vec<usize>,
	pub stored: StoredDtype,
	pub bytes: Vec<u8>,
}

impl RawTensor {
	/// The values widened to f32 (exact for all three types).
	pub fn to_f32(&self) -> Vec<f32> {
		let b = &self.bytes;
		match self.stored {
			StoredDtype::F32 => {
				b.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
			},
			StoredDtype::F16 => b
				.chunks_exact(2)
				.map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
				.collect(),
			StoredDtype::BF16 => b
				.chunks_exact(2)
				.map(|b| half::bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
				.collect(),
		}
	}
}

/// Every tensor of a checkpoint by name.
#[derive(Debug, Default)]
pub struct Weights {
	tensors: HashMap<String, RawTensor>,
	/// The files they came from, in order (for hashing and messages).
	pub files: Vec<PathBuf>,
}

impl Weights {
	/// Loads `model.safetensors` or, when there is an index, every shard it names.
	pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
		let index = dir.join("model.safetensors.index.json");
		let files = if index.exists() {
			shard_files(dir, &index)?
		} else {
			let single = dir.join("model.safetensors");
			if !single.exists() {
				return Err(LoadError::Tensor {
					name: "(all)".into(),
					problem: format!(
						"no model.safetensors or model.safetensors.index.json in {} (PyTorch .bin checkpoints are not read; convert them to safetensors)",
						dir.display()
					),
				});
			}
			vec![single]
		};
		let mut weights = Weights { tensors: HashMap::new(), files: files.clone() };
		for path in &files {
			weights.read_file(path)?;
		}
		Ok(weights)
	}

	fn read_file(&mut self, path: &Path) -> Result<(), LoadError> {
		let file =
			File::open(path).map_err(|source| LoadError::Io { path: path.into(), source })?;
		// SAFETY: the map is read-only and dropped before this function returns; a checkpoint
		// modified while it loads gives wrong numbers (caught by the weight hashes), not UB in safe
		// code that outlives the map.
		let map = unsafe { memmap2::Mmap::map(&file) }
			.map_err(|source| LoadError::Io { path: path.into(), source })?;
		let st = SafeTensors::deserialize(&map)
			.map_err(|e| LoadError::Safetensors { path: path.into(), why: format!("{e:?}") })?;
		for (name, view) in st.tensors() {
			let stored = match view.dtype() {
				Dtype::F32 => StoredDtype::F32,
				Dtype::F16 => StoredDtype::F16,
				Dtype::BF16 => StoredDtype::BF16,
				other => {
					return Err(LoadError::Tensor {
						name,
						problem: format!("has dtype {other:?}; supported: F32, F16, BF16 (quantized checkpoints are not)"),
					})
				},
			};
			let bytes = view.data().to_vec();
			let shape = view.shape().to_vec();
			if self.tensors.insert(name.clone(), RawTensor { shape, stored, bytes }).is_some() {
				return Err(LoadError::Tensor {
					name,
					problem: format!("appears twice (again in {})", path.display()),
				});
			}
		}
		Ok(())
	}

	/// Takes a tensor out, checking its shape, widened to f32.
	pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Tensor, LoadError> {
		let t = self.take_raw(name, shape)?;
		Ok(Tensor { data: t.to_f32(), shape: t.shape, stored: t.stored })
	}

	/// Takes a tensor out as stored, checking its shape.
	pub fn take_raw(&mut self, name: &str, shape: &[usize]) -> Result<RawTensor, LoadError> {
		let t = self.tensors.remove(name).ok_or_else(|| LoadError::Tensor {
			name: name.into(),
			problem: "is missing from the checkpoint".into(),
		})?;
		if t.shape != shape {
			return Err(LoadError::Tensor {
				name: name.into(),
				problem: format!("has shape {:?}; config.json implies {:?}", t.shape, shape),
			});
		}
		Ok(t)
	}

	/// Whether a tensor is present.
	pub fn contains(&self, name: &str) -> bool {
		self.tensors.contains_key(name)
	}

	/// Names not taken yet (a checkpoint with tensors the model does not use is suspect).
	pub fn remaining(&self) -> Vec<&str> {
		let mut names: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
		names.sort_unstable();
		names
	}
	/// The output projection: `lm_head.weight`, or `None` when config.json ties it to the
	/// embeddings. Some tied checkpoints store the copy anyway; it must then equal `embed`.
	pub fn take_lm_head(
		&mut self,
		config: &ModelConfig,
		embed: &RawTensor,
	) -> Result<Option<RawTensor>, LoadError> {
		let shape = [config.vocab_size, config.hidden_size];
		if config.tie_word_embeddings {
			if self.contains("lm_head.weight") {
				let copy = self.take_raw("lm_head.weight", &shape)?;
				if copy.to_f32() != embed.to_f32() {
					return Err(LoadError::Tensor {
						name: "lm_head.weight".into(),
						problem: "differs from model.embed_tokens.weight although config.json says tie_word_embeddings".into(),
					});
				}
			}
			return Ok(None);
		}
		self.take_raw("lm_head.weight", &shape).map(Some).map_err(|e| match e {
			LoadError::Tensor { name, .. } => LoadError::Tensor {
				name,
				problem: "is missing; config.json says tie_word_embeddings is false (set it true if the output projection is the embedding matrix)".into(),
			},
			other => other,
		})
	}

	/// After a backend took every tensor it needs: refuses a checkpoint with tensors left over
	/// (rotary caches, which are computed, excepted) — it is not the architecture config.json
	/// names.
	pub fn finish(&self, config: &ModelConfig) -> Result<(), LoadError> {
		let left: Vec<&str> =
			self.remaining().into_iter().filter(|n| !n.ends_with("rotary_emb.inv_freq")).collect();
		match left.first() {
			None => Ok(()),
			Some(first) => Err(LoadError::Tensor {
				name: first.to_string(),
				problem: format!(
					"is not used by {} ({} unused tensors in all); this checkpoint is not the architecture config.json names",
					config.architecture.class_name(),
					left.len()
				),
			}),
		}
	}
}

fn shard_files(dir: &Path, index: &Path) -> Result<Vec<PathBuf>, LoadError> {
	let value = read_json(index)?;
	let map =
		value.get("weight_map").and_then(Value::as_object).ok_or_else(|| LoadError::Field {
			file: "model.safetensors.index.json",
			field: "weight_map".into(),
			problem: "is missing or not an object".into(),
		})?;
	let mut files: Vec<String> = Vec::new();
	for (tensor, file) in map {
		let file = file.as_str().ok_or_else(|| LoadError::Field {
			file: "model.safetensors.index.json",
			field: format!("weight_map.{tensor}"),
			problem: "must be a file name".into(),
		})?;
		if file.contains('/') || file.contains('\\') || file.starts_with('.') {
			return Err(LoadError::Field {
				file: "model.safetensors.index.json",
				field: format!("weight_map.{tensor}"),
				problem: format!("names {file:?}, which is not a file of this directory"),
			});
		}
		if !files.iter().any(|f| f == file) {
			files.push(file.to_string());
		}
	}
	files.sort();
	Ok(files.into_iter().map(|f| dir.join(f)).collect())
}
