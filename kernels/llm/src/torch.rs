//! The libtorch backend (feature `torch`; `tch` 0.24 on libtorch 2.11.0): the forward pass of
//! [`crate::cpu`] on a CUDA device in bf16 when libtorch sees one, else on the CPU (f32 by default,
//! bf16 on request — how CI measures the bf16 tolerance without a GPU).
//!
//! * **Weights** are uploaded once, as stored (no f32 copy in host memory), and cast on the device
//!   to the matmul precision; q/k/v and gate/up are fused into one matrix each. Norm gains stay f32.
//! * **Precision**: the residual stream, the RMS norms, rotary embedding and SiLU run in f32; the
//!   projections and attention in the matmul precision with f32 accumulation (cuBLAS's default for
//!   bf16 inputs). The logits come back in f32.
//! * **KV cache**: a static slab per layer, `[slots, kv_heads, capacity, head_dim]` in the matmul
//!   precision: one slot per live sequence (reused after `release`), the capacity that of the
//!   longest, both grown by doubling (capacity in blocks of [`CACHE_BLOCK`] positions) and the
//!   slab dropped when no sequence is left. Memory is slots × the longest sequence, as
//!   transformers' static cache.
//! * **Batching**: every row of every step of a call (prefill chunks, decode tokens, scored
//!   completions) goes through the projections and the MLP together. Attention
//!   (`scaled_dot_product_attention`, grouped-query heads) runs once per layer for all decoding
//!   sequences — their slots of the slab as one batch, each masked to its own length — and once
//!   per prefilling sequence over a view of its slot, causal within the step. The number of
//!   libtorch calls of a decode step does not grow with the batch.
//!
//! A failed call (out of device memory, a libtorch error) leaves every sequence as it was: the
//! caches are written past their length only, and lengths move on success.

use std::collections::HashMap;

use tch::{Device, Kind, TchError, Tensor};

use crate::{
	backend::{check_steps, Backend, Logits, SeqId, Step},
	config::ModelConfig,
	error::{EngineError, LoadError},
	weights::{RawTensor, StoredDtype, Weights},
};

/// Cache capacity grows in multiples of this many positions.
pub const CACHE_BLOCK: usize = 64;

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

	pub fn as_str(self) -> &'static str {
		match self {
			Precision::Bf16 => "bf16",
			Precision::F16 => "f16",
			Precision::F32 => "f32",
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

	/// The libtorch device this names.
	pub fn resolve(self) -> Result<Device, LoadError> {
		match self {
			TorchDevice::Auto => Ok(Device::cuda_if_available()),
			TorchDevice::Cpu => Ok(Device::Cpu),
			TorchDevice::Cuda(i) => {
				let n = tch::Cuda::device_count();
				if (i as i64) < n {
					Ok(Device::Cuda(i))
				} else {
					Err(LoadError::Device(format!(
						"cuda:{i} was asked for but libtorch sees {n} CUDA device(s){}",
						if n == 0 {
							" (is libtorch_cuda.so linked and an NVIDIA driver present?)"
						} else {
							""
						}
					)))
				}
			},
		}
	}
}

fn torch_err(e: TchError) -> EngineError {
	EngineError::Backend(format!("libtorch: {e}"))
}

fn load_err(name: &str, e: TchError) -> LoadError {
	LoadError::Device(format!("uploading `{name}`: {e}"))
}

struct Linear {
	w: Tensor,
	b: Option<Tensor>,
}

impl Linear {
	fn apply(&self, x: &Tensor) -> Result<Tensor, TchError> {
		x.f_linear(&self.w, self.b.as_ref())
	}
}

struct Layer {
	input_norm: Tensor,
	qkv: Linear,
	o: Linear,
	q_norm: Option<Tensor>,
	k_norm: Option<Tensor>,
	post_norm: Tensor,
	gate_up: Linear,
	down: Linear,
}

/// Keys and values of every live sequence: per layer `[slots, kv_heads, capacity, head_dim]`.
struct Slab {
	k: Vec<Tensor>,
	v: Vec<Tensor>,
	slots: usize,
	capacity: usize,
}

/// Where a sequence's keys and values are, and how many positions it holds.
#[derive(Clone, Copy, Debug)]
struct Place {
	slot: usize,
	len: usize,
}

