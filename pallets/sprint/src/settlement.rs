//! Settlement (PROTOCOL §6–§8): after Validation, every host is settled once, a bounded number
//! per block (as many as `SettlementWeight` fits by the benchmarked weights, at most
//! `MaxSettlementsPerBlock`), walking `Hosts` with a cursor.
//!
//! For a host that committed, with `S` its seats (`committee_size`, or 0 when no other
//! validator has weight), its seat holders' reveals are read first. **Lazy validators**: for
//! each pool position, count the revealed validators that sampled it and those that saw it
//! below `r_mid`; a validator whose bit differs from the strict majority of the *other*
//! revealed validators on more than `lazy_tolerance` positions seen by at least three is lazy
//! on this host (event `ValidatorLazy`). Its verdict is dropped. A seat whose holder committed
//! no verdict, did not reveal it, or was lazy is **missed** (`MissedSeats`, of `AssignedSeats`,
//! for the reward penalty). With `valid`/`invalid` the seats whose counted verdicts went each
//! way (`Unreachable` and missed seats count for neither):
//! - **accepted** when `valid > accept_threshold · S`: its weight in the next epoch is its count;
//! - **slashed** when `invalid > accept_threshold · S`: `fraud_slash` of its bond goes to the
//!   treasury, weight 0, its last weight forgotten;
//! - **not accepted** otherwise: no slash, no pay, and the weight it would keep had it been
//!   silent. A minority of seats can withhold acceptance but neither slash nor zero anyone, and
//!   an unreachable host loses an epoch's pay, never its bond.
//!
//! With no seats, a host is accepted only when it is the epoch's one validator (nobody else can
//! check it, and refusing would leave the chain without validators); otherwise not accepted.
//!
//! **Retained weight (§7).** A registered host that was not accepted — silent, not accepted or
//! slashed — in its `m`-th such epoch in a row (`m = missed + 1`) keeps
//! `Retention^(m−1) · last_weight` (rounded down) as its weight in the next epoch (a slashed
//! host: 0); after more than `MaxMissedEpochs` in a row it is deregistered and its bond
//! released. A host registered in this epoch that did not commit is left alone.
//!
//! **Denominator (§8).** Judging sums `D(e)` over the registered hosts: an accepted host counts
//! its count; every other host (not accepted, slashed or silent) counts
//! `Retention^(m−1) · last_weight`, rounded up (so rounding never raises anyone's pay). A claimed
//! count that was not accepted never enters `D`: a fake commitment of any size dilutes no one,
//! and knocking a host out pays nobody. With `D(e)` known, the payout stage walks the epoch's
//! `Accepted` hosts and asks [`Config::Rewards`] to pay each.
//!
//! The next epoch starts only when settlement is complete: if the Settlement phase is too short
//! for the number of hosts, the epoch is extended block by block rather than cut short.

use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::MutateHold,
			tokens::{Fortitude, Precision, Restriction},
		},
	},
	sp_runtime::traits::Saturating,
};

use crate::{pallet::*, types::*, weights::WeightInfo, BalanceOf, EpochRewards};
use gonka_primitives::sampling::{pool_len, Bitmap, PositionCounts};

impl<T: Config> Pallet<T> {
	/// Whether `epoch` is fully settled.
	pub fn is_settled(epoch: EpochIndex) -> bool {
		LastSettledEpoch::<T>::get().is_some_and(|e| e >= epoch)
	}

	/// Settles the hosts of `epoch` that fit in this block: judges them, or once all are
	/// judged, pays them (see `settlements_per_block`). Returns the weight used.
	pub(crate) fn settle_some(epoch: EpochIndex) -> Weight {
		match PayoutCursor::<T>::get() {
			None => Self::judge_some(epoch),
			Some(next) => Self::pay_some(epoch, next),
		}
	}

	/// How many steps of weight `step` one block may take: as many as fit in
	/// `SettlementWeight`, at most `MaxSettlementsPerBlock`, at least one.
	pub fn settlements_per_block(step: Weight) -> u32 {
		let budget = T::SettlementWeight::get();
		let by_time = budget.ref_time().checked_div(step.ref_time()).unwrap_or(u64::MAX);
		let by_proof = budget.proof_size().checked_div(step.proof_size()).unwrap_or(u64::MAX);
		by_time.min(by_proof).min(T::MaxSettlementsPerBlock::get() as u64).max(1) as u32
	}

	/// The most one host's judging weighs: seats drawn on the spot (nobody committed a verdict
	/// on it) or every seat holder's reveal read and checked, whichever is heavier.
	pub fn settle_host_weight() -> Weight {
		T::WeightInfo::settle_host().max(T::WeightInfo::settle_host_revealed())
	}

