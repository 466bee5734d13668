//! Which leaves a validator samples and how it commits to what it saw (PROTOCOL §6): the parts
//! the chain re-computes bit for bit, so they live here, `no_std`, beside the words they use.
//!
//! A host's **pool** is `n = min(count, 2 · sample_size)` leaf positions; a validator samples
//! `min(count, sample_size)` of them. Both choices are Floyd's algorithm over the ChaCha20 stream
//! ([`crate::chacha`]) keyed by a blake2 hash the caller computes (the chain with its host
//! function, the worker with `blake2b_simd`):
//!
//! - pool: key `blake2_256(sampling_seed ‖ host ‖ "pool")`, `2 · sample_size` of `count` leaf
//!   indices (every index when `count ≤ 2 · sample_size`);
//! - sample: key `blake2_256(sampling_seed ‖ validator ‖ host)`, `sample_size` of the `n` pool
//!   positions (every position when `count ≤ sample_size`).
//!
//! **Check bits** are one bit per sampled position, in increasing position order (which is
//! increasing leaf index): whether the re-computed f32 distance is below `r_mid`; 0 for a leaf
//! that could not be re-computed. Packed least significant bit first ([`pack_bits`]).

use alloc::vec::Vec;
use codec::Encode;

use crate::{chacha::WordStream, EpochIndex, Verdict};

/// The most check bits one reveal carries (PROTOCOL §11: `sample_size ≤ 1,000`).
pub const MAX_CHECK_BITS: u32 = 1_000;

/// The most bytes of packed check bits.
pub const MAX_CHECK_BYTES: u32 = MAX_CHECK_BITS.div_ceil(8);

/// The most positions of a pool (`2 · sample_size`).
pub const MAX_POOL_POSITIONS: u32 = 2 * MAX_CHECK_BITS;

/// The most bytes of a bitmap over a pool's positions.
pub const MAX_POOL_BYTES: u32 = MAX_POOL_POSITIONS.div_ceil(8);

/// What a verdict commitment hashes before its fields (PROTOCOL §6.6).
pub const VERDICT_CONTEXT: &[u8] = b"gonka/verdict";

/// A bitmap of `len` bits, least significant bit of byte 0 first.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Bitmap {
	bytes: Vec<u8>,
	len: u32,
}

impl Bitmap {
	/// `len` zero bits.
	pub fn zeros(len: u32) -> Self {
		Self { bytes: alloc::vec![0; len.div_ceil(8) as usize], len }
	}

	/// The bitmap of `len` bits stored in `bytes` (as [`Self::as_bytes`] gives them); `None` when
	/// the length is not `ceil(len / 8)` or a bit past `len` is set.
	pub fn from_bytes(bytes: &[u8], len: u32) -> Option<Self> {
		if bytes.len() != len.div_ceil(8) as usize {
			return None;
		}
		let spare = (8 - len % 8) % 8;
		if spare > 0 && bytes.last().is_some_and(|b| b >> (8 - spare) != 0) {
			return None;
		}
		Some(Self { bytes: bytes.to_vec(), len })
	}

	pub fn len(&self) -> u32 {
		self.len
	}

	pub fn is_empty(&self) -> bool {
		self.len == 0
	}

	pub fn get(&self, i: u32) -> bool {
		i < self.len && self.bytes[(i / 8) as usize] & (1 << (i % 8)) != 0
	}

	pub fn set(&mut self, i: u32) {
		if i < self.len {
			self.bytes[(i / 8) as usize] |= 1 << (i % 8);
		}
	}

	/// Set bits.
	pub fn count_ones(&self) -> u32 {
		self.bytes.iter().map(|b| b.count_ones()).sum()
	}

	/// The positions of the set bits, ascending.
	pub fn ones(&self) -> impl Iterator<Item = u32> + '_ {
		(0..self.len).filter(|&i| self.get(i))
	}

	pub fn as_bytes(&self) -> &[u8] {
		&self.bytes
	}

	pub fn into_bytes(self) -> Vec<u8> {
		self.bytes
	}
}

/// `s` distinct positions of `0..n` (`s ≤ n`) by Floyd's algorithm from the ChaCha20 stream
/// keyed by `key`: for `j = n − s, …, n − 1`, draw the next u64 `x` of the stream (two words,
/// the first in the low half), `t = x mod (j+1)`; take `t` if not taken yet, else `j`. Exactly
/// `s` draws; the set as a bitmap of `n` bits.
pub fn floyd(key: [u8; 32], n: u32, s: u32) -> Bitmap {
	let mut stream = WordStream::new(key);
	let mut taken = Bitmap::zeros(n);
	for j in n.saturating_sub(s)..n {
		let t = (stream.next_u64() % (j as u64 + 1)) as u32;
		if taken.get(t) {
			taken.set(j);
		} else {
			taken.set(t);
		}
	}
	taken
}

