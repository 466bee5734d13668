//! The proof server's serve loop against hostile clients on loopback, with no chain: a slowloris
//! client that never finishes its request head and an idle connection are closed after the
//! header timeout while normal clients are served; the connection caps (per client, total)
//! hold; shutdown with connections open finishes in bounded time; `/health` says what is wrong
//! with a 503.

use std::{
	net::SocketAddr,
	sync::Arc,
	time::{Duration, Instant},
};

use gonka_kernels::MerkleTree;
use gonka_worker::{
	health::Health,
	metrics::Metrics,
	server::{ServerLimits, ServerState},
	store::DataDir,
	validator::{FetchError, ProofClient},
};
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpSocket, TcpStream},
	sync::oneshot,
};

struct Server {
	addr: SocketAddr,
	metrics: Arc<Metrics>,
	stop: Option<oneshot::Sender<()>>,
	done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(name: &str, limits: ServerLimits, health: Arc<Health>) -> Server {
	let dir = std::env::temp_dir().join(format!("gonka-proofserver-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let data = Arc::new(DataDir::open(&dir).unwrap());
	data.write_tree(3, MerkleTree::new((0..100).map(|i| i * 7).collect()).unwrap()).unwrap();
	let metrics = Arc::new(Metrics::default());
	let state =
		ServerState::new(data, metrics.clone(), limits, serde_json::json!({})).with_health(health);
	let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let addr = listener.local_addr().unwrap();
	let (tx, rx) = oneshot::channel::<()>();
	let done = tokio::spawn(gonka_worker::server::serve(listener, state, async move {
		let _ = rx.await;
	}));
	Server { addr, metrics, stop: Some(tx), done }
}

/// A TCP connection from loopback address `127.0.0.{from}`.
async fn connect_from(from: u8, to: SocketAddr) -> TcpStream {
	let socket = TcpSocket::new_v4().unwrap();
	socket.bind(SocketAddr::from(([127, 0, 0, from], 0))).unwrap();
	socket.connect(to).await.unwrap()
}

/// Waits until the server closes `stream` (EOF or reset): how long it took, or `None` if it is
/// still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
	let start = Instant::now();
	let mut buf = [0u8; 1024];
	loop {
		match tokio::time::timeout_at((start + within).into(), stream.read(&mut buf)).await {
			Err(_) => return None,
			Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
			// A response (e.g. 408) before the close: keep reading until the close.
			Ok(Ok(_)) => continue,
		}
	}
}

fn client_from(from: u8) -> ProofClient {
	ProofClient::with_local_address(Duration::from_secs(5), [127, 0, 0, from].into())
		.allow_private_addresses(true)
}

#[tokio::test(flavor = "multi_thread")]
async fn slowloris_and_idle_connections_are_closed_while_clients_are_served() {
	let limits = ServerLimits { header_timeout: Duration::from_millis(800), ..Default::default() };
	let server = start("slowloris", limits, Arc::default()).await;
	// Sixteen slowloris connections from one client (its cap), each sending a byte of its head
	// every 100 ms, and one that sends nothing.
	let mut slow = Vec::new();
	for _ in 0..16 {
		let mut s = connect_from(1, server.addr).await;
		s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
		slow.push(s);
	}
	let mut idle = connect_from(2, server.addr).await;
	let dripping = tokio::spawn(async move {
		for _ in 0..30 {
			for s in slow.iter_mut() {
				if s.write_all(b"X").await.is_err() {
					return slow;
				}
			}
			tokio::time::sleep(Duration::from_millis(100)).await;
		}
		slow
	});
	// Meanwhile other clients are served at once.
	let t = Instant::now();
	for from in 3..6 {
		let proofs = client_from(from)
			.fetch(&format!("http://{}", server.addr), 3, &[0, 5, 99])
			.await
			.unwrap();
		assert_eq!(proofs.len(), 3);
	}
	assert!(t.elapsed() < Duration::from_millis(700), "served at once: {:?}", t.elapsed());
	let idle_closed = closed_within(&mut idle, Duration::from_secs(5)).await;
	let idle_closed = idle_closed.expect("an idle connection is closed");
	assert!(idle_closed >= Duration::from_millis(500), "{idle_closed:?}");
	let mut slow = dripping.await.unwrap();
	for s in slow.iter_mut() {
		// Writes may have failed already; the read side sees the close.
		assert!(closed_within(s, Duration::from_secs(3)).await.is_some(), "slowloris closed");
	}
	let elapsed = t.elapsed();
	assert!(elapsed < Duration::from_secs(4), "all closed by the header timeout: {elapsed:?}");
	println!(
		"slowloris: 16 dripping connections and an idle one closed {idle_closed:?} after the \
		 header timeout of 800 ms; 3 clients served meanwhile"
	);
	assert_eq!(server.metrics.connections_open.get(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_caps_per_client_and_in_total_hold() {
	let limits = ServerLimits {
		header_timeout: Duration::from_secs(20),
		max_connections: 6,
		max_connections_per_client: 4,
		..Default::default()
	};
	let server = start("caps", limits, Arc::default()).await;
	let url = format!("http://{}", server.addr);
	let mut held = Vec::new();
	for _ in 0..4 {
		held.push(connect_from(1, server.addr).await);
	}
	tokio::time::sleep(Duration::from_millis(200)).await;
	assert_eq!(server.metrics.connections_open.get(), 4);
	// A fifth from the same client is closed at once; another client is served.
	let mut fifth = connect_from(1, server.addr).await;
	assert!(closed_within(&mut fifth, Duration::from_secs(2)).await.is_some(), "over its cap");
	assert_eq!(client_from(2).fetch(&url, 3, &[1]).await.unwrap().len(), 1);
	// That client's pooled keep-alive connection closes with it; then four are open again.
	let t = Instant::now();
	while server.metrics.connections_open.get() != 4 {
		assert!(t.elapsed() < Duration::from_secs(5), "the served client's connection closes");
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	// Two more clients fill the server (6); a seventh connection, from anyone, is closed.
	held.push(connect_from(3, server.addr).await);
	held.push(connect_from(4, server.addr).await);
	tokio::time::sleep(Duration::from_millis(200)).await;
	assert_eq!(server.metrics.connections_open.get(), 6);
	let mut seventh = connect_from(5, server.addr).await;
	assert!(closed_within(&mut seventh, Duration::from_secs(2)).await.is_some(), "server full");
	assert!(server.metrics.connections_refused.get() >= 2);
	// Connections closed give their place back.
	drop(held);
	tokio::time::sleep(Duration::from_millis(300)).await;
	assert_eq!(client_from(5).fetch(&url, 3, &[2]).await.unwrap().len(), 1);
	assert_eq!(client_from(1).fetch(&url, 3, &[3]).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_with_connections_open_finishes_in_bounded_time() {
	let limits = ServerLimits {
		header_timeout: Duration::from_secs(60),
		shutdown_grace: Duration::from_secs(1),
		..Default::default()
	};
	let mut server = start("shutdown", limits, Arc::default()).await;
	// An idle connection, a keep-alive one after a request, and one stuck in its request head.
	let mut idle = connect_from(1, server.addr).await;
	let mut kept = connect_from(2, server.addr).await;
	kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
	let mut buf = [0u8; 4096];
	let n = kept.read(&mut buf).await.unwrap();
	assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
	let mut stuck = connect_from(3, server.addr).await;
	stuck.write_all(b"GET /health HTTP/1.1\r\nHost:").await.unwrap();
	tokio::time::sleep(Duration::from_millis(200)).await;

	let t = Instant::now();
	server.stop.take().unwrap().send(()).unwrap();
	tokio::time::timeout(Duration::from_secs(5), &mut server.done)
		.await
		.expect("serve returns within the grace period")
		.unwrap()
		.unwrap();
	let took = t.elapsed();
	assert!(took < Duration::from_secs(3), "bounded by the 1 s grace: {took:?}");
	for s in [&mut idle, &mut kept, &mut stuck] {
		assert!(closed_within(s, Duration::from_secs(1)).await.is_some());
	}
	assert!(TcpStream::connect(server.addr).await.is_err(), "no longer accepting");
	println!("shutdown with 3 connections open (idle, keep-alive, mid-head): {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_answers_503_with_every_problem() {
	let health = Arc::new(Health::default());
	let server = start("health", ServerLimits::default(), health.clone()).await;
	let url = format!("http://{}/health", server.addr);
	let ok = client_from(1).get_text(&url).await.unwrap();
	assert!(ok.contains("\"status\":\"ok\""), "{ok}");
	health.set("node", "lost the node ws://127.0.0.1:9944: connection refused");
	health.set("backend cuda:0", "the backend on cuda:0 panicked: device lost");
	match client_from(1).get_text(&url).await {
		Err(FetchError::Status { status: 503, reason, .. }) => {
			let body: serde_json::Value = serde_json::from_str(&reason).unwrap();
			assert_eq!(body["status"], "unhealthy");
			assert!(body["problems"]["node"].as_str().unwrap().contains("connection refused"));
			assert!(body["problems"]["backend cuda:0"].as_str().unwrap().contains("device lost"));
		},
		other => panic!("{other:?}"),
	}
	health.clear("node");
	health.clear("backend cuda:0");
	assert!(client_from(1).get_text(&url).await.is_ok());
}
