//! The commitment of PROTOCOL §5: a binary blake2_256 Merkle tree over the hits' nonces, and its
//! proofs.
//!
//! * Leaf `i` is a hit's nonce; leaves are sorted, strictly increasing. The distance is not part
//!   of the leaf: a validator re-computes it, so a claimed distance would prove nothing.
//! * Leaf hash: `blake2_256(0x00 ‖ u64_le(nonce))` (9 bytes hashed).
//! * Node hash: `blake2_256(0x01 ‖ left ‖ right)` (65 bytes hashed). The prefixes keep a leaf from
//!   ever being read as a node.
//! * Levels: level 0 holds the leaf hashes; level `l + 1` pairs level `l`'s hashes in order
//!   (0 with 1, 2 with 3, ...); when a level has an odd number of hashes the last one is
//!   **promoted** unchanged to the next level. The root is the single hash of the last level; a
//!   tree of one leaf has that leaf's hash as root.
//! * A proof of leaf `i` lists the sibling hash at every level where the node has one, from the
//!   leaves up; levels where the node is promoted contribute nothing. Its length is therefore
//!   fixed by `i` and the leaf count, which the verifier knows from the chain.
//! * A **sample proof** of index `i` is the proof of leaf `i` and, when `i + 1 < count`, the proof
//!   of its neighbour `i + 1` (PROTOCOL §5–§6): with both, a validator sees that the two nonces
//!   are strictly increasing, so a repeated or disordered leaf cannot hide between samples.

use codec::{Decode, Encode};
use rayon::prelude::*;

use crate::{error::MerkleError, hash::blake2_256};

/// A 32-byte hash.
pub type Hash = [u8; 32];

// The most leaves one commitment may hold (2^24 = 16,777,216: proofs of at most 24 hashes).
pub use gonka_primitives::{MAX_LEAVES, MAX_PROOF_DEPTH};

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of the leaf holding `nonce`.
pub fn leaf_hash(nonce: u64) -> Hash {
	blake2_256(&[&[LEAF_PREFIX], &nonce.to_le_bytes()])
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
	blake2_256(&[&[NODE_PREFIX], left, right])
}

/// A leaf and its path to the root.
///
/// SCALE: `index` u64 LE (8 bytes), `nonce` u64 LE (8 bytes), `siblings` compact length then 32
/// bytes each.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct LeafProof {
	pub index: u64,
	pub nonce: u64,
	pub siblings: Vec<Hash>,
}

/// What the proof server returns for each requested index: the leaf's proof and its
/// neighbour's (`None` only for the last leaf). A response to `GET
/// /v1/sprint/{epoch}/proofs?indices=…` is the SCALE `Vec<SampleProof>`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SampleProof {
	pub leaf: LeafProof,
	pub next: Option<LeafProof>,
}

/// The most bytes one honest [`SampleProof`] takes in SCALE: two proofs of index 8 + nonce 8 + a
/// compact length (1 byte up to 63 siblings) + 24 siblings, and the option's byte.
pub const MAX_SAMPLE_PROOF_BYTES: usize = 1 + 2 * (8 + 8 + 1 + MAX_PROOF_DEPTH * 32);

/// The number of sibling hashes in a proof of leaf `index` in a tree of `count` leaves.
pub fn proof_len(index: u64, count: u64) -> usize {
	let (mut pos, mut n, mut len) = (index, count, 0);
	while n > 1 {
		if !(pos == n - 1 && n % 2 == 1) {
			len += 1;
		}
		pos /= 2;
		n = n.div_ceil(2);
	}
	len
}

