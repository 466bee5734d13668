//! Storage version 1 (protocol v2, PROTOCOL §12) from version 0 (protocol v1).
//!
//! The layout is unchanged; the meaning of one parameter is not. v1's `missed_vote_penalty` was
//! taken once per missed vote (10 % each by default, so a validator missing a tenth of a large
//! duty lost everything); v2 takes `missed_vote_penalty × missed / assigned` of the epoch
//! reward (default 50 %). A chain still on v1's default moves to v2's; a value governance chose
//! is kept. Every parameter is clamped into PROTOCOL §11's bounds, which v1 did not check
//! (the mining cap never below what was minted).

#[cfg(feature = "try-runtime")]
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	},
	frame_system,
	sp_runtime::Perbill,
};

use crate::{pallet::*, types::*, IssuanceParamsOf};

/// v1's default `missed_vote_penalty` (per missed vote).
pub const V0_DEFAULT_PENALTY: Perbill = Perbill::from_percent(10);

/// v1's parameters as v2's (see the module docs).
pub fn translate_params<T: Config>(mut p: IssuanceParamsOf<T>) -> IssuanceParamsOf<T> {
	if p.missed_vote_penalty == V0_DEFAULT_PENALTY {
		p.missed_vote_penalty = IssuanceParamsOf::<T>::default().missed_vote_penalty;
	}
	p.missed_vote_penalty = p.missed_vote_penalty.clamp(Perbill::from_percent(10), Perbill::one());
	p.retention = p.retention.clamp(Perbill::from_percent(50), Perbill::from_percent(99));
	p.max_missed_epochs = p.max_missed_epochs.clamp(1, MAX_MISSED_EPOCHS);
	p.halving_interval = p.halving_interval.max(1);
	p.mining_cap = p.mining_cap.max(TotalMinted::<T>::get());
	p
}

/// The migration without its version check; use [`MigrateV0ToV1`].
pub struct UncheckedMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut writes = 1;
		Params::<T>::mutate(|p| *p = translate_params::<T>(p.clone()));
		if let Some(pending) = PendingParams::<T>::get() {
			PendingParams::<T>::put(translate_params::<T>(pending));
			writes += 1;
		}
		let p = Params::<T>::get();
		log::info!(
			target: "runtime::issuance",
			"v0→v1: missed_vote_penalty {:?} of the reward by share of missed seats",
			p.missed_vote_penalty
		);
		T::DbWeight::get().reads_writes(3, writes)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, polkadot_sdk::sp_runtime::TryRuntimeError> {
		Ok((TotalMinted::<T>::get(), CurrentPayout::<T>::get(), LastPaidEpoch::<T>::get()).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let before = <(crate::BalanceOf<T>, Option<_>, Option<_>)>::decode(&mut &state[..])
			.map_err(|_| "bad pre_upgrade state")?;
		ensure!(
			before
				== (TotalMinted::<T>::get(), CurrentPayout::<T>::get(), LastPaidEpoch::<T>::get()),
			"minted, payout or last paid epoch changed"
		);
		crate::Pallet::<T>::check_params(&Params::<T>::get())
			.map_err(|_| "translated Params outside PROTOCOL §11's bounds")?;
		if let Some(pending) = PendingParams::<T>::get() {
			crate::Pallet::<T>::check_params(&pending)
				.map_err(|_| "translated PendingParams outside PROTOCOL §11's bounds")?;
		}
		Ok(())
	}
}

/// Storage version 0 → 1 (see the module docs); a no-op on any other version.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	UncheckedMigrateV0ToV1<T>,
	crate::Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use polkadot_sdk::frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};

	#[test]
	fn v1_penalty_per_vote_becomes_v2_penalty_by_share_within_bounds() {
		build_and_execute(ext_with_hosts(2, 100), || {
			let mut v1 = issuance_params();
			v1.missed_vote_penalty = V0_DEFAULT_PENALTY;
			v1.retention = Perbill::one();
			v1.max_missed_epochs = 0;
			let p = translate_params::<Test>(v1.clone());
			assert_eq!(p.missed_vote_penalty, Perbill::from_percent(50));
			assert_eq!((p.retention, p.max_missed_epochs), (Perbill::from_percent(99), 1));
			assert!(crate::Pallet::<Test>::check_params(&p).is_ok());
			// A penalty governance chose is kept.
			v1.missed_vote_penalty = Perbill::from_percent(30);
			assert_eq!(
				translate_params::<Test>(v1.clone()).missed_vote_penalty,
				Perbill::from_percent(30)
			);

			// Through the versioned migration, once.
			v1.missed_vote_penalty = V0_DEFAULT_PENALTY;
			Params::<Test>::put(&v1);
			StorageVersion::new(0).put::<crate::Pallet<Test>>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(crate::Pallet::<Test>::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(Params::<Test>::get().missed_vote_penalty, Perbill::from_percent(50));
			Params::<Test>::mutate(|p| p.missed_vote_penalty = V0_DEFAULT_PENALTY);
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Params::<Test>::get().missed_vote_penalty, V0_DEFAULT_PENALTY, "no-op");
			Params::<Test>::put(issuance_params());
		});
	}
}
