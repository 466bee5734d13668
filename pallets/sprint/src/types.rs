//! Types stored on chain.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use gonka_primitives::ModelConfig;
use polkadot_sdk::{
	frame_support::{pallet_prelude::ConstU32, BoundedVec},
	sp_runtime::Perbill,
};
use scale_info::TypeInfo;

/// An epoch number, counted from 0 at genesis.
pub type EpochIndex = u32;

/// The most bytes of a host's endpoint URL.
pub const MAX_ENDPOINT_LEN: u32 = 256;

/// A host's public endpoint: an `http://` or `https://` URL of at most [`MAX_ENDPOINT_LEN`]
/// bytes, printable ASCII without spaces.
pub type Endpoint = BoundedVec<u8, ConstU32<MAX_ENDPOINT_LEN>>;

/// A Merkle root (PROTOCOL §5).
pub type Root = [u8; 32];

/// The protocol's parameters, in one value changed only by Root (`set_params`), taking effect at
/// the next epoch. Lengths are in blocks.
#[derive(
	serde::Serialize,
	serde::Deserialize,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SprintParams<Balance> {
	/// Blocks per epoch.
	pub epoch_length: u32,
	/// Blocks of the Sprint, from the epoch's first block.
	pub sprint_length: u32,
	/// Blocks after the Sprint in which commitments are accepted.
	pub commit_grace: u32,
	/// Blocks of the Validation phase, after the Commit phase.
	pub validation_length: u32,
	/// Validators per committed host (everyone when there are fewer).
	pub committee_size: u32,
	/// Leaves each validator samples per host.
	pub sample_size: u32,
	/// The most leaves one commitment may declare.
	pub max_count: u64,
	/// Share of a committee's weight that must vote valid (or invalid, to slash).
	pub accept_threshold: Perbill,
	/// Share of the bond a host found fraudulent loses.
	pub fraud_slash: Perbill,
	/// Balance a host reserves to register. A change applies to registrations from the next
	/// epoch on; registered hosts keep the bond they hold (their `HostInfo::bond`), and that is
	/// what a fraud slash takes its share of and what unregistering returns.
	pub host_bond: Balance,
	/// The Sprint's model (PROTOCOL §4).
	pub model: ModelConfig,
}

/// `PROTOCOL.md`'s mainnet defaults: one-day epochs of 6 s blocks, a 5-minute Sprint, 2 minutes
/// to commit, 1 hour of validation, committees of 16, samples of 200, acceptance at 2/3, half
/// the bond slashed for fraud, the `h100` model. The bond has no default (0): genesis sets it.
impl<Balance: Default> Default for SprintParams<Balance> {
	fn default() -> Self {
		Self {
			epoch_length: 14_400,
			sprint_length: 50,
			commit_grace: 20,
			validation_length: 600,
			committee_size: 16,
			sample_size: 200,
			max_count: MAX_LEAVES,
			accept_threshold: Perbill::from_rational(2u32, 3u32),
			fraud_slash: Perbill::from_percent(50),
			host_bond: Balance::default(),
			model: ModelConfig::h100(),
		}
	}
}

/// The most leaves a commitment may declare (the kernels' Merkle limit, 2^24).
pub const MAX_LEAVES: u64 = 1 << 24;

impl<Balance> SprintParams<Balance> {
	/// Offset of the first block after the Commit phase.
	pub fn commit_end(&self) -> u32 {
		self.sprint_length.saturating_add(self.commit_grace)
	}

	/// Offset of the first block after the Validation phase (the settlement block).
	pub fn validation_end(&self) -> u32 {
		self.commit_end().saturating_add(self.validation_length)
	}

	/// The phase of the block at `offset` from the epoch's first block.
	pub fn phase_at(&self, offset: u32) -> Phase {
		if offset < self.sprint_length {
			Phase::Sprint
		} else if offset < self.commit_end() {
			Phase::Commit
		} else if offset < self.validation_end() {
			Phase::Validation
		} else {
			Phase::Settlement
		}
	}
}

/// The phases of an epoch (PROTOCOL §2).
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
pub enum Phase {
	/// Workers compute nonces.
	Sprint,
	/// Hosts submit `commit`.
	Commit,
	/// Validators sample, fetch, re-compute and vote.
	Validation,
	/// Verdicts are tallied (from the first block after Validation to the epoch's end).
	Settlement,
}

/// Where the chain is in the protocol's clock (`SprintApi::epoch_info`). Blocks are absolute.
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
pub struct EpochInfo<BlockNumber> {
	pub epoch: EpochIndex,
	/// The phase of the current block.
	pub phase: Phase,
	/// The current block.
	pub block: BlockNumber,
	/// The epoch's first block (its Sprint's first block).
	pub start: BlockNumber,
	/// First block of the Commit phase.
	pub commit_start: BlockNumber,
	/// First block of the Validation phase.
	pub validation_start: BlockNumber,
	/// First block of settlement.
	pub settlement_start: BlockNumber,
	/// First block of the next epoch (with the current `epoch_length`).
	pub next_epoch_start: BlockNumber,
}

/// A registered host.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct HostInfo<AccountId, Balance> {
	/// Where its worker serves proofs and inference.
	pub endpoint: Endpoint,
	/// The key that signs the host's Sprint extrinsics.
	pub worker_key: AccountId,
	/// The bond held from the host account.
	pub bond: Balance,
	/// Its last accepted weight (for the expected-weight denominator, §8). The weight of each
	/// epoch is in the `Weights` map.
	pub last_weight: u64,
	/// Epochs missed in a row.
	pub missed: u32,
	/// The epoch it registered in.
	pub since: EpochIndex,
}

/// A host's commitment for an epoch.
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
pub struct Commitment {
	/// Merkle root of the hits.
	pub root: Root,
	/// Number of leaves.
	pub count: u64,
}

/// A validator's judgement of a host's commitment (PROTOCOL §6).
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
pub enum Verdict {
	/// The sample checked out.
	Valid,
	/// Too many mismatches, or the host did not answer.
	Invalid,
}

/// The votes on one host's commitment so far, by committee weight.
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
	/// Weight of the members that voted valid.
	pub valid: u64,
	/// Weight of the members that voted invalid.
	pub invalid: u64,
	/// Members that voted.
	pub votes: u32,
}

/// Counts of an epoch's settlement so far.
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
pub struct SettlementStatsRecord {
	pub accepted: u32,
	pub rejected: u32,
	pub slashed: u32,
	/// Registered hosts that did not commit.
	pub silent: u32,
	/// Silent hosts deregistered for missing more than `MaxMissedEpochs` epochs.
	pub deregistered: u32,
	/// The reward denominator `D(e)` summed so far (PROTOCOL §8).
	pub expected: u64,
}

/// A bond waiting to be released: the host unregistered and may withdraw after `unlock_epoch`
/// began.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Unbonding<Balance> {
	pub amount: Balance,
	pub unlock_epoch: EpochIndex,
}

/// Whether `endpoint` is an acceptable URL: `http://` or `https://`, a non-empty host part, only
/// printable ASCII without spaces.
pub fn is_valid_endpoint(endpoint: &[u8]) -> bool {
	let rest = if let Some(r) = endpoint.strip_prefix(b"https://") {
		r
	} else if let Some(r) = endpoint.strip_prefix(b"http://") {
		r
	} else {
		return false;
	};
	let host_end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
	host_end > 0 && rest.iter().all(|&b| b.is_ascii_graphic())
}
