//! Model configurations: the shape of the Sprint transformer, as data, shared by the chain (which
//! carries one as a parameter) and the kernels (which run it).
//!
//! The chain carries a [`ModelConfig`] as a parameter (SCALE-encoded, integers only), so a config
//! never contains a float: the hit radius is stored in millionths ([`ModelConfig::r_target_micros`]).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Unit of [`ModelConfig::r_target_micros`]: one millionth of a unit of distance.
pub const R_TARGET_UNIT: f64 = 1e-6;

/// The largest accepted value of any single dimension. Bounds memory and index arithmetic
/// (every index of every tensor fits comfortably in `u64` and in libtorch's `i64`).
pub const MAX_DIM: u32 = 1 << 16;

/// The largest accepted pool, in f32 values (2^28 values = 1 GiB).
pub const MAX_POOL_SIZE: u64 = 1 << 28;

/// The shape of the Sprint transformer and the hit radius (PROTOCOL §4).
///
/// A Llama-style decoder: `layers` blocks of RMSNorm → rotary causal multi-head attention →
/// residual, RMSNorm → SwiGLU feed-forward → residual; a final RMSNorm and an output projection
/// `dim → out_dim` of the last position.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Hash,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelConfig {
	/// Model width `d` (residual stream size).
	pub dim: u32,
	/// Number of decoder blocks `L`.
	pub layers: u32,
	/// Attention heads `h`; must divide `dim`, and `dim / heads` must be even (rotary pairs).
	pub heads: u32,
	/// Hidden size `f` of the SwiGLU feed-forward.
	pub ffn_dim: u32,
	/// Sequence length `s`: positions fed to the model per nonce.
	pub seq_len: u32,
	/// Output dimension `k`: the size of the unit vector compared with the target.
	pub out_dim: u32,
	/// Hit radius `r_target`, in millionths (`1_300_000` = 1.3). A nonce is a hit when the
	/// distance between the output and the target is below it. Must lie in (0, 2).
	pub r_target_micros: u32,
	/// Pool size `P` in f32 values: a power of two, at least as large as the largest tensor (so
	/// no tensor repeats a pool value) and as the input (`seq_len · dim`).
	pub pool_size: u64,
}

impl ModelConfig {
	/// The test and dev-chain model: d=64, L=2, h=4, f=256, s=16, k=64, P=2^16,
	/// `r_target` 1.25 (hit probability 0.040 for uniformly distributed outputs: one in 25).
	pub const fn tiny() -> Self {
		Self {
			dim: 64,
			layers: 2,
			heads: 4,
			ffn_dim: 256,
			seq_len: 16,
			out_dim: 64,
			r_target_micros: 1_250_000,
			pool_size: 1 << 16,
		}
	}

	/// The mainnet default to benchmark: d=1024, L=16, h=16, f=4096, s=128, k=1024, P=2^24,
	/// `r_target` 1.344 (hit probability 9.6e-4 for uniformly distributed outputs: one in 1,046).
	pub const fn h100() -> Self {
		Self {
			dim: 1024,
			layers: 16,
			heads: 16,
			ffn_dim: 4096,
			seq_len: 128,
			out_dim: 1024,
			r_target_micros: 1_344_000,
			pool_size: 1 << 24,
		}
	}

	/// A named config (`tiny`, `h100`), for command lines and test files.
	pub fn named(name: &str) -> Option<Self> {
		match name {
			"tiny" => Some(Self::tiny()),
			"h100" => Some(Self::h100()),
			_ => None,
		}
	}

	/// The hit radius as the f32 every backend compares with: `r_target_micros · 10^-6`, computed
	/// in f64 and rounded to the nearest f32. (Off chain only: the runtime never computes floats.)
	pub fn r_target(&self) -> f32 {
		(self.r_target_micros as f64 * R_TARGET_UNIT) as f32
	}

	/// Size of one attention head, `dim / heads`.
	pub fn head_dim(&self) -> usize {
		(self.dim / self.heads) as usize
	}

	/// Elements of the largest weight tensor.
	pub fn largest_tensor(&self) -> u64 {
		let (d, f, k) = (self.dim as u64, self.ffn_dim as u64, self.out_dim as u64);
		(d * d).max(d * f).max(d * k)
	}

