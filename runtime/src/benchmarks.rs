//! The pallets `gonka-node benchmark pallet` can measure in this runtime (built with the
//! `runtime-benchmarks` feature; see `scripts/benchmark`).

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[pallet_sprint, Sprint]
	[pallet_issuance, Issuance]
	[pallet_governance, Governance]
);