	/// Judges the hosts that fit in this block; after the last, starts the payout.
	fn judge_some(epoch: EpochIndex) -> Weight {
		let db = T::DbWeight::get();
		let limit = Self::settlements_per_block(Self::settle_host_weight()) as usize;
		let cursor = SettlementCursor::<T>::get();
		let keys: Vec<T::AccountId> = match &cursor {
			Some(raw) => {
				Hosts::<T>::iter_from(raw.to_vec()).map(|(k, _)| k).take(limit + 1).collect()
			},
			None => Hosts::<T>::iter_keys().take(limit + 1).collect(),
		};
		let done = keys.len() <= limit;
		let batch = &keys[..keys.len().min(limit)];
		let params = Params::<T>::get();
		let mut stats = SettlementStats::<T>::get();
		for host in batch {
			Self::settle_host(epoch, host, &params, &mut stats);
		}
		let mut weight = db.reads_writes(3, 2);
		weight.saturating_accrue(Self::settle_host_weight().saturating_mul(batch.len() as u64));
		if done {
			SettlementCursor::<T>::kill();
			PayoutCursor::<T>::put(0);
			weight.saturating_accrue(T::Rewards::begin_payout(epoch, stats.expected));
		} else if let Some(last) = batch.last() {
			let raw = Hosts::<T>::hashed_key_for(last);
			// A map key is prefix (32 bytes) + blake2_128 (16) + the encoded account: bounded.
			SettlementCursor::<T>::put(BoundedVec::truncate_from(raw));
		}
		SettlementStats::<T>::put(stats);
		weight
	}

	/// Pays the accepted hosts that fit in this block, from index `next` of the epoch's
	/// `Accepted` hosts; after the last, the epoch is settled.
	fn pay_some(epoch: EpochIndex, next: u32) -> Weight {
		let db = T::DbWeight::get();
		let following = epoch.saturating_add(1);
		let count = AcceptedCount::<T>::get(epoch);
		let step = T::WeightInfo::pay_host().saturating_add(T::Rewards::max_reward_weight());
		let end = next.saturating_add(Self::settlements_per_block(step)).min(count);
		let mut weight = db.reads_writes(2, 1);
		for index in next..end {
			weight.saturating_accrue(Self::pay_host(epoch, index));
		}
		if end < count {
			PayoutCursor::<T>::put(end);
			return weight;
		}
		weight.saturating_accrue(T::Rewards::end_payout(epoch));
		let stats = SettlementStats::<T>::take();
		PayoutCursor::<T>::kill();
		LastSettledEpoch::<T>::put(epoch);
		Self::deposit_event(Event::EpochSettled {
			epoch,
			accepted: stats.accepted,
			not_accepted: stats.not_accepted,
			slashed: stats.slashed,
			silent: stats.silent,
			deregistered: stats.deregistered,
			expected_weight: stats.expected,
			next_total_weight: TotalWeight::<T>::get(following),
		});
		weight.saturating_add(db.reads_writes(2, 3))
	}

	/// Pays the accepted host at `index` of the epoch's `Accepted` hosts: its accepted count is
	/// its weight in the next epoch. Returns the weight used (this pallet's reads, benchmarked
	/// as `pay_host`, plus what [`Config::Rewards`] reports).
	pub(crate) fn pay_host(epoch: EpochIndex, index: u32) -> Weight {
		let following = epoch.saturating_add(1);
		let mut weight = T::WeightInfo::pay_host();
		let Some(host) = Accepted::<T>::get(epoch, index) else { return weight };
		let accepted = Weights::<T>::get(following, &host);
		let missed = MissedSeats::<T>::get(epoch, &host);
		let assigned = AssignedSeats::<T>::get(epoch, &host);
		weight.saturating_accrue(T::Rewards::reward(epoch, &host, accepted, missed, assigned));
		weight
	}