	/// Number of weight parameters (every filled tensor; the norm weights, all ones, excluded).
	pub fn parameters(&self) -> u64 {
		let (d, f, k, l) =
			(self.dim as u64, self.ffn_dim as u64, self.out_dim as u64, self.layers as u64);
		l * (4 * d * d + 3 * d * f) + d * k
	}

	/// Model FLOPs of one nonce: the matrix products of the forward pass, counting a
	/// multiply-add as two FLOPs and attention over the full `s × s` square (as fused attention
	/// kernels compute it): `2·s·L·(4d² + 3df) + 4·L·s²·d + 2·d·k`. Norms, rotary and softmax are
	/// not counted. This is the numerator of model-FLOP utilisation.
	pub fn flops_per_nonce(&self) -> u64 {
		let (d, f, k, l, s) = (
			self.dim as u64,
			self.ffn_dim as u64,
			self.out_dim as u64,
			self.layers as u64,
			self.seq_len as u64,
		);
		2 * s * l * (4 * d * d + 3 * d * f) + 4 * l * s * s * d + 2 * d * k
	}

	/// Checks every field; the first bad one is named in the error.
	pub fn validate(&self) -> Result<(), ConfigError> {
		let dims = [
			("dim", self.dim),
			("layers", self.layers),
			("heads", self.heads),
			("ffn_dim", self.ffn_dim),
			("seq_len", self.seq_len),
			("out_dim", self.out_dim),
		];
		for (field, value) in dims {
			if value == 0 {
				return Err(ConfigError::Zero { field });
			}
			if value > MAX_DIM {
				return Err(ConfigError::TooLarge {
					field,
					value: value as u64,
					max: MAX_DIM as u64,
				});
			}
		}
		if !self.dim.is_multiple_of(self.heads) {
			return Err(ConfigError::HeadsDoNotDivideDim { dim: self.dim, heads: self.heads });
		}
		if !(self.dim / self.heads).is_multiple_of(2) {
			return Err(ConfigError::OddHeadDim { head_dim: self.dim / self.heads });
		}
		if self.r_target_micros == 0 || self.r_target_micros >= 2_000_000 {
			return Err(ConfigError::RTargetOutOfRange { r_target_micros: self.r_target_micros });
		}
		if !self.pool_size.is_power_of_two() {
			return Err(ConfigError::PoolNotPowerOfTwo { pool_size: self.pool_size });
		}
		if self.pool_size > MAX_POOL_SIZE {
			return Err(ConfigError::TooLarge {
				field: "pool_size",
				value: self.pool_size,
				max: MAX_POOL_SIZE,
			});
		}
		let needed = self
			.largest_tensor()
			.max(self.seq_len as u64 * self.dim as u64)
			.max(self.out_dim as u64);
		if self.pool_size < needed {
			return Err(ConfigError::PoolTooSmall { pool_size: self.pool_size, needed });
		}
		Ok(())
	}
}

