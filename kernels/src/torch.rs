//! The libtorch backend (`tch` 0.24, libtorch 2.11.0): CUDA when present, else the CPU.
//!
//! The pool is generated on the CPU by the same code as the reference and uploaded; every tensor
//! is then gathered from it on the device (`index_select` with the walk's indices), scaled in f32
//! and cast to the matmul precision once per seed. Per batch, only the nonces' pool offsets go to
//! the device and only the distances come back.
//!
//! Precision ([`Precision`]): the residual stream, the norms, rotary embedding, SiLU and the final
//! normalisation are f32; matrix products and fused attention
//! (`scaled_dot_product_attention`, causal) run in bf16 (or f16, or f32) with f32 accumulation
//! (cuBLAS's default for bf16 inputs). bf16 is the default on CUDA, f32 on the CPU.

use tch::{Device, Kind, TchError, Tensor};

use crate::{
	backend::Backend,
	config::ModelConfig,
	error::KernelError,
	hash::{HostKey, Seed},
	model::{EpochModel, TensorKind, RMS_NORM_EPS},
};

impl From<TchError> for KernelError {
	fn from(e: TchError) -> Self {
		KernelError::Torch(e.to_string())
	}
}

/// How far above `r_target` a bf16 distance still makes a candidate for confirmation in f32
/// ([`crate::Confirmed`]): ten times bf16's largest error measured against the reference on
/// `tiny` (2.0e-3, `tests/cross_backend.rs`, which fails if the error reaches the margin), so no
/// f32 hit is lost.
pub const BF16_SEARCH_MARGIN: f32 = 0.02;

/// The largest batch one call accepts.
pub const MAX_BATCH: usize = 1 << 16;

/// Matmul and attention precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
	Bf16,
	F16,
	F32,
}

impl Precision {
	fn kind(self) -> Kind {
		match self {
			Precision::Bf16 => Kind::BFloat16,
			Precision::F16 => Kind::Half,
			Precision::F32 => Kind::Float,
		}
	}

	/// Parses `bf16`, `f16`, `f32`.
	pub fn parse(s: &str) -> Option<Self> {
		match s {
			"bf16" => Some(Self::Bf16),
			"f16" => Some(Self::F16),
			"f32" => Some(Self::F32),
			_ => None,
		}
	}
}

/// Which device to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TorchDevice {
	/// CUDA device 0 when libtorch sees one, else the CPU.
	Auto,
	Cpu,
	Cuda(usize),
}

impl TorchDevice {
	/// Parses `auto`, `cpu`, `cuda`, `cuda:N`.
	pub fn parse(s: &str) -> Option<Self> {
		match s {
			"auto" => Some(Self::Auto),
			"cpu" => Some(Self::Cpu),
			"cuda" => Some(Self::Cuda(0)),
			_ => s.strip_prefix("cuda:").and_then(|n| n.parse().ok()).map(Self::Cuda),
		}
	}
}

struct LayerWeights {
	wqkv: Tensor,
	wo: Tensor,
	w13: Tensor,
	w2: Tensor,
}

struct DeviceModel {
	seed: Seed,
	pool: Tensor,
	layers: Vec<LayerWeights>,
	output: Tensor,
	target: Tensor,
	/// `[s, 1, hd/2]`, f32.
	cos: Tensor,
	sin: Tensor,
	/// `0..s·d`, i64.
	input_walk: Tensor,
}

/// The libtorch backend.
pub struct TorchBackend {
	config: ModelConfig,
	device: Device,
	precision: Precision,
	batch: usize,
	model: Option<DeviceModel>,
}

impl TorchBackend {
	/// A backend on `device` with the default precision (bf16 on CUDA, f32 on the CPU).
	pub fn new(config: ModelConfig, device: TorchDevice) -> Result<Self, KernelError> {
		let device = resolve(device)?;
		let precision = if device.is_cuda() { Precision::Bf16 } else { Precision::F32 };
		Self::with_precision(config, device, precision)
	}

	/// A backend with an explicit precision.
	pub fn with_precision(
		config: ModelConfig,
		device: Device,
		precision: Precision,
	) -> Result<Self, KernelError> {
		config.validate()?;
		// Rows (nonces × positions) per batch: large on a GPU to fill it, small on a CPU.
		let rows = if device.is_cuda() { 1 << 15 } else { 1 << 10 };
		let batch = (rows / config.seq_len as usize).clamp(1, MAX_BATCH);
		Ok(Self { config, device, precision, batch, model: None })
	}

