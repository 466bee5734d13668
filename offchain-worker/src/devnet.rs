//! `gonka-worker devnet`: a whole local network in one command.
//!
//! Starts `gonka-node --dev` (60-block epochs of 1 s blocks, the `tiny` model, PROTOCOL §2's dev
//! preset) and three workers on the CPU backend — the bootstrap hosts Alice, Bob and Charlie,
//! signing with the worker keys Dave, Eve and Ferdie, serving proofs on 127.0.0.1:8101–8103 as
//! the genesis registers them — each with its own data directory and log, and shows one live
//! view: epoch, phase, and per host nonces/s, hits, commitment, verdicts, weight and reward.
//! Ctrl-C stops the workers (they save their hits), then the node.

use std::{
	io::{IsTerminal, Write},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use crate::chain::AccountId;

/// One GNK in base units (9 decimals).
const GNK: u128 = 1_000_000_000;
use polkadot_sdk::sp_keyring::Sr25519Keyring;

use crate::{chain::ChainClient, metrics::parse_metric, validator::ProofClient};

#[derive(clap::Args, Debug)]
pub struct DevnetArgs {
	/// The collator binary (default: `gonka-node` next to this binary, as `scripts/build` puts it).
	#[arg(long, env = "GONKA_NODE_BIN")]
	pub node_bin: Option<PathBuf>,
	/// Where the node's and the workers' state and logs go (emptied at the start).
	#[arg(long, default_value = ".local/devnet")]
	pub dir: PathBuf,
	/// The node's RPC port.
	#[arg(long, default_value_t = 9944)]
	pub rpc_port: u16,
	/// Milliseconds per block.
	#[arg(long, default_value_t = 1000)]
	pub block_time_ms: u64,
	/// Threads of each worker's CPU backend.
	#[arg(long, default_value_t = 1)]
	pub worker_threads: usize,
	/// Stop by itself once this many epochs were settled (0: run until Ctrl-C).
	#[arg(long, default_value_t = 0)]
	pub epochs: u32,
}

/// The three dev hosts: `(name, host, worker key, proof server port)`, as the dev genesis has them.
pub fn dev_workers() -> [(&'static str, Sr25519Keyring, Sr25519Keyring, u16); 3] {
	[
		("alice", Sr25519Keyring::Alice, Sr25519Keyring::Dave, 8101),
		("bob", Sr25519Keyring::Bob, Sr25519Keyring::Eve, 8102),
		("charlie", Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie, 8103),
	]
}

/// A child process stopped with SIGINT (then killed) when dropped.
pub struct Proc {
	pub name: String,
	pub child: Child,
	pub log: PathBuf,
}

impl Proc {
	/// Sends SIGINT and waits up to `grace` for the process to exit, then kills it.
	pub fn stop(&mut self, grace: Duration) {
		if let Ok(Some(_)) = self.child.try_wait() {
			return;
		}
		// SAFETY: kill(2) with a pid we spawned; no memory is passed.
		unsafe {
			libc::kill(self.child.id() as i32, libc::SIGINT);
		}
		let until = Instant::now() + grace;
		while Instant::now() < until {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Proc {
	fn drop(&mut self) {
		self.stop(Duration::from_secs(10));
	}
}

/// The node binary: `--node-bin`, else `gonka-node` next to this executable.
pub fn find_node(arg: Option<&Path>) -> Result<PathBuf, String> {
	let path = match arg {
		Some(p) => p.to_path_buf(),
		None => std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("gonka-node"),
	};
	if path.is_file() {
		Ok(path)
	} else {
		Err(format!(
			"gonka-node not found at {}. Build it with `scripts/build` (about an hour on 2 cores the \
			 first time), or pass --node-bin / GONKA_NODE_BIN",
			path.display()
		))
	}
}

fn spawn(name: &str, cmd: &mut Command, log: PathBuf) -> Result<Proc, String> {
	let file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
	let err = file.try_clone().map_err(|e| e.to_string())?;
	let child = cmd
		.stdin(Stdio::null())
		.stdout(file)
		.stderr(err)
		.spawn()
		.map_err(|e| format!("cannot start {name}: {e}"))?;
	Ok(Proc { name: name.into(), child, log })
}

pub fn run(args: DevnetArgs) -> Result<(), String> {
	let node_bin = find_node(args.node_bin.as_deref())?;
	let worker_bin = std::env::current_exe().map_err(|e| e.to_string())?;
	let _ = std::fs::remove_dir_all(&args.dir);
	std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
	let dir = args.dir.canonicalize().map_err(|e| e.to_string())?;
	let rpc = format!("ws://127.0.0.1:{}", args.rpc_port);

	println!("gonka devnet in {} (logs there)", dir.display());
	let mut procs = vec![spawn(
		"node",
		Command::new(&node_bin)
			.args(["--dev", "--no-prometheus", "--no-telemetry", "--no-hardware-benchmarks"])
			.arg("--dev-block-time")
			.arg(args.block_time_ms.to_string())
			.arg("--rpc-port")
			.arg(args.rpc_port.to_string())
			.arg("--base-path")
			.arg(dir.join("node")),
		dir.join("node.log"),
	)?];
	for (name, _, worker, port) in dev_workers() {
		let mut cmd = Command::new(&worker_bin);
		// The dev chain's endpoints are on 127.0.0.1.
		cmd.args(["run", "--no-progress", "--allow-private-endpoints", "--node", &rpc])
			.arg("--listen")
			.arg(format!("127.0.0.1:{port}"))
			.arg("--metrics-listen")
			.arg(format!("127.0.0.1:{}", metrics_port(port)))
			.arg("--data-dir")
			.arg(dir.join(format!("worker-{name}")))
			.arg("--threads")
			.arg(args.worker_threads.to_string())
			.env("GONKA_WORKER_SURI", format!("//{worker:?}"))
			.env_remove("GONKA_WORKER_KEY_FILE");
		procs.push(spawn(
			&format!("worker-{name}"),
			&mut cmd,
			dir.join(format!("worker-{name}.log")),
		)?);
	}

	let rt = tokio::runtime::Builder::new_multi_thread()
		.enable_all()
		.build()
		.map_err(|e| e.to_string())?;
	let outcome = rt.block_on(async {
		tokio::select! {
			r = live_view(&rpc, args.epochs, &mut procs) => r,
			_ = crate::shutdown_signal() => Ok(()),
		}
	});
	println!("\nstopping the workers, then the node…");
	for p in procs.iter_mut().rev() {
		p.stop(Duration::from_secs(15));
	}
	println!("stopped; logs and state are in {}", dir.display());
	outcome
}

/// A dev worker's metrics port: its proof server's port + 1000 (8101 → 9101).
fn metrics_port(proof_port: u16) -> u16 {
	proof_port + 1000
}

struct Row {
	name: &'static str,
	host: AccountId,
	port: u16,
	start_balance: Option<u128>,
}

async fn live_view(rpc: &str, epochs: u32, procs: &mut [Proc]) -> Result<(), String> {
	let started = Instant::now();
	let client = loop {
		for p in procs.iter_mut() {
			if let Ok(Some(status)) = p.child.try_wait() {
				return Err(format!("{} exited ({status}); see {}", p.name, p.log.display()));
			}
		}
		match ChainClient::connect(rpc).await {
			Ok(c) => break c,
			Err(_) if started.elapsed() < Duration::from_secs(180) => {
				tokio::time::sleep(Duration::from_millis(500)).await
			},
			Err(e) => return Err(format!("the node's RPC did not come up: {e}")),
		}
	};
	let http = ProofClient::new(Duration::from_secs(2)).allow_private_addresses(true);
	let mut rows: Vec<Row> = dev_workers()
		.into_iter()
		.map(|(name, host, _, port)| Row {
			name,
			host: host.to_account_id(),
			port,
			start_balance: None,
		})
		.collect();
	let tty = std::io::stdout().is_terminal();
	let mut first_epoch = None;
	let mut last_line = String::new();
	loop {
		for p in procs.iter_mut() {
			if let Ok(Some(status)) = p.child.try_wait() {
				return Err(format!("{} exited ({status}); see {}", p.name, p.log.display()));
			}
		}
		let info = client.epoch_info(None).await.map_err(|e| format!("node: {e}"))?;
		let first = *first_epoch.get_or_insert(info.epoch);
		let mut out = format!(
			"epoch {}  {:?}  block #{}  (Sprint until #{}, Validation #{}–#{}, next epoch #{})\n",
			info.epoch,
			info.phase,
			info.block,
			info.commit_start,
			info.validation_start,
			info.settlement_start,
			info.next_epoch_start
		);
		out.push_str(&format!(
			"{:<8} {:>10} {:>7} {:>9} {:>9} {:>8} {:>16}\n",
			"host", "nonces/s", "hits", "commit", "verdicts", "weight", "reward (GNK)"
		));
		for row in rows.iter_mut() {
			let metrics = http
				.get_text(&format!("http://127.0.0.1:{}/metrics", metrics_port(row.port)))
				.await
				.ok();
			let m = |name: &str| {
				metrics.as_deref().and_then(|t| parse_metric(t, &format!("gonka_worker_{name}")))
			};
			let commit = client
				.commitment(info.epoch, &row.host, None)
				.await
				.ok()
				.flatten()
				.map(|c| c.count.to_string())
				.unwrap_or_else(|| "-".into());
			let weight = client.weight(info.epoch, &row.host, None).await.unwrap_or(0);
			let balance = client.account(&row.host).await.map(|a| a.data.free).unwrap_or(0);
			let start = *row.start_balance.get_or_insert(balance);
			let reward = balance.saturating_sub(start) as f64 / GNK as f64;
			out.push_str(&format!(
				"{:<8} {:>10} {:>7} {:>9} {:>9} {:>8} {:>16.3}\n",
				row.name,
				m("sprint_nonces_per_second").map_or("down".into(), |v| format!("{v:.0}")),
				m("sprint_hits").map_or("-".into(), |v| format!("{v:.0}")),
				commit,
				m("verdicts_total").map_or("-".into(), |v| format!("{v:.0}")),
				weight,
				reward
			));
		}
		if tty {
			println!("\x1b[2J\x1b[H{out}Ctrl-C stops the network.");
			let _ = std::io::stdout().flush();
		} else {
			// Not a terminal: one block per epoch and phase.
			let line = format!("{} {:?}", info.epoch, info.phase);
			if line != last_line {
				println!("{out}");
				last_line = line;
			}
		}
		if epochs > 0 && info.epoch >= first + epochs {
			return Ok(());
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}
