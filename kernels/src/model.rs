//! The epoch's seeded model, independent of any backend: the pool, the tensor walks, the
//! target, the rotary tables and the inputs. Backends build their weights from it.

use rayon::prelude::*;

use crate::{
	chacha,
	config::ModelConfig,
	error::KernelError,
	hash::{self, HostKey, Seed},
};

/// RMSNorm epsilon, added to the mean square before the inverse square root.
pub const RMS_NORM_EPS: f64 = 1e-5;

/// Rotary embedding base θ.
pub const ROPE_BASE: f64 = 10_000.0;

/// Pool values generated per ChaCha20 block: 16 words, two words per pair of values.
const VALUES_PER_BLOCK: usize = 16;

/// What a weight tensor does in a decoder block, in the order of [`TENSORS_PER_LAYER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TensorKind {
	/// Query projection `[d, d]`.
	Wq,
	/// Key projection `[d, d]`.
	Wk,
	/// Value projection `[d, d]`.
	Wv,
	/// Attention output projection `[d, d]`.
	Wo,
	/// SwiGLU gate projection `[f, d]`.
	W1,
	/// SwiGLU down projection `[d, f]`.
	W2,
	/// SwiGLU up projection `[f, d]`.
	W3,
	/// The output projection `[k, d]` after the final norm.
	Output,
}

/// The tensors of one decoder block, in fill order.
pub const TENSORS_PER_LAYER: [TensorKind; 7] = [
	TensorKind::Wq,
	TensorKind::Wk,
	TensorKind::Wv,
	TensorKind::Wo,
	TensorKind::W1,
	TensorKind::W2,
	TensorKind::W3,
];

/// One filled weight tensor: its name (which keys its walk), shape `[rows, cols]` =
/// `[out_features, in_features]` (as `torch.nn.Linear.weight`), and walk.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
	/// The tensor's name, e.g. `layers.3.attention.wq` (ASCII, layers from 0, no padding).
	pub name: String,
	pub kind: TensorKind,
	/// Output features.
	pub rows: usize,
	/// Input features = fan-in.
	pub cols: usize,
	/// First pool index of the walk.
	pub offset: u64,
	/// Step of the walk (odd).
	pub stride: u64,
	/// `1/sqrt(fan_in)` rounded to f32.
	pub scale: f32,
}

impl TensorSpec {
	/// Number of elements.
	pub fn len(&self) -> usize {
		self.rows * self.cols
	}

	/// Whether the tensor has no elements (never, for a valid config).
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}
}

/// The name of a tensor of layer `layer` (ignored for [`TensorKind::Output`]).
pub fn tensor_name(kind: TensorKind, layer: u32) -> String {
	match kind {
		TensorKind::Wq => format!("layers.{layer}.attention.wq"),
		TensorKind::Wk => format!("layers.{layer}.attention.wk"),
		TensorKind::Wv => format!("layers.{layer}.attention.wv"),
		TensorKind::Wo => format!("layers.{layer}.attention.wo"),
		TensorKind::W1 => format!("layers.{layer}.feed_forward.w1"),
		TensorKind::W2 => format!("layers.{layer}.feed_forward.w2"),
		TensorKind::W3 => format!("layers.{layer}.feed_forward.w3"),
		TensorKind::Output => "output".to_string(),
	}
}

/// `1/sqrt(fan_in)`, computed in f64 and rounded to f32.
pub fn init_scale(fan_in: usize) -> f32 {
	(1.0 / (fan_in as f64).sqrt()) as f32
}

/// The Box–Muller transform of two ChaCha20 words into two standard normals, computed in f64
/// and rounded to f32: `u1 = (a + 1) / 2^32 ∈ (0, 1]`, `u2 = b / 2^32 ∈ [0, 1)`,
/// `r = sqrt(-2 ln u1)`, `θ = 2π u2`, values `(r cos θ, r sin θ)`.
#[inline]
pub fn box_muller(a: u32, b: u32) -> (f32, f32) {
	const TWO_POW_32: f64 = 4_294_967_296.0;
	let u1 = (a as f64 + 1.0) / TWO_POW_32;
	let u2 = b as f64 / TWO_POW_32;
	let r = (-2.0 * u1.ln()).sqrt();
	let theta = 2.0 * std::f64::consts::PI * u2;
	((r * theta.cos()) as f32, (r * theta.sin()) as f32)
}

