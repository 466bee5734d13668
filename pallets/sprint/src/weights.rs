//! Weights of the sprint pallet's calls.
//!
//! NOT YET BENCHMARKED: these are counted by hand from the storage each call reads and writes,
//! plus a fixed execution allowance of 50 µs (generous for the constant-time logic). The v2
//! `#[benchmarks]` of this pallet will replace this file with generated weights.

use core::marker::PhantomData;

use polkadot_sdk::frame_support::{traits::Get, weights::Weight};

/// Weight functions needed by the pallet.
pub trait WeightInfo {
	fn register_host() -> Weight;
	fn update_host() -> Weight;
	fn set_worker_key() -> Weight;
	fn unregister_host() -> Weight;
	fn withdraw_bond() -> Weight;
	fn commit() -> Weight;
	fn set_params() -> Weight;
	fn submit_verdicts(n: u32) -> Weight;
	fn settle_host() -> Weight;
	fn pay_host() -> Weight;
}

/// 50 µs of execution and 10 KB of proof per call, on top of its storage accesses.
fn base() -> Weight {
	Weight::from_parts(50_000_000, 10_000)
}

/// Hand-counted weights over the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_host() -> Weight {
		// Hosts, counter, HostOfWorker, Params, CurrentEpoch, TotalWeight, balance + holds.
		base().saturating_add(T::DbWeight::get().reads_writes(8, 6))
	}
	fn update_host() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn set_worker_key() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(2, 3))
	}
	fn unregister_host() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(5, 5))
	}
	fn withdraw_bond() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn commit() -> Weight {
		// HostOfWorker, CurrentEpoch, EpochStart, Params, Commitments.
		base().saturating_add(T::DbWeight::get().reads_writes(5, 1))
	}
	fn set_params() -> Weight {
		base().saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn submit_verdicts(n: u32) -> Weight {
		// Per verdict, the worst case draws the host's committee: 16 draws of a binary search
		// over up to 10,000 validators (14 reads) and the weights, then the vote and the tally.
		let per_verdict = T::DbWeight::get().reads_writes(16 * 15 + 6, 4);
		base()
			.saturating_add(T::DbWeight::get().reads(5))
			.saturating_add(per_verdict.saturating_mul(n as u64))
	}
	fn settle_host() -> Weight {
		// Host, commitment, committee (kept), the members' weights and votes (up to 64 each),
		// tally; host, weight, validator index and a possible slash written.
		base().saturating_add(T::DbWeight::get().reads_writes(2 * 64 + 8, 10))
	}
	fn pay_host() -> Weight {
		base().saturating_add(T::DbWeight::get().reads(3))
	}
}

/// For tests.
impl WeightInfo for () {
	fn register_host() -> Weight {
		base()
	}
	fn update_host() -> Weight {
		base()
	}
	fn set_worker_key() -> Weight {
		base()
	}
	fn unregister_host() -> Weight {
		base()
	}
	fn withdraw_bond() -> Weight {
		base()
	}
	fn commit() -> Weight {
		base()
	}
	fn set_params() -> Weight {
		base()
	}
	fn submit_verdicts(_n: u32) -> Weight {
		base()
	}
	fn settle_host() -> Weight {
		base()
	}
	fn pay_host() -> Weight {
		base()
	}
}
