//! Settlement (PROTOCOL §6–§7): after Validation, every host is settled once, a bounded number
//! per block (`MaxSettlementsPerBlock`), walking `Hosts` with a cursor.
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
//! not commit has its run of missed epochs counted.
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

use crate::{pallet::*, types::*, weights::WeightInfo, BalanceOf};

impl<T: Config> Pallet<T> {
	/// Whether `epoch` is fully settled.
	pub fn is_settled(epoch: EpochIndex) -> bool {
		LastSettledEpoch::<T>::get().is_some_and(|e| e >= epoch)
	}

	/// Settles up to `MaxSettlementsPerBlock` hosts of `epoch`. Returns the weight used.
	pub(crate) fn settle_some(epoch: EpochIndex) -> Weight {
		let db = T::DbWeight::get();
		let limit = T::MaxSettlementsPerBlock::get() as usize;
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
			SettlementStats::<T>::kill();
			LastSettledEpoch::<T>::put(epoch);
			Self::deposit_event(Event::EpochSettled {
				epoch,
				accepted: stats.accepted,
				rejected: stats.rejected,
				slashed: stats.slashed,
				silent: stats.silent,
				next_total_weight: TotalWeight::<T>::get(epoch.saturating_add(1)),
			});
		} else if let Some(last) = batch.last() {
			let raw = Hosts::<T>::hashed_key_for(last);
			// A map key is prefix (32 bytes) + blake2_128 (16) + the encoded account: bounded.
			SettlementCursor::<T>::put(BoundedVec::truncate_from(raw));
			SettlementStats::<T>::put(stats);
		}
		weight
	}

	fn settle_host(
		epoch: EpochIndex,
		host: &T::AccountId,
		params: &crate::SprintParamsOf<T>,
		stats: &mut SettlementStatsRecord,
	) {
		let Some(mut info) = Hosts::<T>::get(host) else { return };
		let Some(commitment) = Commitments::<T>::get(epoch, host) else {
			// Silent: no commitment. A host that registered this epoch is not counted.
			if info.since < epoch || Weights::<T>::get(epoch, host) > 0 {
				info.missed = info.missed.saturating_add(1);
				Hosts::<T>::insert(host, info);
			}
			stats.silent = stats.silent.saturating_add(1);
			return;
		};
		let committee = Self::committee(epoch, host);
		let committee_weight: u64 =
			committee.iter().map(|m| Weights::<T>::get(epoch, m)).fold(0, u64::saturating_add);
		for member in committee.iter() {
			if !Votes::<T>::contains_key((epoch, host, member)) {
				MissedVotes::<T>::mutate(epoch, member, |n| *n = n.saturating_add(1));
			}
		}
		let tally = Tallies::<T>::get(epoch, host);
		let threshold = params.accept_threshold.mul_floor(committee_weight);
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
