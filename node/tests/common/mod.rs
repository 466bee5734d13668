//! A `gonka-node --dev` child process on free ports, killed when dropped.

#![allow(dead_code)]

use gonka_worker::chain::ChainClient;
use std::{
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// How long the node may take to open its RPC port (it compiles the runtime WASM first).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

pub struct DevNode {
	child: Child,
	pub rpc_url: String,
	pub log_path: PathBuf,
	_base: TempDir,
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
	fn drop(&mut self) {
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.expect("bind to an ephemeral port")
		.local_addr()
		.unwrap()
		.port()
}

impl DevNode {
	/// Starts `gonka-node --dev` with 1 s blocks, RPC and p2p on free ports, its own base path.
	pub fn start() -> Self {
		let base =
			std::env::temp_dir().join(format!("gonka-e2e-{}-{}", std::process::id(), free_port()));
		std::fs::create_dir_all(&base).expect("create base path");
		let log_path = base.join("node.log");
		let log = std::fs::File::create(&log_path).expect("create node log");
		let rpc_port = free_port();
		let child = Command::new(env!("CARGO_BIN_EXE_gonka-node"))
			.args(["--dev", "--dev-block-time", "1000", "--no-prometheus", "--no-telemetry"])
			.args(["--no-hardware-benchmarks", "--no-mdns", "--rpc-port"])
			.arg(rpc_port.to_string())
			.arg("--port")
			.arg(free_port().to_string())
			.arg("--base-path")
			.arg(&base)
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("spawn gonka-node");
		Self {
			child,
			rpc_url: format!("ws://127.0.0.1:{rpc_port}"),
			log_path,
			_base: TempDir(base),
		}
	}

	/// Connects as soon as the RPC server answers.
	pub async fn connect(&self) -> Result<ChainClient, String> {
		let start = Instant::now();
		loop {
			match ChainClient::connect(&self.rpc_url).await {
				Ok(client) => return Ok(client),
				Err(e) if start.elapsed() > STARTUP_TIMEOUT => {
					return Err(format!("node RPC not up after {STARTUP_TIMEOUT:?}: {e}"))
				},
				Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
			}
		}
	}

	/// Waits until block `number` is finalized.
	pub async fn wait_finalized(&self, client: &ChainClient, number: u32) -> Result<(), String> {
		let start = Instant::now();
		loop {
			let finalized = client.finalized_number().await.map_err(|e| e.to_string())?;
			if finalized >= number {
				return Ok(());
			}
			if start.elapsed() > Duration::from_secs(60) {
				return Err(format!("block {number} not finalized after 60 s (at {finalized})"));
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// The last 60 lines of the node's log.
	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
		let lines: Vec<_> = log.lines().collect();
		lines[lines.len().saturating_sub(60)..].join("\n")
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}
