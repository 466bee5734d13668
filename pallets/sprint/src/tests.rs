//! Unit tests on the mock runtime.

use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_runtime::{traits::Saturating, DispatchError, Perbill},
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
	run_to(start + test_params().commit_start() as u64);
	assert_eq!(Sprint::current_phase().1, Phase::Commit);
}

fn check_state() {
	Sprint::do_try_state().unwrap();
}

#[test]
fn genesis_hosts_are_bonded_and_epoch_zero_has_a_seed() {
	build_and_execute(new_test_ext(), || {
		assert_eq!(Hosts::<Test>::count(), 2);
		assert_eq!(hold_of(1), BOND);
		assert_eq!(Balances::balance(&1), 1_000 - BOND);
		assert_eq!(Weights::<Test>::get(0, 1), 100);
		assert_eq!(TotalWeight::<Test>::get(0), 150);
		assert_eq!(ValidatorCount::<Test>::get(0), 2);
		assert_eq!(Validators::<Test>::get(0, 1), Some((2, 150)));
		assert_eq!(HostOfWorker::<Test>::get(12), Some(2));
		assert_eq!(CurrentEpoch::<Test>::get(), 0);
		assert_eq!(Sprint::current_phase(), (0, Phase::Sprint, 0));
		// The epoch seed is fixed at the end of the epoch's first block, from what it carries.
		assert!(EpochSeed::<Test>::get(0).is_none());
		run_to(2);
		assert_eq!(EpochSeed::<Test>::get(0), Some(crate::mix(&parent_of(1), 0, b"epoch")));
		check_state();
	});
}

#[test]
fn phases_follow_the_params() {
	let p = test_params();
	// The seed block, then the Sprint's 5 blocks.
	assert_eq!(p.phase_at(0, None), Phase::Sprint);
	assert_eq!(p.phase_at(5, None), Phase::Sprint);
	assert_eq!(p.phase_at(6, None), Phase::Commit);
	assert_eq!(p.phase_at(8, None), Phase::Commit);
	// The seed gap lasts until the sampling seed is fixed.
	assert_eq!(p.phase_at(9, None), Phase::SeedGap);
	assert_eq!(p.phase_at(15, None), Phase::SeedGap);
	assert_eq!(p.phase_at(9, Some(10)), Phase::SeedGap);
	assert_eq!(p.phase_at(10, Some(10)), Phase::Validation);
	assert_eq!(p.phase_at(13, Some(10)), Phase::Validation);
	// Then Reveal's 2 blocks, then settlement.
	assert_eq!(p.phase_at(14, Some(10)), Phase::Reveal);
	assert_eq!(p.phase_at(15, Some(10)), Phase::Reveal);
	assert_eq!(p.phase_at(16, Some(10)), Phase::Settlement);
	assert_eq!(p.phase_at(12, Some(12)), Phase::Validation);
	assert_eq!(p.phase_at(16, Some(12)), Phase::Reveal);
	assert_eq!(p.phase_at(18, Some(12)), Phase::Settlement);
}

#[test]
fn epochs_roll_over_with_fresh_seeds() {
	build_and_execute(new_test_ext(), || {
		run_to(2);
		let seed0 = EpochSeed::<Test>::get(0).unwrap();
		run_to(20);
		assert_eq!(CurrentEpoch::<Test>::get(), 0);
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert_eq!(EpochStart::<Test>::get(), 21);
		assert!(EpochSeed::<Test>::get(1).is_none(), "fixed at the end of the first block");
		run_to(22);
		let seed1 = EpochSeed::<Test>::get(1).unwrap();
		assert_ne!(seed0, seed1);
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::EpochStarted { epoch: 1, start: 21, seed: seed1 })
		);
		run_to(41);
		run_to(62);
		assert_eq!(CurrentEpoch::<Test>::get(), 3);
		// Only the current and the previous seed are kept.
		assert!(EpochSeed::<Test>::get(1).is_none());
		assert!(EpochSeed::<Test>::get(2).is_some() && EpochSeed::<Test>::get(3).is_some());
	});
}

