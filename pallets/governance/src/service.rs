//! The per-block service: deciding votes that ended, enacting approved calls, copying snapshots
//! and cleaning up, all within [`Config::ServiceWeight`].
//!
//! Block `n` moves the proposals of `Agenda(n)` to the back of `Due`; `Due` is worked through in
//! order while the block's service weight has room. A vote is decided (deposit returned or sent
//! to the treasury, outcome in [`Event::Decided`]); an approved call waits `enactment_delay`
//! blocks in the agenda, then is dispatched as Root ([`Event::Enacted`] with its result). A call
//! too heavy for what is left of a block waits for the next block — `propose` refuses calls that
//! would not fit an empty one, and a call that no longer fits an empty one (a runtime upgrade
//! changed its weight) is dropped with [`Event::EnactmentDropped`] instead of blocking the queue.

use polkadot_sdk::{
	frame_support::{
		dispatch::{extract_actual_weight, GetDispatchInfo},
		pallet_prelude::*,
		traits::{
			fungible::MutateHold,
			tokens::{Fortitude, Precision, Restriction},
			QueryPreimage,
		},
		weights::WeightMeter,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::{Dispatchable, Saturating, Zero},
};

use crate::{pallet::*, types::*, ProposalInfoOf, WeightInfo};

impl<T: Config> Pallet<T> {
	/// `on_initialize`: returns the weight used.
	pub(crate) fn service(now: BlockNumberFor<T>) -> Weight {
		let mut meter = WeightMeter::with_limit(T::ServiceWeight::get());
		meter.consume(T::WeightInfo::service_base());
		let arrived = Agenda::<T>::take(now);
		if !arrived.is_empty() {
			Due::<T>::mutate(|due| {
				for index in arrived {
					if due.try_push(index).is_err() {
						polkadot_sdk::frame_support::defensive!("governance due queue is full");
					}
				}
			});
		}
		Self::work_due(now, &mut meter);
		Self::copy_some(&mut meter);
		Self::cleanup_some(&mut meter);
		meter.consumed()
	}

	/// Decides and enacts due proposals, in order, while `meter` has room.
	fn work_due(now: BlockNumberFor<T>, meter: &mut WeightMeter) {
		let due = Due::<T>::get();
		if due.is_empty() {
			return;
		}
		let mut done = 0;
		for &index in due.iter() {
			let Some(proposal) = Proposals::<T>::get(index) else {
				done += 1;
				continue;
			};
			let finished = match proposal.status {
				ProposalStatus::Voting { .. } => {
					if !meter.can_consume(T::WeightInfo::decide()) {
						break;
					}
					meter.consume(T::WeightInfo::decide());
					match Self::decide(now, index, proposal) {
						Some(approved) => Self::enact(index, &approved, meter).is_some(),
						None => true,
					}
				},
				ProposalStatus::Approved { .. } => match Self::enact(index, &proposal, meter) {
					Some(()) => true,
					None => break,
				},
			};
			if !finished {
				break;
			}
			done += 1;
		}
		if done > 0 {
			let rest = due.into_inner().split_off(done);
			Due::<T>::put(BoundedVec::truncate_from(rest));
		}
	}

	/// Decides a vote that ended. Returns the proposal if it is approved with no enactment delay:
	/// it stays at the head of `Due` and is enacted now, or in the next block with room.
	pub(crate) fn decide(
		now: BlockNumberFor<T>,
		index: ProposalIndex,
		mut proposal: ProposalInfoOf<T>,
	) -> Option<ProposalInfoOf<T>> {
		let outcome = proposal.tally.outcome(&proposal.rules, proposal.total_weight);
		let delay = Params::<T>::get().enactment_delay;
		let enact_at = (outcome == Outcome::Approved).then(|| now.saturating_add(delay));
		Self::deposit_event(Event::Decided {
			index,
			outcome,
			tally: proposal.tally,
			total_weight: proposal.total_weight,
			enact_at,
		});
		Self::settle_deposit(index, &proposal, outcome == Outcome::Vetoed);
		Self::release_snapshot(proposal.epoch);
		Self::queue_cleanup(CleanupTask::Votes(index));
		match enact_at {
			Some(at) => {
				proposal.status = ProposalStatus::Approved { at };
				Proposals::<T>::insert(index, &proposal);
				if delay.is_zero() {
					return Some(proposal);
				}
				if Agenda::<T>::try_mutate(at, |agenda| agenda.try_push(index)).is_err() {
					polkadot_sdk::frame_support::defensive!("governance agenda is full");
				}
				None
			},
			None => {
				Self::close(index, &proposal);
				None
			},
		}
	}

	/// Returns the deposit, or sends it to the treasury when `vetoed`.
	fn settle_deposit(index: ProposalIndex, proposal: &ProposalInfoOf<T>, vetoed: bool) {
		let reason = HoldReason::ProposalDeposit.into();
		let who = proposal.proposer.clone();
		let amount = proposal.deposit;
		if vetoed {
			let moved = T::Currency::transfer_on_hold(
				&reason,
				&who,
				&T::Treasury::get(),
				amount,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_default();
			Self::deposit_event(Event::DepositToTreasury { index, who, amount: moved });
		} else {
			let returned = T::Currency::release(&reason, &who, amount, Precision::BestEffort)
				.unwrap_or_default();
			Self::deposit_event(Event::DepositReturned { index, who, amount: returned });
		}
	}

	/// Dispatches an approved call as Root if `meter` has room for it. `None`: no room; the
	/// proposal stays at the head of `Due`.
	pub(crate) fn enact(
		index: ProposalIndex,
		proposal: &ProposalInfoOf<T>,
		meter: &mut WeightMeter,
	) -> Option<()> {
		let result = match Self::decode_call(&proposal.call) {
			Ok(call) => {
				let info = call.get_dispatch_info();
				let needed = T::WeightInfo::enact().saturating_add(info.call_weight);
				if !meter.can_consume(needed) {
					// Would it fit an empty block? If not it never will: drop it rather than
					// block every proposal behind it.
					let empty = T::WeightInfo::service_base()
						.saturating_add(T::WeightInfo::decide())
						.saturating_add(needed);
					if empty.all_lte(T::ServiceWeight::get()) {
						return None;
					}
					meter.consume(T::WeightInfo::enact().min(meter.remaining()));
					log::warn!(
						target: "runtime::governance",
						"proposal {index} was approved but its call now declares {:?}, more than \
						 a block's service weight leaves: dropped",
						info.call_weight,
					);
					Self::deposit_event(Event::EnactmentDropped {
						index,
						call_hash: proposal.call_hash,
						call_weight: info.call_weight,
					});
					Self::close(index, proposal);
					return Some(());
				}
				meter.consume(T::WeightInfo::enact());
				let outcome = call.dispatch(frame_system::RawOrigin::Root.into());
				meter.consume(extract_actual_weight(&outcome, &info));
				outcome.map(|_| ()).map_err(|e| e.error)
			},
			// The preimage was requested when the proposal opened, so it is still there; a
			// runtime upgrade may have made the bytes undecodable.
			Err(e) => {
				meter.consume(T::WeightInfo::enact());
				Err(DispatchError::from(e))
			},
		};
		if let Err(error) = result {
			log::warn!(
				target: "runtime::governance",
				"proposal {index} was approved but its call failed: {error:?}",
			);
		}
		Self::deposit_event(Event::Enacted { index, call_hash: proposal.call_hash, result });
		Self::close(index, proposal);
		Some(())
	}

	/// Forgets a decided proposal (its votes are queued for cleanup).
	fn close(index: ProposalIndex, proposal: &ProposalInfoOf<T>) {
		T::Preimages::drop(&proposal.call);
		OpenPerHost::<T>::mutate_exists(&proposal.host, |n| {
			*n = n.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
		ProposalOfCall::<T>::remove(proposal.call_hash);
		Proposals::<T>::remove(index);
	}
}
