//! A test runtime: System, Balances, Preimage and Governance, with hosts and weights kept in a
//! small table the tests change (the runtime takes them from the sprint pallet).

use core::cell::RefCell;
use std::collections::BTreeMap;

use polkadot_sdk::{
	frame_support::{
		self, assert_ok, derive_impl, parameter_types,
		traits::{fungible::HoldConsideration, ConstU32, EnsureOrigin, Hooks, LinearStoragePrice},
		weights::Weight,
	},
	frame_system::{self, EnsureRoot},
	pallet_balances, pallet_preimage,
	sp_io::TestExternalities,
	sp_runtime::{BuildStorage, Perbill},
};

use crate::{self as pallet_governance, types::*, GovernanceParams, HostWeights};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Preimage: pallet_preimage,
		Governance: pallet_governance,
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

parameter_types! {
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
	pub const PreimageBaseDeposit: Balance = 1;
	pub const PreimageByteDeposit: Balance = 1;
}

impl pallet_preimage::Config for Test {
	type WeightInfo = ();
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

pub const TREASURY: AccountId = 999;
/// Each block's service budget: room for a few decisions and a call of `MaxCallWeight`.
pub const FULL_SERVICE_WEIGHT: Weight = Weight::from_parts(2_000_000_000_000, 4 * 1024 * 1024);

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub static ServiceWeight: Weight = FULL_SERVICE_WEIGHT;
	pub static MaxCallWeight: Weight = Weight::from_parts(500_000_000_000, 1024 * 1024);
}

impl pallet_governance::Config for Test {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Preimages = Preimage;
	type Hosts = MockHosts;
	type Treasury = Treasury;
	type MaxProposals = ConstU32<4>;
	type MaxOpenPerHost = ConstU32<2>;
	type MaxVoters = ConstU32<16>;
	type MaxCallSize = ConstU32<1024>;
	type MaxCallWeight = MaxCallWeight;
	type ServiceWeight = ServiceWeight;
	type MaxCopyPerBlock = ConstU32<2>;
	type MaxCleanupPerBlock = ConstU32<2>;
	type WeightInfo = ();
}

/// Hosts, worker keys and weights per epoch, as the sprint pallet would have them.
#[derive(Default, Clone)]
pub struct HostTable {
	pub epoch: EpochIndex,
	pub hosts: BTreeMap<AccountId, AccountId>,
	pub weights: BTreeMap<EpochIndex, BTreeMap<AccountId, u64>>,
}

thread_local! {
	pub static HOSTS: RefCell<HostTable> = RefCell::new(HostTable::default());
}

pub struct MockHosts;