#[test]
fn register_update_and_rotate() {
	build_and_execute(new_test_ext(), || {
		assert_ok!(Sprint::register_host(
			RuntimeOrigin::signed(3),
			endpoint("https://h3.example:8443"),
			13,
			key_proof(3, 13)
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

		assert_ok!(Sprint::set_worker_key(RuntimeOrigin::signed(3), 23, key_proof(3, 23)));
		assert_eq!(HostOfWorker::<Test>::get(23), Some(3));
		assert_eq!(HostOfWorker::<Test>::get(13), None);
		check_state();
	});
}

#[test]
fn bad_registrations_are_refused_and_change_nothing() {
	build_and_execute(new_test_ext(), || {
		let s = RuntimeOrigin::signed;
		assert_noop!(
			Sprint::register_host(s(1), endpoint("https://again"), 31, key_proof(1, 31)),
			Error::<Test>::AlreadyRegistered
		);
		// Scheme, host and port only (PROTOCOL §1).
		for bad in [
			"ftp://h3",
			"https://",
			"http:///path",
			"https://h 3",
			"h3.example:80",
			"http://h3.example/",
			"http://h3.example/admin",
			"http://h3.example?x=1",
			"http://h3.example#x",
			"http://user@h3.example",
			"http://h3.example:0",
			"http://h3.example:99999",
		] {
			assert_noop!(
				Sprint::register_host(s(3), endpoint(bad), 13, key_proof(3, 13)),
				Error::<Test>::InvalidEndpoint
			);
		}
		assert_noop!(
			Sprint::register_host(s(3), endpoint("https://h3"), 11, key_proof(3, 11)),
			Error::<Test>::WorkerKeyInUse
		);
		assert_noop!(
			Sprint::register_host(s(20), endpoint("https://poor"), 30, key_proof(20, 30)),
			Error::<Test>::InsufficientBond
		);
		// Key proofs: by another key, for another host, over another message, or none.
		for bad in [
			TestSignature(14, Sprint::worker_key_message(&3)),
			key_proof(4, 13),
			TestSignature(13, b"gonka/worker-key".to_vec()),
			TestSignature(13, vec![]),
		] {
			assert_noop!(
				Sprint::register_host(s(3), endpoint("https://h3"), 13, bad),
				Error::<Test>::InvalidKeyProof
			);
		}
		// A host account cannot be another host's worker key, nor a worker key a host.
		assert_noop!(
			Sprint::register_host(s(3), endpoint("https://h3"), 2, key_proof(3, 2)),
			Error::<Test>::WorkerKeyIsHost
		);
		assert_noop!(
			Sprint::register_host(s(11), endpoint("https://h11"), 31, key_proof(11, 31)),
			Error::<Test>::HostIsWorkerKey
		);
		assert_noop!(
			Sprint::set_worker_key(s(1), 2, key_proof(1, 2)),
			Error::<Test>::WorkerKeyIsHost
		);
		assert_noop!(
			Sprint::set_worker_key(s(1), 31, key_proof(1, 32)),
			Error::<Test>::InvalidKeyProof
		);
		assert_noop!(
			Sprint::update_host(s(3), endpoint("https://h3")),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Sprint::update_host(s(1), endpoint("mailto:x")),
			Error::<Test>::InvalidEndpoint
		);
		assert_noop!(
			Sprint::set_worker_key(s(3), 33, key_proof(3, 33)),
			Error::<Test>::NotRegistered
		);
		assert_noop!(
			Sprint::set_worker_key(s(1), 12, key_proof(1, 12)),
			Error::<Test>::WorkerKeyInUse
		);
		// A host may sign with its own account.
		assert_ok!(Sprint::set_worker_key(s(1), 1, key_proof(1, 1)));
		// Fill up to MaxHosts = 256.
		for a in (3..=8).chain(100..348) {
			let key = 20_000 + a;
			assert_ok!(Sprint::register_host(s(a), endpoint("https://h"), key, key_proof(a, key)));
		}
		assert_eq!(Hosts::<Test>::count(), 256);
		assert_noop!(
			Sprint::register_host(s(9), endpoint("https://h9"), 9_999, key_proof(9, 9_999)),
			Error::<Test>::TooManyHosts
		);
		check_state();
	});
}

#[test]
fn commit_in_the_window_once() {
	build_and_execute(new_test_ext(), || {
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
	build_and_execute(new_test_ext(), || {
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
		// After the Commit phase: the seed gap, then Validation.
		run_to(EpochStart::<Test>::get() + test_params().commit_end() as u64);
		assert_eq!(Sprint::current_phase().1, Phase::SeedGap);
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 5), Error::<Test>::NotCommitWindow);
		run_to(EpochStart::<Test>::get() + test_params().commit_end() as u64 + 1);
		assert_eq!(Sprint::current_phase().1, Phase::Validation);
		assert_noop!(Sprint::commit(s(11), 0, [1; 32], 5), Error::<Test>::NotCommitWindow);
		// A rotated-out key can no longer commit.
		assert_ok!(Sprint::set_worker_key(s(1), 21, key_proof(1, 21)));
		run_to(21 + test_params().commit_start() as u64);
		assert_noop!(Sprint::commit(s(11), 1, [1; 32], 5), Error::<Test>::NotAWorkerKey);
		assert_ok!(Sprint::commit(s(21), 1, [1; 32], 5));
	});
}

#[test]
fn unregister_then_withdraw_the_bond_next_epoch() {
	build_and_execute(new_test_ext(), || {
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
	build_and_execute(new_test_ext(), || {
		let mut p = test_params();
		p.epoch_length = 30;
		p.sample_size = 60;
		assert_noop!(
			Sprint::set_params(RuntimeOrigin::signed(1), p.clone()),
			DispatchError::BadOrigin
		);
		assert_ok!(Sprint::set_params(RuntimeOrigin::root(), p.clone()));
		assert_eq!(last_event(), RuntimeEvent::Sprint(Event::ParamsScheduled { from_epoch: 1 }));
		// Still the old params this epoch: it ends after 20 blocks.
		assert_eq!(Params::<Test>::get().sample_size, 50);
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
	build_and_execute(new_test_ext(), || {
		let root = RuntimeOrigin::root;
		let ok = test_params();
		let mut bad_model = ok.clone();
		bad_model.model.heads = 3;
		assert_noop!(Sprint::set_params(root(), bad_model), Error::<Test>::InvalidModelConfig);
		let mut too_long = ok.clone();
		// Seed block 1 + Sprint 5 + Commit 3 + seed gap 1 + Validation 8 + Reveal 2 = 20: no
		// block left to settle.
		too_long.validation_length = 8;
		assert_noop!(Sprint::set_params(root(), too_long), Error::<Test>::InvalidPhaseLengths);
		let mut fits = ok.clone();
		fits.validation_length = 7;
		assert_ok!(Sprint::set_params(root(), fits));
		let mut no_reveal = ok.clone();
		no_reveal.reveal_length = 0;
		assert_noop!(Sprint::set_params(root(), no_reveal), Error::<Test>::InvalidPhaseLengths);
		let mut long_reveal = ok.clone();
		long_reveal.reveal_length = 6;
		assert_noop!(Sprint::set_params(root(), long_reveal), Error::<Test>::InvalidPhaseLengths);
		// Lazy tolerance: at most 10 disagreements.
		let mut lax = ok.clone();
		lax.lazy_tolerance = 11;
		assert_noop!(Sprint::set_params(root(), lax), Error::<Test>::LazyToleranceOutOfBounds);
		let mut strict = ok.clone();
		strict.lazy_tolerance = 10;
		assert_ok!(Sprint::set_params(root(), strict.clone()));
		strict.lazy_tolerance = 0;
		assert_ok!(Sprint::set_params(root(), strict));
		let mut no_sprint = ok.clone();
		no_sprint.sprint_length = 0;
		assert_noop!(Sprint::set_params(root(), no_sprint), Error::<Test>::InvalidPhaseLengths);
		// Seats: at least 8 (PROTOCOL §11), at most MaxCommitteeSize (64 here).
		for seats in [0, 1, 7, 65] {
			let mut p = ok.clone();
			p.committee_size = seats;
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::CommitteeSizeOutOfBounds);
		}
		for seats in [8, 64] {
			let mut p = ok.clone();
			p.committee_size = seats;
			assert_ok!(Sprint::set_params(root(), p));
		}
		// Acceptance: between 1/2 and 9/10 of the seats.
		for t in [0, 49, 91, 100] {
			let mut p = ok.clone();
			p.accept_threshold = Perbill::from_percent(t);
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::AcceptThresholdOutOfBounds);
		}
		// ε in (0, 1e-3].
		for eps in [0, MAX_HIT_TOLERANCE + 1] {
			let mut p = ok.clone();
			p.hit_tolerance = eps;
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::HitToleranceOutOfBounds);
		}
		// Samples of 50 to 1,000 leaves.
		for n in [0, 49, 1_001] {
			let mut p = ok.clone();
			p.sample_size = n;
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::SampleSizeOutOfBounds);
		}
		for n in [50, 1_000] {
			let mut p = ok.clone();
			p.sample_size = n;
			assert_ok!(Sprint::set_params(root(), p));
		}
		for n in [0, MAX_LEAVES + 1] {
			let mut p = ok.clone();
			p.max_count = n;
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::MaxCountOutOfBounds);
		}
		// A fraud slash of 10 % to 100 % of the bond.
		for t in [0, 9] {
			let mut p = ok.clone();
			p.fraud_slash = Perbill::from_percent(t);
			assert_noop!(Sprint::set_params(root(), p), Error::<Test>::FraudSlashOutOfBounds);
		}
		for t in [10, 100] {
			let mut p = ok.clone();
			p.fraud_slash = Perbill::from_percent(t);
			assert_ok!(Sprint::set_params(root(), p));
		}
		// A bond of at least the existential deposit (1 in the mock) and above 0.
		let mut free = ok.clone();
		free.host_bond = 0;
		assert_noop!(Sprint::set_params(root(), free), Error::<Test>::HostBondOutOfBounds);
		let mut least = ok;
		least.host_bond = 1;
		assert_ok!(Sprint::set_params(root(), least.clone()));
		assert_eq!(PendingParams::<Test>::get(), Some(least));
	});
}

#[test]
fn integrity_test_passes() {
	use polkadot_sdk::frame_support::traits::Hooks;
	build_and_execute(new_test_ext(), || {
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
	build_and_execute(new_test_ext(), || {
		run_to(7);
		let info = Sprint::epoch_info();
		assert_eq!(
			info,
			EpochInfo {
				epoch: 0,
				phase: Phase::Commit,
				block: 7,
				start: 1,
				commit_start: 7,
				commit_end: 10,
				// Not fixed yet: the earliest it can be.
				validation_start: 11,
				reveal_start: 15,
				settlement_start: 17,
				next_epoch_start: 21,
			}
		);
		run_to(11);
		assert_eq!(Sprint::epoch_info().phase, Phase::Validation);
		assert_eq!(Sprint::epoch_info().validation_start, 11);
		run_to(15);
		assert_eq!(Sprint::epoch_info().phase, Phase::Reveal);
		run_to(17);
		assert_eq!(Sprint::epoch_info().phase, Phase::Settlement);
	});
}

/// Runs to the first block of the Validation phase of the current epoch (without a relay
/// chain: the block after the first seed-gap block).
fn to_validation() {
	let start = EpochStart::<Test>::get();
	run_to(start + test_params().earliest_validation_start() as u64);
	assert_eq!(Sprint::current_phase().1, Phase::Validation);
}

fn hashes(v: &[(AccountId, H256)]) -> BoundedVec<(AccountId, H256), ConstU32<4>> {
	v.to_vec().try_into().unwrap()
}

fn reveals(v: &[VerdictReveal<AccountId>]) -> BoundedVec<VerdictReveal<AccountId>, ConstU32<4>> {
	v.to_vec().try_into().unwrap()
}

use polkadot_sdk::sp_core::H256;

use polkadot_sdk::frame_support::traits::ConstU32;

/// PROTOCOL §3: nobody may know the sample while a commit can still be made. Blocks carry relay
/// parents and randomness as a parachain's inherent notes them.
#[test]
fn the_sampling_seed_cannot_be_read_while_commits_are_accepted() {
	build_and_execute(new_test_ext(), || {
		let p = test_params();
		let start = EpochStart::<Test>::get();
		// The whole Sprint and Commit phase on relay parents 100..: each block newer than the
		// last, with randomness.
		for offset in 0..p.commit_end() as u64 {
			set_relay(Some((100 + offset as u32, Some([offset as u8; 32]))));
			run_to(start + offset + 1);
			assert!(SamplingSeed::<Test>::get(0).is_none(), "offset {offset}");
		}
		// Every block that accepted a commit is finalized; the last carried relay block 108.
		assert_eq!(LastCommitRelayBlock::<Test>::get(), Some(108));
		// The seed gap: more parachain blocks on the same relay parent (async backing builds
		// several on one), then a newer relay block without randomness: no seed.
		set_relay(Some((108, Some([0xee; 32]))));
		run_to(start + p.commit_end() as u64 + 3);
		set_relay(Some((109, None)));
		run_to(start + p.commit_end() as u64 + 4);
		assert!(SamplingSeed::<Test>::get(0).is_none());
		assert_eq!(Sprint::current_phase().1, Phase::SeedGap);
		// Verdicts wait for it too.
		assert_noop!(
			Sprint::commit_verdicts(RuntimeOrigin::signed(11), 0, hashes(&[(2, H256([1; 32]))])),
			Error::<Test>::NotValidationWindow
		);
		// Relay block 110 with randomness: fixed at the end of this block, Validation from the next.
		set_relay(Some((110, Some([0x42; 32]))));
		let fixing = start + p.commit_end() as u64 + 4;
		run_to(fixing + 1);
		let seed = crate::mix(&[0x42; 32], 0, b"sampling");
		assert_eq!(SamplingSeed::<Test>::get(0), Some(seed));
		assert_eq!(Sprint::current_phase().1, Phase::Validation);
		assert_eq!(ValidationStart::<Test>::get(), Some(p.commit_end() + 5));
		assert!(System::events().iter().any(|e| e.event
			== RuntimeEvent::Sprint(Event::ValidationStarted {
				epoch: 0,
				sampling_seed: seed,
				relay_block: Some(110),
				start: fixing + 1,
			})));
		// Validation keeps its full length from there; the epoch waits for its settlement.
		assert_eq!(Sprint::epoch_info().settlement_start, fixing + 1 + 6);
		while CurrentEpoch::<Test>::get() == 0 {
			run_to(System::block_number() + 1);
		}
		assert!(System::block_number() > 21, "extended by the long seed gap");
		// The next epoch's seed is fixed from its own first block's relay randomness.
		set_relay(Some((120, Some([0x77; 32]))));
		run_to(System::block_number() + 1);
		assert_eq!(EpochSeed::<Test>::get(1), Some(crate::mix(&[0x77; 32], 1, b"epoch")));
		assert_eq!(ValidationStart::<Test>::get(), None);
	});
}

#[test]
fn without_a_relay_chain_the_sampling_seed_follows_the_commit_phase() {
	build_and_execute(new_test_ext(), || {
		to_commit_window();
		assert!(SamplingSeed::<Test>::get(0).is_none());
		assert!(Sprint::draw_seats(0, &1).is_empty(), "no seats before the seed");
		let gap = EpochStart::<Test>::get() + test_params().commit_end() as u64;
		run_to(gap);
		assert!(SamplingSeed::<Test>::get(0).is_none());
		to_validation();
		// Dev mode: the gap block's parent hash.
		let seed = SamplingSeed::<Test>::get(0).unwrap();
		assert_eq!(seed, crate::mix(&parent_of(gap), 0, b"sampling"));
		assert_ne!(Some(seed), EpochSeed::<Test>::get(0));
	});
}

fn seats_total(seats: &[(AccountId, u32)]) -> u32 {
	seats.iter().map(|(_, n)| n).sum()
}

#[test]
fn seats_are_drawn_with_replacement_never_on_the_host() {
	build_and_execute(ext_with_hosts(6), || {
		to_validation();
		for host in 1..=6u64 {
			let seats = Sprint::draw_seats(0, &host);
			assert_eq!(seats_total(&seats), 8, "committee_size seats: {seats:?}");
			assert!(seats.iter().all(|(v, n)| *v != host && (1..=6).contains(v) && *n > 0));
			let mut distinct: Vec<_> = seats.iter().map(|(v, _)| *v).collect();
			distinct.sort();
			distinct.dedup();
			assert_eq!(distinct.len(), seats.len(), "one entry per validator");
			// A pure function: the same again.
			assert_eq!(Sprint::draw_seats(0, &host), seats);
		}
		// With replacement: 8 seats among 5 others means some validator holds several.
		assert!((1..=6u64).any(|h| Sprint::draw_seats(0, &h).iter().any(|(_, n)| *n > 1)));
		// A host that is no validator draws from all six.
		assert_eq!(seats_total(&Sprint::draw_seats(0, &99)), 8);
	});
	// Two validators: each holds every seat of the other.
	build_and_execute(new_test_ext(), || {
		to_validation();
		assert_eq!(Sprint::draw_seats(0, &1), vec![(2, 8)]);
		assert_eq!(Sprint::draw_seats(0, &2), vec![(1, 8)]);
	});
}

/// χ² of observed seat counts against weights `w` (the expected share of each).
fn chi_square(observed: &[u64], weights: &[u64]) -> f64 {
	let n: u64 = observed.iter().sum();
	let total: u64 = weights.iter().sum();
	observed
		.iter()
		.zip(weights)
		.map(|(&o, &w)| {
			let e = n as f64 * w as f64 / total as f64;
			(o as f64 - e).powi(2) / e
		})
		.sum()
}

#[test]
fn seat_draws_follow_weight_over_many_seeds() {
	// Hosts 1..=6 weigh 10, 20, ..., 60. Over 100 sampling seeds and 50 hosts each, every seat
	// goes to validator v with probability w_v / Σw (the host's own weight left out).
	build_and_execute(ext_with_hosts(6), || {
		to_validation();
		let weights: Vec<u64> = (1..=6).map(|v| 10 * v).collect();
		let mut outsider = [0u64; 6];
		let mut of_six = [0u64; 5];
		for s in 0..100u8 {
			SamplingSeed::<Test>::insert(0, [s; 32]);
			for h in 1_000..1_050u64 {
				for (v, n) in Sprint::draw_seats(0, &h) {
					outsider[v as usize - 1] += n as u64;
				}
			}
			// Host 6 (weight 60) draws only from 1..=5.
			for (v, n) in Sprint::draw_seats(0, &6) {
				assert_ne!(v, 6);
				of_six[v as usize - 1] += n as u64;
			}
		}
		assert_eq!(outsider.iter().sum::<u64>(), 100 * 50 * 8);
		// 5 degrees of freedom: P(χ² > 20.5) = 0.001.
		let chi = chi_square(&outsider, &weights);
		assert!(chi < 20.5, "χ² {chi:.1} over {outsider:?}");
		// 4 degrees of freedom: P(χ² > 18.5) = 0.001.
		let chi = chi_square(&of_six, &weights[..5]);
		assert!(chi < 18.5, "χ² {chi:.1} over {of_six:?}");
		// And the χ² does detect a wrong weighting: against equal weights it is far off.
		assert!(chi_square(&outsider, &[1; 6]) > 1_000.0);
	});
}

#[test]
fn seat_holders_commit_once_in_the_validation_window() {
	build_and_execute(ext_with_hosts(6), || {
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 50));
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(12), 0, [2; 32], 60));
		let host = 1u64;
		let h = H256([7; 32]);
		// Not yet: the Commit phase.
		assert_noop!(
			Sprint::commit_verdicts(RuntimeOrigin::signed(12), 0, hashes(&[(host, h)])),
			Error::<Test>::NotValidationWindow
		);
		to_validation();
		let seats = Sprint::draw_seats(0, &host);
		let (member, held) = seats[0];
		let outsider = (2..=6).find(|v| !seats.iter().any(|(s, _)| s == v));
		let worker = |h: AccountId| RuntimeOrigin::signed(10 + h);
		assert_ok!(Sprint::commit_verdicts(worker(member), 0, hashes(&[(host, h)])));
		assert_eq!(VerdictCommitments::<Test>::get((0, host, member)), Some(h));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::VerdictsCommitted {
				epoch: 0,
				validator: member,
				count: 1
			})
		);
		assert_eq!(Seats::<Test>::get(0, host).unwrap().to_vec(), seats);
		assert_eq!(Sprint::seats_of(0, &host), seats);
		// The member's duties list the committed hosts it judges, with their commitments.
		let duties = Sprint::duties(0, &member);
		assert!(duties.contains(&(host, Commitment { root: [1; 32], count: 50 })));
		assert!(duties.iter().all(|(h, _)| Sprint::committee_of(0, h).contains(&member)));

		// Bad input: named errors, nothing changes (a bad entry refuses the whole batch).
		assert_noop!(
			Sprint::commit_verdicts(worker(member), 0, hashes(&[(host, H256([8; 32]))])),
			Error::<Test>::AlreadyVoted
		);
		if let Some(outsider) = outsider {
			assert!(!Sprint::duties(0, &outsider).iter().any(|(h, _)| *h == host));
			assert_noop!(
				Sprint::commit_verdicts(worker(outsider), 0, hashes(&[(host, h)])),
				Error::<Test>::NotInCommittee
			);
		}
		// The host itself never holds a seat on itself.
		assert_noop!(
			Sprint::commit_verdicts(worker(host), 0, hashes(&[(host, h)])),
			Error::<Test>::NotInCommittee
		);
		assert_noop!(
			Sprint::commit_verdicts(worker(member), 0, hashes(&[(3, h)])),
			Error::<Test>::HostNotCommitted
		);
		assert_noop!(
			Sprint::commit_verdicts(worker(member), 1, hashes(&[(host, h)])),
			Error::<Test>::WrongEpoch
		);
		assert_noop!(
			Sprint::commit_verdicts(worker(member), 0, hashes(&[])),
			Error::<Test>::NoVerdicts
		);
		assert_noop!(
			Sprint::commit_verdicts(RuntimeOrigin::signed(member), 0, hashes(&[(host, h)])),
			Error::<Test>::NotAWorkerKey
		);
		let m2 = Sprint::draw_seats(0, &2)[0].0;
		assert_noop!(
			Sprint::commit_verdicts(worker(m2), 0, hashes(&[(2, h), (2, H256([9; 32]))])),
			Error::<Test>::AlreadyVoted
		);
		// A reveal waits for the Reveal phase.
		let (_, reveal) =
			Sprint::make_reveal(0, &host, &member, Verdict::Valid, [0; 32], |_| true).unwrap();
		assert_noop!(
			Sprint::reveal_verdicts(worker(member), 0, reveals(&[reveal])),
			Error::<Test>::NotRevealWindow
		);
		// After the Validation phase.
		run_to(Sprint::epoch_info().reveal_start);
		assert_eq!(Sprint::current_phase().1, Phase::Reveal);
		assert_noop!(
			Sprint::commit_verdicts(worker(m2), 0, hashes(&[(2, h)])),
			Error::<Test>::NotValidationWindow
		);
		let _ = held;
	});
}

