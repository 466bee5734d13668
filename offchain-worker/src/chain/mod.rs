//! The chain client: a `gonka-node` over JSON-RPC (WebSocket), through [`subxt`] where the
//! runtime's shape matters, so that the worker follows runtime upgrades without a restart and
//! without linking the runtime:
//!
//! * every extrinsic is built against the metadata and versions of the best block at the moment
//!   it is signed (subxt reads `Core_version` at that block and fetches the metadata of a new
//!   `spec_version` once): calls by pallet and call *name* ([`Call`]), their indices and the
//!   transaction extensions from that metadata, sr25519 signatures, the nonce from
//!   `system_accountNextIndex` (it counts the pool), a mortal era anchored at the best block;
//! * events are decoded against the metadata of the block they are in ([`Event`]: pallet and
//!   name, their SCALE bytes for whoever knows the type), so a new event variant is just another
//!   event, and a failed extrinsic's error is named by its pallet and variant
//!   (`Balances::InsufficientBalance`);
//! * constants are read from the metadata of the block asked about;
//! * the sprint pallet is read through its runtime API (`SprintApi`, [`sprint`]), whose SCALE
//!   types are the pallet's own.
//!
//! ```no_run
//! # async fn example() -> Result<(), gonka_worker::chain::ChainError> {
//! use gonka_worker::chain::{Call, ChainClient, WaitFor};
//! use polkadot_sdk::sp_keyring::Sr25519Keyring;
//!
//! let client = ChainClient::connect("ws://127.0.0.1:9944").await?;
//! let bob = Sr25519Keyring::Bob.to_account_id();
//! // Balances::transfer_keep_alive(dest: MultiAddress::Id(bob), value: 1 GNK)
//! let call = Call::new("Balances", "transfer_keep_alive", (polkadot_sdk::sp_runtime::MultiAddress::<_, ()>::Id(bob), codec::Compact(1_000_000_000u128)));
//! let included = client.sign_and_submit(&Sr25519Keyring::Alice.pair(), call, WaitFor::Finalized).await?;
//! println!("included in {:?} with {} events", included.block_hash, included.events.len());
//! # Ok(()) }
//! ```

pub mod call;
mod error;
mod metadata;
mod rpc;
mod signing;
pub mod sprint;

pub use call::Call;
pub use error::{ChainError, DispatchErrorInfo};
pub use signing::{call_data, sign as sign_offline, PairSigner, MORTALITY_PERIOD};
pub use sprint::Host;

use codec::{Decode, Encode};
use jsonrpsee::{
	core::client::{Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use polkadot_sdk::{
	sp_core::{crypto::Ss58Codec, sr25519, Bytes, Pair, H256},
	sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as _},
	},
};
use serde::Deserialize;
use std::{sync::Arc, time::Duration};
use subxt::{config::SubstrateConfig, OnlineClient};

/// Account ids on the gonka chain (sr25519 public keys).
pub type AccountId = polkadot_sdk::sp_runtime::AccountId32;
/// Block and extrinsic hashes (blake2-256).
pub type Hash = H256;
/// Block numbers.
pub type BlockNumber = u32;
/// Balances in base units (1 GNK = 10⁹).
pub type Balance = u128;
/// Account nonces.
pub type Nonce = u32;
/// A block header as the node sends it.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// What subxt is configured with: the gonka chain's account, address, signature and hash types
/// are Substrate's defaults.
pub type GonkaConfig = SubstrateConfig;

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

/// One event of a block, decoded against that block's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
	/// The pallet that emitted it (`Sprint`).
	pub pallet: String,
	/// The event's name (`Committed`).
	pub name: String,
	/// The extrinsic that emitted it, if any (`Phase::ApplyExtrinsic`).
	pub extrinsic: Option<u32>,
	/// The event's SCALE encoding as the runtime's event enum has it (pallet index, variant
	/// index, fields): decode it with [`Event::decode_as`] into a type that knows it.
	pub bytes: Vec<u8>,
	/// The fields alone (after the pallet and variant index).
	pub field_bytes: Vec<u8>,
}

impl Event {
	/// Decodes [`Event::bytes`] as `E` (a runtime's event enum, in tests).
	pub fn decode_as<E: Decode>(&self) -> Result<E, codec::Error> {
		E::decode(&mut &self.bytes[..])
	}

