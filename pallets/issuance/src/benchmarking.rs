//! Benchmarks (FRAME v2) of the call and of the three payout steps the sprint pallet's
//! settlement drives, each in its worst case: a reward with a missed-vote penalty to an
//! account that exists, a treasury mint and pending parameters applied at the end; and a
//! treasury spend that creates the recipient's account.
//!
//! `scripts/benchmark` runs them on the runtime and writes `weights.rs`.

use pallet_sprint::EpochRewards;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Inspect, fungible::Mutate, Get},
	frame_system::RawOrigin,
	sp_runtime::traits::{Saturating, StaticLookup},
};

use crate::{pallet::*, IssuanceParamsOf};

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_params() {
		let params: IssuanceParamsOf<T> = Params::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Root, params);
		assert!(PendingParams::<T>::get().is_some());
	}

	#[benchmark]
	fn begin_payout() {
		#[block]
		{
			Pallet::<T>::begin_payout(0, 1_000);
		}
		assert!(CurrentPayout::<T>::get().is_some());
	}

	#[benchmark]
	fn reward_host() {
		let host: T::AccountId = account("host", 0, 0);
		T::Currency::set_balance(
			&host,
			T::Currency::minimum_balance().saturating_mul(10u32.into()),
		);
		Pallet::<T>::begin_payout(0, 1_000);
		#[block]
		{
			Pallet::<T>::reward(0, &host, 100, 1, 2);
		}
		let payout = CurrentPayout::<T>::get().expect("a payout in progress");
		assert!(payout.to_hosts > 0u32.into());
		assert!(payout.penalties > 0u32.into());
	}

	#[benchmark]
	fn end_payout() {
		Pallet::<T>::begin_payout(0, 1_000);
		PendingParams::<T>::put(Params::<T>::get());
		let treasury = T::Treasury::get();
		let before = T::Currency::balance(&treasury);
		#[block]
		{
			Pallet::<T>::end_payout(0);
		}
		assert!(T::Currency::balance(&treasury) > before);
		assert!(PendingParams::<T>::get().is_none());
	}

	#[benchmark]
	fn spend() {
		let treasury = T::Treasury::get();
		let ed = T::Currency::minimum_balance();
		T::Currency::set_balance(&treasury, ed.saturating_mul(1_000u32.into()));
		let to: T::AccountId = account("recipient", 0, 0);
		let amount = ed.saturating_mul(10u32.into());
		let lookup = T::Lookup::unlookup(to.clone());
		#[extrinsic_call]
		_(RawOrigin::Root, lookup, amount);
		assert_eq!(T::Currency::balance(&to), amount);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::ext_with_hosts(1, 100), crate::mock::Test);
}
