//! Unit tests on the mock runtime (sprint + issuance), playing epochs through the real
//! extrinsics.

use pallet_sprint::{Endpoint, Hosts, Verdict, Weights};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_runtime::{DispatchError, Perbill},
};

use crate::{mock::*, pallet::*, scheduled_reward, Error, Event, IssuanceParams};

fn treasury() -> Balance {
	Balances::balance(&TreasuryAccount::get())
}

fn check_state() {
	Issuance::do_try_state().unwrap();
}

fn sprint_settled(epoch: u32) -> pallet_sprint::Event<Test> {
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::Sprint(e @ pallet_sprint::Event::EpochSettled { epoch: x, .. })
				if x == epoch =>
			{
				Some(e)
			},
			_ => None,
		})
		.unwrap_or_else(|| panic!("no EpochSettled for epoch {epoch}"))
}

fn expected_weight_of(epoch: u32) -> u64 {
	match sprint_settled(epoch) {
		pallet_sprint::Event::EpochSettled { expected_weight, .. } => expected_weight,
		_ => unreachable!(),
	}
}

fn reward_of(epoch: u32) -> (Balance, Balance, Balance) {
	match epoch_rewarded(epoch) {
		Event::EpochRewarded { reward, to_hosts, to_treasury, .. } => {
			(reward, to_hosts, to_treasury)
		},
		_ => unreachable!(),
	}
}

#[test]
fn the_schedule_halves_every_interval() {
	let p = issuance_params();
	for e in 0..40u32 {
		assert_eq!(scheduled_reward(&p, e), R0 >> (e / 4), "epoch {e}");
	}
	let mut mainnet = crate::IssuanceParams::<u128>::default();
	assert_eq!(scheduled_reward(&mainnet, 0), 310_000 * crate::GNK);
	assert_eq!(scheduled_reward(&mainnet, 1_460), 310_000 * crate::GNK);
	assert_eq!(scheduled_reward(&mainnet, 1_461), 155_000 * crate::GNK);
	assert_eq!(scheduled_reward(&mainnet, 4 * 1_461), 310_000 * crate::GNK / 16);
	// After 128 halvings nothing is left; u32::MAX epochs do not overflow.
	mainnet.halving_interval = 1;
	assert_eq!(scheduled_reward(&mainnet, 128), 0);
	assert_eq!(scheduled_reward(&mainnet, u32::MAX), 0);
	// The mainnet schedule's infinite sum (2·R0·interval ≈ 905.8 M GNK) exceeds the cap: the
	// cap binds after about 8.8 years.
	let sum: u128 = (0..1_461 * 40)
		.map(|e| scheduled_reward(&crate::IssuanceParams::<u128>::default(), e))
		.sum();
	assert!(sum > 680_000_000 * crate::GNK);
}

#[test]
fn a_full_epoch_pays_by_accepted_weight() {
	// Genesis hosts 1 and 2 (weight 100 each) validate; hosts 3..=6 register in epoch 0.
	build_and_execute(ext_with_hosts(2, 100), || {
		for h in 3..=6u64 {
			let endpoint: Endpoint =
				format!("https://host{h}.example").into_bytes().try_into().unwrap();
			assert_ok!(Sprint::register_host(
				RuntimeOrigin::signed(h),
				endpoint,
				worker(h),
				key_proof(h, worker(h))
			));
		}
		let treasury_before = treasury();
		let counts = [(1u64, 100u64), (2, 100), (3, 10), (4, 20), (5, 30), (6, 40)];
		let play = EpochPlay {
			commits: counts.to_vec(),
			voters: vec![1, 2],
			verdict: |_, _| Verdict::Valid,
			bit: honest_bit,
		};
		assert_eq!(play_epoch(&play), 0);

		// Weights of epoch 1 are the counts; D(0) is the sum of the committed counts.
		let d: u64 = counts.iter().map(|c| c.1).sum();
		assert_eq!(expected_weight_of(0), d);
		let rewards = rewards_of(0);
		let mut paid = 0;
		for (h, count) in counts {
			assert_eq!(Weights::<Test>::get(1, h), count);
			let share = R0 * count as u128 / d as u128;
			assert_eq!(rewards[&h], share, "host {h}");
			paid += share;
		}
		// Everything minted is R0; the rounding dust went to the treasury.
		let (reward, to_hosts, to_treasury) = reward_of(0);
		assert_eq!((reward, to_hosts), (R0, paid));
		assert_eq!(to_treasury, R0 - paid);
		assert!(to_treasury > 0, "300 does not divide 1,000,000: there is dust");
		assert_eq!(treasury(), treasury_before + R0 - paid);
		assert_eq!(TotalMinted::<Test>::get(), R0);
		// Host 3 holds its bond and was paid on top of its endowment.
		assert_eq!(Balances::balance(&3), ENDOWMENT - BOND + rewards[&3]);
		check_state();
	});
}

