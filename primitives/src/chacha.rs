//! ChaCha20, the counter-based generator behind the pool and the validation samples.
//!
//! The original ChaCha20 of D. J. Bernstein (20 rounds, 64-bit block counter, 64-bit nonce),
//! with the nonce fixed to zero: the input block of block number `i` is
//!
//! ```text
//! words 0..4   "expand 32-byte k" = 0x61707865 0x3320646e 0x79622d32 0x6b206574
//! words 4..12  the 32-byte key, as 8 little-endian u32
//! word  12     i & 0xffff_ffff
//! word  13     i >> 32
//! words 14, 15 0
//! ```
//!
//! and its output is the 16 words of (20 rounds of the block) + (input block), each wrapping. This
//! is RFC 8439's block function with counter `i mod 2^32` and nonce bytes
//! `(i >> 32) as u32 LE ‖ 0u32 ‖ 0u32`, so any ChaCha20 implementation can produce it. Because
//! block `i` depends only on the key and `i`, a stream can be generated in parallel.

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[inline(always)]
fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
	s[a] = s[a].wrapping_add(s[b]);
	s[d] = (s[d] ^ s[a]).rotate_left(16);
	s[c] = s[c].wrapping_add(s[d]);
	s[b] = (s[b] ^ s[c]).rotate_left(12);
	s[a] = s[a].wrapping_add(s[b]);
	s[d] = (s[d] ^ s[a]).rotate_left(8);
	s[c] = s[c].wrapping_add(s[d]);
	s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// The 16 output words of block number `counter` under `key`.
#[inline]
pub fn block(key: &[u8; 32], counter: u64) -> [u32; 16] {
	let mut input = [0u32; 16];
	input[..4].copy_from_slice(&CONSTANTS);
	for (i, chunk) in key.chunks_exact(4).enumerate() {
		input[4 + i] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
	}
	input[12] = counter as u32;
	input[13] = (counter >> 32) as u32;
	let mut s = input;
	for _ in 0..10 {
		quarter_round(&mut s, 0, 4, 8, 12);
		quarter_round(&mut s, 1, 5, 9, 13);
		quarter_round(&mut s, 2, 6, 10, 14);
		quarter_round(&mut s, 3, 7, 11, 15);
		quarter_round(&mut s, 0, 5, 10, 15);
		quarter_round(&mut s, 1, 6, 11, 12);
		quarter_round(&mut s, 2, 7, 8, 13);
		quarter_round(&mut s, 3, 4, 9, 14);
	}
	for (o, i) in s.iter_mut().zip(input.iter()) {
		*o = o.wrapping_add(*i);
	}
	s
}

/// A sequential reader of the ChaCha20 word stream: block 0's 16 words, then block 1's, ...
pub struct WordStream {
	key: [u8; 32],
	counter: u64,
	buf: [u32; 16],
	pos: usize,
}

impl WordStream {
	/// The stream under `key`, from its first word.
	pub fn new(key: [u8; 32]) -> Self {
		Self { key, counter: 0, buf: [0; 16], pos: 16 }
	}

	/// The next word.
	#[inline]
	pub fn next_u32(&mut self) -> u32 {
		if self.pos == 16 {
			self.buf = block(&self.key, self.counter);
			self.counter += 1;
			self.pos = 0;
		}
		let w = self.buf[self.pos];
		self.pos += 1;
		w
	}

	/// The next two words as one u64, the first word in the low half.
	#[inline]
	pub fn next_u64(&mut self) -> u64 {
		let lo = self.next_u32() as u64;
		let hi = self.next_u32() as u64;
		lo | (hi << 32)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// RFC 8439 §2.1.1.
	#[test]
	fn quarter_round_rfc8439() {
		let mut s = [0u32; 16];
		s[0] = 0x1111_1111;
		s[1] = 0x0102_0304;
		s[2] = 0x9b8d_6f43;
		s[3] = 0x0123_4567;
		quarter_round(&mut s, 0, 1, 2, 3);
		assert_eq!(&s[..4], &[0xea2a_92f4, 0xcb1c_f8ce, 0x4581_472e, 0x5881_c4bb]);
	}

	/// The ChaCha20 test vector of draft-agl-tls-chacha20poly1305 / RFC 7539 §A.1 test vector #1:
	/// all-zero key, all-zero nonce, block 0 starts 76 b8 e0 ad a0 f1 3d 90.
	#[test]
	fn zero_key_block_zero() {
		let out = block(&[0u8; 32], 0);
		let bytes: alloc::vec::Vec<u8> = out.iter().flat_map(|w| w.to_le_bytes()).collect();
		assert_eq!(
			bytes[..32],
			[
				0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
				0xbd, 0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36, 0xef, 0xcc,
				0x8b, 0x77, 0x0d, 0xc7
			]
		);
		// Block 1 of the same stream (RFC 7539 §A.1 test vector #2 is key 0, counter 1).
		let out1 = block(&[0u8; 32], 1);
		let bytes1: alloc::vec::Vec<u8> = out1.iter().flat_map(|w| w.to_le_bytes()).collect();
		assert_eq!(
			bytes1[..16],
			[
				0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a, 0x98, 0xba, 0x97, 0x7c, 0x73, 0x2d,
				0x08, 0x0d
			]
		);
	}

	#[test]
	fn stream_reads_blocks_in_order() {
		let key = [7u8; 32];
		let mut s = WordStream::new(key);
		let words: alloc::vec::Vec<u32> = (0..40).map(|_| s.next_u32()).collect();
		assert_eq!(&words[..16], &block(&key, 0));
		assert_eq!(&words[16..32], &block(&key, 1));
		assert_eq!(&words[32..40], &block(&key, 2)[..8]);
		let mut s = WordStream::new(key);
		let b = block(&key, 0);
		assert_eq!(s.next_u64(), b[0] as u64 | (b[1] as u64) << 32);
	}
}