/// The steps of one call, grouped for attention.
struct Plan {
	/// Single-token steps: their rows of the packed batch, slots and positions.
	decode_rows: Vec<i64>,
	decode_slots: Vec<i64>,
	decode_pos: Vec<i64>,
	/// Multi-token steps: (first row, tokens, slot, positions already held).
	prefill: Vec<(i64, i64, i64, i64)>,
}

/// The model on a libtorch device and the caches of its sequences.
pub struct TorchModel {
	config: ModelConfig,
	device: Device,
	precision: Precision,
	embed: Tensor,
	/// `None` when tied to the embeddings.
	lm_head: Option<Tensor>,
	layers: Vec<Layer>,
	norm: Tensor,
	/// `[1, head_dim / 2]`, f32.
	inv_freq: Tensor,
	slab: Option<Slab>,
	seqs: HashMap<SeqId, Place>,
	/// Slots released and not reused yet; slots at or above `next_slot` were never used.
	free: Vec<usize>,
	next_slot: usize,
}

impl TorchModel {
	/// Loads the checkpoint's tensors onto `device` with the default precision (bf16 on CUDA, f32
	/// on the CPU).
	pub fn new(config: ModelConfig, w: Weights, device: TorchDevice) -> Result<Self, LoadError> {
		let device = device.resolve()?;
		let precision = if device.is_cuda() { Precision::Bf16 } else { Precision::F32 };
		Self::with_precision(config, w, device, precision)
	}

	/// Loads with an explicit precision.
	pub fn with_precision(
		config: ModelConfig,
		mut w: Weights,
		device: Device,
		precision: Precision,
	) -> Result<Self, LoadError> {
		let _guard = tch::no_grad_guard();
		let c = &config;
		let kind = precision.kind();
		let (h, hd) = (c.hidden_size, c.head_dim);
		let (q_dim, kv_dim) = (c.num_heads * hd, c.num_kv_heads * hd);
		let upload = |name: &str, t: &RawTensor, to: Kind| -> Result<Tensor, LoadError> {
			let stored = match t.stored {
				StoredDtype::F32 => Kind::Float,
				StoredDtype::F16 => Kind::Half,
				StoredDtype::BF16 => Kind::BFloat16,
			};
			let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
			Tensor::f_from_data_size(&t.bytes, &shape, stored)
				.and_then(|x| x.f_to_device(device))
				.and_then(|x| x.f_to_kind(to))
				.map_err(|e| load_err(name, e))
		};
		// Several tensors of the checkpoint as one matrix (rows concatenated), with their biases.
		let fused = |w: &mut Weights,
		             parts: &[(&str, usize)],
		             inp: usize,
		             bias: bool|
		 -> Result<Linear, LoadError> {
			let mut ws = Vec::with_capacity(parts.len());
			let mut bs = Vec::with_capacity(parts.len());
			for &(name, out) in parts {
				let wname = format!("{name}.weight");
				ws.push(upload(&wname, &w.take_raw(&wname, &[out, inp])?, kind)?);
				if bias {
					let bname = format!("{name}.bias");
					bs.push(upload(&bname, &w.take_raw(&bname, &[out])?, kind)?);
				}
			}
			let cat = |xs: Vec<Tensor>| -> Result<Tensor, LoadError> {
				if xs.len() == 1 {
					Ok(xs.into_iter().next().expect("one"))
				} else {
					Tensor::f_cat(&xs, 0).map_err(|e| load_err(parts[0].0, e))
				}
			};
			Ok(Linear { w: cat(ws)?, b: if bias { Some(cat(bs)?) } else { None } })
		};
		let gain = |w: &mut Weights, name: &str, n: usize| -> Result<Tensor, LoadError> {
			upload(name, &w.take_raw(name, &[n])?, Kind::Float)
		};
		let embed_raw = w.take_raw("model.embed_tokens.weight", &[c.vocab_size, h])?;
		let lm_head = match w.take_lm_head(c, &embed_raw)? {
			Some(t) => Some(upload("lm_head.weight", &t, kind)?),
			None => None,
		};
		let embed = upload("model.embed_tokens.weight", &embed_raw, kind)?;
		drop(embed_raw);
		let mut layers = Vec::with_capacity(c.num_layers);
		for i in 0..c.num_layers {
			let p = format!("model.layers.{i}");
			let a = format!("{p}.self_attn");
			let m = format!("{p}.mlp");
			let (qn, kn) = if c.qk_norm {
				(
					Some(gain(&mut w, &format!("{a}.q_norm.weight"), hd)?),
					Some(gain(&mut w, &format!("{a}.k_norm.weight"), hd)?),
				)
			} else {
				(None, None)
			};
			layers.push(Layer {
				input_norm: gain(&mut w, &format!("{p}.input_layernorm.weight"), h)?,
				qkv: fused(
					&mut w,
					&[
						(&format!("{a}.q_proj"), q_dim),
						(&format!("{a}.k_proj"), kv_dim),
						(&format!("{a}.v_proj"), kv_dim),
					],
					h,
					c.qkv_bias,
				)?,
				o: fused(&mut w, &[(&format!("{a}.o_proj"), h)], q_dim, c.o_bias)?,
				q_norm: qn,
				k_norm: kn,
				post_norm: gain(&mut w, &format!("{p}.post_attention_layernorm.weight"), h)?,
				gate_up: fused(
					&mut w,
					&[
						(&format!("{m}.gate_proj"), c.intermediate_size),
						(&format!("{m}.up_proj"), c.intermediate_size),
					],
					h,
					false,
				)?,
				down: fused(&mut w, &[(&format!("{m}.down_proj"), h)], c.intermediate_size, false)?,
			});
		}
		let norm = gain(&mut w, "model.norm.weight", h)?;
		w.finish(c)?;
		let inv_freq = Tensor::f_from_slice(&config.inv_freq())
			.and_then(|t| t.f_to_device(device))
			.and_then(|t| t.f_view([1, -1]))
			.map_err(|e| load_err("inv_freq", e))?;
		Ok(TorchModel {
			config,
			device,
			precision,
			embed,
			lm_head,
			layers,
			norm,
			inv_freq,
			slab: None,
			seqs: HashMap::new(),
			free: Vec::new(),
			next_slot: 0,
		})
	}