/// Reward per unit of weight of an honest host in `epoch` (host 1 committed `count`).
fn rate(epoch: u32, count: u64) -> f64 {
	rewards_of(epoch)[&1] as f64 / count as f64
}

#[test]
fn knocking_hosts_out_pays_the_others_nothing_in_the_first_epoch() {
	// Hosts A..J (1..=10) of equal weight 100; mainnet issuance defaults (retention 90 %,
	// 14 silent epochs).
	let mut params = issuance_params();
	params.max_missed_epochs = 14;
	params.halving_interval = 1_461;
	params.mining_cap = 1_000 * R0;
	build_and_execute(ext_with(10, 100, params), || {
		let all: Vec<u64> = (1..=10).collect();
		let honest: Vec<u64> = (1..=7).collect();
		let victims = [8u64, 9, 10];
		let w = 100u64;

		// Epoch 0: everyone commits — the baseline rate.
		play_epoch(&EpochPlay::honest(&all, w));
		let baseline = rate(0, w);
		assert_eq!(baseline, R0 as f64 / 1_000.0);

		// Epoch 1: an attacker keeps 3 hosts (30 % of the weight) from committing; they still
		// validate.
		play_epoch(&EpochPlay::honest(&honest, w));
		assert_eq!(expected_weight_of(1), 1_000, "the victims count at their last weight");
		let gain = rate(1, w) / baseline - 1.0;
		assert_eq!(gain, 0.0, "the others' reward per unit of weight does not rise at all");
		// The old rule — missing shares redistributed among those who committed — would pay
		// R0 · w / (7 · w) per host: ~43 % more.
		let old_rule = (R0 / 7) as f64 / w as f64 / baseline - 1.0;
		assert!((0.42..0.44).contains(&old_rule), "old rule gain {old_rule}");
		// The victims' shares went to the treasury, not to the others.
		let (_, to_hosts, to_treasury) = reward_of(1);
		assert_eq!(to_hosts, 7 * R0 / 10);
		assert_eq!(to_treasury, 3 * R0 / 10);

		// The attack goes on: in its m-th epoch the gain is at most 1/(1 − f·(1 − 0.9^(m−1))) − 1.
		let f = 0.3;
		for m in 2..=14u32 {
			let epoch = play_epoch(&EpochPlay::honest(&honest, w));
			let gain = rate(epoch, w) / baseline - 1.0;
			let bound = 1.0 / (1.0 - f * (1.0 - 0.9f64.powi(m as i32 - 1))) - 1.0;
			assert!(gain <= bound + 1e-12, "epoch {epoch} (m = {m}): gain {gain} above {bound}");
			assert!(gain > 0.0 && gain >= bound - 0.01, "m = {m}: gain {gain}, bound {bound}");
			if m <= 5 {
				assert!(gain < 0.43 / 2.0, "m = {m}: gain {gain} not well below the old rule");
			}
			for v in victims {
				let info = Hosts::<Test>::get(v).expect("victims stay registered");
				assert_eq!(info.missed, m);
				assert_eq!(
					Balances::balance_on_hold(
						&RuntimeHoldReason::Sprint(pallet_sprint::HoldReason::HostBond),
						&v
					),
					BOND
				);
			}
		}

		// The 15th silent epoch in a row: deregistered, bond returned.
		let epoch = play_epoch(&EpochPlay::honest(&honest, w));
		for v in victims {
			assert!(Hosts::<Test>::get(v).is_none(), "host {v} deregistered");
			assert_eq!(
				Balances::balance_on_hold(
					&RuntimeHoldReason::Sprint(pallet_sprint::HoldReason::HostBond),
					&v
				),
				0
			);
			assert_eq!(Balances::balance(&v), ENDOWMENT + rewards_of(0)[&v]);
			assert!(System::events().iter().any(|r| r.event
				== RuntimeEvent::Sprint(pallet_sprint::Event::HostDeregistered {
					host: v,
					missed: 15,
					bond: BOND
				})));
		}
		// In that epoch they were still registered and counted; from the next one they are not.
		assert!(expected_weight_of(epoch) > 700);
		let next = play_epoch(&EpochPlay::honest(&honest, w));
		assert_eq!(expected_weight_of(next), 700);
		check_state();
	});
}

