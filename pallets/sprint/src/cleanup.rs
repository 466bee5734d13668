//! Forgetting old epochs: every per-epoch map keeps the current and the previous epoch; older
//! entries are removed a bounded number of keys per block (`MaxCleanupPerBlock`), with a cursor,
//! so storage stays bounded by two epochs of hosts × committees.

use alloc::vec::Vec;
use polkadot_sdk::frame_support::pallet_prelude::*;

use crate::{pallet::*, types::*, WeightInfo};

/// The per-epoch maps, cleared in this order.
const STAGES: u8 = 12;

impl<T: Config> Pallet<T> {
	/// Removes up to `MaxCleanupPerBlock` keys of the oldest epoch not yet cleared, if it is at
	/// least two epochs old.
	pub(crate) fn cleanup_some(current: EpochIndex) -> Weight {
		let target = CleanedUpTo::<T>::get();
		if target.saturating_add(2) > current {
			return T::WeightInfo::cleanup(0);
		}
		let (mut stage, cursor) = CleanupProgress::<T>::get().unwrap_or((0, BoundedVec::new()));
		let mut cursor: Option<Vec<u8>> = (!cursor.is_empty()).then(|| cursor.into_inner());
		let mut budget = T::MaxCleanupPerBlock::get();
		let mut removed = 0u64;
		while budget > 0 && stage < STAGES {
			let c = cursor.as_deref();
			let r = match stage {
				0 => Commitments::<T>::clear_prefix(target, budget, c),
				1 => Weights::<T>::clear_prefix(target, budget, c),
				2 => Validators::<T>::clear_prefix(target, budget, c),
				3 => ValidatorIndex::<T>::clear_prefix(target, budget, c),
				4 => Seats::<T>::clear_prefix(target, budget, c),
				5 => VerdictCommitments::<T>::clear_prefix((target,), budget, c),
				6 => Reveals::<T>::clear_prefix((target,), budget, c),
				7 => Tallies::<T>::clear_prefix(target, budget, c),
				8 => Accepted::<T>::clear_prefix(target, budget, c),
				9 => AssignedSeats::<T>::clear_prefix(target, budget, c),
				10 => MissedSeats::<T>::clear_prefix(target, budget, c),
				_ => VotingWeights::<T>::clear_prefix(target, budget, c),
			};
			budget = budget.saturating_sub(r.backend.max(1));
			removed = removed.saturating_add(r.backend as u64);
			match r.maybe_cursor {
				Some(next) => cursor = Some(next),
				None => {
					stage += 1;
					cursor = None;
				},
			}
		}
		if stage == STAGES {
			TotalWeight::<T>::remove(target);
			TotalVotingWeight::<T>::remove(target);
			ValidatorCount::<T>::remove(target);
			AcceptedCount::<T>::remove(target);
			CleanedUpTo::<T>::put(target.saturating_add(1));
			CleanupProgress::<T>::kill();
		} else {
			let cursor = BoundedVec::truncate_from(cursor.unwrap_or_default());
			CleanupProgress::<T>::put((stage, cursor));
		}
		T::WeightInfo::cleanup(removed.min(u32::MAX as u64) as u32)
	}
}
