//! Types stored on chain and returned by the runtime API.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_runtime::{PerThing, Perbill};
use scale_info::TypeInfo;

/// A proposal's number, counted from 0.
pub type ProposalIndex = u32;

/// An epoch number (the sprint pallet's `EpochIndex`).
pub type EpochIndex = u32;

/// A host's vote (PROTOCOL §9).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Vote {
	/// For the proposal.
	Aye,
	/// Against it.
	Nay,
	/// Counts toward the quorum only.
	Abstain,
	/// Against it, and the proposal is harmful: vetoes of a third of the turnout reject it and
	/// burn the proposer's deposit into the treasury.
	Veto,
}

/// The sums of the (capped) voting power behind each vote.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Tally {
	/// Power voting aye.
	pub ayes: u64,
	/// Power voting nay.
	pub nays: u64,
	/// Power abstaining.
	pub abstains: u64,
	/// Power vetoing.
	pub vetoes: u64,
	/// Hosts that voted.
	pub voters: u32,
}

impl Tally {
	/// Adds `power` behind `vote`.
	pub fn add(&mut self, vote: Vote, power: u64) {
		let slot = self.slot(vote);
		*slot = slot.saturating_add(power);
	}

	/// Takes back `power` behind `vote` (a changed vote).
	pub fn remove(&mut self, vote: Vote, power: u64) {
		let slot = self.slot(vote);
		*slot = slot.saturating_sub(power);
	}

	fn slot(&mut self, vote: Vote) -> &mut u64 {
		match vote {
			Vote::Aye => &mut self.ayes,
			Vote::Nay => &mut self.nays,
			Vote::Abstain => &mut self.abstains,
			Vote::Veto => &mut self.vetoes,
		}
	}

	/// All power that voted, abstentions included.
	pub fn turnout(&self) -> u64 {
		self.ayes
			.saturating_add(self.nays)
			.saturating_add(self.abstains)
			.saturating_add(self.vetoes)
	}

	/// The outcome under `rules` with `total` the snapshot's total weight (PROTOCOL §9): turnout
	/// at least `quorum` of the total, vetoes below `veto` of the turnout, ayes above `approval`
	/// of the votes that did not abstain (vetoes count against). Exact integer comparisons.
	pub fn outcome(&self, rules: &VoteRules, total: u64) -> Outcome {
		if self.voters == 0 {
			return Outcome::Expired;
		}
		let turnout = self.turnout() as u128;
		let parts = |p: Perbill| p.deconstruct() as u128;
		let billion = <Perbill as PerThing>::ACCURACY as u128;
		if turnout * billion < parts(rules.quorum) * total as u128 {
			return Outcome::NoQuorum;
		}
		if self.vetoes as u128 * billion >= parts(rules.veto) * turnout {
			return Outcome::Vetoed;
		}
		let deciding = self.ayes as u128 + self.nays as u128 + self.vetoes as u128;
		if self.ayes as u128 * billion > parts(rules.approval) * deciding {
			Outcome::Approved
		} else {
			Outcome::NotApproved
		}
	}
}

/// How a vote ended.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum Outcome {
	/// Quorum, approval and no veto: the call is enacted.
	Approved,
	/// Turnout below the quorum.
	NoQuorum,
	/// Ayes not above the approval share of the deciding votes.
	NotApproved,
	/// Vetoes of at least the veto share of the turnout: the deposit goes to the treasury.
	Vetoed,
	/// Nobody voted.
	Expired,
}

/// The thresholds a proposal is judged by, fixed when it opens.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoteRules {
	/// Share of the snapshot's total weight that must vote (abstaining counts).
	pub quorum: Perbill,
	/// Share of the non-abstaining votes the ayes must exceed.
	pub approval: Perbill,
	/// Share of the turnout at which vetoes reject the proposal.
	pub veto: Perbill,
}

/// Governance's own parameters, changed only by Root (itself a passed proposal); a change
/// applies to proposals opened afterwards. Lengths are in blocks.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GovernanceParams<Balance, BlockNumber> {
	/// Blocks a proposal is open for votes.
	pub voting_period: BlockNumber,
	/// Blocks between approval and enactment (0: enacted in the block the vote ends).
	pub enactment_delay: BlockNumber,
	/// Balance held from the proposer while the proposal is open; returned unless vetoed.
	pub proposal_deposit: Balance,
	/// The thresholds.
	pub rules: VoteRules,
	/// The largest share of the snapshot's total weight one host votes with.
	pub max_host_share: Perbill,
}

impl<Balance: Default, BlockNumber: From<u32>> Default for GovernanceParams<Balance, BlockNumber> {
	/// PROTOCOL §9's mainnet values: two days of 6 s blocks, quorum 25 %, approval above 50 %,
	/// veto at 33.4 %, no host above 30 %, enactment one day after approval (so holders can
	/// react to an upgrade). The deposit (500 GNK) is set by genesis, since this type does not
	/// know the token's decimals.
	fn default() -> Self {
		Self {
			voting_period: 28_800u32.into(),
			enactment_delay: 14_400u32.into(),
			proposal_deposit: Balance::default(),
			rules: VoteRules {
				quorum: Perbill::from_percent(25),
				approval: Perbill::from_percent(50),
				veto: Perbill::from_parts(334_000_000),
			},
			max_host_share: Perbill::from_percent(30),
		}
	}
}

