//! The worker against a dying link and a wrong disk, with the real `gonka-node --dev` (1 s
//! blocks) and the real `gonka-worker run`:
//! * its node connection goes half-open (a TCP proxy stops forwarding on the open connection but
//!   keeps it open): no new block within `--stall-timeout-secs`, so the worker drops the
//!   connection, reconnects (a new connection through the proxy, which forwards) and follows
//!   the chain again;
//! * a data directory bound to another chain is refused at start-up: exit 1 with the reason;
//! * a worker key no host registered is refused at start-up: exit 1 with the reason;
//! * a host's whole life through the CLI: `register`, `update-endpoint` (also as call data to
//!   sign in Polkadot.js apps), `rotate-key`, `unregister`, and `withdraw-bond` refused with the
//!   pallet's error until the next epoch.

mod common;

use std::{
	net::SocketAddr,
	sync::{
		atomic::{AtomicU64, Ordering::SeqCst},
		Arc,
	},
	time::{Duration, Instant},
};

use common::*;
use gonka_worker::{metrics::parse_metric, validator::ProofClient};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

/// A TCP proxy whose open connections can be frozen: they stay open and stop forwarding.
/// Connections made after a freeze are forwarded.
struct Proxy {
	addr: SocketAddr,
	generation: Arc<AtomicU64>,
	frozen_up_to: Arc<AtomicU64>,
}

impl Proxy {
	async fn start(to: SocketAddr) -> Self {
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		let generation = Arc::new(AtomicU64::new(1));
		let frozen_up_to = Arc::new(AtomicU64::new(0));
		let (g, f) = (generation.clone(), frozen_up_to.clone());
		tokio::spawn(async move {
			loop {
				let Ok((client, _)) = listener.accept().await else { return };
				let Ok(server) = TcpStream::connect(to).await else { continue };
				let mine = g.load(SeqCst);
				let (cr, cw) = client.into_split();
				let (sr, sw) = server.into_split();
				tokio::spawn(pipe(cr, sw, mine, f.clone()));
				tokio::spawn(pipe(sr, cw, mine, f.clone()));
			}
		});
		Self { addr, generation, frozen_up_to }
	}

	/// Freezes every connection open now.
	fn freeze(&self) {
		self.frozen_up_to.store(self.generation.fetch_add(1, SeqCst), SeqCst);
	}
}

async fn pipe(
	mut from: tokio::net::tcp::OwnedReadHalf,
	mut to: tokio::net::tcp::OwnedWriteHalf,
	generation: u64,
	frozen_up_to: Arc<AtomicU64>,
) {
	let mut buf = vec![0u8; 64 * 1024];
	loop {
		let n = match from.read(&mut buf).await {
			Ok(0) | Err(_) => return,
			Ok(n) => n,
		};
		while generation <= frozen_up_to.load(SeqCst) {
			// Half-open: hold what came, send nothing, close nothing.
			tokio::time::sleep(Duration::from_secs(3600)).await;
		}
		if to.write_all(&buf[..n]).await.is_err() {
			return;
		}
	}
}

/// POSTs a JSON body over plain HTTP/1.1 and parses the JSON answer (status 200 required).
async fn post_json(port: u16, path: &str, body: &str) -> Result<serde_json::Value, String> {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut s =
		tokio::net::TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
	let request = format!(
		"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	s.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
	let mut raw = Vec::new();
	tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
		.await
		.map_err(|_| format!("POST {path}: no answer within 30 s"))?
		.map_err(|e| e.to_string())?;
	let text = String::from_utf8_lossy(&raw);
	let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("POST {path}: {text}"))?;
	if !head.starts_with("HTTP/1.1 200") {
		return Err(format!("POST {path}: {head}\n{body}"));
	}
	serde_json::from_str(body).map_err(|e| format!("POST {path}: {e}: {body}"))
}

async fn metric(client: &ProofClient, port: u16, name: &str) -> Option<f64> {
	let text = client.get_text(&format!("http://127.0.0.1:{port}/metrics")).await.ok()?;
	parse_metric(&text, name)
}

