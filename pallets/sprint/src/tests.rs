//! Unit tests on the mock runtime.

use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_runtime::DispatchError,
};

use crate::{mock::*, pallet::*, types::*, Error, Event};
use polkadot_sdk::frame_support::BoundedVec;

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
		assert_eq!(Weights::<Test>::get(0, 1), 100);
		assert_eq!(TotalWeight::<Test>::get(0), 150);
		assert_eq!(ValidatorCount::<Test>::get(0), 2);
		assert_eq!(Validators::<Test>::get(0, 1), Some((2, 150)));
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
		assert_eq!((info.last_weight, info.since), (0, 0));
		// A new host has no weight until a Sprint of its is accepted: not a validator.
		assert_eq!(Weights::<Test>::get(0, 3), 0);
		assert_eq!(ValidatorCount::<Test>::get(0), 2);

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
		// Host 2 did not: it leaves at once (its weight of this epoch stays on record: this
		// epoch's committees were drawn with it).
		assert_ok!(Sprint::unregister_host(s(2)));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::HostUnregistered { host: 2, unlock_epoch: 1 })
		);
		assert!(Hosts::<Test>::get(2).is_none());
		assert_eq!(TotalWeight::<Test>::get(0), 150);
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
		let mut big_committee = ok.clone();
		big_committee.committee_size = 17; // MaxCommitteeSize is 16.
		assert_noop!(Sprint::set_params(root(), big_committee), Error::<Test>::InvalidParams);
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

/// Runs to the first block of the Validation phase of the current epoch.
fn to_validation() {
	let start = EpochStart::<Test>::get();
	run_to(start + test_params().commit_end() as u64);
	assert_eq!(Sprint::current_phase().1, Phase::Validation);
}

fn verdicts(v: &[(AccountId, Verdict)]) -> BoundedVec<(AccountId, Verdict), ConstU32<4>> {
	v.to_vec().try_into().unwrap()
}

use polkadot_sdk::frame_support::traits::ConstU32;

#[test]
fn the_sampling_seed_is_fixed_when_validation_begins() {
	new_test_ext().execute_with(|| {
		to_commit_window();
		assert!(SamplingSeed::<Test>::get(0).is_none());
		assert!(Sprint::draw_committee(0, &1).is_empty(), "no committee before the seed");
		to_validation();
		let seed = SamplingSeed::<Test>::get(0).unwrap();
		assert_ne!(Some(seed), EpochSeed::<Test>::get(0));
		assert!(System::events().iter().any(|e| e.event
			== RuntimeEvent::Sprint(Event::ValidationStarted { epoch: 0, sampling_seed: seed })));
	});
}

#[test]
fn committees_are_drawn_without_replacement_leaving_the_host_out() {
	ext_with_hosts(6).execute_with(|| {
		to_validation();
		for host in 1..=6u64 {
			let c = Sprint::draw_committee(0, &host);
			assert_eq!(c.len(), 3, "committee_size 3 of 5 eligible");
			assert!(!c.contains(&host));
			let mut sorted = c.clone();
			sorted.sort();
			sorted.dedup();
			assert_eq!(sorted.len(), 3, "distinct members: {c:?}");
			assert!(c.iter().all(|v| (1..=6).contains(v)));
			// A pure function: the same again.
			assert_eq!(Sprint::draw_committee(0, &host), c);
		}
		// A host that is not a validator draws from all six.
		assert_eq!(Sprint::draw_committee(0, &99).len(), 3);
	});
	// Everyone when there are fewer validators than the committee size.
	new_test_ext().execute_with(|| {
		to_validation();
		assert_eq!(Sprint::draw_committee(0, &1), vec![2]);
		let mut all = Sprint::draw_committee(0, &5);
		all.sort();
		assert_eq!(all, vec![1, 2]);
	});
}