/// The pool: `P` standard normals. Value `16·i + 2·j` and `16·i + 2·j + 1` are the Box–Muller
/// pair of words `2·j`, `2·j + 1` of ChaCha20 block `i` under the pool key.
pub fn generate_pool(seed: &Seed, pool_size: u64) -> Vec<f32> {
	let key = hash::pool_key(seed);
	let mut pool = vec![0f32; pool_size as usize];
	// 64 blocks (1,024 values) per task.
	pool.par_chunks_mut(VALUES_PER_BLOCK * 64).enumerate().for_each(|(chunk, out)| {
		for (b, values) in out.chunks_mut(VALUES_PER_BLOCK).enumerate() {
			let words = chacha::block(&key, (chunk * 64 + b) as u64);
			for (j, pair) in values.chunks_mut(2).enumerate() {
				let (z0, z1) = box_muller(words[2 * j], words[2 * j + 1]);
				pair[0] = z0;
				if pair.len() > 1 {
					pair[1] = z1;
				}
			}
		}
	});
	pool
}

/// Everything about an epoch's model that does not depend on the backend.
pub struct EpochModel {
	pub config: ModelConfig,
	pub seed: Seed,
	/// The pool, `config.pool_size` values.
	pub pool: Vec<f32>,
	/// The unit target vector, `out_dim` values.
	pub target: Vec<f32>,
	/// Rotary cosines, `[seq_len, head_dim / 2]` row-major.
	pub rope_cos: Vec<f32>,
	/// Rotary sines, `[seq_len, head_dim / 2]` row-major.
	pub rope_sin: Vec<f32>,
	/// The filled tensors: layer 0's seven in [`TENSORS_PER_LAYER`] order, then layer 1's, ...,
	/// then `output`.
	pub tensors: Vec<TensorSpec>,
}

impl EpochModel {
	/// Builds the epoch's pool, target and tables; checks the config first.
	pub fn new(config: ModelConfig, seed: Seed) -> Result<Self, KernelError> {
		config.validate()?;
		let pool = generate_pool(&seed, config.pool_size);
		let (d, f, k) = (config.dim as usize, config.ffn_dim as usize, config.out_dim as usize);

		let toff = hash::target_offset(&seed, config.pool_size);
		let mask = config.pool_size - 1;
		let raw: Vec<f32> = (0..k as u64).map(|j| pool[((toff + j) & mask) as usize]).collect();
		let target = normalize(&raw);

		let (rope_cos, rope_sin) = rope_tables(config.seq_len as usize, config.head_dim());

		let mut tensors = Vec::with_capacity(config.layers as usize * 7 + 1);
		let spec = |kind, layer, rows, cols| {
			let name = tensor_name(kind, layer);
			let (offset, stride) = hash::tensor_walk(&seed, &name, config.pool_size);
			TensorSpec { name, kind, rows, cols, offset, stride, scale: init_scale(cols) }
		};
		for layer in 0..config.layers {
			for kind in TENSORS_PER_LAYER {
				let (rows, cols) = match kind {
					TensorKind::Wq | TensorKind::Wk | TensorKind::Wv | TensorKind::Wo => (d, d),
					TensorKind::W1 | TensorKind::W3 => (f, d),
					TensorKind::W2 => (d, f),
					TensorKind::Output => unreachable!("not a layer tensor"),
				};
				tensors.push(spec(kind, layer, rows, cols));
			}
		}
		tensors.push(spec(TensorKind::Output, 0, k, d));
		Ok(Self { config, seed, pool, target, rope_cos, rope_sin, tensors })
	}

	/// Fills `out` (row-major, `spec.len()` values) with the tensor:
	/// `out[i] = pool[(offset + i·stride) mod P] · scale`, the product in f32.
	pub fn fill(&self, spec: &TensorSpec, out: &mut [f32]) {
		assert_eq!(out.len(), spec.len(), "fill: buffer size");
		let mask = self.config.pool_size - 1;
		let pool = &self.pool;
		out.par_chunks_mut(1 << 14).enumerate().for_each(|(c, chunk)| {
			let base = (c as u64) << 14;
			for (i, v) in chunk.iter_mut().enumerate() {
				let idx =
					spec.offset.wrapping_add((base + i as u64).wrapping_mul(spec.stride)) & mask;
				*v = pool[idx as usize] * spec.scale;
			}
		});
	}

	/// Pool offset of the input of `(pk, nonce)`.
	pub fn input_offset(&self, pk: &HostKey, nonce: u64) -> u64 {
		hash::input_offset(&self.seed, pk, nonce, self.config.pool_size)
	}

	/// Writes the input of `(pk, nonce)` into `out` (`seq_len · dim` values, row-major
	/// `[seq_len, dim]`): `out[j] = pool[(offset + j) mod P]`.
	pub fn input(&self, pk: &HostKey, nonce: u64, out: &mut [f32]) {
		let off = self.input_offset(pk, nonce) as usize;
		let p = self.pool.len();
		let n = out.len();
		// The walk wraps at most once (P ≥ s·d): two contiguous copies.
		let first = n.min(p - off);
		out[..first].copy_from_slice(&self.pool[off..off + first]);
		out[first..].copy_from_slice(&self.pool[..n - first]);
	}
}

