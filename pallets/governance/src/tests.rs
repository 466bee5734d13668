//! Proposals from opening to enactment, the thresholds of PROTOCOL §9, snapshots, and bad input.

use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::{fungible::InspectHold, Bounded, Currency, QueryPreimage},
		weights::Weight,
		BoundedVec,
	},
	frame_system,
	sp_runtime::{traits::Hash, DispatchError},
};

use crate::{mock::*, types::*, Error, Event, HoldReason, Params, ProposalOfCall, Proposals};

fn vote(who: AccountId, index: ProposalIndex, v: Vote) {
	assert_ok!(Governance::vote(RuntimeOrigin::signed(who), index, v));
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&RuntimeHoldReason::Governance(HoldReason::ProposalDeposit), &who)
}

fn decided(index: ProposalIndex) -> Option<(Outcome, Tally)> {
	events().into_iter().find_map(|e| match e {
		Event::Decided { index: i, outcome, tally, .. } if i == index => Some((outcome, tally)),
		_ => None,
	})
}

fn enacted(index: ProposalIndex) -> Option<Result<(), DispatchError>> {
	events().into_iter().find_map(|e| match e {
		Event::Enacted { index: i, result, .. } if i == index => Some(result),
		_ => None,
	})
}

fn end() -> u64 {
	1 + VOTING_PERIOD
}

fn check() {
	Governance::do_try_state().expect("invariants hold");
}

#[test]
fn approved_call_is_dispatched_as_root_and_the_deposit_returned() {
	build_and_execute(new_test_ext(), || {
		let free = Balances::free_balance(1);
		let index = propose(1, &set_voting_period(77));
		assert_eq!(held(1), DEPOSIT);
		assert_eq!(Balances::free_balance(1), free - DEPOSIT);
		assert!(events().contains(&Event::Proposed {
			index,
			proposer: 1,
			host: 1,
			call_hash: <Test as frame_system::Config>::Hashing::hash(
				&set_voting_period(77).encode()
			),
			deposit: DEPOSIT,
			epoch: 0,
			end: end(),
		}));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		check();
		run_to(end() - 1);
		assert!(decided(index).is_none());
		assert_eq!(Params::<Test>::get().voting_period, VOTING_PERIOD);
		run_to(end());
		let (outcome, tally) = decided(index).expect("decided at the end");
		assert_eq!(outcome, Outcome::Approved);
		assert_eq!(tally, Tally { ayes: 200, voters: 2, ..Default::default() });
		assert_eq!(enacted(index), Some(Ok(())));
		// `set_params` is Root-only: the proposal's call ran as Root.
		assert_eq!(Params::<Test>::get().voting_period, 77);
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), free);
		assert!(events().contains(&Event::DepositReturned { index, who: 1, amount: DEPOSIT }));
		assert!(Proposals::<Test>::get(index).is_none());
		check();
	});
}

#[test]
fn a_failing_call_is_enacted_with_its_error_in_the_event() {
	build_and_execute(new_test_ext(), || {
		let mut bad = test_params();
		bad.voting_period = 0;
		let call = RuntimeCall::Governance(crate::Call::set_params { params: bad });
		let index = propose(1, &call);
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		run_to(end());
		assert_eq!(enacted(index), Some(Err(Error::<Test>::VotingPeriodOutOfBounds.into())));
		assert_eq!(Params::<Test>::get().voting_period, VOTING_PERIOD);
	});
}

#[test]
fn below_quorum_is_rejected_and_the_deposit_returned() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"quorum"));
		// 100 of 500 voted: below 25 %.
		vote(1, index, Vote::Aye);
		run_to(end());
		assert_eq!(decided(index).unwrap().0, Outcome::NoQuorum);
		assert_eq!(enacted(index), None);
		assert!(!remarked(b"quorum"));
		assert_eq!(held(1), 0);
		assert!(events().contains(&Event::DepositReturned { index, who: 1, amount: DEPOSIT }));
		assert!(Proposals::<Test>::get(index).is_none());
		check();
	});
}

