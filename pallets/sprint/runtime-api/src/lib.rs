//! `SprintApi`: the sprint pallet as workers read it. Off-chain code uses this API, never raw
//! storage keys, so it computes nothing the chain disagrees with.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_sprint::{Commitment, EpochIndex, EpochInfo, HostInfo, SprintParams, Tally};

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// The sprint pallet's state for workers and clients.
	pub trait SprintApi<AccountId, Balance>
	where
		AccountId: Codec,
		Balance: Codec,
	{
		/// The current epoch, its phase at the best block, and the phases' block boundaries.
		fn epoch_info() -> EpochInfo<u32>;
		/// The seed of `epoch`, kept for the current and the previous epoch.
		fn epoch_seed(epoch: EpochIndex) -> Option<[u8; 32]>;
		/// The parameters in force.
		fn params() -> SprintParams<Balance>;
		/// Every registered host.
		fn hosts() -> Vec<(AccountId, HostInfo<AccountId, Balance>)>;
		/// The host a worker key signs for.
		fn host_of_worker(worker: AccountId) -> Option<AccountId>;
		/// A host's commitment of `epoch`.
		fn commitment(epoch: EpochIndex, host: AccountId) -> Option<Commitment>;
		/// A host's weight in `epoch` (0 when it has none).
		fn weight(epoch: EpochIndex, host: AccountId) -> u64;
		/// The sampling seed of `epoch`, once its Validation phase began.
		fn sampling_seed(epoch: EpochIndex) -> Option<[u8; 32]>;
		/// The distinct validators holding seats on `host` in `epoch` (empty before the sampling
		/// seed is fixed).
		fn committee(epoch: EpochIndex, host: AccountId) -> Vec<AccountId>;
		/// The seats of `host` in `epoch`: each validator holding seats and how many (PROTOCOL
		/// §6; empty before the sampling seed is fixed).
		fn seats(epoch: EpochIndex, host: AccountId) -> Vec<(AccountId, u32)>;
		/// What `validator` must check in `epoch`: the committed hosts it holds seats
		/// on, with their commitments.
		fn duties(epoch: EpochIndex, validator: AccountId) -> Vec<(AccountId, Commitment)>;
		/// The counted votes on `host` in `epoch`, once it is settled (empty before).
		fn tally(epoch: EpochIndex, host: AccountId) -> Tally;
		/// Where `validator`'s verdict on `host` in `epoch` stands: its commitment (sent in
		/// Validation) and whether it was revealed.
		fn verdict_status(
			epoch: EpochIndex,
			host: AccountId,
			validator: AccountId,
		) -> (Option<[u8; 32]>, bool);
	}
}
