//! Opening proposals and voting on them.

use alloc::borrow::Cow;
use codec::DecodeLimit;
use polkadot_sdk::{
	frame_support::{
		dispatch::GetDispatchInfo,
		pallet_prelude::*,
		traits::{fungible::MutateHold, Bounded, QueryPreimage},
	},
	frame_system,
	sp_runtime::traits::Saturating,
};

use crate::{pallet::*, types::*, BoundedCallOf, HostWeights, ProposalInfoOf};

/// How deep a proposal's call may nest calls (as extrinsics: `MAX_EXTRINSIC_DEPTH`).
const MAX_CALL_DEPTH: u32 = 256;

impl<T: Config> Pallet<T> {
	/// `propose`: checks everything, then holds the deposit and opens the proposal.
	pub(crate) fn do_propose(who: T::AccountId, call: BoundedCallOf<T>) -> DispatchResult {
		let epoch = T::Hosts::current_epoch();
		let host = T::Hosts::host_of(&who).ok_or(Error::<T>::NotAHost)?;
		ensure!(T::Hosts::weight(epoch, &host) > 0, Error::<T>::NoVotingPower);
		ensure!(
			OpenPerHost::<T>::get(&host) < T::MaxOpenPerHost::get(),
			Error::<T>::TooManyOpenProposals
		);

		// Room: open proposals, and room in the cleanup queue for what each will leave.
		let open = Proposals::<T>::count().saturating_add(1);
		ensure!(open <= T::MaxProposals::get(), Error::<T>::TooManyProposals);
		let queued = Cleanup::<T>::decode_len().unwrap_or(0) as u32;
		ensure!(
			queued.saturating_add(open.saturating_mul(2)) <= CleanupBound::<T>::get(),
			Error::<T>::TooManyProposals
		);

		let runtime_call = Self::decode_call(&call)?;
		let info = runtime_call.get_dispatch_info();
		ensure!(info.call_weight.all_lte(T::MaxCallWeight::get()), Error::<T>::CallTooHeavy);
		let call_hash = call.hash();
		ensure!(!ProposalOfCall::<T>::contains_key(call_hash), Error::<T>::DuplicateProposal);

		let params = Params::<T>::get();
		let deposit = params.proposal_deposit;
		T::Currency::hold(&HoldReason::ProposalDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		T::Preimages::hold(&call);

		let now = frame_system::Pallet::<T>::block_number();
		let end = now.saturating_add(params.voting_period);
		let index = ProposalCount::<T>::get();
		Agenda::<T>::try_mutate(end, |agenda| agenda.try_push(index))
			.map_err(|_| Error::<T>::TooManyProposals)?;
		ProposalCount::<T>::put(index.saturating_add(1));
		let total_weight = T::Hosts::total_weight(epoch);
		Self::open_snapshot(epoch)?;
		Proposals::<T>::insert(
			index,
			ProposalInfoOf::<T> {
				proposer: who.clone(),
				host: host.clone(),
				call,
				call_hash,
				deposit,
				epoch,
				total_weight,
				power_cap: params.max_host_share.mul_ceil(total_weight),
				rules: params.rules,
				tally: Tally::default(),
				status: ProposalStatus::Voting { end },
			},
		);
		ProposalOfCall::<T>::insert(call_hash, index);
		OpenPerHost::<T>::mutate(&host, |n| *n = n.saturating_add(1));
		Self::deposit_event(Event::Proposed {
			index,
			proposer: who,
			host,
			call_hash,
			deposit,
			epoch,
			end,
		});
		Ok(())
	}

	/// The runtime call a proposal carries, checked against the size bound.
	pub(crate) fn decode_call(
		call: &BoundedCallOf<T>,
	) -> Result<<T as Config>::RuntimeCall, Error<T>> {
		let bytes: Cow<[u8]> = match call {
			Bounded::Inline(data) => Cow::Borrowed(&data[..]),
			Bounded::Lookup { hash, len } => {
				ensure!(*len <= T::MaxCallSize::get(), Error::<T>::CallTooLarge);
				T::Preimages::fetch(hash, Some(*len)).map_err(|_| Error::<T>::PreimageMissing)?
			},
			Bounded::Legacy { .. } => return Err(Error::<T>::LegacyCall),
		};
		<T as Config>::RuntimeCall::decode_all_with_depth_limit(MAX_CALL_DEPTH, &mut &bytes[..])
			.map_err(|_| Error::<T>::CallUndecodable)
	}

	/// `vote`: counts (or recounts) the host's capped snapshot weight.
	pub(crate) fn do_vote(who: T::AccountId, index: ProposalIndex, vote: Vote) -> DispatchResult {
		let mut proposal = Proposals::<T>::get(index).ok_or_else(|| {
			// Numbers below the count were proposals once: decided and closed.
			if index < ProposalCount::<T>::get() {
				Error::<T>::VotingClosed
			} else {
				Error::<T>::UnknownProposal
			}
		})?;
		let now = frame_system::Pallet::<T>::block_number();
		match proposal.status {
			ProposalStatus::Voting { end } if now < end => {},
			_ => return Err(Error::<T>::VotingClosed.into()),
		}
		let (host, weight) = Self::voter_weight(proposal.epoch, &who)?;
		let power = weight.min(proposal.power_cap);
		let previous = Votes::<T>::get(index, &host);
		match previous {
			Some((old, old_power)) => proposal.tally.remove(old, old_power),
			None => {
				ensure!(proposal.tally.voters < T::MaxVoters::get(), Error::<T>::TooManyVotes);
				proposal.tally.voters = proposal.tally.voters.saturating_add(1);
			},
		}
		proposal.tally.add(vote, power);
		Votes::<T>::insert(index, &host, (vote, power));
		Proposals::<T>::insert(index, proposal);
		Self::deposit_event(Event::Voted {
			index,
			host,
			signer: who,
			vote,
			power,
			previous: previous.map(|(v, _)| v),
		});
		Ok(())
	}

	/// The host `who` votes for in `epoch`'s snapshot, and its (uncapped) weight: `who` itself
	/// if it had weight (even if it unregistered since), else the host of its worker key.
	pub(crate) fn voter_weight(
		epoch: EpochIndex,
		who: &T::AccountId,
	) -> Result<(T::AccountId, u64), Error<T>> {
		let own = Self::snapshot_weight(epoch, who);
		if own > 0 {
			return Ok((who.clone(), own));
		}
		let host = T::Hosts::host_of(who).ok_or(Error::<T>::NotAHost)?;
		let weight = Self::snapshot_weight(epoch, &host);
		ensure!(weight > 0, Error::<T>::NoVotingPower);
		Ok((host, weight))
	}
}
