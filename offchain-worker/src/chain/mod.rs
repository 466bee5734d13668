//! The chain client: a `gonka-node` over JSON-RPC (WebSocket).
//!
//! * reads runtime constants (from the metadata, decoded into the runtime's types) and storage
//!   (keys from the runtime's storage types, values decoded natively);
//! * builds and signs extrinsics natively: sr25519, the runtime's [`TxExtension`], the nonce from
//!   `system_accountNextIndex`, a mortal era;
//! * submits them with `author_submitAndWatchExtrinsic` and reports inclusion with the
//!   extrinsic's events, or the dispatch error by its pallet and error name
//!   (`Balances::InsufficientBalance`), read from the runtime's metadata.
//!
//! ```no_run
//! # async fn example() -> Result<(), gonka_worker::chain::ChainError> {
//! use gonka_worker::chain::{ChainClient, WaitFor};
//! use polkadot_sdk::sp_keyring::Sr25519Keyring;
//!
//! let client = ChainClient::connect("ws://127.0.0.1:9944").await?;
//! let call = gonka_runtime::RuntimeCall::Balances(
//!     polkadot_sdk::pallet_balances::Call::transfer_keep_alive {
//!         dest: Sr25519Keyring::Bob.to_account_id().into(),
//!         value: gonka_runtime::GNK,
//!     },
//! );
//! let included = client.sign_and_submit(&Sr25519Keyring::Alice.pair(), call, WaitFor::Finalized).await?;
//! println!("included in {:?} with {} events", included.block_hash, included.events.len());
//! # Ok(()) }
//! ```

mod error;
mod metadata;
mod rpc;
mod signing;
mod sprint;

pub use error::{ChainError, DispatchErrorInfo};
pub use metadata::RuntimeMetadata;
pub use signing::Mortality;
pub use sprint::Host;

use codec::{Decode, Encode};
use gonka_runtime::{AccountId, Hash, Header, Nonce, Runtime, RuntimeCall, RuntimeEvent};
use jsonrpsee::{
	core::client::{Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use polkadot_sdk::{
	frame_system::{self, EventRecord, Phase},
	sp_core::{crypto::Ss58Codec, sr25519, Bytes, Pair},
	sp_runtime::traits::{BlakeTwo256, Hash as _},
};
use serde::Deserialize;
use std::{sync::Arc, time::Duration};

/// The `spec_name` of the gonka runtime; a node running anything else is refused.
pub const RUNTIME_SPEC_NAME: &str = "gonka";

/// How long a single RPC request may take before it fails with a timeout.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the client pings the node over the WebSocket; a node that answers no ping (nor
/// anything else) for [`KEEP_ALIVE_LIMIT`] is treated as gone and the connection closed.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// How long a connection may go without any frame from the node (pongs included).
pub const KEEP_ALIVE_LIMIT: Duration = Duration::from_secs(30);

/// How long [`ChainClient::submit_and_watch`] waits for the requested inclusion by default.
pub const DEFAULT_INCLUSION_TIMEOUT: Duration = Duration::from_secs(120);

/// How far [`ChainClient::submit_and_watch`] follows an extrinsic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
	/// Until it is in a block of the best chain.
	InBlock,
	/// Until the block that contains it is finalized.
	Finalized,
}

/// The token as the node describes it (`system_properties`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ChainProperties {
	/// The token symbol (`GNK`).
	pub token_symbol: String,
	/// The token's decimals (9).
	pub token_decimals: u8,
	/// The SS58 address prefix.
	pub ss58_format: u16,
}

/// The node's view of its peers and sync (`system_health`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NodeHealth {
	pub peers: u64,
	/// Still importing the chain: its best block is not the network's.
	pub is_syncing: bool,
	pub should_have_peers: bool,
}

/// The versions a signed extrinsic commits to (`state_getRuntimeVersion`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeVersion {
	/// The runtime's name (`gonka`).
	pub spec_name: String,
	/// The runtime's version; bumped on every upgrade.
	pub spec_version: u32,
	/// The version of the extrinsic format and of the calls' encoding.
	pub transaction_version: u32,
}

/// An extrinsic that made it into a block and dispatched successfully.
#[derive(Clone, Debug)]
pub struct Included {
	/// The extrinsic's hash (blake2-256 of its encoding).
	pub tx_hash: Hash,
	/// The block it is in.
	pub block_hash: Hash,
	/// Its position in that block.
	pub extrinsic_index: u32,
	/// The events it emitted, `System::ExtrinsicSuccess` last.
	pub events: Vec<RuntimeEvent>,
}

/// The status updates of `author_submitAndWatchExtrinsic`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum TxStatus {
	Future,
	Ready,
	Broadcast(Vec<String>),
	InBlock(Hash),
	Retracted(Hash),
	FinalityTimeout(Hash),
	Finalized(Hash),
	Usurped(Hash),
	Dropped,
	Invalid,
}

