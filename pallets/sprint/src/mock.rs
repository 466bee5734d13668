//! A test runtime: System, Balances, Sprint with short epochs.

use polkadot_sdk::{
	frame_support::{self, derive_impl, traits::ConstU32},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, Perbill},
};

use crate::{self as pallet_sprint, ParentHashRandomness, SprintParams};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Sprint: pallet_sprint,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_sprint::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = ParentHashRandomness<Test>;
	type MaxHosts = ConstU32<8>;
	type MaxCommitteeSize = ConstU32<16>;
	type MaxVerdictBatch = ConstU32<4>;
	type MaxSettlementsPerBlock = ConstU32<2>;
	type SettlementWeight = UnlimitedWeight;
	type MaxCleanupPerBlock = ConstU32<3>;
	type Treasury = TreasuryAccount;
	type Rewards = ();
	type WeightInfo = ();
}

polkadot_sdk::frame_support::parameter_types! {
	pub const TreasuryAccount: AccountId = 999;
	pub const UnlimitedWeight: polkadot_sdk::frame_support::weights::Weight =
		polkadot_sdk::frame_support::weights::Weight::MAX;
}

/// The host bond of the tests.
pub const BOND: Balance = 100;

/// Short epochs: 20 blocks; Sprint [0, 5), Commit [5, 8), Validation [8, 14), settlement after.
pub fn test_params() -> SprintParams<Balance> {
	SprintParams {
		epoch_length: 20,
		sprint_length: 5,
		commit_grace: 3,
		validation_length: 6,
		committee_size: 3,
		sample_size: 10,
		max_count: 1_000,
		accept_threshold: Perbill::from_rational(2u32, 3u32),
		fraud_slash: Perbill::from_percent(50),
		host_bond: BOND,
		model: gonka_primitives::ModelConfig::tiny(),
	}
}

/// Accounts 1..=9 hold 1,000; 20 holds 50 (less than the bond). Hosts 1 and 2 (worker keys 11
/// and 12) are genesis hosts with weights 100 and 50.
pub fn new_test_ext() -> TestExternalities {
	build_ext(vec![
		(1, 11, b"https://host1.example:8080".to_vec(), 100),
		(2, 12, b"http://10.0.0.2:8080/".to_vec(), 50),
	])
}

/// Genesis hosts `1..=n` with worker keys `11..` and weights `10, 20, ..., 10·n`.
pub fn ext_with_hosts(n: u64) -> TestExternalities {
	build_ext(
		(1..=n)
			.map(|h| (h, 10 + h, format!("https://host{h}.example").into_bytes(), 10 * h))
			.collect(),
	)
}

fn build_ext(hosts: Vec<(AccountId, AccountId, Vec<u8>, u64)>) -> TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> = (1..=9).map(|a| (a, 1_000)).collect();
	balances.push((20, 50));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_sprint::GenesisConfig::<Test> { params: test_params(), hosts }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = TestExternalities::new(t);
	ext.execute_with(|| run_to(1));
	ext
}

/// Runs blocks up to and including `n` (on_initialize of each).
pub fn run_to(n: u64) {
	use polkadot_sdk::frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		System::set_parent_hash([next as u8; 32].into());
		Sprint::on_initialize(next);
	}
}
