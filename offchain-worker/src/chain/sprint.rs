//! The sprint pallet through `SprintApi` (never raw storage): the pallet's own SCALE types.

use super::{AccountId, Balance, ChainClient, ChainError, Hash};
use pallet_sprint::{Commitment, EpochIndex, EpochInfo, HostInfo, SprintParams, Tally};

/// A host as `SprintApi::hosts` gives it.
pub type Host = HostInfo<AccountId, Balance>;

impl ChainClient {
	/// The epoch and its phase at block `at` (the best block when `None`).
	pub async fn epoch_info(&self, at: Option<Hash>) -> Result<EpochInfo<u32>, ChainError> {
		self.runtime_api("SprintApi_epoch_info", (), at).await
	}

	/// The seed of `epoch` (kept for the current and the previous epoch).
	pub async fn epoch_seed(
		&self,
		epoch: EpochIndex,
		at: Option<Hash>,
	) -> Result<Option<[u8; 32]>, ChainError> {
		self.runtime_api("SprintApi_epoch_seed", epoch, at).await
	}

	/// The sprint parameters in force.
	pub async fn sprint_params(
		&self,
		at: Option<Hash>,
	) -> Result<SprintParams<Balance>, ChainError> {
		self.runtime_api("SprintApi_params", (), at).await
	}

	/// Every registered host.
	pub async fn hosts(&self, at: Option<Hash>) -> Result<Vec<(AccountId, Host)>, ChainError> {
		self.runtime_api("SprintApi_hosts", (), at).await
	}

	/// The host a worker key signs for.
	pub async fn host_of_worker(
		&self,
		worker: &AccountId,
		at: Option<Hash>,
	) -> Result<Option<AccountId>, ChainError> {
		self.runtime_api("SprintApi_host_of_worker", worker, at).await
	}

	/// A host's commitment of `epoch`.
	pub async fn commitment(
		&self,
		epoch: EpochIndex,
		host: &AccountId,
		at: Option<Hash>,
	) -> Result<Option<Commitment>, ChainError> {
		self.runtime_api("SprintApi_commitment", (epoch, host), at).await
	}

	/// A host's weight in `epoch`.
	pub async fn weight(
		&self,
		epoch: EpochIndex,
		host: &AccountId,
		at: Option<Hash>,
	) -> Result<u64, ChainError> {
		self.runtime_api("SprintApi_weight", (epoch, host), at).await
	}

	/// The sampling seed of `epoch`, once its Validation phase began.
	pub async fn sampling_seed(
		&self,
		epoch: EpochIndex,
		at: Option<Hash>,
	) -> Result<Option<[u8; 32]>, ChainError> {
		self.runtime_api("SprintApi_sampling_seed", epoch, at).await
	}

	/// The committed hosts on whose committee `validator` sits in `epoch`.
	pub async fn duties(
		&self,
		epoch: EpochIndex,
		validator: &AccountId,
		at: Option<Hash>,
	) -> Result<Vec<(AccountId, Commitment)>, ChainError> {
		self.runtime_api("SprintApi_duties", (epoch, validator), at).await
	}

	/// Where `validator`'s verdict on `host` in `epoch` stands: its commitment and whether it
	/// was revealed.
	pub async fn verdict_status(
		&self,
		epoch: EpochIndex,
		host: &AccountId,
		validator: &AccountId,
		at: Option<Hash>,
	) -> Result<(Option<[u8; 32]>, bool), ChainError> {
		self.runtime_api("SprintApi_verdict_status", (epoch, host, validator), at).await
	}

	/// The counted votes on `host` in `epoch`, once it is settled.
	pub async fn tally(
		&self,
		epoch: EpochIndex,
		host: &AccountId,
		at: Option<Hash>,
	) -> Result<Tally, ChainError> {
		self.runtime_api("SprintApi_tally", (epoch, host), at).await
	}
}
