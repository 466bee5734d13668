//! The validator against real HTTP servers on loopback: the worker's own proof server (honest),
//! and peers that answer garbage, wrong proofs, huge bodies or never answer; and the proof
//! server under a flooding client. No chain: the commitment is computed here with the CPU
//! backend on the `tiny` model, as a worker's Sprint would.

use std::{
	net::SocketAddr,
	ops::ControlFlow,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use axum::{response::IntoResponse, routing::get, Router};
use codec::Encode;
use gonka_kernels::{
	sprint, Backend, Budget, CpuBackend, Fault, FraudTest, Hit, MerkleTree, ModelConfig, Verdict,
};
use gonka_worker::{
	backend::{BackendCell, BackendFactory},
	health::Health,
	metrics::Metrics,
	server::{ServerLimits, ServerState},
	store::DataDir,
	validator::{
		check_host, judge_hosts, read_ca_file, FetchError, HostToJudge, Judged, Judging,
		ProofClient, SharedBackend,
	},
};

const SEED: [u8; 32] = [11; 32];
const HOST: [u8; 32] = [22; 32];

fn temp_dir(name: &str) -> std::path::PathBuf {
	let dir = std::env::temp_dir().join(format!("gonka-badpeers-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	dir
}

/// A host's honest Sprint over `nonces` nonces: its hits.
fn honest_hits(nonces: u64) -> Vec<Hit> {
	let mut backend = CpuBackend::with_threads(ModelConfig::tiny(), 1).unwrap();
	sprint(&mut backend, &SEED, &HOST, Budget::Nonces(0..nonces), |_, _| ControlFlow::Continue(()))
		.unwrap()
		.hits
}

fn backend() -> SharedBackend {
	Arc::new(BackendCell::cpu(ModelConfig::tiny(), 1, Arc::default()).unwrap())
}

fn judging() -> Judging {
	Judging {
		seed: SEED,
		sampling_seed: [33; 32],
		validator: [44; 32],
		sample_size: 50,
		tolerance: gonka_kernels::validation::DEFAULT_TOLERANCE,
		r_mid: gonka_kernels::validation::r_mid(64, ModelConfig::tiny().r_target()).unwrap(),
		test: FraudTest::default(),
	}
}

async fn serve(router: Router) -> SocketAddr {
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move {
		axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
			.await
			.unwrap()
	});
	addr
}

/// The worker's own proof server over a commitment of real hits.
async fn honest_server(
	name: &str,
	limits: ServerLimits,
) -> (SocketAddr, HostToJudge, Arc<Metrics>) {
	let hits = honest_hits(3_000);
	assert!(hits.len() > 60, "the tiny model gives a few percent hits: {}", hits.len());
	let nonces: Vec<u64> = hits.iter().map(|h| h.nonce).collect();
	server_over(name, MerkleTree::new(nonces).unwrap(), limits).await
}

/// The worker's proof server over `tree` (an honest one, or what a cheat would commit).
async fn server_over(
	name: &str,
	tree: MerkleTree,
	limits: ServerLimits,
) -> (SocketAddr, HostToJudge, Arc<Metrics>) {
	let data = Arc::new(DataDir::open(&temp_dir(name)).unwrap());
	let c = data.write_tree(7, tree).unwrap();
	let metrics = Arc::new(Metrics::default());
	let state = ServerState::new(data, metrics.clone(), limits, serde_json::json!({}));
	// The worker's own serve loop (timeouts, connection caps), as `gonka-worker run` serves.
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(gonka_worker::server::serve(listener, state, std::future::pending()));
	let host = HostToJudge {
		epoch: 7,
		host: HOST,
		endpoint: format!("http://{addr}"),
		root: c.root,
		count: c.count,
	};
	(addr, host, metrics)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_host_is_valid_and_each_bad_peer_is_caught() {
	let client = ProofClient::new(Duration::from_secs(2)).allow_private_addresses(true);
	let (_, honest, _) = honest_server("honest", ServerLimits::default()).await;
	let backend = backend();
	let judging = judging();

	// Honest: every sampled leaf verifies and re-computes.
	let j = check_host(&client, &backend, &judging, &honest).await.unwrap();
	assert_eq!((j.verdict, j.mismatches, j.samples), (Verdict::Valid, 0, 50));
	// Its check bits: one per sample, and for real hits about half below r_mid (a fair coin:
	// P(fewer than 10 or more than 40 of 50) < 1e-5).
	assert_eq!(j.bits.len(), 50);
	let below = j.bits.iter().filter(|b| **b).count();
	assert!((10..=40).contains(&below), "{below} of 50 hits below r_mid");

	// Wrong proofs: the honest answer with each leaf's nonce changed (paths no longer lead to
	// the root), served by a peer claiming the honest commitment: 50 faults.
	let real = client
		.fetch(&honest.endpoint, 7, &gonka_worker::validator::sample_for(&judging, &honest))
		.await
		.unwrap();
	let mut forged = real.clone();
	for p in &mut forged {
		p.leaf.nonce += 1;
	}
	let forged = forged.encode();
	let wrong = serve(Router::new().route(
		"/v1/sprint/:epoch/proofs",
		get(move || {
			let body = forged.clone();
			async move { body }
		}),
	))
	.await;
	let host = HostToJudge { endpoint: format!("http://{wrong}"), ..honest.clone() };
	let j = check_host(&client, &backend, &judging, &host).await.unwrap();
	assert_eq!(j.verdict, Verdict::Invalid);
	assert_eq!(j.faults.len(), 50);
	assert!(j.faults.iter().all(|(_, f)| *f == Fault::BadPath), "{:?}", j.faults);
	assert!(j.bits.iter().all(|b| !b), "no leaf verified: no bit set");

	// The honest answer without the neighbours: every sample a fault.
	let mut alone = real.clone();
	for p in &mut alone {
		p.next = None;
	}
	let alone = alone.encode();
	let lonely = serve(Router::new().route(
		"/v1/sprint/:epoch/proofs",
		get(move || {
			let body = alone.clone();
			async move { body }
		}),
	))
	.await;
	let j = check_host(
		&client,
		&backend,
		&judging,
		&HostToJudge { endpoint: format!("http://{lonely}"), ..honest.clone() },
	)
	.await
	.unwrap();
	assert_eq!(j.verdict, Verdict::Invalid);
	assert!(j.faults.iter().any(|(_, f)| *f == Fault::MissingNeighbour), "{:?}", j.faults);

	// Every honest hit committed twice (v1 let a host with many hits double its weight): the
	// paths are fine, every distance re-computes, and the neighbours give it away.
	let hits = honest_hits(3_000);
	let doubled: Vec<u64> = hits.iter().flat_map(|h| [h.nonce, h.nonce]).collect();
	let (_, dup, _) =
		server_over("dup", MerkleTree::unchecked(doubled).unwrap(), ServerLimits::default()).await;
	let j = check_host(&client, &backend, &judging, &dup).await.unwrap();
	assert_eq!((j.verdict, j.mismatches), (Verdict::Invalid, 0));
	assert!(
		j.faults
			.iter()
			.any(|(_, f)| matches!(f, Fault::NotIncreasing { nonce, next } if nonce == next)),
		"{:?}",
		j.faults
	);

	// Near-misses (v1's δ = 0.01 let them pass): nonces whose f32 distance lies in
	// [r_target, r_target + 0.01), committed with the real hits under a consistent tree.
	let mut cpu = CpuBackend::with_threads(ModelConfig::tiny(), 1).unwrap();
	let r = cpu.config().r_target();
	let all: Vec<u64> = (0..3_000).collect();
	let distances = cpu.distances(&SEED, &HOST, &all).unwrap();
	let near: Vec<u64> =
		all.iter().zip(&distances).filter(|(_, d)| **d < r + 0.01).map(|(n, _)| *n).collect();
	let near_misses = near.len() - hits.len();
	assert!(near_misses * 10 > near.len(), "{near_misses} near-misses among {}", near.len());
	let (_, nearly, _) =
		server_over("near", MerkleTree::new(near.clone()).unwrap(), ServerLimits::default()).await;
	let j = check_host(&client, &backend, &judging, &nearly).await.unwrap();
	assert!(j.faults.is_empty());
	assert_eq!(j.verdict, Verdict::Invalid, "{j:?}");
	assert!(j.mismatches >= 4, "{j:?}");

	// Made-up leaves under their own (consistent) tree: paths fine, distances not.
	let fake: Vec<Hit> = (0..100).map(|i| Hit::new(i * 5, 0.3)).collect();
	let data = Arc::new(DataDir::open(&temp_dir("fake")).unwrap());
	let c = data.write_commitment(7, fake.iter().map(|h| h.nonce).collect()).unwrap();
	let state = ServerState::new(
		data,
		Arc::new(Metrics::default()),
		ServerLimits::default(),
		serde_json::json!({}),
	);
	let addr = serve(gonka_worker::server::router(state)).await;
	let cheat = HostToJudge {
		endpoint: format!("http://{addr}"),
		root: c.root,
		count: c.count,
		..honest.clone()
	};
	let j = check_host(&client, &backend, &judging, &cheat).await.unwrap();
	assert_eq!(j.verdict, Verdict::Invalid);
	assert!(j.mismatches > 40, "{j:?}");

	// Garbage, huge bodies, silence, an HTTP error, nobody listening: fetch errors, no verdict.
	let garbage = serve(
		Router::new().route("/v1/sprint/:epoch/proofs", get(|| async { vec![0xffu8; 1000] })),
	)
	.await;
	let huge = serve(
		Router::new().route("/v1/sprint/:epoch/proofs", get(|| async { vec![0u8; 64 << 20] })),
	)
	.await;
	let silent = serve(Router::new().route(
		"/v1/sprint/:epoch/proofs",
		get(|| async {
			tokio::time::sleep(Duration::from_secs(3600)).await;
			"never"
		}),
	))
	.await;
	let failing = serve(Router::new().route(
		"/v1/sprint/:epoch/proofs",
		get(|| async {
			(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "disk on fire").into_response()
		}),
	))
	.await;
	let nobody = {
		let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		l.local_addr().unwrap()
	};
	let with =
		|addr: SocketAddr| HostToJudge { endpoint: format!("http://{addr}"), ..honest.clone() };
	let started = Instant::now();
	let e = check_host(&client, &backend, &judging, &with(garbage)).await.unwrap_err();
	assert!(matches!(e, FetchError::Garbage { .. }), "{e}");
	let e = check_host(&client, &backend, &judging, &with(huge)).await.unwrap_err();
	assert!(matches!(e, FetchError::TooLarge { .. }), "{e}");
	let e = check_host(&client, &backend, &judging, &with(silent)).await.unwrap_err();
	assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
	let e = check_host(&client, &backend, &judging, &with(failing)).await.unwrap_err();
	assert!(matches!(e, FetchError::Status { status: 500, .. }), "{e}");
	assert!(e.to_string().contains("disk on fire"));
	let e = check_host(&client, &backend, &judging, &with(nobody)).await.unwrap_err();
	assert!(matches!(e, FetchError::Unreachable { .. }), "{e}");
	assert!(started.elapsed() < Duration::from_secs(30), "bounded by the fetch timeout");

	// Across a window: the honest and the wrong-proof hosts are judged at once; the bad peers are
	// retried, and judged unreachable (not invalid: PROTOCOL §6) only when the window closes.
	let hosts =
		vec![honest.clone(), host.clone(), with(garbage), with(huge), with(silent), with(nobody)];
	let window = Instant::now() + Duration::from_secs(8);
	let rounds: Arc<Mutex<Vec<(Duration, Vec<Judged>)>>> = Arc::default();
	let started = Instant::now();
	judge_hosts(
		&client,
		&backend,
		&judging,
		hosts,
		|| Instant::now() >= window,
		|judged| {
			let rounds = rounds.clone();
			async move {
				rounds.lock().unwrap().push((started.elapsed(), judged));
				Ok::<(), std::convert::Infallible>(())
			}
		},
	)
	.await
	.unwrap();
	let rounds = rounds.lock().unwrap();
	assert_eq!(rounds.len(), 2, "one round with the conclusive answers, one at the window's end");
	let first: Vec<_> = rounds[0].1.iter().map(|j| (j.host.endpoint.clone(), j.verdict)).collect();
	assert_eq!(
		first,
		vec![(honest.endpoint.clone(), Verdict::Valid), (host.endpoint.clone(), Verdict::Invalid)]
	);
	assert!(rounds[1].0 >= Duration::from_secs(8));
	assert_eq!(rounds[1].1.len(), 4);
	for j in &rounds[1].1 {
		assert_eq!(j.verdict, Verdict::Unreachable);
		assert!(j.judgement.is_none() && j.attempts >= 3, "{j:?}");
		assert!(j.last_error.is_some());
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flooding_client_is_rate_limited_while_others_are_served() {
	let limits = ServerLimits { rate_per_sec: 5.0, burst: 10.0, ..Default::default() };
	let (addr, host, metrics) = honest_server("flood", limits).await;
	let url = format!("http://{addr}/v1/sprint/7/proofs?indices=0,1,2");
	// The flooder: 100 requests at once from 127.0.0.1.
	let flooder = ProofClient::new(Duration::from_secs(5)).allow_private_addresses(true);
	let answers = futures::future::join_all((0..100).map(|_| flooder.get_text(&url))).await;
	let limited =
		answers.iter().filter(|r| matches!(r, Err(FetchError::Status { status: 429, .. }))).count();
	let served = answers.iter().filter(|r| r.is_ok()).count();
	// Each request on its own connection: past the client's 16 connections they are closed at
	// once; of those accepted, the burst is served and the rest refused by the rate limit.
	let closed =
		answers.iter().filter(|r| matches!(r, Err(FetchError::Unreachable { .. }))).count();
	println!("flood of 100 from one client: {served} served, {limited} rate-limited, {closed} connections closed");
	assert!(
		served <= 11 && limited >= 1 && served + limited + closed == 100,
		"served {served}, limited {limited}, closed {closed}"
	);
	assert!(closed > 0, "the client's connection cap (16) closed some connections");
	assert!(
		matches!(&answers.iter().find(|r| matches!(r, Err(FetchError::Status { .. }))).unwrap(),
		Err(FetchError::Status { reason, .. }) if reason.contains("rate limit"))
	);
	// Another client (another loopback address) is served meanwhile.
	let other = ProofClient::with_local_address(Duration::from_secs(5), [127, 0, 0, 2].into())
		.allow_private_addresses(true);
	let proofs = other.fetch(&host.endpoint, 7, &[0, 1, 2]).await.unwrap();
	assert_eq!(proofs.len(), 3);
	let refused = metrics.proof_rate_limited.get() + metrics.connections_refused.get();
	assert!(refused >= 89, "{refused}");
	// Bad requests get a 4xx with a reason.
	let bad = ProofClient::with_local_address(Duration::from_secs(5), [127, 0, 0, 3].into())
		.allow_private_addresses(true);
	for (query, status, reason) in [
		("/v1/sprint/7/proofs", 400, "missing"),
		("/v1/sprint/7/proofs?indices=1,x", 400, "not a leaf index"),
		("/v1/sprint/7/proofs?indices=999999", 400, "out of range"),
		("/v1/sprint/8/proofs?indices=0", 404, "no commitment"),
		("/v1/sprint/seven/proofs?indices=0", 400, "not an epoch"),
	] {
		match bad.get_text(&format!("http://{addr}{query}")).await {
			Err(FetchError::Status { status: s, reason: r, .. }) => {
				assert_eq!(s, status, "{query}: {r}");
				assert!(r.contains(reason), "{query}: {r}");
			},
			other => panic!("{query}: {other:?}"),
		}
	}
	let too_many = (0..2000).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
	match bad.get_text(&format!("http://{addr}/v1/sprint/7/proofs?indices={too_many}")).await {
		Err(FetchError::Status { status: 400, reason, .. }) => {
			assert!(reason.contains("at most 1024"))
		},
		other => panic!("{other:?}"),
	}
	let health = bad.get_text(&format!("http://{addr}/health")).await.unwrap();
	assert!(health.contains("\"status\":\"ok\""), "{health}");
}

/// A backend that builds but dies in every computation (a GPU that fell off the bus).
struct Broken(ModelConfig);

impl Backend for Broken {
	fn describe(&self) -> String {
		"broken".into()
	}
	fn config(&self) -> &ModelConfig {
		&self.0
	}
	fn prepare(&mut self, _: &gonka_kernels::Seed) -> Result<(), gonka_kernels::KernelError> {
		Ok(())
	}
	fn batch_size(&self) -> usize {
		8
	}
	fn distances(
		&mut self,
		_: &gonka_kernels::Seed,
		_: &gonka_kernels::HostKey,
		_: &[u64],
	) -> Result<Vec<f32>, gonka_kernels::KernelError> {
		panic!("CUDA error: an illegal memory access was encountered")
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_whose_backend_fails_casts_no_vote_and_reports_unhealthy() {
	let (_, honest, _) = honest_server("broken", ServerLimits::default()).await;
	let health = Arc::new(Health::default());
	let factory: BackendFactory = Box::new(|| Ok(Box::new(Broken(ModelConfig::tiny()))));
	let backend =
		Arc::new(BackendCell::new("cuda:0", ModelConfig::tiny(), factory, health.clone()).unwrap());
	let client = ProofClient::new(Duration::from_secs(3)).allow_private_addresses(true);

	// The host answered well; this worker could not re-compute: its own fault, reported so.
	let e = check_host(&client, &backend, &judging(), &honest).await.unwrap_err();
	assert!(matches!(e, FetchError::LocalBackend { .. }), "{e}");
	let problems = health.problems();
	assert_eq!(problems.len(), 1);
	assert_eq!(problems[0].0, "backend cuda:0");
	assert!(problems[0].1.contains("illegal memory access"), "{}", problems[0].1);

	// Across a window: retried with a rebuilt backend each time, and at the window's end no
	// verdict at all — neither Invalid nor Unreachable — is handed over for the host.
	let window = Instant::now() + Duration::from_secs(3);
	let voted: Arc<Mutex<Vec<Judged>>> = Arc::default();
	let not_voted = judge_hosts(
		&client,
		&backend,
		&judging(),
		vec![honest.clone()],
		|| Instant::now() >= window,
		|judged| {
			let voted = voted.clone();
			async move {
				voted.lock().unwrap().extend(judged);
				Ok::<(), std::convert::Infallible>(())
			}
		},
	)
	.await
	.unwrap();
	assert!(voted.lock().unwrap().is_empty(), "no vote: {:?}", voted.lock().unwrap());
	assert_eq!(not_voted.len(), 1);
	assert_eq!(not_voted[0].0.endpoint, honest.endpoint);
	assert!(not_voted[0].1.contains("backend"), "{}", not_voted[0].1);
	assert!(backend.builds() >= 3, "rebuilt after each failure: {}", backend.builds());
	assert!(!health.is_healthy());

	// A validator with a working backend judges the same host Valid.
	let working = self::backend();
	let j = check_host(&client, &working, &judging(), &honest).await.unwrap();
	assert_eq!(j.verdict, Verdict::Valid);
}

/// The committed test certificates (`tests/tls/make-certs` made them with openssl).
fn test_pem(name: &str) -> std::path::PathBuf {
	std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls").join(name)
}

/// The worker's proof server behind TLS, its certificate for `localhost` signed by the test CA
/// (`tests/tls/ca.pem`): the host to judge at `https://localhost:PORT`.
async fn tls_server(name: &str) -> HostToJudge {
	use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
	let chain = CertificateDer::pem_file_iter(test_pem("localhost.pem"))
		.unwrap()
		.collect::<Result<Vec<_>, _>>()
		.unwrap();
	let key = PrivateKeyDer::from_pem_file(test_pem("localhost.key")).unwrap();
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let config = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.unwrap()
		.with_no_client_auth()
		.with_single_cert(chain, key)
		.unwrap();
	let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

	let hits = honest_hits(3_000);
	let nonces: Vec<u64> = hits.iter().map(|h| h.nonce).collect();
	let data = Arc::new(DataDir::open(&temp_dir(name)).unwrap());
	let c = data.write_tree(7, MerkleTree::new(nonces).unwrap()).unwrap();
	let state =
		ServerState::new(data, Arc::default(), ServerLimits::default(), serde_json::json!({}));
	let router = gonka_worker::server::router(state);
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	tokio::spawn(async move {
		loop {
			let Ok((tcp, peer)) = listener.accept().await else { return };
			let (acceptor, router) = (acceptor.clone(), router.clone());
			tokio::spawn(async move {
				let Ok(tls) = acceptor.accept(tcp).await else { return };
				let service = hyper::service::service_fn(
					move |mut req: hyper::Request<hyper::body::Incoming>| {
						req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
						let mut router = router.clone();
						async move { tower::Service::call(&mut router, req).await }
					},
				);
				let _ = hyper::server::conn::http1::Builder::new()
					.serve_connection(hyper_util::rt::TokioIo::new(tls), service)
					.await;
			});
		}
	});
	HostToJudge {
		epoch: 7,
		host: HOST,
		endpoint: format!("https://localhost:{}", addr.port()),
		root: c.root,
		count: c.count,
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_served_over_https_is_judged_and_an_untrusted_certificate_is_refused() {
	let host = tls_server("tls").await;
	let client = ProofClient::new(Duration::from_secs(5)).allow_private_addresses(true);
	// Without the test CA the certificate is not trusted: no proofs, and the reason says why.
	let e = check_host(&client, &backend(), &judging(), &host).await.unwrap_err();
	assert!(matches!(e, FetchError::Tls { .. }), "{e}");
	assert!(e.to_string().contains("certificate"), "{e}");
	// Another CA does not help.
	let other = read_ca_file(&test_pem("other-ca.pem")).unwrap();
	let wrong_ca = client.clone().with_extra_roots(&other).unwrap();
	let e = check_host(&wrong_ca, &backend(), &judging(), &host).await.unwrap_err();
	assert!(matches!(e, FetchError::Tls { .. }), "{e}");
	// With it (as `--extra-ca-file` gives it), the host is fetched over TLS and judged.
	let ca = read_ca_file(&test_pem("ca.pem")).unwrap();
	let trusting = client.with_extra_roots(&ca).unwrap();
	let j = check_host(&trusting, &backend(), &judging(), &host).await.unwrap();
	assert_eq!(j.verdict, Verdict::Valid);
	assert_eq!(j.samples, 50);
	// The same server under a name its certificate does not carry is refused.
	let wrong = HostToJudge { endpoint: host.endpoint.replace("localhost", "127.0.0.1"), ..host };
	let e = check_host(&trusting, &backend(), &judging(), &wrong).await.unwrap_err();
	assert!(matches!(e, FetchError::Tls { .. }), "{e}");
}
