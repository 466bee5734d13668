//! The worker's loop (PROTOCOL §4–§6): follow the chain's heads, and at each block do what the
//! epoch's phase asks, once.
//!
//! Heads: new best heads drive the work (phases are read at each); finalized heads are
//! reported (`gonka_worker_finalized_block`).
//!
//! * **Sprint**: from the Sprint's first block until `commit_margin` blocks before the Commit
//!   phase, every device searches its own nonce range (device `d` starts at `d·2^48`); hits go to
//!   the data directory as they are found ([`crate::store::HitLog`]), so a restart continues.
//! * **Commit**: the hits of every device become the commitment (leaves and tree on disk, served
//!   by [`crate::server`]); `commit` is signed with the worker key and sent, and sent again with
//!   the same content at later blocks until it is included or the Commit phase ends.
//! * **Validation**: when the host has weight, for each host whose committee it sits on
//!   (`SprintApi::duties`): fetch, check, judge ([`crate::validator`]) with check bits; each
//!   verdict is saved, then its commitment goes on chain in batches of the runtime's
//!   `MaxVerdictBatch` ([`crate::verdicts`]). A host that never answers is retried across the
//!   window and judged `Unreachable` only `GIVE_UP_BLOCKS` before it closes.
//! * **Reveal**: every committed verdict is revealed with its check bits and salt.
//!
//! What was done on chain is recorded in `state.json` ([`crate::store::StateStore`]) and checked
//! against the chain before any extrinsic, so neither a restart nor a reconnection acts twice on
//! an epoch. A lost node connection is retried with backoff (1 s doubling to 5 s) for as long as
//! the worker runs; so is one that goes quiet: WebSocket pings find a dead link within
//! [`crate::chain::KEEP_ALIVE_LIMIT`], and no new best block within `stall_timeout` counts as a
//! stalled connection. A node that is still syncing is waited for before any work.
//!
//! Structure: [`crate::planner`] decides what to do at each block from what the worker knows (a
//! pure function, unit-tested without a node); this module follows the chain, builds that
//! snapshot and carries the actions out; the duties are their own modules — `sprint` (the search
//! on every device), `commit` (the commitment, re-derived and sent), `validation` (judging and
//! verdict commitments) — and the verdicts' records and reveals are [`crate::verdicts`].
//!
//! Start-up checks every setting before anything runs — the proof server's limits, each
//! device's backend, the listen address, the node (within `startup_timeout`), the data
//! directory's chain and key ([`crate::store::Identity`]), the worker key's registration — and
//! stops with the reason. After start-up, problems are reported on `/health`
//! ([`crate::health::Health`]) and the worker goes on.

mod commit;
mod sprint;
mod validation;

use commit::commit;
use sprint::{mine, progress_bar};
use validation::{validate, ValidationCtx};

use std::{
	collections::BTreeMap,
	net::SocketAddr,
	ops::ControlFlow,
	path::PathBuf,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
		Arc,
	},
	time::{Duration, Instant},
};

use crate::chain::{AccountId, Balance, Hash};
use gonka_kernels::{
	sprint, Backend, Budget, CpuBackend, FraudTest, Hit, HostKey, MerkleTree, ModelConfig,
};
use pallet_sprint::{EpochInfo, Phase};
use polkadot_sdk::sp_core::{crypto::Ss58Codec, Pair};
use tokio::sync::watch;

use crate::{
	backend::{BackendCell, BackendFactory, BackendFailure},
	chain::{ChainClient, ChainError, WaitFor},
	duty::DutyError,
	health::{component, Health},
	keys::WorkerKey,
	metrics::Metrics,
	planner,
	server::{LimitError, ServerLimits, ServerState},
	store::{DataDir, Identity, StoreError},
	validator::{judge_hosts, HostToJudge, Judging, ProofClient, SharedBackend},
	verdicts::{self, VerdictDuty},
};

/// Blocks before the end of the Validation phase at which hosts that never answered are judged
/// `Unreachable` (so that the verdict commitments are still included in time).
pub const GIVE_UP_BLOCKS: u32 = 3;

/// The longest pause between two attempts to reach the node. Short: a worker that comes back
/// late misses the Commit window (PROTOCOL §2: 20 blocks on mainnet, 5 on the dev chain).
pub const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(5);

/// The first nonce of device `d`: devices search disjoint ranges of 2^48 nonces.
pub fn device_range(d: usize) -> std::ops::Range<u64> {
	(d as u64) << 48..((d as u64) + 1) << 48
}

/// Which backend computes the Sprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
	/// The pure-Rust reference (every machine can run it; slow).
	Cpu,
	/// libtorch (CUDA when present); needs a build with `--features torch`.
	Torch,
}

