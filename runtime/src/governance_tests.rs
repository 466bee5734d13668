//! Governance in the real runtime: each kind of change PROTOCOL §9 names passes through a
//! proposal of a genesis host, the bootstrap hosts' votes and enactment as Root — sprint and
//! issuance parameters, the model config, a treasury spend and a runtime-upgrade authorization —
//! and none of it is possible for a signed origin directly.

use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Mutate, Bounded, Hooks},
	BoundedVec,
};
use polkadot_sdk::sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Hash as _, DispatchError, DispatchResult};

use super::*;
use crate::{configs::TreasuryAccount, genesis_config_presets as presets, tests::preset_ext};

fn signed(k: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(k.to_account_id())
}

/// Runs blocks to `n`, with governance's per-block service.
fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Governance::on_initialize(next);
	}
}

/// `call` inline when it fits 128 bytes, else noted as a preimage by Alice and proposed by hash.
fn bounded(call: &RuntimeCall) -> pallet_governance::BoundedCallOf<Runtime> {
	let bytes = call.encode();
	if bytes.len() <= 128 {
		return Bounded::Inline(BoundedVec::truncate_from(bytes));
	}
	assert_ok!(Preimage::note_preimage(signed(Sr25519Keyring::Alice), bytes.clone()));
	Bounded::Lookup { hash: BlakeTwo256::hash(&bytes), len: bytes.len() as u32 }
}

/// Alice proposes `call`; Alice and Bob's worker key (Eve) vote aye; the vote runs to its end.
/// Returns the enacted call's result.
fn pass(call: RuntimeCall) -> DispatchResult {
	let index = pallet_governance::ProposalCount::<Runtime>::get();
	assert_ok!(Governance::propose(signed(Sr25519Keyring::Alice), bounded(&call)));
	assert_ok!(Governance::vote(
		signed(Sr25519Keyring::Alice),
		index,
		pallet_governance::Vote::Aye
	));
	assert_ok!(Governance::vote(signed(Sr25519Keyring::Eve), index, pallet_governance::Vote::Aye));
	let end = System::block_number() + presets::dev_governance_params().voting_period;
	run_to(end);
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::Governance(pallet_governance::Event::Enacted {
				index: i,
				result,
				..
			}) if i == index => Some(result),
			_ => None,
		})
		.expect("the proposal was enacted")
}

#[test]
fn governance_changes_sprint_params_and_the_model() {
	preset_ext("development").execute_with(|| {
		let mut params = pallet_sprint::Params::<Runtime>::get();
		params.committee_size = 20;
		params.model = gonka_primitives::ModelConfig { seq_len: 32, ..params.model };
		let call = RuntimeCall::Sprint(pallet_sprint::Call::set_params { params: params.clone() });
		assert_ok!(pass(call));
		// Sprint parameters apply from the next epoch.
		assert_eq!(pallet_sprint::PendingParams::<Runtime>::get(), Some(params));
		Governance::do_try_state().unwrap();
	});
}

#[test]
fn governance_changes_issuance_params() {
	preset_ext("development").execute_with(|| {
		let mut params = pallet_issuance::Params::<Runtime>::get();
		params.initial_reward /= 2;
		let call =
			RuntimeCall::Issuance(pallet_issuance::Call::set_params { params: params.clone() });
		assert_ok!(pass(call));
		assert_eq!(pallet_issuance::PendingParams::<Runtime>::get(), Some(params));
	});
}

#[test]
fn governance_spends_from_the_treasury() {
	preset_ext("development").execute_with(|| {
		let treasury = TreasuryAccount::get();
		assert_ok!(Balances::mint_into(&treasury, 10_000 * GNK));
		let dest = Sr25519Keyring::Two.to_account_id();
		let spend = |amount| {
			RuntimeCall::Issuance(pallet_issuance::Call::spend { to: dest.clone().into(), amount })
		};
		assert_ok!(pass(spend(2_500 * GNK)));
		assert_eq!(Balances::free_balance(&dest), 2_500 * GNK);
		assert_eq!(Balances::free_balance(&treasury), 7_500 * GNK + EXISTENTIAL_DEPOSIT);
		System::assert_has_event(RuntimeEvent::Issuance(pallet_issuance::Event::TreasurySpent {
			to: dest.clone(),
			amount: 2_500 * GNK,
			remaining: 7_500 * GNK + EXISTENTIAL_DEPOSIT,
		}));

		// A passed spend the treasury cannot pay is enacted with its error and pays nothing.
		assert_eq!(
			pass(spend(7_500 * GNK + 1)),
			Err(pallet_issuance::Error::<Runtime>::TreasuryTooLow.into())
		);
		assert_eq!(Balances::free_balance(&dest), 2_500 * GNK);

		// A new account must receive at least the existential deposit.
		let fresh = Sr25519Keyring::One.to_account_id();
		assert_noop!(
			Issuance::spend(RuntimeOrigin::root(), fresh.into(), EXISTENTIAL_DEPOSIT - 1),
			pallet_issuance::Error::<Runtime>::BelowExistentialDeposit
		);
	});
}

#[test]
fn governance_authorizes_a_runtime_upgrade() {
	preset_ext("development").execute_with(|| {
		let code_hash = BlakeTwo256::hash(b"the next runtime");
		let call = RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash });
		assert_ok!(pass(call));
		System::assert_has_event(RuntimeEvent::System(frame_system::Event::UpgradeAuthorized {
			code_hash,
			check_version: true,
		}));
	});
}

#[test]
fn governance_changes_its_own_params() {
	preset_ext("development").execute_with(|| {
		let mut params = presets::dev_governance_params();
		params.voting_period = 50;
		let call =
			RuntimeCall::Governance(pallet_governance::Call::set_params { params: params.clone() });
		assert_ok!(pass(call));
		assert_eq!(pallet_governance::Params::<Runtime>::get(), params);
	});
}

#[test]
fn signed_origins_cannot_make_root_calls() {
	preset_ext("development").execute_with(|| {
		let alice = signed(Sr25519Keyring::Alice);
		let sprint = pallet_sprint::Params::<Runtime>::get();
		assert_noop!(Sprint::set_params(alice.clone(), sprint), DispatchError::BadOrigin);
		let issuance = pallet_issuance::Params::<Runtime>::get();
		assert_noop!(Issuance::set_params(alice.clone(), issuance), DispatchError::BadOrigin);
		assert_noop!(
			System::authorize_upgrade(alice.clone(), Default::default()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Balances::force_transfer(
				alice.clone(),
				TreasuryAccount::get().into(),
				Sr25519Keyring::Two.to_account_id().into(),
				1
			),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Issuance::spend(alice.clone(), Sr25519Keyring::Two.to_account_id().into(), 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Governance::set_params(alice, presets::dev_governance_params()),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn genesis_hosts_have_capped_voting_power() {
	preset_ext("development").execute_with(|| {
		// Three hosts of 1,000: each capped at 30 % of 3,000.
		let power = Governance::voting_power(Sr25519Keyring::Dave.to_account_id(), None).unwrap();
		assert_eq!(power.host, Sr25519Keyring::Alice.to_account_id());
		assert_eq!((power.weight, power.power), (presets::DEV_HOST_WEIGHT, 900));
		assert!(Governance::voting_power(Sr25519Keyring::Two.to_account_id(), None).is_none());
		assert_eq!(pallet_governance::Params::<Runtime>::get(), presets::dev_governance_params());
	});
}