	pub fn device(&self) -> Device {
		self.device
	}

	pub fn precision(&self) -> Precision {
		self.precision
	}

	/// Bytes of device memory the weights take.
	pub fn weight_bytes(&self) -> usize {
		let size = |t: &Tensor| t.numel() * t.kind().elt_size_in_bytes();
		let lin = |l: &Linear| size(&l.w) + l.b.as_ref().map_or(0, size);
		let mut n = size(&self.embed) + self.lm_head.as_ref().map_or(0, size) + size(&self.norm);
		for l in &self.layers {
			n += size(&l.input_norm) + size(&l.post_norm) + lin(&l.qkv) + lin(&l.o);
			n += lin(&l.gate_up) + lin(&l.down);
			n += l.q_norm.as_ref().map_or(0, size) + l.k_norm.as_ref().map_or(0, size);
		}
		n
	}

	/// Makes the slab hold `slots` slots of at least `needed` positions, keeping its contents.
	fn ensure(&mut self, slots: usize, needed: usize) -> Result<(), TchError> {
		let (have_slots, have_cap) = self.slab.as_ref().map_or((0, 0), |s| (s.slots, s.capacity));
		if slots <= have_slots && needed <= have_cap {
			return Ok(());
		}
		let c = &self.config;
		let new_slots =
			if slots > have_slots { slots.next_power_of_two().max(4) } else { have_slots };
		let new_cap = if needed > have_cap {
			needed
				.max(have_cap * 2)
				.div_ceil(CACHE_BLOCK)
				.saturating_mul(CACHE_BLOCK)
				.min(c.max_position_embeddings.max(needed))
		} else {
			have_cap
		};
		let shape = [new_slots as i64, c.num_kv_heads as i64, new_cap as i64, c.head_dim as i64];
		let opts = (self.precision.kind(), self.device);
		let mut k = Vec::with_capacity(c.num_layers);
		let mut v = Vec::with_capacity(c.num_layers);
		for li in 0..c.num_layers {
			let (nk, nv) = (Tensor::f_zeros(shape, opts)?, Tensor::f_zeros(shape, opts)?);
			if let Some(old) = &self.slab {
				let (s, l) = (have_slots as i64, have_cap as i64);
				nk.f_narrow(0, 0, s)?.f_narrow(2, 0, l)?.f_copy_(&old.k[li])?;
				nv.f_narrow(0, 0, s)?.f_narrow(2, 0, l)?.f_copy_(&old.v[li])?;
			}
			k.push(nk);
			v.push(nv);
		}
		self.slab = Some(Slab { k, v, slots: new_slots, capacity: new_cap });
		Ok(())
	}

