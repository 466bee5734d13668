//! Storage version 1 (protocol v2, PROTOCOL §12) from version 0 (protocol v1).
//!
//! - [`Limits`] is new (v2 fixes the bounds of the periods at genesis): a v1 chain gets
//!   PROTOCOL §11's default limits widened to contain the periods in force, so the parameters
//!   governance voted stay valid and can be changed back.
//! - [`OpenPerHost`] is new: counted from the open proposals (at most `MaxProposals`). A host
//!   that had more than `MaxOpenPerHost` open under v1 keeps them; it opens no more until they
//!   are decided.
//! - [`Params`]: v1 accepted any thresholds (approval 100 %, veto 0 % or quorum 100 % would
//!   brick governance): each is clamped into PROTOCOL §11's bounds, the deposit to at least the
//!   existential deposit. Open proposals keep the rules they were opened with.

use alloc::collections::BTreeMap;
#[cfg(feature = "try-runtime")]
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{fungible::Inspect, UncheckedOnRuntimeUpgrade},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
};

use crate::{pallet::*, types::*, GovernanceParamsOf};

/// Clamps `p` into PROTOCOL §11's bounds (see the module docs).
pub fn clamp_params<T: Config>(mut p: GovernanceParamsOf<T>) -> GovernanceParamsOf<T> {
	let clamp = |v: polkadot_sdk::sp_runtime::Perbill, (lo, hi)| v.clamp(lo, hi);
	p.rules.quorum = clamp(p.rules.quorum, bounds::QUORUM);
	p.rules.approval = clamp(p.rules.approval, bounds::APPROVAL);
	p.rules.veto = clamp(p.rules.veto, bounds::VETO);
	p.max_host_share = clamp(p.max_host_share, bounds::HOST_SHARE);
	p.proposal_deposit = p.proposal_deposit.max(T::Currency::minimum_balance());
	p
}

/// The migration without its version check; use [`MigrateV0ToV1`].
pub struct UncheckedMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let params = clamp_params::<T>(Params::<T>::get());
		let defaults = PeriodLimits::<BlockNumberFor<T>>::default();
		let limits = PeriodLimits {
			min_voting_period: defaults
				.min_voting_period
				.min(params.voting_period)
				.max(1u32.into()),
			max_voting_period: defaults.max_voting_period.max(params.voting_period),
			max_enactment_delay: defaults.max_enactment_delay.max(params.enactment_delay),
		};
		Limits::<T>::put(limits);
		Params::<T>::put(&params);
		let mut open = BTreeMap::<T::AccountId, u32>::new();
		let mut proposals = 0u64;
		for (_, p) in Proposals::<T>::iter() {
			*open.entry(p.host).or_default() += 1;
			proposals += 1;
		}
		let max = T::MaxOpenPerHost::get();
		for (host, n) in &open {
			if *n > max {
				log::warn!(
					target: "runtime::governance",
					"v0→v1: host {host:?} has {n} proposals open, more than MaxOpenPerHost \
					 ({max}); it can open more only when they are decided"
				);
			}
			OpenPerHost::<T>::insert(host, n);
		}
		log::info!(
			target: "runtime::governance",
			"v0→v1: limits {limits:?}, params clamped into §11's bounds, {proposals} open \
			 proposals of {} hosts counted",
			open.len()
		);
		T::DbWeight::get().reads_writes(2 + proposals, 2 + open.len() as u64)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, polkadot_sdk::sp_runtime::TryRuntimeError> {
		ensure!(!Limits::<T>::exists(), "v0 state already has Limits");
		Ok((Proposals::<T>::count(), ProposalCount::<T>::get()).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let before =
			<(u32, ProposalIndex)>::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(
			before == (Proposals::<T>::count(), ProposalCount::<T>::get()),
			"proposals changed"
		);
		crate::Pallet::<T>::check_params(&Params::<T>::get())
			.map_err(|_| "migrated Params outside PROTOCOL §11's bounds")?;
		let counted: u32 = OpenPerHost::<T>::iter_values().sum();
		ensure!(counted == before.0, "OpenPerHost does not count every open proposal");
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
	use polkadot_sdk::{
		frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade},
		sp_runtime::Perbill,
	};

	#[test]
	fn bricking_v1_params_are_clamped_and_open_proposals_counted() {
		build_and_execute(new_test_ext(), || {
			propose(1, &remark(b"a"));
			propose(1, &remark(b"b"));
			propose(2, &remark(b"c"));
			// What v1 let a passed proposal set, and v1's state: no limits, no per-host count.
			let mut v1 = test_params();
			v1.rules.approval = Perbill::one();
			v1.rules.veto = Perbill::zero();
			v1.rules.quorum = Perbill::one();
			v1.voting_period = 3;
			v1.enactment_delay = 1_000_000;
			Params::<Test>::put(&v1);
			Limits::<Test>::kill();
			let _ = OpenPerHost::<Test>::clear(u32::MAX, None);
			StorageVersion::new(0).put::<crate::Pallet<Test>>();

			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(crate::Pallet::<Test>::on_chain_storage_version(), StorageVersion::new(1));
			let p = Params::<Test>::get();
			assert_eq!(
				(p.rules.quorum, p.rules.approval, p.rules.veto),
				(bounds::QUORUM.1, bounds::APPROVAL.1, bounds::VETO.0)
			);
			let limits = Limits::<Test>::get();
			assert_eq!(limits.min_voting_period, 3, "the period in force stays valid");
			assert_eq!(limits.max_enactment_delay, 1_000_000);
			assert!(crate::Pallet::<Test>::check_params(&p).is_ok());
			assert_eq!((OpenPerHost::<Test>::get(1), OpenPerHost::<Test>::get(2)), (2, 1));
			// Governance works after it: a proposal by host 3 opens.
			propose(3, &remark(b"d"));
			Params::<Test>::put(test_params());
			Limits::<Test>::put(test_limits());
		});
	}
}
