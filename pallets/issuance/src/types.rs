//! Types stored on chain.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use pallet_sprint::EpochIndex;
use polkadot_sdk::sp_runtime::{traits::UniqueSaturatedFrom, Perbill};
use scale_info::TypeInfo;

/// The issuance parameters (`PROTOCOL.md` §8), in one value changed only by Root (`set_params`),
/// taking effect from the next epoch settled. Amounts are in base units (1 GNK = 10^9).
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
pub struct IssuanceParams<Balance> {
	/// `R0`: the reward of each epoch before the first halving.
	pub initial_reward: Balance,
	/// Epochs between halvings (1,461 one-day epochs: four years).
	pub halving_interval: u32,
	/// The most that mining ever mints (`MiningCap`); the last epoch mints the remainder.
	pub mining_cap: Balance,
	/// The share of its last weight a silent host is expected to keep for each further silent
	/// epoch (`Retention`).
	pub retention: Perbill,
	/// Silent epochs in a row a host may have; one more and it is deregistered, its bond
	/// returned (`MaxMissedEpochs`).
	pub max_missed_epochs: u32,
	/// The share of its epoch reward a host loses when none of its committee seats counted
	/// (`MissedVotePenalty`), in proportion to the share it missed: not committed, not revealed,
	/// or lazy (PROTOCOL §6). The loss goes to the treasury.
	pub missed_vote_penalty: Perbill,
}

/// The most silent epochs in a row `max_missed_epochs` may allow (two months of epochs).
pub const MAX_MISSED_EPOCHS: u32 = 60;

/// One GNK in base units (9 decimals).
pub const GNK: u128 = 1_000_000_000;

/// PROTOCOL §8's values: `R0` 310,000 GNK, halving every 1,461 epochs, cap 680,000,000 GNK,
/// retention 90 %, 14 silent epochs, 50 % of the reward for missing every seat.
impl<Balance: UniqueSaturatedFrom<u128>> Default for IssuanceParams<Balance> {
	fn default() -> Self {
		Self {
			initial_reward: Balance::unique_saturated_from(310_000 * GNK),
			halving_interval: 1_461,
			mining_cap: Balance::unique_saturated_from(680_000_000 * GNK),
			retention: Perbill::from_percent(90),
			max_missed_epochs: 14,
			missed_vote_penalty: Perbill::from_percent(50),
		}
	}
}

/// The payout of the epoch being settled.
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
pub struct Payout<Balance> {
	/// The epoch being paid.
	pub epoch: EpochIndex,
	/// What the epoch mints in all: `R(e)`, less what the cap leaves (0 when nobody was
	/// expected to work).
	pub reward: Balance,
	/// The denominator `D(e)`.
	pub expected_weight: u64,
	/// Minted to hosts so far.
	pub to_hosts: Balance,
	/// Withheld from hosts so far for missed votes.
	pub penalties: Balance,
}
