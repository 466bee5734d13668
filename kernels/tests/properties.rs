//! Property tests: Merkle proofs and their neighbours, encodings, sampling and the binomial tail.

use codec::{Decode, Encode};
use gonka_kernels::{
	audit_proofs, binomial_tail,
	merkle::{verify, MerkleTree},
	pool_indices, sample_indices, Fault, LeafProof, SampleProof,
};
use proptest::prelude::*;

fn sorted_unique(nonces: &[u64]) -> Vec<u64> {
	let mut n: Vec<u64> = nonces.to_vec();
	n.sort_unstable();
	n.dedup();
	n
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	#[test]
	fn proofs_verify_and_any_flipped_bit_fails(
		nonces in prop::collection::vec(any::<u64>(), 1..300),
		pick in any::<prop::sample::Index>(),
		bit in 0usize..(8 * (8 + 32 * 24)),
	) {
		let tree = MerkleTree::new(sorted_unique(&nonces)).unwrap();
		let count = tree.count();
		let i = pick.index(count as usize) as u64;
		let proof = tree.proof(i).unwrap();
		prop_assert!(verify(&tree.root(), count, &proof).is_ok());
		prop_assert_eq!(LeafProof::decode(&mut &proof.encode()[..]).unwrap(), proof.clone());

		// Flip one bit of the nonce or of a sibling.
		let mut bad = proof.clone();
		let bytes = 8 + 32 * bad.siblings.len();
		let bit = bit % (8 * bytes);
		let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
		if byte < 8 {
			bad.nonce ^= (mask as u64) << (8 * byte);
		} else {
			bad.siblings[(byte - 8) / 32][(byte - 8) % 32] ^= mask;
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

	/// PROTOCOL §5–§6: a committed sequence with one repeated nonce, or two neighbours swapped,
	/// fails the neighbour check at the pair (whatever else is sampled), and an honest sequence
	/// passes it everywhere.
	#[test]
	fn neighbour_proofs_fail_for_any_duplicate_or_swapped_pair(
		nonces in prop::collection::vec(any::<u64>(), 2..300),
		pick in any::<prop::sample::Index>(),
		swap in any::<bool>(),
		others in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
	) {
		let honest = sorted_unique(&nonces);
		prop_assume!(honest.len() >= 2);
		let tree = MerkleTree::new(honest.clone()).unwrap();
		let count = tree.count();
		let all: Vec<u64> = (0..count).collect();
		let proofs: Vec<SampleProof> = all.iter().map(|&i| tree.sample_proof(i).unwrap()).collect();
		let audit = audit_proofs(&tree.root(), count, &all, &proofs);
		prop_assert!(audit.faults.is_empty(), "{:?}", audit.faults);
		prop_assert_eq!(audit.to_recompute.len() as u64, count);

		// The cheat: leaf j repeated (a duplicate after it) or leaves j and j+1 swapped.
		let j = pick.index(honest.len() - 1);
		let mut cheat = honest.clone();
		if swap {
			cheat.swap(j, j + 1);
		} else {
			cheat.insert(j + 1, honest[j]);
		}
		let bad = MerkleTree::unchecked(cheat.clone()).unwrap();
		let n = bad.count();
		let mut requested: Vec<u64> = others.iter().map(|o| o.index(n as usize) as u64).collect();
		requested.push(j as u64);
		let proofs: Vec<SampleProof> =
			requested.iter().map(|&i| bad.sample_proof(i).unwrap()).collect();
		let audit = audit_proofs(&bad.root(), n, &requested, &proofs);
		prop_assert!(
			audit.faults.iter().any(|(i, f)| *i == j as u64
				&& *f == Fault::NotIncreasing { nonce: cheat[j], next: cheat[j + 1] }),
			"pair {} of {:?}: {:?}", j, cheat, audit.faults
		);
	}

	#[test]
	fn samples_are_distinct_sorted_bounded_and_in_the_pool(
		seed in any::<[u8; 32]>(),
		count in 0u64..5_000,
		size in 1u32..400,
	) {
		let s = sample_indices(&seed, &[1; 32], &[2; 32], count, size);
		prop_assert_eq!(s.len() as u64, count.min(size as u64));
		prop_assert!(s.windows(2).all(|w| w[0] < w[1]));
		prop_assert!(s.iter().all(|&i| i < count));
		let pool = pool_indices(&seed, &[2; 32], count, size);
		prop_assert_eq!(pool.len() as u64, count.min(2 * size as u64));
		prop_assert!(s.iter().all(|i| pool.binary_search(i).is_ok()));
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
