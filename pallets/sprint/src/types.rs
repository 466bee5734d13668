//! Types stored on chain.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use gonka_primitives::ModelConfig;
use polkadot_sdk::{
	frame_support::{pallet_prelude::ConstU32, BoundedVec},
	sp_runtime::{PerThing, Perbill},
};
use scale_info::TypeInfo;

pub use gonka_primitives::{
	is_valid_endpoint, EpochIndex, Verdict, HIT_TOLERANCE_UNIT, MAX_LEAVES,
};

/// The most bytes of a host's endpoint URL.
pub const MAX_ENDPOINT_LEN: u32 = gonka_primitives::endpoint::MAX_ENDPOINT_LEN as u32;

/// A host's public endpoint: `http(s)://host[:port]` with no user info, path, query or fragment
/// (PROTOCOL §1, [`gonka_primitives::parse_endpoint`]), at most [`MAX_ENDPOINT_LEN`] bytes.
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
	/// Blocks of the Validation phase, after the seed gap: validators judge and commit the
	/// hashes of their verdicts (`commit_verdicts`).
	pub validation_length: u32,
	/// Blocks of the Reveal phase, after Validation: validators reveal their verdicts, check
	/// bits and salts (`reveal_verdicts`).
	pub reveal_length: u32,
	/// Seats per committed host (PROTOCOL §6): drawn with replacement by weight, one vote each.
	/// Between [`MIN_COMMITTEE_SIZE`] and the runtime's `MaxCommitteeSize`.
	pub committee_size: u32,
	/// Leaves each validator samples per host.
	pub sample_size: u32,
	/// The most leaves one commitment may declare.
	pub max_count: u64,
	/// Share of all seats that must vote `Valid` to accept (or `Invalid`, to slash): strictly
	/// more than this. Between 1/2 and 9/10.
	pub accept_threshold: Perbill,
	/// Share of the bond a host found fraudulent loses.
	pub fraud_slash: Perbill,
	/// Balance a host reserves to register. A change applies to registrations from the next
	/// epoch on; registered hosts keep the bond they hold (their `HostInfo::bond`), and that is
	/// what a fraud slash takes its share of and what unregistering returns.
	pub host_bond: Balance,
	/// The Sprint's model (PROTOCOL §4).
	pub model: ModelConfig,
	/// The hit tolerance `ε` in billionths of a unit of distance ([`HIT_TOLERANCE_UNIT`]): a
	/// validator counts a sampled leaf as a mismatch when its f32 distance is not below
	/// `r_target + ε` (PROTOCOL §4.5). In (0, [`MAX_HIT_TOLERANCE`]].
	pub hit_tolerance: u32,
	/// A validator whose check bits disagree with the majority of the other revealed
	/// validators on more than this many shared pool positions of a host is lazy on it: its
	/// verdict is dropped and its seats count as missed (PROTOCOL §6). At most
	/// [`MAX_LAZY_TOLERANCE`].
	pub lazy_tolerance: u32,
}

/// `PROTOCOL.md`'s mainnet defaults: one-day epochs of 6 s blocks, a 5-minute Sprint, 1 minute
/// to commit, 1 hour of validation, 10 minutes to reveal, 32 seats, samples of 200, acceptance at
/// 2/3, half the bond slashed for fraud, the `h100` model, `ε` = 1e-5, 2 disagreements tolerated.
/// The bond has no default (0): genesis sets it.
impl<Balance: Default> Default for SprintParams<Balance> {
	fn default() -> Self {
		Self {
			epoch_length: 14_400,
			sprint_length: 50,
			commit_grace: 10,
			validation_length: 600,
			reveal_length: 100,
			committee_size: 32,
			sample_size: 200,
			max_count: MAX_LEAVES,
			accept_threshold: Perbill::from_rational(2u32, 3u32),
			fraud_slash: Perbill::from_percent(50),
			host_bond: Balance::default(),
			model: ModelConfig::h100(),
			hit_tolerance: DEFAULT_HIT_TOLERANCE,
			lazy_tolerance: DEFAULT_LAZY_TOLERANCE,
		}
	}
}

/// The fewest leaves a validator may sample per host (PROTOCOL §11).
pub const MIN_SAMPLE_SIZE: u32 = 50;