	/// `x · rsqrt(mean(x²) + ε) · g` over the last dimension, in f32.
	fn rms_norm(&self, x: &Tensor, g: &Tensor) -> Result<Tensor, TchError> {
		let ms = x.f_pow_tensor_scalar(2)?.f_mean_dim([-1i64].as_slice(), true, Kind::Float)?;
		x.f_mul(&ms.f_add_scalar(self.config.rms_norm_eps as f64)?.f_rsqrt()?)?.f_mul(g)
	}

	/// The forward pass; `places` (one per step) are in the slab, which has room for the steps'
	/// tokens. Lengths are not moved here.
	fn run(&self, steps: &[Step<'_>], places: &[Place]) -> Result<Vec<Logits>, TchError> {
		let slab = self.slab.as_ref().expect("ensured before run");
		let _guard = tch::no_grad_guard();
		let c = &self.config;
		let kind = self.precision.kind();
		let (hd, nh, nkv) = (c.head_dim as i64, c.num_heads as i64, c.num_kv_heads as i64);
		let (q_dim, kv_dim) = (nh * hd, nkv * hd);
		let mut ids = Vec::new();
		let mut positions = Vec::new();
		let mut plan = Plan {
			decode_rows: Vec::new(),
			decode_slots: Vec::new(),
			decode_pos: Vec::new(),
			prefill: Vec::new(),
		};
		for (step, place) in steps.iter().zip(places) {
			let (row, n) = (ids.len() as i64, step.tokens.len() as i64);
			if n == 1 {
				plan.decode_rows.push(row);
				plan.decode_slots.push(place.slot as i64);
				plan.decode_pos.push(place.len as i64);
			} else {
				plan.prefill.push((row, n, place.slot as i64, place.len as i64));
			}
			ids.extend(step.tokens.iter().map(|&t| t as i64));
			positions.extend((place.len..place.len + step.tokens.len()).map(|p| p as f32));
		}
		let total = ids.len() as i64;
		let ids = Tensor::f_from_slice(&ids)?.f_to_device(self.device)?;
		// Rotary angles `pos · inv_freq` in f32, as the reference: [T, 1, hd/2].
		let angles = Tensor::f_from_slice(&positions)?
			.f_to_device(self.device)?
			.f_view([-1, 1])?
			.f_mul(&self.inv_freq)?
			.f_unsqueeze(1)?;
		let (cos, sin) = (angles.f_cos()?, angles.f_sin()?);
		let rope = |x: &Tensor| -> Result<Tensor, TchError> {
			let half = hd / 2;
			let a = x.f_narrow(2, 0, half)?;
			let b = x.f_narrow(2, half, half)?;
			let lo = a.f_mul(&cos)?.f_sub(&b.f_mul(&sin)?)?;
			let hi = a.f_mul(&sin)?.f_add(&b.f_mul(&cos)?)?;
			Tensor::f_cat(&[lo, hi], 2)
		};
		let scale = 1.0 / (hd as f64).sqrt();
		let dev = self.device;
		let all_decode = plan.prefill.is_empty();
		// The decoding sequences' batch: slots 0..hi of the slab, keys up to the longest; every
		// row sees the positions below its own length (free and prefilling slots see position 0
		// only, so their rows — discarded — stay finite).
		let decode = if plan.decode_rows.is_empty() {
			None
		} else {
			let hi = *plan.decode_slots.iter().max().expect("non-empty") + 1;
			let lmax = *plan.decode_pos.iter().max().expect("non-empty") + 1;
			let mut lens = vec![1i64; hi as usize];
			for (&slot, &pos) in plan.decode_slots.iter().zip(&plan.decode_pos) {
				lens[slot as usize] = pos + 1;
			}
			let lens = Tensor::f_from_slice(&lens)?.f_to_device(dev)?.f_view([hi, 1, 1, 1])?;
			let mask = Tensor::f_arange(lmax, (Kind::Int64, dev))?
				.f_view([1, 1, 1, lmax])?
				.f_lt_tensor(&lens)?;
			let t = |v: &[i64]| Tensor::f_from_slice(v).and_then(|t| t.f_to_device(dev));
			Some((
				t(&plan.decode_rows)?,
				t(&plan.decode_slots)?,
				t(&plan.decode_pos)?,
				hi,
				lmax,
				mask,
			))
		};
		let mut x = self.embed.f_index_select(0, &ids)?.f_to_kind(Kind::Float)?;
		for (li, layer) in self.layers.iter().enumerate() {
			let h = self.rms_norm(&x, &layer.input_norm)?.f_to_kind(kind)?;
			let qkv = layer.qkv.apply(&h)?.f_to_kind(Kind::Float)?;
			let mut q = qkv.f_narrow(1, 0, q_dim)?.f_view([total, nh, hd])?;
			let mut k = qkv.f_narrow(1, q_dim, kv_dim)?.f_view([total, nkv, hd])?;
			let v = qkv.f_narrow(1, q_dim + kv_dim, kv_dim)?.f_view([total, nkv, hd])?;
			if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
				q = self.rms_norm(&q, qn)?;
				k = self.rms_norm(&k, kn)?;
			}
			let q = rope(&q)?.f_to_kind(kind)?;
			let k = rope(&k)?.f_to_kind(kind)?;
			let v = v.f_to_kind(kind)?;
			let mut attn =
				if all_decode { None } else { Some(Tensor::f_zeros([total, q_dim], (kind, dev))?) };
			let mut decoded = None;
			if let Some((rows, slots, pos, hi, lmax, mask)) = &decode {
				let pick = |t: &Tensor| {
					if all_decode {
						Ok(t.shallow_clone())
					} else {
						t.f_index_select(0, rows)
					}
				};
				let (qd, kd, vd) = (pick(&q)?, pick(&k)?, pick(&v)?);
				let at = [Some(slots), None, Some(pos)];
				let _ = slab.k[li].shallow_clone().f_index_put_(&at, &kd, false)?;
				let _ = slab.v[li].shallow_clone().f_index_put_(&at, &vd, false)?;
				let mut q_all = Tensor::f_zeros([*hi, nh, 1, hd], (kind, dev))?;
				let _ = q_all.f_index_copy_(0, slots, &qd.f_unsqueeze(2)?)?;
				let keys = slab.k[li].f_narrow(0, 0, *hi)?.f_narrow(2, 0, *lmax)?;
				let values = slab.v[li].f_narrow(0, 0, *hi)?.f_narrow(2, 0, *lmax)?;
				let out = Tensor::f_scaled_dot_product_attention(
					&q_all,
					&keys,
					&values,
					Some(mask),
					0.0,
					false,
					scale,
					nh != nkv,
				)?
				.f_index_select(0, slots)?
				.f_reshape([-1, q_dim])?;
				match &mut attn {
					Some(a) => {
						let _ = a.f_index_copy_(0, rows, &out)?;
					},
					None => decoded = Some(out),
				}
			}
			for &(start, n, slot, base) in &plan.prefill {
				// [n, heads, hd] → [1, heads, n, hd]
				let heads = |t: &Tensor| -> Result<Tensor, TchError> {
					t.f_narrow(0, start, n)?.f_transpose(0, 1)?.f_unsqueeze(0)
				};
				slab.k[li].f_narrow(0, slot, 1)?.f_narrow(2, base, n)?.f_copy_(&heads(&k)?)?;
				slab.v[li].f_narrow(0, slot, 1)?.f_narrow(2, base, n)?.f_copy_(&heads(&v)?)?;
				let keys = slab.k[li].f_narrow(0, slot, 1)?.f_narrow(2, 0, base + n)?;
				let values = slab.v[li].f_narrow(0, slot, 1)?.f_narrow(2, 0, base + n)?;
				// Causal within the step: row i sees the cache and the step's rows up to i.
				let (mask, causal) = if base == 0 {
					(None, true)
				} else {
					let m = Tensor::f_ones([n, base + n], (Kind::Bool, dev))?.f_tril(base)?;
					(Some(m), false)
				};
				let a = Tensor::f_scaled_dot_product_attention(
					&heads(&q)?,
					&keys,
					&values,
					mask,
					0.0,
					causal,
					scale,
					nh != nkv,
				)?;
				let a = a.f_squeeze_dim(0)?.f_transpose(0, 1)?.f_reshape([n, q_dim])?;
				attn.as_ref()
					.expect("allocated when a step prefills")
					.f_narrow(0, start, n)?
					.f_copy_(&a)?;
			}
			let attn = match (attn, decoded) {
				(Some(a), _) => a,
				(None, Some(d)) => d,
				(None, None) => unreachable!("a call has at least one step"),
			};
			x = x.f_add(&layer.o.apply(&attn)?.f_to_kind(Kind::Float)?)?;
			let h = self.rms_norm(&x, &layer.post_norm)?.f_to_kind(kind)?;
			let gu = layer.gate_up.apply(&h)?.f_to_kind(Kind::Float)?;
			let f = c.intermediate_size as i64;
			let g = gu.f_narrow(1, 0, f)?;
			let u = gu.f_narrow(1, f, f)?;
			let m = g.f_silu()?.f_mul(&u)?.f_to_kind(kind)?;
			x = x.f_add(&layer.down.apply(&m)?.f_to_kind(Kind::Float)?)?;
		}
		// Only the rows whose logits were asked for go through the output projection.
		let mut rows = Vec::new();
		let mut start = 0i64;
		for step in steps {
			let n = step.tokens.len() as i64;
			if step.all_logits {
				rows.extend(start..start + n);
			} else {
				rows.push(start + n - 1);
			}
			start += n;
		}
		let rows_t = Tensor::f_from_slice(&rows)?.f_to_device(self.device)?;
		let xs = self.rms_norm(&x.f_index_select(0, &rows_t)?, &self.norm)?.f_to_kind(kind)?;
		let head = self.lm_head.as_ref().unwrap_or(&self.embed);
		let logits = xs
			.f_linear(head, None::<Tensor>)?
			.f_to_kind(Kind::Float)?
			.f_to_device(Device::Cpu)?
			.f_contiguous()?;
		let vocab = c.vocab_size;
		let mut all = Vec::<f32>::try_from(&logits.f_flatten(0, 1)?)?;
		let mut out = Vec::with_capacity(steps.len());
		for step in steps.iter().rev() {
			let n = if step.all_logits { step.tokens.len() } else { 1 };
			let data = all.split_off(all.len() - n * vocab);
			out.push(Logits { vocab, data });
		}
		out.reverse();
		Ok(out)
	}
}

