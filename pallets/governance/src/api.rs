//! What the runtime API returns.

use alloc::vec::Vec;

use crate::{pallet::*, types::*, HostWeights, ProposalSummaryOf};

impl<T: Config> Pallet<T> {
	/// The open proposals, by number, with their tallies.
	pub fn proposals() -> Vec<ProposalSummaryOf<T>> {
		let mut list: Vec<_> = Proposals::<T>::iter()
			.map(|(index, p)| ProposalSummaryOf::<T> {
				index,
				proposer: p.proposer,
				host: p.host,
				call_hash: p.call_hash,
				preimage_len: p.call.lookup_len(),
				deposit: p.deposit,
				epoch: p.epoch,
				total_weight: p.total_weight,
				power_cap: p.power_cap,
				rules: p.rules,
				tally: p.tally,
				outcome_now: p.tally.outcome(&p.rules, p.total_weight),
				status: p.status,
			})
			.collect();
		list.sort_by_key(|p| p.index);
		list
	}

	/// What `who` votes with: on proposal `index` (its snapshot, capped), or with no proposal,
	/// what a proposal opened now would give it. `None`: no voting power.
	pub fn voting_power(
		who: T::AccountId,
		index: Option<ProposalIndex>,
	) -> Option<VotingPower<T::AccountId>> {
		match index {
			Some(index) => {
				let proposal = Proposals::<T>::get(index)?;
				let (host, weight) = Self::voter_weight(proposal.epoch, &who).ok()?;
				let vote = Votes::<T>::get(index, &host).map(|(v, _)| v);
				Some(VotingPower { power: weight.min(proposal.power_cap), host, weight, vote })
			},
			None => {
				let epoch = T::Hosts::current_epoch();
				let host = T::Hosts::host_of(&who)?;
				let weight = T::Hosts::weight(epoch, &host);
				if weight == 0 {
					return None;
				}
				let cap = Params::<T>::get().max_host_share.mul_ceil(T::Hosts::total_weight(epoch));
				Some(VotingPower { power: weight.min(cap), host, weight, vote: None })
			},
		}
	}
}