/// PROTOCOL §6.6: a reveal must be exactly what was committed, by the validator that committed
/// it; its check bits one per sampled position.
#[test]
fn reveals_must_match_their_commitments() {
	build_and_execute(ext_with_hosts(6), || {
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 500));
		to_validation();
		let host = 1u64;
		let seats = Sprint::draw_seats(0, &host);
		assert!(seats.len() >= 2, "{seats:?}");
		let ((a, a_seats), (b, _)) = (seats[0], seats[1]);
		let worker = |h: AccountId| RuntimeOrigin::signed(10 + h);
		let bit = |p| honest_bit(host, p);
		let (a_hash, a_reveal) =
			Sprint::make_reveal(0, &host, &a, Verdict::Valid, [1; 32], bit).unwrap();
		assert_eq!(a_reveal.bits.len(), 50usize.div_ceil(8), "sample_size bits");
		assert_ok!(Sprint::commit_verdicts(worker(a), 0, hashes(&[(host, a_hash)])));
		// B copies A's commitment as soon as it lands (it is public in Validation).
		assert_ok!(Sprint::commit_verdicts(worker(b), 0, hashes(&[(host, a_hash)])));
		// A third member commits to check bits of the wrong length.
		let c = seats.get(2).map(|s| s.0);
		let bad_bits = CheckBits::truncate_from(vec![0xff; 2]);
		if let Some(c) = c {
			let message = gonka_primitives::sampling::verdict_commitment_message(
				0,
				&host,
				&c,
				Verdict::Valid,
				&bad_bits,
				&[3; 32],
			);
			let hash = H256(polkadot_sdk::sp_io::hashing::blake2_256(&message));
			assert_ok!(Sprint::commit_verdicts(worker(c), 0, hashes(&[(host, hash)])));
		}
		run_to(Sprint::epoch_info().reveal_start);

		// A reveals something else than it committed: refused whatever field differs.
		let mut other = a_reveal.clone();
		other.verdict = Verdict::Invalid;
		let mut flipped = a_reveal.clone();
		flipped.bits[0] ^= 1;
		let mut salted = a_reveal.clone();
		salted.salt = [2; 32];
		for wrong in [other, flipped, salted] {
			assert_noop!(
				Sprint::reveal_verdicts(worker(a), 0, reveals(&[wrong])),
				Error::<Test>::RevealMismatch
			);
		}
		assert_noop!(
			Sprint::reveal_verdicts(worker(a), 1, reveals(std::slice::from_ref(&a_reveal))),
			Error::<Test>::WrongEpoch
		);
		assert_noop!(
			Sprint::reveal_verdicts(worker(a), 0, reveals(&[])),
			Error::<Test>::NoVerdicts
		);
		assert_noop!(
			Sprint::reveal_verdicts(worker(a), 0, reveals(&[a_reveal.clone(), a_reveal.clone()])),
			Error::<Test>::AlreadyRevealed
		);
		assert_ok!(Sprint::reveal_verdicts(worker(a), 0, reveals(std::slice::from_ref(&a_reveal))));
		assert_eq!(
			last_event(),
			RuntimeEvent::Sprint(Event::VerdictsRevealed { epoch: 0, validator: a, count: 1 })
		);
		let record = Reveals::<Test>::get((0, host, a)).unwrap();
		assert_eq!(record.verdict, Verdict::Valid);
		assert_eq!(record.sampled.len(), 100usize.div_ceil(8), "a pool of 2 · 50 positions");
		assert_noop!(
			Sprint::reveal_verdicts(worker(a), 0, reveals(std::slice::from_ref(&a_reveal))),
			Error::<Test>::AlreadyRevealed
		);
		// B replays A's reveal after copying A's commitment: the commitment names A, so it
		// does not open B's. B never committed anything of its own, so it has missed its seats.
		assert_noop!(
			Sprint::reveal_verdicts(worker(b), 0, reveals(std::slice::from_ref(&a_reveal))),
			Error::<Test>::RevealMismatch
		);
		// C's bits are not one per sampled position.
		if let Some(c) = c {
			let reveal =
				VerdictReveal { host, verdict: Verdict::Valid, bits: bad_bits, salt: [3; 32] };
			assert_noop!(
				Sprint::reveal_verdicts(worker(c), 0, reveals(&[reveal])),
				Error::<Test>::BadCheckBits
			);
		}
		// A validator that committed nothing has nothing to reveal.
		let outsider = (2..=6).find(|v| !seats.iter().any(|(s, _)| s == v));
		if let Some(o) = outsider {
			assert_noop!(
				Sprint::reveal_verdicts(worker(o), 0, reveals(std::slice::from_ref(&a_reveal))),
				Error::<Test>::NoVerdictCommitment
			);
		}
		assert_noop!(
			Sprint::reveal_verdicts(
				RuntimeOrigin::signed(a),
				0,
				reveals(std::slice::from_ref(&a_reveal))
			),
			Error::<Test>::NotAWorkerKey
		);
		// After the Reveal phase nothing more is revealed; B and C missed their seats.
		run_to(Sprint::epoch_info().settlement_start);
		assert_noop!(
			Sprint::reveal_verdicts(worker(a), 0, reveals(&[a_reveal])),
			Error::<Test>::NotRevealWindow
		);
		run_to(21);
		let tally = Tallies::<Test>::get(0, host);
		assert_eq!((tally.valid, tally.votes, tally.missed), (a_seats, 1, 8 - a_seats));
		assert_eq!(MissedSeats::<Test>::get(0, b), seats[1].1);
		assert_eq!(MissedSeats::<Test>::get(0, a), 0);
		assert_eq!(AssignedSeats::<Test>::get(0, a), a_seats);
	});
}

