//! `gonka-worker`: the off-chain half of the protocol.
//!
//! * `run`: follow the chain, compute Sprints, serve proofs, validate peers (the service);
//! * `register`: register the host (sends `sprint.register_host`, signed by the host account);
//! * `key generate|inspect`: worker keys;
//! * `bench`: nonces/s and MFU of a model on a backend;
//! * `devnet`: a whole local network (dev node and three workers) with a live view.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use gonka_worker::{
	keys::{WorkerKey, HOST_SURI_ENV},
	server::ServerLimits,
	worker::{BackendKind, Cheat, WorkerConfig},
};

#[derive(Parser)]
#[command(name = "gonka-worker", version, about = "The gonka worker: Sprints, proofs, validation.")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Runs the worker: follows the chain, computes each epoch's Sprint, commits, serves proofs
	/// and validates the hosts whose committee it sits on.
	Run(RunArgs),
	/// Registers the host: sends sprint.register_host(endpoint, worker key, key proof), signed by the host
	/// account (its key from --host-key-file or GONKA_HOST_SURI), reserving the host bond.
	/// With --print-call --host ADDRESS it prints the call to sign in Polkadot.js apps instead.
	Register(RegisterArgs),
	/// Moves the host's endpoint (sprint.update_host), signed by the host account.
	UpdateEndpoint {
		#[command(flatten)]
		host: HostArgs,
		/// The new URL of the worker's proof server (`http(s)://host[:port]`).
		#[arg(long, env = "GONKA_WORKER_ENDPOINT")]
		public_endpoint: String,
	},
	/// Rotates the host's worker key to the key in --new-key-file (sprint.set_worker_key, with
	/// the new key's proof of possession), signed by the host account. Restart the worker with
	/// the new key and a new --data-dir afterwards.
	RotateKey {
		#[command(flatten)]
		host: HostArgs,
		/// The new worker key file (`gonka-worker key generate --file …`).
		#[arg(long)]
		new_key_file: PathBuf,
	},
	/// Leaves the host set (sprint.unregister_host), signed by the host account; the bond can
	/// be withdrawn from the next epoch.
	Unregister {
		#[command(flatten)]
		host: HostArgs,
	},
	/// Withdraws the bond of a host that unregistered in an earlier epoch (sprint.withdraw_bond).
	WithdrawBond {
		#[command(flatten)]
		host: HostArgs,
	},
	/// Worker keys (sr25519). Secrets never go on the command line: they live in a key file
	/// (mode 0600) or in the GONKA_WORKER_SURI environment variable.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Generates a completion once from a Hugging Face checkpoint directory (its chat template,
	/// greedy or sampled) and prints it as it comes; statistics go to stderr.
	Generate(gonka_worker::inference::GenerateArgs),
	/// Serves the OpenAI-compatible inference API (`/v1/chat/completions`, `/v1/completions`,
	/// `/v1/models`) of a Hugging Face checkpoint directory, alone: no chain, no Sprint.
	Serve(gonka_worker::inference::ServeArgs),
	/// Measures nonces/s (and MFU, given the device's peak) of a model on a backend.
	Bench(gonka_worker::bench::BenchArgs),
	/// Runs a local network: `gonka-node --dev` and three CPU workers (Alice, Bob and Charlie
	/// with the worker keys Dave, Eve and Ferdie), with one live view. Ctrl-C stops everything.
	Devnet(gonka_worker::devnet::DevnetArgs),
}

#[derive(Args)]
struct NodeArgs {
	/// The node's WebSocket RPC.
	#[arg(long = "node", env = "GONKA_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
}

