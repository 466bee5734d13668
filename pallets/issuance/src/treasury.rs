//! The treasury: what mining does not pay to hosts, spent only by Root.

use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::DispatchResult,
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Preservation},
			Get,
		},
	},
	sp_runtime::traits::{Saturating, Zero},
};

use crate::{Config, Error, Event, Pallet};

impl<T: Config> Pallet<T> {
	/// Pays `amount` from the treasury to `to`, checked first so that a refused spend changes
	/// nothing and says why.
	pub(crate) fn do_spend(to: T::AccountId, amount: crate::BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroSpend);
		let treasury = T::Treasury::get();
		ensure!(to != treasury, Error::<T>::SpendToTreasury);
		let spendable =
			T::Currency::reducible_balance(&treasury, Preservation::Preserve, Fortitude::Polite);
		ensure!(amount <= spendable, Error::<T>::TreasuryTooLow);
		ensure!(
			T::Currency::balance(&to).saturating_add(amount) >= T::Currency::minimum_balance(),
			Error::<T>::BelowExistentialDeposit
		);
		T::Currency::transfer(&treasury, &to, amount, Preservation::Preserve)?;
		let remaining = T::Currency::balance(&treasury);
		Self::deposit_event(Event::TreasurySpent { to, amount, remaining });
		Ok(())
	}
}