#[test]
fn committee_draws_follow_weight() {
	// Hosts 1..=6 weigh 10, 20, ..., 60: the first member of a committee is validator v with
	// probability w_v / 210 (for hosts that are not validators themselves).
	ext_with_hosts(6).execute_with(|| {
		to_validation();
		let n = 4_000u64;
		let mut first = [0u64; 7];
		for h in 1_000..1_000 + n {
			first[Sprint::draw_committee(0, &h)[0] as usize] += 1;
		}
		for (v, drawn) in first.iter().enumerate().skip(1) {
			let p = (10 * v) as f64 / 210.0;
			let expected = p * n as f64;
			let sd = (n as f64 * p * (1.0 - p)).sqrt();
			assert!(
				(*drawn as f64 - expected).abs() < 5.0 * sd,
				"validator {v}: {drawn} first draws, expected {expected:.0} ± {sd:.0}"
			);
		}
	});
}

#[test]
fn committee_members_vote_once_in_the_validation_window() {
	ext_with_hosts(6).execute_with(|| {
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 50));
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(12), 0, [2; 32], 60));
		let host = 1u64;
		// Not yet: the Commit phase.
		assert_noop!(
			Sprint::submit_verdicts(
				RuntimeOrigin::signed(12),
				0,
				verdicts(&[(host, Verdict::Valid)])
			),
			Error::<Test>::NotValidationWindow
		);
		to_validation();
		let committee = Sprint::draw_committee(0, &host);
		let member = committee[0];
		let outsider = (2..=6).find(|v| !committee.contains(v)).unwrap();
		let worker = |h: AccountId| RuntimeOrigin::signed(10 + h);
		assert_ok!(Sprint::submit_verdicts(worker(member), 0, verdicts(&[(host, Verdict::Valid)])));
		assert_eq!(
			Tallies::<Test>::get(0, host),
			Tally { valid: 10 * member, invalid: 0, votes: 1 }
		);
		assert_eq!(Votes::<Test>::get((0, host, member)), Some(Verdict::Valid));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::VerdictsSubmitted {
				epoch: 0,
				validator: member,
				count: 1
			})
		);
		assert_eq!(Committees::<Test>::get(0, host).unwrap().to_vec(), committee);
		assert_eq!(Sprint::committee_of(0, &host), committee);
		// The member's duties list the committed hosts it judges, with their commitments.
		let duties = Sprint::duties(0, &member);
		assert!(duties.contains(&(host, Commitment { root: [1; 32], count: 50 })));
		assert!(duties.iter().all(|(h, _)| Sprint::committee_of(0, h).contains(&member)));
		assert!(!Sprint::duties(0, &outsider).iter().any(|(h, _)| *h == host));

		// Bad input: named errors, nothing changes (a bad entry refuses the whole batch).
		assert_noop!(
			Sprint::submit_verdicts(worker(member), 0, verdicts(&[(host, Verdict::Invalid)])),
			Error::<Test>::AlreadyVoted
		);
		assert_noop!(
			Sprint::submit_verdicts(worker(outsider), 0, verdicts(&[(host, Verdict::Invalid)])),
			Error::<Test>::NotInCommittee
		);
		assert_noop!(
			Sprint::submit_verdicts(worker(member), 0, verdicts(&[(3, Verdict::Valid)])),
			Error::<Test>::HostNotCommitted
		);
		assert_noop!(
			Sprint::submit_verdicts(worker(member), 1, verdicts(&[(host, Verdict::Valid)])),
			Error::<Test>::WrongEpoch
		);
		assert_noop!(
			Sprint::submit_verdicts(worker(member), 0, verdicts(&[])),
			Error::<Test>::NoVerdicts
		);
		assert_noop!(
			Sprint::submit_verdicts(
				RuntimeOrigin::signed(member),
				0,
				verdicts(&[(host, Verdict::Valid)])
			),
			Error::<Test>::NotAWorkerKey
		);
		let other = Sprint::draw_committee(0, &2);
		let m2 = other[0];
		assert_noop!(
			Sprint::submit_verdicts(
				worker(m2),
				0,
				verdicts(&[(2, Verdict::Valid), (2, Verdict::Invalid)])
			),
			Error::<Test>::AlreadyVoted
		);
		// After the Validation phase.
		run_to(EpochStart::<Test>::get() + test_params().validation_end() as u64);
		assert_noop!(
			Sprint::submit_verdicts(worker(m2), 0, verdicts(&[(2, Verdict::Valid)])),
			Error::<Test>::NotValidationWindow
		);
		check_state();
	});
}