#[test]
fn abstentions_count_toward_the_quorum_only() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"abstain"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Abstain);
		run_to(end());
		// Turnout 200 of 500 ≥ 25 %; ayes 100 of 100 deciding.
		assert_eq!(decided(index).unwrap().0, Outcome::Approved);
		assert!(remarked(b"abstain"));
	});
}

#[test]
fn ayes_not_above_half_are_rejected() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"approval"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Nay);
		run_to(end());
		// 100 ayes of 200: not above 50 %.
		assert_eq!(decided(index).unwrap().0, Outcome::NotApproved);
		assert!(!remarked(b"approval"));
		assert_eq!(held(1), 0);
		check();
	});
}

#[test]
fn vetoes_of_a_third_reject_and_send_the_deposit_to_the_treasury() {
	build_and_execute(new_test_ext(), || {
		let treasury = Balances::free_balance(TREASURY);
		let free = Balances::free_balance(1);
		let index = propose(1, &remark(b"veto"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		vote(3, index, Vote::Aye);
		vote(4, index, Vote::Veto);
		vote(5, index, Vote::Veto);
		run_to(end());
		// 200 vetoes of 500: 40 % ≥ 33.4 %, although ayes are 60 %.
		assert_eq!(decided(index).unwrap().0, Outcome::Vetoed);
		assert!(!remarked(b"veto"));
		assert_eq!(held(1), 0);
		assert_eq!(Balances::free_balance(1), free - DEPOSIT);
		assert_eq!(Balances::free_balance(TREASURY), treasury + DEPOSIT);
		assert!(events().contains(&Event::DepositToTreasury { index, who: 1, amount: DEPOSIT }));
		check();
	});
}

#[test]
fn vetoes_just_below_the_threshold_do_not_veto() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"third"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		vote(3, index, Vote::Veto);
		run_to(end());
		// 100 of 300 = 33.3 % < 33.4 %; ayes 200 of 300 deciding.
		assert_eq!(decided(index).unwrap().0, Outcome::Approved);
		assert!(remarked(b"third"));
	});
}

#[test]
fn a_changed_vote_replaces_the_first() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"change"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		vote(1, index, Vote::Nay);
		let tally = Proposals::<Test>::get(index).unwrap().tally;
		assert_eq!(tally, Tally { ayes: 100, nays: 100, voters: 2, ..Default::default() });
		assert!(events().contains(&Event::Voted {
			index,
			host: 1,
			signer: 1,
			vote: Vote::Nay,
			power: 100,
			previous: Some(Vote::Aye),
		}));
		// Back to aye, through the worker key this time: still one vote of host 1.
		vote(worker_of(1), index, Vote::Aye);
		let tally = Proposals::<Test>::get(index).unwrap().tally;
		assert_eq!(tally, Tally { ayes: 200, voters: 2, ..Default::default() });
		check();
		run_to(end());
		assert_eq!(decided(index).unwrap().0, Outcome::Approved);
	});
}

#[test]
fn a_worker_key_votes_with_its_hosts_weight() {
	build_and_execute(new_test_ext(), || {
		let index = propose(worker_of(2), &remark(b"worker"));
		let p = Proposals::<Test>::get(index).unwrap();
		assert_eq!((p.proposer, p.host), (worker_of(2), 2));
		assert_eq!(held(worker_of(2)), DEPOSIT);
		vote(worker_of(3), index, Vote::Aye);
		assert_eq!(crate::Votes::<Test>::get(index, 3), Some((Vote::Aye, 100)));
		assert!(events().contains(&Event::Voted {
			index,
			host: 3,
			signer: worker_of(3),
			vote: Vote::Aye,
			power: 100,
			previous: None,
		}));
		let power = Governance::voting_power(worker_of(3), Some(index)).unwrap();
		assert_eq!(power, VotingPower { host: 3, weight: 100, power: 100, vote: Some(Vote::Aye) });
	});
}

#[test]
fn nobody_voting_expires_the_proposal_and_votes_after_the_end_are_refused() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"expire"));
		run_to(end());
		assert_eq!(decided(index).unwrap().0, Outcome::Expired);
		assert_eq!(held(1), 0);
		assert!(Proposals::<Test>::get(index).is_none());
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(2), index, Vote::Aye),
			Error::<Test>::VotingClosed
		);
		check();
	});
}