/// The bounds of the parameters counted in blocks (PROTOCOL §11: a vote of 1 hour to 30 days,
/// enactment at most 7 days after approval). Blocks stand for different times on different
/// chains (6 s on a live chain, 1 s on a dev chain), so they are fixed at genesis, not by the
/// runtime; no call changes them (a runtime upgrade with a migration could).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeriodLimits<BlockNumber> {
	/// The shortest voting period.
	pub min_voting_period: BlockNumber,
	/// The longest voting period.
	pub max_voting_period: BlockNumber,
	/// The longest enactment delay.
	pub max_enactment_delay: BlockNumber,
}

impl<BlockNumber: From<u32>> Default for PeriodLimits<BlockNumber> {
	/// PROTOCOL §11 in 6-second blocks: 1 hour, 30 days, 7 days.
	fn default() -> Self {
		Self {
			min_voting_period: 600u32.into(),
			max_voting_period: 432_000u32.into(),
			max_enactment_delay: 100_800u32.into(),
		}
	}
}

/// The bounds of PROTOCOL §11 on the shares, in parts per billion (inclusive).
pub mod bounds {
	use polkadot_sdk::sp_runtime::Perbill;

	/// Quorum: 10 % to 50 % of the snapshot's weight.
	pub const QUORUM: (Perbill, Perbill) = (Perbill::from_percent(10), Perbill::from_percent(50));
	/// Approval: the ayes must exceed 50 % to 75 % of the deciding votes (100 % would pass
	/// nothing, ever).
	pub const APPROVAL: (Perbill, Perbill) = (Perbill::from_percent(50), Perbill::from_percent(75));
	/// Veto: 20 % to 50 % of the turnout (0 % would veto everything).
	pub const VETO: (Perbill, Perbill) = (Perbill::from_percent(20), Perbill::from_percent(50));
	/// The largest share one host votes with: 10 % to 50 % (above half, one host decides).
	pub const HOST_SHARE: (Perbill, Perbill) =
		(Perbill::from_percent(10), Perbill::from_percent(50));
}

/// Where a proposal stands.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ProposalStatus<BlockNumber> {
	/// Open for votes until (excluding) block `end`, when it is decided.
	Voting {
		/// The block the vote is decided in.
		end: BlockNumber,
	},
	/// Approved; its call is dispatched in block `at` (or the first block after with room).
	Approved {
		/// The block of enactment.
		at: BlockNumber,
	},
}

/// An open proposal.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ProposalInfo<AccountId, Balance, BlockNumber, Call, Hash> {
	/// The signer, whose deposit is held.
	pub proposer: AccountId,
	/// The host the proposer signs for.
	pub host: AccountId,
	/// The call, inline or by preimage hash.
	pub call: Call,
	/// The hash of the encoded call.
	pub call_hash: Hash,
	/// The deposit held.
	pub deposit: Balance,
	/// The epoch whose weights vote.
	pub epoch: EpochIndex,
	/// The snapshot's total weight.
	pub total_weight: u64,
	/// The most power one host votes with (`max_host_share` of `total_weight`, rounded up).
	pub power_cap: u64,
	/// The thresholds.
	pub rules: VoteRules,
	/// The votes so far.
	pub tally: Tally,
	/// Where it stands.
	pub status: ProposalStatus<BlockNumber>,
}

/// The weights of one epoch as governance keeps them for its proposals: copied from the sprint
/// pallet a bounded number per block after the first proposal of the epoch opens, so votes keep
/// their snapshot after the sprint pallet forgets the epoch.
#[derive(Clone, Copy, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct SnapshotInfo {
	/// Hosts with weight in the epoch.
	pub voters: u32,
	/// How many of them are copied so far (in the source's order).
	pub copied: u32,
	/// Open proposals voting with this snapshot.
	pub proposals: u32,
}

impl SnapshotInfo {
	/// Whether every host's weight is copied.
	pub fn complete(&self) -> bool {
		self.copied >= self.voters
	}
}

/// Storage to forget, a bounded number of keys per block.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum CleanupTask {
	/// The votes of a decided proposal.
	Votes(ProposalIndex),
	/// The snapshot of an epoch no open proposal uses.
	Snapshot(EpochIndex),
}

/// An open proposal as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProposalSummary<AccountId, Balance, BlockNumber, Hash> {
	/// Its number.
	pub index: ProposalIndex,
	/// The signer, whose deposit is held.
	pub proposer: AccountId,
	/// The host the proposer signs for.
	pub host: AccountId,
	/// The hash of the encoded call.
	pub call_hash: Hash,
	/// The call's encoded length when it is held as a preimage (`None`: inline).
	pub preimage_len: Option<u32>,
	/// The deposit held.
	pub deposit: Balance,
	/// The epoch whose weights vote.
	pub epoch: EpochIndex,
	/// The snapshot's total weight.
	pub total_weight: u64,
	/// The most power one host votes with.
	pub power_cap: u64,
	/// The thresholds.
	pub rules: VoteRules,
	/// The votes so far.
	pub tally: Tally,
	/// The outcome if the vote ended now.
	pub outcome_now: Outcome,
	/// Where it stands.
	pub status: ProposalStatus<BlockNumber>,
}

/// What one account votes with on one proposal (runtime API).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct VotingPower<AccountId> {
	/// The host whose weight votes (the account itself, or the host of its worker key).
	pub host: AccountId,
	/// The host's weight in the snapshot epoch.
	pub weight: u64,
	/// The power it votes with: `weight` capped at the proposal's `power_cap`.
	pub power: u64,
	/// Its current vote, if any.
	pub vote: Option<Vote>,
}