/// Like [`floyd`] over leaf indices `0..n` with `n` up to 2^64 (the pool of a large commitment):
/// the chosen indices, ascending.
pub fn floyd_indices(key: [u8; 32], n: u64, s: u64) -> Vec<u64> {
	let mut stream = WordStream::new(key);
	let mut taken = alloc::collections::BTreeSet::new();
	for j in n.saturating_sub(s)..n {
		let t = stream.next_u64() % (j + 1);
		if !taken.insert(t) {
			taken.insert(j);
		}
	}
	taken.into_iter().collect()
}

/// The number of positions in the pool of a commitment of `count` leaves.
pub fn pool_len(count: u64, sample_size: u32) -> u32 {
	count.min(2 * sample_size as u64) as u32
}

/// The pool positions a validator samples from a commitment of `count` leaves, as a bitmap over
/// the pool (`pool_len` bits); `sample_key` is `blake2_256(sampling_seed ‖ validator ‖ host)`.
pub fn sampled_positions(sample_key: [u8; 32], count: u64, sample_size: u32) -> Bitmap {
	let n = pool_len(count, sample_size);
	if count <= sample_size as u64 {
		let mut all = Bitmap::zeros(n);
		(0..n).for_each(|i| all.set(i));
		return all;
	}
	floyd(sample_key, n, sample_size)
}

/// The number of check bits a validator reveals for a commitment of `count` leaves.
pub fn check_bits_len(count: u64, sample_size: u32) -> u32 {
	count.min(sample_size as u64) as u32
}

/// Packs check bits (one per sampled position, ascending) least significant bit first.
pub fn pack_bits(bits: &[bool]) -> Vec<u8> {
	let mut map = Bitmap::zeros(bits.len() as u32);
	for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
		map.set(i as u32);
	}
	map.into_bytes()
}

/// The message a validator's verdict commitment hashes (PROTOCOL §6.6): `"gonka/verdict" ‖
/// u32_le(epoch) ‖ SCALE(host) ‖ SCALE(validator) ‖ SCALE(verdict) ‖ SCALE(bits) ‖ salt`. The
/// commitment is `blake2_256` of it. Naming the epoch, host and validator means a commitment
/// cannot be copied from another validator, nor replayed on another host or epoch.
pub fn verdict_commitment_message<AccountId: Encode>(
	epoch: EpochIndex,
	host: &AccountId,
	validator: &AccountId,
	verdict: Verdict,
	bits: &[u8],
	salt: &[u8; 32],
) -> Vec<u8> {
	let mut message = VERDICT_CONTEXT.to_vec();
	message.extend_from_slice(&epoch.to_le_bytes());
	host.encode_to(&mut message);
	validator.encode_to(&mut message);
	verdict.encode_to(&mut message);
	bits.encode_to(&mut message);
	message.extend_from_slice(salt);
	message
}

/// How a validator's check bits compare with the other revealed validators' on one host
/// (PROTOCOL §6, lazy validators).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Agreement {
	/// Positions it sampled that at least two other revealed validators sampled too and on
	/// which the others have a strict majority.
	pub shared: u32,
	/// Of those, positions where its bit differs from that majority.
	pub disagreements: u32,
}

/// Per-position counts of the revealed validators of one host: how many sampled each pool
/// position and how many of those saw it below `r_mid`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PositionCounts {
	seen: Vec<u8>,
	below: Vec<u8>,
}

impl PositionCounts {
	/// No validator yet, over a pool of `n` positions.
	pub fn new(n: u32) -> Self {
		Self { seen: alloc::vec![0; n as usize], below: alloc::vec![0; n as usize] }
	}

	/// Adds one validator's sampled positions and below-`r_mid` bits (both over the pool).
	pub fn add(&mut self, sampled: &Bitmap, below: &Bitmap) {
		for p in sampled.ones() {
			let p = p as usize;
			if p < self.seen.len() {
				self.seen[p] = self.seen[p].saturating_add(1);
				if below.get(p as u32) {
					self.below[p] = self.below[p].saturating_add(1);
				}
			}
		}
	}

	/// How the validator with `sampled` and `below` (already [`add`](Self::add)ed) compares
	/// with the majority of the others: a position counts when at least 3 validators saw it
	/// (so at least 2 others) and the others are not tied.
	pub fn agreement(&self, sampled: &Bitmap, below: &Bitmap) -> Agreement {
		let mut out = Agreement::default();
		for p in sampled.ones() {
			let i = p as usize;
			let Some(&seen) = self.seen.get(i) else { continue };
			if seen < 3 {
				continue;
			}
			let own = below.get(p);
			let others = (seen - 1) as u32;
			let others_below = (self.below[i] - own as u8) as u32;
			if 2 * others_below == others {
				continue;
			}
			out.shared += 1;
			if own != (2 * others_below > others) {
				out.disagreements += 1;
			}
		}
		out
	}
}