/// The most leaves a validator may sample per host (PROTOCOL §11).
pub const MAX_SAMPLE_SIZE: u32 = 1_000;

// A reveal has room for a check bit per sampled leaf.
const _: () = assert!(MAX_SAMPLE_SIZE <= gonka_primitives::sampling::MAX_CHECK_BITS);

/// The fewest seats a committee may have (PROTOCOL §11).
pub const MIN_COMMITTEE_SIZE: u32 = 8;

/// The default hit tolerance `ε` = 1e-5 in [`HIT_TOLERANCE_UNIT`]s.
pub const DEFAULT_HIT_TOLERANCE: u32 = 10_000;

/// The default number of check-bit disagreements a validator may have on one host before it is
/// lazy (PROTOCOL §6).
pub const DEFAULT_LAZY_TOLERANCE: u32 = 2;

/// The most check-bit disagreements `lazy_tolerance` may allow: a validator that never computes
/// disagrees on about half of the ≥ 50 positions it shares, so a wider tolerance would let it
/// pass.
pub const MAX_LAZY_TOLERANCE: u32 = 10;

/// The largest hit tolerance `ε` = 1e-3 in [`HIT_TOLERANCE_UNIT`]s (PROTOCOL §11): wider would
/// let near-misses pass as hits.
pub const MAX_HIT_TOLERANCE: u32 = 1_000_000;

impl<Balance> SprintParams<Balance> {
	/// Offset of the first block of the Commit phase. Block 0 of an epoch fixes the epoch seed
	/// (from the relay randomness it carries, PROTOCOL §3); the Sprint's `sprint_length` blocks
	/// are counted from the next one.
	pub fn commit_start(&self) -> u32 {
		self.sprint_length.saturating_add(1)
	}

	/// Offset of the first block after the Commit phase: the first block of the seed gap.
	pub fn commit_end(&self) -> u32 {
		self.commit_start().saturating_add(self.commit_grace)
	}

	/// Offset of the earliest first block of Validation: the seed gap takes at least one block
	/// (the sampling seed is fixed at the end of a block after the last Commit block).
	pub fn earliest_validation_start(&self) -> u32 {
		self.commit_end().saturating_add(1)
	}

	/// Offset of the first block of the Reveal phase when Validation began at `validation_start`.
	pub fn reveal_start(&self, validation_start: u32) -> u32 {
		validation_start.saturating_add(self.validation_length)
	}

	/// Offset of the first block of settlement when Validation began at `validation_start`.
	pub fn settlement_start(&self, validation_start: u32) -> u32 {
		self.reveal_start(validation_start).saturating_add(self.reveal_length)
	}