	/// Whether this is `pallet::name`.
	pub fn is(&self, pallet: &str, name: &str) -> bool {
		self.pallet == pallet && self.name == name
	}
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
	pub events: Vec<Event>,
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
/// Cheap to share: clone the [`Arc`] it is usually held in. Nothing about the runtime is cached
/// beyond one metadata per `spec_version` (inside subxt): each operation reads the versions of
/// the block it works at, so a runtime upgrade is followed at the block it applies.
pub struct ChainClient {
	url: String,
	rpc: Arc<WsClient>,
	api: OnlineClient<GonkaConfig>,
	genesis_hash: Hash,
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
		let rpc = Arc::new(rpc);
		let genesis_hash: Hash =
			rpc::request::<Option<Hash>>(&rpc, "chain_getBlockHash", rpc_params![0u32])
				.await?
				.ok_or(ChainError::NoGenesis)?;
		let version: RuntimeVersion =
			rpc::request(&rpc, "state_getRuntimeVersion", rpc_params![]).await?;
		if version.spec_name != RUNTIME_SPEC_NAME {
			return Err(ChainError::WrongChain {
				url: url.to_string(),
				spec_name: version.spec_name,
			});
		}
		let backend = subxt::backend::LegacyBackend::builder().build(rpc::SubxtRpc(rpc.clone()));
		let config = SubstrateConfig::builder().set_genesis_hash(genesis_hash).build();
		let api = OnlineClient::from_backend_with_config(config, Arc::new(backend))
			.await
			.map_err(|e| ChainError::Subxt { what: "connecting".into(), reason: e.to_string() })?;
		Ok(Self { url: url.to_string(), rpc, api, genesis_hash, inclusion_timeout })
	}

	/// The URL this client is connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The chain's genesis hash.
	pub fn genesis_hash(&self) -> Hash {
		self.genesis_hash
	}