	/// Overrides the batch size (`gonka-worker bench` sweeps it).
	pub fn set_batch_size(&mut self, batch: usize) {
		self.batch = batch.clamp(1, MAX_BATCH);
	}

	pub fn device(&self) -> Device {
		self.device
	}

	pub fn precision(&self) -> Precision {
		self.precision
	}

	fn build(&self, seed: &Seed) -> Result<DeviceModel, KernelError> {
		let _guard = tch::no_grad_guard();
		let epoch = EpochModel::new(self.config, *seed)?;
		let d = self.config.dim as i64;
		let (s, hd) = (self.config.seq_len as i64, self.config.head_dim() as i64);
		let p = self.config.pool_size as i64;
		let kind = self.precision.kind();
		let pool = Tensor::f_from_slice(&epoch.pool)?.f_to_device(self.device)?;
		let gather = |name: &str| -> Result<Tensor, KernelError> {
			let spec = epoch.tensors.iter().find(|t| t.name == name).expect("known tensor");
			let idx = Tensor::f_arange(spec.len() as i64, (Kind::Int64, self.device))?
				.f_mul_scalar(spec.stride as i64)?
				.f_add_scalar(spec.offset as i64)?
				.f_remainder(p)?;
			Ok(pool
				.f_index_select(0, &idx)?
				.f_mul_scalar(spec.scale as f64)?
				.f_view([spec.rows as i64, spec.cols as i64])?)
		};
		let mut layers = Vec::with_capacity(self.config.layers as usize);
		for l in 0..self.config.layers {
			let name = |k| crate::model::tensor_name(k, l);
			let cat = |kinds: &[TensorKind]| -> Result<Tensor, KernelError> {
				let parts =
					kinds.iter().map(|&k| gather(&name(k))).collect::<Result<Vec<_>, _>>()?;
				Ok(Tensor::f_cat(&parts, 0)?.f_to_kind(kind)?)
			};
			layers.push(LayerWeights {
				wqkv: cat(&[TensorKind::Wq, TensorKind::Wk, TensorKind::Wv])?,
				wo: cat(&[TensorKind::Wo])?,
				w13: cat(&[TensorKind::W1, TensorKind::W3])?,
				w2: cat(&[TensorKind::W2])?,
			});
		}
		let output = gather("output")?.f_to_kind(kind)?;
		let target = Tensor::f_from_slice(&epoch.target)?.f_to_device(self.device)?;
		let half = hd / 2;
		let cos = Tensor::f_from_slice(&epoch.rope_cos)?
			.f_view([s, 1, half])?
			.f_to_device(self.device)?;
		let sin = Tensor::f_from_slice(&epoch.rope_sin)?
			.f_view([s, 1, half])?
			.f_to_device(self.device)?;
		let input_walk = Tensor::f_arange(s * d, (Kind::Int64, self.device))?;
		Ok(DeviceModel { seed: *seed, pool, layers, output, target, cos, sin, input_walk })
	}