/// A test-only misbehaviour, to show that the network catches it (or, for
/// [`Cheat::ExitAfterCommitSent`], that a crash loses nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cheat {
	/// Claim `n` hits with made-up distances instead of computing anything.
	MadeUpHits(u64),
	/// Search honestly but keep near-misses too: every nonce whose distance is below
	/// `r_target + 0.01` (version 1's tolerance `δ`, ×3.97 the weight on `h100`).
	NearMisses,
	/// Search honestly, then commit every hit twice (version 1 caught repeats only inside one
	/// sample).
	DuplicateHits,
	/// Validate lazily: vote `Valid` on every duty without fetching or computing anything,
	/// with guessed check bits (PROTOCOL §6: found lazy, its seats missed).
	Lazy,
	/// Exit (code 3) right after the commitment was sent, before it is included: the crash
	/// between "sent" and "recorded" that a restart must recover from without a second one.
	ExitAfterCommitSent,
	/// Exit (code 3) right after the first batch of verdict commitments was sent, before it is
	/// included: a restart must reveal them without judging again.
	ExitAfterVerdictsSent,
}

/// The radius a [`Cheat::NearMisses`] worker searches below: `r_target + 0.01`.
const NEAR_MISS_MICROS: u32 = 10_000;

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
	pub node_url: String,
	pub listen: SocketAddr,
	pub backend: BackendKind,
	/// Devices (`cpu` for the CPU backend; `cuda:0,cuda:1`, … for torch).
	pub devices: Vec<String>,
	/// Threads of the CPU backend (0: one per core).
	pub threads: usize,
	pub data_dir: PathBuf,
	/// Blocks before the Commit phase at which the Sprint stops, to commit in time.
	pub commit_margin: u32,
	/// Time limit of one proof fetch.
	pub fetch_timeout: Duration,
	pub server_limits: ServerLimits,
	/// Draw a live progress bar on the terminal.
	pub progress: bool,
	/// Fetch proofs from loopback, private, link-local and multicast addresses too (PROTOCOL
	/// §1 forbids it on a live network: development networks and tests only).
	pub allow_private_endpoints: bool,
	/// Where `/metrics` and `/health` are served (`None`: no metrics server).
	pub metrics_listen: Option<SocketAddr>,
	/// CA certificates trusted for `https://` peers besides the webpki roots (a test network's
	/// own CA; `--extra-ca-file`).
	pub extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
	/// No new best block for this long: the connection is treated as dead and made again.
	pub stall_timeout: Duration,
	/// How long start-up waits for the node to answer before it gives up.
	pub startup_timeout: Duration,
	/// The inference API's metrics, served with the worker's (`run --model`).
	pub api_metrics: Option<Arc<crate::api::metrics::ApiMetrics>>,
	pub cheat: Option<Cheat>,
}

/// The stall timeout by default: ten 6-second blocks.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long start-up waits for the node by default.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the worker stopped (or would not start).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error(transparent)]
	Limits(#[from] LimitError),
	#[error("cannot listen on {addr}: {source} (is another worker using the port? pick --listen)")]
	Listen { addr: SocketAddr, source: std::io::Error },
	#[error(
		"cannot serve metrics on {addr}: {source} (is another worker using the port? pick \
		 --metrics-listen, or --no-metrics)"
	)]
	MetricsListen { addr: SocketAddr, source: std::io::Error },
	#[error("{0}")]
	Backend(#[from] BackendFailure),
	#[error("--extra-ca-file: {0}")]
	ExtraRoots(String),
	#[error("no devices: pass --devices (`cpu`, or `cuda:0,cuda:1` with --backend torch)")]
	NoDevices,
	#[error(
		"cannot reach the node {url} within {after:?}: {source} (is gonka-node running, and is \
		 --node its WebSocket RPC?)"
	)]
	NodeUnreachable { url: String, after: Duration, source: ChainError },
	#[error("start-up check at {url}: {source}")]
	Chain { url: String, source: ChainError },
	#[error(
		"worker key {worker_key} is not any host's worker key on the chain at {url}: register \
		 it first (`gonka-worker register`, or sprint.register_host in Polkadot.js apps with the \
		 proof of `gonka-worker key proof`), then start the worker"
	)]
	NotRegistered { worker_key: String, url: String },
}

/// Why one connection's follow loop ended.
enum Stop {
	/// The connection failed: connect again.
	Retry(ChainError),
	/// Going on would do harm (another chain's data directory): stop the worker.
	Fatal(WorkerError),
}

impl From<ChainError> for Stop {
	fn from(e: ChainError) -> Self {
		Stop::Retry(e)
	}
}

struct MiningTask {
	epoch: u32,
	stop: Arc<AtomicBool>,
	handle: tokio::task::JoinHandle<Result<(), String>>,
}

