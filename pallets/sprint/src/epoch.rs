//! Epochs and phases: the clock of the protocol, driven by block number.

use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		pallet_prelude::*,
		traits::{fungible::Inspect, Get},
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_io::hashing::blake2_256,
	sp_runtime::{
		traits::{Saturating, Zero},
		Perbill, SaturatedConversion,
	},
};

use crate::{mix, pallet::*, types::*, EpochRandomness, SprintParamsOf, WeightInfo};

impl<T: Config> Pallet<T> {
	/// Starts a new epoch when the current one has run `epoch_length` blocks and is settled:
	/// applies pending parameters, forgets the seeds of two epochs ago. Constant work. Returns
	/// the weight used and where the clock stands in this block (epoch and phase). The seeds are
	/// fixed at the end of the block ([`Self::fix_seeds`]).
	pub(crate) fn advance_epoch(now: BlockNumberFor<T>) -> (Weight, EpochIndex, Phase) {
		let mut epoch = CurrentEpoch::<T>::get();
		let mut start = EpochStart::<T>::get();
		let mut params = Params::<T>::get();
		// Benchmarked with a rollover, the most this does.
		let weight = T::WeightInfo::advance_epoch();
		// The next epoch waits for this one's settlement (see `settlement.rs`).
		if now.saturating_sub(start) >= params.epoch_length.into() && Self::is_settled(epoch) {
			epoch = epoch.saturating_add(1);
			start = now;
			CurrentEpoch::<T>::put(epoch);
			EpochStart::<T>::put(start);
			ValidationStart::<T>::kill();
			LastCommitRelayBlock::<T>::kill();
			if let Some(pending) = PendingParams::<T>::take() {
				Params::<T>::put(&pending);
				params = pending;
				Self::deposit_event(Event::ParamsApplied { epoch });
			}
			EpochSeed::<T>::remove(epoch.saturating_sub(2));
			SamplingSeed::<T>::remove(epoch.saturating_sub(2));
		}
		let offset: u32 = now.saturating_sub(start).saturated_into();
		(weight, epoch, params.phase_at(offset, ValidationStart::<T>::get()))
	}

	/// The most weight [`Self::fix_seeds`] uses (reserved in `on_initialize`).
	pub(crate) fn fix_seeds_weight() -> Weight {
		T::WeightInfo::fix_seeds()
	}

	/// Fixes the seeds from the entropy of this block, after its inherents (PROTOCOL §3):
	///
	/// - the **epoch seed** in the epoch's first block, from the relay randomness that block
	///   carries (its own relay parent's); the Sprint is counted from the next block. When that
	///   relay block carried none, from the hash of the parent hash (its author could grind that
	///   one value; BABE's primary and secondary VRF slots always carry randomness);
	/// - during Commit, notes each block's relay parent;
	/// - the **sampling seed** in the first seed-gap block whose relay parent is strictly newer
	///   than that of the last Commit block and carries randomness; Validation runs from the next
	///   block. Without a relay chain (dev), in the first seed-gap block, from the parent hash.
	pub(crate) fn fix_seeds(now: BlockNumberFor<T>) {
		let epoch = CurrentEpoch::<T>::get();
		let start = EpochStart::<T>::get();
		let params = Params::<T>::get();
		let offset: u32 = now.saturating_sub(start).saturated_into();
		let entropy = T::Randomness::entropy();
		if !EpochSeed::<T>::contains_key(epoch) {
			let source = entropy.randomness.unwrap_or_else(|| {
				blake2_256(&polkadot_sdk::frame_system::Pallet::<T>::parent_hash().encode())
			});
			let seed = mix(&source, epoch, b"epoch");
			EpochSeed::<T>::insert(epoch, seed);
			Self::deposit_event(Event::EpochStarted { epoch, start, seed });
		}
		match params.phase_at(offset, ValidationStart::<T>::get()) {
			Phase::Commit => LastCommitRelayBlock::<T>::set(entropy.relay_block),
			Phase::SeedGap if !SamplingSeed::<T>::contains_key(epoch) => {
				let newer = match (entropy.relay_block, LastCommitRelayBlock::<T>::get()) {
					(Some(now), Some(last)) => now > last,
					_ => true,
				};
				let Some(source) = entropy.randomness.filter(|_| newer) else { return };
				let sampling_seed = mix(&source, epoch, b"sampling");
				SamplingSeed::<T>::insert(epoch, sampling_seed);
				let first = offset.saturating_add(1);
				ValidationStart::<T>::put(first);
				Self::deposit_event(Event::ValidationStarted {
					epoch,
					sampling_seed,
					relay_block: entropy.relay_block,
					start: start.saturating_add(first.into()),
				});
			},
			_ => {},
		}
	}

	/// Notes this block's relay parent and what its state proof says of its randomness, for
	/// [`RelayChainRandomness`](crate::RelayChainRandomness). Called by the runtime once per
	/// block from the verified relay-chain state proof. Returns the weight used.
	pub fn note_relay_block(number: u32, randomness: Option<[u8; 32]>) -> Weight {
		RelayEntropy::<T>::put(NotedRelayBlock { number, randomness });
		T::DbWeight::get().writes(1)
	}