#[test]
fn a_host_that_unregisters_leaves_the_denominator_at_once() {
	build_and_execute(ext_with_hosts(10, 100), || {
		let all: Vec<u64> = (1..=10).collect();
		play_epoch(&EpochPlay::honest(&all, 100));
		assert_ok!(Sprint::unregister_host(RuntimeOrigin::signed(10)));
		let nine: Vec<u64> = (1..=9).collect();
		let epoch = play_epoch(&EpochPlay::honest(&nine, 100));
		assert_eq!(expected_weight_of(epoch), 900);
		assert_eq!(rewards_of(epoch)[&1], R0 / 9);
	});
}

#[test]
fn missed_seats_cost_their_share_of_the_penalty_to_the_treasury() {
	build_and_execute(ext_with_hosts(10, 100), || {
		let all: Vec<u64> = (1..=10).collect();
		// Host 10 commits but never votes: it misses every seat it holds (about 1.8 of each
		// host's 16; the others are still accepted), so it loses the whole 50 %.
		let play = EpochPlay { voters: (1..=9).collect(), ..EpochPlay::honest(&all, 100) };
		play_epoch(&play);
		let assigned: u32 = (1..=9u64)
			.flat_map(|h| Sprint::seats_of(0, &h))
			.filter(|(v, _)| *v == 10)
			.map(|(_, n)| n)
			.sum();
		assert!(assigned >= 4, "host 10 holds {assigned} seats");
		assert_eq!(pallet_sprint::AssignedSeats::<Test>::get(0, 10), assigned);
		assert_eq!(pallet_sprint::MissedSeats::<Test>::get(0, 10), assigned);
		assert_eq!(pallet_sprint::MissedSeats::<Test>::get(0, 1), 0);
		let share = R0 / 10;
		let rewards = rewards_of(0);
		assert_eq!(rewards.len(), 10, "everyone accepted");
		assert_eq!(rewards[&1], share);
		let penalty = Perbill::from_percent(50).mul_ceil(share);
		assert_eq!(rewards[&10], share - penalty);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Issuance(Event::HostRewarded {
				epoch: 0,
				host: 10,
				weight: 100,
				amount: share - penalty,
				penalty,
			})));
		let (reward, to_hosts, to_treasury) = reward_of(0);
		assert_eq!(reward, R0);
		assert_eq!(to_hosts + to_treasury, R0);
		assert_eq!(to_treasury, penalty);
		// By share: a quarter of the seats missed costs a quarter of the penalty; never more
		// than the penalty, nothing without seats.
		let half = Perbill::from_percent(50);
		assert_eq!(Issuance::penalty_rate(1, 4, half), Perbill::from_rational(1u32, 8u32));
		assert_eq!(Issuance::penalty_rate(4, 4, half), half);
		assert_eq!(Issuance::penalty_rate(u32::MAX, 4, half), half);
		assert_eq!(Issuance::penalty_rate(0, 4, half), Perbill::zero());
		assert_eq!(Issuance::penalty_rate(3, 0, half), Perbill::zero());
		assert_eq!(Issuance::penalty_rate(1, 3, Perbill::one()), Perbill::from_parts(333_333_334));
	});
}

