//! The CPU reference backend: pure Rust, f32, `ndarray` (matrix products by `matrixmultiply`, no
//! BLAS), several nonces per matrix product, chunks of nonces in parallel on a rayon pool.
//!
//! Deterministic bit for bit on one machine: a nonce's distance does not depend on the batch it
//! is computed in, the chunking, or the number of threads (each nonce's rows are computed by one
//! thread, and every row of a matrix product is computed the same way whatever the other rows).
//! Across machines `matrixmultiply` picks its kernel by CPU features (AVX-512, FMA, AVX, SSE2),
//! so the last bits may differ: agreement within `ε` (PROTOCOL §4.5) is the contract.

use std::sync::Arc;

use ndarray::{linalg::general_mat_mul, s, Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::{
	backend::Backend,
	config::ModelConfig,
	error::KernelError,
	hash::{HostKey, Seed},
	model::{self, EpochModel, TensorKind, RMS_NORM_EPS},
};

/// Rows (positions × nonces) per matrix product a chunk aims for: enough to amortise the packing
/// of the weights, small enough to keep the activations in cache.
const ROWS_PER_CHUNK: usize = 512;

/// The largest batch one `distances` call accepts.
pub const MAX_BATCH: usize = 1 << 16;

struct LayerWeights {
	/// `[wq; wk; wv]`, `[3d, d]`.
	wqkv: Array2<f32>,
	/// `[d, d]`.
	wo: Array2<f32>,
	/// `[w1; w3]`, `[2f, d]`.
	w13: Array2<f32>,
	/// `[d, f]`.
	w2: Array2<f32>,
}

/// The epoch's model with its weights in memory, f32.
pub struct CpuModel {
	pub epoch: EpochModel,
	layers: Vec<LayerWeights>,
	/// `[k, d]`.
	output: Array2<f32>,
}

impl CpuModel {
	/// Builds the pool and fills every tensor (for `h100`, 1.08 GB of f32).
	pub fn new(config: ModelConfig, seed: Seed) -> Result<Self, KernelError> {
		let epoch = EpochModel::new(config, seed)?;
		let (d, f, k) = (config.dim as usize, config.ffn_dim as usize, config.out_dim as usize);
		let mut layers = Vec::with_capacity(config.layers as usize);
		for chunk in epoch.tensors[..epoch.tensors.len() - 1].chunks(7) {
			let mut l = LayerWeights {
				wqkv: Array2::zeros((3 * d, d)),
				wo: Array2::zeros((d, d)),
				w13: Array2::zeros((2 * f, d)),
				w2: Array2::zeros((d, f)),
			};
			for spec in chunk {
				let (buf, row) = match spec.kind {
					TensorKind::Wq => (&mut l.wqkv, 0),
					TensorKind::Wk => (&mut l.wqkv, d),
					TensorKind::Wv => (&mut l.wqkv, 2 * d),
					TensorKind::Wo => (&mut l.wo, 0),
					TensorKind::W1 => (&mut l.w13, 0),
					TensorKind::W3 => (&mut l.w13, f),
					TensorKind::W2 => (&mut l.w2, 0),
					TensorKind::Output => unreachable!("output is last"),
				};
				let cols = buf.ncols();
				let flat = buf.as_slice_mut().expect("standard layout");
				epoch.fill(spec, &mut flat[row * cols..row * cols + spec.len()]);
			}
			layers.push(l);
		}
		let mut output = Array2::zeros((k, d));
		let out_spec = epoch.tensors.last().expect("output tensor");
		epoch.fill(out_spec, output.as_slice_mut().expect("standard layout"));
		Ok(Self { epoch, layers, output })
	}

	/// Distances of a few nonces, on the calling thread (one matrix product per layer and
	/// projection for all of them).
	pub fn distances_chunk(&self, pk: &HostKey, nonces: &[u64], out: &mut [f32]) {
		let c = &self.epoch.config;
		let (s, d, f, heads, hd) = (
			c.seq_len as usize,
			c.dim as usize,
			c.ffn_dim as usize,
			c.heads as usize,
			c.head_dim(),
		);
		let b = nonces.len();
		let rows = b * s;
		let mut x = Array2::<f32>::zeros((rows, d));
		{
			let flat = x.as_slice_mut().expect("standard layout");
			for (i, &nonce) in nonces.iter().enumerate() {
				self.epoch.input(pk, nonce, &mut flat[i * s * d..(i + 1) * s * d]);
			}
		}
		let mut xn = Array2::<f32>::zeros((rows, d));
		let mut qkv = Array2::<f32>::zeros((rows, 3 * d));
		let mut attn = Array2::<f32>::zeros((rows, d));
		let mut scores = Array2::<f32>::zeros((s, s));
		let mut gu = Array2::<f32>::zeros((rows, 2 * f));
		let mut hidden = Array2::<f32>::zeros((rows, f));
		let scale = model::init_scale(hd);

		for layer in &self.layers {
			// Attention block.
			rms_norm(x.view(), xn.view_mut());
			general_mat_mul(1.0, &xn, &layer.wqkv.t(), 0.0, &mut qkv);
			self.rope(&mut qkv);
			for n in 0..b {
				let r = n * s..(n + 1) * s;
				for h in 0..heads {
					let q = qkv.slice(s![r.clone(), h * hd..(h + 1) * hd]);
					let k = qkv.slice(s![r.clone(), d + h * hd..d + (h + 1) * hd]);
					let v = qkv.slice(s![r.clone(), 2 * d + h * hd..2 * d + (h + 1) * hd]);
					general_mat_mul(1.0, &q, &k.t(), 0.0, &mut scores);
					causal_softmax(&mut scores, scale);
					let mut o = attn.slice_mut(s![r.clone(), h * hd..(h + 1) * hd]);
					general_mat_mul(1.0, &scores, &v, 0.0, &mut o);
				}
			}
			// x ← x + attn · woᵀ
			general_mat_mul(1.0, &attn, &layer.wo.t(), 1.0, &mut x);

			// Feed-forward block.
			rms_norm(x.view(), xn.view_mut());
			general_mat_mul(1.0, &xn, &layer.w13.t(), 0.0, &mut gu);
			swiglu(gu.view(), hidden.view_mut());
			// x ← x + hidden · w2ᵀ
			general_mat_mul(1.0, &hidden, &layer.w2.t(), 1.0, &mut x);
		}

		// Final norm and projection of the last position of each nonce.
		let mut last = Array2::<f32>::zeros((b, d));
		for n in 0..b {
			last.row_mut(n).assign(&x.row(n * s + s - 1));
		}
		let mut last_n = Array2::<f32>::zeros((b, d));
		rms_norm(last.view(), last_n.view_mut());
		let mut y = Array2::<f32>::zeros((b, c.out_dim as usize));
		general_mat_mul(1.0, &last_n, &self.output.t(), 0.0, &mut y);
		for (n, row) in y.rows().into_iter().enumerate() {
			let v = model::normalize(row.as_slice().expect("standard layout"));
			out[n] = model::distance(&v, &self.epoch.target);
		}
	}

	/// Rotary embedding of the query and key columns of `qkv`, in place: for position `p`
	/// (row mod `seq_len`), head `h` and pair `i < head_dim/2`, channels `a = h·hd + i` and
	/// `b = a + hd/2` become `(a·cos − b·sin, a·sin + b·cos)`, each product and sum in f32.
	fn rope(&self, qkv: &mut Array2<f32>) {
		let c = &self.epoch.config;
		let (s, d, hd) = (c.seq_len as usize, c.dim as usize, c.head_dim());
		let half = hd / 2;
		let (cos, sin) = (&self.epoch.rope_cos, &self.epoch.rope_sin);
		for (r, mut row) in qkv.rows_mut().into_iter().enumerate() {
			let p = r % s;
			let (cos, sin) = (&cos[p * half..(p + 1) * half], &sin[p * half..(p + 1) * half]);
			let row = row.as_slice_mut().expect("standard layout");
			for head_start in (0..2 * d).step_by(hd) {
				let (lo, hi) = row[head_start..head_start + hd].split_at_mut(half);
				for i in 0..half {
					let (a, b) = (lo[i], hi[i]);
					lo[i] = a * cos[i] - b * sin[i];
					hi[i] = a * sin[i] + b * cos[i];
				}
			}
		}
	}
}

/// RMSNorm of each row (norm weights are 1): `y = x / sqrt(mean(x²) + ε)`, the mean and the
/// quotient in f64, rounded to f32.
fn rms_norm(x: ArrayView2<f32>, mut y: ArrayViewMut2<f32>) {
	let d = x.ncols() as f64;
	for (xr, mut yr) in x.rows().into_iter().zip(y.rows_mut()) {
		let ms = xr.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / d;
		let inv = 1.0 / (ms + RMS_NORM_EPS).sqrt();
		for (o, &v) in yr.iter_mut().zip(xr.iter()) {
			*o = (v as f64 * inv) as f32;
		}
	}
}

/// Scaled causal softmax of a `[s, s]` score matrix, in place: row `i` keeps columns `j ≤ i`,
/// `z = score · scale` (f32), `e = exp(z − max z)` (f32), `p = e / Σe` (sum and quotient in f64,
/// rounded to f32); columns `j > i` become 0.
fn causal_softmax(scores: &mut Array2<f32>, scale: f32) {
	for (i, mut row) in scores.rows_mut().into_iter().enumerate() {
		let row = row.as_slice_mut().expect("standard layout");
		let (keep, masked) = row.split_at_mut(i + 1);
		let mut max = f32::NEG_INFINITY;
		for v in keep.iter_mut() {
			*v *= scale;
			max = max.max(*v);
		}
		let mut sum = 0f64;
		for v in keep.iter_mut() {
			*v = (*v - max).exp();
			sum += *v as f64;
		}
		for v in keep.iter_mut() {
			*v = (*v as f64 / sum) as f32;
		}
		masked.fill(0.0);
	}
}

/// SwiGLU: `hidden = silu(g) · u` with `g, u` the two halves of `gu` and
/// `silu(g) = g / (1 + exp(−g))`, all in f32.
fn swiglu(gu: ArrayView2<f32>, mut hidden: ArrayViewMut2<f32>) {
	let f = hidden.ncols();
	for (src, mut dst) in gu.rows().into_iter().zip(hidden.rows_mut()) {
		let src = src.as_slice().expect("standard layout");
		let (g, u) = src.split_at(f);
		for ((o, &g), &u) in dst.iter_mut().zip(g).zip(u) {
			*o = g / (1.0 + (-g).exp()) * u;
		}
	}
}

/// The CPU reference backend.
pub struct CpuBackend {
	config: ModelConfig,
	pool: Arc<rayon::ThreadPool>,
	model: Option<CpuModel>,
}

impl CpuBackend {
	/// A backend on all cores.
	pub fn new(config: ModelConfig) -> Result<Self, KernelError> {
		Self::with_threads(config, 0)
	}

	/// A backend on `threads` threads (0: one per core).
	pub fn with_threads(config: ModelConfig, threads: usize) -> Result<Self, KernelError> {
		config.validate()?;
		let pool = rayon::ThreadPoolBuilder::new()
			.num_threads(threads)
			.thread_name(|i| format!("gonka-cpu-{i}"))
			.build()
			.map_err(|e| KernelError::NoDevice("cpu".into(), e.to_string()))?;
		Ok(Self { config, pool: Arc::new(pool), model: None })
	}

	/// Nonces per chunk (one thread's matrix products).
	pub fn nonces_per_chunk(&self) -> usize {
		(ROWS_PER_CHUNK / self.config.seq_len as usize).max(1)
	}

	/// The model of the last seed, if one was built.
	pub fn model(&self) -> Option<&CpuModel> {
		self.model.as_ref()
	}

	/// Distances with an explicit chunk size (tests check the result does not depend on it).
	pub fn distances_with_chunk(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
		chunk: usize,
	) -> Result<Vec<f32>, KernelError> {
		crate::backend::check_batch(nonces, MAX_BATCH)?;
		self.prepare(seed)?;
		let model = self.model.as_ref().expect("prepared");
		let mut out = vec![0f32; nonces.len()];
		let chunk = chunk.max(1);
		self.pool.install(|| {
			nonces
				.par_chunks(chunk)
				.zip(out.par_chunks_mut(chunk))
				.for_each(|(n, o)| model.distances_chunk(pk, n, o));
		});
		Ok(out)
	}
}

impl Backend for CpuBackend {
	fn describe(&self) -> String {
		format!("cpu (f32, ndarray/matrixmultiply, {} threads)", self.pool.current_num_threads())
	}

	fn config(&self) -> &ModelConfig {
		&self.config
	}

	fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError> {
		if self.model.as_ref().is_some_and(|m| &m.epoch.seed == seed) {
			return Ok(());
		}
		// Free the old model first: an h100 model is 1 GB.
		self.model = None;
		let config = self.config;
		let model = self.pool.install(|| CpuModel::new(config, *seed))?;
		self.model = Some(model);
		Ok(())
	}

	fn batch_size(&self) -> usize {
		self.nonces_per_chunk() * self.pool.current_num_threads()
	}

	fn distances(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
	) -> Result<Vec<f32>, KernelError> {
		// Spread small batches over every thread; large ones in chunks of `nonces_per_chunk`.
		let threads = self.pool.current_num_threads();
		let chunk = self.nonces_per_chunk().min(nonces.len().div_ceil(threads));
		self.distances_with_chunk(seed, pk, nonces, chunk)
	}
}