	/// The current epoch, its phase at this block, and the block's offset in the epoch.
	pub fn current_phase() -> (EpochIndex, Phase, u32) {
		let now = polkadot_sdk::frame_system::Pallet::<T>::block_number();
		let offset: u32 = now.saturating_sub(EpochStart::<T>::get()).saturated_into();
		let phase = Params::<T>::get().phase_at(offset, ValidationStart::<T>::get());
		(CurrentEpoch::<T>::get(), phase, offset)
	}

	/// The clock as `SprintApi::epoch_info` reports it.
	pub fn epoch_info() -> EpochInfo<BlockNumberFor<T>> {
		let (epoch, phase, _) = Self::current_phase();
		let start = EpochStart::<T>::get();
		let p = Params::<T>::get();
		let at = |offset: u32| start.saturating_add(offset.into());
		let validation = ValidationStart::<T>::get().unwrap_or(p.earliest_validation_start());
		EpochInfo {
			epoch,
			phase,
			block: polkadot_sdk::frame_system::Pallet::<T>::block_number(),
			start,
			commit_start: at(p.commit_start()),
			commit_end: at(p.commit_end()),
			validation_start: at(validation),
			reveal_start: at(p.reveal_start(validation)),
			settlement_start: at(p.settlement_start(validation)),
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
				&& p.reveal_length > 0
				&& p.settlement_start(p.earliest_validation_start()) < p.epoch_length,
			Error::<T>::InvalidPhaseLengths
		);
		ensure!(
			(MIN_COMMITTEE_SIZE..=T::MaxCommitteeSize::get()).contains(&p.committee_size),
			Error::<T>::CommitteeSizeOutOfBounds
		);
		ensure!(
			(Perbill::from_percent(50)..=Perbill::from_percent(90)).contains(&p.accept_threshold),
			Error::<T>::AcceptThresholdOutOfBounds
		);
		ensure!(
			p.hit_tolerance > 0 && p.hit_tolerance <= MAX_HIT_TOLERANCE,
			Error::<T>::HitToleranceOutOfBounds
		);
		ensure!(p.lazy_tolerance <= MAX_LAZY_TOLERANCE, Error::<T>::LazyToleranceOutOfBounds);
		ensure!(
			(MIN_SAMPLE_SIZE..=MAX_SAMPLE_SIZE).contains(&p.sample_size),
			Error::<T>::SampleSizeOutOfBounds
		);
		ensure!((1..=MAX_LEAVES).contains(&p.max_count), Error::<T>::MaxCountOutOfBounds);
		ensure!(
			(Perbill::from_percent(10)..=Perbill::one()).contains(&p.fraud_slash),
			Error::<T>::FraudSlashOutOfBounds
		);
		ensure!(
			!p.host_bond.is_zero() && p.host_bond >= T::Currency::minimum_balance(),
			Error::<T>::HostBondOutOfBounds
		);
		Ok(())
	}

	/// Invariants: each epoch's total weight is the sum of its weights and the last running sum
	/// of its validators; every host's worker key points back to it; the host count is within
	/// `MaxHosts`; settlement either judges or pays, and pays only accepted hosts; every drawn
	/// host's seats add up to `committee_size` (or none) and never include the host.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let epoch = CurrentEpoch::<T>::get();
		let total: u64 = Weights::<T>::iter_prefix_values(epoch).sum();
		ensure!(total == TotalWeight::<T>::get(epoch), "TotalWeight differs from the weights");
		let voting: u64 = VotingWeights::<T>::iter_prefix_values(epoch).sum();
		ensure!(
			voting == TotalVotingWeight::<T>::get(epoch),
			"TotalVotingWeight differs from the voting weights"
		);
		ensure!(
			VotingWeights::<T>::iter_prefix(epoch)
				.all(|(host, v)| v <= Weights::<T>::get(epoch, &host)),
			"a voting weight exceeds the host's weight"
		);
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
		// Bonds against holds: a host holds its bond plus what it is still unbonding; an
		// account that left holds at most what it is unbonding.
		{
			use polkadot_sdk::frame_support::traits::fungible::InspectHold;
			let reason: T::RuntimeHoldReason = HoldReason::HostBond.into();
			for (host, info) in Hosts::<T>::iter() {
				let unbonding = Unbondings::<T>::get(&host).map(|u| u.amount).unwrap_or_default();
				ensure!(
					T::Currency::balance_on_hold(&reason, &host)
						== info.bond.saturating_add(unbonding),
					"a host's held bond differs from its record"
				);
			}
			for (who, unbonding) in Unbondings::<T>::iter() {
				if !Hosts::<T>::contains_key(&who) {
					ensure!(
						T::Currency::balance_on_hold(&reason, &who) <= unbonding.amount,
						"an unbonding account holds more than it is unbonding"
					);
				}
			}
		}
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
				next <= AcceptedCount::<T>::get(epoch),
				"the payout cursor is past the accepted hosts"
			);
		}
		let size = Params::<T>::get().committee_size;
		ensure!(
			Seats::<T>::iter_prefix_values(epoch).all(|seats| {
				let total: u32 = seats.iter().map(|(_, n)| *n).sum();
				total == 0 || total == size
			}),
			"a host's seats do not add up to committee_size"
		);
		ensure!(
			Seats::<T>::iter_prefix(epoch)
				.all(|(host, seats)| seats.iter().all(|(v, _)| v != &host)),
			"a host holds a seat on itself"
		);
		Ok(())
	}
}