#[derive(Args)]
struct RunArgs {
	#[command(flatten)]
	node: NodeArgs,
	/// The worker key file (default: the secret URI in GONKA_WORKER_SURI).
	#[arg(long, env = "GONKA_WORKER_KEY_FILE")]
	key_file: Option<PathBuf>,
	/// A TOML file of these settings (keys are the long flags: `rate-limit = 20`); the command
	/// line and the environment win over it.
	#[arg(long, env = "GONKA_WORKER_CONFIG")]
	config: Option<PathBuf>,
	/// Where the proof server listens.
	#[arg(long, env = "GONKA_WORKER_LISTEN", default_value = "0.0.0.0:8101")]
	listen: SocketAddr,
	/// Where `/metrics` (Prometheus) and `/health` are served; keep it private (the default is
	/// localhost only).
	#[arg(long, env = "GONKA_WORKER_METRICS_LISTEN", default_value = "127.0.0.1:9616")]
	metrics_listen: SocketAddr,
	/// Serve no metrics.
	#[arg(long, env = "GONKA_WORKER_NO_METRICS")]
	no_metrics: bool,
	/// The URL peers reach this worker at (what `register` puts on chain); shown in /health.
	#[arg(long, env = "GONKA_WORKER_ENDPOINT")]
	public_endpoint: Option<String>,
	/// The Sprint's backend.
	#[arg(long, env = "GONKA_WORKER_BACKEND", value_enum, default_value = "cpu")]
	backend: BackendKind,
	/// Devices, comma-separated: `cpu` for the cpu backend; `cuda:0,cuda:1` (or `auto`) for torch.
	#[arg(long, env = "GONKA_WORKER_DEVICES", value_delimiter = ',', default_value = "cpu")]
	devices: Vec<String>,
	/// Threads of the cpu backend (0: one per core).
	#[arg(long, env = "GONKA_WORKER_THREADS", default_value_t = 0)]
	threads: usize,
	/// The data directory: hits, commitments and what was sent on chain (survives restarts).
	#[arg(long, env = "GONKA_WORKER_DATA_DIR", default_value = "gonka-worker-data")]
	data_dir: PathBuf,
	/// Blocks before the Commit phase at which the Sprint stops, to commit in time.
	#[arg(long, env = "GONKA_WORKER_COMMIT_MARGIN_BLOCKS", default_value_t = 1)]
	commit_margin_blocks: u32,
	/// Time limit of one proof fetch from a peer, in seconds.
	#[arg(long, env = "GONKA_WORKER_FETCH_TIMEOUT_SECS", default_value_t = 10)]
	fetch_timeout_secs: u64,
	/// Proof requests per second each client (an IPv4 address or an IPv6 /64) may make; more
	/// than 0 and at most 10000.
	#[arg(long, env = "GONKA_WORKER_RATE_LIMIT", default_value_t = 20.0)]
	rate_limit: f64,
	/// Proof requests a client may make in a burst (1 to 100000).
	#[arg(long, env = "GONKA_WORKER_RATE_BURST", default_value_t = 40.0)]
	rate_burst: f64,
	/// Seconds a connection to the proof server may take to send a request's head (or sit idle
	/// between requests) before it is closed.
	#[arg(long, env = "GONKA_WORKER_HEADER_TIMEOUT_SECS", default_value_t = 5)]
	header_timeout_secs: u64,
	/// Connections the proof server keeps open at once.
	#[arg(long, env = "GONKA_WORKER_MAX_CONNECTIONS", default_value_t = 512)]
	max_connections: usize,
	/// Connections one client (an IPv4 address or an IPv6 /64) may keep open at once.
	#[arg(long, env = "GONKA_WORKER_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 16)]
	max_connections_per_client: usize,
	/// Seconds without a new best block after which the node connection counts as stalled and
	/// is made again (a half-open connection, a stuck node).
	#[arg(long, env = "GONKA_WORKER_STALL_TIMEOUT_SECS", default_value_t = 60)]
	stall_timeout_secs: u64,
	/// Seconds start-up waits for the node to answer before the worker exits with the reason.
	#[arg(long, env = "GONKA_WORKER_STARTUP_TIMEOUT_SECS", default_value_t = 120)]
	startup_timeout_secs: u64,
	/// No live progress bar (logs only).
	#[arg(long, env = "GONKA_WORKER_NO_PROGRESS")]
	no_progress: bool,
	/// DEVELOPMENT NETWORKS ONLY: also fetch proofs from loopback, private, link-local and
	/// multicast addresses. Without it the validator refuses them (PROTOCOL §1), so a host
	/// cannot point the committee at internal services.
	#[arg(long, env = "GONKA_WORKER_ALLOW_PRIVATE_ENDPOINTS")]
	allow_private_endpoints: bool,
	/// PEM file of CA certificates to trust for `https://` peers besides the webpki roots (a
	/// test network's own CA).
	#[arg(long, env = "GONKA_WORKER_EXTRA_CA_FILE")]
	extra_ca_file: Option<PathBuf>,
	/// A Hugging Face checkpoint directory to serve through the OpenAI-compatible API beside the
	/// Sprint (see `serve`). Without it the worker serves no inference.
	#[arg(long, env = "GONKA_WORKER_MODEL")]
	model: Option<PathBuf>,
	/// Where the inference API listens (with --model).
	#[arg(long, env = "GONKA_WORKER_API_LISTEN", default_value = "127.0.0.1:8000")]
	api_listen: SocketAddr,
	#[command(flatten)]
	api: gonka_worker::inference::ApiArgs,
	/// FOR NETWORK TESTS ONLY: commit N made-up hits instead of computing. The host is slashed.
	#[arg(long, hide = true)]
	cheat_made_up_hits: Option<u64>,
	/// FOR NETWORK TESTS ONLY: commit near-misses (distance below r_target + 0.01) as hits.
	#[arg(long, hide = true)]
	cheat_near_misses: bool,
	/// FOR NETWORK TESTS ONLY: commit every hit twice.
	#[arg(long, hide = true)]
	cheat_duplicate_hits: bool,
	/// FOR NETWORK TESTS ONLY: validate lazily (vote Valid without checking, guessed check
	/// bits). The validator is found lazy and loses its seats' share of the reward.
	#[arg(long, hide = true)]
	cheat_lazy: bool,
	/// FOR CRASH TESTS ONLY: exit (code 3) right after sending the commitment, before it is
	/// included.
	#[arg(long, hide = true)]
	test_exit_after_commit_sent: bool,
	/// FOR CRASH TESTS ONLY: exit (code 3) right after sending the first verdict commitments,
	/// before they are included.
	#[arg(long, hide = true)]
	test_exit_after_verdicts_sent: bool,
}