#[test]
fn a_lazy_validator_is_reported_and_earns_less_than_an_honest_one() {
	build_and_execute(ext_with_hosts(10, 100), || {
		let all: Vec<u64> = (1..=10).collect();
		// Host 10 votes `Valid` on everything without computing a leaf: its check bits are
		// guesses, which the other validators' bits expose.
		let play = EpochPlay {
			bit: |voter, host, position| {
				if voter == 10 {
					lazy_bit(voter, host, position)
				} else {
					honest_bit(voter, host, position)
				}
			},
			..EpochPlay::honest(&all, 100)
		};
		play_epoch(&play);
		let lazy: Vec<(u64, u64, u32, u32)> = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Sprint(pallet_sprint::Event::ValidatorLazy {
					host,
					validator,
					shared,
					disagreements,
					..
				}) => Some((host, validator, shared, disagreements)),
				_ => None,
			})
			.collect();
		let duties = (1..=9u64).filter(|h| Sprint::committee_of(0, h).contains(&10)).count();
		assert_eq!(lazy.len(), duties, "lazy on every host it checked: {lazy:?}");
		assert!(lazy.iter().all(|&(_, v, shared, d)| v == 10 && d > 2 && d <= shared));
		let assigned = pallet_sprint::AssignedSeats::<Test>::get(0, 10);
		assert_eq!(pallet_sprint::MissedSeats::<Test>::get(0, 10), assigned);
		let share = R0 / 10;
		let rewards = rewards_of(0);
		assert_eq!(rewards.len(), 10, "its lazy votes were dropped; everyone still accepted");
		assert!((1..=9).all(|h| rewards[&h] == share), "honest validators lose nothing");
		assert_eq!(rewards[&10], share - Perbill::from_percent(50).mul_ceil(share));
		println!(
			"lazy validator: {} of {share} ({} hosts, disagreements {:?})",
			rewards[&10],
			lazy.len(),
			lazy.iter().map(|l| (l.3, l.2)).collect::<Vec<_>>()
		);
	});
}

#[test]
fn a_fraud_counts_what_it_was_expected_to_keep_and_is_not_paid() {
	build_and_execute(ext_with_hosts(4, 100), || {
		let all: Vec<u64> = (1..=4).collect();
		// Everyone votes host 4 invalid: slashed, no weight, no reward; its share to the treasury.
		let play = EpochPlay {
			commits: all.iter().map(|&h| (h, 100)).collect(),
			voters: all.clone(),
			verdict: |_, host| if host == 4 { Verdict::Invalid } else { Verdict::Valid },
			bit: honest_bit,
		};
		play_epoch(&play);
		// PROTOCOL §8: D counts the fraud at its last weight, not at its claim.
		assert_eq!(expected_weight_of(0), 400);
		let rewards = rewards_of(0);
		assert!(!rewards.contains_key(&4));
		assert_eq!(rewards[&1], R0 / 4);
		assert_eq!(Weights::<Test>::get(1, 4), 0);
		assert_eq!(reward_of(0).2, R0 / 4);
	});
}