#[test]
fn the_snapshot_is_the_opening_epochs_weights_even_after_they_change() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"snapshot"));
		// The copy takes 3 blocks at 2 per block.
		run_to(4);
		assert!(crate::Snapshots::<Test>::get(0).unwrap().complete());
		// Two epochs on: epoch 0 is gone from the source; new weights, a new host with weight.
		set_epoch(1);
		set_weight(1, 1, 10_000);
		set_weight(1, 6, 10_000);
		set_epoch(2);
		assert_eq!(<MockHosts as crate::HostWeights<_>>::weight(0, &1), 0);
		vote(1, index, Vote::Aye);
		assert_eq!(crate::Votes::<Test>::get(index, 1), Some((Vote::Aye, 100)));
		// Host 6 had no weight in epoch 0.
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(6), index, Vote::Nay),
			Error::<Test>::NoVotingPower
		);
		vote(2, index, Vote::Aye);
		run_to(end());
		let (outcome, tally) = decided(index).unwrap();
		assert_eq!(outcome, Outcome::Approved);
		assert_eq!(tally.ayes, 200);
		check();
	});
}

#[test]
fn votes_during_the_copy_read_the_source() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"copying"));
		assert!(!crate::Snapshots::<Test>::get(0).unwrap().complete());
		vote(5, index, Vote::Aye);
		assert_eq!(crate::Votes::<Test>::get(index, 5), Some((Vote::Aye, 100)));
		run_to(2);
		assert_eq!(crate::Snapshots::<Test>::get(0).unwrap().copied, 2);
		vote(4, index, Vote::Aye);
		assert_eq!(crate::Votes::<Test>::get(index, 4), Some((Vote::Aye, 100)));
	});
}

#[test]
fn decided_proposals_leave_no_votes_or_snapshot_behind() {
	build_and_execute(new_test_ext(), || {
		let index = propose(1, &remark(b"cleanup"));
		for host in 1..=5 {
			vote(host, index, Vote::Aye);
		}
		run_to(end());
		assert!(decided(index).is_some());
		// 5 votes and 5 snapshot weights, 2 keys per block.
		run_to(end() + 6);
		assert_eq!(crate::Votes::<Test>::iter_prefix(index).count(), 0);
		assert_eq!(crate::SnapshotWeights::<Test>::iter_prefix(0).count(), 0);
		assert!(crate::Snapshots::<Test>::get(0).is_none());
		assert!(crate::Cleanup::<Test>::get().is_empty());
		check();
	});
}

#[test]
fn hosts_without_weight_cannot_propose_or_vote() {
	build_and_execute(new_test_ext(), || {
		// Host 6 is registered with no weight; account 7 is no host.
		assert_noop!(
			Governance::propose(RuntimeOrigin::signed(6), inline(&remark(b"x"))),
			Error::<Test>::NoVotingPower
		);
		assert_noop!(
			Governance::propose(RuntimeOrigin::signed(7), inline(&remark(b"x"))),
			Error::<Test>::NotAHost
		);
		let index = propose(1, &remark(b"x"));
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(6), index, Vote::Aye),
			Error::<Test>::NoVotingPower
		);
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(7), index, Vote::Aye),
			Error::<Test>::NotAHost
		);
		assert_eq!(Governance::voting_power(6, None), None);
		assert_eq!(Governance::voting_power(7, Some(index)), None);
	});
}

#[test]
fn one_host_votes_with_at_most_the_capped_share() {
	// Total 1,000; the cap is 30 % = 300.
	build_and_execute(new_test_ext_with(&[(1, 500), (2, 250), (3, 250)]), || {
		let index = propose(2, &remark(b"cap"));
		assert_eq!(Proposals::<Test>::get(index).unwrap().power_cap, 300);
		vote(1, index, Vote::Nay);
		vote(2, index, Vote::Aye);
		vote(3, index, Vote::Aye);
		assert_eq!(crate::Votes::<Test>::get(index, 1), Some((Vote::Nay, 300)));
		assert_eq!(
			Governance::voting_power(1, Some(index)),
			Some(VotingPower { host: 1, weight: 500, power: 300, vote: Some(Vote::Nay) })
		);
		run_to(end());
		// Uncapped, 500 nays would tie 500 ayes and reject it; capped, 500 ayes beat 300 nays.
		let (outcome, tally) = decided(index).unwrap();
		assert_eq!(tally, Tally { ayes: 500, nays: 300, voters: 3, ..Default::default() });
		assert_eq!(outcome, Outcome::Approved);
	});
}

