//! A test runtime: System, Balances, Sprint (short epochs) and Issuance, with helpers that play
//! whole epochs through the real extrinsics.

use pallet_sprint::{EpochIndex, EpochStart, SprintParams, Verdict};
use polkadot_sdk::{
	frame_support::{self, assert_ok, derive_impl, traits::ConstU32, BoundedVec},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, Perbill},
};

use crate::{self as pallet_issuance, IssuanceParams};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Sprint: pallet_sprint,
		Issuance: pallet_issuance,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_sprint::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Randomness = pallet_sprint::ParentHashRandomness<Test>;
	type MaxHosts = ConstU32<16>;
	type MaxCommitteeSize = ConstU32<64>;
	type MaxVerdictBatch = ConstU32<4>;
	type MaxSettlementsPerBlock = ConstU32<3>;
	type SettlementWeight = UnlimitedWeight;
	type MaxCleanupPerBlock = ConstU32<8>;
	type Treasury = TreasuryAccount;
	type Rewards = Issuance;
	type KeyProof = TestSignature;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockKeys;
	type WeightInfo = ();
}

pub use polkadot_sdk::sp_runtime::testing::TestSignature;

/// Worker keys for the sprint pallet's benchmarks (not run here).
#[cfg(feature = "runtime-benchmarks")]
pub struct MockKeys;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_sprint::BenchmarkHelper<AccountId, TestSignature> for MockKeys {
	fn worker_key(index: u32, message: &[u8]) -> (AccountId, TestSignature) {
		let key = 50_000 + index as AccountId;
		(key, TestSignature(key, message.to_vec()))
	}
}

/// Runs `f` in `ext`, then checks both pallets' invariants (`try_state`): bonds against holds,
/// minted against the cap.
pub fn build_and_execute<R>(mut ext: TestExternalities, f: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let r = f();
		pallet_sprint::Pallet::<Test>::do_try_state().expect("sprint try_state after the test");
		crate::Pallet::<Test>::do_try_state().expect("issuance try_state after the test");
		r
	})
}

/// `worker`'s proof that it is `host`'s worker key.
pub fn key_proof(host: AccountId, worker: AccountId) -> TestSignature {
	TestSignature(worker, pallet_sprint::Pallet::<Test>::worker_key_message(&host))
}

impl pallet_issuance::Config for Test {
	type Currency = Balances;
	type Treasury = TreasuryAccount;
	type WeightInfo = ();
}

polkadot_sdk::frame_support::parameter_types! {
	pub const TreasuryAccount: AccountId = 999;
	pub const UnlimitedWeight: polkadot_sdk::frame_support::weights::Weight =
		polkadot_sdk::frame_support::weights::Weight::MAX;
}

/// The host bond of the tests.
pub const BOND: Balance = 1_000;
/// What every host account starts with.
pub const ENDOWMENT: Balance = 1_000_000;
/// `R0` of the tests: 1,000,000 base units per epoch.
pub const R0: Balance = 1_000_000;

/// Epochs of 30 blocks: the seed block 0, Sprint [1, 6), Commit [6, 9), seed gap 9, Validation
/// [10, 14), Reveal [14, 17), settlement after (13 blocks: room for 16 hosts judged and paid 3
/// per block); 16 seats per host.
pub fn sprint_params() -> SprintParams<Balance> {
	SprintParams {
		epoch_length: 30,
		sprint_length: 5,
		commit_grace: 3,
		validation_length: 4,
		reveal_length: 3,
		committee_size: 16,
		sample_size: 50,
		max_count: 1_000_000,
		accept_threshold: Perbill::from_rational(2u32, 3u32),
		fraud_slash: Perbill::from_percent(50),
		host_bond: BOND,
		model: gonka_primitives::ModelConfig::tiny(),
		hit_tolerance: pallet_sprint::DEFAULT_HIT_TOLERANCE,
		lazy_tolerance: pallet_sprint::DEFAULT_LAZY_TOLERANCE,
	}
}

/// `R0` = 1,000,000, halving every 4 epochs, cap 10,000,000 (reached in epoch 12 — the
/// schedule would pay 4·(1 + 1/2 + 1/4) = 7 M by epoch 11, 1 M more by epoch 15, …),
/// retention 90 %, 3 silent epochs allowed, 50 % of the reward for missing every seat.
pub fn issuance_params() -> IssuanceParams<Balance> {
	IssuanceParams {
		initial_reward: R0,
		halving_interval: 4,
		mining_cap: 10_000_000,
		retention: Perbill::from_percent(90),
		max_missed_epochs: 3,
		missed_vote_penalty: Perbill::from_percent(50),
	}
}

/// The worker key of host `h`.
pub fn worker(h: AccountId) -> AccountId {
	100 + h
}

/// Genesis hosts `1..=n`, each with weight `weight`; accounts 1..=16 and the treasury endowed.
pub fn ext_with_hosts(n: u64, weight: u64) -> TestExternalities {
	ext_with(n, weight, issuance_params())
}

/// As [`ext_with_hosts`] with other issuance parameters.
pub fn ext_with(n: u64, weight: u64, params: IssuanceParams<Balance>) -> TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> = (1..=16).map(|a| (a, ENDOWMENT)).collect();
	balances.push((TreasuryAccount::get(), 1));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_sprint::GenesisConfig::<Test> {
		params: sprint_params(),
		hosts: (1..=n)
			.map(|h| (h, worker(h), format!("https://host{h}.example").into_bytes(), weight))
			.collect(),
		dev_seeds: true,
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_issuance::GenesisConfig::<Test> { params, first_epoch: 0 }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = TestExternalities::new(t);
	ext.execute_with(|| run_to(1));
	ext
}