/// PROTOCOL §6: a validator whose check bits disagree with the others' is lazy on that host:
/// its verdict is dropped and its seats are missed; honest validators that agree are not.
#[test]
fn a_lazy_validator_is_dropped_and_misses_its_seats() {
	// 9 hosts commit; the one whose 8 seats went to the most distinct validators is judged.
	build_and_execute(ext_with_hosts(9), || {
		to_commit_window();
		for h in 1..=9u64 {
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(10 + h), 0, [h as u8; 32], 1_000));
		}
		to_validation();
		let host = (1..=9u64).max_by_key(|h| Sprint::draw_seats(0, h).len()).unwrap();
		let seats = Sprint::draw_seats(0, &host);
		assert!(seats.len() >= 4, "{seats:?}");
		let (lazy, lazy_seats) = seats[0];
		for &(v, _) in &seats {
			if v == lazy {
				// Votes `Valid` without computing: its bits are a guess.
				commit_verdict(v, host, Verdict::Valid, |p| p % 2 == 0);
			} else {
				commit_verdict(v, host, Verdict::Valid, |p| honest_bit(host, p));
			}
		}
		run_to(21);
		let lazy_events: Vec<_> = sprint_events()
			.into_iter()
			.filter(|e| matches!(e, Event::ValidatorLazy { .. }))
			.collect();
		assert_eq!(lazy_events.len(), 1, "{lazy_events:?}");
		let Event::ValidatorLazy { validator, seats: s, shared, disagreements, .. } =
			lazy_events[0].clone()
		else {
			unreachable!()
		};
		assert_eq!((validator, s), (lazy, lazy_seats));
		assert!(disagreements > 2 && disagreements <= shared, "{disagreements} of {shared}");
		// Nobody voted on the other hosts: every seat there is missed too.
		let held_elsewhere = |v: AccountId| -> u32 {
			(1..=9u64)
				.filter(|h| *h != host)
				.flat_map(|h| Sprint::seats_of(0, &h))
				.filter(|(s, _)| *s == v)
				.map(|(_, n)| n)
				.sum()
		};
		assert_eq!(MissedSeats::<Test>::get(0, lazy), lazy_seats + held_elsewhere(lazy));
		for &(v, n) in &seats[1..] {
			assert_eq!(MissedSeats::<Test>::get(0, v), held_elsewhere(v), "validator {v}");
			assert_eq!(AssignedSeats::<Test>::get(0, v), n + held_elsewhere(v), "validator {v}");
		}
		let tally = Tallies::<Test>::get(0, host);
		assert_eq!(tally.valid, 8 - lazy_seats);
		assert_eq!(tally.missed, lazy_seats);
		// The honest majority still decides: accepted when it holds more than 2/3.
		assert_eq!(
			Weights::<Test>::get(1, host) == 1_000,
			Tally::more_than(8 - lazy_seats, 8, test_params().accept_threshold)
		);
	});
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