fn vote(validator: AccountId, host: AccountId, verdict: Verdict) {
	assert_ok!(Sprint::submit_verdicts(
		RuntimeOrigin::signed(10 + validator),
		CurrentEpoch::<Test>::get(),
		verdicts(&[(host, verdict)])
	));
}

fn sprint_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Sprint(e) => Some(e),
			_ => None,
		})
		.collect()
}

#[test]
fn a_full_epoch_accepts_rejects_and_slashes() {
	// Hosts 1..=4 weigh 10..40; with committee_size 3 each host's committee is the other three.
	ext_with_hosts(4).execute_with(|| {
		to_commit_window();
		for (h, count) in [(1u64, 100u64), (2, 200), (3, 300)] {
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(10 + h), 0, [h as u8; 32], count));
		}
		to_validation();
		// Host 1: everyone votes valid. Host 2: everyone votes invalid (fraud). Host 3: only the
		// lightest member votes, invalid: a minority can withhold acceptance, never slash.
		for v in [2, 3, 4] {
			vote(v, 1, Verdict::Valid);
		}
		for v in [1, 3, 4] {
			vote(v, 2, Verdict::Invalid);
		}
		vote(1, 3, Verdict::Invalid);
		let treasury_before = Balances::balance(&TreasuryAccount::get());

		// Settlement: 4 hosts judged, 2 per block, then the one accepted host paid.
		let settle_start = EpochStart::<Test>::get() + test_params().validation_end() as u64;
		run_to(settle_start);
		assert!(!Sprint::is_settled(0), "two of four hosts judged in the first block");
		assert!(SettlementCursor::<Test>::get().is_some());
		run_to(settle_start + 1);
		assert!(!Sprint::is_settled(0), "judged, not yet paid");
		assert!(SettlementCursor::<Test>::get().is_none());
		assert_eq!(PayoutCursor::<Test>::get(), Some(0));
		run_to(settle_start + 2);
		assert!(Sprint::is_settled(0));
		assert_eq!(PayoutCursor::<Test>::get(), None);

		// Weights of epoch 1: only the accepted host, at its count.
		assert_eq!(Weights::<Test>::get(1, 1), 100);
		assert_eq!(Weights::<Test>::get(1, 2), 0);
		assert_eq!(Weights::<Test>::get(1, 3), 0);
		assert_eq!(TotalWeight::<Test>::get(1), 100);
		assert_eq!(ValidatorCount::<Test>::get(1), 1);
		assert_eq!(Hosts::<Test>::get(1).unwrap().last_weight, 100);
		// The fraud lost half its bond to the treasury.
		assert_eq!(hold_of(2), BOND / 2);
		assert_eq!(Hosts::<Test>::get(2).unwrap().bond, BOND / 2);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), treasury_before + BOND / 2);
		// The minority's target keeps its bond; the silent host counts a missed epoch.
		assert_eq!(hold_of(3), BOND);
		assert_eq!(Hosts::<Test>::get(4).unwrap().missed, 1);
		// Host 3's committee members 2 and 4 did not vote on it.
		assert_eq!(MissedVotes::<Test>::get(0, 2), 1);
		assert_eq!(MissedVotes::<Test>::get(0, 4), 1);
		assert_eq!(MissedVotes::<Test>::get(0, 1), 0);

		let events = sprint_events();
		assert!(events.contains(&Event::HostAccepted { epoch: 0, host: 1, weight: 100 }));
		assert!(events.contains(&Event::HostSlashed { epoch: 0, host: 2, amount: BOND / 2 }));
		assert!(events.contains(&Event::HostRejected {
			epoch: 0,
			host: 3,
			valid: 0,
			invalid: 10,
			committee_weight: 10 + 20 + 40,
		}));
		assert!(events.contains(&Event::EpochSettled {
			epoch: 0,
			accepted: 1,
			rejected: 1,
			slashed: 1,
			silent: 1,
			deregistered: 0,
			// Committed counts (accepted or not) plus the silent host's last weight.
			expected_weight: 100 + 200 + 300 + 40,
			next_total_weight: 100,
		}));
		check_state();

		// Epoch 1 starts on time with the new validator set.
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		check_state();
	});
}

