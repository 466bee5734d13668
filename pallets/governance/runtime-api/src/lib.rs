//! `GovernanceApi`: the governance pallet as clients read it — open proposals with their tallies
//! and what an account votes with — without knowing storage keys.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_governance::{
	Outcome, ProposalIndex, ProposalStatus, ProposalSummary, Tally, Vote, VoteRules, VotingPower,
};

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Proposals, tallies and voting power.
	pub trait GovernanceApi<AccountId, Balance, BlockNumber, Hash>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
		Hash: Codec,
	{
		/// Every open proposal (voting, or approved and awaiting enactment) by number, with its
		/// tally and the outcome if the vote ended now.
		fn proposals() -> Vec<ProposalSummary<AccountId, Balance, BlockNumber, Hash>>;
		/// What `who` (a host or its worker key) votes with on proposal `index`, or with
		/// `None`, on a proposal opened now. `None` when it has no voting power.
		fn voting_power(who: AccountId, index: Option<ProposalIndex>) -> Option<VotingPower<AccountId>>;
	}
}
