//! # Sprint pallet
//!
//! The on-chain half of the transformer Proof-of-Work (`PROTOCOL.md` §1–§8): hosts and their
//! bonds, epochs and their phases, the epoch seed, the commitments hosts submit after the
//! Sprint, committees, verdicts, settlement and weights. The chain never runs the transformer;
//! it stores roots and counts and tallies votes. Rewards are paid by the issuance pallet through
//! [`EpochRewards`].
//!
//! - Hosts: [`register_host`](Pallet::register_host) reserves `host_bond` (a hold) and records an
//!   endpoint and a worker key; [`update_host`](Pallet::update_host),
//!   [`set_worker_key`](Pallet::set_worker_key), [`unregister_host`](Pallet::unregister_host)
//!   (not while a verdict on the current epoch is pending; the host leaves at once) and
//!   [`withdraw_bond`](Pallet::withdraw_bond) (from the next epoch on).
//! - Epochs: driven by block number in `on_initialize`; the lengths and the model config live in
//!   one [`Params`] value that only Root changes ([`set_params`](Pallet::set_params)), from the
//!   next epoch.
//! - Seeds: from [`Config::Randomness`] at the end of the block that carries it: the epoch seed
//!   in the epoch's first block, the sampling seed after a seed gap, from relay randomness
//!   strictly newer than the last block that accepted a commit (`PROTOCOL.md` §3).
//! - Commitments: [`commit`](Pallet::commit), signed by the worker key, once per host per epoch,
//!   only in the Commit window.
//! - Seats and verdicts: `committee_size` seats per committed host drawn by weight with
//!   replacement (`committee.rs`); seat holders commit the hashes of their verdicts (`Valid`,
//!   `Invalid`, `Unreachable`) with check bits in Validation
//!   ([`commit_verdicts`](Pallet::commit_verdicts)) and reveal them in the Reveal phase
//!   ([`reveal_verdicts`](Pallet::reveal_verdicts)), one vote per seat (`verdicts.rs`).
//! - Settlement (`settlement.rs`): lazy validators found by their check bits, every host judged
//!   by its seats (accepted, not accepted, slashed, silent), the next epoch's weights set
//!   (retained weight for everyone not accepted), the reward denominator summed, then the
//!   accepted hosts paid through [`Config::Rewards`] (the issuance pallet), a bounded number per
//!   block.
//! - Old epochs are forgotten a bounded number of keys per block (`cleanup.rs`).
//!
//! Logic lives by domain in `hosts.rs`, `epoch.rs`, `committee.rs`, `verdicts.rs`,
//! `settlement.rs` and `cleanup.rs`; this file is the index.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod cleanup;
mod committee;
mod epoch;
mod hosts;
pub mod migrations;
mod settlement;
pub mod types;
mod verdicts;
pub mod weights;

#[cfg(test)]
mod attacks;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use gonka_primitives::sampling;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{
	frame_support::{self, traits::fungible, weights::Weight},
	frame_system,
	sp_core::H256,
	sp_runtime::{self, Perbill},
};

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The parameters with the runtime's balance type.
pub type SprintParamsOf<T> = SprintParams<BalanceOf<T>>;

/// A host record with the runtime's types.
pub type HostInfoOf<T> = HostInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

/// The seats of one host's committee: each distinct validator with the number of seats it holds,
/// in the order of first draw.
pub type SeatsOf<T> = polkadot_sdk::frame_support::BoundedVec<
	(<T as frame_system::Config>::AccountId, u32),
	<T as Config>::MaxCommitteeSize,
>;