/// Who signs a host's call: the host account's key, or nobody (--print-call: the call data is
/// printed for the host to sign in Polkadot.js apps).
#[derive(Args)]
struct HostArgs {
	#[command(flatten)]
	node: NodeArgs,
	/// The host account's key file (default: the secret URI in GONKA_HOST_SURI).
	#[arg(long, env = "GONKA_HOST_KEY_FILE")]
	host_key_file: Option<PathBuf>,
	/// Print the call data instead of sending it, to sign and submit in Polkadot.js apps
	/// (Developer → Extrinsics → Decode); needs no secret, only --host.
	#[arg(long)]
	print_call: bool,
	/// The host account (SS58), with --print-call.
	#[arg(long, requires = "print_call")]
	host: Option<String>,
}

#[derive(Args)]
struct RegisterArgs {
	#[command(flatten)]
	host: HostArgs,
	/// The worker key file whose public key is registered (default: GONKA_WORKER_SURI).
	#[arg(long, env = "GONKA_WORKER_KEY_FILE")]
	key_file: Option<PathBuf>,
	/// The URL peers reach the worker's proof server at (`http://host:port`).
	#[arg(long, env = "GONKA_WORKER_ENDPOINT")]
	public_endpoint: String,
}

#[derive(Subcommand)]
enum KeyCommand {
	/// Generates a new worker key from a fresh 12-word phrase into FILE (never overwritten).
	Generate {
		/// Where to write the key file.
		#[arg(long)]
		file: PathBuf,
	},
	/// Prints the address and public key of the worker key (from --key-file or
	/// GONKA_WORKER_SURI), e.g. to pass to `sprint.register_host`.
	Inspect {
		/// The key file (default: the secret URI in GONKA_WORKER_SURI).
		#[arg(long, env = "GONKA_WORKER_KEY_FILE")]
		key_file: Option<PathBuf>,
	},
	/// Prints the worker key's `key_proof` for a host account, to pass to
	/// `sprint.register_host` or `sprint.set_worker_key` from Polkadot.js apps: the key's
	/// signature over ("gonka/worker-key" ‖ host ‖ genesis hash).
	Proof {
		/// The key file (default: the secret URI in GONKA_WORKER_SURI).
		#[arg(long, env = "GONKA_WORKER_KEY_FILE")]
		key_file: Option<PathBuf>,
		/// The host account (SS58) that will sign `register_host` or `set_worker_key`.
		#[arg(long)]
		host: String,
		/// The chain's genesis hash (0x-hex); read from --node when not given.
		#[arg(long)]
		genesis_hash: Option<String>,
		#[command(flatten)]
		node: NodeArgs,
	},
}

fn init_logs() {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	use std::io::IsTerminal;
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_ansi(std::io::stderr().is_terminal())
		.with_writer(std::io::stderr)
		.try_init();
}