/// PROTOCOL §8, v1's dilution attack: one fake `max_count` commitment cut honest pay to ~6 %.
/// A claimed count that is not accepted never enters `D`, so the same epoch with and without
/// the fake pays every honest host exactly the same.
#[test]
fn a_fake_max_count_commitment_dilutes_no_one() {
	let play_with = |fake: bool| {
		build_and_execute(ext_with_hosts(6, 100), || {
			// Host 7 registers (no weight yet) and claims the most leaves a commitment may have.
			let endpoint: Endpoint = b"https://h7.example".to_vec().try_into().unwrap();
			assert_ok!(Sprint::register_host(
				RuntimeOrigin::signed(7),
				endpoint,
				worker(7),
				key_proof(7, worker(7))
			));
			let honest: Vec<u64> = (1..=6).collect();
			let mut commits: Vec<(u64, u64)> = honest.iter().map(|&h| (h, 100)).collect();
			if fake {
				commits.push((7, sprint_params().max_count));
			}
			play_epoch(&EpochPlay {
				commits,
				voters: honest.clone(),
				verdict: |_, host| if host == 7 { Verdict::Invalid } else { Verdict::Valid },
				bit: honest_bit,
			});
			assert_eq!(Weights::<Test>::get(1, 7), 0);
			(rewards_of(0), expected_weight_of(0), reward_of(0))
		})
	};
	let (clean, clean_d, clean_totals) = play_with(false);
	let (faked, faked_d, faked_totals) = play_with(true);
	assert_eq!(clean_d, 600);
	assert_eq!(faked_d, clean_d, "the fake claim is not in the denominator");
	assert_eq!(clean.len(), 6);
	assert_eq!(faked, clean, "every honest host is paid exactly the same");
	assert_eq!(faked_totals, clean_totals);
	assert_eq!(clean[&1], R0 / 6);
}

#[test]
fn a_dishonest_third_cannot_slash_or_zero_anyone() {
	build_and_execute(ext_with_hosts(4, 100), || {
		let all: Vec<u64> = (1..=4).collect();
		// Host 1 votes everyone invalid: about a third of every other host's seats.
		let play = EpochPlay {
			commits: all.iter().map(|&h| (h, 100)).collect(),
			voters: all.clone(),
			verdict: |voter, _| if voter == 1 { Verdict::Invalid } else { Verdict::Valid },
			bit: honest_bit,
		};
		let bond_of = |h| {
			Balances::balance_on_hold(
				&RuntimeHoldReason::Sprint(pallet_sprint::HoldReason::HostBond),
				&h,
			)
		};
		play_epoch(&play);
		let rewards = rewards_of(0);
		for h in 2..=4 {
			assert_eq!(bond_of(h), BOND, "host {h} keeps its bond");
			// Accepted at its count, or withheld and keeping its last weight: 100 either way.
			assert_eq!(Weights::<Test>::get(1, h), 100, "host {h}");
			let seats = Sprint::seats_of(0, &h);
			let by_one: u32 = seats.iter().filter(|(v, _)| *v == 1).map(|(_, n)| n).sum();
			// Accepted exactly when the honest seats are more than 2/3 of 16.
			assert_eq!(rewards.contains_key(&h), (16 - by_one) * 3 > 32, "host {h}: {seats:?}");
		}
		// Host 1's seats are all honest: it is accepted.
		assert_eq!(Weights::<Test>::get(1, 1), 100);
		assert!(rewards.contains_key(&1));
	});
}

/// `Σ_{k ≤ n} R0 / 2^floor(k / I)` in closed form: full intervals `j < J` pay
/// `I · R0 / 2^j`, the current one `(n mod I + 1) · R0 / 2^J`.
fn closed_form_minted(n: u32, interval: u32, r0: u128) -> u128 {
	let j_now = n / interval;
	let full: u128 = (0..j_now).map(|j| interval as u128 * (r0 >> j)).sum();
	full + ((n % interval) as u128 + 1) * (r0 >> j_now)
}

