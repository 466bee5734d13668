//! The payout of a settled epoch (PROTOCOL §8), driven by the sprint pallet's settlement
//! through [`EpochRewards`]: `begin_payout` fixes the epoch's reward and denominator, `reward`
//! pays one accepted host, `end_payout` mints the rest to the treasury.
//!
//! A host's share is `R(e) · w / D(e)` rounded down; the penalty for `m` missed of its `a`
//! assigned committee seats (verdicts not committed, not revealed, or lazy: PROTOCOL §6) is
//! `MissedVotePenalty · m / a` of that share, rounded up. The treasury receives
//! `R(e) − Σ paid to hosts`: the shares of hosts that were expected but not accepted, the
//! penalties and the rounding dust. Nothing is ever redistributed to other hosts.

use pallet_sprint::{EpochIndex, EpochRewards};
use polkadot_sdk::{
	frame_support::{
		traits::{fungible::Mutate, Get},
		weights::Weight,
	},
	sp_runtime::{
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{Saturating, UniqueSaturatedInto, Zero},
		PerThing, Perbill, Rounding,
	},
};

use crate::{pallet::*, weights::WeightInfo, BalanceOf};

impl<T: Config> Pallet<T> {
	/// `reward · weight / expected_weight`, rounded down (0 when nothing was expected).
	pub fn share_of(reward: BalanceOf<T>, weight: u64, expected_weight: u64) -> BalanceOf<T> {
		if expected_weight == 0 {
			return Zero::zero();
		}
		let reward: u128 = reward.unique_saturated_into();
		// `weight ≤ expected_weight` for every accepted host, so the result fits.
		multiply_by_rational_with_rounding(
			reward,
			weight.min(expected_weight) as u128,
			expected_weight as u128,
			Rounding::Down,
		)
		.unwrap_or(0)
		.unique_saturated_into()
	}

	/// The share of a reward withheld for `missed` of `assigned` seats: `penalty · missed /
	/// assigned` (rounded up; nothing without seats; `missed` above `assigned` counts as all).
	pub fn penalty_rate(missed: u32, assigned: u32, penalty: Perbill) -> Perbill {
		if assigned == 0 || missed == 0 {
			return Perbill::zero();
		}
		let missed = missed.min(assigned) as u128;
		let parts = multiply_by_rational_with_rounding(
			penalty.deconstruct() as u128,
			missed,
			assigned as u128,
			Rounding::Up,
		)
		.unwrap_or(penalty.deconstruct() as u128);
		Perbill::from_parts(parts.min(Perbill::ACCURACY as u128) as u32)
	}

	/// Mints `amount` to `who`; returns what was minted (0 when the account cannot receive it,
	/// e.g. below the existential deposit).
	fn mint(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
		if amount.is_zero() {
			return amount;
		}
		match T::Currency::mint_into(who, amount) {
			Ok(minted) => {
				TotalMinted::<T>::mutate(|m| *m = m.saturating_add(minted));
				minted
			},
			Err(e) => {
				log::warn!(
					target: "runtime::issuance",
					"could not mint {amount:?} to {who:?}: {e:?}; it stays unminted"
				);
				Zero::zero()
			},
		}
	}
}

impl<T: Config> EpochRewards<T::AccountId> for Pallet<T> {
	fn retention() -> Perbill {
		Params::<T>::get().retention
	}

	fn max_missed_epochs() -> u32 {
		Params::<T>::get().max_missed_epochs
	}

	fn begin_payout(epoch: EpochIndex, expected_weight: u64) -> Weight {
		// Nobody was expected to work: nothing is minted (the cap is kept for later epochs).
		let reward = if expected_weight == 0 { Zero::zero() } else { Self::epoch_reward(epoch) };
		CurrentPayout::<T>::put(crate::Payout {
			epoch,
			reward,
			expected_weight,
			to_hosts: Zero::zero(),
			penalties: Zero::zero(),
		});
		T::WeightInfo::begin_payout()
	}

	fn reward(
		epoch: EpochIndex,
		host: &T::AccountId,
		weight: u64,
		missed: u32,
		assigned: u32,
	) -> Weight {
		let Some(mut payout) = CurrentPayout::<T>::get().filter(|p| p.epoch == epoch) else {
			return T::DbWeight::get().reads(1);
		};
		let share = Self::share_of(payout.reward, weight, payout.expected_weight);
		let rate = Self::penalty_rate(missed, assigned, Params::<T>::get().missed_vote_penalty);
		let penalty = rate.mul_ceil(share).min(share);
		let amount = Self::mint(host, share.saturating_sub(penalty));
		payout.to_hosts = payout.to_hosts.saturating_add(amount);
		payout.penalties = payout.penalties.saturating_add(penalty);
		CurrentPayout::<T>::put(payout);
		Self::deposit_event(Event::HostRewarded {
			epoch,
			host: host.clone(),
			weight,
			amount,
			penalty,
		});
		T::WeightInfo::reward_host()
	}

	fn end_payout(epoch: EpochIndex) -> Weight {
		let Some(payout) = CurrentPayout::<T>::take().filter(|p| p.epoch == epoch) else {
			return T::DbWeight::get().reads(1);
		};
		let rest = payout.reward.saturating_sub(payout.to_hosts);
		let to_treasury = Self::mint(&T::Treasury::get(), rest);
		LastPaidEpoch::<T>::put(epoch);
		Self::deposit_event(Event::EpochRewarded {
			epoch,
			reward: payout.reward,
			expected_weight: payout.expected_weight,
			to_hosts: payout.to_hosts,
			penalties: payout.penalties,
			to_treasury,
		});
		let params = Params::<T>::get();
		let total_minted = TotalMinted::<T>::get();
		if !payout.reward.is_zero() && total_minted >= params.mining_cap {
			Self::deposit_event(Event::MiningCapReached { epoch, total_minted });
		}
		if let Some(pending) = PendingParams::<T>::take() {
			Params::<T>::put(pending);
			Self::deposit_event(Event::ParamsApplied { epoch: epoch.saturating_add(1) });
		}
		T::WeightInfo::end_payout()
	}

	fn max_reward_weight() -> Weight {
		T::WeightInfo::reward_host()
	}
}