/// Runs blocks up to `n`: finalizes the current block and initializes the next, until block `n`
/// is initialized.
pub fn run_to(n: u64) {
	use polkadot_sdk::frame_support::traits::Hooks;
	while System::block_number() < n {
		let now = System::block_number();
		if now > 0 {
			Sprint::on_finalize(now);
		}
		let next = now + 1;
		System::set_block_number(next);
		let mut parent = [0u8; 32];
		parent[..8].copy_from_slice(&next.to_le_bytes());
		System::set_parent_hash(parent.into());
		Sprint::on_initialize(next);
	}
}

/// One epoch's behaviour: who commits how much, who votes, and how.
pub struct EpochPlay {
	/// `(host, count)` commitments.
	pub commits: Vec<(AccountId, u64)>,
	/// Validators that vote on every host they must check.
	pub voters: Vec<AccountId>,
	/// The verdict a voter gives a host.
	pub verdict: fn(voter: AccountId, host: AccountId) -> Verdict,
	/// The check bit a voter reveals for a pool position of a host ([`honest_bit`] for one
	/// that computed it).
	pub bit: fn(voter: AccountId, host: AccountId, position: u32) -> bool,
}

/// The check bit every validator that computes the leaf finds: a fixed function of the host
/// and the pool position (the same leaf for every validator).
pub fn honest_bit(_voter: AccountId, host: AccountId, position: u32) -> bool {
	(position as u64 * 7 + host).is_multiple_of(3)
}

/// A validator that does not compute: it guesses, here always "not below `r_mid`".
pub fn lazy_bit(_voter: AccountId, _host: AccountId, _position: u32) -> bool {
	false
}

impl EpochPlay {
	/// Everyone in `hosts` commits `count`, every host votes valid.
	pub fn honest(hosts: &[AccountId], count: u64) -> Self {
		Self {
			commits: hosts.iter().map(|&h| (h, count)).collect(),
			voters: (1..=16).collect(),
			verdict: |_, _| Verdict::Valid,
			bit: honest_bit,
		}
	}
}

/// Plays the current epoch through the real extrinsics and runs until the next epoch begins
/// (settlement and payout complete). Returns the epoch played.
pub fn play_epoch(play: &EpochPlay) -> EpochIndex {
	let p = sprint_params();
	let epoch = pallet_sprint::CurrentEpoch::<Test>::get();
	let start = EpochStart::<Test>::get();
	run_to(start + p.commit_start() as u64);
	for &(host, count) in &play.commits {
		assert_ok!(Sprint::commit(
			RuntimeOrigin::signed(worker(host)),
			epoch,
			[host as u8; 32],
			count
		));
	}
	let validation = start + p.earliest_validation_start() as u64;
	run_to(validation);
	let mut reveals = Vec::new();
	for &voter in &play.voters {
		if !pallet_sprint::Hosts::<Test>::contains_key(voter) {
			continue;
		}
		let duties = Sprint::duties(epoch, &voter);
		for chunk in duties.chunks(4) {
			let made: Vec<_> = chunk
				.iter()
				.map(|(h, _)| {
					let verdict = (play.verdict)(voter, *h);
					let bit = |position| (play.bit)(voter, *h, position);
					Sprint::make_reveal(epoch, h, &voter, verdict, [voter as u8; 32], bit)
						.expect("committed host after the sampling seed")
				})
				.collect();
			let hashes: Vec<_> = chunk.iter().zip(&made).map(|((h, _), (c, _))| (*h, *c)).collect();
			assert_ok!(Sprint::commit_verdicts(
				RuntimeOrigin::signed(worker(voter)),
				epoch,
				BoundedVec::truncate_from(hashes)
			));
			reveals.push((voter, made.into_iter().map(|(_, r)| r).collect::<Vec<_>>()));
		}
	}
	run_to(validation + p.validation_length as u64);
	for (voter, batch) in reveals {
		assert_ok!(Sprint::reveal_verdicts(
			RuntimeOrigin::signed(worker(voter)),
			epoch,
			BoundedVec::truncate_from(batch)
		));
	}
	run_to(start + p.epoch_length as u64);
	assert!(Sprint::is_settled(epoch), "epoch {epoch} not settled within its blocks");
	run_to(start + p.epoch_length as u64 + 1);
	assert_eq!(pallet_sprint::CurrentEpoch::<Test>::get(), epoch + 1);
	crate::Pallet::<Test>::do_try_state().unwrap();
	pallet_sprint::Pallet::<Test>::do_try_state().unwrap();
	epoch
}

/// The `HostRewarded` amounts of `epoch`, by host.
pub fn rewards_of(epoch: EpochIndex) -> std::collections::BTreeMap<AccountId, Balance> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Issuance(crate::Event::HostRewarded {
				epoch: e, host, amount, ..
			}) if e == epoch => Some((host, amount)),
			_ => None,
		})
		.collect()
}

/// The `EpochRewarded` event of `epoch`.
pub fn epoch_rewarded(epoch: EpochIndex) -> crate::Event<Test> {
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::Issuance(e @ crate::Event::EpochRewarded { epoch: x, .. })
				if x == epoch =>
			{
				Some(e)
			},
			_ => None,
		})
		.unwrap_or_else(|| panic!("no EpochRewarded for epoch {epoch}"))
}