	fn forward(&self, pk: &HostKey, nonces: &[u64]) -> Result<Vec<f32>, KernelError> {
		let _guard = tch::no_grad_guard();
		let m = self.model.as_ref().expect("prepared");
		let c = &self.config;
		let (b, s, d) = (nonces.len() as i64, c.seq_len as i64, c.dim as i64);
		let (h, hd, f) = (c.heads as i64, c.head_dim() as i64, c.ffn_dim as i64);
		let kind = self.precision.kind();
		let offsets: Vec<i64> = nonces
			.iter()
			.map(|&n| crate::hash::input_offset(&m.seed, pk, n, c.pool_size) as i64)
			.collect();
		let idx = Tensor::f_from_slice(&offsets)?
			.f_to_device(self.device)?
			.f_view([b, 1])?
			.f_add(&m.input_walk.f_view([1, s * d])?)?
			.f_remainder(c.pool_size as i64)?;
		let mut x = m.pool.f_index_select(0, &idx.f_flatten(0, 1)?)?.f_view([b, s, d])?;
		let scale = 1.0 / (hd as f64).sqrt();
		for l in &m.layers {
			let xn = rms_norm(&x)?.f_to_kind(kind)?;
			let qkv = xn.f_linear(&l.wqkv, None::<Tensor>)?;
			// [b, s, 3d] → three [b, h, s, hd]
			let heads = |i: i64| -> Result<Tensor, TchError> {
				qkv.f_narrow(2, i * d, d)?.f_view([b, s, h, hd])
			};
			let q = rope(&heads(0)?, &m.cos, &m.sin, kind)?.f_transpose(1, 2)?;
			let k = rope(&heads(1)?, &m.cos, &m.sin, kind)?.f_transpose(1, 2)?;
			let v = heads(2)?.f_transpose(1, 2)?;
			let a = Tensor::f_scaled_dot_product_attention(
				&q,
				&k,
				&v,
				None::<Tensor>,
				0.0,
				true,
				scale,
				false,
			)?
			.f_transpose(1, 2)?
			.f_reshape([b, s, d])?;
			x = x.f_add(&a.f_linear(&l.wo, None::<Tensor>)?.f_to_kind(Kind::Float)?)?;
			let xn = rms_norm(&x)?.f_to_kind(kind)?;
			let gu = xn.f_linear(&l.w13, None::<Tensor>)?;
			let g = gu.f_narrow(2, 0, f)?.f_to_kind(Kind::Float)?;
			let u = gu.f_narrow(2, f, f)?.f_to_kind(Kind::Float)?;
			let hidden = g.f_silu()?.f_mul(&u)?.f_to_kind(kind)?;
			x = x.f_add(&hidden.f_linear(&l.w2, None::<Tensor>)?.f_to_kind(Kind::Float)?)?;
		}
		let last = rms_norm(&x.f_select(1, s - 1)?)?.f_to_kind(kind)?;
		let y = last.f_linear(&m.output, None::<Tensor>)?.f_to_kind(Kind::Float)?;
		let norm = y.f_norm_scalaropt_dim(2, [-1i64].as_slice(), true)?;
		let v = y.f_div(&norm)?;
		let dist = v
			.f_sub(&m.target.f_view([1, -1])?)?
			.f_norm_scalaropt_dim(2, [-1i64].as_slice(), false)?
			.f_to_device(Device::Cpu)?;
		Ok(Vec::<f32>::try_from(&dist)?)
	}
}

/// `x / sqrt(mean(x²) + ε)` over the last dimension, in f32.
fn rms_norm(x: &Tensor) -> Result<Tensor, TchError> {
	let ms = x.f_pow_tensor_scalar(2)?.f_mean_dim([-1i64].as_slice(), true, Kind::Float)?;
	x.f_mul(&ms.f_add_scalar(RMS_NORM_EPS)?.f_rsqrt()?)
}

/// Rotary embedding of `[b, s, h, hd]` (rotate-half layout, as the reference), in f32, cast back.
fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor, kind: Kind) -> Result<Tensor, TchError> {
	let half = x.size()[3] / 2;
	let x = x.f_to_kind(Kind::Float)?;
	let a = x.f_narrow(3, 0, half)?;
	let b = x.f_narrow(3, half, half)?;
	let lo = a.f_mul(cos)?.f_sub(&b.f_mul(sin)?)?;
	let hi = a.f_mul(sin)?.f_add(&b.f_mul(cos)?)?;
	Tensor::f_cat(&[lo, hi], 3)?.f_to_kind(kind)
}

fn resolve(device: TorchDevice) -> Result<Device, KernelError> {
	match device {
		TorchDevice::Auto => Ok(Device::cuda_if_available()),
		TorchDevice::Cpu => Ok(Device::Cpu),
		TorchDevice::Cuda(i) => {
			let n = tch::Cuda::device_count();
			if (i as i64) < n {
				Ok(Device::Cuda(i))
			} else {
				Err(KernelError::NoDevice(
					format!("cuda:{i}"),
					format!(
						"libtorch sees {n} CUDA device(s){}",
						if n == 0 {
							" (is libtorch_cuda.so linked and a driver present?)"
						} else {
							""
						}
					),
				))
			}
		},
	}
}

impl Backend for TorchBackend {
	fn describe(&self) -> String {
		format!("torch ({:?}, {:?} matmuls, batch {})", self.device, self.precision, self.batch)
	}

	fn config(&self) -> &ModelConfig {
		&self.config
	}

	fn prepare(&mut self, seed: &Seed) -> Result<(), KernelError> {
		if self.model.as_ref().is_some_and(|m| &m.seed == seed) {
			return Ok(());
		}
		self.model = None;
		self.model = Some(self.build(seed)?);
		Ok(())
	}

	fn batch_size(&self) -> usize {
		self.batch
	}

	fn distances(
		&mut self,
		seed: &Seed,
		pk: &HostKey,
		nonces: &[u64],
	) -> Result<Vec<f32>, KernelError> {
		crate::backend::check_batch(nonces, MAX_BATCH)?;
		self.prepare(seed)?;
		self.forward(pk, nonces)
	}
}
