//! The CPU reference backend: the forward pass of Llama, Qwen2 and Qwen3 in f32 with `ndarray`,
//! written to follow transformers' modeling code step by step (the arithmetic validators
//! reproduce, PROTOCOL §10):
//!
//! ```text
//! x = embed[tokens]
//! per layer:  h = rms_norm(x) · w_in
//!             q, k, v = h·Wqᵀ (+bq), h·Wkᵀ (+bk), h·Wvᵀ (+bv)
//!             q, k = rms_norm_per_head(q, k)            (Qwen3 only)
//!             q, k = rope(q, k, position)               (rotate_half layout)
//!             a = softmax(q·kᵀ / √head_dim, causal) · v (kv heads shared by group_size q heads)
//!             x = x + a·Woᵀ
//!             h = rms_norm(x) · w_post
//!             x = x + (silu(h·Wgᵀ) ⊙ h·Wuᵀ)·Wdᵀ
//! logits = (rms_norm(x) · w_final)·Wlmᵀ                 (Wlm = embed when tied)
//! ```
//!
//! Rows of every step of a batch go through the projections together; attention runs per
//! sequence against its own cache. A row's result does not depend on the other rows of the batch
//! (matrixmultiply accumulates each output over k in the same order whatever the row count), so
//! batch 1 and batch 8 give the same bits.

use std::{collections::HashMap, path::Path};

use ndarray::{s, Array1, Array2, ArrayView1, Axis};

use crate::{
	backend::{check_steps, Backend, Logits, SeqId, Step},
	config::ModelConfig,
	error::{EngineError, LoadError},
	weights::{Tensor, Weights},
};

struct Linear {
	/// `out × in`, as stored.
	w: Array2<f32>,
	b: Option<Array1<f32>>,
}

impl Linear {
	fn apply(&self, x: &Array2<f32>) -> Array2<f32> {
		let mut y = x.dot(&self.w.t());
		if let Some(b) = &self.b {
			y += b;
		}
		y
	}
}

struct Layer {
	input_norm: Array1<f32>,
	q: Linear,
	k: Linear,
	v: Linear,
	o: Linear,
	q_norm: Option<Array1<f32>>,
	k_norm: Option<Array1<f32>>,
	post_norm: Array1<f32>,
	gate: Linear,
	up: Linear,
	down: Linear,
}

/// Keys and values of one sequence, per layer, `len × (kv_heads · head_dim)` row-major.
#[derive(Default)]
struct SeqCache {
	len: usize,
	k: Vec<Vec<f32>>,
	v: Vec<Vec<f32>>,
}

/// The model in f32 and the caches of its sequences.
pub struct CpuModel {
	config: ModelConfig,
	embed: Array2<f32>,
	layers: Vec<Layer>,
	norm: Array1<f32>,
	/// `None` when tied to the embeddings.
	lm_head: Option<Array2<f32>>,
	inv_freq: Vec<f32>,
	cache: HashMap<SeqId, SeqCache>,
}

fn matrix(t: Tensor) -> Array2<f32> {
	let (r, c) = (t.shape[0], t.shape[1]);
	Array2::from_shape_vec((r, c), t.data).expect("shape checked by Weights::take")
}

fn vector(t: Tensor) -> Array1<f32> {
	Array1::from_vec(t.data)
}