/// `validator` commits `verdict` on `host` with honest check bits (revealed by `run_to`).
fn vote(validator: AccountId, host: AccountId, verdict: Verdict) {
	commit_verdict(validator, host, verdict, |p| honest_bit(host, p));
}

/// Every seat holder of `host` votes `verdict`.
fn all_seats_vote(host: AccountId, verdict: Verdict) {
	for (v, _) in Sprint::draw_seats(CurrentEpoch::<Test>::get(), &host) {
		vote(v, host, verdict);
	}
}

#[test]
fn a_full_epoch_accepts_withholds_and_slashes_by_seats() {
	// Hosts 1..=4 weigh 10..40; 8 seats each, drawn among the other three.
	build_and_execute(ext_with_hosts(4), || {
		to_commit_window();
		for (h, count) in [(1u64, 100u64), (2, 200), (3, 300)] {
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(10 + h), 0, [h as u8; 32], count));
		}
		to_validation();
		// Host 1: every seat votes valid. Host 2: every seat votes invalid (fraud). Host 3: only
		// its smallest seat holder votes, invalid: a minority withholds acceptance, never slashes.
		all_seats_vote(1, Verdict::Valid);
		all_seats_vote(2, Verdict::Invalid);
		let seats3 = Sprint::draw_seats(0, &3);
		let &(minority, minority_seats) = seats3.iter().min_by_key(|(_, n)| *n).unwrap();
		assert!(minority_seats * 3 < 8 * 2, "{seats3:?}");
		vote(minority, 3, Verdict::Invalid);
		let treasury_before = Balances::balance(&TreasuryAccount::get());

		// Settlement: 4 hosts judged, 2 per block, then the one accepted host paid.
		let settle_start = Sprint::epoch_info().settlement_start;
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
		assert_eq!(AcceptedCount::<Test>::get(0), 1);
		assert_eq!(Accepted::<Test>::get(0, 0), Some(1));

		// Weights of epoch 1 (PROTOCOL §7): the accepted host at its count; the fraud 0; the
		// host a minority withheld and the silent host keep their last weight (their first
		// such epoch: Retention^0).
		assert_eq!(Weights::<Test>::get(1, 1), 100);
		assert_eq!(Weights::<Test>::get(1, 2), 0);
		assert_eq!(Weights::<Test>::get(1, 3), 30);
		assert_eq!(Weights::<Test>::get(1, 4), 40);
		assert_eq!(TotalWeight::<Test>::get(1), 170);
		assert_eq!(ValidatorCount::<Test>::get(1), 3);
		assert_eq!(Hosts::<Test>::get(1).unwrap().last_weight, 100);
		assert_eq!(Hosts::<Test>::get(2).unwrap().last_weight, 0);
		assert_eq!(Hosts::<Test>::get(3).unwrap().last_weight, 30);
		// The fraud lost half its bond to the treasury.
		assert_eq!(hold_of(2), BOND / 2);
		assert_eq!(Hosts::<Test>::get(2).unwrap().bond, BOND / 2);
		assert_eq!(Balances::balance(&TreasuryAccount::get()), treasury_before + BOND / 2);
		// The minority's target keeps its bond; it and the silent host count a missed epoch.
		assert_eq!(hold_of(3), BOND);
		assert_eq!(Hosts::<Test>::get(3).unwrap().missed, 1);
		assert_eq!(Hosts::<Test>::get(4).unwrap().missed, 1);
		assert_eq!(Hosts::<Test>::get(1).unwrap().missed, 0);
		// Host 3's other seat holders did not vote on it: its seats missed, of all they held.
		for (v, n) in &seats3 {
			let missed = if *v == minority { 0 } else { *n };
			assert_eq!(MissedSeats::<Test>::get(0, v), missed, "validator {v}");
			let held: u32 = (1..=3u64)
				.flat_map(|h| Sprint::seats_of(0, &h))
				.filter(|(s, _)| s == v)
				.map(|(_, n)| n)
				.sum();
			assert_eq!(AssignedSeats::<Test>::get(0, v), held, "validator {v}");
		}
		assert_eq!(
			Tallies::<Test>::get(0, 3),
			Tally {
				valid: 0,
				invalid: minority_seats,
				unreachable: 0,
				votes: 1,
				missed: 8 - minority_seats
			}
		);

		let events = sprint_events();
		assert!(events.contains(&Event::HostAccepted { epoch: 0, host: 1, weight: 100 }));
		assert!(events.contains(&Event::HostSlashed { epoch: 0, host: 2, amount: BOND / 2 }));
		assert!(events.contains(&Event::HostNotAccepted {
			epoch: 0,
			host: 3,
			valid: 0,
			invalid: minority_seats,
			unreachable: 0,
			missed: 8 - minority_seats,
			seats: 8,
			weight: 30,
		}));
		assert!(events.contains(&Event::EpochSettled {
			epoch: 0,
			accepted: 1,
			not_accepted: 1,
			slashed: 1,
			silent: 1,
			deregistered: 0,
			// PROTOCOL §8: the accepted count, and for everyone else what it is expected to
			// keep (the fraud too: framing pays nobody). No claimed count that was not accepted.
			expected_weight: 100 + 20 + 30 + 40,
			next_total_weight: 170,
		}));

		// Epoch 1 starts on time with the new validator set.
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
	});
}