/// What settlement pays (`PROTOCOL.md` §8): implemented by the issuance pallet, which owns the
/// money; this pallet owns the clock and the host set and tells it what to pay.
///
/// Settlement of an epoch first judges every host (a cursor over `Hosts`), summing the
/// expected-weight denominator `D(e)`; then calls [`begin_payout`](Self::begin_payout) once,
/// [`reward`](Self::reward) for each accepted host (a cursor over the next epoch's
/// validators), and [`end_payout`](Self::end_payout) once, all within bounded blocks.
pub trait EpochRewards<AccountId> {
	/// The share of its last accepted weight a silent host is expected to keep for each
	/// further silent epoch (§8 `Retention`).
	fn retention() -> Perbill;
	/// Silent epochs in a row a host may have; one more and it is deregistered, its bond
	/// returned (§8 `MaxMissedEpochs`).
	fn max_missed_epochs() -> u32;
	/// Every host of `epoch` is judged; `expected_weight` is `D(e)`. Returns the weight used.
	fn begin_payout(epoch: EpochIndex, expected_weight: u64) -> Weight;
	/// Pays `host` its share for `weight` accepted in `epoch`, less the penalty for the
	/// `missed` of its `assigned` seats (seats on other hosts it held) whose verdict did not
	/// count: not committed, not revealed, or lazy. Returns the weight used.
	fn reward(
		epoch: EpochIndex,
		host: &AccountId,
		weight: u64,
		missed: u32,
		assigned: u32,
	) -> Weight;
	/// Every accepted host of `epoch` was paid. Returns the weight used.
	fn end_payout(epoch: EpochIndex) -> Weight;
	/// The most weight one `reward` call may use (for the per-block budget).
	fn max_reward_weight() -> Weight;
}

/// No rewards; PROTOCOL's defaults for `Retention` (90 %) and `MaxMissedEpochs` (14).
impl<AccountId> EpochRewards<AccountId> for () {
	fn retention() -> Perbill {
		Perbill::from_percent(90)
	}
	fn max_missed_epochs() -> u32 {
		14
	}
	fn begin_payout(_: EpochIndex, _: u64) -> Weight {
		Weight::zero()
	}
	fn reward(_: EpochIndex, _: &AccountId, _: u64, _: u32, _: u32) -> Weight {
		Weight::zero()
	}
	fn end_payout(_: EpochIndex) -> Weight {
		Weight::zero()
	}
	fn max_reward_weight() -> Weight {
		Weight::zero()
	}
}

/// What the current block knows that nobody could know before it (`PROTOCOL.md` §3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entropy {
	/// The relay-chain block this block was built on (its relay parent), when there is a relay
	/// chain.
	pub relay_block: Option<u32>,
	/// Randomness first known at that relay block (BABE's VRF output), or, on a chain without a
	/// relay chain (`--dev`), the parent hash, which its author can grind. `None`: the relay
	/// block carried none; a seed that must be fresh waits for the next.
	pub randomness: Option<[u8; 32]>,
}

/// Worker keys and their proofs of possession for the benchmarks: the runtime signs with a key
/// it generates in the benchmark's keystore, the mock with a test signature.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, KeyProof> {
	/// The `index`-th worker key and its signature over `message`.
	fn worker_key(index: u32, message: &[u8]) -> (AccountId, KeyProof);
}

/// Where seeds come from (`PROTOCOL.md` §3): the entropy of the block being built, as it stands
/// after the block's inherents (the pallet reads it in `on_finalize`).
pub trait EpochRandomness {
	fn entropy() -> Entropy;
}

/// `blake2_256(source ‖ subject ‖ u32_le(epoch))`.
pub fn mix(source: &[u8; 32], epoch: EpochIndex, subject: &[u8]) -> [u8; 32] {
	let mut input = alloc::vec::Vec::with_capacity(32 + subject.len() + 4);
	input.extend_from_slice(source);
	input.extend_from_slice(subject);
	input.extend_from_slice(&epoch.to_le_bytes());
	polkadot_sdk::sp_io::hashing::blake2_256(&input)
}

/// The dev-mode source: the parent hash, no relay block. The parent hash is known to the block
/// author one block ahead and can be ground by it, so this is for chains without a relay chain
/// and for tests; a parachain uses [`RelayChainRandomness`].
pub struct ParentHashRandomness<T>(core::marker::PhantomData<T>);

impl<T: frame_system::Config<Hash = H256>> EpochRandomness for ParentHashRandomness<T> {
	fn entropy() -> Entropy {
		Entropy { relay_block: None, randomness: Some(frame_system::Pallet::<T>::parent_hash().0) }
	}
}

/// The parachain source (PROTOCOL §3): the BABE VRF output of this block's relay parent, noted
/// by the runtime from this block's verified relay-chain state proof
/// ([`Pallet::note_relay_block`], called from the parachain-system inherent, before anything
/// else in the block). Neither the collator nor anyone else knows it before that relay block
/// exists, and the collator cannot grind it. A block whose proof carries none gives none, unless
/// the chain was started with [`DevSeeds`] (`--dev`, whose relay chain is mocked and has no
/// randomness): then the parent hash, which its author can grind.
pub struct RelayChainRandomness<T>(core::marker::PhantomData<T>);