#[test]
fn halvings_and_the_cap_match_the_closed_form() {
	// Halving every 4 epochs; the cap binds in epoch 14, after three halvings (at 4, 8, 12):
	// by epoch 13 the schedule minted 4·(1 + 1/2 + 1/4) M + 2 · 125,000 = 7.25 M.
	let mut params = issuance_params();
	params.mining_cap = 7_300_000;
	build_and_execute(ext_with(1, 100, params.clone()), || {
		let mut previous = 0;
		for epoch in 0..18u32 {
			play_epoch(&EpochPlay::honest(&[1], 100));
			let closed = closed_form_minted(epoch, 4, R0).min(params.mining_cap);
			assert_eq!(TotalMinted::<Test>::get(), closed, "epoch {epoch}");
			let (reward, to_hosts, _) = reward_of(epoch);
			assert_eq!(reward, closed - previous, "epoch {epoch}");
			// The lone host is paid the whole reward.
			assert_eq!(to_hosts, reward);
			previous = closed;
			assert!(TotalMinted::<Test>::get() <= params.mining_cap);
			check_state();
		}
		assert_eq!(reward_of(12).0, 125_000);
		assert_eq!(reward_of(14).0, 50_000, "the cap's last partial epoch");
		assert_eq!(reward_of(15).0, 0);
		assert!(System::events().iter().any(|r| r.event
			== RuntimeEvent::Issuance(Event::MiningCapReached {
				epoch: 14,
				total_minted: 7_300_000
			})));
		assert_eq!(Issuance::cap_left(), 0);
		assert_eq!(Issuance::epoch_reward(40), 0);
	});
}

#[test]
fn the_api_reports_rewards_and_halvings() {
	build_and_execute(ext_with_hosts(1, 100), || {
		assert_eq!(Issuance::epoch_reward(0), R0);
		assert_eq!(Issuance::epoch_reward(4), R0 / 2);
		assert_eq!(Issuance::next_halving_after(0), 4);
		assert_eq!(Issuance::next_halving_after(3), 4);
		assert_eq!(Issuance::next_halving_after(4), 8);
		assert_eq!(Issuance::cap_left(), 10_000_000);
		play_epoch(&EpochPlay::honest(&[1], 100));
		assert_eq!(Issuance::cap_left(), 10_000_000 - R0);
		assert_eq!(LastPaidEpoch::<Test>::get(), Some(0));
	});
}

#[test]
fn nothing_is_minted_when_nobody_was_expected() {
	build_and_execute(ext_with_hosts(1, 100), || {
		assert_ok!(Sprint::unregister_host(RuntimeOrigin::signed(1)));
		play_epoch(&EpochPlay {
			commits: vec![],
			voters: vec![],
			verdict: |_, _| Verdict::Valid,
			bit: honest_bit,
		});
		assert_eq!(reward_of(0), (0, 0, 0));
		assert_eq!(TotalMinted::<Test>::get(), 0);
	});
}

