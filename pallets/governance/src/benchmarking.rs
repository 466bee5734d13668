//! Benchmarks (FRAME v2) of the calls and of each step of the per-block service, in their worst
//! cases: a proposal by preimage of `l` bytes that opens a new snapshot, a vote read from the
//! source while the copy runs (both signed by a host's worker key, the longer lookup), a vetoed decision (deposit to the treasury), the copy of `n`
//! weights and the removal of `n` votes.
//!
//! `scripts/benchmark pallet_governance` runs them on the runtime and writes `weights.rs`.

use alloc::{borrow::Cow, vec, vec::Vec};
use codec::Encode;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{fungible::Mutate, Bounded, Get, StorePreimage},
		weights::WeightMeter,
		BoundedVec,
	},
	frame_system::{self, RawOrigin},
	sp_runtime::traits::{Bounded as _, Hash},
};

use crate::{pallet::*, types::*, BalanceOf, BoundedCallOf, HostWeights};

/// A host with weight and its declared worker key, which signs for it in the worst case (the
/// signer is looked up as a host first, then as a worker key).
struct Host<T: Config> {
	account: T::AccountId,
	worker: T::AccountId,
}

/// `n` hosts with weight 100 each in the current epoch; hosts and worker keys are funded.
fn hosts<T: Config>(n: u32) -> Vec<Host<T>> {
	let hosts: Vec<(T::AccountId, T::AccountId, u64)> =
		(0..n).map(|i| (account("host", i, 0), account("worker", i, 0), 100)).collect();
	T::Hosts::set_weights(&hosts);
	hosts
		.into_iter()
		.map(|(account, worker, _)| {
			for who in [&account, &worker] {
				T::Currency::set_balance(who, BalanceOf::<T>::max_value() / 8u32.into());
			}
			Host { account, worker }
		})
		.collect()
}

/// A remark whose encoding is at most `len` bytes (2 bytes of indices, up to 4 of length).
fn remark<T: Config>(len: u32) -> <T as Config>::RuntimeCall {
	frame_system::Call::<T>::remark { remark: vec![1u8; len.saturating_sub(6) as usize] }.into()
}

fn inline<T: Config>(tag: u32) -> BoundedCallOf<T> {
	let mut bytes = remark::<T>(8 + tag % 64).encode();
	bytes.truncate(128);
	Bounded::Inline(BoundedVec::truncate_from(bytes))
}

/// Opens a proposal by the first host's worker key and returns its index with the hosts.
fn open<T: Config>(voters: u32) -> (ProposalIndex, Vec<Host<T>>) {
	let hosts = hosts::<T>(voters.max(1));
	let index = ProposalCount::<T>::get();
	Pallet::<T>::propose(RawOrigin::Signed(hosts[0].worker.clone()).into(), inline::<T>(index))
		.expect("a host proposes");
	(index, hosts)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// The preimage's proof is what is read (`l` bytes), not the preimage pallet's 4 MiB bound.
	#[benchmark(pov_mode = Measured)]
	fn propose(l: Linear<129, { T::MaxCallSize::get() }>) {
		let hosts = hosts::<T>(1);
		let bytes = remark::<T>(l).encode();
		let hash = T::Preimages::note(Cow::from(bytes.clone())).expect("noted");
		assert_eq!(hash, T::Hashing::hash(&bytes));
		let call = Bounded::Lookup { hash, len: bytes.len() as u32 };
		#[extrinsic_call]
		_(RawOrigin::Signed(hosts[0].worker.clone()), call);
		assert_eq!(Proposals::<T>::count(), 1);
	}

	#[benchmark]
	fn vote() {
		let (index, hosts) = open::<T>(2);
		// The snapshot is still being copied: the weight is read from the source, for the host
		// that the signing worker key belongs to.
		assert!(!Snapshots::<T>::get(T::Hosts::current_epoch()).expect("open").complete());
		#[extrinsic_call]
		_(RawOrigin::Signed(hosts[1].worker.clone()), index, Vote::Aye);
		assert_eq!(Proposals::<T>::get(index).expect("open").tally.voters, 1);
	}

	#[benchmark]
	fn set_params() {
		let params = Params::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Root, params);
	}

	#[benchmark]
	fn service_base() {
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::service(now);
		}
	}

	#[benchmark]
	fn decide() {
		let (index, hosts) = open::<T>(2);
		Pallet::<T>::vote(RawOrigin::Signed(hosts[0].account.clone()).into(), index, Vote::Veto)
			.expect("votes");
		// Vetoed whatever other weight genesis gave: the deposit moves to the treasury.
		let mut proposal = Proposals::<T>::get(index).expect("open");
		proposal.tally.vetoes = proposal.total_weight;
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::decide(now, index, proposal);
		}
		assert!(Proposals::<T>::get(index).is_none());
	}

	#[benchmark]
	fn enact() {
		let (index, hosts) = open::<T>(1);
		Pallet::<T>::vote(RawOrigin::Signed(hosts[0].account.clone()).into(), index, Vote::Aye)
			.expect("votes");
		let mut proposal = Proposals::<T>::get(index).expect("open");
		proposal.tally.ayes = proposal.total_weight;
		let now = frame_system::Pallet::<T>::block_number();
		let approved = Pallet::<T>::decide(now, index, proposal);
		let approved = match approved {
			Some(p) => p,
			None => Proposals::<T>::get(index).expect("approved and waiting"),
		};
		let mut meter = WeightMeter::new();
		#[block]
		{
			Pallet::<T>::enact(index, &approved, &mut meter);
		}
		assert!(Proposals::<T>::get(index).is_none());
	}

	#[benchmark]
	fn copy_snapshot(n: Linear<0, { T::MaxCopyPerBlock::get() }>) {
		let _ = hosts::<T>(n);
		let epoch = T::Hosts::current_epoch();
		Pallet::<T>::open_snapshot(epoch).expect("room");
		// Exactly `n` to copy, whatever weights genesis gave.
		Snapshots::<T>::mutate(epoch, |info| {
			if let Some(info) = info {
				info.voters = n;
				info.copied = 0;
			}
		});
		let mut meter = WeightMeter::new();
		#[block]
		{
			Pallet::<T>::copy_some(&mut meter);
		}
		assert_eq!(Snapshots::<T>::get(epoch).expect("kept").copied, n);
	}

	#[benchmark]
	fn cleanup(n: Linear<0, { T::MaxCleanupPerBlock::get() }>) {
		for i in 0..n {
			let who: T::AccountId = account("voter", i, 0);
			Votes::<T>::insert(7, who, (Vote::Aye, 1));
		}
		Pallet::<T>::queue_cleanup(CleanupTask::Votes(7));
		let mut meter = WeightMeter::new();
		#[block]
		{
			Pallet::<T>::cleanup_some(&mut meter);
		}
		assert_eq!(Votes::<T>::iter_prefix(7).count(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