#[derive(Deserialize)]
struct RpcSignedBlock {
	block: RpcBlock,
}

#[derive(Deserialize)]
struct RpcBlock {
	extrinsics: Vec<Bytes>,
}

/// A connection to a `gonka-node`.
///
/// Cheap to share: clone the [`Arc`] it is usually held in. The genesis hash, runtime version and
/// metadata are read once at connection; [`ChainClient::refresh_runtime`] re-reads the last two
/// after a runtime upgrade.
pub struct ChainClient {
	url: String,
	rpc: WsClient,
	genesis_hash: Hash,
	runtime: tokio::sync::RwLock<(RuntimeVersion, Arc<RuntimeMetadata>)>,
	inclusion_timeout: Duration,
}

impl ChainClient {
	/// Connects to the node at `url` (`ws://host:port`) and checks that it runs the gonka runtime.
	pub async fn connect(url: &str) -> Result<Self, ChainError> {
		Self::connect_with(url, DEFAULT_REQUEST_TIMEOUT, DEFAULT_INCLUSION_TIMEOUT).await
	}

	/// [`ChainClient::connect`] with explicit request and inclusion timeouts.
	pub async fn connect_with(
		url: &str,
		request_timeout: Duration,
		inclusion_timeout: Duration,
	) -> Result<Self, ChainError> {
		let rpc = WsClientBuilder::default()
			.request_timeout(request_timeout)
			.connection_timeout(request_timeout)
			.max_response_size(64 * 1024 * 1024)
			.enable_ws_ping(
				jsonrpsee::ws_client::PingConfig::new()
					.ping_interval(KEEP_ALIVE_INTERVAL)
					.inactive_limit(KEEP_ALIVE_LIMIT),
			)
			.build(url)
			.await
			.map_err(|source| ChainError::Connect { url: url.to_string(), source })?;
		let genesis_hash: Hash =
			rpc::request::<Option<Hash>>(&rpc, "chain_getBlockHash", rpc_params![0u32])
				.await?
				.ok_or(ChainError::NoGenesis)?;
		let version = Self::fetch_version(&rpc).await?;
		if version.spec_name != RUNTIME_SPEC_NAME {
			return Err(ChainError::WrongChain {
				url: url.to_string(),
				spec_name: version.spec_name,
			});
		}
		let metadata = Arc::new(Self::fetch_metadata(&rpc).await?);
		Ok(Self {
			url: url.to_string(),
			rpc,
			genesis_hash,
			runtime: tokio::sync::RwLock::new((version, metadata)),
			inclusion_timeout,
		})
	}

	async fn fetch_version(rpc: &WsClient) -> Result<RuntimeVersion, ChainError> {
		rpc::request(rpc, "state_getRuntimeVersion", rpc_params![]).await
	}

	async fn fetch_metadata(rpc: &WsClient) -> Result<RuntimeMetadata, ChainError> {
		let bytes: Bytes = rpc::request(rpc, "state_getMetadata", rpc_params![]).await?;
		RuntimeMetadata::decode(&bytes)
	}

	/// Re-reads the runtime version and metadata (after a runtime upgrade).
	pub async fn refresh_runtime(&self) -> Result<RuntimeVersion, ChainError> {
		let version = Self::fetch_version(&self.rpc).await?;
		let metadata = Arc::new(Self::fetch_metadata(&self.rpc).await?);
		*self.runtime.write().await = (version.clone(), metadata);
		Ok(version)
	}

	/// The URL this client is connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The chain's genesis hash.
	pub fn genesis_hash(&self) -> Hash {
		self.genesis_hash
	}

	/// The runtime version read at connection (or at the last [`ChainClient::refresh_runtime`]).
	pub async fn runtime_version(&self) -> RuntimeVersion {
		self.runtime.read().await.0.clone()
	}

	/// The runtime metadata read at connection (or at the last [`ChainClient::refresh_runtime`]).
	pub async fn metadata(&self) -> Arc<RuntimeMetadata> {
		self.runtime.read().await.1.clone()
	}

	/// Whether the WebSocket connection is still up.
	pub fn is_connected(&self) -> bool {
		self.rpc.is_connected()
	}

	/// The token's symbol, decimals and address format (`system_properties`).
	pub async fn properties(&self) -> Result<ChainProperties, ChainError> {
		rpc::request(&self.rpc, "system_properties", rpc_params![]).await
	}

	/// Peers and sync state (`system_health`).
	pub async fn node_health(&self) -> Result<NodeHealth, ChainError> {
		rpc::request(&self.rpc, "system_health", rpc_params![]).await
	}

	/// The header of the best block, or of `hash`.
	pub async fn header(&self, hash: Option<Hash>) -> Result<Header, ChainError> {
		let header: Option<Header> =
			rpc::request(&self.rpc, "chain_getHeader", rpc_params![hash]).await?;
		header.ok_or(ChainError::UnknownBlock { hash })
	}