/// PROTOCOL §9: a host votes with the lesser of its weights in this epoch and the one before,
/// so weight proven in a single Sprint (rented GPUs) buys no votes.
#[test]
fn voting_weight_is_the_lesser_of_two_epochs() {
	build_and_execute(ext_with_hosts(4), || {
		let s = RuntimeOrigin::signed;
		// Genesis: voting weight = weight.
		for h in 1..=4u64 {
			assert_eq!(VotingWeights::<Test>::get(0, h), 10 * h);
		}
		assert_eq!(TotalVotingWeight::<Test>::get(0), 100);
		// Host 5 registers and proves a large count once; host 1 grows from 10 to 100.
		assert_ok!(Sprint::register_host(s(5), endpoint("https://h5"), 15, key_proof(5, 15)));
		to_commit_window();
		assert_ok!(Sprint::commit(s(15), 0, [5; 32], 1_000));
		assert_ok!(Sprint::commit(s(11), 0, [1; 32], 100));
		to_validation();
		all_seats_vote(5, Verdict::Valid);
		all_seats_vote(1, Verdict::Valid);
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert_eq!(Weights::<Test>::get(1, 5), 1_000);
		assert_eq!(VotingWeights::<Test>::get(1, 5), 0, "rented weight votes with nothing");
		assert_eq!(Weights::<Test>::get(1, 1), 100);
		assert_eq!(VotingWeights::<Test>::get(1, 1), 10, "growth votes from the next epoch");
		// Silent hosts keep their weight (Retention^0) and vote with it.
		assert_eq!(VotingWeights::<Test>::get(1, 4), 40);
		assert_eq!(TotalVotingWeight::<Test>::get(1), 10 + 20 + 30 + 40);
	});
}

