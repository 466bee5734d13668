//! Weights of the issuance pallet's call and payout steps.
//!
//! NOT YET BENCHMARKED: counted by hand (storage accesses plus 50 µs of execution); the v2
//! `#[benchmarks]` in `benchmarking.rs` replace this file via `scripts/benchmark`.

use core::marker::PhantomData;

use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

/// Weight functions needed by the pallet.
pub trait WeightInfo {
	fn set_params() -> Weight;
	fn begin_payout() -> Weight;
	fn reward_host() -> Weight;
	fn end_payout() -> Weight;
}

fn base() -> Weight {
	Weight::from_parts(50_000_000, 10_000)
}

/// Hand-counted weights over the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_params() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn begin_payout() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(3, 1))
	}
	fn reward_host() -> Weight {
		// CurrentPayout, Params, the account, total issuance, TotalMinted.
		base().saturating_add(T::DbWeight::get().reads_writes(5, 4))
	}
	fn end_payout() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(6, 6))
	}
}

impl WeightInfo for () {
	fn set_params() -> Weight {
		Weight::zero()
	}
	fn begin_payout() -> Weight {
		Weight::zero()
	}
	fn reward_host() -> Weight {
		Weight::zero()
	}
	fn end_payout() -> Weight {
		Weight::zero()
	}
}
