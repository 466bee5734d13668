//! Unit tests on the mock runtime.

use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_runtime::DispatchError,
};

use crate::{mock::*, pallet::*, types::*, Error, Event};

fn endpoint(s: &str) -> Endpoint {
	s.as_bytes().to_vec().try_into().unwrap()
}

fn hold_of(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Sprint(HoldReason::HostBond), &who)
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

/// Runs to the first block of the Commit phase of the current epoch.
fn to_commit_window() {
	let start = EpochStart::<Test>::get();
	run_to(start + test_params().sprint_length as u64);
	assert_eq!(Sprint::current_phase().1, Phase::Commit);
}

fn check_state() {
	Sprint::do_try_state().unwrap();
}

#[test]
fn genesis_hosts_are_bonded_and_epoch_zero_has_a_seed() {
	new_test_ext().execute_with(|| {
		assert_eq!(Hosts::<Test>::count(), 2);
		assert_eq!(hold_of(1), BOND);
		assert_eq!(Balances::balance(&1), 1_000 - BOND);
		assert_eq!(Hosts::<Test>::get(1).unwrap().weight, 100);
		assert_eq!(TotalWeight::<Test>::get(), 150);
		assert_eq!(HostOfWorker::<Test>::get(12), Some(2));
		assert_eq!(CurrentEpoch::<Test>::get(), 0);
		assert!(EpochSeed::<Test>::get(0).is_some());
		assert_eq!(Sprint::current_phase(), (0, Phase::Sprint, 0));
		check_state();
	});
}

#[test]
fn phases_follow_the_params() {
	let p = test_params();
	assert_eq!(p.phase_at(0), Phase::Sprint);
	assert_eq!(p.phase_at(4), Phase::Sprint);
	assert_eq!(p.phase_at(5), Phase::Commit);
	assert_eq!(p.phase_at(7), Phase::Commit);
	assert_eq!(p.phase_at(8), Phase::Validation);
	assert_eq!(p.phase_at(13), Phase::Validation);
	assert_eq!(p.phase_at(14), Phase::Settlement);
	assert_eq!(p.phase_at(19), Phase::Settlement);
}

#[test]
fn epochs_roll_over_with_fresh_seeds() {
	new_test_ext().execute_with(|| {
		let seed0 = EpochSeed::<Test>::get(0).unwrap();
		run_to(20);
		assert_eq!(CurrentEpoch::<Test>::get(), 0);
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert_eq!(EpochStart::<Test>::get(), 21);
		let seed1 = EpochSeed::<Test>::get(1).unwrap();
		assert_ne!(seed0, seed1);
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::EpochStarted { epoch: 1, start: 21, seed: seed1 })
		);
		run_to(41);
		run_to(61);
		assert_eq!(CurrentEpoch::<Test>::get(), 3);
		// Only the current and the previous seed are kept.
		assert!(EpochSeed::<Test>::get(1).is_none());
		assert!(EpochSeed::<Test>::get(2).is_some() && EpochSeed::<Test>::get(3).is_some());
	});
}

#[test]
fn register_update_and_rotate() {
	new_test_ext().execute_with(|| {
		assert_ok!(Sprint::register_host(
			RuntimeOrigin::signed(3),
			endpoint("https://h3.example/gonka"),
			13
		));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::HostRegistered { host: 3, worker_key: 13, bond: BOND })
		);
		assert_eq!(hold_of(3), BOND);
		let info = Hosts::<Test>::get(3).unwrap();
		assert_eq!((info.weight, info.since), (0, 0));

		assert_ok!(Sprint::update_host(RuntimeOrigin::signed(3), endpoint("http://h3:9000")));
		assert_eq!(Hosts::<Test>::get(3).unwrap().endpoint, endpoint("http://h3:9000"));

		assert_ok!(Sprint::set_worker_key(RuntimeOrigin::signed(3), 23));
		assert_eq!(HostOfWorker::<Test>::get(23), Some(3));
		assert_eq!(HostOfWorker::<Test>::get(13), None);
		check_state();
	});
}