impl HostWeights<AccountId> for MockHosts {
	fn current_epoch() -> EpochIndex {
		HOSTS.with(|h| h.borrow().epoch)
	}
	fn host_of(who: &AccountId) -> Option<AccountId> {
		HOSTS.with(|h| {
			let h = h.borrow();
			if h.hosts.contains_key(who) {
				return Some(*who);
			}
			h.hosts.iter().find(|(_, worker)| *worker == who).map(|(host, _)| *host)
		})
	}
	fn weight(epoch: EpochIndex, host: &AccountId) -> u64 {
		HOSTS.with(|h| {
			h.borrow().weights.get(&epoch).and_then(|w| w.get(host)).copied().unwrap_or(0)
		})
	}
	fn total_weight(epoch: EpochIndex) -> u64 {
		HOSTS.with(|h| h.borrow().weights.get(&epoch).map(|w| w.values().sum()).unwrap_or(0))
	}
	fn voter_count(epoch: EpochIndex) -> u32 {
		HOSTS.with(|h| h.borrow().weights.get(&epoch).map(|w| w.len() as u32).unwrap_or(0))
	}
	fn voter(epoch: EpochIndex, index: u32) -> Option<(AccountId, u64)> {
		HOSTS.with(|h| {
			h.borrow()
				.weights
				.get(&epoch)
				.and_then(|w| w.iter().nth(index as usize).map(|(a, w)| (*a, *w)))
		})
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn set_weights(hosts: &[(AccountId, AccountId, u64)]) {
		HOSTS.with(|h| {
			let mut h = h.borrow_mut();
			let epoch = h.epoch;
			for (host, worker, weight) in hosts {
				h.hosts.insert(*host, *worker);
				h.weights.entry(epoch).or_default().insert(*host, *weight);
			}
		})
	}
}

/// Hosts 1..=5 (worker keys 11..=15) with these weights in epoch 0; host 6 registered with
/// none; account 7 is no host.
pub const WEIGHTS: [(AccountId, u64); 5] = [(1, 100), (2, 100), (3, 100), (4, 100), (5, 100)];
pub const DEPOSIT: Balance = 500;
pub const VOTING_PERIOD: u64 = 10;

pub fn worker_of(host: AccountId) -> AccountId {
	host + 10
}

/// The default test rules: PROTOCOL §9's thresholds, a 10-block vote, deposit 500.
pub fn test_params() -> GovernanceParams<Balance, u64> {
	GovernanceParams {
		voting_period: VOTING_PERIOD,
		enactment_delay: 0,
		proposal_deposit: DEPOSIT,
		rules: VoteRules {
			quorum: Perbill::from_percent(25),
			approval: Perbill::from_percent(50),
			veto: Perbill::from_parts(334_000_000),
		},
		max_host_share: Perbill::from_percent(30),
	}
}

/// The period bounds of the tests: votes of 5 to 1,000 blocks, enactment within 50.
pub fn test_limits() -> PeriodLimits<u64> {
	PeriodLimits { min_voting_period: 5, max_voting_period: 1_000, max_enactment_delay: 50 }
}

pub fn new_test_ext() -> TestExternalities {
	new_test_ext_with(&WEIGHTS)
}

pub fn new_test_ext_with(weights: &[(AccountId, u64)]) -> TestExternalities {
	let mut table = HostTable::default();
	for host in 1..=6 {
		table.hosts.insert(host, worker_of(host));
	}
	table.weights.insert(0, weights.iter().copied().collect());
	HOSTS.with(|h| *h.borrow_mut() = table);

	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=16).map(|a| (a, 10_000)).chain([(TREASURY, 1)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_governance::GenesisConfig::<Test> { params: test_params(), limits: test_limits() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `f` in `ext`, then checks the pallet's invariants (`try_state`).
pub fn build_and_execute<R>(mut ext: TestExternalities, f: impl FnOnce() -> R) -> R {
	ext.execute_with(|| {
		let r = f();
		crate::Pallet::<Test>::do_try_state().expect("try_state after the test");
		r
	})
}

/// Changes a host's weight in an epoch (as settlement would).
pub fn set_weight(epoch: EpochIndex, host: AccountId, weight: u64) {
	HOSTS.with(|h| {
		let mut h = h.borrow_mut();
		let w = h.weights.entry(epoch).or_default();
		if weight == 0 {
			w.remove(&host);
		} else {
			w.insert(host, weight);
		}
	})
}

/// Moves to `epoch`; epochs two behind are forgotten, as the sprint pallet does.
pub fn set_epoch(epoch: EpochIndex) {
	HOSTS.with(|h| {
		let mut h = h.borrow_mut();
		h.epoch = epoch;
		h.weights.retain(|e, _| e.saturating_add(2) > epoch);
	})
}

/// Runs blocks up to and including `n`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Governance::on_initialize(next);
	}
}

/// A Root-only call a proposal can carry: writes `bytes` under the key `bytes` (see
/// [`remarked`]).
pub fn remark(bytes: &[u8]) -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::set_storage {
		items: vec![(bytes.to_vec(), bytes.to_vec())],
	})
}

/// Whether the call of [`remark`]`(bytes)` ran.
pub fn remarked(bytes: &[u8]) -> bool {
	polkadot_sdk::sp_io::storage::get(bytes).is_some()
}

/// A Root-only call: new governance params with another voting period.
pub fn set_voting_period(period: u64) -> RuntimeCall {
	let mut params = test_params();
	params.voting_period = period;
	RuntimeCall::Governance(crate::Call::set_params { params })
}

/// `call` inline.
pub fn inline(call: &RuntimeCall) -> crate::BoundedCallOf<Test> {
	use codec::Encode;
	frame_support::traits::Bounded::Inline(
		frame_support::BoundedVec::try_from(call.encode()).expect("small call"),
	)
}

/// Opens a proposal by `who` and returns its index.
pub fn propose(who: AccountId, call: &RuntimeCall) -> ProposalIndex {
	let index = crate::ProposalCount::<Test>::get();
	assert_ok!(Governance::propose(RuntimeOrigin::signed(who), inline(call)));
	index
}

/// `Root` only.
pub fn is_root(origin: RuntimeOrigin) -> bool {
	EnsureRoot::<AccountId>::try_origin(origin).is_ok()
}

/// The governance events so far.
pub fn events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Governance(e) => Some(e),
			_ => None,
		})
		.collect()
}
