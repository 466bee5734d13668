//! Real processes for the network tests: `gonka-node --dev` and `gonka-worker run`, on free ports,
//! each logging to a file that a failing test prints.

#![allow(dead_code)]

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use gonka_worker::chain::ChainClient;

pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `gonka-node`, built next to this crate's binary by the workspace build.
pub fn node_bin() -> PathBuf {
	let path = Path::new(env!("CARGO_BIN_EXE_gonka-worker")).with_file_name("gonka-node");
	assert!(
		path.is_file(),
		"{} is missing: build the workspace with scripts/build (the e2e tier does)",
		path.display()
	);
	path
}

/// Ends a network scenario run within `budget` (`outcome` of `tokio::time::timeout`): panics
/// with the error, or with `what` and the budget when it ran out, and the tails of the node's
/// and every worker's log.
pub fn expect_scenario(
	what: &str,
	budget: Duration,
	outcome: Result<Result<(), String>, tokio::time::error::Elapsed>,
	node: &Proc,
	workers: &[Proc],
) {
	let logs = || {
		let mut s = format!("--- node ---\n{}\n", node.log_tail(30));
		for w in workers {
			s.push_str(&format!("--- {} ---\n{}\n", w.name, w.log_tail(40)));
		}
		s
	};
	match outcome {
		Ok(Ok(())) => {},
		Ok(Err(e)) => panic!("{e}\n{}", logs()),
		Err(_) => panic!("{what} did not finish in {budget:?}\n{}", logs()),
	}
}

/// A scratch directory removed at the end (kept when the test panics, for its logs).
pub struct Scratch(pub PathBuf);

impl Scratch {
	pub fn new(name: &str) -> Self {
		let dir = std::env::temp_dir().join(format!(
			"gonka-{name}-{}-{}",
			std::process::id(),
			free_port()
		));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).unwrap();
		Self(dir)
	}
}

impl Drop for Scratch {
	fn drop(&mut self) {
		if !std::thread::panicking() {
			let _ = std::fs::remove_dir_all(&self.0);
		}
	}
}

/// A child process with its log, killed when dropped.
pub struct Proc {
	pub name: String,
	pub child: Option<Child>,
	pub log: PathBuf,
	/// A worker's metrics port (`--metrics-listen`), as [`start_worker`] picked it.
	pub metrics_port: Option<u16>,
	cmd: Vec<String>,
	envs: Vec<(String, String)>,
}

impl Proc {
	pub fn spawn(
		name: &str,
		bin: &Path,
		args: &[String],
		envs: &[(&str, String)],
		log: PathBuf,
	) -> Self {
		let mut p = Self {
			name: name.into(),
			child: None,
			log,
			metrics_port: None,
			cmd: std::iter::once(bin.display().to_string()).chain(args.iter().cloned()).collect(),
			envs: envs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
		};
		p.start();
		p
	}

	/// (Re)starts the process with the same command line; the log is appended to.
	pub fn start(&mut self) {
		let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
		let mut cmd = Command::new(&self.cmd[0]);
		cmd.args(&self.cmd[1..])
			.envs(self.envs.iter().map(|(k, v)| (k, v)))
			.env_remove("GONKA_WORKER_KEY_FILE")
			.stdin(Stdio::null())
			.stdout(log.try_clone().unwrap())
			.stderr(log);
		self.child = Some(cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", self.name)));
	}

	/// SIGKILL: no chance to save anything.
	pub fn kill(&mut self) {
		if let Some(mut c) = self.child.take() {
			let _ = c.kill();
			let _ = c.wait();
		}
	}

	/// SIGINT, then SIGKILL after `grace`.
	pub fn interrupt(&mut self, grace: Duration) {
		if let Some(mut c) = self.child.take() {
			unsafe {
				libc::kill(c.id() as i32, libc::SIGINT);
			}
			let until = Instant::now() + grace;
			while Instant::now() < until {
				if let Ok(Some(_)) = c.try_wait() {
					return;
				}
				std::thread::sleep(Duration::from_millis(100));
			}
			let _ = c.kill();
			let _ = c.wait();
		}
	}

	/// Waits up to `within` for the process to exit: its exit code (`None`: a signal), or an
	/// error that says `what` did not happen, with the log's tail.
	pub async fn exit_code(&mut self, within: Duration, what: &str) -> Result<Option<i32>, String> {
		let start = Instant::now();
		loop {
			let child =
				self.child.as_mut().ok_or_else(|| format!("{} is not running", self.name))?;
			if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
				self.child = None;
				return Ok(status.code());
			}
			if start.elapsed() > within {
				return Err(format!("{what} within {within:?}:\n{}", self.log_tail(30)));
			}
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
	}

	pub fn log_tail(&self, lines: usize) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let all: Vec<&str> = text.lines().collect();
		all[all.len().saturating_sub(lines)..].join("\n")
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.kill();
	}
}