impl CpuModel {
	/// Loads a checkpoint directory (config.json and the safetensors files).
	pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
		let config = ModelConfig::from_dir(dir)?;
		let weights = Weights::from_dir(dir)?;
		Self::new(config, weights)
	}

	/// Builds the model from a parsed config and its tensors; every tensor the architecture needs
	/// must be there with the shape the config implies, and none may be left over.
	pub fn new(config: ModelConfig, mut w: Weights) -> Result<Self, LoadError> {
		let c = &config;
		let (h, hd) = (c.hidden_size, c.head_dim);
		let (q_dim, kv_dim) = (c.num_heads * hd, c.num_kv_heads * hd);
		let lin = |w: &mut Weights,
		           name: &str,
		           out: usize,
		           inp: usize,
		           bias: bool|
		 -> Result<Linear, LoadError> {
			Ok(Linear {
				w: matrix(w.take(&format!("{name}.weight"), &[out, inp])?),
				b: if bias { Some(vector(w.take(&format!("{name}.bias"), &[out])?)) } else { None },
			})
		};
		let embed_raw = w.take_raw("model.embed_tokens.weight", &[c.vocab_size, h])?;
		let lm_head = w
			.take_lm_head(c, &embed_raw)?
			.map(|t| Array2::from_shape_vec((c.vocab_size, h), t.to_f32()).expect("shape checked"));
		let embed = Array2::from_shape_vec((c.vocab_size, h), embed_raw.to_f32())
			.expect("shape checked by Weights::take_raw");
		let mut layers = Vec::with_capacity(c.num_layers);
		for i in 0..c.num_layers {
			let p = format!("model.layers.{i}");
			let qk_norm = c.qk_norm;
			layers.push(Layer {
				input_norm: vector(w.take(&format!("{p}.input_layernorm.weight"), &[h])?),
				q: lin(&mut w, &format!("{p}.self_attn.q_proj"), q_dim, h, c.qkv_bias)?,
				k: lin(&mut w, &format!("{p}.self_attn.k_proj"), kv_dim, h, c.qkv_bias)?,
				v: lin(&mut w, &format!("{p}.self_attn.v_proj"), kv_dim, h, c.qkv_bias)?,
				o: lin(&mut w, &format!("{p}.self_attn.o_proj"), h, q_dim, c.o_bias)?,
				q_norm: if qk_norm {
					Some(vector(w.take(&format!("{p}.self_attn.q_norm.weight"), &[hd])?))
				} else {
					None
				},
				k_norm: if qk_norm {
					Some(vector(w.take(&format!("{p}.self_attn.k_norm.weight"), &[hd])?))
				} else {
					None
				},
				post_norm: vector(w.take(&format!("{p}.post_attention_layernorm.weight"), &[h])?),
				gate: lin(&mut w, &format!("{p}.mlp.gate_proj"), c.intermediate_size, h, false)?,
				up: lin(&mut w, &format!("{p}.mlp.up_proj"), c.intermediate_size, h, false)?,
				down: lin(&mut w, &format!("{p}.mlp.down_proj"), h, c.intermediate_size, false)?,
			});
		}
		let norm = vector(w.take("model.norm.weight", &[h])?);
		w.finish(c)?;
		let inv_freq = config.inv_freq();
		Ok(CpuModel { config, embed, layers, norm, lm_head, inv_freq, cache: HashMap::new() })
	}

	fn rms_norm(&self, x: &Array2<f32>, w: &Array1<f32>) -> Array2<f32> {
		let eps = self.config.rms_norm_eps;
		let mut out = x.clone();
		for mut row in out.axis_iter_mut(Axis(0)) {
			let var = row.iter().map(|v| v * v).sum::<f32>() / row.len() as f32;
			let inv = 1.0 / (var + eps).sqrt();
			row.iter_mut().zip(w.iter()).for_each(|(v, g)| *v = *v * inv * g);
		}
		out
	}

	/// RMS norm of every head of every row (Qwen3's q/k norms), in place.
	fn head_norm(&self, x: &mut Array2<f32>, w: &Array1<f32>) {
		let (hd, eps) = (self.config.head_dim, self.config.rms_norm_eps);
		for mut row in x.axis_iter_mut(Axis(0)) {
			for head in row.as_slice_mut().expect("rows are contiguous").chunks_exact_mut(hd) {
				let var = head.iter().map(|v| v * v).sum::<f32>() / hd as f32;
				let inv = 1.0 / (var + eps).sqrt();
				head.iter_mut().zip(w.iter()).for_each(|(v, g)| *v = *v * inv * g);
			}
		}
	}

	/// `cos` and `sin` of every position's rotary angles (`pos · inv_freq`, in f32), computed once
	/// per forward call for the queries and keys of every layer.
	fn rope_table(&self, positions: &[usize]) -> Vec<(Vec<f32>, Vec<f32>)> {
		positions
			.iter()
			.map(|&pos| {
				self.inv_freq
					.iter()
					.map(|f| {
						let angle = pos as f32 * f;
						(angle.cos(), angle.sin())
					})
					.unzip()
			})
			.collect()
	}

	/// Rotary embedding of every head of every row, in place (transformers' `rotate_half`: the
	/// first half of a head pairs with the second half).
	fn rope(&self, x: &mut Array2<f32>, table: &[(Vec<f32>, Vec<f32>)]) {
		let hd = self.config.head_dim;
		let half = hd / 2;
		for (mut row, (cos, sin)) in x.axis_iter_mut(Axis(0)).zip(table) {
			for head in row.as_slice_mut().expect("rows are contiguous").chunks_exact_mut(hd) {
				for i in 0..half {
					let (a, b) = (head[i], head[i + half]);
					head[i] = a * cos[i] - b * sin[i];
					head[i + half] = b * cos[i] + a * sin[i];
				}
			}
		}
	}

	fn project_logits(&self, x: ArrayView1<'_, f32>, out: &mut Vec<f32>) {
		let head = self.lm_head.as_ref().unwrap_or(&self.embed);
		out.extend(head.dot(&x).iter());
	}
}

impl Backend for CpuModel {
	fn config(&self) -> &ModelConfig {
		&self.config
	}

	fn name(&self) -> String {
		"cpu f32".into()
	}

	fn len(&self, seq: SeqId) -> Option<usize> {
		self.cache.get(&seq).map(|c| c.len)
	}

	fn release(&mut self, seq: SeqId) {
		self.cache.remove(&seq);
	}