/// Scatters check bits (one per set position of `sampled`, ascending) over the pool: the
/// positions seen below `r_mid`. `None` when `bits` is not exactly one packed bit per sampled
/// position.
pub fn below_positions(sampled: &Bitmap, bits: &[u8]) -> Option<Bitmap> {
	let bits = Bitmap::from_bytes(bits, sampled.count_ones())?;
	let mut below = Bitmap::zeros(sampled.len());
	for (k, p) in sampled.ones().enumerate() {
		if bits.get(k as u32) {
			below.set(p);
		}
	}
	Some(below)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn floyd_bitmap_matches_floyd_indices() {
		for (n, s) in [(400u32, 200u32), (10, 10), (10, 0), (2000, 1000), (7, 3)] {
			let key = [n as u8 ^ s as u8; 32];
			let map = floyd(key, n, s);
			assert_eq!(map.count_ones(), s);
			let ones: Vec<u64> = map.ones().map(u64::from).collect();
			assert_eq!(ones, floyd_indices(key, n as u64, s as u64));
		}
	}

	#[test]
	fn sampled_positions_cover_small_commitments() {
		let key = [3; 32];
		assert_eq!(sampled_positions(key, 150, 200).count_ones(), 150);
		assert_eq!(sampled_positions(key, 150, 200).len(), 150);
		let mid = sampled_positions(key, 300, 200);
		assert_eq!((mid.len(), mid.count_ones()), (300, 200));
		let big = sampled_positions(key, 1 << 20, 200);
		assert_eq!((big.len(), big.count_ones()), (400, 200));
		assert_eq!(check_bits_len(150, 200), 150);
		assert_eq!(check_bits_len(1 << 20, 200), 200);
	}

	#[test]
	fn bitmaps_refuse_wrong_lengths_and_stray_bits() {
		assert!(Bitmap::from_bytes(&[0xff], 8).is_some());
		assert!(Bitmap::from_bytes(&[0x0f], 4).is_some());
		assert!(Bitmap::from_bytes(&[0x1f], 4).is_none());
		assert!(Bitmap::from_bytes(&[0, 0], 8).is_none());
		assert!(Bitmap::from_bytes(&[], 0).is_some());
		assert_eq!(
			pack_bits(&[true, false, true, true, false, false, false, false, true]),
			[0b1101, 1]
		);
	}

	#[test]
	fn bits_scatter_over_the_sampled_positions() {
		let mut sampled = Bitmap::zeros(10);
		[1, 4, 7].iter().for_each(|&p| sampled.set(p));
		let below = below_positions(&sampled, &pack_bits(&[true, false, true])).unwrap();
		assert_eq!(below.ones().collect::<Vec<_>>(), [1, 7]);
		assert!(below_positions(&sampled, &[0b101, 0]).is_none(), "one byte too many");
		assert!(below_positions(&sampled, &[0b1000]).is_none());
	}

	#[test]
	fn agreement_counts_only_positions_three_saw_with_a_majority() {
		let all = {
			let mut m = Bitmap::zeros(4);
			(0..4).for_each(|p| m.set(p));
			m
		};
		let bits = |ones: &[u32]| {
			let mut m = Bitmap::zeros(4);
			ones.iter().for_each(|&p| m.set(p));
			m
		};
		// Three honest validators agree on {0, 2}; a fourth says {1, 3}.
		let honest = bits(&[0, 2]);
		let odd = bits(&[1, 3]);
		let mut counts = PositionCounts::new(4);
		for _ in 0..3 {
			counts.add(&all, &honest);
		}
		counts.add(&all, &odd);
		assert_eq!(counts.agreement(&all, &honest), Agreement { shared: 4, disagreements: 0 });
		assert_eq!(counts.agreement(&all, &odd), Agreement { shared: 4, disagreements: 4 });
		// With only two validators nothing is shared by three.
		let mut two = PositionCounts::new(4);
		two.add(&all, &honest);
		two.add(&all, &odd);
		assert_eq!(two.agreement(&all, &odd), Agreement::default());
		// Three validators, the others tied (one each way): not counted.
		let mut tied = PositionCounts::new(4);
		tied.add(&all, &honest);
		tied.add(&all, &odd);
		tied.add(&all, &honest);
		assert_eq!(tied.agreement(&all, &honest), Agreement { shared: 0, disagreements: 0 });
		assert_eq!(tied.agreement(&all, &odd), Agreement { shared: 4, disagreements: 4 });
	}

	#[test]
	fn commitment_message_names_everything() {
		let m = verdict_commitment_message(7, &1u64, &2u64, Verdict::Valid, &[5], &[9; 32]);
		let mut expected = b"gonka/verdict".to_vec();
		expected.extend_from_slice(&7u32.to_le_bytes());
		expected.extend_from_slice(&1u64.to_le_bytes());
		expected.extend_from_slice(&2u64.to_le_bytes());
		expected.extend_from_slice(&[0, 4, 5]);
		expected.extend_from_slice(&[9; 32]);
		assert_eq!(m, expected);
	}
}