#[test]
fn bad_registrations_are_refused_and_change_nothing() {
	new_test_ext().execute_with(|| {
		let s = RuntimeOrigin::signed;
		assert_noop!(
			Sprint::register_host(s(1), endpoint("https://again"), 31),
			Error::<Test>::AlreadyRegistered
		);
		for bad in ["ftp://h3", "https://", "http:///path", "https://h 3", "h3.example:80"] {
			assert_noop!(
				Sprint::register_host(s(3), endpoint(bad), 13),
				Error::<Test>::InvalidEndpoint
			);
		}
		assert_noop!(
			Sprint::register_host(s(3), endpoint("https://h3"), 11),
			Error::<Test>::WorkerKeyInUse
		);
		assert_noop!(
			Sprint::register_host(s(20), endpoint("https://poor"), 30),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Sprint::update_host(s(3), endpoint("https://h3")),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Sprint::update_host(s(1), endpoint("mailto:x")),
			Error::<Test>::InvalidEndpoint
		);
		assert_noop!(Sprint::set_worker_key(s(3), 33), Error::<Test>::NotRegistered);
		assert_noop!(Sprint::set_worker_key(s(1), 12), Error::<Test>::WorkerKeyInUse);
		// Fill up to MaxHosts = 8.
		for a in 3..=8 {
			assert_ok!(Sprint::register_host(s(a), endpoint("https://h"), 10 * a + 100));
		}
		assert_noop!(
			Sprint::register_host(s(9), endpoint("https://h9"), 199),
			Error::<Test>::TooManyHosts
		);
		check_state();
	});
}

#[test]
fn commit_in_the_window_once() {
	new_test_ext().execute_with(|| {
		to_commit_window();
		let root = [7u8; 32];
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, root, 42));
		assert_eq!(Commitments::<Test>::get(0, 1), Some(Commitment { root, count: 42 }));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::Committed { epoch: 0, host: 1, root, count: 42 })
		);
		assert_noop!(
			Sprint::commit(RuntimeOrigin::signed(11), 0, [8u8; 32], 43),
			Error::<Test>::AlreadyCommitted
		);
	});
}

#[test]
fn bad_commits_are_refused_and_change_nothing() {
	new_test_ext().execute_with(|| {
		let s = RuntimeOrigin::signed;
		// During the Sprint.
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 5), Error::<Test>::NotCommitWindow);
		to_commit_window();
		assert_noop!(Sprint::commit(s(11), 1, [1; 32], 5), Error::<Test>::WrongEpoch);
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 0), Error::<Test>::BadCount);
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 1_001), Error::<Test>::BadCount);
		// The host account is not its worker key; an unknown key is nobody's.
		assert_noop!(Sprint::commit(s(1), 0, [1; 32], 5), Error::<Test>::NotAWorkerKey);
		assert_noop!(Sprint::commit(s(99), 0, [1; 32], 5), Error::<Test>::NotAWorkerKey);
		// After the Commit phase.
		run_to(EpochStart::<Test>::get() + 8);
		assert_eq!(Sprint::current_phase().1, Phase::Validation);
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 5), Error::<Test>::NotCommitWindow);
		// A rotated-out key can no longer commit.
		assert_ok!(Sprint::set_worker_key(s(1), 21));
		run_to(21 + 5);
		assert_noop!(Sprint::commit(s(11), 1, [1; 32], 5), Error::<Test>::NotAWorkerKey);
		assert_ok!(Sprint::commit(s(21), 1, [1; 32], 5));
	});
}

#[test]
fn unregister_then_withdraw_the_bond_next_epoch() {
	new_test_ext().execute_with(|| {
		let s = RuntimeOrigin::signed;
		to_commit_window();
		assert_ok!(Sprint::commit(s(11), 0, [1; 32], 5));
		// Host 1 committed: its verdict is pending.
		assert_noop!(Sprint::unregister_host(s(1)), Error::<Test>::VerdictPending);
		// Host 2 did not: it leaves at once, and the total weight with it.
		assert_ok!(Sprint::unregister_host(s(2)));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::HostUnregistered { host: 2, unlock_epoch: 1 })
		);
		assert!(Hosts::<Test>::get(2).is_none());
		assert_eq!(TotalWeight::<Test>::get(), 100);
		assert_noop!(Sprint::commit(s(12), 0, [1; 32], 5), Error::<Test>::NotAWorkerKey);
		assert_noop!(Sprint::unregister_host(s(2)), Error::<Test>::NotRegistered);
		// The bond stays held until the next epoch.
		assert_eq!(hold_of(2), BOND);
		assert_noop!(Sprint::withdraw_bond(s(2)), Error::<Test>::BondLocked);
		assert_noop!(Sprint::withdraw_bond(s(3)), Error::<Test>::NoBondToWithdraw);
		run_to(21);
		assert_ok!(Sprint::withdraw_bond(s(2)));
		assert_eq!(hold_of(2), 0);
		assert_eq!(Balances::balance(&2), 1_000);
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::BondWithdrawn { host: 2, amount: BOND })
		);
		// In the new epoch host 1 has no pending commitment and may leave.
		assert_ok!(Sprint::unregister_host(s(1)));
		check_state();
	});
}