	fn forward(&mut self, steps: &[Step<'_>]) -> Result<Vec<Logits>, EngineError> {
		check_steps(&self.config, steps, |s| self.len(s).unwrap_or(0))?;
		let c = self.config.clone();
		let (hd, nh, nkv, group) = (c.head_dim, c.num_heads, c.num_kv_heads, c.group_size());
		let kv_dim = nkv * hd;
		let total: usize = steps.iter().map(|s| s.tokens.len()).sum();
		// Row ranges and positions of every step.
		let mut starts = Vec::with_capacity(steps.len());
		let mut positions = Vec::with_capacity(total);
		let mut bases = Vec::with_capacity(steps.len());
		for step in steps {
			let base = self.len(step.seq).unwrap_or(0);
			starts.push(positions.len());
			bases.push(base);
			positions.extend(base..base + step.tokens.len());
		}
		let mut x = Array2::<f32>::zeros((total, c.hidden_size));
		for (row, &t) in steps.iter().flat_map(|s| s.tokens).enumerate() {
			x.row_mut(row).assign(&self.embed.row(t as usize));
		}
		// Nothing below can fail (the batch was checked), so the caches are taken out and extended
		// in place, then put back.
		let layers = self.layers.len();
		let mut caches: Vec<SeqCache> = steps
			.iter()
			.map(|s| {
				self.cache.remove(&s.seq).unwrap_or_else(|| SeqCache {
					len: 0,
					k: vec![Vec::new(); layers],
					v: vec![Vec::new(); layers],
				})
			})
			.collect();
		let scale = 1.0 / (hd as f32).sqrt();
		let rope = self.rope_table(&positions);
		for (li, layer) in self.layers.iter().enumerate() {
			let h = self.rms_norm(&x, &layer.input_norm);
			let mut q = layer.q.apply(&h);
			let mut k = layer.k.apply(&h);
			let v = layer.v.apply(&h);
			if let (Some(qn), Some(kn)) = (&layer.q_norm, &layer.k_norm) {
				self.head_norm(&mut q, qn);
				self.head_norm(&mut k, kn);
			}
			self.rope(&mut q, &rope);
			self.rope(&mut k, &rope);
			let mut attn = Array2::<f32>::zeros((total, nh * hd));
			for (si, step) in steps.iter().enumerate() {
				let (start, n, base) = (starts[si], step.tokens.len(), bases[si]);
				let cache = &mut caches[si];
				for r in start..start + n {
					cache.k[li].extend(k.row(r).iter());
					cache.v[li].extend(v.row(r).iter());
				}
				let (ks, vs) = (&cache.k[li], &cache.v[li]);
				let mut scores = vec![0f32; base + n];
				for r in 0..n {
					let pos = base + r;
					let qrow = q.row(start + r);
					let qrow = qrow.as_slice().expect("rows are contiguous");
					let mut out_row = attn.row_mut(start + r);
					let out_row = out_row.as_slice_mut().expect("rows are contiguous");
					for head in 0..nh {
						let kvh = head / group;
						let qh = &qrow[head * hd..(head + 1) * hd];
						let mut max = f32::NEG_INFINITY;
						for (j, sc) in scores[..=pos].iter_mut().enumerate() {
							let kj = &ks[j * kv_dim + kvh * hd..j * kv_dim + (kvh + 1) * hd];
							*sc = qh.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>() * scale;
							max = max.max(*sc);
						}
						let mut sum = 0f32;
						for sc in scores[..=pos].iter_mut() {
							*sc = (*sc - max).exp();
							sum += *sc;
						}
						let oh = &mut out_row[head * hd..(head + 1) * hd];
						for (j, sc) in scores[..=pos].iter().enumerate() {
							let w = sc / sum;
							let vj = &vs[j * kv_dim + kvh * hd..j * kv_dim + (kvh + 1) * hd];
							oh.iter_mut().zip(vj).for_each(|(o, v)| *o += w * v);
						}
					}
				}
			}
			x += &layer.o.apply(&attn);
			let h = self.rms_norm(&x, &layer.post_norm);
			let mut g = layer.gate.apply(&h);
			let u = layer.up.apply(&h);
			g.zip_mut_with(&u, |g, u| *g = *g / (1.0 + (-*g).exp()) * u);
			x += &layer.down.apply(&g);
		}
		let x = self.rms_norm(&x, &self.norm);
		let mut out = Vec::with_capacity(steps.len());
		for (si, step) in steps.iter().enumerate() {
			let (start, n) = (starts[si], step.tokens.len());
			let rows = if step.all_logits { start..start + n } else { start + n - 1..start + n };
			let mut data = Vec::with_capacity(rows.len() * c.vocab_size);
			for r in rows {
				self.project_logits(x.slice(s![r, ..]), &mut data);
			}
			out.push(Logits { vocab: c.vocab_size, data });
		}
		for (step, mut cache) in steps.iter().zip(caches) {
			cache.len += step.tokens.len();
			self.cache.insert(step.seq, cache);
		}
		Ok(out)
	}
}
