//! A commitment of 10 million leaves: the tree builds, proofs at the edges verify, and their size
//! is what the proof server will send.

use codec::Encode;
use gonka_kernels::{
	merkle::{proof_len, verify, MerkleTree, MAX_LEAVES, MAX_SAMPLE_PROOF_BYTES},
	MerkleError,
};

#[test]
fn ten_million_leaves() {
	let n = 10_000_000u64;
	let t = std::time::Instant::now();
	let tree = MerkleTree::new((0..n).map(|i| 2 * i + 1).collect()).unwrap();
	eprintln!("10M-leaf tree built in {:.2} s", t.elapsed().as_secs_f64());
	// The proof of the last leaf under a count whose tree has another shape: a typed error.
	let last = tree.proof(n - 1).unwrap();
	assert!(matches!(
		verify(&tree.root(), n + 2, &last),
		Err(MerkleError::WrongProofLength { .. } | MerkleError::RootMismatch { .. })
	));
	for i in [0, 1, n / 2, n - 2, n - 1] {
		let p = tree.proof(i).unwrap();
		assert_eq!(p.siblings.len(), proof_len(i, n));
		assert!(p.siblings.len() <= 24);
		// index + nonce + compact length + hashes: at most 8 + 8 + 1 + 24·32 bytes.
		assert!(p.encode().len() <= 8 + 8 + 1 + 24 * 32);
		verify(&tree.root(), n, &p).unwrap();
		// With its neighbour: what the proof server sends per sampled index.
		let s = tree.sample_proof(i).unwrap();
		assert!(s.encode().len() <= MAX_SAMPLE_PROOF_BYTES);
		assert_eq!(s.next.is_some(), i + 1 < n);
	}
	assert!(n <= MAX_LEAVES);
	let too_many = MAX_LEAVES + 1;
	assert_eq!(
		MerkleTree::new((0..too_many).collect()).err(),
		Some(MerkleError::TooManyLeaves { count: too_many, max: MAX_LEAVES })
	);
}
