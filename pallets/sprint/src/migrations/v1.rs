//! Storage version 1 (protocol v2, PROTOCOL §12) from version 0 (protocol v1).
//!
//! What changed, and what [`MigrateV0ToV1`] does with each (docs/PROTOCOL.md §13):
//!
//! - [`Params`] and [`PendingParams`] gained `reveal_length`, `hit_tolerance` and
//!   `lazy_tolerance`: translated. The Reveal phase gets a sixth of Validation (mainnet's 100 of
//!   600 blocks), at least one block, within what the epoch has left after Validation (the epoch
//!   is lengthened if it has no room: v2 adds a seed gap and starts Commit a block later); the
//!   new tolerances take their defaults; every other field is clamped into PROTOCOL §11's
//!   bounds, which v1 did not check.
//! - `RelayRandomness` became [`RelayEntropy`] (written by every block's inherent) and
//!   [`DevSeeds`]: v1 fell back to the parent hash whenever a block carried no relay randomness,
//!   which on a real relay chain never happens; so a chain whose last block had none is a dev
//!   chain and keeps its fallback (`DevSeeds = true`).
//! - `Votes`, `Committees` and `MissedVotes` are gone (commit–reveal verdicts, seats, missed
//!   seats); [`Tallies`] now counts seats (u32) and is written at settlement, where v1 summed
//!   weights at every vote: all four are cleared (v1's tallies would decode as nonsense).
//! - [`VotingWeights`] and [`TotalVotingWeight`] (governance votes with the lesser of two
//!   epochs' weights) are filled for the current and the next epoch from [`Weights`].
//! - The current epoch, if its sampling seed is fixed and it is not settled, needs a
//!   [`ValidationStart`]:
//!   - no settlement step ran yet (v1's Validation, or its Settlement before the first step):
//!     v1's verdicts carry no check bits and no commitment, so they cannot be counted under
//!     commit–reveal; Validation reopens at the upgrade block with the same sampling seed, and
//!     the epoch runs on for Validation and Reveal (an epoch waits for its settlement). The
//!     commitments, weights and bonds stand; validators judge again.
//!   - settlement under way: it goes on from the next step at the upgrade block (its cursor is a
//!     `Hosts` key, the same in both versions). Hosts not yet judged have no revealed verdicts
//!     and are not accepted (they keep their retained weight; nobody is slashed). A payout under
//!     way walked the next epoch's validators in v1: [`Accepted`] is filled from them, and
//!     [`MissedSeats`]/[`AssignedSeats`] from v1's missed votes and committee seats, so the rest
//!     of the payout pays as v1 would have, with v2's penalty by share.
//!
//! The work is bounded by the maps it walks: at most `MaxHosts` hosts, the current and previous
//! epochs' votes and committees (cleanup keeps no more), `MaxHosts × MaxCommitteeSize` each. The
//! weight returned counts every read and write.

use alloc::vec::Vec;
use codec::{Decode, Encode, MaxEncodedLen};
use gonka_primitives::ModelConfig;
use polkadot_sdk::{
	frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		storage_alias,
		traits::{fungible::Inspect, UncheckedOnRuntimeUpgrade},
	},
	frame_system,
	sp_runtime::{traits::Saturating, Perbill, SaturatedConversion},
};
use scale_info::TypeInfo;

use crate::{pallet::*, types::*, BalanceOf, SprintParamsOf};

type AccountIdOf<T> = <T as frame_system::Config>::AccountId;

/// The version-0 layout of what changed, as storage aliases.
pub mod v0 {
	use super::*;

	/// v1's parameters: no Reveal phase, no hit or lazy tolerance.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen)]
	pub struct SprintParams<Balance> {
		pub epoch_length: u32,
		pub sprint_length: u32,
		pub commit_grace: u32,
		pub validation_length: u32,
		pub committee_size: u32,
		pub sample_size: u32,
		pub max_count: u64,
		pub accept_threshold: Perbill,
		pub fraud_slash: Perbill,
		pub host_bond: Balance,
		pub model: ModelConfig,
	}