	/// The hash of the last finalized block.
	pub async fn finalized_head(&self) -> Result<Hash, ChainError> {
		rpc::request(&self.rpc, "chain_getFinalizedHead", rpc_params![]).await
	}

	/// The number of the last finalized block.
	pub async fn finalized_number(&self) -> Result<u32, ChainError> {
		let hash = self.finalized_head().await?;
		Ok(self.header(Some(hash)).await?.number)
	}

	/// The hash of block `number` on the best chain, if there is such a block.
	pub async fn block_hash(&self, number: u32) -> Result<Option<Hash>, ChainError> {
		rpc::request(&self.rpc, "chain_getBlockHash", rpc_params![number]).await
	}

	/// A runtime constant, decoded into `T` (use the runtime's own type for it).
	///
	/// `client.constant::<gonka_runtime::Balance>("Balances", "ExistentialDeposit")`
	pub async fn constant<T: Decode>(&self, pallet: &str, name: &str) -> Result<T, ChainError> {
		let metadata = self.metadata().await;
		let bytes = metadata.constant(pallet, name)?;
		T::decode(&mut &bytes[..]).map_err(|source| ChainError::Decode {
			what: format!("constant {pallet}::{name}"),
			source,
		})
	}

	/// The raw storage value under `key` at the best block (or at `at`); `None` when empty.
	pub async fn storage_raw(
		&self,
		key: &[u8],
		at: Option<Hash>,
	) -> Result<Option<Vec<u8>>, ChainError> {
		let value: Option<Bytes> =
			rpc::request(&self.rpc, "state_getStorage", rpc_params![Bytes(key.to_vec()), at])
				.await?;
		Ok(value.map(|b| b.0))
	}

	/// The storage value under `key`, decoded into `T`; `None` when empty.
	///
	/// Build `key` from the runtime's storage types, e.g.
	/// `frame_system::Account::<Runtime>::hashed_key_for(&who)`.
	pub async fn storage<T: Decode>(
		&self,
		key: &[u8],
		at: Option<Hash>,
	) -> Result<Option<T>, ChainError> {
		self.storage_raw(key, at)
			.await?
			.map(|bytes| {
				T::decode(&mut &bytes[..]).map_err(|source| ChainError::Decode {
					what: format!("storage value 0x{}", hex::encode(key)),
					source,
				})
			})
			.transpose()
	}

	/// An account's nonce and balances (`System::Account`) at the best block.
	pub async fn account(
		&self,
		who: &AccountId,
	) -> Result<
		frame_system::AccountInfo<
			Nonce,
			polkadot_sdk::pallet_balances::AccountData<gonka_runtime::Balance>,
		>,
		ChainError,
	> {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		Ok(self.storage(&key, None).await?.unwrap_or_default())
	}

	/// The events of block `at` (`System::Events`).
	pub async fn events(
		&self,
		at: Hash,
	) -> Result<Vec<EventRecord<RuntimeEvent, Hash>>, ChainError> {
		let key = self.metadata().await.storage_value_key("System", "Events")?;
		Ok(self.storage(&key, Some(at)).await?.unwrap_or_default())
	}

	/// Calls runtime API `method` (`"Trait_method"`) with SCALE-encoded `args` at the best block.
	pub async fn runtime_api<R: Decode>(
		&self,
		method: &str,
		args: impl Encode,
		at: Option<Hash>,
	) -> Result<R, ChainError> {
		let bytes: Bytes =
			rpc::request(&self.rpc, "state_call", rpc_params![method, Bytes(args.encode()), at])
				.await?;
		R::decode(&mut &bytes[..])
			.map_err(|source| ChainError::Decode { what: format!("runtime API {method}"), source })
	}