	pub(crate) fn settle_host(
		epoch: EpochIndex,
		host: &T::AccountId,
		params: &crate::SprintParamsOf<T>,
		stats: &mut SettlementStatsRecord,
	) {
		let Some(mut info) = Hosts::<T>::get(host) else { return };
		let next = epoch.saturating_add(1);
		// What it is expected to keep if it is not accepted: its `m`-th such epoch in a row,
		// `m = missed + 1`, keeps `Retention^(m−1)` of its last weight.
		let kept = T::Rewards::retention().saturating_pow(info.missed as usize);
		let expected_if_not = kept.mul_ceil(info.last_weight);
		let Some(commitment) = Commitments::<T>::get(epoch, host) else {
			// Silent: no commitment. A host that registered this epoch is not counted.
			stats.silent = stats.silent.saturating_add(1);
			if info.since < epoch || Weights::<T>::get(epoch, host) > 0 {
				stats.expected = stats.expected.saturating_add(expected_if_not);
				let weight = kept.mul_floor(info.last_weight);
				Self::keep_weight(next, host, info, weight, stats);
			}
			return;
		};
		let seats = Self::seats(epoch, host);
		let total: u32 = seats.iter().map(|(_, n)| *n).fold(0, u32::saturating_add);
		let tally = Self::count_votes(epoch, host, &commitment, &seats, params);
		Tallies::<T>::insert(epoch, host, tally);
		let sole_validator = total == 0
			&& ValidatorCount::<T>::get(epoch) == 1
			&& ValidatorIndex::<T>::contains_key(epoch, host);
		let outcome = Outcome::of(&tally, total, params.accept_threshold, sole_validator);
		if outcome == Outcome::Accepted {
			stats.expected = stats.expected.saturating_add(commitment.count);
			Self::set_weight(next, host, commitment.count);
			info.last_weight = commitment.count;
			info.missed = 0;
			let index = AcceptedCount::<T>::get(epoch);
			Accepted::<T>::insert(epoch, index, host);
			AcceptedCount::<T>::insert(epoch, index.saturating_add(1));
			stats.accepted = stats.accepted.saturating_add(1);
			Hosts::<T>::insert(host, info);
			Self::deposit_event(Event::HostAccepted {
				epoch,
				host: host.clone(),
				weight: commitment.count,
			});
		} else if outcome == Outcome::Slashed {
			// Framing pays nobody: a slashed host still counts what it was expected to keep.
			stats.expected = stats.expected.saturating_add(expected_if_not);
			let amount: BalanceOf<T> = params.fraud_slash.mul_floor(info.bond);
			let slashed = T::Currency::transfer_on_hold(
				&HoldReason::HostBond.into(),
				host,
				&T::Treasury::get(),
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_default();
			info.bond = info.bond.saturating_sub(slashed);
			info.last_weight = 0;
			stats.slashed = stats.slashed.saturating_add(1);
			Self::deposit_event(Event::HostSlashed { epoch, host: host.clone(), amount: slashed });
			Self::keep_weight(next, host, info, 0, stats);
		} else {
			stats.expected = stats.expected.saturating_add(expected_if_not);
			stats.not_accepted = stats.not_accepted.saturating_add(1);
			let weight = kept.mul_floor(info.last_weight);
			Self::deposit_event(Event::HostNotAccepted {
				epoch,
				host: host.clone(),
				valid: tally.valid,
				invalid: tally.invalid,
				unreachable: tally.unreachable,
				missed: tally.missed,
				seats: total,
				weight,
			});
			Self::keep_weight(next, host, info, weight, stats);
		}
	}

	/// Counts the verdicts on `host` (see the module docs): reads every seat holder's reveal,
	/// finds the lazy ones by their check bits, records every holder's assigned and missed
	/// seats, and returns the tally of the verdicts that count.
	fn count_votes(
		epoch: EpochIndex,
		host: &T::AccountId,
		commitment: &Commitment,
		seats: &crate::SeatsOf<T>,
		params: &crate::SprintParamsOf<T>,
	) -> Tally {
		let n = pool_len(commitment.count, params.sample_size);
		let mut counts = PositionCounts::new(n);
		let revealed: Vec<(&T::AccountId, u32, Option<(Verdict, Bitmap, Bitmap)>)> = seats
			.iter()
			.map(|(member, held)| {
				let reveal = Reveals::<T>::get((epoch, host, member)).and_then(|r| {
					let sampled = Bitmap::from_bytes(&r.sampled, n)?;
					let below = Bitmap::from_bytes(&r.below, n)?;
					counts.add(&sampled, &below);
					Some((r.verdict, sampled, below))
				});
				(member, *held, reveal)
			})
			.collect();
		let mut tally = Tally::default();
		for (member, held, reveal) in revealed {
			AssignedSeats::<T>::mutate(epoch, member, |n| *n = n.saturating_add(held));
			let counted = reveal.and_then(|(verdict, sampled, below)| {
				let agreement = counts.agreement(&sampled, &below);
				if agreement.disagreements <= params.lazy_tolerance {
					return Some(verdict);
				}
				Self::deposit_event(Event::ValidatorLazy {
					epoch,
					host: host.clone(),
					validator: member.clone(),
					seats: held,
					shared: agreement.shared,
					disagreements: agreement.disagreements,
				});
				None
			});
			match counted {
				Some(Verdict::Valid) => tally.valid = tally.valid.saturating_add(held),
				Some(Verdict::Invalid) => tally.invalid = tally.invalid.saturating_add(held),
				Some(Verdict::Unreachable) => {
					tally.unreachable = tally.unreachable.saturating_add(held)
				},
				None => {
					tally.missed = tally.missed.saturating_add(held);
					MissedSeats::<T>::mutate(epoch, member, |n| *n = n.saturating_add(held));
				},
			}
			if counted.is_some() {
				tally.votes = tally.votes.saturating_add(1);
			}
		}
		tally
	}

	/// A host that was not accepted in this epoch (silent, not accepted or slashed): one more
	/// epoch in its run, `weight` in the next epoch; deregistered after more than
	/// `MaxMissedEpochs` in a row.
	fn keep_weight(
		next: EpochIndex,
		host: &T::AccountId,
		mut info: crate::HostInfoOf<T>,
		weight: u64,
		stats: &mut SettlementStatsRecord,
	) {
		info.missed = info.missed.saturating_add(1);
		if info.missed > T::Rewards::max_missed_epochs() {
			stats.deregistered = stats.deregistered.saturating_add(1);
			Self::deregister_silent(host, info);
			return;
		}
		Self::set_weight(next, host, weight);
		Hosts::<T>::insert(host, info);
	}
}
