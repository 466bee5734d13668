//! Settlement (PROTOCOL §6–§7): after Validation, every host is settled once, a bounded number
//! per block (as many as `SettlementWeight` fits by the benchmarked weights, at most
//! `MaxSettlementsPerBlock`), walking `Hosts` with a cursor.
//!
//! For a host that committed, with `W` the total weight of its committee and `valid`/`invalid`
//! the weight that voted each way:
//! - **accepted** when `valid > accept_threshold · W`: its weight in the next epoch is its count;
//! - **slashed** when `invalid > accept_threshold · W`: `fraud_slash` of its bond goes to the
//!   treasury, weight 0;
//! - **rejected** otherwise: weight 0, no slash — a dishonest minority can withhold acceptance
//!   but never slash.
//!
//! A host with an empty committee (it is the only validator) is accepted: nobody can check it,
//! and refusing would leave the network without validators. Committee members that did not vote
//! get a missed vote recorded (`MissedVotes`, for the reward penalty). A registered host that did
//! not commit has its run of missed epochs counted; after more than `MaxMissedEpochs` in a row it
//! is deregistered and its bond released.
//!
//! Judging also sums the reward denominator `D(e)` of PROTOCOL §8 over the registered hosts: a
//! committed host counts its `count` (accepted or not); a silent host in its `m`-th silent epoch
//! counts `Retention^(m−1) · last_weight`, rounded up (so rounding never raises anyone's pay);
//! a host registered this epoch that did not commit counts 0, one that unregistered counts
//! nothing. With `D(e)` known, the payout stage walks the next epoch's validators — exactly the
//! accepted hosts, with their accepted counts — and asks [`Config::Rewards`] to pay each.
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

	/// Judges the hosts that fit in this block; after the last, starts the payout.
	fn judge_some(epoch: EpochIndex) -> Weight {
		let db = T::DbWeight::get();
		let limit = Self::settlements_per_block(T::WeightInfo::settle_host()) as usize;
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
		weight.saturating_accrue(T::WeightInfo::settle_host().saturating_mul(batch.len() as u64));
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

	/// Pays the accepted hosts that fit in this block, from index `next` of the next epoch's
	/// validators; after the last, the epoch is settled.
	fn pay_some(epoch: EpochIndex, next: u32) -> Weight {
		let db = T::DbWeight::get();
		let following = epoch.saturating_add(1);
		let count = ValidatorCount::<T>::get(following);
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
			rejected: stats.rejected,
			slashed: stats.slashed,
			silent: stats.silent,
			deregistered: stats.deregistered,
			expected_weight: stats.expected,
			next_total_weight: TotalWeight::<T>::get(following),
		});
		weight.saturating_add(db.reads_writes(2, 3))
	}

	/// Pays the accepted host at `index` of the next epoch's validators: its accepted count is
	/// its weight there. Returns the weight used (this pallet's reads, benchmarked as
	/// `pay_host`, plus what [`Config::Rewards`] reports).
	pub(crate) fn pay_host(epoch: EpochIndex, index: u32) -> Weight {
		let following = epoch.saturating_add(1);
		let mut weight = T::WeightInfo::pay_host();
		let Some((host, _)) = Validators::<T>::get(following, index) else { return weight };
		let accepted = Weights::<T>::get(following, &host);
		let missed_votes = MissedVotes::<T>::get(epoch, &host);
		weight.saturating_accrue(T::Rewards::reward(epoch, &host, accepted, missed_votes));
		weight
	}

	pub(crate) fn settle_host(
		epoch: EpochIndex,
		host: &T::AccountId,
		params: &crate::SprintParamsOf<T>,
		stats: &mut SettlementStatsRecord,
	) {
		let Some(mut info) = Hosts::<T>::get(host) else { return };
		let Some(commitment) = Commitments::<T>::get(epoch, host) else {
			// Silent: no commitment. A host that registered this epoch is not counted.
			stats.silent = stats.silent.saturating_add(1);
			if info.since < epoch || Weights::<T>::get(epoch, host) > 0 {
				// Its `m`-th silent epoch in a row, `m = missed + 1`: it is expected to keep
				// `Retention^(m−1)` of its last weight.
				let kept = T::Rewards::retention().saturating_pow(info.missed as usize);
				stats.expected = stats.expected.saturating_add(kept.mul_ceil(info.last_weight));
				info.missed = info.missed.saturating_add(1);
				if info.missed > T::Rewards::max_missed_epochs() {
					stats.deregistered = stats.deregistered.saturating_add(1);
					Self::deregister_silent(host, info);
				} else {
					Hosts::<T>::insert(host, info);
				}
			}
			return;
		};
		// Committed: counts its count in the denominator, whatever the verdict.
		stats.expected = stats.expected.saturating_add(commitment.count);
		let committee = Self::committee(epoch, host);
		let committee_weight: u64 =
			committee.iter().map(|m| Weights::<T>::get(epoch, m)).fold(0, u64::saturating_add);
		for member in committee.iter() {
			if !Votes::<T>::contains_key((epoch, host, member)) {
				MissedVotes::<T>::mutate(epoch, member, |n| *n = n.saturating_add(1));
			}
		}
		let tally = Tallies::<T>::get(epoch, host);
		// "More than the threshold": rounded up, so that a committee split exactly at the
		// threshold (two thirds of 300 is 200) does not accept or slash.
		let threshold = params.accept_threshold.mul_ceil(committee_weight);
		let next = epoch.saturating_add(1);
		// A host that committed ends its run of silent epochs, whatever the verdict.
		info.missed = 0;
		if committee.is_empty() || tally.valid > threshold {
			Self::set_weight(next, host, commitment.count);
			info.last_weight = commitment.count;
			stats.accepted = stats.accepted.saturating_add(1);
			Self::deposit_event(Event::HostAccepted {
				epoch,
				host: host.clone(),
				weight: commitment.count,
			});
		} else if tally.invalid > threshold {
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
			stats.slashed = stats.slashed.saturating_add(1);
			Self::deposit_event(Event::HostSlashed { epoch, host: host.clone(), amount: slashed });
		} else {
			stats.rejected = stats.rejected.saturating_add(1);
			Self::deposit_event(Event::HostRejected {
				epoch,
				host: host.clone(),
				valid: tally.valid,
				invalid: tally.invalid,
				committee_weight,
			});
		}
		Hosts::<T>::insert(host, info);
	}
}