/// Checks `proof` against the committed `root` and leaf `count`.
pub fn verify(root: &Hash, count: u64, proof: &LeafProof) -> Result<(), MerkleError> {
	let index = proof.index;
	if index >= count {
		return Err(MerkleError::IndexOutOfRange { index, count });
	}
	let expected = proof_len(index, count);
	if proof.siblings.len() != expected {
		return Err(MerkleError::WrongProofLength {
			index,
			count,
			got: proof.siblings.len(),
			expected,
		});
	}
	let mut hash = leaf_hash(proof.nonce);
	let mut siblings = proof.siblings.iter();
	let (mut pos, mut n) = (index, count);
	while n > 1 {
		if !(pos == n - 1 && n % 2 == 1) {
			let sibling = siblings.next().expect("length checked");
			hash = if pos % 2 == 0 { node_hash(&hash, sibling) } else { node_hash(sibling, &hash) };
		}
		pos /= 2;
		n = n.div_ceil(2);
	}
	if &hash == root {
		Ok(())
	} else {
		Err(MerkleError::RootMismatch { index })
	}
}

/// A tree over a Sprint's hits' nonces, kept in memory to answer proof requests. Level 0 (the
/// leaf hashes) is not stored but recomputed from the leaves when a proof needs it, which
/// halves the memory: 10 million leaves take 80 MB of nonces and 320 MB of inner nodes.
pub struct MerkleTree {
	leaves: Vec<u64>,
	/// Levels 1, 2, ..., the last holding the root (empty for a one-leaf tree).
	levels: Vec<Vec<Hash>>,
	root: Hash,
}

impl MerkleTree {
	/// Builds the tree (in parallel). Nonces must be strictly increasing.
	pub fn new(leaves: Vec<u64>) -> Result<Self, MerkleError> {
		let count = leaves.len() as u64;
		if count == 0 {
			return Err(MerkleError::NoLeaves);
		}
		if count > MAX_LEAVES {
			return Err(MerkleError::TooManyLeaves { count, max: MAX_LEAVES });
		}
		if let Some(i) = leaves.windows(2).position(|w| w[1] <= w[0]) {
			return Err(MerkleError::NotSorted {
				index: i as u64 + 1,
				nonce: leaves[i + 1],
				previous: leaves[i],
			});
		}
		Ok(Self::build(leaves))
	}

	/// The levels and root over `leaves` (not empty).
	fn build(leaves: Vec<u64>) -> Self {
		let hashes: Vec<Hash> = leaves.par_iter().map(|n| leaf_hash(*n)).collect();
		let mut levels: Vec<Vec<Hash>> = Vec::new();
		loop {
			let below = levels.last().unwrap_or(&hashes);
			if below.len() == 1 {
				break;
			}
			let next: Vec<Hash> = below
				.par_chunks(2)
				.map(|pair| if pair.len() == 2 { node_hash(&pair[0], &pair[1]) } else { pair[0] })
				.collect();
			levels.push(next);
		}
		let root = levels.last().unwrap_or(&hashes)[0];
		Self { leaves, levels, root }
	}

	/// Builds a tree over leaves in any order, repeats allowed: what a cheating host would
	/// commit. For tests and attack simulations; an honest worker uses [`Self::new`].
	pub fn unchecked(leaves: Vec<u64>) -> Result<Self, MerkleError> {
		if leaves.is_empty() {
			return Err(MerkleError::NoLeaves);
		}
		let count = leaves.len() as u64;
		if count > MAX_LEAVES {
			return Err(MerkleError::TooManyLeaves { count, max: MAX_LEAVES });
		}
		Ok(Self::build(leaves))
	}

	pub fn root(&self) -> Hash {
		self.root
	}

	pub fn count(&self) -> u64 {
		self.leaves.len() as u64
	}

	/// The nonces, in leaf order.
	pub fn leaves(&self) -> &[u64] {
		&self.leaves
	}

	/// Levels 1, 2, …, the last holding the root (empty for a one-leaf tree): level `l + 1` has
	/// `ceil(len(l) / 2)` hashes. With the leaves this is the whole tree, e.g. to write it to disk
	/// and serve proofs from there.
	pub fn inner_levels(&self) -> &[Vec<Hash>] {
		&self.levels
	}