/// A [`ModelConfig`] field that cannot work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
	/// A dimension is zero.
	Zero { field: &'static str },
	/// A dimension or the pool is larger than the protocol accepts.
	TooLarge { field: &'static str, value: u64, max: u64 },
	/// `heads` does not divide `dim`.
	HeadsDoNotDivideDim { dim: u32, heads: u32 },
	/// `dim / heads` is odd, so rotary embedding cannot pair the head's channels.
	OddHeadDim { head_dim: u32 },
	/// `r_target` outside the open interval (0, 2) of possible distances between unit vectors.
	RTargetOutOfRange { r_target_micros: u32 },
	/// The pool size is not a power of two, so an odd stride would not walk the whole pool.
	PoolNotPowerOfTwo { pool_size: u64 },
	/// The pool is smaller than the largest tensor or the input, so values would repeat.
	PoolTooSmall { pool_size: u64, needed: u64 },
}

impl core::fmt::Display for ConfigError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Zero { field } =>
				write!(f, "model config: `{field}` is 0; every dimension must be at least 1"),
			Self::TooLarge { field, value, max } =>
				write!(f, "model config: `{field}` is {value}, above the limit of {max}"),
			Self::HeadsDoNotDivideDim { dim, heads } =>
				write!(f, "model config: `heads` ({heads}) does not divide `dim` ({dim})"),
			Self::OddHeadDim { head_dim } => write!(
				f,
				"model config: the head size `dim / heads` is {head_dim}; rotary embedding needs it even"
			),
			Self::RTargetOutOfRange { r_target_micros } => write!(
				f,
				"model config: `r_target_micros` is {r_target_micros}; it must lie strictly between 0 and 2_000_000 (distance 2)"
			),
			Self::PoolNotPowerOfTwo { pool_size } =>
				write!(f, "model config: `pool_size` is {pool_size}; it must be a power of two"),
			Self::PoolTooSmall { pool_size, needed } => write!(
				f,
				"model config: `pool_size` is {pool_size}, smaller than the {needed} values the largest tensor (or the input) takes; use at least the next power of two"
			),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn presets_are_valid() {
		ModelConfig::tiny().validate().unwrap();
		ModelConfig::h100().validate().unwrap();
		assert_eq!(ModelConfig::named("tiny"), Some(ModelConfig::tiny()));
		assert_eq!(ModelConfig::named("h101"), None);
	}

	#[test]
	fn h100_counts() {
		let c = ModelConfig::h100();
		// 16 · (4·1024² + 3·1024·4096) + 1024² = 269,484,032 filled parameters.
		assert_eq!(c.parameters(), 269_484_032);
		// ≈ 69.8 GFLOP per nonce.
		assert_eq!(c.flops_per_nonce(), 69_795_315_712);
		assert_eq!(c.r_target(), 1.344f32);
	}

	#[test]
	fn every_bad_field_is_named() {
		let ok = ModelConfig::tiny();
		let cases: Vec<(ModelConfig, ConfigError)> = vec![
			(ModelConfig { dim: 0, ..ok }, ConfigError::Zero { field: "dim" }),
			(ModelConfig { layers: 0, ..ok }, ConfigError::Zero { field: "layers" }),
			(ModelConfig { heads: 0, ..ok }, ConfigError::Zero { field: "heads" }),
			(ModelConfig { ffn_dim: 0, ..ok }, ConfigError::Zero { field: "ffn_dim" }),
			(ModelConfig { seq_len: 0, ..ok }, ConfigError::Zero { field: "seq_len" }),
			(ModelConfig { out_dim: 0, ..ok }, ConfigError::Zero { field: "out_dim" }),
			(
				ModelConfig { dim: MAX_DIM + 1, ..ok },
				ConfigError::TooLarge {
					field: "dim",
					value: MAX_DIM as u64 + 1,
					max: MAX_DIM as u64,
				},
			),
			(
				ModelConfig { heads: 3, ..ok },
				ConfigError::HeadsDoNotDivideDim { dim: 64, heads: 3 },
			),
			(ModelConfig { heads: 64, ..ok }, ConfigError::OddHeadDim { head_dim: 1 }),
			(
				ModelConfig { r_target_micros: 0, ..ok },
				ConfigError::RTargetOutOfRange { r_target_micros: 0 },
			),
			(
				ModelConfig { r_target_micros: 2_000_000, ..ok },
				ConfigError::RTargetOutOfRange { r_target_micros: 2_000_000 },
			),
			(
				ModelConfig { pool_size: 65_535, ..ok },
				ConfigError::PoolNotPowerOfTwo { pool_size: 65_535 },
			),
			(
				ModelConfig { pool_size: 1 << 13, ..ok },
				ConfigError::PoolTooSmall { pool_size: 1 << 13, needed: 16_384 },
			),
			(
				ModelConfig { pool_size: 1 << 29, ..ok },
				ConfigError::TooLarge { field: "pool_size", value: 1 << 29, max: MAX_POOL_SIZE },
			),
		];
		for (config, expected) in cases {
			assert_eq!(config.validate(), Err(expected.clone()), "{config:?}");
			// The message names the field an operator must fix.
			#[cfg(feature = "std")]
			assert!(expected.to_string().contains("model config"));
		}
	}

	#[test]
	fn scale_round_trip() {
		let c = ModelConfig::h100();
		assert_eq!(ModelConfig::decode(&mut &c.encode()[..]).unwrap(), c);
	}
}