#[test]
fn params_change_only_by_root_from_the_next_epoch_settled() {
	build_and_execute(ext_with_hosts(1, 100), || {
		let mut p = issuance_params();
		p.initial_reward = 2 * R0;
		assert_noop!(
			Issuance::set_params(RuntimeOrigin::signed(1), p.clone()),
			DispatchError::BadOrigin
		);
		// Each bound refused with its own error, and nothing changes.
		type P = IssuanceParams<Balance>;
		let cases: Vec<(fn(&mut P), Error<Test>)> = vec![
			(|p| p.halving_interval = 0, Error::HalvingIntervalOutOfBounds),
			(|p| p.retention = Perbill::from_percent(49), Error::RetentionOutOfBounds),
			(|p| p.retention = Perbill::one(), Error::RetentionOutOfBounds),
			(|p| p.max_missed_epochs = 0, Error::MaxMissedEpochsOutOfBounds),
			(|p| p.max_missed_epochs = 61, Error::MaxMissedEpochsOutOfBounds),
			(|p| p.missed_vote_penalty = Perbill::zero(), Error::MissedVotePenaltyOutOfBounds),
			(
				|p| p.missed_vote_penalty = Perbill::from_percent(9),
				Error::MissedVotePenaltyOutOfBounds,
			),
		];
		for (change, error) in cases {
			let mut bad = p.clone();
			change(&mut bad);
			assert_noop!(Issuance::set_params(RuntimeOrigin::root(), bad), error);
		}
		for edge in [
			|p: &mut P| p.retention = Perbill::from_percent(50),
			|p: &mut P| p.retention = Perbill::from_percent(99),
			|p: &mut P| p.max_missed_epochs = 60,
			|p: &mut P| p.missed_vote_penalty = Perbill::one(),
		] {
			let mut ok = p.clone();
			edge(&mut ok);
			assert_ok!(Issuance::check_params(&ok));
		}

		assert_ok!(Issuance::set_params(RuntimeOrigin::root(), p.clone()));
		assert_eq!(Params::<Test>::get(), issuance_params());
		play_epoch(&EpochPlay::honest(&[1], 100));
		assert_eq!(reward_of(0).0, R0, "epoch 0 is paid with the old params");
		assert_eq!(Params::<Test>::get(), p);
		assert!(System::events()
			.iter()
			.any(|r| r.event == RuntimeEvent::Issuance(Event::ParamsApplied { epoch: 1 })));
		play_epoch(&EpochPlay::honest(&[1], 100));
		assert_eq!(reward_of(1).0, 2 * R0);

		// The cap cannot go below what was minted.
		let mut low = p.clone();
		low.mining_cap = 3 * R0 - 1;
		assert_noop!(
			Issuance::set_params(RuntimeOrigin::root(), low),
			Error::<Test>::CapBelowMinted
		);
	});
}

#[test]
fn genesis_params_round_trip_through_json() {
	let json = serde_json::to_value(crate::IssuanceParams::<u128>::default()).unwrap();
	assert_eq!(json["initialReward"], serde_json::json!(310_000_000_000_000u64));
	assert_eq!(json["halvingInterval"], 1_461);
	let back: crate::IssuanceParams<u128> = serde_json::from_value(json).unwrap();
	assert_eq!(back, Default::default());
}

#[test]
fn integrity_test_passes() {
	build_and_execute(ext_with_hosts(1, 100), || {
		use polkadot_sdk::frame_support::traits::Hooks;
		<Issuance as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn root_spends_from_the_treasury_which_keeps_its_existential_deposit() {
	build_and_execute(ext_with_hosts(1, 100), || {
		use polkadot_sdk::frame_support::traits::fungible::Mutate;
		let treasury_account = TreasuryAccount::get();
		assert_ok!(Balances::mint_into(&treasury_account, 1_000));
		let start = treasury();
		let ed = Balances::minimum_balance();
		let recipient: AccountId = 4_242;

		// Refused, nothing changes: not Root, nothing, more than it can keep alive with, itself.
		assert_noop!(
			Issuance::spend(RuntimeOrigin::signed(1), recipient, 10),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Issuance::spend(RuntimeOrigin::root(), recipient, 0),
			Error::<Test>::ZeroSpend
		);
		assert_noop!(
			Issuance::spend(RuntimeOrigin::root(), recipient, start - ed + 1),
			Error::<Test>::TreasuryTooLow
		);
		assert_noop!(
			Issuance::spend(RuntimeOrigin::root(), treasury_account, 10),
			Error::<Test>::SpendToTreasury
		);

		// All it can spend, to an account that did not exist.
		assert_ok!(Issuance::spend(RuntimeOrigin::root(), recipient, start - ed));
		assert_eq!(Balances::balance(&recipient), start - ed);
		assert_eq!(treasury(), ed);
		System::assert_last_event(RuntimeEvent::Issuance(Event::TreasurySpent {
			to: recipient,
			amount: start - ed,
			remaining: ed,
		}));
		assert_noop!(
			Issuance::spend(RuntimeOrigin::root(), recipient, 1),
			Error::<Test>::TreasuryTooLow
		);
		check_state();
	});
}