#[test]
fn acceptance_needs_strictly_more_than_the_threshold_of_all_seats() {
	let t = Perbill::from_rational(2u32, 3u32);
	// 2/3 of 32 seats is 21.33: 22 accept, 21 do not.
	assert!(Tally::more_than(22, 32, t));
	assert!(!Tally::more_than(21, 32, t));
	// Exactly at the threshold is not more: 60 % of 30 seats is 18.
	assert!(!Tally::more_than(18, 30, Perbill::from_percent(60)));
	assert!(Tally::more_than(19, 30, Perbill::from_percent(60)));
	// No seats: nothing is more than a share of nothing.
	assert!(!Tally::more_than(0, 0, t));
	// No overflow at the extremes.
	assert!(Tally::more_than(u32::MAX, u32::MAX, Perbill::from_percent(90)));
}

#[test]
fn an_unreachable_host_is_not_slashed_and_keeps_its_decayed_weight() {
	// Host 1 (weight 10) commits every epoch, and every seat votes `Unreachable` (a DDoS).
	build_and_execute(ext_with_hosts(4), || {
		let mut expected = 10u64;
		for epoch in 0..5u32 {
			assert_eq!(CurrentEpoch::<Test>::get(), epoch);
			to_commit_window();
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), epoch, [1; 32], 500));
			to_validation();
			all_seats_vote(1, Verdict::Unreachable);
			run_to(EpochStart::<Test>::get() + 20);
			// Its bond is intact; its weight decays by Retention (90 %) per epoch after the
			// first: 10, 9, 8 (8.1 rounded down), 7, ...
			assert_eq!(hold_of(1), BOND, "epoch {epoch}");
			assert_eq!(Weights::<Test>::get(epoch + 1, 1), expected, "epoch {epoch}");
			assert_eq!(Hosts::<Test>::get(1).unwrap().missed, epoch + 1);
			assert_eq!(Hosts::<Test>::get(1).unwrap().last_weight, 10);
			expected = Perbill::from_percent(90).saturating_pow(epoch as usize + 1).mul_floor(10);
		}
		assert!(!sprint_events()
			.iter()
			.any(|e| matches!(e, Event::HostSlashed { .. } | Event::HostAccepted { host: 1, .. })));
	});
}

