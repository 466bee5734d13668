//! A call to send, named by pallet and call as the runtime's metadata names them.

use codec::Encode;

/// A runtime call: its pallet and call *names* and its arguments' SCALE encoding, or a whole
/// call already encoded. Named calls get their indices from the metadata of the block they are
/// signed at, so a runtime that reorders pallets or calls is followed; the arguments are
/// checked against that metadata's types before anything is signed (a call whose arguments no
/// longer fit is [`super::ChainError::CallMismatch`], never a garbled extrinsic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
	Named {
		pallet: String,
		name: String,
		/// The arguments, SCALE-encoded one after the other.
		args: Vec<u8>,
	},
	/// A call encoded by someone who holds the runtime's types (pallet index, call index,
	/// arguments).
	Encoded(Vec<u8>),
}

impl Call {
	/// `pallet::name(args…)`: `args` is the tuple of the call's arguments in order (each encoded
	/// as the runtime declares it: `Compact` where the call has `#[pallet::compact]`).
	pub fn new(pallet: &str, name: &str, args: impl Encode) -> Self {
		Self::Named { pallet: pallet.into(), name: name.into(), args: args.encode() }
	}

	/// A call already SCALE-encoded as the runtime's call enum (`RuntimeCall::…​.encode()`).
	pub fn encoded(call: &impl Encode) -> Self {
		Self::Encoded(call.encode())
	}

	/// `pallet::name` (or `encoded call` for one given as bytes), for logs.
	pub fn describe(&self) -> String {
		match self {
			Self::Named { pallet, name, .. } => format!("{pallet}::{name}"),
			Self::Encoded(bytes) => {
				format!("encoded call 0x{}", hex::encode(&bytes[..bytes.len().min(2)]))
			},
		}
	}
}

/// The calls the worker sends, by the sprint pallet's names.
pub mod sprint {
	use super::Call;
	use crate::chain::AccountId;
	use pallet_sprint::{EpochIndex, VerdictReveal};
	use polkadot_sdk::{sp_core::H256, sp_runtime::MultiSignature};

	/// `Sprint::commit(epoch, root, count)`.
	pub fn commit(epoch: EpochIndex, root: [u8; 32], count: u64) -> Call {
		Call::new("Sprint", "commit", (epoch, root, count))
	}

	/// `Sprint::commit_verdicts(epoch, commitments)`.
	pub fn commit_verdicts(epoch: EpochIndex, commitments: Vec<(AccountId, H256)>) -> Call {
		Call::new("Sprint", "commit_verdicts", (epoch, commitments))
	}

	/// `Sprint::reveal_verdicts(epoch, reveals)`.
	pub fn reveal_verdicts(epoch: EpochIndex, reveals: Vec<VerdictReveal<AccountId>>) -> Call {
		Call::new("Sprint", "reveal_verdicts", (epoch, reveals))
	}

	/// `Sprint::register_host(endpoint, worker_key, key_proof)`.
	pub fn register_host(
		endpoint: Vec<u8>,
		worker_key: AccountId,
		key_proof: MultiSignature,
	) -> Call {
		Call::new("Sprint", "register_host", (endpoint, worker_key, key_proof))
	}

	/// `Sprint::update_host(endpoint)`.
	pub fn update_host(endpoint: Vec<u8>) -> Call {
		Call::new("Sprint", "update_host", (endpoint,))
	}
}
