//! `IssuanceApi`: the issuance pallet as wallets, explorers and workers read it (PROTOCOL §8).
#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;
pub use pallet_issuance::IssuanceParams;
pub use pallet_sprint::EpochIndex;

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Rewards and the mining cap.
	pub trait IssuanceApi<Balance>
	where
		Balance: Codec,
	{
		/// What `epoch` mints if settled now: `R(e)` of the schedule, at most what the cap
		/// leaves (0 once the cap is reached).
		fn epoch_reward(epoch: EpochIndex) -> Balance;
		/// The first epoch after the current one whose reward is halved.
		fn next_halving_epoch() -> EpochIndex;
		/// Everything mining has minted so far, to hosts and to the treasury.
		fn total_minted() -> Balance;
		/// What is left to mint under `MiningCap`.
		fn cap_left() -> Balance;
		/// The parameters in force.
		fn params() -> IssuanceParams<Balance>;
	}
}
