//! Hosts: registration, bonds, worker keys, and commitments.

use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::*,
		traits::{fungible::MutateHold, tokens::Precision},
	},
	sp_runtime::traits::{Saturating, Zero},
};

use polkadot_sdk::frame_system::{self, pallet_prelude::BlockNumberFor};

use crate::{pallet::*, types::*, BalanceOf, Endpoint, HostInfoOf};

impl<T: Config> Pallet<T> {
	/// Whether `proof` is `worker_key`'s signature over the key message for `host` on this chain
	/// (PROTOCOL §1). Genesis hosts need none.
	pub(crate) fn check_key_proof(
		host: &T::AccountId,
		worker_key: &T::AccountId,
		proof: &T::KeyProof,
	) -> DispatchResult {
		use polkadot_sdk::sp_runtime::traits::Verify;
		let message = Self::worker_key_message(host);
		ensure!(proof.verify(&message[..], worker_key), Error::<T>::InvalidKeyProof);
		Ok(())
	}

	/// The worker key message for `host` on this chain (what a proof signs).
	pub fn worker_key_message(host: &T::AccountId) -> alloc::vec::Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		gonka_primitives::worker_key_message(host, genesis.as_ref())
	}

	/// Registers `host` with `bond` held and an initial `weight` (non-zero only at genesis).
	pub(crate) fn do_register(
		host: T::AccountId,
		endpoint: Endpoint,
		worker_key: T::AccountId,
		bond: BalanceOf<T>,
		weight: u64,
	) -> DispatchResult {
		ensure!(!Hosts::<T>::contains_key(&host), Error::<T>::AlreadyRegistered);
		ensure!(is_valid_endpoint(&endpoint), Error::<T>::InvalidEndpoint);
		ensure!(!HostOfWorker::<T>::contains_key(&worker_key), Error::<T>::WorkerKeyInUse);
		ensure!(!HostOfWorker::<T>::contains_key(&host), Error::<T>::HostIsWorkerKey);
		ensure!(
			worker_key == host || !Hosts::<T>::contains_key(&worker_key),
			Error::<T>::WorkerKeyIsHost
		);
		ensure!(Hosts::<T>::count() < T::MaxHosts::get(), Error::<T>::TooManyHosts);
		if !bond.is_zero() {
			T::Currency::hold(&HoldReason::HostBond.into(), &host, bond)
				.map_err(|_| Error::<T>::InsufficientBond)?;
		}
		let epoch = CurrentEpoch::<T>::get();
		let info: HostInfoOf<T> = HostInfo {
			endpoint,
			worker_key: worker_key.clone(),
			bond,
			last_weight: weight,
			missed: 0,
			since: epoch,
		};
		Hosts::<T>::insert(&host, info);
		HostOfWorker::<T>::insert(&worker_key, &host);
		if weight > 0 {
			Self::set_weight(epoch, &host, weight);
		}
		Self::deposit_event(Event::HostRegistered { host, worker_key, bond });
		Ok(())
	}

	pub(crate) fn do_update_host(host: T::AccountId, endpoint: Endpoint) -> DispatchResult {
		ensure!(is_valid_endpoint(&endpoint), Error::<T>::InvalidEndpoint);
		Hosts::<T>::try_mutate(&host, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			info.endpoint = endpoint;
			Ok(())
		})?;
		Self::deposit_event(Event::EndpointUpdated { host });
		Ok(())
	}

	pub(crate) fn do_set_worker_key(
		host: T::AccountId,
		worker_key: T::AccountId,
	) -> DispatchResult {
		ensure!(!HostOfWorker::<T>::contains_key(&worker_key), Error::<T>::WorkerKeyInUse);
		ensure!(
			worker_key == host || !Hosts::<T>::contains_key(&worker_key),
			Error::<T>::WorkerKeyIsHost
		);
		Hosts::<T>::try_mutate(&host, |info| -> DispatchResult {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			HostOfWorker::<T>::remove(&info.worker_key);
			info.worker_key = worker_key.clone();
			Ok(())
		})?;
		HostOfWorker::<T>::insert(&worker_key, &host);
		Self::deposit_event(Event::WorkerKeySet { host, worker_key });
		Ok(())
	}

	pub(crate) fn do_unregister(host: T::AccountId) -> DispatchResult {
		let info = Hosts::<T>::get(&host).ok_or(Error::<T>::NotRegistered)?;
		let epoch = CurrentEpoch::<T>::get();
		ensure!(!Commitments::<T>::contains_key(epoch, &host), Error::<T>::VerdictPending);
		Hosts::<T>::remove(&host);
		HostOfWorker::<T>::remove(&info.worker_key);
		// Its weight of this epoch stays on record (committees of this epoch were drawn with
		// it); without its worker key it can no longer vote or commit.
		let unlock_epoch = epoch.saturating_add(1);
		Unbondings::<T>::mutate(&host, |u| {
			let amount = u.as_ref().map(|u| u.amount).unwrap_or_default();
			*u = Some(Unbonding { amount: amount.saturating_add(info.bond), unlock_epoch });
		});
		Self::deposit_event(Event::HostUnregistered { host, unlock_epoch });
		Ok(())
	}

	/// Removes a host that stayed silent for more than `MaxMissedEpochs` epochs in a row and
	/// releases its bond at once (it has no commitment awaiting a verdict).
	pub(crate) fn deregister_silent(host: &T::AccountId, info: HostInfoOf<T>) {
		Hosts::<T>::remove(host);
		HostOfWorker::<T>::remove(&info.worker_key);
		let bond = T::Currency::release(
			&HoldReason::HostBond.into(),
			host,
			info.bond,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Self::deposit_event(Event::HostDeregistered {
			host: host.clone(),
			missed: info.missed,
			bond,
		});
	}

	pub(crate) fn do_withdraw_bond(who: T::AccountId) -> DispatchResult {
		let unbonding = Unbondings::<T>::get(&who).ok_or(Error::<T>::NoBondToWithdraw)?;
		ensure!(CurrentEpoch::<T>::get() >= unbonding.unlock_epoch, Error::<T>::BondLocked);
		// Release what is held, at most the unbonding amount (a slash may have taken part).
		let released = T::Currency::release(
			&HoldReason::HostBond.into(),
			&who,
			unbonding.amount,
			Precision::BestEffort,
		)?;
		Unbondings::<T>::remove(&who);
		Self::deposit_event(Event::BondWithdrawn { host: who, amount: released });
		Ok(())
	}

	pub(crate) fn do_commit(
		worker: T::AccountId,
		epoch: EpochIndex,
		root: Root,
		count: u64,
	) -> DispatchResult {
		let host = HostOfWorker::<T>::get(&worker).ok_or(Error::<T>::NotAWorkerKey)?;
		let (current, phase, _) = Self::current_phase();
		ensure!(epoch == current, Error::<T>::WrongEpoch);
		ensure!(phase == Phase::Commit, Error::<T>::NotCommitWindow);
		let params = Params::<T>::get();
		ensure!(count > 0 && count <= params.max_count, Error::<T>::BadCount);
		ensure!(!Commitments::<T>::contains_key(epoch, &host), Error::<T>::AlreadyCommitted);
		Commitments::<T>::insert(epoch, &host, Commitment { root, count });
		Self::deposit_event(Event::Committed { epoch, host, root, count });
		Ok(())
	}
}
