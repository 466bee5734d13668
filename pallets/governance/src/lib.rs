//! # Governance pallet
//!
//! Compute-weighted on-chain governance (`PROTOCOL.md` §9) and the chain's only source of Root
//! (there is no sudo):
//!
//! - [`propose`](Pallet::propose): a host with voting weight in the current epoch (or its
//!   declared worker key) opens a proposal with a call — inline when it encodes to at most 128
//!   bytes, else by the hash and length of a preimage noted with `preimage.note_preimage` — and a
//!   held deposit (`proposal_deposit`); at most [`Config::MaxOpenPerHost`] open proposals per
//!   host. The voting weights of the current epoch (the source's: the runtime gives the lesser
//!   of a host's weights in this epoch and the one before, so weight rented for one Sprint buys
//!   no votes) become the proposal's voting snapshot, each host's capped at `max_host_share` of
//!   the total.
//! - [`vote`](Pallet::vote): aye, nay, abstain or veto, by the host account or its worker key;
//!   one vote per host, changeable until the vote ends.
//! - After `voting_period` blocks the vote is decided in `on_initialize` (`service.rs`): quorum,
//!   approval and veto per §9. An approved call is dispatched as Root after `enactment_delay`
//!   blocks and its result recorded in [`Event::Enacted`]; the deposit is returned unless the
//!   proposal was vetoed, when it goes to the treasury. A call that has grown too heavy for any
//!   block (after a runtime upgrade) is dropped with [`Event::EnactmentDropped`] instead of
//!   blocking the queue behind it.
//! - [`set_params`](Pallet::set_params) (Root) changes the rules for proposals opened later,
//!   each within the bounds of PROTOCOL §11 ([`types::bounds`], and [`Limits`] for the periods
//!   in blocks, fixed at genesis), so no proposal can make governance impossible.
//!
//! Every block's work is bounded: deciding and enacting within [`Config::ServiceWeight`],
//! copying snapshots and forgetting votes a bounded number of keys per block, with cursors.
//!
//! Logic lives by domain in `proposals.rs` (propose, vote), `service.rs` (decide, enact),
//! `snapshot.rs` (voting snapshots, cleanup) and `api.rs` (the runtime API); this file is the
//! index.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod api;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
mod proposals;
mod service;
mod snapshot;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use polkadot_sdk::{
	frame_support::{
		self,
		traits::{fungible, Bounded},
	},
	frame_system,
};

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A call inline or by preimage hash.
pub type BoundedCallOf<T> =
	Bounded<<T as Config>::RuntimeCall, <T as frame_system::Config>::Hashing>;

/// The parameters with the runtime's types.
pub type GovernanceParamsOf<T> =
	GovernanceParams<BalanceOf<T>, polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A proposal with the runtime's types.
pub type ProposalInfoOf<T> = ProposalInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>,
	BoundedCallOf<T>,
	<T as frame_system::Config>::Hash,
>;

/// A proposal summary with the runtime's types.
pub type ProposalSummaryOf<T> = ProposalSummary<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as frame_system::Config>::Hash,
>;