/// `gonka-node --dev` with 1 s blocks on free ports, its state in `base` (kept across restarts).
pub fn start_node(dir: &Path) -> (Proc, String) {
	start_node_with(dir, &[])
}

/// [`start_node`] with `extra` arguments.
pub fn start_node_with(dir: &Path, extra: &[&str]) -> (Proc, String) {
	let rpc_port = free_port();
	let args: Vec<String> = [
		"--dev",
		"--dev-block-time",
		"1000",
		"--no-prometheus",
		"--no-telemetry",
		"--no-hardware-benchmarks",
		"--no-mdns",
	]
	.iter()
	.map(|s| s.to_string())
	.chain([
		"--rpc-port".into(),
		rpc_port.to_string(),
		"--port".into(),
		free_port().to_string(),
		"--base-path".into(),
		dir.join("node").display().to_string(),
	])
	.chain(extra.iter().map(|s| s.to_string()))
	.collect();
	let node = Proc::spawn("node", &node_bin(), &args, &[], dir.join("node.log"));
	(node, format!("ws://127.0.0.1:{rpc_port}"))
}

/// A worker signing with `suri`, serving proofs on `port`, its data in `dir/name`.
pub fn start_worker(
	dir: &Path,
	name: &str,
	rpc: &str,
	suri: &str,
	port: u16,
	extra: &[&str],
) -> Proc {
	let metrics_port = free_port();
	let mut args: Vec<String> = vec![
		"run".into(),
		"--no-progress".into(),
		"--node".into(),
		rpc.into(),
		"--listen".into(),
		format!("127.0.0.1:{port}"),
		"--data-dir".into(),
		dir.join(name).display().to_string(),
		"--threads".into(),
		"1".into(),
		"--fetch-timeout-secs".into(),
		"3".into(),
		// The test chain's endpoints are on 127.0.0.1.
		"--allow-private-endpoints".into(),
		"--metrics-listen".into(),
		format!("127.0.0.1:{metrics_port}"),
	];
	args.extend(extra.iter().map(|s| s.to_string()));
	let mut p = Proc::spawn(
		name,
		Path::new(env!("CARGO_BIN_EXE_gonka-worker")),
		&args,
		&[("GONKA_WORKER_SURI", suri.to_string()), ("RUST_LOG", "info".into())],
		dir.join(format!("{name}.log")),
	);
	p.metrics_port = Some(metrics_port);
	p
}

/// Connects once the node's RPC answers.
pub async fn connect(rpc: &str, within: Duration) -> ChainClient {
	let start = Instant::now();
	loop {
		match ChainClient::connect(rpc).await {
			Ok(c) => return c,
			Err(e) if start.elapsed() > within => {
				panic!("node RPC {rpc} not up in {within:?}: {e}")
			},
			Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
		}
	}
}

/// Waits until the best block is at least `block`.
pub async fn wait_block(client: &ChainClient, block: u32, within: Duration) {
	let start = Instant::now();
	loop {
		let now = client.header(None).await.map(|h| h.number).unwrap_or(0);
		if now >= block {
			return;
		}
		assert!(start.elapsed() < within, "block #{block} not reached in {within:?} (at #{now})");
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
}

/// The events of block `at`, as the runtime this test was built with knows them.
pub async fn runtime_events(
	client: &ChainClient,
	at: gonka_worker::chain::Hash,
) -> Result<Vec<gonka_runtime::RuntimeEvent>, String> {
	client
		.events(at)
		.await
		.map_err(|e| e.to_string())?
		.into_iter()
		.map(|e| {
			e.decode_as::<gonka_runtime::RuntimeEvent>()
				.map_err(|d| format!("event {}::{}: {d}", e.pallet, e.name))
		})
		.collect()
}

/// Moves `host`'s endpoint to `http://127.0.0.1:{port}` (signed by the host account).
pub async fn serve_host_at(
	client: &ChainClient,
	host: &polkadot_sdk::sp_core::sr25519::Pair,
	port: u16,
) -> Result<(), String> {
	let call = gonka_runtime::RuntimeCall::Sprint(pallet_sprint::Call::update_host {
		endpoint: format!("http://127.0.0.1:{port}").into_bytes().try_into().unwrap(),
	});
	client
		.sign_and_submit(
			host,
			gonka_worker::chain::Call::encoded(&call),
			gonka_worker::chain::WaitFor::InBlock,
		)
		.await
		.map(|_| ())
		.map_err(|e| e.to_string())
}
