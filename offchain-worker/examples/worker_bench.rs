//! The worker's benchmarks (issue figures), one command each:
//!
//!     cargo run --release -p gonka-worker --example worker_bench -- proofs [LEAVES] [SECONDS] [CLIENTS]
//!     cargo run --release -p gonka-worker --example worker_bench -- validate tiny|h100 [SAMPLES]
//!
//! * `proofs`: writes a commitment of LEAVES (default 1,000,000) leaves to a scratch data
//!   directory, drops it from memory, starts the real proof server on loopback and has CLIENTS
//!   (default 8) clients send 200-index requests for SECONDS (default 10). Prints requests/s,
//!   latency percentiles, and the process's memory (VmRSS, VmHWM) before, after the commitment
//!   was written, and while serving.
//! * `validate`: the validator's time to judge one host on the CPU backend: fetch nothing (the
//!   proofs are in memory), audit SAMPLES (default 200) leaves and re-compute their distances,
//!   model build included. For `h100` on a small CPU pass fewer SAMPLES; the per-leaf time is
//!   printed and scaled to 200.

use std::{
	net::SocketAddr,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use gonka_kernels::{FraudTest, MerkleTree, ModelConfig};
use gonka_worker::{
	metrics::Metrics,
	server::{ServerLimits, ServerState},
	store::DataDir,
	validator::{judge_proofs, HostToJudge, Judging, ProofClient, SharedBackend},
};

fn memory() -> String {
	let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
	let field = |name: &str| {
		status
			.lines()
			.find(|l| l.starts_with(name))
			.map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
			.unwrap_or_else(|| "?".into())
	};
	format!("VmRSS {} kB, VmHWM {} kB", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
	let args: Vec<String> = std::env::args().skip(1).collect();
	match args.first().map(String::as_str) {
		Some("proofs") => {
			let leaves = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000u64);
			let seconds = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10.0f64);
			let clients = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(8usize);
			proofs(leaves, seconds, clients)
		},
		Some("validate") => {
			let model = args.get(1).map(String::as_str).unwrap_or("tiny");
			let samples = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200u32);
			validate(model, samples)
		},
		_ => {
			eprintln!("usage: worker_bench proofs [LEAVES] [SECONDS] [CLIENTS] | validate tiny|h100 [SAMPLES]");
			std::process::exit(2)
		},
	}
}

fn proofs(leaves: u64, seconds: f64, clients: usize) {
	let dir = std::env::temp_dir().join(format!("gonka-worker-bench-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	println!("start: {}", memory());
	let data = Arc::new(DataDir::open(&dir).unwrap());
	let t = Instant::now();
	let nonces: Vec<u64> = (0..leaves).map(|i| i * 37 + 5).collect();
	let c = data.write_commitment(1, nonces).unwrap();
	println!(
		"wrote a commitment of {} leaves in {:.2} s ({} MB on disk): {}",
		c.count,
		t.elapsed().as_secs_f64(),
		(std::fs::metadata(dir.join("epochs/1/leaves.bin")).unwrap().len()
			+ std::fs::metadata(dir.join("epochs/1/tree.bin")).unwrap().len())
			/ 1_000_000,
		memory()
	);
	let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	rt.block_on(async move {
		let limits = ServerLimits {
			rate_per_sec: 1e9,
			burst: 1e9,
			max_in_flight: 1024,
			..Default::default()
		};
		let state =
			ServerState::new(data, Arc::new(Metrics::default()), limits, serde_json::json!({}));
		let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr: SocketAddr = listener.local_addr().unwrap();
		tokio::spawn(gonka_worker::server::serve(listener, state, std::future::pending()));
		let stop = Arc::new(AtomicBool::new(false));
		let latencies = Arc::new(Mutex::new(Vec::new()));
		let started = Instant::now();
		let tasks: Vec<_> = (0..clients)
			.map(|k| {
				let (stop, latencies) = (stop.clone(), latencies.clone());
				tokio::spawn(async move {
					let client =
						ProofClient::new(Duration::from_secs(10)).allow_private_addresses(true);
					let endpoint = format!("http://{addr}");
					let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ k as u64;
					while !stop.load(Ordering::Relaxed) {
						let indices: Vec<u64> = (0..200)
							.map(|_| {
								x ^= x << 13;
								x ^= x >> 7;
								x ^= x << 17;
								x % leaves
							})
							.collect();
						let t = Instant::now();
						let proofs = client.fetch(&endpoint, 1, &indices).await.unwrap();
						assert_eq!(proofs.len(), 200);
						latencies.lock().unwrap().push(t.elapsed());
					}
				})
			})
			.collect();
		tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
		println!("while serving: {}", memory());
		stop.store(true, Ordering::Relaxed);
		for t in tasks {
			t.await.unwrap();
		}
		let elapsed = started.elapsed().as_secs_f64();
		let mut l = latencies.lock().unwrap().clone();
		l.sort();
		let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)].as_secs_f64() * 1e3;
		println!(
			"{} requests of 200 indices in {elapsed:.1} s with {clients} clients: {:.0} requests/s \
			 ({:.0} proofs/s); latency p50 {:.2} ms, p99 {:.2} ms",
			l.len(),
			l.len() as f64 / elapsed,
			l.len() as f64 * 200.0 / elapsed,
			pct(0.5),
			pct(0.99)
		);
	});
	let _ = std::fs::remove_dir_all(&dir);
}

fn validate(model_name: &str, samples: u32) {
	let model = ModelConfig::named(model_name).expect("tiny or h100");
	// Leaves with made-up distances: the validator's work (paths, re-computation) is the same as
	// for real hits; only the verdict differs, which is not what is measured.
	let count = 10_000u64;
	let leaves: Vec<u64> = (0..count).map(|i| i * 11).collect();
	let tree = MerkleTree::new(leaves).unwrap();
	let judging = Judging {
		seed: [5; 32],
		sampling_seed: [6; 32],
		validator: [7; 32],
		sample_size: samples,
		tolerance: gonka_kernels::validation::DEFAULT_TOLERANCE,
		r_mid: gonka_kernels::validation::r_mid(model.out_dim, model.r_target()).unwrap(),
		test: FraudTest::default(),
	};
	let host =
		HostToJudge { epoch: 1, host: [8; 32], endpoint: String::new(), root: tree.root(), count };
	let requested = gonka_worker::validator::sample_for(&judging, &host);
	let proofs: Vec<_> = requested.iter().map(|&i| tree.sample_proof(i).unwrap()).collect();
	let backend: SharedBackend =
		Arc::new(gonka_worker::backend::BackendCell::cpu(model, 0, Arc::default()).unwrap());
	let t = Instant::now();
	backend
		.with(|b| {
			println!("backend: {}", b.describe());
			b.prepare(&judging.seed).map_err(|e| e.to_string())
		})
		.unwrap();
	let build = t.elapsed().as_secs_f64();
	let t = Instant::now();
	let j = judge_proofs(&backend, &judging, &host, &requested, &proofs).unwrap();
	let judge = t.elapsed().as_secs_f64();
	let per_leaf = judge / samples as f64;
	println!(
		"{model_name}: model build {build:.2} s; {samples} leaves audited and re-computed in {judge:.2} s \
		 ({:.1} ms per leaf; {} mismatches) → one host with 200 samples: {:.2} s + the build",
		per_leaf * 1e3,
		j.mismatches,
		per_leaf * 200.0
	);
}
