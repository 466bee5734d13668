//! Benchmarks (FRAME v2) of every call and of the per-host settlement steps, each in its worst
//! case for the configured bounds: the longest endpoint, `MaxHosts` validators behind every
//! committee draw, committees of `MaxCommitteeSize` drawn (not cached), samples of
//! `MAX_SAMPLE_SIZE` from pools of twice that, and `MaxCommitteeSize` distinct revealed
//! validators, every one found lazy.
//!
//! `scripts/benchmark` runs them on the runtime and writes `weights.rs`.

use alloc::vec::Vec;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{
			fungible::{Inspect, Mutate},
			Get,
		},
		BoundedVec,
	},
	frame_system::{self, RawOrigin},
	sp_runtime::traits::Saturating,
};

use crate::{pallet::*, types::*, Endpoint};
use polkadot_sdk::sp_core::H256;

const SEED: u32 = 0;

/// The longest valid endpoint: a DNS name of labels of 63 letters.
fn long_endpoint() -> Endpoint {
	let mut url = b"https://".to_vec();
	while url.len() < MAX_ENDPOINT_LEN as usize {
		let label = (MAX_ENDPOINT_LEN as usize - url.len()).min(63);
		url.extend(core::iter::repeat_n(b'a', label));
		if url.len() + 2 <= MAX_ENDPOINT_LEN as usize {
			url.push(b'.');
		} else {
			break;
		}
	}
	url.truncate(MAX_ENDPOINT_LEN as usize);
	let endpoint = Endpoint::truncate_from(url);
	assert!(crate::is_valid_endpoint(&endpoint), "the benchmark endpoint is valid");
	endpoint
}

/// An account that can afford the bond several times over.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, SEED);
	let bond = Params::<T>::get().host_bond;
	let amount = bond
		.saturating_mul(10u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, amount);
	who
}

/// A registered host (with its worker key).
fn host<T: Config>(index: u32) -> (T::AccountId, T::AccountId) {
	let host = funded::<T>("host", index);
	let worker: T::AccountId = account("worker", index, SEED);
	Pallet::<T>::do_register(
		host.clone(),
		long_endpoint(),
		worker.clone(),
		Params::<T>::get().host_bond,
		0,
	)
	.expect("a funded host registers");
	(host, worker)
}

/// Moves the clock to `offset` blocks into the current epoch.
fn at_offset<T: Config>(offset: u32) {
	let start = EpochStart::<T>::get();
	frame_system::Pallet::<T>::set_block_number(start.saturating_add(offset.into()));
}

