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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
		let mut bad = test_params();
		bad.voting_period = 0;
		let call = RuntimeCall::Governance(crate::Call::set_params { params: bad });
		let index = propose(1, &call);
		vote(1, index, Vote::Aye);
		vote(2, index, Vote::Aye);
		run_to(end());
		assert_eq!(enacted(index), Some(Err(Error::<Test>::InvalidParams.into())));
		assert_eq!(Params::<Test>::get().voting_period, VOTING_PERIOD);
	});
}

#[test]
fn below_quorum_is_rejected_and_the_deposit_returned() {
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext_with(&[(1, 500), (2, 250), (3, 250)]).execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
	new_test_ext().execute_with(|| {
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
			Error::<Test>::InvalidParams
		);
	});
}

fn sp_perbill_zero() -> polkadot_sdk::sp_runtime::Perbill {
	polkadot_sdk::sp_runtime::Perbill::zero()
}

#[test]
fn the_api_lists_open_proposals_with_their_tallies() {
	new_test_ext().execute_with(|| {
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
