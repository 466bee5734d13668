//! What can go wrong talking to the chain, in words an operator can act on.

use super::Hash;
use polkadot_sdk::sp_runtime::DispatchError;
use std::{fmt, time::Duration};

/// A failed chain operation.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// The WebSocket connection could not be opened.
	#[error(
		"cannot connect to the node at {url}: {source}. Check that gonka-node is running and \
		 that its RPC port (--rpc-port, default 9944) is reachable from here"
	)]
	Connect {
		url: String,
		#[source]
		source: jsonrpsee::core::ClientError,
	},
	/// An RPC request failed (transport error, timeout, or an error answer).
	#[error("RPC {method} failed: {source}")]
	Rpc {
		method: String,
		#[source]
		source: jsonrpsee::core::ClientError,
	},
	/// The node refused the extrinsic before pooling it.
	#[error("the node rejected extrinsic {tx_hash:?}: {message} (RPC error {code}{})",
		data.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
	Rejected { tx_hash: Hash, code: i32, message: String, data: Option<String> },
	/// The extrinsic left the pool without being included.
	#[error("extrinsic {tx_hash:?} will not be included: {status}")]
	NotIncluded { tx_hash: Hash, status: String },
	/// The extrinsic was included but its call failed; nothing it would have changed changed.
	#[error("extrinsic {tx_hash:?} failed in block {block_hash:?}: {error}")]
	Dispatch { tx_hash: Hash, block_hash: Hash, error: DispatchErrorInfo },
	/// The status subscription ended or sent garbage.
	#[error("lost track of extrinsic {tx_hash:?}: {reason}; check the chain before resubmitting")]
	Subscription { tx_hash: Hash, reason: String },
	/// The node reported a block that does not contain the extrinsic.
	#[error(
		"block {block_hash:?} does not contain extrinsic {tx_hash:?} although the node said so"
	)]
	NotInBlock { tx_hash: Hash, block_hash: Hash },
	/// Waiting took longer than allowed.
	#[error("timed out after {after:?} waiting for {what}")]
	Timeout { what: String, after: Duration },
	/// A value from the node did not decode as the runtime's type.
	#[error(
		"cannot decode {what}: {source}. The node may run a runtime this worker was not built \
		 for; upgrade gonka-worker"
	)]
	Decode {
		what: String,
		#[source]
		source: codec::Error,
	},
	/// subxt could not read the runtime at a block, or build an extrinsic.
	#[error("{what}: {reason}")]
	Subxt { what: String, reason: String },
	/// A call's arguments do not fit the runtime's types at the block it is signed at (the
	/// runtime changed the call).
	#[error(
		"the call {call} does not fit the runtime in force: {reason}. The runtime changed this \
		 call; upgrade gonka-worker"
	)]
	CallMismatch { call: String, reason: String },
	/// The runtime metadata lacks something the worker needs.
	#[error("the runtime metadata has no {what}; upgrade gonka-worker to match the runtime")]
	Metadata { what: String },
	/// No new best block for longer than the stall timeout: a half-open connection, a stuck
	/// node, or a chain that stopped producing blocks.
	#[error(
		"no new block from {url} in {after:?}: the connection is half-open, the node is stuck, or \
		 the chain stopped producing blocks; reconnecting"
	)]
	Stalled { url: String, after: Duration },
	/// The node runs another chain.
	#[error(
		"the node at {url} runs runtime '{spec_name}', not 'gonka'; point --node at a gonka-node"
	)]
	WrongChain { url: String, spec_name: String },
	/// The node has no genesis block hash (it is not a synced chain node).
	#[error("the node reports no genesis block")]
	NoGenesis,
	/// A block the client asked for is unknown to the node.
	#[error("the node does not know block {hash:?}")]
	UnknownBlock { hash: Option<Hash> },
}

impl ChainError {
	/// The dispatch error, when the extrinsic was included but failed.
	pub fn dispatch_error(&self) -> Option<&DispatchErrorInfo> {
		match self {
			ChainError::Dispatch { error, .. } => Some(error),
			_ => None,
		}
	}
}

/// A dispatch error with the names the runtime's metadata gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatchErrorInfo {
	/// The pallet for module errors (`Balances`), the error's kind otherwise (`Token`).
	pub pallet: String,
	/// The error's name (`InsufficientBalance`, `FundsUnavailable`).
	pub name: String,
	/// The error's documentation from the runtime, if any.
	pub docs: String,
	/// The error as the runtime emitted it.
	pub raw: DispatchError,
}

impl DispatchErrorInfo {
	/// `Pallet::Name`, e.g. `Balances::InsufficientBalance`.
	pub fn qualified_name(&self) -> String {
		if self.pallet.is_empty() {
			self.name.clone()
		} else {
			format!("{}::{}", self.pallet, self.name)
		}
	}
}

impl fmt::Display for DispatchErrorInfo {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}", self.qualified_name())?;
		if !self.docs.is_empty() {
			write!(f, " ({})", self.docs)?;
		}
		Ok(())
	}
}