impl Backend for TorchModel {
	fn config(&self) -> &ModelConfig {
		&self.config
	}

	fn name(&self) -> String {
		let device = match self.device {
			Device::Cuda(i) => format!("cuda:{i}"),
			_ => "cpu".into(),
		};
		format!("torch {device} {}", self.precision.as_str())
	}

	fn len(&self, seq: SeqId) -> Option<usize> {
		self.seqs.get(&seq).map(|p| p.len)
	}

	fn release(&mut self, seq: SeqId) {
		if let Some(p) = self.seqs.remove(&seq) {
			self.free.push(p.slot);
		}
		if self.seqs.is_empty() {
			// Nothing left: give the slab's memory back.
			self.slab = None;
			self.free.clear();
			self.next_slot = 0;
		}
	}

	fn forward(&mut self, steps: &[Step<'_>]) -> Result<Vec<Logits>, EngineError> {
		check_steps(&self.config, steps, |s| self.len(s).unwrap_or(0))?;
		// Slots for new sequences are taken from copies, kept only if the call succeeds: a
		// failed call changes no sequence (the slab is written past lengths only).
		let mut free = self.free.clone();
		let mut next = self.next_slot;
		let places: Vec<Place> = steps
			.iter()
			.map(|s| {
				self.seqs.get(&s.seq).copied().unwrap_or_else(|| {
					let slot = free.pop().unwrap_or_else(|| {
						next += 1;
						next - 1
					});
					Place { slot, len: 0 }
				})
			})
			.collect();
		let needed =
			places.iter().zip(steps).map(|(p, s)| p.len + s.tokens.len()).max().unwrap_or(0);
		let out = self.ensure(next, needed).and_then(|()| self.run(steps, &places));
		if out.is_ok() {
			self.free = free;
			self.next_slot = next;
			for (step, place) in steps.iter().zip(places) {
				self.seqs.insert(step.seq, Place { len: place.len + step.tokens.len(), ..place });
			}
		}
		out.map_err(torch_err)
	}
}