#[test]
fn a_lone_validator_is_accepted_and_nobody_else_unchecked() {
	// One genesis host: it has no seats, and nobody else can check it.
	build_and_execute(ext_with_hosts(1), || {
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 7));
		run_to(21);
		assert_eq!(Weights::<Test>::get(1, 1), 7);
	});
	// No validator at all: a committing host has no seats and is not accepted unchecked.
	build_and_execute(build_ext(vec![(1, 11, b"https://h1.example".to_vec(), 0)]), || {
		assert_eq!(ValidatorCount::<Test>::get(0), 0);
		to_commit_window();
		assert_ok!(Sprint::commit(RuntimeOrigin::signed(11), 0, [1; 32], 7));
		run_to(21);
		assert_eq!(Weights::<Test>::get(1, 1), 0);
		assert!(sprint_events().contains(&Event::HostNotAccepted {
			epoch: 0,
			host: 1,
			valid: 0,
			invalid: 0,
			unreachable: 0,
			missed: 0,
			seats: 0,
			weight: 0,
		}));
	});
}

#[test]
fn settlement_is_spread_over_blocks_and_the_epoch_waits_for_it() {
	build_and_execute(ext_with_hosts(8), || {
		// From epoch 1: a one-block Settlement phase, too short for 8 hosts at 2 per block.
		let mut p = test_params();
		p.validation_length = 7;
		assert_ok!(Sprint::set_params(RuntimeOrigin::root(), p));
		// Epoch 0 (from block 1): settlement from block 17, 8 hosts judged in 4 blocks and paid
		// in the fifth (block 21, after that block's epoch check): epoch 1 starts at block 22.
		run_to(21);
		assert_eq!(CurrentEpoch::<Test>::get(), 0, "the epoch waits for its settlement");
		run_to(22);
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		assert!(Sprint::is_settled(0));
		// Epoch 1 would end at block 42; Validation runs [32, 39), Reveal [39, 41), settlement
		// starts at 41 and
		// needs 4 blocks to judge and one to pay (nobody: all 8 hosts were silent).
		run_to(42);
		assert_eq!(CurrentEpoch::<Test>::get(), 1, "the epoch waits for its settlement");
		assert!(!Sprint::is_settled(1));
		run_to(45);
		assert!(Sprint::is_settled(1));
		assert_eq!(CurrentEpoch::<Test>::get(), 1);
		run_to(46);
		assert_eq!(CurrentEpoch::<Test>::get(), 2);
		assert_eq!(EpochStart::<Test>::get(), 46);
		// Every host was settled exactly once per epoch: 8 silent hosts, missed twice, keeping
		// Retention^1 of their weight in epoch 2.
		assert!(Hosts::<Test>::iter().all(|(_, i)| i.missed == 2));
		assert_eq!(Weights::<Test>::get(2, 8), 72);
	});
}

#[test]
fn a_host_silent_for_too_long_is_deregistered_with_its_bond() {
	build_and_execute(ext_with_hosts(2), || {
		// Host 2 commits and is accepted every epoch; host 1 is silent. With Retention 90 % and
		// MaxMissedEpochs 14, host 1 goes in its 15th silent epoch.
		for epoch in 0..15u32 {
			to_commit_window();
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(12), epoch, [2; 32], 20));
			to_validation();
			all_seats_vote(2, Verdict::Valid);
			run_to(EpochStart::<Test>::get() + 20);
			if epoch < 14 {
				assert_eq!(Hosts::<Test>::get(1).unwrap().missed, epoch + 1);
			}
		}
		assert!(Hosts::<Test>::get(1).is_none());
		assert_eq!(hold_of(1), 0);
		assert!(sprint_events().contains(&Event::HostDeregistered {
			host: 1,
			missed: 15,
			bond: BOND
		}));
	});
}

#[test]
fn old_epochs_are_forgotten_a_few_keys_per_block() {
	let mut ext = ext_with_hosts(4);
	ext.execute_with(|| {
		// Epoch 0 with commitments, votes, seats, tallies and settlement records.
		to_commit_window();
		for h in 1..=3u64 {
			assert_ok!(Sprint::commit(RuntimeOrigin::signed(10 + h), 0, [h as u8; 32], 10 * h));
		}
		to_validation();
		all_seats_vote(1, Verdict::Valid);
		run_to(21);
		assert_eq!(Commitments::<Test>::iter_prefix(0).count(), 3);
		assert!(VerdictCommitments::<Test>::iter_prefix((0,)).count() > 0);
		assert!(Reveals::<Test>::iter_prefix((0,)).count() > 0);
		assert!(AssignedSeats::<Test>::iter_prefix(0).count() > 0);
		assert_eq!(AcceptedCount::<Test>::get(0), 1);
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
		assert_eq!(Seats::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(VerdictCommitments::<Test>::iter_prefix((0,)).count(), 0);
		assert_eq!(Reveals::<Test>::iter_prefix((0,)).count(), 0);
		assert_eq!(Tallies::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Accepted::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(AcceptedCount::<Test>::get(0), 0);
		assert_eq!(AssignedSeats::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(MissedSeats::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(TotalWeight::<Test>::get(0), 0);
		// Epoch 1's records are still there.
		assert!(Weights::<Test>::iter_prefix(1).count() > 0);
		check_state();
	});
}
