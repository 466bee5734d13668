//! `SprintApi`: the sprint pallet as workers read it. Off-chain code uses this API, never raw
//! storage keys, so it computes nothing the chain disagrees with.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_sprint::{Commitment, EpochIndex, EpochInfo, HostInfo, SprintParams};

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
	}
}
