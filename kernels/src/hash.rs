//! The hash derivations of the Sprint function. Every hash is BLAKE2b with a 32-byte digest, no
//! key, no salt, no personalisation (`blake2_256`, as Substrate's `sp_core::hashing`), over the
//! plain concatenation of its inputs.

/// A 32-byte epoch seed (PROTOCOL §3).
pub type Seed = [u8; 32];

/// A host's 32-byte public key (its sr25519 account id).
pub type HostKey = [u8; 32];

/// `blake2_256(parts[0] ‖ parts[1] ‖ ...)`.
pub fn blake2_256(parts: &[&[u8]]) -> [u8; 32] {
	let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
	for part in parts {
		state.update(part);
	}
	let mut out = [0u8; 32];
	out.copy_from_slice(state.finalize().as_bytes());
	out
}

/// The first 8 bytes of a digest as a little-endian u64.
pub fn u64_le(digest: &[u8; 32]) -> u64 {
	u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The bytes 8..16 of a digest as a little-endian u64.
pub fn u64_le_second(digest: &[u8; 32]) -> u64 {
	u64::from_le_bytes(digest[8..16].try_into().expect("8 bytes"))
}

/// Key of the pool generator: `blake2_256(seed ‖ "pool")`.
pub fn pool_key(seed: &Seed) -> [u8; 32] {
	blake2_256(&[seed, b"pool"])
}

/// Where a tensor's walk starts and its step: `h = blake2_256(seed ‖ name)`,
/// `offset = u64_le(h[0..8]) mod P`, `stride = (u64_le(h[8..16]) mod P) | 1`.
pub fn tensor_walk(seed: &Seed, name: &str, pool_size: u64) -> (u64, u64) {
	let h = blake2_256(&[seed, name.as_bytes()]);
	let mask = pool_size - 1;
	(u64_le(&h) & mask, (u64_le_second(&h) & mask) | 1)
}

/// Offset of a nonce's input in the pool: `u64_le(blake2_256(seed ‖ pk ‖ u64_le(nonce))) mod P`.
pub fn input_offset(seed: &Seed, pk: &HostKey, nonce: u64, pool_size: u64) -> u64 {
	u64_le(&blake2_256(&[seed, pk, &nonce.to_le_bytes()])) & (pool_size - 1)
}

/// Offset of the target in the pool: `u64_le(blake2_256(seed ‖ "target")) mod P`.
pub fn target_offset(seed: &Seed, pool_size: u64) -> u64 {
	u64_le(&blake2_256(&[seed, b"target"])) & (pool_size - 1)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn blake2_256_known_answer() {
		// blake2b-256 of the empty input (as sp_core::hashing::blake2_256(&[])).
		assert_eq!(
			hex::encode(blake2_256(&[])),
			"0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
		// Concatenation, not framing: the parts may be split anywhere.
		assert_eq!(blake2_256(&[b"ab", b"c"]), blake2_256(&[b"abc"]));
	}

	#[test]
	fn strides_are_odd_and_in_range() {
		for name in ["output", "layers.0.attention.wq", "layers.15.feed_forward.w2"] {
			let (off, stride) = tensor_walk(&[1; 32], name, 1 << 16);
			assert!(off < 1 << 16 && stride < 1 << 16 && stride % 2 == 1);
		}
	}
}
