//! Epochs and phases: the clock of the protocol, driven by block number.

use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::Get},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{traits::Saturating, SaturatedConversion},
};

use crate::{pallet::*, types::*, EpochRandomness, SprintParamsOf};

impl<T: Config> Pallet<T> {
	/// Starts a new epoch when the current one has run `epoch_length` blocks: applies pending
	/// parameters, fixes the new epoch's seed, forgets the seed of two epochs ago; fixes the
	/// sampling seed when Validation begins. Constant work. Returns the weight used and where the
	/// clock stands after this block's changes (epoch and phase).
	pub(crate) fn advance_epoch(now: BlockNumberFor<T>) -> (Weight, EpochIndex, Phase) {
		let db = T::DbWeight::get();
		let mut epoch = CurrentEpoch::<T>::get();
		let mut start = EpochStart::<T>::get();
		let mut params = Params::<T>::get();
		let mut weight = db.reads(3);
		// The next epoch waits for this one's settlement (see `settlement.rs`).
		if now.saturating_sub(start) >= params.epoch_length.into() && Self::is_settled(epoch) {
			epoch = epoch.saturating_add(1);
			start = now;
			CurrentEpoch::<T>::put(epoch);
			EpochStart::<T>::put(start);
			if let Some(pending) = PendingParams::<T>::take() {
				Params::<T>::put(&pending);
				params = pending;
				Self::deposit_event(Event::ParamsApplied { epoch });
			}
			EpochSeed::<T>::remove(epoch.saturating_sub(2));
			SamplingSeed::<T>::remove(epoch.saturating_sub(2));
			weight.saturating_accrue(db.reads_writes(1, 6));
		}
		weight.saturating_accrue(db.reads(1));
		if !EpochSeed::<T>::contains_key(epoch) {
			let seed = T::Randomness::seed(epoch, b"epoch");
			EpochSeed::<T>::insert(epoch, seed);
			Self::deposit_event(Event::EpochStarted { epoch, start, seed });
			weight.saturating_accrue(db.reads_writes(1, 2));
		}
		// The sampling seed is fixed when Validation begins: one phase after the epoch seed, so
		// nobody knows the committees while hits can still be committed.
		let offset: u32 = now.saturating_sub(start).saturated_into();
		let phase = params.phase_at(offset);
		if phase == Phase::Validation && !SamplingSeed::<T>::contains_key(epoch) {
			let sampling_seed = T::Randomness::seed(epoch, b"sampling");
			SamplingSeed::<T>::insert(epoch, sampling_seed);
			Self::deposit_event(Event::ValidationStarted { epoch, sampling_seed });
			weight.saturating_accrue(db.reads_writes(2, 2));
		}
		(weight, epoch, phase)
	}

	/// Notes the relay chain's randomness of this block's relay parent (`None` when it gave
	/// none), for [`RelayChainRandomness`](crate::RelayChainRandomness). Called by the runtime
	/// once per block from the verified relay-chain state proof. Returns the weight used.
	pub fn note_relay_randomness(randomness: Option<[u8; 32]>) -> Weight {
		RelayRandomness::<T>::set(randomness);
		T::DbWeight::get().writes(1)
	}

	/// The current epoch, its phase at this block, and the block's offset in the epoch.
	pub fn current_phase() -> (EpochIndex, Phase, u32) {
		let now = polkadot_sdk::frame_system::Pallet::<T>::block_number();
		let offset: u32 = now.saturating_sub(EpochStart::<T>::get()).saturated_into();
		(CurrentEpoch::<T>::get(), Params::<T>::get().phase_at(offset), offset)
	}

	/// The clock as `SprintApi::epoch_info` reports it.
	pub fn epoch_info() -> EpochInfo<BlockNumberFor<T>> {
		let (epoch, phase, _) = Self::current_phase();
		let start = EpochStart::<T>::get();
		let p = Params::<T>::get();
		let at = |offset: u32| start.saturating_add(offset.into());
		EpochInfo {
			epoch,
			phase,
			block: polkadot_sdk::frame_system::Pallet::<T>::block_number(),
			start,
			commit_start: at(p.sprint_length),
			validation_start: at(p.commit_end()),
			settlement_start: at(p.validation_end()),
			next_epoch_start: at(p.epoch_length),
		}
	}

	/// Checks parameters before they are stored.
	pub(crate) fn check_params(p: &SprintParamsOf<T>) -> Result<(), Error<T>> {
		p.model.validate().map_err(|_| Error::<T>::InvalidModelConfig)?;
		ensure!(
			p.sprint_length > 0
				&& p.commit_grace > 0
				&& p.validation_length > 0
				&& p.validation_end() < p.epoch_length,
			Error::<T>::InvalidPhaseLengths
		);
		ensure!(
			p.committee_size > 0
				&& p.committee_size <= T::MaxCommitteeSize::get()
				&& p.sample_size > 0
				&& p.max_count > 0
				&& p.max_count <= MAX_LEAVES,
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// Invariants: each epoch's total weight is the sum of its weights and the last running sum
	/// of its validators; every host's worker key points back to it; the host count is within
	/// `MaxHosts`; settlement either judges or pays, and pays only accepted hosts; committees are
	/// within the committee size.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let epoch = CurrentEpoch::<T>::get();
		let total: u64 = Weights::<T>::iter_prefix_values(epoch).sum();
		ensure!(total == TotalWeight::<T>::get(epoch), "TotalWeight differs from the weights");
		let count = ValidatorCount::<T>::get(epoch);
		let last = count.checked_sub(1).and_then(|i| Validators::<T>::get(epoch, i));
		ensure!(last.map_or(0, |(_, cum)| cum) == total, "validator running sum differs");
		for (host, info) in Hosts::<T>::iter() {
			ensure!(
				HostOfWorker::<T>::get(&info.worker_key).as_ref() == Some(&host),
				"a host's worker key does not map back to it"
			);
		}
		ensure!(Hosts::<T>::count() <= T::MaxHosts::get(), "more hosts than MaxHosts");
		ensure!(
			HostOfWorker::<T>::iter().count() as u32 == Hosts::<T>::count(),
			"worker keys without a host"
		);
		ensure!(
			!(SettlementCursor::<T>::exists() && PayoutCursor::<T>::exists()),
			"settlement is judging and paying at once"
		);
		if let Some(next) = PayoutCursor::<T>::get() {
			ensure!(
				next <= ValidatorCount::<T>::get(epoch.saturating_add(1)),
				"the payout cursor is past the accepted hosts"
			);
		}
		let size = Params::<T>::get().committee_size as usize;
		ensure!(
			Committees::<T>::iter_prefix_values(epoch).all(|c| c.len() <= size),
			"a committee larger than committee_size"
		);
		Ok(())
	}
}