	/// The next nonce of `who`, counting its transactions already in the pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce, ChainError> {
		rpc::request(&self.rpc, "system_accountNextIndex", rpc_params![who.to_ss58check()]).await
	}

	/// Signs `call` with `signer`: nonce from the node, a mortal era anchored at the last
	/// finalized block, no tip. Returns the SCALE-encoded extrinsic, ready for
	/// [`ChainClient::submit_and_watch`].
	pub async fn sign(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
	) -> Result<Vec<u8>, ChainError> {
		let who: AccountId = signer.public().into();
		let nonce = self.next_nonce(&who).await?;
		let anchor = self.finalized_number().await?;
		let mortality = Mortality::anchored_at(anchor);
		let anchor_hash = self
			.block_hash(mortality.birth())
			.await?
			.ok_or(ChainError::UnknownBlock { hash: None })?;
		let version = self.runtime_version().await;
		Ok(signing::sign(signing::SigningContext {
			signer,
			call,
			nonce,
			tip: 0,
			mortality,
			mortality_checkpoint: anchor_hash,
			genesis_hash: self.genesis_hash,
			spec_version: version.spec_version,
			transaction_version: version.transaction_version,
		})
		.encode())
	}

	/// Signs `call` with `signer`, submits it and waits as `wait` says; see
	/// [`ChainClient::submit_and_watch`].
	pub async fn sign_and_submit(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		wait: WaitFor,
	) -> Result<Included, ChainError> {
		let extrinsic = self.sign(signer, call).await?;
		self.submit_and_watch(&extrinsic, wait).await
	}

	/// Submits an encoded extrinsic with `author_submitAndWatchExtrinsic` and follows it until it
	/// is in a block (or finalized), then reads its events.
	///
	/// * The node refusing it (bad encoding, bad signature, stale nonce, unpayable fee) gives
	///   [`ChainError::Rejected`] with the node's code and reason.
	/// * Dropped, invalid or usurped in the pool: [`ChainError::NotIncluded`].
	/// * Included but failed: [`ChainError::Dispatch`] with the error's pallet and name.
	/// * Nothing conclusive within the inclusion timeout: [`ChainError::Timeout`].
	pub async fn submit_and_watch(
		&self,
		extrinsic: &[u8],
		wait: WaitFor,
	) -> Result<Included, ChainError> {
		let tx_hash = BlakeTwo256::hash(extrinsic);
		let mut sub: Subscription<TxStatus> = self
			.rpc
			.subscribe(
				"author_submitAndWatchExtrinsic",
				rpc_params![Bytes(extrinsic.to_vec())],
				"author_unwatchExtrinsic",
			)
			.await
			.map_err(|e| rpc::submit_error(e, tx_hash))?;

		let block_hash = tokio::time::timeout(self.inclusion_timeout, async {
			let mut in_block = None;
			while let Some(status) = sub.next().await {
				let status = status.map_err(|e| ChainError::Subscription {
					tx_hash,
					reason: format!("undecodable status: {e}"),
				})?;
				tracing::debug!(target: "gonka::chain", ?tx_hash, ?status, "extrinsic status");
				match status {
					TxStatus::Future | TxStatus::Ready | TxStatus::Broadcast(_) => {},
					TxStatus::InBlock(hash) if wait == WaitFor::InBlock => return Ok(hash),
					TxStatus::InBlock(hash) => in_block = Some(hash),
					TxStatus::Retracted(_) => in_block = None,
					TxStatus::Finalized(hash) => return Ok(hash),
					TxStatus::FinalityTimeout(hash) => {
						return Err(ChainError::NotIncluded {
							tx_hash,
							status: format!("in block {hash:?} but not finalized in time"),
						})
					},
					TxStatus::Usurped(by) => {
						return Err(ChainError::NotIncluded {
							tx_hash,
							status: format!("usurped by {by:?} (same sender and nonce)"),
						})
					},
					TxStatus::Dropped => {
						return Err(ChainError::NotIncluded {
							tx_hash,
							status: "dropped from the pool (pool full or banned)".into(),
						})
					},
					TxStatus::Invalid => {
						return Err(ChainError::NotIncluded {
							tx_hash,
							status: "invalid (its nonce or era no longer fits the chain)".into(),
						})
					},
				}
			}
			Err(ChainError::Subscription {
				tx_hash,
				reason: match in_block {
					Some(hash) => format!("the node closed the subscription after block {hash:?}"),
					None => "the node closed the subscription".into(),
				},
			})
		})
		.await
		.map_err(|_| ChainError::Timeout {
			what: format!("extrinsic {tx_hash:?} to be {wait:?}"),
			after: self.inclusion_timeout,
		})??;

		self.outcome(tx_hash, block_hash).await
	}

	/// Finds extrinsic `tx_hash` in block `block_hash` and turns its events into the outcome.
	async fn outcome(&self, tx_hash: Hash, block_hash: Hash) -> Result<Included, ChainError> {
		let block: RpcSignedBlock =
			rpc::request(&self.rpc, "chain_getBlock", rpc_params![block_hash]).await?;
		let index = block
			.block
			.extrinsics
			.iter()
			.position(|xt| BlakeTwo256::hash(&xt.0) == tx_hash)
			.ok_or(ChainError::NotInBlock { tx_hash, block_hash })? as u32;

		let mut events = Vec::new();
		for record in self.events(block_hash).await? {
			if record.phase != Phase::ApplyExtrinsic(index) {
				continue;
			}
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = &record.event
			{
				let metadata = self.metadata().await;
				return Err(ChainError::Dispatch {
					tx_hash,
					block_hash,
					error: metadata.describe(dispatch_error),
				});
			}
			events.push(record.event);
		}
		Ok(Included { tx_hash, block_hash, extrinsic_index: index, events })
	}
}
