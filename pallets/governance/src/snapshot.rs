//! Voting snapshots and cleanup.
//!
//! A proposal votes with the weights of the epoch it opened in. The sprint pallet keeps an
//! epoch's weights only while it is the current or the previous one, and a vote may last longer,
//! so the first proposal of an epoch starts a copy of that epoch's weights, `MaxCopyPerBlock` per
//! block. Until the copy is complete the epoch is still in the sprint pallet and votes read it
//! there. When the last proposal of an epoch is decided, its snapshot is forgotten, as are a
//! decided proposal's votes, `MaxCleanupPerBlock` keys per block.

use polkadot_sdk::frame_support::{pallet_prelude::*, weights::WeightMeter};

use crate::{pallet::*, types::*, HostWeights, WeightInfo};

impl<T: Config> Pallet<T> {
	/// A new proposal votes with `epoch`'s snapshot: counts it, starting the copy if it is the
	/// first (or if a cleanup of it was queued, cancelling that and copying again).
	pub(crate) fn open_snapshot(epoch: EpochIndex) -> Result<(), Error<T>> {
		let mut info = Snapshots::<T>::get(epoch).unwrap_or_default();
		if info.proposals == 0 {
			Self::cancel_cleanup(CleanupTask::Snapshot(epoch));
			info = SnapshotInfo { voters: T::Hosts::voter_count(epoch), copied: 0, proposals: 0 };
			if !info.complete() {
				Copying::<T>::try_mutate(|queue| {
					if !queue.contains(&epoch) {
						queue.try_push(epoch)?;
					}
					Ok::<_, EpochIndex>(())
				})
				.map_err(|_| Error::<T>::TooManyProposals)?;
			}
		}
		info.proposals = info.proposals.saturating_add(1);
		Snapshots::<T>::insert(epoch, info);
		Ok(())
	}

	/// A proposal voting with `epoch`'s snapshot was decided.
	pub(crate) fn release_snapshot(epoch: EpochIndex) {
		let Some(mut info) = Snapshots::<T>::get(epoch) else { return };
		info.proposals = info.proposals.saturating_sub(1);
		Snapshots::<T>::insert(epoch, info);
		if info.proposals == 0 {
			Copying::<T>::mutate(|queue| queue.retain(|e| *e != epoch));
			Self::queue_cleanup(CleanupTask::Snapshot(epoch));
		}
	}

	/// A host's weight in `epoch`'s snapshot (0 if none).
	pub fn snapshot_weight(epoch: EpochIndex, host: &T::AccountId) -> u64 {
		match Snapshots::<T>::get(epoch) {
			Some(info) if info.complete() => SnapshotWeights::<T>::get(epoch, host).unwrap_or(0),
			Some(_) => T::Hosts::weight(epoch, host),
			None => 0,
		}
	}

	/// Copies up to `MaxCopyPerBlock` weights of the oldest snapshot being copied, within
	/// `meter`.
	pub(crate) fn copy_some(meter: &mut WeightMeter) {
		let Some(&epoch) = Copying::<T>::get().first() else { return };
		let Some(mut info) = Snapshots::<T>::get(epoch) else {
			Copying::<T>::mutate(|queue| queue.retain(|e| *e != epoch));
			return;
		};
		let per_entry =
			T::WeightInfo::copy_snapshot(2).saturating_sub(T::WeightInfo::copy_snapshot(1));
		let base = T::WeightInfo::copy_snapshot(0);
		if !meter.can_consume(base.saturating_add(per_entry)) {
			return;
		}
		let remaining = meter.remaining().saturating_sub(base);
		let affordable = if per_entry.any_gt(Weight::zero()) {
			let by_time =
				remaining.ref_time().checked_div(per_entry.ref_time()).unwrap_or(u64::MAX);
			let by_proof =
				remaining.proof_size().checked_div(per_entry.proof_size()).unwrap_or(u64::MAX);
			by_time.min(by_proof).min(u32::MAX as u64) as u32
		} else {
			u32::MAX
		};
		let batch =
			info.voters.saturating_sub(info.copied).min(T::MaxCopyPerBlock::get()).min(affordable);
		let mut copied = 0;
		while copied < batch {
			match T::Hosts::voter(epoch, info.copied) {
				// Hosts that vote with nothing (weight only in this epoch) need no entry.
				Some((host, weight)) => {
					if weight > 0 {
						SnapshotWeights::<T>::insert(epoch, host, weight);
					}
				},
				None => {
					// The source forgot the epoch before the copy ended (a copy that took longer
					// than an epoch): what was copied is what votes.
					log::error!(
						target: "runtime::governance",
						"weights of epoch {epoch} are gone after {} of {} hosts were copied; \
						 the other hosts cannot vote on its proposals (raise MaxCopyPerBlock)",
						info.copied,
						info.voters,
					);
					info.voters = info.copied;
					break;
				},
			}
			info.copied = info.copied.saturating_add(1);
			copied += 1;
		}
		meter.consume(T::WeightInfo::copy_snapshot(copied));
		if info.complete() {
			Copying::<T>::mutate(|queue| queue.retain(|e| *e != epoch));
		}
		Snapshots::<T>::insert(epoch, info);
	}

	/// Queues `task` (the queue has room: `propose` keeps room for what each open proposal
	/// leaves).
	pub(crate) fn queue_cleanup(task: CleanupTask) {
		let pushed = Cleanup::<T>::mutate(|queue| queue.try_push(task));
		if pushed.is_err() {
			polkadot_sdk::frame_support::defensive!("governance cleanup queue is full");
		}
	}

	/// Drops a queued `task` that is no longer wanted.
	fn cancel_cleanup(task: CleanupTask) {
		Cleanup::<T>::mutate(|queue| {
			if queue.first() == Some(&task) {
				CleanupCursor::<T>::kill();
			}
			queue.retain(|t| *t != task);
		});
	}

	/// Removes up to `MaxCleanupPerBlock` keys of the first cleanup task, within `meter`.
	pub(crate) fn cleanup_some(meter: &mut WeightMeter) {
		let Some(&task) = Cleanup::<T>::get().first() else { return };
		let limit = T::MaxCleanupPerBlock::get();
		if !meter.can_consume(T::WeightInfo::cleanup(limit)) {
			return;
		}
		let cursor = CleanupCursor::<T>::get();
		let cursor = cursor.as_ref().map(|c| c.as_slice());
		let result = match task {
			CleanupTask::Votes(index) => Votes::<T>::clear_prefix(index, limit, cursor),
			CleanupTask::Snapshot(epoch) => {
				SnapshotWeights::<T>::clear_prefix(epoch, limit, cursor)
			},
		};
		meter.consume(T::WeightInfo::cleanup(result.backend));
		match result.maybe_cursor {
			Some(next) => CleanupCursor::<T>::put(BoundedVec::truncate_from(next)),
			None => {
				CleanupCursor::<T>::kill();
				Cleanup::<T>::mutate(|queue| {
					if !queue.is_empty() {
						queue.remove(0);
					}
				});
				if let CleanupTask::Snapshot(epoch) = task {
					Snapshots::<T>::remove(epoch);
				}
			},
		}
	}
}