/// `x / ‖x‖₂`: the norm and the quotients in f64, each rounded to f32.
pub fn normalize(x: &[f32]) -> Vec<f32> {
	let norm = x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
	x.iter().map(|&v| (v as f64 / norm) as f32).collect()
}

/// `‖v − t‖₂`: differences, squares and sum in f64, rounded to f32.
pub fn distance(v: &[f32], t: &[f32]) -> f32 {
	v.iter()
		.zip(t)
		.map(|(&a, &b)| {
			let d = a as f64 - b as f64;
			d * d
		})
		.sum::<f64>()
		.sqrt() as f32
}

/// Rotary tables `[seq_len, head_dim/2]`: `cos(p · θ^(-2i/head_dim))` and `sin(...)` for position
/// `p` and pair `i`, in f64, rounded to f32.
pub fn rope_tables(seq_len: usize, head_dim: usize) -> (Vec<f32>, Vec<f32>) {
	let half = head_dim / 2;
	let mut cos = Vec::with_capacity(seq_len * half);
	let mut sin = Vec::with_capacity(seq_len * half);
	for p in 0..seq_len {
		for i in 0..half {
			let inv_freq = ROPE_BASE.powf(-((2 * i) as f64) / head_dim as f64);
			let angle = p as f64 * inv_freq;
			cos.push(angle.cos() as f32);
			sin.push(angle.sin() as f32);
		}
	}
	(cos, sin)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn pool_is_standard_normal() {
		let pool = generate_pool(&[3; 32], 1 << 16);
		let n = pool.len() as f64;
		let mean = pool.iter().map(|&v| v as f64).sum::<f64>() / n;
		let var = pool.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
		// Standard errors: 1/256 for the mean, ~0.0055 for the variance.
		assert!(mean.abs() < 0.02, "mean {mean}");
		assert!((var - 1.0).abs() < 0.03, "variance {var}");
		assert!(pool.iter().all(|v| v.is_finite() && v.abs() < 6.7));
	}

	#[test]
	fn pool_is_counter_based() {
		// Value 16·i + 2j comes from block i alone.
		let seed = [9; 32];
		let pool = generate_pool(&seed, 1 << 16);
		let words = chacha::block(&hash::pool_key(&seed), 1000);
		let (z0, z1) = box_muller(words[6], words[7]);
		assert_eq!(pool[16 * 1000 + 6].to_bits(), z0.to_bits());
		assert_eq!(pool[16 * 1000 + 7].to_bits(), z1.to_bits());
	}

	#[test]
	fn fill_walks_the_pool() {
		let model = EpochModel::new(ModelConfig::tiny(), [1; 32]).unwrap();
		let spec = &model.tensors[5];
		assert_eq!(spec.name, "layers.0.feed_forward.w2");
		assert_eq!((spec.rows, spec.cols), (64, 256));
		assert_eq!(spec.scale, 1.0 / 16.0);
		let mut w = vec![0f32; spec.len()];
		model.fill(spec, &mut w);
		for i in [0usize, 1, 777, spec.len() - 1] {
			let idx = (spec.offset + i as u64 * spec.stride) % model.config.pool_size;
			assert_eq!(w[i], model.pool[idx as usize] / 16.0);
		}
		assert_eq!(model.tensors.len(), 2 * 7 + 1);
		assert_eq!(model.tensors.last().unwrap().name, "output");
	}

	#[test]
	fn input_wraps_around_the_pool() {
		let model = EpochModel::new(ModelConfig::tiny(), [1; 32]).unwrap();
		let n = 16 * 64;
		let (pk, p) = (&[2u8; 32], model.pool.len());
		// Find a nonce whose input wraps.
		let nonce = (0u64..).find(|&nonce| model.input_offset(pk, nonce) as usize + n > p).unwrap();
		let off = model.input_offset(pk, nonce) as usize;
		let mut x = vec![0f32; n];
		model.input(pk, nonce, &mut x);
		for (j, v) in x.iter().enumerate() {
			assert_eq!(*v, model.pool[(off + j) % p]);
		}
	}

	#[test]
	fn target_is_a_unit_vector() {
		let model = EpochModel::new(ModelConfig::tiny(), [4; 32]).unwrap();
		let norm: f64 = model.target.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
		assert!((norm - 1.0).abs() < 1e-6);
		assert_eq!(distance(&model.target, &model.target), 0.0);
	}

	#[test]
	fn rope_tables_start_at_identity() {
		let (cos, sin) = rope_tables(4, 8);
		assert_eq!(&cos[..4], &[1.0; 4]);
		assert_eq!(&sin[..4], &[0.0; 4]);
		// Position 1, pair 0: angle 1 rad.
		assert_eq!(cos[4], 1f64.cos() as f32);
		// Position 1, pair 1: θ^(-2/8) = 10^-1.
		assert!((sin[5] as f64 - 0.1f64.sin()).abs() < 1e-7);
	}
}