/// Waits until `check` holds, or fails with `what` after `within`.
async fn until<F: std::future::Future<Output = bool>>(
	what: &str,
	within: Duration,
	mut check: impl FnMut() -> F,
) -> Result<(), String> {
	let start = Instant::now();
	while !check().await {
		if start.elapsed() > within {
			return Err(format!("{what}: not within {within:?}"));
		}
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_link_is_noticed_and_a_wrong_disk_or_key_is_refused_at_start_up() {
	let dir = Scratch::new("liveness");
	let (node, rpc) = start_node(&dir.0);
	let mut workers = Vec::new();
	let budget = Duration::from_secs(300);
	let outcome = tokio::time::timeout(budget, scenario(&dir.0, &rpc, &mut workers)).await;
	expect_scenario("the liveness scenario", budget, outcome, &node, &workers);
}

async fn scenario(dir: &std::path::Path, rpc: &str, workers: &mut Vec<Proc>) -> Result<(), String> {
	let client = connect(rpc, Duration::from_secs(120)).await;
	wait_block(&client, 2, Duration::from_secs(60)).await;
	let node_addr: SocketAddr = rpc.trim_start_matches("ws://").parse().unwrap();
	let proxy = Proxy::start(node_addr).await;
	let via_proxy = format!("ws://{}", proxy.addr);

	// Alice's worker (key Dave, a genesis host) through the proxy, with a 5 s stall timeout,
	// serving the engine's Qwen2 fixture through the inference API beside the Sprint.
	let port = free_port();
	let api_port = free_port();
	let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../kernels/llm/fixtures/qwen2");
	let api_listen = format!("127.0.0.1:{api_port}");
	workers.push(start_worker(
		dir,
		"alice",
		&via_proxy,
		"//Dave",
		port,
		&["--stall-timeout-secs", "5", "--model", model, "--api-listen", &api_listen],
	));
	let proof_port = port;
	// Metrics are on their own port; `port` below is that one.
	let port = workers[0].metrics_port.expect("start_worker picks a metrics port");
	let http = ProofClient::new(Duration::from_secs(3)).allow_private_addresses(true);
	let http = &http;
	until("the worker follows the chain", Duration::from_secs(60), || async move {
		metric(http, port, "gonka_worker_best_block").await.unwrap_or(0.0) >= 3.0
	})
	.await?;
	for p in [proof_port, port] {
		let health = http.get_text(&format!("http://127.0.0.1:{p}/health")).await;
		assert!(health.as_ref().is_ok_and(|h| h.contains("\"status\":\"ok\"")), "{health:?}");
	}
	// A scrape shows every documented metric with its type and labels; the public proof port
	// serves none.
	let text = http
		.get_text(&format!("http://127.0.0.1:{port}/metrics"))
		.await
		.map_err(|e| e.to_string())?;
	for (name, kind, labels) in gonka_worker::metrics::Metrics::DOCUMENTED {
		assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name} not scraped:\n{text}");
		for label in *labels {
			assert!(
				text.lines().any(|l| l.starts_with(name) && l.contains(&format!("{label}=\""))),
				"{name}: no {label} label"
			);
		}
	}
	assert!(parse_metric(&text, "gonka_worker_chain_connected") == Some(1.0), "{text}");
	assert!(
		http.get_text(&format!("http://127.0.0.1:{proof_port}/metrics")).await.is_err(),
		"the proof port serves no metrics"
	);
	// `run --model`: the OpenAI-compatible API answers while the worker follows the chain, with
	// transformers' greedy completion of the fixture.
	let models = http.get_text(&format!("http://127.0.0.1:{api_port}/v1/models")).await;
	assert!(models.as_ref().is_ok_and(|m| m.contains("\"id\":\"qwen2\"")), "{models:?}");
	let reference: serde_json::Value = serde_json::from_slice(
		&std::fs::read(format!("{model}/reference.json")).map_err(|e| e.to_string())?,
	)
	.map_err(|e| e.to_string())?;
	let chat = &reference["chats"][0];
	let body = serde_json::json!({
		"model": "qwen2",
		"messages": chat["messages"],
		"temperature": 0,
		"max_tokens": reference["new_tokens"],
	});
	let answer = post_json(api_port, "/v1/chat/completions", &body.to_string()).await?;
	assert_eq!(answer["choices"][0]["message"]["content"], chat["greedy_text"], "{answer}");
	assert_eq!(
		answer["usage"]["prompt_tokens"].as_u64(),
		chat["prompt_ids"].as_array().map(|a| a.len() as u64),
		"{answer}"
	);
	// The API's metrics are on the worker's metrics port, with its own.
	let completed = metric(
		http,
		port,
		"gonka_worker_inference_requests_total{endpoint=\"chat\",status=\"200\"}",
	)
	.await;
	assert_eq!(completed, Some(1.0));
	assert_eq!(
		metric(http, port, "gonka_worker_inference_completion_tokens_total").await,
		answer["usage"]["completion_tokens"].as_f64()
	);

	proxy.freeze();
	let frozen_at = metric(http, port, "gonka_worker_best_block").await.unwrap_or(0.0);
	let t = Instant::now();
	until("the worker reconnects after the stall", Duration::from_secs(30), || async move {
		metric(http, port, "gonka_worker_chain_reconnects_total").await.unwrap_or(0.0) >= 1.0
	})
	.await?;
	let noticed = t.elapsed();
	until("the worker follows new blocks again", Duration::from_secs(30), || async move {
		metric(http, port, "gonka_worker_best_block").await.unwrap_or(0.0) >= frozen_at + 3.0
	})
	.await?;
	println!(
		"half-open link: noticed and reconnected {noticed:?} after the freeze (stall timeout 5 s)"
	);
	assert!(noticed >= Duration::from_secs(4), "not before the stall timeout: {noticed:?}");
	let log = workers[0].log_tail(200);
	assert!(log.contains("no new block from"), "the log says why: {log}");

	// SIGTERM with an idle connection and a half-sent request open on the proof port (and one
	// on the metrics port): the worker saves its work and exits 0 within the shutdown grace.
	let mut idle = Vec::new();
	for p in [proof_port, proof_port, port] {
		idle.push(
			tokio::net::TcpStream::connect(("127.0.0.1", p)).await.map_err(|e| e.to_string())?,
		);
	}
	{
		use tokio::io::AsyncWriteExt;
		idle[1]
			.write_all(b"GET /v1/sprint/1/proofs?indices=0 HTTP/1.1\r\nHost: x\r\n")
			.await
			.map_err(|e| e.to_string())?;
	}
	let mut child = workers[0].child.take().expect("running");
	let t = Instant::now();
	// SAFETY: kill(2) on the pid of a child this test spawned.
	unsafe {
		libc::kill(child.id() as i32, libc::SIGTERM);
	}
	let status = loop {
		if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
			break status;
		}
		if t.elapsed() > Duration::from_secs(20) {
			let _ = child.kill();
			return Err("SIGTERM: the worker did not exit within 20 s".into());
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	};
	let stopped = t.elapsed();
	println!("SIGTERM with idle connections open: exited {status} after {stopped:?}");
	assert!(status.success(), "{status}: {}", workers[0].log_tail(20));
	// The grace is 5 s; the header timeout (5 s) may close the connections first.
	assert!(stopped < Duration::from_secs(8), "{stopped:?}");
	drop(idle);

	// A crash between sending the commitment and its inclusion (the worker exits right after
	// the node took the extrinsic), restarted at once: the host commits exactly once, and the
	// restarted worker finds the commitment on chain instead of sending another.
	let mut crashing =
		start_worker(dir, "alice", rpc, "//Dave", proof_port, &["--test-exit-after-commit-sent"]);
	let code = crashing.exit_code(Duration::from_secs(120), "no commitment sent").await?;
	assert_eq!(code, Some(3), "{}", crashing.log_tail(20));
	workers[0] = start_worker(dir, "alice", rpc, "//Dave", proof_port, &[]);
	let err = |e: gonka_worker::chain::ChainError| e.to_string();
	let info = client.epoch_info(None).await.map_err(err)?;
	wait_block(&client, info.commit_end + 1, Duration::from_secs(60)).await;
	let alice = polkadot_sdk::sp_keyring::Sr25519Keyring::Alice.to_account_id();
	let mut commits = 0;
	for n in info.start..=info.commit_end {
		let hash = client.block_hash(n).await.map_err(err)?.ok_or("no block hash")?;
		commits += runtime_events(&client, hash)
			.await?
			.iter()
			.filter(|ev| {
				matches!(ev,
				gonka_runtime::RuntimeEvent::Sprint(pallet_sprint::Event::Committed { epoch, host, .. })
					if *epoch == info.epoch && *host == alice)
			})
			.count();
	}
	assert_eq!(commits, 1, "epoch {}: Alice committed once", info.epoch);
	let log = std::fs::read_to_string(&workers[0].log).unwrap_or_default();
	assert!(
		log.contains(&format!("epoch {}: the commitment", info.epoch))
			&& log.contains("is on chain already (sent before a restart"),
		"the restarted worker found the commitment on chain:\n{}",
		workers[0].log_tail(30)
	);
	println!("crash after the commitment was sent: committed once in epoch {}", info.epoch);

	// Start-up refusals: both exit 1 with the reason, without running.
	let run = |data: &std::path::Path, suri: &str| {
		std::process::Command::new(env!("CARGO_BIN_EXE_gonka-worker"))
			.args([
				"run",
				"--no-progress",
				"--no-metrics",
				"--node",
				rpc,
				"--listen",
				"127.0.0.1:0",
			])
			.args(["--startup-timeout-secs", "30", "--allow-private-endpoints", "--data-dir"])
			.arg(data)
			.env("GONKA_WORKER_SURI", suri)
			.env_remove("GONKA_WORKER_KEY_FILE")
			.output()
			.unwrap()
	};
	let other = dir.join("other-chain");
	std::fs::create_dir_all(&other).unwrap();
	let identity = serde_json::json!({
		"genesisHash": format!("0x{}", "11".repeat(32)),
		"workerKey": "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy",
	});
	std::fs::write(other.join("identity.json"), identity.to_string()).unwrap();
	let out = run(&other, "//Dave");
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert_eq!(out.status.code(), Some(1), "{stderr}");
	assert!(stderr.contains("belongs to the chain with genesis 0x1111"), "{stderr}");
	assert!(stderr.contains("--data-dir"), "{stderr}");

	let out = run(&dir.join("unregistered"), "//NobodyRegisteredThis");
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert_eq!(out.status.code(), Some(1), "{stderr}");
	assert!(
		stderr.contains("is not any host's worker key") && stderr.contains("register"),
		"{stderr}"
	);
	host_life(dir, rpc, &client).await?;

	// Alice's directory was bound to this chain, this key and Alice at its first start.
	let bound = std::fs::read_to_string(dir.join("alice").join("identity.json")).unwrap();
	let bound: serde_json::Value = serde_json::from_str(&bound).unwrap();
	assert_eq!(bound["genesisHash"], format!("{:?}", client.genesis_hash()));
	assert!(bound["host"].is_string(), "{bound}");
	Ok(())
}

/// `gonka-worker` with `args`, signing as host `//Bob//stash`: exit code, stdout, stderr.
fn cli(args: &[&str]) -> (Option<i32>, String, String) {
	let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonka-worker"))
		.args(args)
		.env("GONKA_HOST_SURI", "//Bob//stash")
		.env_remove("GONKA_HOST_KEY_FILE")
		.env_remove("GONKA_WORKER_SURI")
		.env_remove("GONKA_WORKER_KEY_FILE")
		.output()
		.unwrap();
	let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
	(out.status.code(), text(&out.stdout), text(&out.stderr))
}

async fn host_life(
	dir: &std::path::Path,
	rpc: &str,
	client: &gonka_worker::chain::ChainClient,
) -> Result<(), String> {
	use codec::Encode;
	use polkadot_sdk::sp_keyring::Sr25519Keyring as K;
	let host = K::BobStash.to_account_id();
	let endpoint_of = |hosts: Vec<(gonka_worker::chain::AccountId, gonka_worker::chain::Host)>| {
		hosts
			.into_iter()
			.find(|(h, _)| *h == host)
			.map(|(_, info)| String::from_utf8_lossy(&info.endpoint).into_owned())
	};
	let (first, second) = (dir.join("first-key.json"), dir.join("second-key.json"));
	for f in [&first, &second] {
		let (code, _, err) = cli(&["key", "generate", "--file", f.to_str().unwrap()]);
		assert_eq!(code, Some(0), "{err}");
	}
	let first_s = first.to_str().unwrap();
	let (code, out, err) = cli(&[
		"register",
		"--node",
		rpc,
		"--key-file",
		first_s,
		"--public-endpoint",
		"http://127.0.0.1:7001",
	]);
	assert_eq!(code, Some(0), "register: {out}{err}");
	assert!(out.contains("Registered host") && out.contains("Sprint::HostRegistered"), "{out}");
	let hosts = client.hosts(None).await.map_err(|e| e.to_string())?;
	assert_eq!(endpoint_of(hosts).as_deref(), Some("http://127.0.0.1:7001"));

	// The call data to sign in Polkadot.js apps is the runtime's own encoding.
	let address = polkadot_sdk::sp_core::crypto::Ss58Codec::to_ss58check(&host);
	let (code, out, err) = cli(&[
		"update-endpoint",
		"--node",
		rpc,
		"--public-endpoint",
		"http://127.0.0.1:7002",
		"--print-call",
		"--host",
		&address,
	]);
	assert_eq!(code, Some(0), "{err}");
	let native = gonka_runtime::RuntimeCall::Sprint(pallet_sprint::Call::update_host {
		endpoint: b"http://127.0.0.1:7002".to_vec().try_into().unwrap(),
	});
	assert_eq!(
		out.lines().next(),
		Some(format!("0x{}", hex::encode(native.encode())).as_str()),
		"{out}"
	);
	let (code, out, err) =
		cli(&["update-endpoint", "--node", rpc, "--public-endpoint", "http://127.0.0.1:7002"]);
	assert_eq!(code, Some(0), "update-endpoint: {out}{err}");
	let hosts = client.hosts(None).await.map_err(|e| e.to_string())?;
	assert_eq!(endpoint_of(hosts).as_deref(), Some("http://127.0.0.1:7002"));
	let (code, _, err) =
		cli(&["update-endpoint", "--node", rpc, "--public-endpoint", "http://127.0.0.1:7002/path"]);
	assert_eq!(code, Some(1));
	assert!(err.contains("would be refused on chain"), "{err}");

	// Rotate to the second key: the chain names the host by its new worker key.
	let (code, out, err) =
		cli(&["rotate-key", "--node", rpc, "--new-key-file", second.to_str().unwrap()]);
	assert_eq!(code, Some(0), "rotate-key: {out}{err}");
	let second_key = gonka_worker::keys::WorkerKey::from_file(&second).unwrap();
	let second_account: gonka_worker::chain::AccountId =
		polkadot_sdk::sp_core::Pair::public(second_key.pair()).into();
	let named = client.host_of_worker(&second_account, None).await.map_err(|e| e.to_string())?;
	assert_eq!(named, Some(host.clone()));

	// Unregister; the bond stays locked until the next epoch, and the refusal says so by name.
	// Both in one epoch: with fewer than 15 blocks left, wait for the next one.
	let info = client.epoch_info(None).await.map_err(|e| e.to_string())?;
	if info.next_epoch_start.saturating_sub(info.block) < 15 {
		wait_block(client, info.next_epoch_start + 1, std::time::Duration::from_secs(60)).await;
	}
	let (code, out, err) = cli(&["unregister", "--node", rpc]);
	assert_eq!(code, Some(0), "unregister: {out}{err}");
	assert!(out.contains("Sprint::HostUnregistered"), "{out}");
	let (code, _, err) = cli(&["withdraw-bond", "--node", rpc]);
	assert_eq!(code, Some(1), "withdraw-bond before the next epoch: {err}");
	assert!(err.contains("withdraw_bond failed") && err.contains("Sprint::"), "{err}");
	Ok(())
}