/// Largest committees, and `MaxHosts` validators of weight 1 in the current epoch (the
/// deepest binary search), plus `heavy` with a weight that puts it on every committee.
fn validators<T: Config>(heavy: &T::AccountId) -> EpochIndex {
	let mut params = Params::<T>::get();
	params.committee_size = T::MaxCommitteeSize::get();
	Params::<T>::put(params);
	let epoch = CurrentEpoch::<T>::get();
	for i in 0..T::MaxHosts::get() {
		let v: T::AccountId = account("validator", i, SEED);
		Pallet::<T>::set_weight(epoch, &v, 1);
	}
	Pallet::<T>::set_weight(epoch, heavy, u64::MAX / 4);
	SamplingSeed::<T>::insert(epoch, [7u8; 32]);
	epoch
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_host() {
		let caller = funded::<T>("caller", 0);
		let message = Pallet::<T>::worker_key_message(&caller);
		let (worker, proof) =
			<T::BenchmarkHelper as crate::BenchmarkHelper<_, _>>::worker_key(0, &message);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), long_endpoint(), worker, proof);
		assert!(Hosts::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn update_host() {
		let (caller, _) = host::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), long_endpoint());
	}

	#[benchmark]
	fn set_worker_key() {
		let (caller, old) = host::<T>(0);
		let message = Pallet::<T>::worker_key_message(&caller);
		let (new, proof) =
			<T::BenchmarkHelper as crate::BenchmarkHelper<_, _>>::worker_key(1, &message);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), new.clone(), proof);
		assert!(HostOfWorker::<T>::get(&old).is_none());
		assert!(HostOfWorker::<T>::get(&new).is_some());
	}

	#[benchmark]
	fn unregister_host() {
		let (caller, _) = host::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(!Hosts::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn withdraw_bond() {
		let (caller, _) = host::<T>(0);
		Pallet::<T>::do_unregister(caller.clone()).expect("registered");
		CurrentEpoch::<T>::mutate(|e| *e = e.saturating_add(1));
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));
		assert!(Unbondings::<T>::get(&caller).is_none());
	}

	#[benchmark]
	fn commit() {
		let (caller, worker) = host::<T>(0);
		let params = Params::<T>::get();
		at_offset::<T>(params.commit_start());
		let epoch = CurrentEpoch::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), epoch, [1u8; 32], params.max_count);
		assert!(Commitments::<T>::contains_key(epoch, &caller));
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Root, params);
		assert!(PendingParams::<T>::get().is_some());
	}

	/// `n` verdict commitments, each on a host whose seats are drawn by this call. The proof
	/// size is measured, not estimated per read: the setup holds the full `MaxHosts`
	/// validators, and the draws' binary searches share most of their trie paths, which a
	/// per-read estimate would count again for every read.
	#[benchmark(pov_mode = Measured)]
	fn commit_verdicts(n: Linear<1, { T::MaxVerdictBatch::get() }>) {
		let (validator, worker) = host::<T>(0);
		let epoch = validators::<T>(&validator);
		let mut commitments = Vec::new();
		for i in 0..n {
			let h: T::AccountId = account("committed", i, SEED);
			Commitments::<T>::insert(epoch, &h, Commitment { root: [2u8; 32], count: 1 });
			assert!(
				Pallet::<T>::draw_seats(epoch, &h).iter().any(|(v, _)| v == &validator),
				"the heavy validator holds seats on every host"
			);
			commitments.push((h, H256([i as u8; 32])));
		}
		let start = Params::<T>::get().earliest_validation_start();
		ValidationStart::<T>::put(start);
		at_offset::<T>(start);
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), epoch, BoundedVec::truncate_from(commitments));
		let first: T::AccountId = account("committed", 0, SEED);
		assert!(VerdictCommitments::<T>::contains_key((epoch, &first, &validator)));
	}

	/// `n` reveals, each of `MAX_SAMPLE_SIZE` check bits on a commitment of `MAX_LEAVES` (the
	/// longest sample to re-draw, over the largest pool).
	#[benchmark]
	fn reveal_verdicts(n: Linear<1, { T::MaxVerdictBatch::get() }>) {
		let (validator, worker) = host::<T>(0);
		let epoch = CurrentEpoch::<T>::get();
		let mut params = Params::<T>::get();
		params.sample_size = MAX_SAMPLE_SIZE;
		Params::<T>::put(&params);
		SamplingSeed::<T>::insert(epoch, [7u8; 32]);
		let mut reveals = Vec::new();
		for i in 0..n {
			let h: T::AccountId = account("committed", i, SEED);
			Commitments::<T>::insert(epoch, &h, Commitment { root: [2u8; 32], count: MAX_LEAVES });
			let (hash, reveal) = Pallet::<T>::make_reveal(
				epoch,
				&h,
				&validator,
				Verdict::Valid,
				[i as u8; 32],
				|p| p % 3 == 0,
			)
			.expect("committed, with a sampling seed");
			VerdictCommitments::<T>::insert((epoch, &h, &validator), hash);
			reveals.push(reveal);
		}
		let start = params.earliest_validation_start();
		ValidationStart::<T>::put(start);
		at_offset::<T>(params.reveal_start(start));
		#[extrinsic_call]
		_(RawOrigin::Signed(worker), epoch, BoundedVec::truncate_from(reveals));
		let first: T::AccountId = account("committed", 0, SEED);
		assert!(Reveals::<T>::contains_key((epoch, &first, &validator)));
	}

	/// Judging one committed host whose seats nobody committed on: its seats drawn here (the
	/// deepest binary searches), every holder recorded as having missed. Proof size measured
	/// (see `commit_verdicts`).
	#[benchmark(pov_mode = Measured)]
	fn settle_host() {
		let (heavy, _) = host::<T>(0);
		let epoch = validators::<T>(&heavy);
		let (target, _) = host::<T>(1);
		Commitments::<T>::insert(epoch, &target, Commitment { root: [2u8; 32], count: 1 });
		let params = Params::<T>::get();
		let mut stats = SettlementStatsRecord::default();
		#[block]
		{
			Pallet::<T>::settle_host(epoch, &target, &params, &mut stats);
		}
		assert_eq!(stats.not_accepted, 1);
		assert_eq!(MissedSeats::<T>::get(epoch, &heavy), T::MaxCommitteeSize::get());
	}

	/// Judging one committed host with `MaxCommitteeSize` distinct seat holders, every one
	/// revealed over the largest pool (`2 · MAX_SAMPLE_SIZE` positions) and found lazy (an
	/// event and a missed record each). Proof size measured: 64 reveals of one host share
	/// most of their trie path.
	#[benchmark(pov_mode = Measured)]
	fn settle_host_revealed() {
		let epoch = CurrentEpoch::<T>::get();
		let mut params = Params::<T>::get();
		params.sample_size = MAX_SAMPLE_SIZE;
		params.committee_size = T::MaxCommitteeSize::get();
		Params::<T>::put(&params);
		let (target, _) = host::<T>(1);
		Commitments::<T>::insert(epoch, &target, Commitment { root: [2u8; 32], count: MAX_LEAVES });
		let n = gonka_primitives::sampling::pool_len(MAX_LEAVES, MAX_SAMPLE_SIZE);
		let mut seats = Vec::new();
		for i in 0..T::MaxCommitteeSize::get() {
			let v: T::AccountId = account("validator", i, SEED);
			// Every validator samples the whole pool; each sees a different pattern, so
			// every one disagrees with the others' majority on about half the positions.
			let mut sampled = gonka_primitives::sampling::Bitmap::zeros(n);
			let mut below = gonka_primitives::sampling::Bitmap::zeros(n);
			for p in 0..n {
				sampled.set(p);
				if (p.wrapping_mul(2_654_435_761) ^ i.wrapping_mul(40_503)) & 4 != 0 {
					below.set(p);
				}
			}
			Reveals::<T>::insert(
				(epoch, &target, &v),
				Pallet::<T>::record(Verdict::Valid, sampled, below),
			);
			seats.push((v, 1u32));
		}
		Seats::<T>::insert(
			epoch,
			&target,
			BoundedVec::<_, T::MaxCommitteeSize>::truncate_from(seats),
		);
		let mut stats = SettlementStatsRecord::default();
		#[block]
		{
			Pallet::<T>::settle_host(epoch, &target, &params, &mut stats);
		}
		let first: T::AccountId = account("validator", 0, SEED);
		assert_eq!(MissedSeats::<T>::get(epoch, &first), 1, "every validator is lazy");
		assert_eq!(AssignedSeats::<T>::get(epoch, &first), 1);
	}

	/// This pallet's part of paying one accepted host (the reward itself is the issuance
	/// pallet's and is benchmarked there).
	#[benchmark]
	fn pay_host() {
		let epoch = CurrentEpoch::<T>::get();
		let h: T::AccountId = account("accepted", 0, SEED);
		let index = AcceptedCount::<T>::get(epoch);
		Accepted::<T>::insert(epoch, index, &h);
		AcceptedCount::<T>::insert(epoch, index.saturating_add(1));
		Pallet::<T>::set_weight(epoch.saturating_add(1), &h, 10);
		MissedSeats::<T>::insert(epoch, &h, 1);
		AssignedSeats::<T>::insert(epoch, &h, 2);
		#[block]
		{
			Pallet::<T>::pay_host(epoch, index);
		}
	}

	/// The epoch rollover in `on_initialize`: the settled epoch ends, pending parameters apply,
	/// seeds of two epochs ago go. The path without a rollover does less.
	#[benchmark]
	fn advance_epoch() {
		let epoch = CurrentEpoch::<T>::get();
		LastSettledEpoch::<T>::put(epoch);
		let params = Params::<T>::get();
		PendingParams::<T>::put(params.clone());
		EpochSeed::<T>::insert(epoch.saturating_sub(1), [1u8; 32]);
		SamplingSeed::<T>::insert(epoch.saturating_sub(1), [1u8; 32]);
		let now = EpochStart::<T>::get().saturating_add(params.epoch_length.into());
		#[block]
		{
			Pallet::<T>::advance_epoch(now);
		}
		assert_eq!(CurrentEpoch::<T>::get(), epoch.saturating_add(1));
		assert!(PendingParams::<T>::get().is_none());
	}

	/// Fixing seeds in `on_finalize`, both at once (an upper bound: the epoch seed is fixed in
	/// the epoch's first block, the sampling seed in the seed gap): the epoch seed missing and
	/// the block in the seed gap with randomness newer than the last commit.
	#[benchmark]
	fn fix_seeds() {
		let epoch = CurrentEpoch::<T>::get();
		EpochSeed::<T>::remove(epoch);
		SamplingSeed::<T>::remove(epoch);
		ValidationStart::<T>::kill();
		DevSeeds::<T>::put(true);
		RelayEntropy::<T>::put(NotedRelayBlock { number: 10, randomness: Some([3u8; 32]) });
		LastCommitRelayBlock::<T>::put(9);
		let offset = Params::<T>::get().commit_end();
		let now = EpochStart::<T>::get().saturating_add(offset.into());
		frame_system::Pallet::<T>::set_block_number(now);
		#[block]
		{
			Pallet::<T>::fix_seeds(now);
		}
		assert!(EpochSeed::<T>::contains_key(epoch));
		assert!(SamplingSeed::<T>::contains_key(epoch));
	}

	/// One block of forgetting an old epoch: `k` keys removed (at most `MaxCleanupPerBlock`).
	#[benchmark]
	fn cleanup(k: Linear<0, { T::MaxCleanupPerBlock::get() }>) {
		CleanedUpTo::<T>::put(0);
		CleanupProgress::<T>::kill();
		for i in 0..k {
			let h: T::AccountId = account("old", i, SEED);
			Commitments::<T>::insert(0, &h, Commitment { root: [0u8; 32], count: 1 });
		}
		let current: EpochIndex = 2;
		#[block]
		{
			Pallet::<T>::cleanup_some(current);
		}
		assert_eq!(Commitments::<T>::iter_prefix(0).count(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::ext_with_hosts(2), crate::mock::Test);
}
