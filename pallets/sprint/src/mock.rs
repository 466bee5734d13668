//! A test runtime: System, Balances, Sprint with short epochs.

use polkadot_sdk::{
	frame_support::{self, derive_impl, traits::ConstU32},
	frame_system, pallet_balances,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, Perbill},
};

use crate::{self as pallet_sprint, Entropy, EpochRandomness, SprintParams};

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
	type Randomness = TestRandomness;
	type MaxHosts = ConstU32<256>;
	type MaxCommitteeSize = ConstU32<64>;
	type MaxVerdictBatch = ConstU32<4>;
	type MaxSettlementsPerBlock = ConstU32<2>;
	type SettlementWeight = UnlimitedWeight;
	type MaxCleanupPerBlock = ConstU32<3>;
	type Treasury = TreasuryAccount;
	type Rewards = ();
	type KeyProof = TestSignature;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockKeys;
	type WeightInfo = ();
}

/// Test signatures: `TestSignature(signer, message)` verifies for `signer` over `message`.
pub use polkadot_sdk::sp_runtime::testing::TestSignature;

/// Worker keys `50_000 + index` with their test signatures.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockKeys;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, TestSignature> for MockKeys {
	fn worker_key(index: u32, message: &[u8]) -> (AccountId, TestSignature) {
		let key = 50_000 + index as AccountId;
		(key, TestSignature(key, message.to_vec()))
	}
}

/// `worker`'s proof that it is `host`'s worker key on the mock chain.
pub fn key_proof(host: AccountId, worker: AccountId) -> TestSignature {
	TestSignature(worker, crate::Pallet::<Test>::worker_key_message(&host))
}

polkadot_sdk::frame_support::parameter_types! {
	pub const TreasuryAccount: AccountId = 999;
	pub const UnlimitedWeight: polkadot_sdk::frame_support::weights::Weight =
		polkadot_sdk::frame_support::weights::Weight::MAX;
}

std::thread_local! {
	static RELAY: core::cell::Cell<Option<(u32, Option<[u8; 32]>)>> =
		const { core::cell::Cell::new(None) };
}

/// The mock's entropy: by default the parent hash and no relay chain (dev mode); with
/// [`set_relay`], a relay parent and its randomness, as a parachain block's inherent notes them.
pub struct TestRandomness;

impl EpochRandomness for TestRandomness {
	fn entropy() -> Entropy {
		match RELAY.with(|r| r.get()) {
			None => Entropy { relay_block: None, randomness: Some(System::parent_hash().0) },
			Some((number, randomness)) => Entropy { relay_block: Some(number), randomness },
		}
	}
}

/// The relay parent (`number`) and its randomness that blocks from now on carry (`None`: a
/// chain without relay chain, seeds from the parent hash).
pub fn set_relay(relay: Option<(u32, Option<[u8; 32]>)>) {
	RELAY.with(|r| r.set(relay));
}

/// The host bond of the tests.
pub const BOND: Balance = 100;

/// Short epochs: 20 blocks; the seed block 0, Sprint [1, 6), Commit [6, 9), seed gap 9,
/// Validation [10, 14) (without a relay chain), Reveal [14, 16), settlement after; 8 seats per
/// host.
pub fn test_params() -> SprintParams<Balance> {
	SprintParams {
		epoch_length: 20,
		sprint_length: 5,
		commit_grace: 3,
		validation_length: 4,
		reveal_length: 2,
		committee_size: 8,
		sample_size: 50,
		max_count: 1_000,
		accept_threshold: Perbill::from_rational(2u32, 3u32),
		fraud_slash: Perbill::from_percent(50),
		host_bond: BOND,
		model: gonka_primitives::ModelConfig::tiny(),
		hit_tolerance: crate::DEFAULT_HIT_TOLERANCE,
		lazy_tolerance: crate::DEFAULT_LAZY_TOLERANCE,
	}
}