#[test]
fn params_change_only_by_root_and_from_the_next_epoch() {
	new_test_ext().execute_with(|| {
		let mut p = test_params();
		p.epoch_length = 30;
		p.sample_size = 20;
		assert_noop!(
			Sprint::set_params(RuntimeOrigin::signed(1), p.clone()),
			DispatchError::BadOrigin
		);
		assert_ok!(Sprint::set_params(RuntimeOrigin::root(), p.clone()));
		assert_eq!(last_event(), RuntimeEvent::Sprint(Event::ParamsScheduled { from_epoch: 1 }));
		// Still the old params this epoch: it ends after 20 blocks.
		assert_eq!(Params::<Test>::get().sample_size, 10);
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert_eq!(Params::<Test>::get(), p);
		assert!(PendingParams::<Test>::get().is_none());
		assert!(System::events()
			.iter()
			.any(|e| e.event == RuntimeEvent::Sprint(Event::ParamsApplied { epoch: 1 })));
		// The new epoch is 30 blocks long.
		run_to(50);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		run_to(51);
		assert_eq!(CurrentEpoch::<Test>::get(), 2);
	});
}

#[test]
fn invalid_params_are_refused() {
	new_test_ext().execute_with(|| {
		let root = RuntimeOrigin::root;
		let ok = test_params();
		let mut bad_model = ok.clone();
		bad_model.model.heads = 3;
		assert_noop!(Sprint::set_params(root(), bad_model), Error::<Test>::InvalidModelConfig);
		let mut too_long = ok.clone();
		too_long.validation_length = 12; // 5 + 3 + 12 = 20: no block left to settle.
		assert_noop!(Sprint::set_params(root(), too_long), Error::<Test>::InvalidPhaseLengths);
		let mut no_sprint = ok.clone();
		no_sprint.sprint_length = 0;
		assert_noop!(Sprint::set_params(root(), no_sprint), Error::<Test>::InvalidPhaseLengths);
		let mut no_committee = ok.clone();
		no_committee.committee_size = 0;
		assert_noop!(Sprint::set_params(root(), no_committee), Error::<Test>::InvalidParams);
		let mut huge = ok;
		huge.max_count = MAX_LEAVES + 1;
		assert_noop!(Sprint::set_params(root(), huge), Error::<Test>::InvalidParams);
	});
}

#[test]
fn integrity_test_passes() {
	use polkadot_sdk::frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		<Sprint as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn params_round_trip_through_genesis_json() {
	// Chain-spec presets write the params as JSON with camelCase names.
	let p = test_params();
	let json = serde_json::to_string(&p).unwrap();
	assert!(json.contains("\"epochLength\":20") && json.contains("\"rTargetMicros\""), "{json}");
	assert_eq!(serde_json::from_str::<SprintParams<Balance>>(&json).unwrap(), p);
	assert!(serde_json::from_str::<SprintParams<Balance>>(
		&json.replace("epochLength", "epochLen")
	)
	.is_err());
}

#[test]
fn epoch_info_reports_the_phase_boundaries() {
	new_test_ext().execute_with(|| {
		run_to(7);
		assert_eq!(
			Sprint::epoch_info(),
			EpochInfo {
				epoch: 0,
				phase: Phase::Commit,
				block: 7,
				start: 1,
				commit_start: 6,
				validation_start: 9,
				settlement_start: 15,
				next_epoch_start: 21,
			}
		);
	});
}
