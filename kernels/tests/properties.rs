//! Property tests: Merkle proofs, encodings, sampling and the binomial tail.

use codec::{Decode, Encode};
use gonka_kernels::{
	binomial_tail,
	merkle::{verify, MerkleTree},
	sample_indices, Hit, LeafProof,
};
use proptest::prelude::*;

fn leaves(nonces: &[u64]) -> Vec<Hit> {
	let mut n: Vec<u64> = nonces.to_vec();
	n.sort_unstable();
	n.dedup();
	n.iter().map(|&x| Hit::new(x, (x % 1000) as f32 / 1000.0 + 0.5)).collect()
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	#[test]
	fn proofs_verify_and_any_flipped_bit_fails(
		nonces in prop::collection::vec(any::<u64>(), 1..300),
		pick in any::<prop::sample::Index>(),
		bit in 0usize..(8 * (12 + 32 * 24)),
	) {
		let tree = MerkleTree::new(leaves(&nonces)).unwrap();
		let count = tree.count();
		let i = pick.index(count as usize) as u64;
		let proof = tree.proof(i).unwrap();
		prop_assert!(verify(&tree.root(), count, &proof).is_ok());
		prop_assert_eq!(LeafProof::decode(&mut &proof.encode()[..]).unwrap(), proof.clone());

		// Flip one bit of the leaf or of a sibling.
		let mut bad = proof.clone();
		let bytes = 12 + 32 * bad.siblings.len();
		let bit = bit % (8 * bytes);
		let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
		if byte < 12 {
			let mut b = bad.leaf.to_bytes();
			b[byte] ^= mask;
			bad.leaf = Hit::decode(&mut &b[..]).unwrap();
		} else {
			bad.siblings[(byte - 12) / 32][(byte - 12) % 32] ^= mask;
		}
		prop_assert!(verify(&tree.root(), count, &bad).is_err());

		// A wrong root.
		let mut root = tree.root();
		root[bit % 32] ^= 1;
		prop_assert!(verify(&root, count, &proof).is_err());

		// The same proof under another index.
		if count > 1 {
			let mut moved = proof.clone();
			moved.index = (i + 1) % count;
			prop_assert!(verify(&tree.root(), count, &moved).is_err());
		}
	}

	#[test]
	fn samples_are_distinct_sorted_and_bounded(
		seed in any::<[u8; 32]>(),
		count in 0u64..5_000,
		size in 1u32..400,
	) {
		let s = sample_indices(&seed, &[1; 32], &[2; 32], count, size);
		prop_assert_eq!(s.len() as u64, count.min(size as u64));
		prop_assert!(s.windows(2).all(|w| w[0] < w[1]));
		prop_assert!(s.iter().all(|&i| i < count));
	}

	#[test]
	fn binomial_tail_matches_brute_force(n in 1u32..=14, m_frac in 0.0f64..=1.0, p in 0.0f64..=1.0) {
		let m = ((n as f64) * m_frac).round() as u32;
		// Every outcome of n Bernoulli trials.
		let mut brute = 0.0f64;
		for outcome in 0u32..(1 << n) {
			let k = outcome.count_ones();
			if k >= m {
				brute += p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
			}
		}
		let tail = binomial_tail(n as u64, m as u64, p).unwrap();
		prop_assert!((tail - brute).abs() <= 1e-12 * brute.max(1e-300) + 1e-15,
			"n {} m {} p {}: {} vs {}", n, m, p, tail, brute);
	}
}