#[test]
fn settlement_is_spread_over_blocks_and_the_epoch_waits_for_it() {
	ext_with_hosts(8).execute_with(|| {
		// From epoch 1: a one-block Settlement phase, too short for 8 hosts at 2 per block.
		let mut p = test_params();
		p.validation_length = 11;
		assert_ok!(Sprint::set_params(RuntimeOrigin::root(), p));
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert!(Sprint::is_settled(0));
		// Epoch 1 would end at block 41; settlement starts at 40 and needs 4 blocks to judge
		// and one to pay (nobody: all 8 hosts were silent).
		run_to(41);
		assert_eq!(CurrentEpoch::<Test>::get(), 1, "the epoch waits for its settlement");
		assert!(!Sprint::is_settled(1));
		run_to(44);
		assert!(Sprint::is_settled(1));
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		run_to(45);
		assert_eq!(CurrentEpoch::<Test>::get(), 2);
		assert_eq!(EpochStart::<Test>::get(), 45);
		// Every host was settled exactly once per epoch: 8 silent hosts, missed twice.
		assert!(Hosts::<Test>::iter().all(|(_, i)| i.missed == 2));
	});
}

#[test]
fn a_lone_validator_is_accepted() {
	// One genesis host: its committee is empty, nobody can check it.
	ext_with_hosts(1).execute_with(|| {
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 7));
		run_to(21);
		assert_eq!(Weights::<Test>::get(1, 1), 7);
	});
}

#[test]
fn old_epochs_are_forgotten_a_few_keys_per_block() {
	let mut ext = ext_with_hosts(4);
	ext.execute_with(|| {
		// Epoch 0 with commitments, votes, committees, tallies and settlement records.
		to_commit_window();
		for h in 1..=3u64 {
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(10 + h), 0, [h as u8; 32], 10 * h));
		}
		to_validation();
		for v in [2, 3, 4] {
			vote(v, 1, Verdict::Valid);
		}
		run_to(21);
		assert_eq!(Commitments::<Test>::iter_prefix(0).count(), 3);
		assert_eq!(Votes::<Test>::iter_prefix((0,)).count(), 3);
		// Still kept in epoch 1 (the previous epoch).
		run_to(41);
		assert_eq!(CurrentEpoch::<Test>::get(), 2);
		assert_eq!(CleanedUpTo::<Test>::get(), 0);
	});
	// In epoch 2, epoch 0 goes, 3 keys per block. Each block's writes reach the database before
	// the next block, as on a chain: the removal cursor continues over committed state.
	let mut spread = 0;
	for b in 42..=60 {
		ext.commit_all().unwrap();
		ext.execute_with(|| {
			run_to(b);
			if CleanupProgress::<Test>::get().is_some() {
				spread += 1;
			}
		});
	}
	assert!(spread > 1, "the cleanup took {spread} blocks; it must be spread over several");
	ext.execute_with(|| {
		assert_eq!(CleanedUpTo::<Test>::get(), 1);
		assert!(CleanupProgress::<Test>::get().is_none());
		assert_eq!(Commitments::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Weights::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Validators::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(ValidatorIndex::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Committees::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Votes::<Test>::iter_prefix((0,)).count(), 0);
		assert_eq!(Tallies::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(MissedVotes::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(TotalWeight::<Test>::get(0), 0);
		// Epoch 1's records are still there.
		assert!(Weights::<Test>::iter_prefix(1).count() > 0);
		check_state();
	});
}
