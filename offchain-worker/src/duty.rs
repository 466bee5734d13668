//! Why a duty of the worker (commit, verdict commitments, reveals, validation) did not finish.
//! Each is retried at a later block while its phase is open; the variant says whose fault it is:
//! the chain connection, this worker's data directory, or its own backend — never a peer's.

use crate::{chain::ChainError, store::StoreError};

/// A duty's failure.
#[derive(Debug, thiserror::Error)]
pub enum DutyError {
	/// The node refused, failed or could not be reached.
	#[error(transparent)]
	Chain(#[from] ChainError),
	/// The data directory could not be read or written.
	#[error(transparent)]
	Store(#[from] StoreError),
	/// The hits do not make a valid commitment.
	#[error("cannot build the commitment: {0}")]
	Merkle(#[from] gonka_kernels::MerkleError),
	/// The commitment saved before a restart is not the one of the hits saved beside it.
	#[error(
		"the commitment saved in the data directory ({saved_count} leaves, root 0x{saved_root}) is \
		 not the one of the hits saved there ({hits_count} leaves, root 0x{hits_root}): the \
		 directory was changed under the worker. Nothing is sent; move \
		 epochs/{epoch}/commitment.json away to commit the hits"
	)]
	CommitmentMismatch {
		epoch: u32,
		saved_count: u64,
		saved_root: String,
		hits_count: u64,
		hits_root: String,
	},
	/// A record of `state.json` cannot be decoded.
	#[error("state.json: bad {what} {value:?}; restore state.json from a backup")]
	BadRecord { what: &'static str, value: String },
	/// The operating system gave no randomness for a verdict salt.
	#[error("reading /dev/urandom for a verdict salt: {0}")]
	Salt(std::io::Error),
	/// The phase ended before the duty was done (it is not retried for this epoch).
	#[error("the {phase} window closed at block #{block}")]
	WindowClosed { phase: &'static str, block: u32 },
	/// This worker's own backend failed (it is rebuilt; no vote is cast meanwhile).
	#[error("this worker's backend: {0}")]
	Backend(String),
}