	/// The phase of the block at `offset` from the epoch's first block, when Validation began at
	/// offset `validation_start` (`None`: the sampling seed is not fixed yet).
	pub fn phase_at(&self, offset: u32, validation_start: Option<u32>) -> Phase {
		if offset < self.commit_start() {
			Phase::Sprint
		} else if offset < self.commit_end() {
			Phase::Commit
		} else {
			match validation_start {
				Some(v) if offset >= self.settlement_start(v) => Phase::Settlement,
				Some(v) if offset >= self.reveal_start(v) => Phase::Reveal,
				Some(v) if offset >= v => Phase::Validation,
				_ => Phase::SeedGap,
			}
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
	/// Commits are closed; the sampling seed waits for relay randomness strictly newer than the
	/// relay parent of the last Commit block (PROTOCOL §3). At least one block.
	SeedGap,
	/// Validators sample, fetch, re-compute and commit the hashes of their verdicts.
	Validation,
	/// Validators reveal their verdicts, check bits and salts.
	Reveal,
	/// Verdicts are tallied (from the first block after Reveal to the epoch's end).
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
	/// The epoch's first block: it fixes the epoch seed; the Sprint's blocks follow it.
	pub start: BlockNumber,
	/// First block of the Commit phase.
	pub commit_start: BlockNumber,
	/// First block after the Commit phase (the seed gap's first block).
	pub commit_end: BlockNumber,
	/// First block of the Validation phase: the real one once the sampling seed is fixed,
	/// otherwise the earliest it can be.
	pub validation_start: BlockNumber,
	/// First block of the Reveal phase (from `validation_start`).
	pub reveal_start: BlockNumber,
	/// First block of settlement (from `reveal_start`).
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
	/// Its last accepted weight (for the expected-weight denominator, §8, and the retained
	/// weight of §7). The weight of each epoch is in the `Weights` map.
	pub last_weight: u64,
	/// Epochs in a row it was not accepted (did not commit, or was not accepted): in its `m`-th
	/// such epoch it keeps `Retention^(m−1) · last_weight` (§7).
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

/// The counted votes on one host's commitment, in seats (PROTOCOL §6): a revealed verdict of a
/// validator that was not lazy counts once per seat it holds. Written at settlement.
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
	/// Seats whose holder voted `Valid`.
	pub valid: u32,
	/// Seats whose holder voted `Invalid`.
	pub invalid: u32,
	/// Seats whose holder voted `Unreachable`.
	pub unreachable: u32,
	/// Validators whose verdict counted (each once, whatever its seats).
	pub votes: u32,
	/// Seats whose holder missed: no commitment, no reveal, or lazy.
	pub missed: u32,
}

impl Tally {
	/// Whether `part` of `seats` is strictly more than `threshold` of them (exact integers).
	pub fn more_than(part: u32, seats: u32, threshold: Perbill) -> bool {
		(part as u64).saturating_mul(Perbill::ACCURACY as u64)
			> (threshold.deconstruct() as u64).saturating_mul(seats as u64)
	}
}

/// What settlement decides for a committed host (PROTOCOL §6).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
	/// More than the threshold of all seats voted `Valid`.
	Accepted,
	/// More than the threshold of all seats voted `Invalid`.
	Slashed,
	/// Anything else: no pay, no slash, retained weight.
	NotAccepted,
}

impl Outcome {
	/// The outcome of `tally` over `seats` seats with `threshold`; `sole_validator`: the host
	/// has no seats because it is the epoch's only validator (then accepted).
	pub fn of(tally: &Tally, seats: u32, threshold: Perbill, sole_validator: bool) -> Self {
		if sole_validator && seats == 0 {
			return Self::Accepted;
		}
		if seats == 0 {
			return Self::NotAccepted;
		}
		if Tally::more_than(tally.valid, seats, threshold) {
			Self::Accepted
		} else if Tally::more_than(tally.invalid, seats, threshold) {
			Self::Slashed
		} else {
			Self::NotAccepted
		}
	}
}

/// The packed check bits of one reveal: one bit per sampled pool position, ascending, least
/// significant bit first ([`gonka_primitives::sampling`]).
pub type CheckBits = BoundedVec<u8, ConstU32<{ gonka_primitives::sampling::MAX_CHECK_BYTES }>>;

/// A bitmap over the positions of a host's pool.
pub type PoolBitmap = BoundedVec<u8, ConstU32<{ gonka_primitives::sampling::MAX_POOL_BYTES }>>;

/// One verdict revealed (`reveal_verdicts`, PROTOCOL §6.6): what the validator committed the
/// hash of in Validation.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct VerdictReveal<AccountId> {
	/// The host judged.
	pub host: AccountId,
	pub verdict: Verdict,
	/// One bit per sampled position (ascending): the re-computed distance was below `r_mid`.
	pub bits: CheckBits,
	/// The salt the commitment hashed, so the commitment gave nothing away.
	pub salt: [u8; 32],
}

/// A revealed verdict as settlement reads it: the verdict and the validator's sampled pool
/// positions and check bits, both as bitmaps over the host's pool.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct RevealRecord {
	pub verdict: Verdict,
	/// The pool positions the validator sampled.
	pub sampled: PoolBitmap,
	/// Of those, the ones it saw below `r_mid`.
	pub below: PoolBitmap,
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
	/// Committed hosts neither accepted nor slashed.
	pub not_accepted: u32,
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

/// A block's relay parent and its randomness ([`crate::Pallet::note_relay_block`]).
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
pub struct NotedRelayBlock {
	/// The relay parent's block number.
	pub number: u32,
	/// BABE's VRF output of the relay parent; `None` when its state proof carried none.
	pub randomness: Option<[u8; 32]>,
}
