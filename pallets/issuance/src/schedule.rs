//! The reward schedule (PROTOCOL §8): `R(e) = R0 / 2^floor(e / HalvingInterval)`, `e` counted
//! from the first rewarded epoch, never minting past `MiningCap`. Integer maths in base units.

use pallet_sprint::EpochIndex;
use polkadot_sdk::sp_runtime::traits::{AtLeast32BitUnsigned, Saturating, UniqueSaturatedInto};

use crate::{pallet::*, types::IssuanceParams, BalanceOf};

/// `R(e)` for `e` epochs after the first rewarded one, before the cap: `R0` shifted right once
/// per completed halving interval (0 after 128 halvings, or with a zero interval).
pub fn scheduled_reward<Balance: AtLeast32BitUnsigned + Copy>(
	params: &IssuanceParams<Balance>,
	e: u32,
) -> Balance {
	let Some(halvings) = e.checked_div(params.halving_interval) else {
		return Balance::zero();
	};
	let r0: u128 = params.initial_reward.unique_saturated_into();
	r0.checked_shr(halvings).unwrap_or(0).unique_saturated_into()
}

impl<T: Config> Pallet<T> {
	/// `e` of PROTOCOL §8 for `epoch`: epochs since the first rewarded one (0 before it).
	pub fn schedule_index(epoch: EpochIndex) -> u32 {
		epoch.saturating_sub(FirstEpoch::<T>::get())
	}

	/// What the schedule pays for `epoch`, before the cap.
	pub fn scheduled_reward_of(epoch: EpochIndex) -> BalanceOf<T> {
		scheduled_reward(&Params::<T>::get(), Self::schedule_index(epoch))
	}

	/// What is left to mint under the cap.
	pub fn cap_left() -> BalanceOf<T> {
		Params::<T>::get().mining_cap.saturating_sub(TotalMinted::<T>::get())
	}

	/// What `epoch` would mint if settled now: its scheduled reward, at most what the cap
	/// leaves.
	pub fn epoch_reward(epoch: EpochIndex) -> BalanceOf<T> {
		Self::scheduled_reward_of(epoch).min(Self::cap_left())
	}

	/// The first epoch after `epoch` whose scheduled reward is halved.
	pub fn next_halving_after(epoch: EpochIndex) -> EpochIndex {
		let first = FirstEpoch::<T>::get();
		let interval = Params::<T>::get().halving_interval.max(1);
		if epoch < first {
			return first.saturating_add(interval);
		}
		let completed = (epoch - first) / interval;
		first.saturating_add(completed.saturating_add(1).saturating_mul(interval))
	}
}