fn main() -> ExitCode {
	let cli = match parse_cli(std::env::args_os().collect()) {
		Ok(cli) => cli,
		Err(CliError::Clap(e)) => e.exit(),
		Err(CliError::Config(e)) => {
			eprintln!("error: {e}");
			return ExitCode::from(2);
		},
	};
	let result: Result<(), String> = match cli.command {
		Command::Key(KeyCommand::Generate { file }) => WorkerKey::generate(&file)
			.map(|key| {
				println!(
					"Generated worker key into {} (mode 0600; keep it secret)",
					file.display()
				);
				print_key(&key);
			})
			.map_err(|e| e.to_string()),
		Command::Key(KeyCommand::Inspect { key_file }) => WorkerKey::load(key_file.as_deref())
			.map(|key| print_key(&key))
			.map_err(|e| e.to_string()),
		Command::Key(KeyCommand::Proof { key_file, host, genesis_hash, node }) => {
			key_proof(key_file, &host, genesis_hash, node)
		},
		Command::Run(args) => {
			init_logs();
			run(args)
		},
		Command::Register(args) => {
			init_logs();
			register(args)
		},
		Command::UpdateEndpoint { host, public_endpoint } => {
			init_logs();
			check_endpoint(&public_endpoint).and_then(|()| {
				host_call(
					host,
					"update_host",
					|_, _| {
						Ok(gonka_worker::chain::call::sprint::update_host(
							public_endpoint.into_bytes(),
						))
					},
					|_| (),
				)
			})
		},
		Command::RotateKey { host, new_key_file } => {
			init_logs();
			WorkerKey::from_file(&new_key_file)
				.map_err(|e| format!("--new-key-file: {e}"))
				.and_then(|key| {
					host_call(
						host,
						"set_worker_key",
						move |host, genesis| {
							Ok(gonka_worker::chain::Call::new(
								"Sprint",
								"set_worker_key",
								(
									gonka_worker::chain::AccountId::from(
										polkadot_sdk::sp_core::Pair::public(key.pair()),
									),
									key.key_proof(host, genesis),
								),
							))
						},
						|_| (),
					)
				})
		},
		Command::Unregister { host } => {
			init_logs();
			host_call(
				host,
				"unregister_host",
				|_, _| Ok(gonka_worker::chain::Call::new("Sprint", "unregister_host", ())),
				|_| (),
			)
		},
		Command::WithdrawBond { host } => {
			init_logs();
			host_call(
				host,
				"withdraw_bond",
				|_, _| Ok(gonka_worker::chain::Call::new("Sprint", "withdraw_bond", ())),
				|_| (),
			)
		},
		Command::Bench(args) => gonka_worker::bench::run(args),
		Command::Generate(args) => gonka_worker::inference::generate(args),
		Command::Serve(args) => {
			init_logs();
			gonka_worker::inference::serve(args)
		},
		Command::Devnet(args) => {
			init_logs();
			gonka_worker::devnet::run(args)
		},
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("gonka-worker: {e}");
			ExitCode::FAILURE
		},
	}
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
	tokio::runtime::Builder::new_multi_thread()
		.enable_all()
		.build()
		.map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn run(args: RunArgs) -> Result<(), String> {
	if let Some(file) = &args.config {
		tracing::info!(target: "gonka::worker", "settings from {} (the command line and the environment win over it)", file.display());
	}
	let config = WorkerConfig {
		node_url: args.node.node_url,
		listen: args.listen,
		metrics_listen: (!args.no_metrics).then_some(args.metrics_listen),
		backend: args.backend,
		devices: args.devices,
		threads: args.threads,
		data_dir: args.data_dir,
		commit_margin: args.commit_margin_blocks,
		fetch_timeout: Duration::from_secs(args.fetch_timeout_secs.max(1)),
		server_limits: ServerLimits {
			rate_per_sec: args.rate_limit,
			burst: args.rate_burst,
			header_timeout: Duration::from_secs(args.header_timeout_secs),
			max_connections: args.max_connections,
			max_connections_per_client: args.max_connections_per_client,
			..Default::default()
		},
		progress: !args.no_progress,
		allow_private_endpoints: args.allow_private_endpoints,
		extra_roots: match &args.extra_ca_file {
			Some(path) => gonka_worker::validator::read_ca_file(path)?,
			None => Vec::new(),
		},
		stall_timeout: Duration::from_secs(args.stall_timeout_secs.max(1)),
		startup_timeout: Duration::from_secs(args.startup_timeout_secs),
		api_metrics: None,
		cheat: match (
			args.cheat_made_up_hits,
			args.cheat_near_misses,
			args.cheat_duplicate_hits,
			args.cheat_lazy,
			args.test_exit_after_commit_sent,
			args.test_exit_after_verdicts_sent,
		) {
			(Some(n), false, false, false, false, false) => Some(Cheat::MadeUpHits(n)),
			(None, true, false, false, false, false) => Some(Cheat::NearMisses),
			(None, false, true, false, false, false) => Some(Cheat::DuplicateHits),
			(None, false, false, true, false, false) => Some(Cheat::Lazy),
			(None, false, false, false, true, false) => Some(Cheat::ExitAfterCommitSent),
			(None, false, false, false, false, true) => Some(Cheat::ExitAfterVerdictsSent),
			(None, false, false, false, false, false) => None,
			_ => return Err("at most one --cheat-… or --test-… flag".into()),
		},
	};
	// Settings first: a bad one stops the worker here, before anything is read or connected.
	config.server_limits.validate().map_err(|e| e.to_string())?;
	let key = WorkerKey::load(args.key_file.as_deref()).map_err(|e| e.to_string())?;
	if let Some(endpoint) = &args.public_endpoint {
		tracing::info!(target: "gonka::worker", "public endpoint {endpoint}");
	}
	if args.allow_private_endpoints {
		tracing::warn!(
			target: "gonka::worker",
			"--allow-private-endpoints: fetching from private and loopback addresses; never \
			 use this on a live network"
		);
	}
	// The inference API: the model is loaded and checked before anything else starts.
	let api = args.model.as_deref().map(|dir| args.api.prepare(dir)).transpose()?;
	let config = WorkerConfig { api_metrics: api.as_ref().map(|a| a.metrics.clone()), ..config };
	runtime()?.block_on(async move {
		let api = match api {
			Some(state) => {
				let listener = gonka_worker::api::bind(args.api_listen).await?;
				let addr = listener.local_addr().map_err(|e| e.to_string())?;
				tracing::info!(target: "gonka::api", "serving the OpenAI-compatible API on http://{addr}/v1");
				Some(tokio::spawn(gonka_worker::api::serve(
					listener,
					state,
					gonka_worker::api::default_limits(),
					gonka_worker::shutdown_signal(),
				)))
			},
			None => None,
		};
		let worker = gonka_worker::worker::run(config, key, gonka_worker::shutdown_signal())
			.await
			.map_err(|e| e.to_string());
		if let Some(mut api) = api {
			// On Ctrl-C or SIGTERM the API drains too (within its grace); when the worker
			// stopped on an error, the API stops with it.
			let wait = if worker.is_ok() { Duration::from_secs(15) } else { Duration::ZERO };
			match tokio::time::timeout(wait, &mut api).await {
				Ok(Ok(Err(e))) => tracing::error!(target: "gonka::api", "inference API: {e}"),
				Ok(Err(e)) => tracing::error!(target: "gonka::api", "inference API task: {e}"),
				Ok(Ok(Ok(()))) => {},
				Err(_) => api.abort(),
			}
		}
		worker
	})
}