	#[storage_alias]
	pub type Params<T: Config> = StorageValue<Pallet<T>, SprintParams<BalanceOf<T>>, OptionQuery>;

	#[storage_alias]
	pub type PendingParams<T: Config> =
		StorageValue<Pallet<T>, SprintParams<BalanceOf<T>>, OptionQuery>;

	#[storage_alias]
	pub type Votes<T: Config> = StorageNMap<
		Pallet<T>,
		(
			NMapKey<Twox64Concat, EpochIndex>,
			NMapKey<Blake2_128Concat, AccountIdOf<T>>,
			NMapKey<Blake2_128Concat, AccountIdOf<T>>,
		),
		Verdict,
		OptionQuery,
	>;

	#[storage_alias]
	pub type Committees<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		AccountIdOf<T>,
		Vec<AccountIdOf<T>>,
		OptionQuery,
	>;

	#[storage_alias]
	pub type MissedVotes<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		AccountIdOf<T>,
		u32,
		ValueQuery,
	>;

	#[storage_alias]
	pub type RelayRandomness<T: Config> = StorageValue<Pallet<T>, [u8; 32], OptionQuery>;
}

/// v1's parameters as v2's (see the module docs).
pub fn translate_params<T: Config>(old: v0::SprintParams<BalanceOf<T>>) -> SprintParamsOf<T> {
	let mut p = SprintParams {
		epoch_length: old.epoch_length,
		sprint_length: old.sprint_length.max(1),
		commit_grace: old.commit_grace.max(1),
		validation_length: old.validation_length.max(1),
		reveal_length: 1,
		committee_size: old.committee_size.clamp(MIN_COMMITTEE_SIZE, T::MaxCommitteeSize::get()),
		sample_size: old.sample_size.clamp(MIN_SAMPLE_SIZE, MAX_SAMPLE_SIZE),
		max_count: old.max_count.clamp(1, MAX_LEAVES),
		accept_threshold: old
			.accept_threshold
			.clamp(Perbill::from_percent(50), Perbill::from_percent(90)),
		fraud_slash: old.fraud_slash.clamp(Perbill::from_percent(10), Perbill::one()),
		host_bond: old.host_bond.max(T::Currency::minimum_balance()),
		model: old.model,
		hit_tolerance: DEFAULT_HIT_TOLERANCE,
		lazy_tolerance: DEFAULT_LAZY_TOLERANCE,
	};
	// What is left after Validation, keeping one block of Settlement.
	let room = p
		.epoch_length
		.saturating_sub(p.earliest_validation_start().saturating_add(p.validation_length))
		.saturating_sub(1);
	p.reveal_length = (p.validation_length / 6).clamp(1, room.max(1));
	p.epoch_length =
		p.epoch_length.max(p.settlement_start(p.earliest_validation_start()).saturating_add(1));
	p
}

/// The storage proof charged per key the migration reads: a trie path and a value of this
/// pallet's largest v1 item (a committee of 16 accounts) fit in it.
const PROOF_PER_READ: u64 = 1_024;

/// What [`MigrateV0ToV1`] found, for its `post_upgrade` check.
#[derive(Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct Before {
	pub epoch: EpochIndex,
	pub hosts: u32,
	pub weights: Vec<(EpochIndex, u64)>,
	pub commitments: u32,
	pub votes: u32,
	pub committees: u32,
	pub in_validation: bool,
	pub paying: Option<u32>,
}