/// What one worker knows and runs.
struct Worker {
	config: WorkerConfig,
	key: WorkerKey,
	worker_account: AccountId,
	data: Arc<DataDir>,
	metrics: Arc<Metrics>,
	backends: Option<(ModelConfig, Vec<SharedBackend>)>,
	mining: Option<MiningTask>,
	commit_task: Option<(u32, tokio::task::JoinHandle<()>)>,
	validation_task: Option<(u32, tokio::task::JoinHandle<()>)>,
	/// Reveals of an epoch; the task says how many it sent (0: nothing was left).
	reveal_task: Option<(u32, tokio::task::JoinHandle<Result<usize, DutyError>>)>,
	best_tx: watch::Sender<u32>,
	/// One extrinsic of the worker key at a time (their nonces come from the node).
	submit_lock: Arc<tokio::sync::Mutex<()>>,
	health: Arc<Health>,
	/// Set when a check in the loop finds that going on would do harm.
	fatal: Option<WorkerError>,
	host: Option<AccountId>,
	/// The sprint parameters of `last_epoch`.
	params: Option<pallet_sprint::SprintParams<Balance>>,
	last_epoch: Option<u32>,
	/// The epoch whose verdict commitments are all on chain.
	validated: Option<u32>,
	/// The epoch whose verdicts are all revealed.
	revealed: Option<u32>,
	proof_client: ProofClient,
}

/// Runs the worker until `shutdown` resolves: the proof server, and the chain loop with
/// reconnection. Ctrl-C (or `shutdown`) stops the Sprint, saves the hits and returns.
pub async fn run(
	config: WorkerConfig,
	key: WorkerKey,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
	config.server_limits.validate()?;
	let proof_client = ProofClient::new(config.fetch_timeout)
		.allow_private_addresses(config.allow_private_endpoints)
		.with_extra_roots(&config.extra_roots)
		.map_err(WorkerError::ExtraRoots)?;
	let metrics = Arc::new(Metrics::default().with_api(config.api_metrics.clone()));
	let proof_client = proof_client.with_metrics(metrics.clone());
	let data = Arc::new(DataDir::open(&config.data_dir)?);
	let health = Arc::new(Health::starting(component::NODE, "not connected to the node yet"));
	let worker_account: AccountId = key.pair().public().into();
	// Every device's backend must build (on the smallest model) before anything else runs: a
	// missing torch build or an invisible GPU is an error now, not at the first Sprint.
	for device in &config.devices {
		backend_cell(&config, device, ModelConfig::tiny(), health.clone())?;
	}
	if config.devices.is_empty() {
		return Err(WorkerError::NoDevices);
	}
	let listener = tokio::net::TcpListener::bind(config.listen)
		.await
		.map_err(|source| WorkerError::Listen { addr: config.listen, source })?;
	let metrics_listener = match config.metrics_listen {
		Some(addr) => Some(
			tokio::net::TcpListener::bind(addr)
				.await
				.map_err(|source| WorkerError::MetricsListen { addr, source })?,
		),
		None => None,
	};
	tracing::info!(
		target: "gonka::worker",
		"worker key {} · data {} · proofs on http://{} · metrics {}",
		worker_account.to_ss58check(),
		config.data_dir.display(),
		config.listen,
		config.metrics_listen.map_or("off".into(), |a| format!("on http://{a}/metrics"))
	);
	let (stop_tx, stop_rx) = watch::channel(false);
	let server_state = ServerState::new(
		data.clone(),
		metrics.clone(),
		config.server_limits.clone(),
		serde_json::json!({ "workerKey": worker_account.to_ss58check() }),
	)
	.with_health(health.clone());
	let metrics_server = metrics_listener.map(|listener| {
		let (state, mut stop) = (server_state.clone(), stop_rx.clone());
		tokio::spawn(async move {
			let stopped = async move {
				let _ = stop.wait_for(|s| *s).await;
			};
			if let Err(e) = crate::server::serve_metrics(listener, state, stopped).await {
				tracing::error!(target: "gonka::worker", "metrics server stopped: {e}");
			}
		})
	});
	let mut server_stop = stop_rx.clone();
	let server = tokio::spawn(async move {
		let stopped = async move {
			let _ = server_stop.wait_for(|s| *s).await;
		};
		if let Err(e) = crate::server::serve(listener, server_state, stopped).await {
			tracing::error!(target: "gonka::worker", "proof server stopped: {e}");
		}
	});

	let (best_tx, _) = watch::channel(0);
	let mut worker = Worker {
		proof_client,
		config,
		key,
		worker_account,
		data,
		metrics,
		backends: None,
		mining: None,
		commit_task: None,
		validation_task: None,
		reveal_task: None,
		best_tx,
		submit_lock: Arc::default(),
		health,
		fatal: None,
		host: None,
		params: None,
		last_epoch: None,
		validated: None,
		revealed: None,
	};

	tokio::pin!(shutdown);
	let checked = tokio::select! {
		_ = &mut shutdown => None,
		r = worker.startup_check() => Some(r),
	};
	let outcome = match checked {
		None => Ok(()),
		Some(Err(e)) => Err(e),
		Some(Ok(())) => worker.follow_with_reconnects(shutdown.as_mut()).await,
	};

	tracing::info!(target: "gonka::worker", "stopping: saving the Sprint's hits");
	if let Some(task) = worker.mining.take() {
		task.stop.store(true, Relaxed);
		let _ = task.handle.await;
	}
	let _ = stop_tx.send(true);
	let _ = server.await;
	if let Some(m) = metrics_server {
		let _ = m.await;
	}
	outcome
}