/// Why the command line was refused: clap's own errors (and `--help`, `--version`), or a config
/// file's.
enum CliError {
	Clap(clap::Error),
	Config(String),
}

/// The command line, with `run --config FILE`'s settings added where the command line and the
/// environment left a default.
fn parse_cli(mut argv: Vec<std::ffi::OsString>) -> Result<Cli, CliError> {
	let matches = Cli::command().try_get_matches_from(&argv).map_err(CliError::Clap)?;
	if let Some(("run", run)) = matches.subcommand() {
		if let Some(file) = run.get_one::<PathBuf>("config") {
			let extra = gonka_worker::config::flags_from_file(&Cli::command(), "run", run, file)
				.map_err(|e| CliError::Config(e.to_string()))?;
			if !extra.is_empty() {
				argv.extend(extra);
				let matches = Cli::command().try_get_matches_from(&argv).map_err(CliError::Clap)?;
				return Cli::from_arg_matches(&matches).map_err(CliError::Clap);
			}
		}
	}
	Cli::from_arg_matches(&matches).map_err(CliError::Clap)
}

fn check_endpoint(endpoint: &str) -> Result<(), String> {
	gonka_primitives::parse_endpoint(endpoint.as_bytes()).map(|_| ()).map_err(|e| {
		format!("--public-endpoint {endpoint:?} would be refused on chain: {}", e.describe())
	})
}