	/// The runtime version at the best block (or at `at`).
	pub async fn runtime_version(&self, at: Option<Hash>) -> Result<RuntimeVersion, ChainError> {
		rpc::request(&self.rpc, "state_getRuntimeVersion", rpc_params![at]).await
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

	/// The hash of the best block.
	pub async fn best_hash(&self) -> Result<Hash, ChainError> {
		Ok(Self::header_hash(&self.header(None).await?))
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

	/// subxt at block `at` (the best block when `None`): that block's versions and metadata.
	async fn at(
		&self,
		at: Option<Hash>,
	) -> Result<subxt::client::OnlineClientAtBlock<GonkaConfig>, ChainError> {
		let hash = match at {
			Some(h) => h,
			None => self.best_hash().await?,
		};
		self.api.at_block(hash).await.map_err(|e| ChainError::Subxt {
			what: format!("reading the runtime at block {hash:?}"),
			reason: e.to_string(),
		})
	}

	/// The metadata in force at block `at` (the best block when `None`).
	pub async fn metadata(&self, at: Option<Hash>) -> Result<subxt::ArcMetadata, ChainError> {
		Ok(self.at(at).await?.metadata())
	}

	/// A runtime constant at the best block, decoded into `T` (SCALE).
	///
	/// `client.constant::<u128>("Balances", "ExistentialDeposit")`
	pub async fn constant<T: Decode>(&self, pallet: &str, name: &str) -> Result<T, ChainError> {
		let metadata = self.metadata(None).await?;
		let bytes = metadata::constant(&metadata, pallet, name)?;
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

	/// An account's nonce and balances (`System::Account`, a FRAME layout every runtime keeps)
	/// at the best block.
	pub async fn account(
		&self,
		who: &AccountId,
	) -> Result<
		polkadot_sdk::frame_system::AccountInfo<
			Nonce,
			polkadot_sdk::pallet_balances::AccountData<Balance>,
		>,
		ChainError,
	> {
		use polkadot_sdk::frame_support::{Blake2_128Concat, StorageHasher};
		let key = [
			polkadot_sdk::frame_support::storage::storage_prefix(b"System", b"Account").to_vec(),
			Blake2_128Concat::hash(who.as_ref()),
		]
		.concat();
		Ok(self.storage(&key, None).await?.unwrap_or_default())
	}

	/// The events of block `at`, decoded against that block's metadata.
	pub async fn events(&self, at: Hash) -> Result<Vec<Event>, ChainError> {
		let block = self.at(Some(at)).await?;
		let events = block.events().fetch().await.map_err(|e| ChainError::Subxt {
			what: format!("reading the events of block {at:?}"),
			reason: e.to_string(),
		})?;
		let mut out = Vec::new();
		for event in events.iter() {
			let event = event.map_err(|e| ChainError::Subxt {
				what: format!("decoding an event of block {at:?}"),
				reason: e.to_string(),
			})?;
			out.push(Event {
				pallet: event.pallet_name().to_string(),
				name: event.event_name().to_string(),
				extrinsic: match event.phase() {
					subxt::events::Phase::ApplyExtrinsic(i) => Some(i),
					_ => None,
				},
				bytes: [&[event.pallet_index(), event.event_index()][..], event.field_bytes()]
					.concat(),
				field_bytes: event.field_bytes().to_vec(),
			});
		}
		Ok(out)
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

	/// Signs `call` with `signer` against the best block: its metadata (call indices,
	/// transaction extensions) and versions, the nonce from the node, a mortal era of
	/// [`MORTALITY_PERIOD`] blocks from that block, no tip. Returns the SCALE-encoded
	/// extrinsic, ready for [`ChainClient::submit_and_watch`].
	pub async fn sign(&self, signer: &sr25519::Pair, call: Call) -> Result<Vec<u8>, ChainError> {
		let who: AccountId = signer.public().into();
		let nonce = self.next_nonce(&who).await?;
		let block = self.at(None).await?;
		let checkpoint = (block.block_number(), block.block_hash());
		signing::sign(&block, checkpoint, signer, &call, nonce)
	}

	/// The call data of `call` under the best block's metadata (checked against its types), as
	/// Polkadot.js apps decodes it.
	pub async fn call_data(&self, call: &Call) -> Result<Vec<u8>, ChainError> {
		signing::call_data(&self.at(None).await?, call)
	}

	/// Hands an encoded extrinsic to the node's pool (`author_submitExtrinsic`) without
	/// following it: its hash. (The crash tests' "sent, not yet included".)
	pub async fn submit(&self, extrinsic: &[u8]) -> Result<Hash, ChainError> {
		rpc::request(&self.rpc, "author_submitExtrinsic", rpc_params![Bytes(extrinsic.to_vec())])
			.await
	}

	/// Signs `call` with `signer`, submits it and waits as `wait` says; see
	/// [`ChainClient::submit_and_watch`].
	pub async fn sign_and_submit(
		&self,
		signer: &sr25519::Pair,
		call: Call,
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
		self.submit_and_watch_within(extrinsic, wait, self.inclusion_timeout).await
	}

	/// [`ChainClient::submit_and_watch`] with its own time limit (a commitment waits no longer
	/// than its window).
	pub async fn submit_and_watch_within(
		&self,
		extrinsic: &[u8],
		wait: WaitFor,
		limit: Duration,
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

		let block_hash = tokio::time::timeout(limit, async {
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
			after: limit,
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
		for event in self.events(block_hash).await? {
			if event.extrinsic != Some(index) {
				continue;
			}
			if event.is("System", "ExtrinsicFailed") {
				let metadata = self.metadata(Some(block_hash)).await?;
				let error =
					polkadot_sdk::sp_runtime::DispatchError::decode(&mut &event.field_bytes[..])
						.map_err(|source| ChainError::Decode {
							what: "the dispatch error of System::ExtrinsicFailed".into(),
							source,
						})?;
				return Err(ChainError::Dispatch {
					tx_hash,
					block_hash,
					error: metadata::describe(&metadata, &error),
				});
			}
			events.push(event);
		}
		Ok(Included { tx_hash, block_hash, extrinsic_index: index, events })
	}

	/// New best heads (`chain_subscribeNewHeads`).
	pub async fn subscribe_new_heads(&self) -> Result<Subscription<Header>, ChainError> {
		self.rpc
			.subscribe("chain_subscribeNewHeads", rpc_params![], "chain_unsubscribeNewHeads")
			.await
			.map_err(|source| ChainError::Rpc { method: "chain_subscribeNewHeads".into(), source })
	}

	/// New finalized heads (`chain_subscribeFinalizedHeads`).
	pub async fn subscribe_finalized_heads(&self) -> Result<Subscription<Header>, ChainError> {
		self.rpc
			.subscribe(
				"chain_subscribeFinalizedHeads",
				rpc_params![],
				"chain_unsubscribeFinalizedHeads",
			)
			.await
			.map_err(|source| ChainError::Rpc {
				method: "chain_subscribeFinalizedHeads".into(),
				source,
			})
	}

	/// Hash of a header (blake2-256 of its encoding).
	pub fn header_hash(header: &Header) -> Hash {
		polkadot_sdk::sp_runtime::traits::Header::hash(header)
	}
}