#[test]
fn an_enactment_delay_postpones_the_call() {
	build_and_execute(new_test_ext(), || {
		let mut params = test_params();
		params.enactment_delay = 3;
		Params::<Test>::put(params);
		let index = propose(1, &remark(b"later"));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		run_to(end());
		assert!(events().iter().any(|e| matches!(
			e,
			Event::Decided { index: 0, outcome: Outcome::Approved, enact_at: Some(at), .. } if *at == end() + 3
		)));
		assert!(!remarked(b"later"));
		// Approved and waiting: no more votes.
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(3), index, Vote::Nay),
			Error::<Test>::VotingClosed
		);
		run_to(end() + 2);
		assert!(!remarked(b"later"));
		run_to(end() + 3);
		assert!(remarked(b"later"));
		assert_eq!(enacted(index), Some(Ok(())));
		check();
	});
}

#[test]
fn a_large_call_is_proposed_by_preimage() {
	build_and_execute(new_test_ext(), || {
		let call = remark(&[7u8; 300]);
		let bytes = call.encode();
		assert!(bytes.len() > 128);
		assert_ok!(Preimage::note_preimage(RuntimeOrigin::signed(1), bytes.clone()));
		let hash = <Test as frame_system::Config>::Hashing::hash(&bytes);
		let lookup = Bounded::Lookup { hash, len: bytes.len() as u32 };
		assert_ok!(Governance::propose(RuntimeOrigin::signed(1), lookup));
		// Requested while the proposal is open.
		assert!(<Preimage as QueryPreimage>::is_requested(&hash));
		assert_eq!(Governance::proposals()[0].preimage_len, Some(bytes.len() as u32),);
		vote(1, 0, Vote::Aye);
		vote(2, 0, Vote::Aye);
		run_to(end());
		assert!(remarked(&[7u8; 300]));
		assert!(!<Preimage as QueryPreimage>::is_requested(&hash));
	});
}

#[test]
fn bad_proposals_are_refused_and_change_nothing() {
	build_and_execute(new_test_ext(), || {
		let signed = RuntimeOrigin::signed;
		// The same call twice while open.
		propose(1, &remark(b"twice"));
		assert_noop!(
			Governance::propose(signed(2), inline(&remark(b"twice"))),
			Error::<Test>::DuplicateProposal
		);
		// A preimage over the size bound (1,024 bytes).
		let big = remark(&[1u8; 2_000]).encode();
		assert_ok!(Preimage::note_preimage(signed(2), big.clone()));
		let hash = <Test as frame_system::Config>::Hashing::hash(&big);
		assert_noop!(
			Governance::propose(signed(2), Bounded::Lookup { hash, len: big.len() as u32 }),
			Error::<Test>::CallTooLarge
		);
		// A hash nobody noted.
		let unknown = <Test as frame_system::Config>::Hashing::hash(b"nothing");
		assert_noop!(
			Governance::propose(signed(2), Bounded::Lookup { hash: unknown, len: 200 }),
			Error::<Test>::PreimageMissing
		);
		// Bytes that are no call.
		let garbage = Bounded::Inline(BoundedVec::truncate_from(vec![0xff, 0xff, 0xff]));
		assert_noop!(Governance::propose(signed(2), garbage), Error::<Test>::CallUndecodable);
		assert_noop!(
			Governance::propose(
				signed(2),
				Bounded::Legacy { hash: unknown, dummy: Default::default() }
			),
			Error::<Test>::LegacyCall
		);
		// A call heavier than MaxCallWeight.
		MaxCallWeight::set(Weight::from_parts(1, 1));
		assert_noop!(
			Governance::propose(signed(2), inline(&remark(b"heavy"))),
			Error::<Test>::CallTooHeavy
		);
		MaxCallWeight::set(Weight::from_parts(500_000_000_000, 1024 * 1024));
		// A deposit the signer cannot hold.
		let _ = Balances::make_free_balance_be(&3, DEPOSIT - 1);
		assert_noop!(
			Governance::propose(signed(3), inline(&remark(b"poor"))),
			Error::<Test>::InsufficientBalance
		);
		// Room for MaxProposals (4).
		propose(2, &remark(b"b"));
		propose(4, &remark(b"c"));
		propose(5, &remark(b"d"));
		assert_noop!(
			Governance::propose(signed(1), inline(&remark(b"e"))),
			Error::<Test>::TooManyProposals
		);
		check();
	});
}