/// Sends the call `make` builds for the host (signed with its key) and then calls `done`, or
/// prints its call data with --print-call. `make` gets the host account and the genesis hash.
fn host_call(
	args: HostArgs,
	what: &str,
	make: impl FnOnce(
		&gonka_worker::chain::AccountId,
		&[u8],
	) -> Result<gonka_worker::chain::Call, String>,
	done: impl FnOnce(&gonka_worker::chain::AccountId),
) -> Result<(), String> {
	use gonka_worker::chain::{AccountId, ChainClient, WaitFor};
	use polkadot_sdk::sp_core::{crypto::Ss58Codec, Pair};
	let signer = if args.print_call {
		None
	} else {
		Some(WorkerKey::load_from(args.host_key_file.as_deref(), HOST_SURI_ENV).map_err(|e| {
			format!("host account key: {e} (or print the call with --print-call --host ADDRESS)")
		})?)
	};
	let host: AccountId = match (&signer, &args.host) {
		(Some(key), _) => key.pair().public().into(),
		(None, Some(address)) => AccountId::from_ss58check(address)
			.map_err(|e| format!("--host {address:?} is not an SS58 address: {e:?}"))?,
		(None, None) => return Err("--print-call needs --host ADDRESS (the host account)".into()),
	};
	runtime()?.block_on(async move {
		let client = ChainClient::connect(&args.node.node_url).await.map_err(|e| e.to_string())?;
		let call = make(&host, client.genesis_hash().as_ref())?;
		let Some(key) = signer else {
			let data = client.call_data(&call).await.map_err(|e| e.to_string())?;
			println!("0x{}", hex::encode(data));
			println!(
				"Sign and submit it as {} in Polkadot.js apps: Developer → Extrinsics → Decode, paste \
				 the call data above, then Submit Transaction.",
				host.to_ss58check()
			);
			return Ok(());
		};
		let included = client
			.sign_and_submit(key.pair(), call, WaitFor::InBlock)
			.await
			.map_err(|e| format!("{what} failed: {e}"))?;
		let events: Vec<String> = included
			.events
			.iter()
			.filter(|e| e.pallet == "Sprint")
			.map(|e| format!("{}::{}", e.pallet, e.name))
			.collect();
		println!("{what}: included in block {:?} ({}).", included.block_hash, events.join(", "));
		done(&host);
		Ok(())
	})
}

fn register(args: RegisterArgs) -> Result<(), String> {
	use polkadot_sdk::sp_core::{crypto::Ss58Codec, Pair};
	let worker =
		WorkerKey::load(args.key_file.as_deref()).map_err(|e| format!("worker key: {e}"))?;
	check_endpoint(&args.public_endpoint)?;
	let endpoint = args.public_endpoint.into_bytes();
	let worker_key: gonka_worker::chain::AccountId = worker.pair().public().into();
	let key = worker_key.clone();
	host_call(
		args.host,
		"register_host",
		move |host, genesis| {
			let key_proof = worker.key_proof(host, genesis);
			Ok(gonka_worker::chain::call::sprint::register_host(endpoint, key, key_proof))
		},
		|host| {
			println!(
				"Registered host {} with worker key {}.",
				host.to_ss58check(),
				worker_key.to_ss58check()
			);
			println!("Start the worker with `gonka-worker run`; it joins the next epoch's Sprint.");
		},
	)
}

fn print_key(key: &WorkerKey) {
	println!("  address (SS58): {}", key.address());
	println!("  public key:     {}", key.public_hex());
	println!(
		"Register it with `gonka-worker register`, or print its proof for your host account with \
		 `gonka-worker key proof --host ADDRESS` and call sprint.register_host(endpoint, \
		 worker_key, key_proof)."
	);
}