/// The migration without its version check; use [`MigrateV0ToV1`].
pub struct UncheckedMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let db = T::DbWeight::get();
		let (mut reads, mut writes) = (0u64, 0u64);
		let old = v0::Params::<T>::get();
		reads += 2;
		let Some(old) = old else {
			log::error!(
				target: "runtime::sprint",
				"v0→v1: no Params to translate: the chain was not started with this pallet's \
				 genesis; nothing migrated"
			);
			return db.reads(reads);
		};
		let params = translate_params::<T>(old);
		Params::<T>::put(&params);
		writes += 1;
		if let Some(pending) = v0::PendingParams::<T>::get() {
			PendingParams::<T>::put(translate_params::<T>(pending));
			writes += 1;
		}

		// v1 fell back to the parent hash exactly when a block carried no relay randomness.
		let dev = v0::RelayRandomness::<T>::take().is_none();
		DevSeeds::<T>::put(dev);
		reads += 1;
		writes += 2;

		let epoch = CurrentEpoch::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let offset: u32 = now.saturating_sub(EpochStart::<T>::get()).saturated_into();
		reads += 3;

		// Settlement under way: v1 paid the next epoch's validators by index. They become the
		// epoch's `Accepted` hosts (from the payout cursor on, if paying), their seats and
		// missed seats v1's committee seats and missed votes.
		let judging = SettlementCursor::<T>::exists();
		let paying = PayoutCursor::<T>::get();
		reads += 2;
		if judging || paying.is_some() {
			let following = epoch.saturating_add(1);
			let count = ValidatorCount::<T>::get(following);
			for index in paying.unwrap_or(0)..count {
				if let Some((host, _)) = Validators::<T>::get(following, index) {
					Accepted::<T>::insert(epoch, index, host);
					writes += 1;
				}
				reads += 1;
			}
			AcceptedCount::<T>::insert(epoch, count);
			for (validator, missed) in v0::MissedVotes::<T>::iter_prefix(epoch) {
				MissedSeats::<T>::insert(epoch, validator, missed);
				reads += 1;
				writes += 1;
			}
			for (_, committee) in v0::Committees::<T>::iter_prefix(epoch) {
				for validator in committee {
					AssignedSeats::<T>::mutate(epoch, validator, |n| *n = n.saturating_add(1));
					reads += 1;
					writes += 1;
				}
				reads += 1;
			}
			reads += 1;
			writes += 1;
		}

		// The current epoch's clock.
		if SamplingSeed::<T>::contains_key(epoch) && !crate::Pallet::<T>::is_settled(epoch) {
			let settling = judging || paying.is_some();
			let start = if settling {
				// Settlement goes on at this block.
				offset.saturating_sub(params.validation_length.saturating_add(params.reveal_length))
			} else {
				// Validation reopens at this block.
				offset
			};
			ValidationStart::<T>::put(start);
			writes += 1;
			if !settling {
				let sampling_seed = SamplingSeed::<T>::get(epoch).unwrap_or_default();
				crate::Pallet::<T>::deposit_event(Event::ValidationStarted {
					epoch,
					sampling_seed,
					relay_block: None,
					start: now,
				});
				writes += 1;
			}
			reads += 2;
		}

		// Removed maps, and tallies that no longer decode to what they meant.
		for cleared in [
			v0::Votes::<T>::clear(u32::MAX, None).backend,
			v0::Committees::<T>::clear(u32::MAX, None).backend,
			v0::MissedVotes::<T>::clear(u32::MAX, None).backend,
			Tallies::<T>::clear(u32::MAX, None).backend,
		] {
			reads += cleared as u64;
			writes += cleared as u64;
		}

		// Voting weights of the current and the next epoch: the lesser of two epochs' weights.
		// (v1 had none; anything there is recomputed, so the totals add up.)
		for e in [epoch, epoch.saturating_add(1)] {
			let _ = VotingWeights::<T>::clear_prefix(e, u32::MAX, None);
			TotalVotingWeight::<T>::remove(e);
			writes += 1;
			for (host, weight) in Weights::<T>::iter_prefix(e) {
				let voting = match e.checked_sub(1) {
					Some(previous) => weight.min(Weights::<T>::get(previous, &host)),
					None => weight,
				};
				crate::Pallet::<T>::set_voting_weight(e, &host, voting);
				reads += 3;
				writes += 2;
			}
		}

		let bad_endpoints =
			Hosts::<T>::iter_values().filter(|h| !is_valid_endpoint(&h.endpoint)).count();
		reads += Hosts::<T>::count() as u64;
		if bad_endpoints > 0 {
			log::warn!(
				target: "runtime::sprint",
				"v0→v1: {bad_endpoints} host endpoint(s) are not http(s)://host[:port]; \
				 validators will not fetch them until the host calls update_host"
			);
		}
		log::info!(
			target: "runtime::sprint",
			"v0→v1: params translated (reveal_length {}, epoch_length {}), dev seeds {dev}, \
			 epoch {epoch} at offset {offset}, {reads} reads, {writes} writes",
			params.reveal_length,
			params.epoch_length,
		);
		// The storage proof: at most PROOF_PER_READ bytes per key read (the dev chain's state,
		// about 100 keys read, gave a 6.9 KB proof: runtime/src/migration_tests.rs).
		db.reads_writes(reads, writes)
			.saturating_add(Weight::from_parts(0, reads.saturating_mul(PROOF_PER_READ)))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, polkadot_sdk::sp_runtime::TryRuntimeError> {
		ensure!(v0::Params::<T>::exists(), "v0 Params missing");
		let epoch = CurrentEpoch::<T>::get();
		let weights = [epoch, epoch.saturating_add(1)]
			.into_iter()
			.map(|e| (e, TotalWeight::<T>::get(e)))
			.collect();
		let in_validation = SamplingSeed::<T>::contains_key(epoch)
			&& !crate::Pallet::<T>::is_settled(epoch)
			&& !SettlementCursor::<T>::exists()
			&& !PayoutCursor::<T>::exists();
		Ok(Before {
			epoch,
			hosts: Hosts::<T>::count(),
			weights,
			commitments: Commitments::<T>::iter_prefix(epoch).count() as u32,
			votes: v0::Votes::<T>::iter_keys().count() as u32,
			committees: v0::Committees::<T>::iter_keys().count() as u32,
			in_validation,
			paying: PayoutCursor::<T>::get(),
		}
		.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let before = Before::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		let params = Params::<T>::get();
		crate::Pallet::<T>::check_params(&params)
			.map_err(|_| "translated Params outside PROTOCOL §11's bounds")?;
		if let Some(pending) = PendingParams::<T>::get() {
			crate::Pallet::<T>::check_params(&pending)
				.map_err(|_| "translated PendingParams outside PROTOCOL §11's bounds")?;
		}
		ensure!(CurrentEpoch::<T>::get() == before.epoch, "the epoch changed");
		ensure!(Hosts::<T>::count() == before.hosts, "hosts lost");
		for (e, total) in before.weights {
			ensure!(TotalWeight::<T>::get(e) == total, "a total weight changed");
			let voting: u64 = VotingWeights::<T>::iter_prefix_values(e).sum();
			ensure!(voting == TotalVotingWeight::<T>::get(e), "voting weights do not add up");
			ensure!(voting <= total, "more voting weight than weight");
		}
		ensure!(
			Commitments::<T>::iter_prefix(before.epoch).count() as u32 == before.commitments,
			"commitments lost"
		);
		ensure!(v0::Votes::<T>::iter_keys().next().is_none(), "v0 votes left");
		ensure!(v0::Committees::<T>::iter_keys().next().is_none(), "v0 committees left");
		ensure!(v0::MissedVotes::<T>::iter_keys().next().is_none(), "v0 missed votes left");
		ensure!(!v0::RelayRandomness::<T>::exists(), "v0 relay randomness left");
		ensure!(Tallies::<T>::iter_keys().next().is_none(), "v0 tallies left");
		if before.in_validation {
			let (_, phase, _) = crate::Pallet::<T>::current_phase();
			ensure!(phase == Phase::Validation, "validation did not reopen");
		}
		if let Some(next) = before.paying {
			ensure!(next <= AcceptedCount::<T>::get(before.epoch), "payout cursor past Accepted");
		}
		log::info!(
			target: "runtime::sprint",
			"v0→v1 checked: {} hosts, {} commitments kept, {} votes and {} committees of v1 removed",
			before.hosts,
			before.commitments,
			before.votes,
			before.committees,
		);
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

	/// v1's defaults (mainnet): 16 seats, 20 blocks of commit grace, no host bond.
	fn v1_defaults() -> v0::SprintParams<u64> {
		v0::SprintParams {
			epoch_length: 14_400,
			sprint_length: 50,
			commit_grace: 20,
			validation_length: 600,
			committee_size: 16,
			sample_size: 200,
			max_count: 1 << 24,
			accept_threshold: Perbill::from_rational(2u32, 3u32),
			fraud_slash: Perbill::from_percent(50),
			host_bond: 0,
			model: ModelConfig::h100(),
		}
	}

	/// The mock's parameters as v1 stored them.
	fn mock_v1_params() -> v0::SprintParams<u64> {
		let p = test_params();
		v0::SprintParams {
			epoch_length: p.epoch_length,
			sprint_length: p.sprint_length,
			commit_grace: p.commit_grace,
			validation_length: p.validation_length,
			committee_size: p.committee_size,
			sample_size: p.sample_size,
			max_count: p.max_count,
			accept_threshold: p.accept_threshold,
			fraud_slash: p.fraud_slash,
			host_bond: p.host_bond,
			model: p.model,
		}
	}

	/// `v0` as v1 stored it, the pallet at storage version 0 (the rest of the state is v2's:
	/// the mock runs v2 code; what matters is what the migration reads).
	fn downgrade(params: v0::SprintParams<u64>) {
		v0::Params::<Test>::put(params);
		ValidationStart::<Test>::kill();
		StorageVersion::new(0).put::<crate::Pallet<Test>>();
	}

	fn migrate() -> Weight {
		let w = MigrateV0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(crate::Pallet::<Test>::on_chain_storage_version(), StorageVersion::new(1));
		w
	}

	#[test]
	fn v1_defaults_translate_into_the_bounds() {
		build_and_execute(new_test_ext(), || {
			let p = translate_params::<Test>(v1_defaults());
			assert!(crate::Pallet::<Test>::check_params(&p).is_ok());
			assert_eq!((p.reveal_length, p.epoch_length, p.committee_size), (100, 14_400, 16));
			assert_eq!(p.host_bond, 1, "a zero bond (free Sybils) becomes the existential deposit");
			assert_eq!(p.lazy_tolerance, DEFAULT_LAZY_TOLERANCE);
			// Out of bounds under v1, clamped.
			let mut wild = v1_defaults();
			wild.accept_threshold = Perbill::one();
			wild.committee_size = 1;
			wild.sample_size = 5;
			wild.fraud_slash = Perbill::zero();
			let p = translate_params::<Test>(wild);
			assert!(crate::Pallet::<Test>::check_params(&p).is_ok());
			assert_eq!(p.accept_threshold, Perbill::from_percent(90));
			assert_eq!((p.committee_size, p.sample_size), (MIN_COMMITTEE_SIZE, MIN_SAMPLE_SIZE));
		});
	}

	#[test]
	fn a_v1_epoch_without_room_for_reveal_is_lengthened() {
		build_and_execute(new_test_ext(), || {
			let tight = v0::SprintParams {
				epoch_length: 20,
				sprint_length: 10,
				commit_grace: 5,
				validation_length: 5,
				..v1_defaults()
			};
			let p = translate_params::<Test>(tight);
			// Commit [11, 16), seed gap 16, Validation [17, 22), Reveal 22, Settlement 23.
			assert_eq!((p.reveal_length, p.epoch_length), (1, 24));
			assert!(crate::Pallet::<Test>::check_params(&p).is_ok());
		});
	}

	#[test]
	fn an_upgrade_in_commit_leaves_the_clock_to_v2() {
		build_and_execute(new_test_ext(), || {
			run_to(7); // Commit of epoch 0
			downgrade(mock_v1_params());
			v0::RelayRandomness::<Test>::put([7; 32]);
			migrate();
			assert_eq!(ValidationStart::<Test>::get(), None);
			assert!(!DevSeeds::<Test>::get(), "the last block carried relay randomness");
			assert_eq!(crate::Pallet::<Test>::current_phase().1, Phase::Commit);
			assert_eq!(Params::<Test>::get().reveal_length, 1);
			run_to(30);
			assert!(crate::Pallet::<Test>::is_settled(0));
			assert_eq!(CurrentEpoch::<Test>::get(), 1);
		});
	}

	#[test]
	fn an_upgrade_in_validation_reopens_it_and_clears_v1_votes() {
		build_and_execute(new_test_ext(), || {
			let p = test_params();
			run_to(11); // Validation of epoch 0 (v2 layout; the sampling seed is fixed)
			downgrade(mock_v1_params());
			v0::Votes::<Test>::insert((0, 1, 2), Verdict::Valid);
			v0::Committees::<Test>::insert(0, 1, vec![2u64; 8]);
			v0::MissedVotes::<Test>::insert(0, 2, 3);
			migrate();
			let (_, phase, offset) = crate::Pallet::<Test>::current_phase();
			assert_eq!((ValidationStart::<Test>::get(), phase), (Some(offset), Phase::Validation));
			assert!(DevSeeds::<Test>::get(), "no relay randomness: a dev chain");
			assert_eq!(v0::Votes::<Test>::iter_keys().count(), 0);
			assert_eq!(v0::Committees::<Test>::iter_keys().count(), 0);
			assert_eq!(v0::MissedVotes::<Test>::iter_keys().count(), 0);
			assert!(matches!(
				System::events().last().map(|r| &r.event),
				Some(RuntimeEvent::Sprint(Event::ValidationStarted { epoch: 0, .. }))
			));
			// The epoch runs on: Validation 4 blocks from the upgrade, then Reveal, Settlement.
			run_to(11 + p.validation_length as u64 - 1);
			assert_eq!(crate::Pallet::<Test>::current_phase().1, Phase::Validation);
			run_to(11 + p.validation_length as u64);
			assert_eq!(crate::Pallet::<Test>::current_phase().1, Phase::Reveal);
			run_to(40);
			assert!(crate::Pallet::<Test>::is_settled(0));
		});
	}

	#[test]
	fn an_upgrade_while_judging_goes_on_with_settlement() {
		build_and_execute(ext_with_hosts(6), || {
			run_to(17); // Settlement: 2 hosts judged per block in the mock, 6 hosts
			assert!(SettlementCursor::<Test>::exists(), "judging is under way");
			downgrade(mock_v1_params());
			migrate();
			assert_eq!(crate::Pallet::<Test>::current_phase().1, Phase::Settlement);
			run_to(25);
			assert!(crate::Pallet::<Test>::is_settled(0));
			assert_eq!(CurrentEpoch::<Test>::get(), 1);
		});
	}

	#[test]
	fn the_migration_runs_once() {
		build_and_execute(new_test_ext(), || {
			let before = Params::<Test>::get();
			// What a v2 genesis writes (`on_genesis`, which the mock's storage builder skips).
			StorageVersion::new(1).put::<crate::Pallet<Test>>();
			let w = MigrateV0ToV1::<Test>::on_runtime_upgrade();
			let db: polkadot_sdk::frame_support::weights::RuntimeDbWeight =
				<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
			assert_eq!(w, db.reads(1));
			assert_eq!(Params::<Test>::get(), before);
		});
	}
}