/// Who has how much weight, per epoch: implemented over the sprint pallet by the runtime.
pub trait HostWeights<AccountId> {
	/// The current epoch.
	fn current_epoch() -> EpochIndex;
	/// The host `who` signs for: `who` itself if it is a registered host, or the host that
	/// declared `who` as its worker key.
	fn host_of(who: &AccountId) -> Option<AccountId>;
	/// A host's weight in `epoch` (0 if none), while the source keeps the epoch.
	fn weight(epoch: EpochIndex, host: &AccountId) -> u64;
	/// The sum of the weights of `epoch`.
	fn total_weight(epoch: EpochIndex) -> u64;
	/// How many hosts have weight in `epoch`.
	fn voter_count(epoch: EpochIndex) -> u32;
	/// The `index`-th host with weight in `epoch` (`0..voter_count`) and its weight.
	fn voter(epoch: EpochIndex, index: u32) -> Option<(AccountId, u64)>;
	/// Registers each `(host, worker key, weight)`: the host with that worker key declared and
	/// that weight in the current epoch (benchmarks only).
	#[cfg(feature = "runtime-benchmarks")]
	fn set_weights(hosts: &[(AccountId, AccountId, u64)]);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		dispatch::{GetDispatchInfo, PostDispatchInfo},
		pallet_prelude::*,
		traits::{QueryPreimage, StorePreimage},
	};
	use frame_system::pallet_prelude::*;
	use polkadot_sdk::sp_runtime::traits::Dispatchable;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The calls proposals carry, dispatched as Root when approved.
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin, PostInfo = PostDispatchInfo>
			+ GetDispatchInfo
			+ From<Call<Self>>
			+ From<frame_system::Call<Self>>;

		/// The currency deposits are held in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Where calls larger than 128 bytes are kept (the preimage pallet).
		type Preimages: QueryPreimage<H = Self::Hashing> + StorePreimage;

		/// Hosts and their weights (the sprint pallet).
		type Hosts: HostWeights<Self::AccountId>;

		/// Receives the deposits of vetoed proposals.
		type Treasury: Get<Self::AccountId>;

		/// The most proposals open (voting or approved and awaiting enactment) at once.
		#[pallet::constant]
		type MaxProposals: Get<u32>;

		/// The most proposals one host may have open at once (PROTOCOL §9: 2), so a few hosts
		/// with little weight cannot fill the `MaxProposals` slots.
		#[pallet::constant]
		type MaxOpenPerHost: Get<u32>;

		/// The most hosts that may vote on one proposal (at least the sprint pallet's
		/// `MaxHosts`: only hosts with weight vote).
		#[pallet::constant]
		type MaxVoters: Get<u32>;

		/// The largest encoded call a proposal may carry, in bytes.
		#[pallet::constant]
		type MaxCallSize: Get<u32>;

		/// The largest weight a proposal's call may declare: it must fit the block it is enacted
		/// in, within [`Config::ServiceWeight`].
		#[pallet::constant]
		type MaxCallWeight: Get<Weight>;

		/// The weight `on_initialize` may use per block to decide, enact, copy and clean up.
		#[pallet::constant]
		type ServiceWeight: Get<Weight>;

		/// The most snapshot weights copied per block.
		#[pallet::constant]
		type MaxCopyPerBlock: Get<u32>;

		/// The most votes or snapshot entries removed per block.
		#[pallet::constant]
		type MaxCleanupPerBlock: Get<u32>;

		/// Weights of the calls and of the per-block service.
		type WeightInfo: WeightInfo;
	}

	/// Why balance is held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A proposal's deposit.
		#[codec(index = 0)]
		ProposalDeposit,
	}

	/// The parameters in force (changed only by Root).
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, GovernanceParamsOf<T>, ValueQuery>;

	/// The bounds of the parameters counted in blocks, fixed at genesis.
	#[pallet::storage]
	pub type Limits<T: Config> = StorageValue<_, PeriodLimits<BlockNumberFor<T>>, ValueQuery>;

	/// How many open proposals each host has (at most [`Config::MaxOpenPerHost`]).
	#[pallet::storage]
	pub type OpenPerHost<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The number the next proposal gets.
	#[pallet::storage]
	pub type ProposalCount<T: Config> = StorageValue<_, ProposalIndex, ValueQuery>;

	/// Open proposals: voting, or approved and awaiting enactment.
	#[pallet::storage]
	pub type Proposals<T: Config> =
		CountedStorageMap<_, Twox64Concat, ProposalIndex, ProposalInfoOf<T>, OptionQuery>;

	/// The open proposal of each call hash (one open proposal per call).
	#[pallet::storage]
	pub type ProposalOfCall<T: Config> =
		StorageMap<_, Identity, T::Hash, ProposalIndex, OptionQuery>;

	/// Each host's vote on a proposal and the power it was counted with.
	#[pallet::storage]
	pub type Votes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ProposalIndex,
		Blake2_128Concat,
		T::AccountId,
		(Vote, u64),
		OptionQuery,
	>;

	/// The proposals to decide or enact in a block.
	#[pallet::storage]
	pub type Agenda<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<ProposalIndex, T::MaxProposals>,
		ValueQuery,
	>;

	/// Proposals whose block came and that wait for room in a block's service weight, in order.
	#[pallet::storage]
	pub type Due<T: Config> =
		StorageValue<_, BoundedVec<ProposalIndex, T::MaxProposals>, ValueQuery>;

	/// The voting snapshots kept, by epoch.
	#[pallet::storage]
	pub type Snapshots<T: Config> =
		StorageMap<_, Twox64Concat, EpochIndex, SnapshotInfo, OptionQuery>;

	/// The weights of a snapshot, by epoch and host.
	#[pallet::storage]
	pub type SnapshotWeights<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		u64,
		OptionQuery,
	>;

	/// Snapshots still being copied, oldest first.
	#[pallet::storage]
	pub type Copying<T: Config> =
		StorageValue<_, BoundedVec<EpochIndex, T::MaxProposals>, ValueQuery>;

	/// Storage to forget, oldest first: at most one task for the votes of each decided proposal
	/// and one per unused snapshot, so twice [`Config::MaxProposals`].
	#[pallet::storage]
	pub type Cleanup<T: Config> =
		StorageValue<_, BoundedVec<CleanupTask, CleanupBound<T>>, ValueQuery>;

	/// Where the first cleanup task stopped.
	#[pallet::storage]
	pub type CleanupCursor<T: Config> = StorageValue<_, BoundedVec<u8, ConstU32<256>>, OptionQuery>;

	/// Twice `MaxProposals`: the cleanup queue's bound.
	pub struct CleanupBound<T>(PhantomData<T>);
	impl<T: Config> Get<u32> for CleanupBound<T> {
		fn get() -> u32 {
			T::MaxProposals::get().saturating_mul(2)
		}
	}

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The initial parameters.
		pub params: GovernanceParamsOf<T>,
		/// The bounds of the periods in blocks (default: PROTOCOL §11 in 6-second blocks).
		pub limits: PeriodLimits<BlockNumberFor<T>>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		/// PROTOCOL's defaults with the smallest deposit the bounds allow (the deposit is in the
		/// token's units: presets set it) and §11's period bounds in 6-second blocks.
		fn default() -> Self {
			use frame_support::traits::fungible::Inspect;
			use polkadot_sdk::sp_runtime::traits::One;
			let params = GovernanceParamsOf::<T> {
				proposal_deposit: T::Currency::minimum_balance().max(One::one()),
				..Default::default()
			};
			Self { params, limits: Default::default() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			use polkadot_sdk::sp_runtime::traits::Zero;
			let l = &self.limits;
			assert!(
				!l.min_voting_period.is_zero() && l.min_voting_period <= l.max_voting_period,
				"governance genesis limits are invalid: the voting period bounds must be at \
				 least 1 block and ordered, got {:?}",
				l
			);
			Limits::<T>::put(l);
			if let Err(e) = Pallet::<T>::check_params(&self.params) {
				panic!("governance genesis params are invalid: {e:?}");
			}
			Params::<T>::put(&self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A proposal opened; it is decided in block `end`.
		Proposed {
			index: ProposalIndex,
			proposer: T::AccountId,
			host: T::AccountId,
			call_hash: T::Hash,
			deposit: BalanceOf<T>,
			epoch: EpochIndex,
			end: BlockNumberFor<T>,
		},
		/// A host voted (`previous`: its vote before, if it changed its vote).
		Voted {
			index: ProposalIndex,
			host: T::AccountId,
			signer: T::AccountId,
			vote: Vote,
			power: u64,
			previous: Option<Vote>,
		},
		/// A vote ended; `enact_at` is the block an approved call is dispatched in.
		Decided {
			index: ProposalIndex,
			outcome: Outcome,
			tally: Tally,
			total_weight: u64,
			enact_at: Option<BlockNumberFor<T>>,
		},
		/// A deposit was returned to its proposer.
		DepositReturned { index: ProposalIndex, who: T::AccountId, amount: BalanceOf<T> },
		/// A vetoed proposal's deposit went to the treasury.
		DepositToTreasury { index: ProposalIndex, who: T::AccountId, amount: BalanceOf<T> },
		/// An approved call was dispatched as Root, with its result.
		Enacted { index: ProposalIndex, call_hash: T::Hash, result: DispatchResult },
		/// An approved call was not dispatched: it now declares `call_weight`, more than any
		/// block's service weight leaves (it grew after a runtime upgrade, or its preimage
		/// changed meaning), so it would block every proposal behind it. Propose it again in a
		/// form that fits.
		EnactmentDropped { index: ProposalIndex, call_hash: T::Hash, call_weight: Weight },
		/// New parameters, for proposals opened from now on.
		ParamsSet { params: GovernanceParamsOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The signer is neither a registered host nor a host's declared worker key: register
		/// with `sprint.register_host` first, or sign with the host account.
		NotAHost,
		/// The host has no weight in the epoch that counts (the current one to propose, the
		/// proposal's snapshot epoch to vote): only hosts that proved compute govern.
		NoVotingPower,
		/// `MaxProposals` proposals are open (or their votes are still being cleared): wait for
		/// one to be decided.
		TooManyProposals,
		/// The host already has `MaxOpenPerHost` proposals open: wait for one to be decided.
		TooManyOpenProposals,
		/// The same call is already proposed and open: vote on that proposal instead.
		DuplicateProposal,
		/// The call's preimage is longer than `MaxCallSize` bytes.
		CallTooLarge,
		/// The call declares more weight than `MaxCallWeight`: it could never be enacted.
		CallTooHeavy,
		/// No preimage with this hash and length is noted: `preimage.note_preimage` the encoded
		/// call first.
		PreimageMissing,
		/// The bytes are not a call of this runtime.
		CallUndecodable,
		/// A legacy lookup carries no length: propose `Lookup { hash, len }` or an inline call.
		LegacyCall,
		/// The signer cannot hold the proposal deposit (free balance below it).
		InsufficientBalance,
		/// No proposal has this number.
		UnknownProposal,
		/// The proposal's vote has ended.
		VotingClosed,
		/// The proposal has `MaxVoters` votes.
		TooManyVotes,
		/// `voting_period` is outside the genesis [`Limits`] (PROTOCOL §11: 1 hour to 30 days).
		VotingPeriodOutOfBounds,
		/// `enactment_delay` is above the genesis [`Limits`] (PROTOCOL §11: 7 days).
		EnactmentDelayOutOfBounds,
		/// `quorum` is outside [10 %, 50 %].
		QuorumOutOfBounds,
		/// `approval` is outside [50 %, 75 %].
		ApprovalOutOfBounds,
		/// `veto` is outside [20 %, 50 %].
		VetoOutOfBounds,
		/// `max_host_share` is outside [10 %, 50 %].
		HostShareOutOfBounds,
		/// `proposal_deposit` is below the existential deposit: proposals would cost nothing.
		DepositOutOfBounds,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::service(now)
		}

		fn integrity_test() {
			assert!(T::MaxProposals::get() > 0, "MaxProposals must be at least 1");
			assert!(T::MaxOpenPerHost::get() > 0, "MaxOpenPerHost must be at least 1");
			assert!(T::MaxVoters::get() > 0, "MaxVoters must be at least 1");
			assert!(T::MaxCopyPerBlock::get() > 0, "MaxCopyPerBlock must be at least 1");
			assert!(T::MaxCleanupPerBlock::get() > 0, "MaxCleanupPerBlock must be at least 1");
			let enact = T::WeightInfo::service_base()
				.saturating_add(T::WeightInfo::enact())
				.saturating_add(T::MaxCallWeight::get());
			assert!(
				enact.all_lte(T::ServiceWeight::get()),
				"a call of MaxCallWeight must fit in ServiceWeight, or it could never be enacted"
			);
			let GenesisConfig { params: defaults, limits } = GenesisConfig::<T>::default();
			assert!(
				Self::check_params_within(&defaults, &limits).is_ok(),
				"the default governance params must sit inside PROTOCOL §11's bounds"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens a proposal to dispatch `call` as Root. The signer must be a host with weight in
		/// the current epoch, or its worker key; `proposal_deposit` is held from the signer until
		/// the vote is decided. `call` is `Inline` (its SCALE encoding, at most 128 bytes) or
		/// `Lookup { hash, len }` of a preimage noted before (`preimage.note_preimage`), at most
		/// `MaxCallSize` bytes.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::propose(call.lookup_len().unwrap_or(0)))]
		pub fn propose(origin: OriginFor<T>, call: BoundedCallOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_propose(who, call)
		}

		/// Votes on proposal `index` with the weight of the signer's host (the host account or
		/// its worker key signs); a second vote replaces the first until the vote ends.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::vote())]
		pub fn vote(origin: OriginFor<T>, index: ProposalIndex, vote: Vote) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_vote(who, index, vote)
		}

		/// Sets the parameters for proposals opened from now on. Root only (a passed proposal).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: GovernanceParamsOf<T>) -> DispatchResult {
			ensure_root(origin)?;
			Self::check_params(&params)?;
			Params::<T>::put(&params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `params` sit inside the bounds of PROTOCOL §11 and the genesis [`Limits`].
	pub fn check_params(params: &GovernanceParamsOf<T>) -> Result<(), Error<T>> {
		Self::check_params_within(params, &Limits::<T>::get())
	}

	/// Whether `params` sit inside the bounds of PROTOCOL §11, the periods within `limits`.
	pub fn check_params_within(
		params: &GovernanceParamsOf<T>,
		limits: &PeriodLimits<polkadot_sdk::frame_system::pallet_prelude::BlockNumberFor<T>>,
	) -> Result<(), Error<T>> {
		use polkadot_sdk::frame_support::{ensure, traits::fungible::Inspect};
		let within = |v, (lo, hi)| lo <= v && v <= hi;
		ensure!(
			limits.min_voting_period <= params.voting_period
				&& params.voting_period <= limits.max_voting_period,
			Error::<T>::VotingPeriodOutOfBounds
		);
		ensure!(
			params.enactment_delay <= limits.max_enactment_delay,
			Error::<T>::EnactmentDelayOutOfBounds
		);
		ensure!(within(params.rules.quorum, bounds::QUORUM), Error::<T>::QuorumOutOfBounds);
		ensure!(within(params.rules.approval, bounds::APPROVAL), Error::<T>::ApprovalOutOfBounds);
		ensure!(within(params.rules.veto, bounds::VETO), Error::<T>::VetoOutOfBounds);
		ensure!(
			within(params.max_host_share, bounds::HOST_SHARE),
			Error::<T>::HostShareOutOfBounds
		);
		ensure!(
			params.proposal_deposit >= T::Currency::minimum_balance()
				&& params.proposal_deposit > Default::default(),
			Error::<T>::DepositOutOfBounds
		);
		Ok(())
	}

	/// Invariants: the call index matches the open proposals, every open proposal's snapshot is
	/// kept and counts it, tallies count the stored votes' power, bounded queues.
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		use polkadot_sdk::frame_support::ensure;
		let mut per_epoch = alloc::collections::BTreeMap::<EpochIndex, u32>::new();
		for (index, p) in Proposals::<T>::iter() {
			ensure!(
				ProposalOfCall::<T>::get(p.call_hash) == Some(index),
				"an open proposal's call is not indexed"
			);
			*per_epoch.entry(p.epoch).or_default() += 1;
			let mut tally = Tally::default();
			for (_, (vote, power)) in Votes::<T>::iter_prefix(index) {
				tally.add(vote, power);
				tally.voters += 1;
			}
			ensure!(tally == p.tally, "a tally differs from its votes");
		}
		ensure!(
			ProposalOfCall::<T>::iter().count() as u32 == Proposals::<T>::count(),
			"the call index has entries of closed proposals"
		);
		for (epoch, info) in Snapshots::<T>::iter() {
			ensure!(
				info.proposals == per_epoch.get(&epoch).copied().unwrap_or(0),
				"a snapshot counts the wrong number of proposals"
			);
		}
		for epoch in per_epoch.keys() {
			ensure!(Snapshots::<T>::contains_key(epoch), "an open proposal has no snapshot");
		}
		ensure!(
			Proposals::<T>::count() <= <T::MaxProposals as frame_support::traits::Get<u32>>::get(),
			"too many proposals"
		);
		let mut per_host = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		for (_, p) in Proposals::<T>::iter() {
			*per_host.entry(p.host).or_default() += 1;
		}
		let counted: alloc::collections::BTreeMap<_, _> = OpenPerHost::<T>::iter().collect();
		ensure!(per_host == counted, "OpenPerHost differs from the open proposals");
		let max = <T::MaxOpenPerHost as frame_support::traits::Get<u32>>::get();
		ensure!(per_host.values().all(|n| *n <= max), "a host has too many open proposals");
		Ok(())
	}
}