fn key_proof(
	key_file: Option<PathBuf>,
	host: &str,
	genesis_hash: Option<String>,
	node: NodeArgs,
) -> Result<(), String> {
	use polkadot_sdk::sp_core::crypto::Ss58Codec;
	let key = WorkerKey::load(key_file.as_deref()).map_err(|e| e.to_string())?;
	let host = gonka_worker::chain::AccountId::from_ss58check(host)
		.map_err(|e| format!("--host {host:?} is not an SS58 address: {e:?}"))?;
	let genesis: Vec<u8> = match genesis_hash {
		Some(h) => {
			let bytes = hex::decode(h.trim_start_matches("0x"))
				.map_err(|e| format!("--genesis-hash {h:?} is not hex: {e}"))?;
			if bytes.len() != 32 {
				return Err(format!("--genesis-hash {h:?} must be 32 bytes, got {}", bytes.len()));
			}
			bytes
		},
		None => runtime()?.block_on(async {
			let client = gonka_worker::chain::ChainClient::connect(&node.node_url)
				.await
				.map_err(|e| format!("reading the genesis hash from {}: {e}", node.node_url))?;
			Ok::<_, String>(client.genesis_hash().as_ref().to_vec())
		})?,
	};
	let polkadot_sdk::sp_runtime::MultiSignature::Sr25519(proof) = key.key_proof(&host, &genesis)
	else {
		unreachable!("worker keys are sr25519")
	};
	println!("  worker key: {}", key.address());
	println!("  host:       {}", host.to_ss58check());
	println!("  genesis:    0x{}", hex::encode(&genesis));
	println!("  key_proof:  {{ Sr25519: 0x{} }}", hex::encode(proof.0));
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Every setting of `run` can come from the environment (systemd's `EnvironmentFile`,
	/// containers), except the test-only ones.
	#[test]
	fn every_run_flag_has_an_environment_variable() {
		let cmd = Cli::command();
		let run = cmd.find_subcommand("run").unwrap();
		let mut n = 0;
		for arg in run.get_arguments().filter(|a| !a.is_hide_set() && a.get_long().is_some()) {
			let long = arg.get_long().unwrap();
			if long == "help" {
				continue;
			}
			let env = arg.get_env().unwrap_or_else(|| panic!("--{long} has no env fallback"));
			let env = env.to_string_lossy();
			assert!(env.starts_with("GONKA_"), "--{long}: {env}");
			n += 1;
		}
		assert!(n >= 20, "{n}");
	}

	/// README's example config file is one `run` accepts.
	#[test]
	fn the_readme_config_example_parses() {
		let readme = include_str!("../../README.md");
		let start =
			readme.find("```toml\n# /etc/gonka/worker.toml").expect("README has the example");
		let body = &readme[start + "```toml\n".len()..];
		let body = &body[..body.find("```").unwrap()];
		let path =
			std::env::temp_dir().join(format!("gonka-readme-config-{}.toml", std::process::id()));
		std::fs::write(&path, body).unwrap();
		let argv: Vec<std::ffi::OsString> =
			vec!["gonka-worker".into(), "run".into(), "--config".into(), path.clone().into()];
		let cli = parse_cli(argv);
		let _ = std::fs::remove_file(&path);
		let Ok(Cli { command: Command::Run(args) }) = cli else { panic!("not run") };
		assert_eq!(args.devices, ["cuda:0", "cuda:1"]);
		assert_eq!(args.public_endpoint.as_deref(), Some("https://my-host.example:8443"));
		assert!(args.no_progress);
	}

	#[test]
	fn run_reads_a_config_file_and_the_command_line_wins() {
		let path =
			std::env::temp_dir().join(format!("gonka-run-config-{}.toml", std::process::id()));
		std::fs::write(
			&path,
			"listen = \"127.0.0.1:18101\"\nrate-limit = 7.5\ndevices = [\"cpu\"]\n\
			 no_progress = true\nmax-connections = 99\n",
		)
		.unwrap();
		let argv = |extra: &[&str]| {
			let mut v: Vec<std::ffi::OsString> =
				["gonka-worker", "run", "--config"].iter().map(Into::into).collect();
			v.push(path.clone().into());
			v.extend(extra.iter().map(Into::into));
			v
		};
		let Ok(Cli { command: Command::Run(args) }) = parse_cli(argv(&["--max-connections", "12"]))
		else {
			panic!("not run")
		};
		assert_eq!(args.listen, "127.0.0.1:18101".parse().unwrap());
		assert_eq!(args.rate_limit, 7.5);
		assert_eq!(args.devices, ["cpu"]);
		assert!(args.no_progress);
		assert_eq!(args.max_connections, 12);
		std::fs::write(&path, "rate_limt = 1\n").unwrap();
		let Err(CliError::Config(e)) = parse_cli(argv(&[])) else { panic!("accepted") };
		assert!(e.contains("unknown setting `rate_limt`"), "{e}");
		let _ = std::fs::remove_file(&path);
	}
}