/// A cell for `device`'s backend on `model`, as `config` says (built once now).
fn backend_cell(
	config: &WorkerConfig,
	device: &str,
	model: ModelConfig,
	health: Arc<Health>,
) -> Result<BackendCell, BackendFailure> {
	let factory = backend_factory(config.backend, device, config.threads, model)
		.map_err(|reason| BackendFailure::Build { device: device.to_string(), reason })?;
	BackendCell::new(device, model, factory, health)
}

/// How `device`'s backend of `kind` is built for `model`.
fn backend_factory(
	kind: BackendKind,
	device: &str,
	threads: usize,
	model: ModelConfig,
) -> Result<BackendFactory, String> {
	match kind {
		BackendKind::Cpu => {
			if device != "cpu" {
				return Err(format!("the cpu backend runs on device `cpu`, not `{device}`"));
			}
			Ok(Box::new(move || {
				CpuBackend::with_threads(model, threads)
					.map(|b| Box::new(b) as Box<dyn Backend>)
					.map_err(|e| e.to_string())
			}))
		},
		#[cfg(feature = "torch")]
		BackendKind::Torch => {
			let d = gonka_kernels::torch::TorchDevice::parse(device).ok_or_else(|| {
				format!("`{device}` is not a torch device (auto, cpu, cuda, cuda:N)")
			})?;
			Ok(Box::new(move || {
				let search =
					gonka_kernels::TorchBackend::new(model, d).map_err(|e| e.to_string())?;
				if search.precision() == gonka_kernels::torch::Precision::F32 {
					return Ok(Box::new(search) as Box<dyn Backend>);
				}
				// PROTOCOL §4.5: a bf16 search, every candidate confirmed in f32 on the same
				// device (libtorch's default keeps TF32 off) before it is a hit.
				let confirm = gonka_kernels::TorchBackend::with_precision(
					model,
					search.device(),
					gonka_kernels::torch::Precision::F32,
				)
				.map_err(|e| e.to_string())?;
				let confirmed = gonka_kernels::Confirmed::new(
					search,
					confirm,
					gonka_kernels::torch::BF16_SEARCH_MARGIN,
				)
				.map_err(|e| e.to_string())?;
				Ok(Box::new(confirmed) as Box<dyn Backend>)
			}))
		},
		#[cfg(not(feature = "torch"))]
		BackendKind::Torch => Err("this gonka-worker was built without the torch backend; rebuild \
		                           with `--features torch` or use --backend cpu"
			.into()),
	}
}

impl Worker {
	/// Follows the chain, reconnecting with backoff after each lost or stalled connection,
	/// until `shutdown` resolves (`Ok`) or a check finds that going on would do harm (`Err`).
	async fn follow_with_reconnects(
		&mut self,
		mut shutdown: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
	) -> Result<(), WorkerError> {
		let mut backoff = Duration::from_secs(1);
		loop {
			let started = Instant::now();
			let followed = tokio::select! {
				_ = &mut shutdown => return Ok(()),
				r = self.follow() => r,
			};
			self.metrics.connected.set(0);
			if started.elapsed() > MAX_RECONNECT_BACKOFF * 6 {
				backoff = Duration::from_secs(1);
			}
			let url = self.config.node_url.clone();
			match followed {
				Ok(()) => {
					tracing::warn!(
						target: "gonka::worker",
						"the node {url} closed the head subscription; reconnecting in {backoff:?}"
					);
					self.health.set(
						component::NODE,
						format!("the node {url} closed the head subscription"),
					);
				},
				Err(Stop::Retry(e)) => {
					tracing::warn!(
						target: "gonka::worker",
						"lost the node {url}: {e}; reconnecting in {backoff:?}"
					);
					self.health.set(component::NODE, format!("lost the node {url}: {e}"));
				},
				Err(Stop::Fatal(e)) => return Err(e),
			}
			tokio::select! {
				_ = &mut shutdown => return Ok(()),
				_ = tokio::time::sleep(backoff) => {},
			}
			self.metrics.reconnects.inc();
			backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
		}
	}