impl<T: Config + frame_system::Config<Hash = H256>> EpochRandomness for RelayChainRandomness<T> {
	fn entropy() -> Entropy {
		let noted = RelayEntropy::<T>::get();
		let fallback = || DevSeeds::<T>::get().then(|| frame_system::Pallet::<T>::parent_hash().0);
		Entropy {
			relay_block: noted.map(|n| n.number),
			randomness: noted.and_then(|n| n.randomness).or_else(fallback),
		}
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency hosts bond in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The source of epoch seeds.
		type Randomness: EpochRandomness;

		/// The most hosts that may be registered at once.
		#[pallet::constant]
		type MaxHosts: Get<u32>;

		/// The largest committee `Params::committee_size` may ask for.
		#[pallet::constant]
		type MaxCommitteeSize: Get<u32>;

		/// The most verdicts one `commit_verdicts` or `reveal_verdicts` call may carry.
		#[pallet::constant]
		type MaxVerdictBatch: Get<u32>;

		/// The most hosts judged, or paid, in one block of the Settlement phase.
		#[pallet::constant]
		type MaxSettlementsPerBlock: Get<u32>;

		/// The most weight settlement may use in one block: each block judges (or pays) as many
		/// hosts as their benchmarked weight fits in it, at most `MaxSettlementsPerBlock`, at
		/// least one.
		#[pallet::constant]
		type SettlementWeight: Get<Weight>;

		/// Storage keys of old epochs removed per block.
		#[pallet::constant]
		type MaxCleanupPerBlock: Get<u32>;

		/// Where slashed bonds go (a treasury only Root can spend from).
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// What settlement pays (the issuance pallet; `()` pays nothing).
		type Rewards: EpochRewards<Self::AccountId>;

		/// The signature a worker key proves possession with (PROTOCOL §1; the runtime's
		/// `MultiSignature`), over [`gonka_primitives::worker_key_message`].
		type KeyProof: Parameter
			+ sp_runtime::traits::Verify<
				Signer: sp_runtime::traits::IdentifyAccount<AccountId = Self::AccountId>,
			>;

		/// Makes worker keys and their proofs for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::KeyProof>;

		/// Weights of the calls.
		type WeightInfo: WeightInfo;
	}

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A host's bond (`PROTOCOL.md` §1), released by `withdraw_bond` after unregistering.
		HostBond,
	}

	/// The protocol parameters in force this epoch.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, SprintParamsOf<T>, ValueQuery>;

	/// Parameters set by Root that take effect when the next epoch starts.
	#[pallet::storage]
	pub type PendingParams<T: Config> = StorageValue<_, SprintParamsOf<T>, OptionQuery>;

	/// The current epoch.
	#[pallet::storage]
	pub type CurrentEpoch<T: Config> = StorageValue<_, EpochIndex, ValueQuery>;

	/// The block the current epoch started at.
	#[pallet::storage]
	pub type EpochStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The seed of the current and the previous epoch.
	#[pallet::storage]
	pub type EpochSeed<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, [u8; 32], OptionQuery>;

	/// Registered hosts by host account.
	#[pallet::storage]
	pub type Hosts<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, HostInfoOf<T>, OptionQuery>;

	/// The host a worker key signs for.
	#[pallet::storage]
	pub type HostOfWorker<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

	/// Each host's weight in an epoch (PROTOCOL §7): set at genesis, then by settlement for the
	/// next epoch. Hosts without an entry have weight 0.
	#[pallet::storage]
	pub type Weights<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u64,
		ValueQuery,
	>;

	/// Sum of the weights of an epoch.
	#[pallet::storage]
	pub type TotalWeight<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, u64, ValueQuery>;

	/// Each host's voting weight in an epoch (PROTOCOL §9): the lesser of its weights in this
	/// epoch and the one before (at genesis: its genesis weight), so weight rented for a single
	/// Sprint buys no votes. Set with the weight; hosts without an entry vote with nothing.
	#[pallet::storage]
	pub type VotingWeights<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u64,
		ValueQuery,
	>;

	/// Sum of the voting weights of an epoch: the total governance's quorum is measured against.
	#[pallet::storage]
	pub type TotalVotingWeight<T: Config> =
		StorageMap<_, Twox64Concat, EpochIndex, u64, ValueQuery>;

	/// The validators of an epoch (hosts with weight > 0) in the order their weight was set, with
	/// the running sum of weights up to and including each: committees are drawn by binary
	/// search over it.
	#[pallet::storage]
	pub type Validators<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Twox64Concat,
		u32,
		(T::AccountId, u64),
		OptionQuery,
	>;

	/// Number of validators of an epoch.
	#[pallet::storage]
	pub type ValidatorCount<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, u32, ValueQuery>;

	/// A validator's position in `Validators`.
	#[pallet::storage]
	pub type ValidatorIndex<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u32,
		OptionQuery,
	>;

	/// The sampling seed of an epoch, fixed at the end of the seed gap (PROTOCOL §3, §6).
	#[pallet::storage]
	pub type SamplingSeed<T: Config> =
		StorageMap<_, Twox64Concat, EpochIndex, [u8; 32], OptionQuery>;

	/// The offset in the current epoch of its first Validation block: set with the sampling
	/// seed; none during the Sprint, Commit and seed gap.
	#[pallet::storage]
	pub type ValidationStart<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// The relay parent of the latest block of the current epoch's Commit phase (PROTOCOL §3:
	/// the sampling seed needs randomness of a strictly newer relay block).
	#[pallet::storage]
	pub type LastCommitRelayBlock<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// Each committed host's seats (PROTOCOL §6), drawn at its first verdict (or at settlement)
	/// and kept, so a verdict is checked with one read. A pure function of the epoch's sampling
	/// seed, its validators and the host.
	#[pallet::storage]
	pub type Seats<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		SeatsOf<T>,
		OptionQuery,
	>;

	/// The hosts accepted in an epoch, in settlement order (the payout walks them).
	#[pallet::storage]
	pub type Accepted<T: Config> =
		StorageDoubleMap<_, Twox64Concat, EpochIndex, Twox64Concat, u32, T::AccountId, OptionQuery>;

	/// Number of hosts accepted in an epoch.
	#[pallet::storage]
	pub type AcceptedCount<T: Config> = StorageMap<_, Twox64Concat, EpochIndex, u32, ValueQuery>;

	/// Verdict commitments: `(epoch, host, validator) → blake2_256` of
	/// [`gonka_primitives::sampling::verdict_commitment_message`], sent in Validation.
	#[pallet::storage]
	pub type VerdictCommitments<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, EpochIndex>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		H256,
		OptionQuery,
	>;

	/// Revealed verdicts: `(epoch, host, validator) →` the verdict with the validator's sampled
	/// positions and check bits over the host's pool, from the Reveal phase.
	#[pallet::storage]
	pub type Reveals<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, EpochIndex>,
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		RevealRecord,
		OptionQuery,
	>;

	/// Each committed host's counted votes, written when it is settled (`SprintApi::tally`).
	#[pallet::storage]
	pub type Tallies<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		Tally,
		ValueQuery,
	>;

	/// Commitments by epoch and host.
	#[pallet::storage]
	pub type Commitments<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		Commitment,
		OptionQuery,
	>;

	/// The last epoch whose settlement is complete.
	#[pallet::storage]
	pub type LastSettledEpoch<T: Config> = StorageValue<_, EpochIndex, OptionQuery>;

	/// Where settlement continues: the raw storage key of the last host settled.
	#[pallet::storage]
	pub type SettlementCursor<T: Config> =
		StorageValue<_, BoundedVec<u8, ConstU32<128>>, OptionQuery>;

	/// Where the payout of the epoch being settled stands: the next index into its `Accepted`
	/// hosts. Set once every host is judged.
	#[pallet::storage]
	pub type PayoutCursor<T: Config> = StorageValue<_, u32, OptionQuery>;

	/// Counts of the settlement in progress.
	#[pallet::storage]
	pub type SettlementStats<T: Config> = StorageValue<_, SettlementStatsRecord, ValueQuery>;

	/// Seats a validator held on the hosts of an epoch (summed at settlement, for the reward
	/// penalty).
	#[pallet::storage]
	pub type AssignedSeats<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u32,
		ValueQuery,
	>;

	/// Of a validator's assigned seats, those whose verdict did not count: not committed, not
	/// revealed, or lazy (PROTOCOL §6; the reward penalty is by their share).
	#[pallet::storage]
	pub type MissedSeats<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u32,
		ValueQuery,
	>;

	/// Every epoch below this one has been removed from the per-epoch maps.
	#[pallet::storage]
	pub type CleanedUpTo<T: Config> = StorageValue<_, EpochIndex, ValueQuery>;

	/// Where the removal of epoch `CleanedUpTo` stands: the map being cleared and its cursor.
	#[pallet::storage]
	pub type CleanupProgress<T: Config> =
		StorageValue<_, (u8, BoundedVec<u8, ConstU32<256>>), OptionQuery>;

	/// This block's relay parent and its randomness, noted from the verified relay-chain state
	/// proof by the runtime's parachain inherent (see [`RelayChainRandomness`]).
	#[pallet::storage]
	pub type RelayEntropy<T: Config> = StorageValue<_, NotedRelayBlock, OptionQuery>;

	/// A development chain (`--dev`, no real relay chain): seeds fall back to the parent hash
	/// when the relay chain gives no randomness. Its block author can grind them. Set at
	/// genesis only; never on a chain with a relay chain.
	#[pallet::storage]
	pub type DevSeeds<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// Bonds of hosts that unregistered, until withdrawn.
	#[pallet::storage]
	pub type Unbondings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Unbonding<BalanceOf<T>>, OptionQuery>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The parameters of epoch 0.
		pub params: SprintParamsOf<T>,
		/// The first hosts — the first validator set: `(host, worker key, endpoint, weight)`.
		/// Each must hold `params.host_bond`.
		pub hosts: Vec<(T::AccountId, T::AccountId, Vec<u8>, u64)>,
		/// A development chain without a real relay chain: seeds from the parent hash when the
		/// relay chain gives no randomness ([`DevSeeds`]). Never for a live network.
		pub dev_seeds: bool,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// PROTOCOL's defaults with the smallest bond the bounds allow (the bond is
		/// chain-specific: presets set it), no hosts, real seeds.
		fn default() -> Self {
			use frame_support::traits::fungible::Inspect;
			use sp_runtime::traits::One;
			let params = SprintParamsOf::<T> {
				host_bond: T::Currency::minimum_balance().max(One::one()),
				..Default::default()
			};
			Self { params, hosts: Vec::new(), dev_seeds: false }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Err(e) = Pallet::<T>::check_params(&self.params) {
				panic!("sprint genesis: invalid params: {e:?}");
			}
			Params::<T>::put(self.params.clone());
			assert!(
				self.params.committee_size <= T::MaxCommitteeSize::get(),
				"sprint genesis: committee_size above MaxCommitteeSize"
			);
			CurrentEpoch::<T>::put(0);
			EpochStart::<T>::put(BlockNumberFor::<T>::from(1u32));
			DevSeeds::<T>::put(self.dev_seeds);
			for (host, worker, endpoint, weight) in &self.hosts {
				let endpoint: Endpoint = endpoint
					.clone()
					.try_into()
					.unwrap_or_else(|_| panic!("sprint genesis: endpoint of {host:?} too long"));
				if let Err(e) = Pallet::<T>::do_register(
					host.clone(),
					endpoint,
					worker.clone(),
					self.params.host_bond,
					*weight,
				) {
					panic!("sprint genesis: host {host:?}: {e:?}");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A host registered and bonded.
		HostRegistered { host: T::AccountId, worker_key: T::AccountId, bond: BalanceOf<T> },
		/// A host changed its endpoint.
		EndpointUpdated { host: T::AccountId },
		/// A host rotated its worker key.
		WorkerKeySet { host: T::AccountId, worker_key: T::AccountId },
		/// A host left; its bond can be withdrawn from `unlock_epoch`.
		HostUnregistered { host: T::AccountId, unlock_epoch: EpochIndex },
		/// A former host took its bond back.
		BondWithdrawn { host: T::AccountId, amount: BalanceOf<T> },
		/// New parameters were set; they apply from `from_epoch`.
		ParamsScheduled { from_epoch: EpochIndex },
		/// Scheduled parameters came into force.
		ParamsApplied { epoch: EpochIndex },
		/// An epoch began; its Sprint runs from `start`.
		EpochStarted { epoch: EpochIndex, start: BlockNumberFor<T>, seed: [u8; 32] },
		/// A host committed its hits.
		Committed { epoch: EpochIndex, host: T::AccountId, root: Root, count: u64 },
		/// The epoch's sampling seed was fixed from randomness of `relay_block` (none: dev mode);
		/// Validation runs from `start`.
		ValidationStarted {
			epoch: EpochIndex,
			sampling_seed: [u8; 32],
			relay_block: Option<u32>,
			start: BlockNumberFor<T>,
		},
		/// A validator committed the hashes of its verdicts on `count` hosts.
		VerdictsCommitted { epoch: EpochIndex, validator: T::AccountId, count: u32 },
		/// A validator revealed its verdicts on `count` hosts.
		VerdictsRevealed { epoch: EpochIndex, validator: T::AccountId, count: u32 },
		/// A validator's check bits on `host` disagreed with the majority of the other revealed
		/// validators on `disagreements` of the `shared` pool positions, more than
		/// `lazy_tolerance`: its verdict was dropped and its `seats` count as missed.
		ValidatorLazy {
			epoch: EpochIndex,
			host: T::AccountId,
			validator: T::AccountId,
			seats: u32,
			shared: u32,
			disagreements: u32,
		},
		/// More than `accept_threshold` of the host's seats voted `Valid`: `weight` (its count)
		/// is its weight in the next epoch.
		HostAccepted { epoch: EpochIndex, host: T::AccountId, weight: u64 },
		/// Neither accepted nor slashed (PROTOCOL §6): no pay, no slash; `weight` is its retained
		/// weight in the next epoch (§7), as if it had not committed. `valid`, `invalid`,
		/// `unreachable` and `missed` (not committed, not revealed, or lazy) count seats out of
		/// `seats`.
		HostNotAccepted {
			epoch: EpochIndex,
			host: T::AccountId,
			valid: u32,
			invalid: u32,
			unreachable: u32,
			missed: u32,
			seats: u32,
			weight: u64,
		},
		/// More than `accept_threshold` of the host's seats voted `Invalid`: `amount` of the
		/// bond went to the treasury; weight 0 in the next epoch.
		HostSlashed { epoch: EpochIndex, host: T::AccountId, amount: BalanceOf<T> },
		/// A host that was not accepted (or did not commit) for more than `MaxMissedEpochs`
		/// epochs in a row was deregistered; its bond (`bond`) was released to it.
		HostDeregistered { host: T::AccountId, missed: u32, bond: BalanceOf<T> },
		/// Every host of `epoch` is settled and paid. `expected_weight` is the reward
		/// denominator `D(e)` of PROTOCOL §8.
		EpochSettled {
			epoch: EpochIndex,
			accepted: u32,
			not_accepted: u32,
			slashed: u32,
			silent: u32,
			deregistered: u32,
			expected_weight: u64,
			next_total_weight: u64,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// This account is already a registered host.
		AlreadyRegistered,
		/// This account is not a registered host; register with `register_host` first.
		NotRegistered,
		/// The endpoint must be `http://host[:port]` or `https://host[:port]`: a DNS name, IPv4
		/// address or `[IPv6]` address, no user info, path (not even `/`), query or fragment.
		InvalidEndpoint,
		/// This worker key already signs for a host; every host needs its own key.
		WorkerKeyInUse,
		/// `key_proof` is not the worker key's signature over `"gonka/worker-key" ‖
		/// SCALE(host) ‖ genesis hash`: sign with the worker key (`gonka-worker key --host`)
		/// for this host and this chain.
		InvalidKeyProof,
		/// The worker key is a registered host's account: a host account cannot sign for another
		/// host.
		WorkerKeyIsHost,
		/// The signer is another host's worker key: a worker key cannot register as a host.
		HostIsWorkerKey,
		/// The host limit (`MaxHosts`) is reached.
		TooManyHosts,
		/// The account cannot hold the bond (`host_bond` in `Params`) above the existential
		/// deposit.
		InsufficientBond,
		/// The host committed in this epoch; it may unregister once the epoch's verdicts are
		/// settled (the next epoch).
		VerdictPending,
		/// There is no unregistered bond to withdraw for this account.
		NoBondToWithdraw,
		/// The bond unlocks at a later epoch (see the `HostUnregistered` event).
		BondLocked,
		/// The signer is not the worker key of any host; set it with `set_worker_key`.
		NotAWorkerKey,
		/// Commitments are accepted only in the Commit phase (after the Sprint, before the end
		/// of `commit_grace`).
		NotCommitWindow,
		/// The commitment is for another epoch than the current one.
		WrongEpoch,
		/// The host already committed in this epoch; a commitment cannot be replaced.
		AlreadyCommitted,
		/// `count` is zero or above `max_count` in `Params`.
		BadCount,
		/// The model config in the parameters is invalid.
		InvalidModelConfig,
		/// The phase lengths do not fit: the Sprint, Commit, Validation and Reveal phases need at
		/// least one block each, and with the seed block, one block of seed gap and one to settle
		/// they must fit in the epoch.
		InvalidPhaseLengths,
		/// `sample_size` must lie between 50 and 1,000 leaves.
		SampleSizeOutOfBounds,
		/// `max_count` must lie between 1 and 2^24 leaves.
		MaxCountOutOfBounds,
		/// `fraud_slash` must lie between 10 % and 100 % of the bond.
		FraudSlashOutOfBounds,
		/// `host_bond` must be at least the existential deposit (and above 0): free hosts make
		/// Sybils free.
		HostBondOutOfBounds,
		/// `committee_size` (seats per host) must lie between 8 and `MaxCommitteeSize`.
		CommitteeSizeOutOfBounds,
		/// `accept_threshold` must lie between 1/2 and 9/10 of the seats.
		AcceptThresholdOutOfBounds,
		/// `hit_tolerance` (`ε`, in billionths) must lie in (0, 1_000_000], i.e. (0, 1e-3].
		HitToleranceOutOfBounds,
		/// `lazy_tolerance` must be at most 10 disagreements.
		LazyToleranceOutOfBounds,
		/// Verdict commitments are accepted only in the Validation phase.
		NotValidationWindow,
		/// Verdicts are revealed only in the Reveal phase (after Validation).
		NotRevealWindow,
		/// A `commit_verdicts` or `reveal_verdicts` call needs at least one entry.
		NoVerdicts,
		/// The host did not commit in this epoch: there is nothing to judge.
		HostNotCommitted,
		/// The signer's host holds no seat on this host (see `SprintApi::seats`).
		NotInCommittee,
		/// This validator already committed a verdict on this host in this epoch; a commitment
		/// cannot be replaced.
		AlreadyVoted,
		/// This validator committed no verdict on this host in this epoch's Validation phase:
		/// there is nothing to reveal.
		NoVerdictCommitment,
		/// This validator already revealed its verdict on this host in this epoch.
		AlreadyRevealed,
		/// The revealed verdict, check bits and salt do not hash to the commitment (see
		/// `gonka_primitives::sampling::verdict_commitment_message`): reveal exactly what was
		/// committed.
		RevealMismatch,
		/// The check bits are not one packed bit per sampled position (`min(count,
		/// sample_size)` bits, least significant first, no stray bits).
		BadCheckBits,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let (mut weight, epoch, phase) = Self::advance_epoch(now);
			weight.saturating_accrue(Self::fix_seeds_weight());
			if phase == Phase::Settlement && !Self::is_settled(epoch) {
				weight = weight.saturating_add(Self::settle_some(epoch));
			} else {
				weight = weight.saturating_add(Self::cleanup_some(epoch));
			}
			weight
		}

		/// Seeds are fixed after the block's inherents, from the randomness this block carries
		/// (PROTOCOL §3); the weight is reserved in `on_initialize`.
		fn on_finalize(now: BlockNumberFor<T>) {
			Self::fix_seeds(now);
		}

		fn integrity_test() {
			// The bond is chain-specific (no default): the smallest the bounds allow.
			let defaults = GenesisConfig::<T>::default().params;
			assert!(
				Self::check_params(&defaults).is_ok(),
				"the default sprint params must sit inside PROTOCOL §11's bounds"
			);
			assert!(T::MaxHosts::get() > 0, "MaxHosts must be positive");
			assert!(
				T::MaxCommitteeSize::get() >= MIN_COMMITTEE_SIZE,
				"MaxCommitteeSize below the fewest seats a committee may have"
			);
			assert!(T::MaxCommitteeSize::get() <= 64, "PROTOCOL §11 bounds seats at 64");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the signer as a host: holds `host_bond` from it, records the endpoint its
		/// worker serves on (`http(s)://host[:port]`, nothing more) and the key that signs its
		/// Sprint extrinsics. `key_proof` is the worker key's signature over `"gonka/worker-key"
		/// ‖ SCALE(signer) ‖ genesis hash` (`gonka-worker key --host` prints it), so nobody can
		/// name a key it does not hold.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_host())]
		pub fn register_host(
			origin: OriginFor<T>,
			endpoint: Endpoint,
			worker_key: T::AccountId,
			key_proof: T::KeyProof,
		) -> DispatchResult {
			let host = ensure_signed(origin)?;
			Self::check_key_proof(&host, &worker_key, &key_proof)?;
			let bond = Params::<T>::get().host_bond;
			Self::do_register(host, endpoint, worker_key, bond, 0)
		}

		/// Changes the signer's endpoint.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_host())]
		pub fn update_host(origin: OriginFor<T>, endpoint: Endpoint) -> DispatchResult {
			let host = ensure_signed(origin)?;
			Self::do_update_host(host, endpoint)
		}

		/// Rotates the signer's worker key; `key_proof` as for `register_host`, by the new key.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_worker_key())]
		pub fn set_worker_key(
			origin: OriginFor<T>,
			worker_key: T::AccountId,
			key_proof: T::KeyProof,
		) -> DispatchResult {
			let host = ensure_signed(origin)?;
			Self::check_key_proof(&host, &worker_key, &key_proof)?;
			Self::do_set_worker_key(host, worker_key)
		}

		/// Unregisters the signer: it leaves the host set (and the reward denominator) at once;
		/// its bond can be withdrawn from the next epoch. Refused while the host's commitment of
		/// this epoch awaits its verdict.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unregister_host())]
		pub fn unregister_host(origin: OriginFor<T>) -> DispatchResult {
			let host = ensure_signed(origin)?;
			Self::do_unregister(host)
		}

		/// Releases the bond of a host that unregistered in an earlier epoch.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::withdraw_bond())]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_bond(who)
		}

		/// Commits the Merkle root and leaf count of the host's hits for `epoch`. Signed by the
		/// host's worker key, once per host per epoch, in the Commit phase.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(
			origin: OriginFor<T>,
			epoch: EpochIndex,
			root: Root,
			count: u64,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_commit(worker, epoch, root, count)
		}

		/// Commits the signer's verdicts on hosts it holds seats on, as hashes:
		/// `blake2_256(verdict_commitment_message(epoch, host, validator, verdict, bits, salt))`
		/// (PROTOCOL §6.6), so nobody can copy a verdict before the Reveal phase. Signed by the
		/// validator's worker key, in the Validation phase, once per (validator, host); a batch
		/// with any bad entry is refused whole.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::commit_verdicts(commitments.len() as u32))]
		pub fn commit_verdicts(
			origin: OriginFor<T>,
			epoch: EpochIndex,
			commitments: BoundedVec<(T::AccountId, H256), T::MaxVerdictBatch>,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_commit_verdicts(worker, epoch, commitments.into_inner())
		}

		/// Reveals verdicts committed in Validation, with their check bits and salts; each must
		/// hash to its commitment. Signed by the validator's worker key, in the Reveal phase,
		/// once per (validator, host); a batch with any bad entry is refused whole. A verdict
		/// that is never revealed does not count, and its seats are missed.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::reveal_verdicts(reveals.len() as u32))]
		pub fn reveal_verdicts(
			origin: OriginFor<T>,
			epoch: EpochIndex,
			reveals: BoundedVec<VerdictReveal<T::AccountId>, T::MaxVerdictBatch>,
		) -> DispatchResult {
			let worker = ensure_signed(origin)?;
			Self::do_reveal_verdicts(worker, epoch, reveals.into_inner())
		}

		/// Sets the protocol parameters from the next epoch on. Root only (governance).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: SprintParamsOf<T>) -> DispatchResult {
			ensure_root(origin)?;
			Self::check_params(&params)?;
			PendingParams::<T>::put(params);
			let from_epoch = CurrentEpoch::<T>::get().saturating_add(1);
			Self::deposit_event(Event::ParamsScheduled { from_epoch });
			Ok(())
		}
	}
}
