//! The checkpoint's tensors: `model.safetensors`, or the shards named by
//! `model.safetensors.index.json`, in f32, f16 or bf16, read through a memory map and handed out
//! as f32 (exactly: both half formats widen to f32 without rounding).

use std::{
	collections::HashMap,
	fs::File,
	path::{Path, PathBuf},
};

use safetensors::{tensor::Dtype, SafeTensors};
use serde_json::Value;

use crate::{config::read_json, error::LoadError};

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

/// Every tensor of a checkpoint by name.
#[derive(Debug, Default)]
pub struct Weights {
	tensors: HashMap<String, Tensor>,
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
			let bytes = view.data();
			let data: Vec<f32> = match stored {
				StoredDtype::F32 => bytes
					.chunks_exact(4)
					.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
					.collect(),
				StoredDtype::F16 => bytes
					.chunks_exact(2)
					.map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
					.collect(),
				StoredDtype::BF16 => bytes
					.chunks_exact(2)
					.map(|b| half::bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
					.collect(),
			};
			let shape = view.shape().to_vec();
			if self.tensors.insert(name.clone(), Tensor { shape, data, stored }).is_some() {
				return Err(LoadError::Tensor {
					name,
					problem: format!("appears twice (again in {})", path.display()),
				});
			}
		}
		Ok(())
	}

	/// Takes a tensor out, checking its shape.
	pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Tensor, LoadError> {
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