	/// The proof of leaf `index`.
	pub fn proof(&self, index: u64) -> Result<LeafProof, MerkleError> {
		let count = self.count();
		if index >= count {
			return Err(MerkleError::IndexOutOfRange { index, count });
		}
		let mut siblings = Vec::with_capacity(proof_len(index, count));
		let (mut pos, mut n) = (index as usize, count as usize);
		let mut level = 0;
		while n > 1 {
			if !(pos == n - 1 && n % 2 == 1) {
				let sib = pos ^ 1;
				siblings.push(if level == 0 {
					leaf_hash(self.leaves[sib])
				} else {
					self.levels[level - 1][sib]
				});
			}
			pos /= 2;
			n = n.div_ceil(2);
			level += 1;
		}
		Ok(LeafProof { index, nonce: self.leaves[index as usize], siblings })
	}

	/// The sample proof of `index`: its proof and its neighbour's.
	pub fn sample_proof(&self, index: u64) -> Result<SampleProof, MerkleError> {
		let leaf = self.proof(index)?;
		let next = if index + 1 < self.count() { Some(self.proof(index + 1)?) } else { None };
		Ok(SampleProof { leaf, next })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn nonces(n: u64) -> Vec<u64> {
		(0..n).map(|i| 3 * i + 1).collect()
	}

	#[test]
	fn small_trees_by_hand() {
		let l = nonces(3);
		let h: Vec<Hash> = l.iter().map(|n| leaf_hash(*n)).collect();
		// One leaf: the root is its hash.
		assert_eq!(MerkleTree::new(l[..1].to_vec()).unwrap().root(), h[0]);
		// Three leaves: (h0·h1)·h2, the third promoted.
		let tree = MerkleTree::new(l.clone()).unwrap();
		assert_eq!(tree.root(), node_hash(&node_hash(&h[0], &h[1]), &h[2]));
		assert_eq!(tree.proof(2).unwrap().siblings, vec![node_hash(&h[0], &h[1])]);
		assert_eq!(tree.proof(0).unwrap().siblings, vec![h[1], h[2]]);
		// The leaf hash is of the nonce's 8 bytes after the 0x00 prefix.
		assert_eq!(leaf_hash(1), blake2_256(&[&[0u8], &1u64.to_le_bytes()]));
	}

	#[test]
	fn every_proof_verifies_with_its_neighbour() {
		for n in [1u64, 2, 3, 5, 8, 13, 100] {
			let tree = MerkleTree::new(nonces(n)).unwrap();
			for i in 0..n {
				let p = tree.sample_proof(i).unwrap();
				assert_eq!(p.leaf.siblings.len(), proof_len(i, n));
				verify(&tree.root(), n, &p.leaf).unwrap();
				match &p.next {
					Some(next) => {
						assert_eq!(next.index, i + 1);
						verify(&tree.root(), n, next).unwrap();
						assert!(next.nonce > p.leaf.nonce);
					},
					None => assert_eq!(i, n - 1, "only the last leaf has no neighbour"),
				}
				let bytes = p.encode();
				assert!(bytes.len() <= MAX_SAMPLE_PROOF_BYTES);
				assert_eq!(SampleProof::decode(&mut &bytes[..]).unwrap(), p);
			}
		}
	}

	#[test]
	fn bad_trees_and_proofs_are_typed_errors() {
		assert_eq!(MerkleTree::new(vec![]).err(), Some(MerkleError::NoLeaves));
		assert_eq!(
			MerkleTree::new(vec![5, 5]).err(),
			Some(MerkleError::NotSorted { index: 1, nonce: 5, previous: 5 })
		);
		let tree = MerkleTree::new(nonces(10)).unwrap();
		assert_eq!(
			tree.proof(10).err(),
			Some(MerkleError::IndexOutOfRange { index: 10, count: 10 })
		);
		let mut p = tree.proof(4).unwrap();
		p.siblings.pop();
		assert_eq!(
			verify(&tree.root(), 10, &p),
			Err(MerkleError::WrongProofLength { index: 4, count: 10, got: 3, expected: 4 })
		);
		let mut p = tree.proof(4).unwrap();
		p.nonce += 1;
		assert_eq!(verify(&tree.root(), 10, &p), Err(MerkleError::RootMismatch { index: 4 }));
	}
}
