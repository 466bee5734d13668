//! # Issuance pallet
//!
//! Mints the GNK that pays hosts for their weight (`PROTOCOL.md` §8):
//!
//! - **Schedule** (`schedule.rs`): `R(e) = R0 / 2^floor(e / HalvingInterval)` with `e` counted
//!   from [`FirstEpoch`], never past `MiningCap` — the epoch that reaches the cap mints the
//!   remainder, later epochs nothing. Integer maths in base units.
//! - **Payout** (`payout.rs`): the sprint pallet settles an epoch, sums the expected-weight
//!   denominator `D(e)` and then, through [`pallet_sprint::EpochRewards`], has this pallet pay
//!   every accepted host `R(e) · w / D(e)` (rounded down), less `MissedVotePenalty` times the
//!   share of its committee seats whose verdict did not count (not committed, not revealed, or
//!   lazy). Whatever is not paid to a host — the share of hosts that failed or
//!   fell silent, penalties, rounding dust — is minted to the treasury, never to other hosts; so
//!   every epoch mints exactly `R(e)` (or nothing when no host was expected to work).
//! - **Parameters**: one [`IssuanceParams`] value, changed only by Root
//!   ([`set_params`](Pallet::set_params)), in force from the next epoch settled. `Retention` and
//!   `MaxMissedEpochs` are read by the sprint pallet when it judges silent hosts.
//!
//! - **Treasury** (`treasury.rs`): an account only Root can spend from (governance is Root),
//!   with [`spend`](Pallet::spend); it keeps its existential deposit so it is never reaped.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod migrations;
mod payout;
mod schedule;
mod treasury;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use schedule::scheduled_reward;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{
	frame_support::{self, traits::fungible},
	frame_system,
};

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The parameters with the runtime's balance type.
pub type IssuanceParamsOf<T> = IssuanceParams<BalanceOf<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use pallet_sprint::EpochIndex;
	use polkadot_sdk::sp_runtime::traits::StaticLookup;

	/// The account lookup of the runtime (an address in Polkadot.js apps).
	pub type AccountIdLookupOf<T> = <<T as frame_system::Config>::Lookup as StaticLookup>::Source;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency rewards are minted in.
		type Currency: fungible::Mutate<Self::AccountId>;

		/// Where unpaid shares, penalties and rounding dust go (a treasury only Root can spend
		/// from).
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Weights of the calls and of the payout steps.
		type WeightInfo: WeightInfo;
	}

	/// The parameters in force.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, IssuanceParamsOf<T>, ValueQuery>;

	/// Parameters set by Root, in force from the next epoch settled.
	#[pallet::storage]
	pub type PendingParams<T: Config> = StorageValue<_, IssuanceParamsOf<T>, OptionQuery>;

	/// The first rewarded epoch: `e = epoch − FirstEpoch` in the schedule.
	#[pallet::storage]
	pub type FirstEpoch<T: Config> = StorageValue<_, EpochIndex, ValueQuery>;

	/// Everything mining has minted, to hosts and to the treasury. Never above `mining_cap`.
	#[pallet::storage]
	pub type TotalMinted<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

	/// The payout in progress (between the sprint pallet's `begin_payout` and `end_payout`).
	#[pallet::storage]
	pub type CurrentPayout<T: Config> = StorageValue<_, Payout<BalanceOf<T>>, OptionQuery>;

	/// The last epoch paid out.
	#[pallet::storage]
	pub type LastPaidEpoch<T: Config> = StorageValue<_, EpochIndex, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters in force at genesis.
		pub params: IssuanceParamsOf<T>,
		/// The first rewarded epoch (`e = 0` of the schedule).
		pub first_epoch: EpochIndex,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = Pallet::<T>::check_params(&self.params) {
				panic!("issuance genesis: invalid params: {e:?}");
			}
			Params::<T>::put(self.params.clone());
			FirstEpoch::<T>::put(self.first_epoch);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A host was paid for `weight` accepted in `epoch`: `amount` minted to it, `penalty`
		/// withheld (to the treasury) for the committee seats whose verdict did not count.
		HostRewarded {
			epoch: EpochIndex,
			host: T::AccountId,
			weight: u64,
			amount: BalanceOf<T>,
			penalty: BalanceOf<T>,
		},
		/// The payout of `epoch` is complete: `reward` minted in all, `to_hosts` to hosts,
		/// `to_treasury` (unpaid shares, penalties, dust) to the treasury. `expected_weight`
		/// is the denominator `D(e)`.
		EpochRewarded {
			epoch: EpochIndex,
			reward: BalanceOf<T>,
			expected_weight: u64,
			to_hosts: BalanceOf<T>,
			penalties: BalanceOf<T>,
			to_treasury: BalanceOf<T>,
		},
		/// Mining reached `MiningCap` with `epoch`: no later epoch mints.
		MiningCapReached { epoch: EpochIndex, total_minted: BalanceOf<T> },
		/// New parameters were set by Root; they apply from the next epoch settled.
		ParamsScheduled,
		/// Scheduled parameters came into force; `epoch` is the first settled with them.
		ParamsApplied { epoch: EpochIndex },
		/// Root paid `amount` from the treasury to `to`; the treasury holds `remaining`.
		TreasurySpent { to: T::AccountId, amount: BalanceOf<T>, remaining: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// `halving_interval` must be at least 1 epoch.
		HalvingIntervalOutOfBounds,
		/// `retention` must lie between 50 % and 99 %: at 100 % a silent host would keep its
		/// weight for ever, at 0 % one missed epoch (a DDoS) would wipe it.
		RetentionOutOfBounds,
		/// `max_missed_epochs` must lie between 1 and 60.
		MaxMissedEpochsOutOfBounds,
		/// `missed_vote_penalty` must lie between 10 % and 100 %: below, skipping validation
		/// would cost almost nothing.
		MissedVotePenaltyOutOfBounds,
		/// `mining_cap` is below what has already been minted (see `TotalMinted`).
		CapBelowMinted,
		/// A spend of nothing: `amount` must be above 0.
		ZeroSpend,
		/// The treasury cannot pay `amount` and keep its existential deposit: spend less (its
		/// free balance is in `System::Account` of the `Treasury` constant's account).
		TreasuryTooLow,
		/// The recipient would hold less than the existential deposit: send at least that much
		/// to a new account.
		BelowExistentialDeposit,
		/// The recipient is the treasury itself.
		SpendToTreasury,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			let defaults = IssuanceParamsOf::<T>::default();
			assert!(Self::check_params(&defaults).is_ok(), "default issuance params are invalid");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Sets the issuance parameters from the next epoch settled on. Root only (governance).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: IssuanceParamsOf<T>) -> DispatchResult {
			ensure_root(origin)?;
			Self::check_params(&params)?;
			PendingParams::<T>::put(params);
			Self::deposit_event(Event::ParamsScheduled);
			Ok(())
		}

		/// Pays `amount` from the treasury to `to`. Root only (governance): a proposal's call.
		///
		/// The treasury keeps its existential deposit; a new recipient must receive at least
		/// the existential deposit.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::spend())]
		pub fn spend(
			origin: OriginFor<T>,
			to: AccountIdLookupOf<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			ensure_root(origin)?;
			let to = T::Lookup::lookup(to)?;
			Self::do_spend(to, amount)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks parameters before they are stored.
	pub fn check_params(params: &IssuanceParamsOf<T>) -> Result<(), Error<T>> {
		use polkadot_sdk::sp_runtime::Perbill;
		if params.halving_interval == 0 {
			return Err(Error::HalvingIntervalOutOfBounds);
		}
		if !(Perbill::from_percent(50)..=Perbill::from_percent(99)).contains(&params.retention) {
			return Err(Error::RetentionOutOfBounds);
		}
		if !(1..=MAX_MISSED_EPOCHS).contains(&params.max_missed_epochs) {
			return Err(Error::MaxMissedEpochsOutOfBounds);
		}
		if !(Perbill::from_percent(10)..=Perbill::one()).contains(&params.missed_vote_penalty) {
			return Err(Error::MissedVotePenaltyOutOfBounds);
		}
		if params.mining_cap < TotalMinted::<T>::get() {
			return Err(Error::CapBelowMinted);
		}
		Ok(())
	}

	/// The invariants: nothing minted past the cap; a payout never pays more than its reward.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use polkadot_sdk::sp_runtime::traits::Saturating;
		frame_support::ensure!(
			TotalMinted::<T>::get() <= Params::<T>::get().mining_cap,
			"issuance: minted past the mining cap"
		);
		if let Some(payout) = CurrentPayout::<T>::get() {
			frame_support::ensure!(
				payout.to_hosts.saturating_add(payout.penalties) <= payout.reward,
				"issuance: a payout paid more than its reward"
			);
		}
		Ok(())
	}
}
