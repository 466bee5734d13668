//! The commitment of PROTOCOL §5: a binary blake2_256 Merkle tree over the hits, and its proofs.
//!
//! * Leaf `i` is a [`Hit`]; leaves are sorted by nonce, strictly increasing.
//! * Leaf hash: `blake2_256(0x00 ‖ nonce u64 LE ‖ distance f32 bits LE)` (13 bytes hashed).
//! * Node hash: `blake2_256(0x01 ‖ left ‖ right)` (65 bytes hashed). The prefixes keep a leaf from
//!   ever being read as a node.
//! * Levels: level 0 holds the leaf hashes; level `l + 1` pairs level `l`'s hashes in order
//!   (0 with 1, 2 with 3, ...); when a level has an odd number of hashes the last one is
//!   **promoted** unchanged to the next level. The root is the single hash of the last level; a
//!   tree of one leaf has that leaf's hash as root.
//! * A proof of leaf `i` lists the sibling hash at every level where the node has one, from the
//!   leaves up; levels where the node is promoted contribute nothing. Its length is therefore
//!   fixed by `i` and the leaf count, which the verifier knows from the chain.

use codec::{Decode, Encode};
use rayon::prelude::*;

use crate::{backend::Hit, error::MerkleError, hash::blake2_256};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// The most leaves one commitment may hold (2^24 = 16,777,216: proofs of at most 24 hashes).
pub const MAX_LEAVES: u64 = 1 << 24;

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of a leaf.
pub fn leaf_hash(hit: &Hit) -> Hash {
	blake2_256(&[&[LEAF_PREFIX], &hit.to_bytes()])
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
	blake2_256(&[&[NODE_PREFIX], left, right])
}

/// A leaf and its path to the root: what the proof server returns for each requested index.
///
/// SCALE: `index` u64 LE (8 bytes), `leaf` (12 bytes), `siblings` compact length then 32 bytes
/// each. A response to `GET /v1/sprint/{epoch}/proofs?indices=…` is the SCALE `Vec<LeafProof>`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct LeafProof {
	pub index: u64,
	pub leaf: Hit,
	pub siblings: Vec<Hash>,
}

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
	let mut hash = leaf_hash(&proof.leaf);
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

/// A tree over a Sprint's hits, kept in memory to answer proof requests. Level 0 (the leaf
/// hashes) is not stored but recomputed from the leaves when a proof needs it, which halves the
/// memory: 10 million leaves take 120 MB of leaves and 320 MB of inner nodes.
pub struct MerkleTree {
	leaves: Vec<Hit>,
	/// Levels 1, 2, ..., the last holding the root (empty for a one-leaf tree).
	levels: Vec<Vec<Hash>>,
	root: Hash,
}

impl MerkleTree {
	/// Builds the tree (in parallel). Leaves must be sorted by nonce without duplicates.
	pub fn new(leaves: Vec<Hit>) -> Result<Self, MerkleError> {
		let count = leaves.len() as u64;
		if count == 0 {
			return Err(MerkleError::NoLeaves);
		}
		if count > MAX_LEAVES {
			return Err(MerkleError::TooManyLeaves { count, max: MAX_LEAVES });
		}
		if let Some(i) = leaves.windows(2).position(|w| w[1].nonce <= w[0].nonce) {
			return Err(MerkleError::NotSorted {
				index: i as u64 + 1,
				nonce: leaves[i + 1].nonce,
				previous: leaves[i].nonce,
			});
		}
		let hashes: Vec<Hash> = leaves.par_iter().map(leaf_hash).collect();
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
		Ok(Self { leaves, levels, root })
	}

	pub fn root(&self) -> Hash {
		self.root
	}

	pub fn count(&self) -> u64 {
		self.leaves.len() as u64
	}

	pub fn leaves(&self) -> &[Hit] {
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
					leaf_hash(&self.leaves[sib])
				} else {
					self.levels[level - 1][sib]
				});
			}
			pos /= 2;
			n = n.div_ceil(2);
			level += 1;
		}
		Ok(LeafProof { index, leaf: self.leaves[index as usize], siblings })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn hits(n: u64) -> Vec<Hit> {
		(0..n).map(|i| Hit::new(3 * i + 1, 1.0 + i as f32 / 1000.0)).collect()
	}

	#[test]
	fn small_trees_by_hand() {
		let l = hits(3);
		let h: Vec<Hash> = l.iter().map(leaf_hash).collect();
		// One leaf: the root is its hash.
		assert_eq!(MerkleTree::new(l[..1].to_vec()).unwrap().root(), h[0]);
		// Three leaves: (h0·h1)·h2, the third promoted.
		let tree = MerkleTree::new(l.clone()).unwrap();
		assert_eq!(tree.root(), node_hash(&node_hash(&h[0], &h[1]), &h[2]));
		assert_eq!(tree.proof(2).unwrap().siblings, vec![node_hash(&h[0], &h[1])]);
		assert_eq!(tree.proof(0).unwrap().siblings, vec![h[1], h[2]]);
	}

	#[test]
	fn every_proof_verifies() {
		for n in [1u64, 2, 3, 5, 8, 13, 100] {
			let tree = MerkleTree::new(hits(n)).unwrap();
			for i in 0..n {
				let p = tree.proof(i).unwrap();
				assert_eq!(p.siblings.len(), proof_len(i, n));
				verify(&tree.root(), n, &p).unwrap();
				assert_eq!(LeafProof::decode(&mut &p.encode()[..]).unwrap(), p);
			}
		}
	}

	#[test]
	fn leaf_encoding_is_twelve_bytes() {
		let hit = Hit::new(0x0102_0304_0506_0708, f32::from_bits(0x3fa0_0000));
		assert_eq!(hit.encode(), hit.to_bytes().to_vec());
		assert_eq!(hex::encode(hit.to_bytes()), "08070605040302010000a03f");
	}

	#[test]
	fn bad_trees_and_proofs_are_typed_errors() {
		assert_eq!(MerkleTree::new(vec![]).err(), Some(MerkleError::NoLeaves));
		let unsorted = vec![Hit::new(5, 1.0), Hit::new(5, 1.0)];
		assert_eq!(
			MerkleTree::new(unsorted).err(),
			Some(MerkleError::NotSorted { index: 1, nonce: 5, previous: 5 })
		);
		let tree = MerkleTree::new(hits(10)).unwrap();
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
	}
}