	/// Start-up: the node reachable within `startup_timeout` and synced, the data directory
	/// bound to its chain and this worker key, the key registered.
	async fn startup_check(&mut self) -> Result<(), WorkerError> {
		let url = self.config.node_url.clone();
		let deadline = Instant::now() + self.config.startup_timeout;
		let client = loop {
			match ChainClient::connect(&url).await {
				Ok(c) => break c,
				Err(source @ ChainError::WrongChain { .. }) => {
					return Err(WorkerError::Chain { url, source })
				},
				Err(source) if Instant::now() >= deadline => {
					let after = self.config.startup_timeout;
					return Err(WorkerError::NodeUnreachable { url, after, source });
				},
				Err(e) => {
					tracing::info!(target: "gonka::worker", "waiting for the node {url}: {e}");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		};
		let chain = |source| WorkerError::Chain { url: url.clone(), source };
		self.wait_synced(&client).await.map_err(chain)?;
		self.bind(&client, None).map_err(WorkerError::Store)?;
		let Some(host) = client.host_of_worker(&self.worker_account, None).await.map_err(chain)?
		else {
			return Err(WorkerError::NotRegistered {
				worker_key: self.worker_account.to_ss58check(),
				url,
			});
		};
		self.bind(&client, Some(&host)).map_err(WorkerError::Store)?;
		tracing::info!(
			target: "gonka::worker",
			"start-up checks passed: node {url}, genesis {:?}, host {}",
			client.genesis_hash(),
			host.to_ss58check()
		);
		Ok(())
	}

	/// Records (or checks) whom the data directory belongs to.
	fn bind(&self, client: &ChainClient, host: Option<&AccountId>) -> Result<(), StoreError> {
		self.data.bind(&Identity {
			genesis_hash: format!("{:?}", client.genesis_hash()),
			worker_key: self.worker_account.to_ss58check(),
			host: host.map(|h| h.to_ss58check()),
		})
	}

	/// Returns once the node says it is not syncing (checked every 5 s, reported on `/health`).
	async fn wait_synced(&self, client: &ChainClient) -> Result<(), ChainError> {
		loop {
			let state = client.node_health().await?;
			if !state.is_syncing {
				self.health.clear(component::CHAIN);
				return Ok(());
			}
			let best = client.header(None).await.map(|h| h.number).unwrap_or_default();
			let reason = format!(
				"the node {} is syncing (at block #{best}, {} peers); waiting until it is synced",
				self.config.node_url, state.peers
			);
			tracing::info!(target: "gonka::worker", "{reason}");
			self.health.set(component::CHAIN, reason);
			tokio::time::sleep(Duration::from_secs(5)).await;
		}
	}

	/// Connects, subscribes to new and finalized heads, and handles each new head until the
	/// connection fails or stalls.
	async fn follow(&mut self) -> Result<(), Stop> {
		let client = Arc::new(ChainClient::connect(&self.config.node_url).await?);
		self.bind(&client, None).map_err(|e| Stop::Fatal(e.into()))?;
		self.wait_synced(&client).await?;
		let mut heads = client.subscribe_new_heads().await?;
		let mut finalized = client.subscribe_finalized_heads().await?;
		self.metrics.connected.set(1);
		self.health.clear(component::NODE);
		tracing::info!(target: "gonka::worker", "following {}", self.config.node_url);
		self.last_epoch = None;
		let parse = |method: &str, e: serde_json::Error| ChainError::Rpc {
			method: method.into(),
			source: jsonrpsee::core::ClientError::ParseError(e),
		};
		let stall = self.config.stall_timeout;
		let stalled = tokio::time::sleep(stall);
		tokio::pin!(stalled);
		loop {
			tokio::select! {
				() = &mut stalled => {
					let e = ChainError::Stalled { url: self.config.node_url.clone(), after: stall };
					self.health.set(component::CHAIN, e.to_string());
					return Err(Stop::Retry(e));
				},
				header = heads.next() => {
					let Some(header) = header else { return Ok(()) };
					let header = header.map_err(|e| parse("chain_subscribeNewHeads", e))?;
					stalled.as_mut().reset(tokio::time::Instant::now() + stall);
					self.health.clear(component::CHAIN);
					let hash = ChainClient::header_hash(&header);
					if let Err(e) = self.on_block(&client, header.number, hash).await {
						if !client.is_connected() {
							return Err(Stop::Retry(e));
						}
						tracing::warn!(target: "gonka::worker", "block #{}: {e}", header.number);
					}
					if let Some(e) = self.fatal.take() {
						return Err(Stop::Fatal(e));
					}
				},
				header = finalized.next() => {
					let Some(header) = header else { return Ok(()) };
					let header = header.map_err(|e| parse("chain_subscribeFinalizedHeads", e))?;
					self.metrics.finalized_block.set(header.number as i64);
				},
			}
		}
	}

	async fn on_block(
		&mut self,
		client: &Arc<ChainClient>,
		number: u32,
		hash: Hash,
	) -> Result<(), ChainError> {
		let info = client.epoch_info(Some(hash)).await?;
		let _ = self.best_tx.send_replace(number);
		let m = self.metrics.clone();
		m.best_block.set(number as i64);
		m.epoch.set(info.epoch as i64);
		m.phase.set(phase_code(info.phase) as i64);

		if self.last_epoch != Some(info.epoch) || self.host.is_none() {
			self.new_epoch(client, &info, hash).await?;
		}
		let (Some(host), Some(params)) = (self.host.clone(), self.params.clone()) else {
			return Ok(());
		};
		// What this process knows, for the planner (which decides; this only carries out).
		let epoch = info.epoch;
		let reveal = if info.phase == Phase::Reveal && self.revealed != Some(epoch) {
			match self.reveal_task.take() {
				Some((e, handle)) if e == epoch && handle.is_finished() => {
					planner::Reveal::Finished { nothing_left: matches!(handle.await, Ok(Ok(0))) }
				},
				Some((e, handle)) if e == epoch => {
					self.reveal_task = Some((e, handle));
					planner::Reveal::Running
				},
				other => {
					self.reveal_task = other;
					planner::Reveal::Idle
				},
			}
		} else {
			planner::Reveal::Idle
		};
		let mut snapshot = planner::Snapshot {
			number,
			info,
			commit_margin: self.config.commit_margin,
			weight: m.weight.get() as u64,
			// One read of the record per block.
			committed: self.committed(epoch),
			mining: self.mining.as_ref().map(|t| t.epoch),
			commit: match &self.commit_task {
				Some((_, h)) if !h.is_finished() => planner::Task::Running,
				Some((e, _)) if *e == epoch => planner::Task::Finished,
				_ => planner::Task::Idle,
			},
			validation: match &self.validation_task {
				Some((e, h)) if *e == epoch && !h.is_finished() => planner::Task::Running,
				Some((e, _)) if *e == epoch => planner::Task::Finished,
				_ => planner::Task::Idle,
			},
			validated: self.validated == Some(epoch),
			reveal,
			revealed: self.revealed == Some(epoch),
			commitment_on_chain: None,
			verdicts_committed: None,
		};
		let actions = loop {
			match planner::plan(&snapshot) {
				Ok(actions) => break actions,
				Err(planner::Need::CommitmentOnChain) => {
					snapshot.commitment_on_chain =
						Some(client.commitment(epoch, &host, Some(hash)).await?.is_some())
				},
				Err(planner::Need::VerdictsCommitted) => {
					snapshot.verdicts_committed =
						Some(self.all_verdicts_committed(client, epoch, &host, hash).await?)
				},
			}
		};
		for action in actions {
			match action {
				planner::Action::StopSprint => {
					if let Some(task) = &self.mining {
						task.stop.store(true, Relaxed);
					}
				},
				planner::Action::StartSprint { stop_block } => {
					self.start_mining(client, &info, &host, &params.model, hash, stop_block).await?
				},
				planner::Action::ForgetCommit => {
					tracing::warn!(
						target: "gonka::worker",
						"epoch {epoch}: the commitment recorded as sent is not on the best chain; sending again"
					);
					self.forget_commit(epoch);
				},
				planner::Action::StartCommit { until } => {
					self.start_commit(client, epoch, &host, until)
				},
				planner::Action::MarkValidated => self.validated = Some(epoch),
				planner::Action::StartValidation => {
					self.start_validation(client, &info, &host, &params, hash).await?
				},
				planner::Action::MarkRevealed => self.revealed = Some(epoch),
				planner::Action::StartReveal => self.start_reveal(client, epoch, &host).await?,
			}
		}
		Ok(())
	}

	/// Reveals the epoch's committed verdicts in the background.
	async fn start_reveal(
		&mut self,
		client: &Arc<ChainClient>,
		epoch: u32,
		host: &AccountId,
	) -> Result<(), ChainError> {
		let max_batch: u32 = client.constant("Sprint", "MaxVerdictBatch").await?;
		let (client, data, metrics) = (client.clone(), self.data.clone(), self.metrics.clone());
		let (key, host) = (self.key.pair().clone(), host.clone());
		let submit_lock = self.submit_lock.clone();
		let handle = tokio::spawn(async move {
			let duty = VerdictDuty {
				client: &client,
				data: &data,
				metrics: &metrics,
				key: &key,
				validator: &host,
				epoch,
				max_batch: max_batch as usize,
				submit_lock: &submit_lock,
				exit_after_send: false,
			};
			let sent = duty.reveal().await;
			if let Err(e) = &sent {
				tracing::warn!(target: "gonka::worker", "epoch {epoch}: revealing verdicts: {e}; retrying at the next block");
			}
			sent
		});
		self.reveal_task = Some((epoch, handle));
		Ok(())
	}

	async fn new_epoch(
		&mut self,
		client: &Arc<ChainClient>,
		info: &EpochInfo<u32>,
		hash: Hash,
	) -> Result<(), ChainError> {
		let host = client.host_of_worker(&self.worker_account, Some(hash)).await?;
		match &host {
			None => {
				let reason = format!(
					"worker key {} is not any host's worker key on this chain: register it with \
					 `gonka-worker register` (or sprint.register_host) — waiting",
					self.worker_account.to_ss58check()
				);
				if self.last_epoch != Some(info.epoch) {
					tracing::warn!(target: "gonka::worker", "{reason}");
				}
				self.health.set(component::KEY, reason);
			},
			Some(host) => {
				self.health.clear(component::KEY);
				// The hits and records of this directory are one host's: another host's key
				// rotated onto this worker key must start from its own directory.
				if let Err(e) = self.bind(client, Some(host)) {
					self.fatal = Some(e.into());
					return Ok(());
				}
			},
		}
		if let Some(host) = &host {
			let weight = client.weight(info.epoch, host, Some(hash)).await?;
			self.metrics.weight.set(weight as i64);
			let balance = client.account(host).await?.data.free;
			self.metrics.free_balance.set(balance as f64);
			if self.host.as_ref() != Some(host) {
				tracing::info!(
					target: "gonka::worker",
					"signing for host {} (weight {weight} in epoch {})",
					host.to_ss58check(),
					info.epoch
				);
			}
			if let Some(record) = self.load_record(info.epoch.saturating_sub(1)) {
				if let Some((_, count)) = record.committed {
					tracing::info!(
						target: "gonka::worker",
						"epoch {}: weight {weight} (committed {count} leaves in epoch {})",
						info.epoch,
						info.epoch - 1
					);
				}
			}
		}
		// Parameters change only from an epoch's start (`set_params`), so one read per epoch.
		self.params = Some(client.sprint_params(Some(hash)).await?);
		self.host = host;
		self.last_epoch = Some(info.epoch);
		// Proofs are served until the epoch after next (PROTOCOL §5).
		if let Err(e) = self.data.prune(info.epoch.saturating_sub(2)) {
			tracing::warn!(target: "gonka::worker", "pruning old epochs: {e}");
		}
		Ok(())
	}

	fn load_record(&self, epoch: u32) -> Option<crate::store::EpochRecord> {
		self.data.state().read(|s| s.epochs.get(&epoch).cloned())
	}

	fn forget_commit(&self, epoch: u32) {
		let forgot = self.data.state().update(|s| {
			if let Some(record) = s.epochs.get_mut(&epoch) {
				record.committed = None;
			}
		});
		if let Err(e) = forgot {
			tracing::error!(target: "gonka::worker", "epoch {epoch}: recording the retracted commitment: {e}");
		}
	}

	fn committed(&self, epoch: u32) -> bool {
		self.data.state().read(|s| s.epochs.get(&epoch).is_some_and(|r| r.committed.is_some()))
	}

	/// The backends for `model` (built once per model; each rebuilt after a failure).
	fn backends(&mut self, model: &ModelConfig) -> Result<Vec<SharedBackend>, BackendFailure> {
		if let Some((m, b)) = &self.backends {
			if m == model {
				return Ok(b.clone());
			}
		}
		let mut out: Vec<SharedBackend> = Vec::new();
		for device in &self.config.devices {
			out.push(Arc::new(backend_cell(&self.config, device, *model, self.health.clone())?));
		}
		self.backends = Some((*model, out.clone()));
		Ok(out)
	}

	async fn start_mining(
		&mut self,
		client: &Arc<ChainClient>,
		info: &EpochInfo<u32>,
		host: &AccountId,
		model: &ModelConfig,
		hash: Hash,
		stop_block: u32,
	) -> Result<(), ChainError> {
		let Some(seed) = client.epoch_seed(info.epoch, Some(hash)).await? else {
			return Ok(());
		};
		let mut model = *model;
		if self.config.cheat == Some(Cheat::NearMisses) {
			// The distances do not depend on the radius: a wider one keeps near-misses.
			model.r_target_micros = model.r_target_micros.saturating_add(NEAR_MISS_MICROS);
		}
		let backends = match self.backends(&model) {
			Ok(b) => b,
			Err(e) => {
				tracing::error!(target: "gonka::worker", "cannot run the Sprint: {e}");
				return Ok(());
			},
		};
		let stop = Arc::new(AtomicBool::new(false));
		let (epoch, data, metrics) = (info.epoch, self.data.clone(), self.metrics.clone());
		let pk: HostKey = *AsRef::<[u8; 32]>::as_ref(host);
		let cheat = self.config.cheat;
		let stop2 = stop.clone();
		tracing::info!(
			target: "gonka::worker",
			"epoch {epoch}: Sprint from block #{} until #{stop_block} on {} device(s)",
			info.block,
			backends.len()
		);
		metrics.sprint_nonces.set(0);
		metrics.sprint_hits.set(0);
		metrics.nonces_per_sec.set(0.0);
		let bar = self.config.progress.then(|| progress_bar(epoch));
		let handle = tokio::task::spawn_blocking(move || {
			let r = mine(
				epoch,
				seed,
				pk,
				backends,
				&data,
				&stop2,
				&metrics,
				cheat,
				bar.as_ref(),
				stop_block,
			);
			if let Some(bar) = bar {
				bar.finish();
			}
			match &r {
				Ok(()) => tracing::info!(
					target: "gonka::worker",
					"epoch {epoch}: Sprint done: {} nonces, {} hits",
					metrics.sprint_nonces.get(),
					metrics.sprint_hits.get()
				),
				Err(e) => {
					tracing::error!(target: "gonka::worker", "epoch {epoch}: Sprint failed: {e}")
				},
			}
			r
		});
		self.mining = Some(MiningTask { epoch, stop, handle });
		Ok(())
	}

	fn start_commit(
		&mut self,
		client: &Arc<ChainClient>,
		epoch: u32,
		host: &AccountId,
		until: u32,
	) {
		let mining = self.mining.take_if(|t| t.epoch == epoch);
		let (client, data, key) = (client.clone(), self.data.clone(), self.key.pair().clone());
		let (host, metrics, lock) = (host.clone(), self.metrics.clone(), self.submit_lock.clone());
		let best = self.best_tx.subscribe();
		let cheat = self.config.cheat;
		let handle = tokio::spawn(async move {
			if let Some(task) = mining {
				task.stop.store(true, Relaxed);
				let _ = task.handle.await;
			}
			if *best.borrow() >= until {
				return;
			}
			// The attempt ends with the Commit window: a submission the node never reports on
			// does not hold the worker past it.
			let mut window = best.clone();
			let closed = async move {
				let _ = window.wait_for(|b| *b >= until).await;
			};
			let sent = Instant::now();
			let attempt = tokio::select! {
				r = commit(&client, &data, &key, epoch, &host, &lock, cheat) => r,
				() = closed => Err(DutyError::WindowClosed { phase: "Commit", block: until }),
			};
			match attempt {
				Ok(Some((root, count))) => {
					metrics.commit_latency.observe(sent.elapsed().as_secs_f64());
					metrics.last_commit_epoch.set(epoch as i64);
					metrics.last_commit_count.set(count as i64);
					let saved = data.state().update(|s| {
						s.epochs.entry(epoch).or_default().committed =
							Some((hex::encode(root), count))
					});
					if let Err(e) = saved {
						tracing::error!(target: "gonka::worker", "epoch {epoch}: recording the commitment: {e}");
					}
				},
				Ok(None) => {},
				Err(e) => tracing::warn!(
					target: "gonka::worker",
					"epoch {epoch}: commit not included yet: {e}; retrying at the next block"
				),
			}
		});
		self.commit_task = Some((epoch, handle));
	}

	async fn all_verdicts_committed(
		&self,
		client: &Arc<ChainClient>,
		epoch: u32,
		host: &AccountId,
		hash: Hash,
	) -> Result<bool, ChainError> {
		let duties = client.duties(epoch, host, Some(hash)).await?;
		let record = self.data.state().epoch(epoch);
		Ok(duties
			.iter()
			.all(|(h, _)| record.judgements.get(&h.to_ss58check()).is_some_and(|r| r.committed)))
	}

	async fn start_validation(
		&mut self,
		client: &Arc<ChainClient>,
		info: &EpochInfo<u32>,
		host: &AccountId,
		params: &pallet_sprint::SprintParams<Balance>,
		hash: Hash,
	) -> Result<(), ChainError> {
		let epoch = info.epoch;
		let (Some(seed), Some(sampling_seed)) = (
			client.epoch_seed(epoch, Some(hash)).await?,
			client.sampling_seed(epoch, Some(hash)).await?,
		) else {
			return Ok(());
		};
		let backend = match self.backends(&params.model) {
			Ok(b) => b[0].clone(),
			Err(e) => {
				tracing::error!(target: "gonka::worker", "cannot validate: {e}");
				return Ok(());
			},
		};
		let model = &params.model;
		let r_mid = match gonka_kernels::validation::r_mid(model.out_dim, model.r_target()) {
			Ok(r) => r,
			Err(e) => {
				tracing::error!(target: "gonka::worker", "cannot validate: r_mid of the model: {e}");
				return Ok(());
			},
		};
		let judging = Judging {
			seed,
			sampling_seed,
			validator: *AsRef::<[u8; 32]>::as_ref(host),
			sample_size: params.sample_size,
			tolerance: gonka_kernels::validation::tolerance_from_chain(params.hit_tolerance),
			r_mid,
			test: FraudTest::default(),
		};
		let ctx = ValidationCtx {
			client: client.clone(),
			data: self.data.clone(),
			metrics: self.metrics.clone(),
			key: self.key.pair().clone(),
			host: host.clone(),
			epoch,
			give_up_at: info.reveal_start.saturating_sub(GIVE_UP_BLOCKS),
			lazy: self.config.cheat == Some(Cheat::Lazy),
			exit_after_verdicts_sent: self.config.cheat == Some(Cheat::ExitAfterVerdictsSent),
			judging,
			backend,
			proof_client: self.proof_client.clone(),
			best: self.best_tx.subscribe(),
			submit_lock: self.submit_lock.clone(),
			at: hash,
		};
		let handle = tokio::spawn(async move {
			if let Err(e) = validate(ctx).await {
				tracing::warn!(target: "gonka::worker", "epoch {epoch}: validation interrupted: {e}");
			}
		});
		self.validation_task = Some((epoch, handle));
		Ok(())
	}
}

fn phase_code(phase: Phase) -> u64 {
	match phase {
		Phase::Sprint => 0,
		Phase::Commit => 1,
		Phase::Validation => 2,
		Phase::Settlement => 3,
		Phase::SeedGap => 4,
		Phase::Reveal => 5,
	}
}