/// Accounts 1..=9 and 100..400 hold 1,000; 20 holds 50 (less than the bond). Hosts 1 and 2 (worker keys 11
/// and 12) are genesis hosts with weights 100 and 50.
pub fn new_test_ext() -> TestExternalities {
	build_ext(vec![
		(1, 11, b"https://host1.example:8080".to_vec(), 100),
		(2, 12, b"http://10.0.0.2:8080".to_vec(), 50),
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

pub fn build_ext(hosts: Vec<(AccountId, AccountId, Vec<u8>, u64)>) -> TestExternalities {
	build_ext_with(test_params(), hosts)
}

/// Genesis with `params` and `hosts` `(host, worker key, endpoint, weight)`.
pub fn build_ext_with(
	params: SprintParams<Balance>,
	hosts: Vec<(AccountId, AccountId, Vec<u8>, u64)>,
) -> TestExternalities {
	set_relay(None);
	forget_kept();
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> = (1..=9).map(|a| (a, 1_000)).collect();
	balances.extend((100..400).map(|a| (a, 1_000)));
	balances.push((20, 50));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_sprint::GenesisConfig::<Test> { params, hosts, dev_seeds: true }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = TestExternalities::new(t);
	ext.execute_with(|| run_to(1));
	ext
}

/// Runs blocks up to `n`: finalizes the current block and initializes the next, until block `n`
/// is initialized (extrinsics then run "in" block `n`, before its `on_finalize`). In the first
/// Reveal block it passes, every reveal [`commit_verdict`] kept is sent, as a worker would.
pub fn run_to(n: u64) {
	use polkadot_sdk::frame_support::traits::Hooks;
	while System::block_number() < n {
		let now = System::block_number();
		if now > 0 {
			Sprint::on_finalize(now);
		}
		let next = now + 1;
		System::set_block_number(next);
		System::set_parent_hash(parent_of(next).into());
		Sprint::on_initialize(next);
		if Sprint::current_phase().1 == crate::Phase::Reveal {
			reveal_kept();
		}
	}
}

thread_local! {
	static KEPT: core::cell::RefCell<Vec<(AccountId, crate::EpochIndex, crate::VerdictReveal<AccountId>)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Commits `validator`'s verdict on `host` (in Validation) with check bits from `bit` (by pool
/// position), signed by worker key `10 + validator`, and keeps the reveal, which [`run_to`]
/// sends in the Reveal phase.
pub fn commit_verdict(
	validator: AccountId,
	host: AccountId,
	verdict: crate::Verdict,
	bit: impl Fn(u32) -> bool,
) -> crate::VerdictReveal<AccountId> {
	commit_verdict_as(10 + validator, validator, host, verdict, bit)
}

/// [`commit_verdict`] signed by worker key `worker`.
pub fn commit_verdict_as(
	worker: AccountId,
	validator: AccountId,
	host: AccountId,
	verdict: crate::Verdict,
	bit: impl Fn(u32) -> bool,
) -> crate::VerdictReveal<AccountId> {
	let epoch = crate::CurrentEpoch::<Test>::get();
	let (hash, reveal) =
		Sprint::make_reveal(epoch, &host, &validator, verdict, [validator as u8; 32], bit)
			.expect("a committed host after the sampling seed");
	let batch = frame_support::BoundedVec::truncate_from(vec![(host, hash)]);
	frame_support::assert_ok!(Sprint::commit_verdicts(RuntimeOrigin::signed(worker), epoch, batch));
	KEPT.with(|k| k.borrow_mut().push((worker, epoch, reveal.clone())));
	reveal
}

/// Forgets the kept reveals (a validator that committed and never reveals).
pub fn forget_kept() {
	KEPT.with(|k| k.borrow_mut().clear());
}

/// Sends every kept reveal of the current epoch.
pub fn reveal_kept() {
	let kept = KEPT.with(|k| core::mem::take(&mut *k.borrow_mut()));
	for (worker, epoch, reveal) in kept {
		let batch = frame_support::BoundedVec::truncate_from(vec![reveal]);
		frame_support::assert_ok!(Sprint::reveal_verdicts(
			RuntimeOrigin::signed(worker),
			epoch,
			batch
		));
	}
}

/// The check bit of every validator that computes the leaf at pool position `position` of
/// `host`: a fixed function of the two.
pub fn honest_bit(host: AccountId, position: u32) -> bool {
	(position as u64 * 7 + host).is_multiple_of(3)
}

/// The parent hash the mock gives block `n`.
pub fn parent_of(n: u64) -> [u8; 32] {
	let mut parent = [0u8; 32];
	parent[..8].copy_from_slice(&n.to_le_bytes());
	parent
}

/// Runs `f` in `ext`, then checks the pallet's invariants (`try_state`).
pub fn build_and_execute<R>(mut ext: TestExternalities, f: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let r = f();
		crate::Pallet::<Test>::do_try_state().expect("try_state after the test");
		r
	})
}