#[test]
fn bad_votes_are_refused_and_change_nothing() {
	build_and_execute(new_test_ext(), || {
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(1), 0, Vote::Aye),
			Error::<Test>::UnknownProposal
		);
		let index = propose(1, &remark(b"closed"));
		run_to(end());
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(1), index, Vote::Aye),
			Error::<Test>::VotingClosed
		);
		assert_noop!(
			Governance::vote(RuntimeOrigin::signed(1), index + 1, Vote::Aye),
			Error::<Test>::UnknownProposal
		);
		assert_noop!(
			Governance::vote(RuntimeOrigin::root(), index, Vote::Aye),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn root_only_calls_refuse_signed_origins() {
	build_and_execute(new_test_ext(), || {
		assert_noop!(
			Governance::set_params(RuntimeOrigin::signed(1), test_params()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			System::set_code(RuntimeOrigin::signed(1), vec![0u8; 16]),
			DispatchError::BadOrigin
		);
		assert!(!is_root(RuntimeOrigin::signed(1)));
		let mut bad = test_params();
		bad.max_host_share = sp_perbill_zero();
		assert_noop!(
			Governance::set_params(RuntimeOrigin::root(), bad),
			Error::<Test>::HostShareOutOfBounds
		);
	});
}

fn sp_perbill_zero() -> polkadot_sdk::sp_runtime::Perbill {
	polkadot_sdk::sp_runtime::Perbill::zero()
}

#[test]
fn the_api_lists_open_proposals_with_their_tallies() {
	build_and_execute(new_test_ext(), || {
		let a = propose(1, &remark(b"a"));
		let b = propose(2, &remark(b"b"));
		vote(1, a, Vote::Aye);
		vote(2, a, Vote::Aye);
		vote(3, b, Vote::Nay);
		let list = Governance::proposals();
		assert_eq!(list.iter().map(|p| p.index).collect::<Vec<_>>(), vec![a, b]);
		assert_eq!(list[0].tally.ayes, 200);
		assert_eq!(list[0].outcome_now, Outcome::Approved);
		assert_eq!(list[1].outcome_now, Outcome::NoQuorum);
		assert_eq!(list[0].status, ProposalStatus::Voting { end: end() });
		assert_eq!(list[0].total_weight, 500);
		assert_eq!(
			Governance::voting_power(11, None),
			Some(VotingPower { host: 1, weight: 100, power: 100, vote: None })
		);
		assert_eq!(ProposalOfCall::<Test>::get(list[1].call_hash), Some(b));
	});
}

#[test]
fn outcome_thresholds_are_exact() {
	let rules = crate::mock::test_params().rules;
	let t = |ayes, nays, abstains, vetoes| Tally { ayes, nays, abstains, vetoes, voters: 1 };
	// Quorum: 25 of 100 is enough, 24 is not.
	assert_eq!(t(25, 0, 0, 0).outcome(&rules, 100), Outcome::Approved);
	assert_eq!(t(24, 0, 0, 0).outcome(&rules, 100), Outcome::NoQuorum);
	// Approval: strictly above half of the non-abstaining votes.
	assert_eq!(t(50, 50, 0, 0).outcome(&rules, 100), Outcome::NotApproved);
	assert_eq!(t(51, 49, 0, 0).outcome(&rules, 100), Outcome::Approved);
	assert_eq!(t(40, 30, 30, 0).outcome(&rules, 100), Outcome::Approved);
	// Veto: at 33.4 % of the turnout.
	assert_eq!(t(666, 0, 0, 334).outcome(&rules, 1000), Outcome::Vetoed);
	assert_eq!(t(667, 0, 0, 333).outcome(&rules, 1000), Outcome::Approved);
	assert_eq!(Tally::default().outcome(&rules, 100), Outcome::Expired);
}

/// Every §11 bound, refused by `set_params` with its own error (and inside it accepted).
#[test]
fn each_bound_of_section_11_is_refused_at_set_params() {
	use polkadot_sdk::sp_runtime::Perbill;
	type P = GovernanceParams<Balance, u64>;
	let cases: Vec<(&str, fn(&mut P), Error<Test>)> = vec![
		("vote below the shortest", |p| p.voting_period = 4, Error::VotingPeriodOutOfBounds),
		("vote above the longest", |p| p.voting_period = 1_001, Error::VotingPeriodOutOfBounds),
		("enactment too late", |p| p.enactment_delay = 51, Error::EnactmentDelayOutOfBounds),
		("quorum 9 %", |p| p.rules.quorum = Perbill::from_percent(9), Error::QuorumOutOfBounds),
		("quorum 100 %", |p| p.rules.quorum = Perbill::one(), Error::QuorumOutOfBounds),
		(
			"approval 49 %",
			|p| p.rules.approval = Perbill::from_percent(49),
			Error::ApprovalOutOfBounds,
		),
		("approval 100 %", |p| p.rules.approval = Perbill::one(), Error::ApprovalOutOfBounds),
		("veto 0 %", |p| p.rules.veto = Perbill::zero(), Error::VetoOutOfBounds),
		("veto 51 %", |p| p.rules.veto = Perbill::from_percent(51), Error::VetoOutOfBounds),
		(
			"host share 9 %",
			|p| p.max_host_share = Perbill::from_percent(9),
			Error::HostShareOutOfBounds,
		),
		(
			"host share 51 %",
			|p| p.max_host_share = Perbill::from_percent(51),
			Error::HostShareOutOfBounds,
		),
		("free proposals", |p| p.proposal_deposit = 0, Error::DepositOutOfBounds),
	];
	build_and_execute(new_test_ext(), || {
		for (what, change, error) in cases {
			let mut bad = test_params();
			change(&mut bad);
			assert_eq!(
				Governance::set_params(RuntimeOrigin::root(), bad),
				Err(error.into()),
				"{what}"
			);
			assert_eq!(Params::<Test>::get(), test_params(), "{what} changed nothing");
		}
		// The edges are inside.
		let mut edge = test_params();
		edge.voting_period = 5;
		edge.enactment_delay = 50;
		edge.rules = VoteRules {
			quorum: Perbill::from_percent(50),
			approval: Perbill::from_percent(75),
			veto: Perbill::from_percent(20),
		};
		edge.max_host_share = Perbill::from_percent(10);
		edge.proposal_deposit = 1;
		assert_ok!(Governance::set_params(RuntimeOrigin::root(), edge.clone()));
		assert_eq!(Params::<Test>::get(), edge);
		// PROTOCOL's defaults sit inside the default (6-second block) limits; enactment waits a day.
		let defaults =
			GovernanceParams::<Balance, u64> { proposal_deposit: 1, ..Default::default() };
		assert_eq!(defaults.enactment_delay, 14_400);
		assert_ok!(Governance::check_params_within(&defaults, &PeriodLimits::default()));
		check();
	});
}

/// The proposal that would make approval impossible passes its vote, fails at enactment with the
/// bound's error, and governance goes on working.
#[test]
fn a_proposal_setting_approval_to_100_percent_is_refused_and_governance_still_works() {
	build_and_execute(new_test_ext(), || {
		let mut brick = test_params();
		brick.rules.approval = polkadot_sdk::sp_runtime::Perbill::one();
		let index = propose(1, &RuntimeCall::Governance(crate::Call::set_params { params: brick }));
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		run_to(end());
		assert_eq!(decided(index).map(|d| d.0), Some(Outcome::Approved));
		assert_eq!(enacted(index), Some(Err(Error::<Test>::ApprovalOutOfBounds.into())));
		assert_eq!(Params::<Test>::get(), test_params());
		// The next proposal passes as before.
		let next = propose(2, &remark(b"still works"));
		vote(1, next, Vote::Aye);
		vote(2, next, Vote::Aye);
		run_to(end() + VOTING_PERIOD + 1);
		assert_eq!(enacted(next), Some(Ok(())));
		assert!(remarked(b"still works"));
		check();
	});
}

/// A host (through its own account or its worker key) holds at most `MaxOpenPerHost` (2)
/// proposals; a decided one frees its slot.
#[test]
fn a_host_holds_at_most_two_open_proposals() {
	build_and_execute(new_test_ext(), || {
		propose(1, &remark(b"one"));
		propose(worker_of(1), &remark(b"two"));
		assert_eq!(crate::OpenPerHost::<Test>::get(1), 2);
		assert_noop!(
			Governance::propose(RuntimeOrigin::signed(1), inline(&remark(b"three"))),
			Error::<Test>::TooManyOpenProposals
		);
		assert_noop!(
			Governance::propose(RuntimeOrigin::signed(worker_of(1)), inline(&remark(b"three"))),
			Error::<Test>::TooManyOpenProposals
		);
		// Other hosts still have room.
		propose(2, &remark(b"other"));
		check();
		// Nobody votes: the first two expire and free the slots.
		run_to(end());
		assert_eq!(crate::OpenPerHost::<Test>::get(1), 0);
		assert!(!crate::OpenPerHost::<Test>::contains_key(1));
		propose(1, &remark(b"three"));
		check();
	});
}

/// An approved call that no longer fits any block is dropped with an event; the proposal behind
/// it is enacted in the same block.
#[test]
fn a_call_too_heavy_for_any_block_is_dropped_and_does_not_block_the_queue() {
	use crate::WeightInfo;
	use polkadot_sdk::frame_support::dispatch::GetDispatchInfo;
	build_and_execute(new_test_ext(), || {
		// 150 storage writes, by preimage (too long to go inline).
		let heavy = RuntimeCall::System(frame_system::Call::set_storage {
			items: (0u8..150).map(|i| (vec![b'h', i], vec![i])).collect(),
		});
		let bytes = heavy.encode();
		assert_ok!(Preimage::note_preimage(RuntimeOrigin::signed(1), bytes.clone()));
		let hash = <Test as frame_system::Config>::Hashing::hash(&bytes);
		assert_ok!(Governance::propose(
			RuntimeOrigin::signed(1),
			Bounded::Lookup { hash, len: bytes.len() as u32 }
		));
		let light = propose(2, &remark(b"light"));
		for index in [0, light] {
			vote(1, index, Vote::Aye);
			vote(2, index, Vote::Aye);
		}
		// As if a runtime upgrade made the first call heavier than any block's service leaves,
		// while the second still fits.
		let w = <() as WeightInfo>::service_base()
			.saturating_add(<() as WeightInfo>::decide().saturating_mul(2))
			.saturating_add(<() as WeightInfo>::enact().saturating_mul(2));
		let light_weight = remark(b"light").get_dispatch_info().call_weight;
		let heavy_weight = heavy.get_dispatch_info().call_weight;
		let budget = w.saturating_add(light_weight);
		assert!(
			heavy_weight.any_gt(budget),
			"the test needs a call heavier than two decisions, two enactments and the light call"
		);
		ServiceWeight::set(budget);
		run_to(end());
		assert!(events().contains(&Event::EnactmentDropped {
			index: 0,
			call_hash: hash,
			call_weight: heavy_weight,
		}));
		assert!(!remarked(&[b'h', 0]));
		assert!(Proposals::<Test>::get(0).is_none());
		assert_eq!(enacted(light), Some(Ok(())));
		assert!(remarked(b"light"));
		assert_eq!(crate::Due::<Test>::get().len(), 0);
		ServiceWeight::set(FULL_SERVICE_WEIGHT);
		check();
	});
}
