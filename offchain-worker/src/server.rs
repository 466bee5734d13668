//! The worker's HTTP servers: the public proof server (proofs, PROTOCOL §5, and `/health`) and
//! the metrics server (`/metrics` and `/health`, on `--metrics-listen`, localhost by default).
//!
//! `GET /v1/sprint/{epoch}/proofs?indices=i,j,…` answers `200` with the SCALE
//! `Vec<SampleProof>` (`application/octet-stream`): per requested index, in the order asked, the
//! leaf's proof and its neighbour's (PROTOCOL §5). Refusals carry a plain-text reason:
//!
//! | status | when |
//! |---|---|
//! | 400 | `indices` missing, not numbers, more than `max_indices`, or one out of range |
//! | 404 | no commitment of that epoch on this worker (not committed, or pruned) |
//! | 414 | the query is longer than [`MAX_QUERY_BYTES`] |
//! | 429 | this client (by IP) went over its rate limit; `Retry-After` says when to come back |
//! | 503 | too many requests in flight |
//! | 504 | the proofs took longer than the request time limit |
//!
//! Proofs are read from the data directory, so they survive restarts.
//!
//! The serve loop is hyper's HTTP/1 connection builder driven by hand (not `axum::serve`), so a
//! client cannot hold the server open:
//!
//! * a connection that has not sent a whole request head within [`ServerLimits::header_timeout`]
//!   is closed — a slowloris client and an idle keep-alive connection alike;
//! * a request takes at most [`ServerLimits::request_timeout`] (then `504`);
//! * at most [`ServerLimits::max_connections`] connections are open, and at most
//!   [`ServerLimits::max_connections_per_client`] from one client; a connection over either cap is
//!   closed at once;
//! * a *client* is an IPv4 address or an IPv6 /64 ([`ClientKey`]): one machine owns a whole /64,
//!   so per-address limits would not hold it;
//! * shutdown stops accepting, lets requests in progress finish for
//!   [`ServerLimits::shutdown_grace`], then drops every connection still open.

use std::{
	collections::HashMap,
	net::{IpAddr, SocketAddr},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use axum::{
	extract::{ConnectInfo, Path, RawQuery, State},
	http::{header, HeaderValue, StatusCode},
	response::{IntoResponse, Response},
	routing::get,
	Router,
};
use codec::Encode;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};
use tower::Service as _;

use crate::{health::Health, metrics::Metrics, store::DataDir};

/// The longest query string accepted (a 1,024-index request with 8-digit indices fits).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// The proof server's limits.
#[derive(Clone, Debug)]
pub struct ServerLimits {
	/// The most indices one request may ask for.
	pub max_indices: usize,
	/// Requests per second each client ([`ClientKey`]) may make, on average.
	pub rate_per_sec: f64,
	/// Requests a client may make in a burst.
	pub burst: f64,
	/// How long one request may take.
	pub request_timeout: Duration,
	/// Requests served at once (more get 503).
	pub max_in_flight: usize,
	/// How long a connection may take to send a request's head (and may sit idle between two
	/// requests) before it is closed.
	pub header_timeout: Duration,
	/// Connections open at once; more are closed as soon as they are accepted.
	pub max_connections: usize,
	/// Connections open at once from one client.
	pub max_connections_per_client: usize,
	/// How long shutdown waits for requests in progress before dropping their connections.
	pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
	fn default() -> Self {
		Self {
			max_indices: 1024,
			rate_per_sec: 20.0,
			burst: 40.0,
			request_timeout: Duration::from_secs(10),
			max_in_flight: 64,
			header_timeout: Duration::from_secs(5),
			max_connections: 512,
			max_connections_per_client: 16,
			shutdown_grace: Duration::from_secs(5),
		}
	}
}

/// A limit of [`ServerLimits`] outside what the server can work with; refused at start-up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("proof server: {name} = {value} is out of range: {expected}")]
pub struct LimitError {
	/// The setting, as the command line names it (`--rate-limit`).
	pub name: &'static str,
	pub value: String,
	pub expected: &'static str,
}

/// The largest per-client rate accepted (requests/s): above it the limit protects nothing.
pub const MAX_RATE_PER_SEC: f64 = 10_000.0;

impl ServerLimits {
	/// Checks every limit: a zero, negative, non-finite or absurd value is refused (a zero rate
	/// would refuse every validator; an unbounded one would let one client take the server).
	pub fn validate(&self) -> Result<(), LimitError> {
		let err = |name, value: String, expected| Err(LimitError { name, value, expected });
		let rate = self.rate_per_sec;
		if !rate.is_finite() || rate <= 0.0 || rate > MAX_RATE_PER_SEC {
			return err(
				"--rate-limit",
				rate.to_string(),
				"more than 0 and at most 10000 requests/s",
			);
		}
		let burst = self.burst;
		if !burst.is_finite() || !(1.0..=100_000.0).contains(&burst) {
			return err("--rate-burst", burst.to_string(), "from 1 to 100000 requests");
		}
		if !(1..=65_536).contains(&self.max_indices) {
			return err("max indices", self.max_indices.to_string(), "from 1 to 65536");
		}
		let secs = |d: Duration| format!("{d:?}");
		for (name, d) in [
			("request timeout", self.request_timeout),
			("--header-timeout-secs", self.header_timeout),
		] {
			if d.is_zero() || d > Duration::from_secs(600) {
				return err(name, secs(d), "more than 0 and at most 600 s");
			}
		}
		if self.shutdown_grace > Duration::from_secs(600) {
			return err("shutdown grace", secs(self.shutdown_grace), "at most 600 s");
		}
		if !(1..=100_000).contains(&self.max_in_flight) {
			return err("max in flight", self.max_in_flight.to_string(), "from 1 to 100000");
		}
		if !(1..=100_000).contains(&self.max_connections) {
			return err("--max-connections", self.max_connections.to_string(), "from 1 to 100000");
		}
		if self.max_connections_per_client == 0
			|| self.max_connections_per_client > self.max_connections
		{
			return err(
				"--max-connections-per-client",
				self.max_connections_per_client.to_string(),
				"from 1 to --max-connections",
			);
		}
		Ok(())
	}
}

/// Who a limit counts against: an IPv4 address (an IPv4-mapped IPv6 address counts as its IPv4
/// address), or the /64 network of an IPv6 address (one subscriber's allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
	V4([u8; 4]),
	V6Net([u8; 8]),
}

impl ClientKey {
	pub fn of(ip: IpAddr) -> Self {
		match ip {
			IpAddr::V4(v4) => Self::V4(v4.octets()),
			IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
				Some(v4) => Self::V4(v4.octets()),
				None => {
					let mut net = [0u8; 8];
					net.copy_from_slice(&v6.octets()[..8]);
					Self::V6Net(net)
				},
			},
		}
	}
}

/// A token bucket per client.
pub struct RateLimiter {
	rate: f64,
	burst: f64,
	buckets: Mutex<HashMap<ClientKey, (f64, Instant)>>,
}

/// Past this many tracked clients, full buckets are forgotten.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
	pub fn new(rate: f64, burst: f64) -> Self {
		Self { rate, burst, buckets: Mutex::default() }
	}

	/// `Ok` when the client at `ip` may make a request now, else how long until it may.
	pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
		let key = ClientKey::of(ip);
		let now = Instant::now();
		let mut buckets = self.buckets.lock().expect("not poisoned");
		if buckets.len() > MAX_TRACKED_CLIENTS {
			let (rate, burst) = (self.rate, self.burst);
			buckets.retain(|_, (tokens, at)| {
				*tokens + now.duration_since(*at).as_secs_f64() * rate < burst
			});
		}
		let (tokens, at) = buckets.entry(key).or_insert((self.burst, now));
		*tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
		*at = now;
		if *tokens >= 1.0 {
			*tokens -= 1.0;
			Ok(())
		} else {
			Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
		}
	}
}

/// What the handlers share.
pub struct ServerState {
	data: Arc<DataDir>,
	metrics: Arc<Metrics>,
	limits: ServerLimits,
	limiter: RateLimiter,
	in_flight: Semaphore,
	readers: Mutex<HashMap<u32, Arc<crate::store::ProofReader>>>,
	/// `/health`'s extra fields (host, worker key).
	identity: serde_json::Value,
	health: Arc<Health>,
}

impl ServerState {
	pub fn new(
		data: Arc<DataDir>,
		metrics: Arc<Metrics>,
		limits: ServerLimits,
		identity: serde_json::Value,
	) -> Arc<Self> {
		Arc::new(Self {
			data,
			metrics,
			limiter: RateLimiter::new(limits.rate_per_sec, limits.burst),
			in_flight: Semaphore::new(limits.max_in_flight),
			limits,
			readers: Mutex::default(),
			identity,
			health: Arc::default(),
		})
	}

	/// Reports `health`'s problems on `/health` (a new state reports none).
	pub fn with_health(self: Arc<Self>, health: Arc<Health>) -> Arc<Self> {
		let mut state = Arc::try_unwrap(self).unwrap_or_else(|_| {
			panic!("ServerState::with_health is called before the state is shared")
		});
		state.health = health;
		Arc::new(state)
	}

	fn reader(&self, epoch: u32) -> Result<Arc<crate::store::ProofReader>, String> {
		if let Some(r) = self.readers.lock().expect("not poisoned").get(&epoch) {
			return Ok(r.clone());
		}
		let reader = Arc::new(self.data.proofs(epoch).map_err(|e| e.to_string())?);
		let mut readers = self.readers.lock().expect("not poisoned");
		// Keep the readers of the last few epochs (each holds two file handles).
		if readers.len() >= 4 {
			if let Some(&oldest) = readers.keys().min() {
				readers.remove(&oldest);
			}
		}
		readers.insert(epoch, reader.clone());
		Ok(reader)
	}
}

/// The proof server's router (proofs, health). Its handlers read the client's address from the
/// request's `ConnectInfo<SocketAddr>` extension, which [`serve`] adds.
pub fn router(state: Arc<ServerState>) -> Router {
	Router::new()
		.route("/v1/sprint/:epoch/proofs", get(proofs))
		.route("/health", get(health))
		.with_state(state)
}

/// The metrics server's router: `/metrics` (Prometheus text format) and `/health`.
pub fn metrics_router(state: Arc<ServerState>) -> Router {
	Router::new().route("/metrics", get(metrics)).route("/health", get(health)).with_state(state)
}

/// Open connections per client, and a slot that gives its place back when dropped.
#[derive(Default)]
struct ClientSlots(Mutex<HashMap<ClientKey, usize>>);

struct ClientSlot {
	slots: Arc<ClientSlots>,
	key: ClientKey,
}

impl ClientSlots {
	fn take(self: &Arc<Self>, key: ClientKey, max: usize) -> Option<ClientSlot> {
		let mut open = self.0.lock().expect("not poisoned");
		let n = open.entry(key).or_insert(0);
		if *n >= max {
			return None;
		}
		*n += 1;
		Some(ClientSlot { slots: self.clone(), key })
	}
}

impl Drop for ClientSlot {
	fn drop(&mut self) {
		let mut open = self.slots.0.lock().expect("not poisoned");
		if let Some(n) = open.get_mut(&self.key) {
			*n -= 1;
			if *n == 0 {
				open.remove(&self.key);
			}
		}
	}
}

/// Serves [`router`] on `listener` until `shutdown` resolves, within `state`'s limits (module
/// docs); then waits at most [`ServerLimits::shutdown_grace`] for requests in progress.
pub async fn serve(
	listener: tokio::net::TcpListener,
	state: Arc<ServerState>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	let limits = state.limits.clone();
	serve_router(
		listener,
		router(state.clone()),
		&limits,
		Some(state.metrics.clone()),
		"proof server",
		shutdown,
	)
	.await
}

/// Serves [`metrics_router`] on `listener` until `shutdown` resolves, within the same limits as
/// the proof server (its connections are not counted in the proof server's metrics).
pub async fn serve_metrics(
	listener: tokio::net::TcpListener,
	state: Arc<ServerState>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	let limits = state.limits.clone();
	serve_router(listener, metrics_router(state), &limits, None, "metrics server", shutdown).await
}

/// The hardened serve loop of every server of the worker (proofs, metrics, the inference API):
/// `app` on `listener` within `limits` (see the module's documentation) until `shutdown`
/// resolves. With `metrics`, connections and refusals are counted as the proof server's.
pub async fn serve_router(
	listener: tokio::net::TcpListener,
	app: Router,
	limits: &ServerLimits,
	metrics: Option<Arc<Metrics>>,
	name: &'static str,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	let limits = limits.clone();
	let mut http = hyper::server::conn::http1::Builder::new();
	http.timer(TokioTimer::new())
		.header_read_timeout(limits.header_timeout)
		.max_buf_size(64 * 1024)
		.keep_alive(true);
	let connections = Arc::new(Semaphore::new(limits.max_connections));
	let per_client = Arc::new(ClientSlots::default());
	let (stop_tx, stop_rx) = watch::channel(false);
	let mut tasks = tokio::task::JoinSet::new();
	tokio::pin!(shutdown);
	loop {
		while tasks.try_join_next().is_some() {}
		let (stream, peer) = tokio::select! {
			_ = &mut shutdown => break,
			accepted = listener.accept() => match accepted {
				Ok(a) => a,
				Err(e) => {
					// Out of file descriptors and the like: pause instead of spinning.
					tracing::warn!(target: "gonka::server", "accepting a connection: {e}");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				},
			},
		};
		let Ok(permit) = connections.clone().try_acquire_owned() else {
			if let Some(m) = &metrics {
				m.connections_refused.inc();
			}
			tracing::debug!(target: "gonka::server", "closing {peer}: {} connections open", limits.max_connections);
			continue;
		};
		let Some(slot) =
			per_client.take(ClientKey::of(peer.ip()), limits.max_connections_per_client)
		else {
			if let Some(m) = &metrics {
				m.connections_refused.inc();
			}
			tracing::debug!(target: "gonka::server", "closing {peer}: its client has {} connections open", limits.max_connections_per_client);
			continue;
		};
		let _ = stream.set_nodelay(true);
		let app = app.clone();
		let request_timeout = limits.request_timeout;
		let counted = metrics.clone();
		let service = hyper::service::service_fn(
			move |mut request: hyper::Request<hyper::body::Incoming>| {
				request.extensions_mut().insert(ConnectInfo(peer));
				let mut app = app.clone();
				let counted = counted.clone();
				async move {
					match tokio::time::timeout(request_timeout, app.call(request)).await {
						Ok(response) => response,
						Err(_) => {
							if let Some(m) = &counted {
								m.proof_refused.inc();
							}
							Ok((
								StatusCode::GATEWAY_TIMEOUT,
								format!("the request took longer than {request_timeout:?}\n"),
							)
								.into_response())
						},
					}
				}
			},
		);
		let connection = http.serve_connection(TokioIo::new(stream), service);
		let mut stop = stop_rx.clone();
		let open = metrics.clone();
		tasks.spawn(async move {
			let _held = (permit, slot);
			if let Some(m) = &open {
				m.connections_open.inc();
			}
			tokio::pin!(connection);
			let outcome = tokio::select! {
				r = connection.as_mut() => r,
				() = async { let _ = stop.wait_for(|s| *s).await; } => {
					// Finish the request in progress (if any), then close.
					connection.as_mut().graceful_shutdown();
					connection.await
				},
			};
			if let Some(m) = &open {
				m.connections_open.dec();
			}
			if let Err(e) = outcome {
				tracing::debug!(target: "gonka::server", "connection from {peer}: {e}");
			}
		});
	}
	drop(listener);
	let _ = stop_tx.send(true);
	let grace = limits.shutdown_grace;
	let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} });
	if drained.await.is_err() {
		tracing::warn!(
			target: "gonka::server",
			"{name}: {} connection(s) still open {grace:?} after shutdown; dropping them",
			tasks.len()
		);
		tasks.abort_all();
		while tasks.join_next().await.is_some() {}
	}
	Ok(())
}

fn refuse(state: &ServerState, status: StatusCode, reason: String) -> Response {
	state.metrics.proof_refused.inc();
	(status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], reason + "\n").into_response()
}

/// Parses `indices=1,2,3` out of a query string.
pub fn parse_indices(query: &str, max: usize) -> Result<Vec<u64>, String> {
	let value = query
		.split('&')
		.find_map(|kv| kv.strip_prefix("indices="))
		.ok_or("missing query parameter `indices` (e.g. ?indices=0,17,42)")?;
	let value = value.replace("%2C", ",").replace("%2c", ",");
	if value.is_empty() {
		return Err("`indices` is empty".into());
	}
	let mut out = Vec::new();
	for part in value.split(',') {
		if out.len() == max {
			return Err(format!("too many indices: at most {max} per request"));
		}
		out.push(
			part.parse::<u64>()
				.map_err(|_| format!("`{part}` in `indices` is not a leaf index"))?,
		);
	}
	Ok(out)
}

async fn proofs(
	State(state): State<Arc<ServerState>>,
	ConnectInfo(peer): ConnectInfo<SocketAddr>,
	Path(epoch): Path<String>,
	RawQuery(query): RawQuery,
) -> Response {
	if let Err(wait) = state.limiter.check(peer.ip()) {
		state.metrics.proof_rate_limited.inc();
		let mut r = refuse(
			&state,
			StatusCode::TOO_MANY_REQUESTS,
			format!(
				"rate limit: at most {} requests/s per client (burst {}); retry in {} ms",
				state.limits.rate_per_sec,
				state.limits.burst,
				wait.as_millis()
			),
		);
		let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
		r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
		return r;
	}
	let Ok(epoch) = epoch.parse::<u32>() else {
		return refuse(
			&state,
			StatusCode::BAD_REQUEST,
			format!("`{epoch}` is not an epoch number"),
		);
	};
	let query = query.unwrap_or_default();
	if query.len() > MAX_QUERY_BYTES {
		return refuse(
			&state,
			StatusCode::URI_TOO_LONG,
			format!("query of {} bytes; at most {MAX_QUERY_BYTES}", query.len()),
		);
	}
	let indices = match parse_indices(&query, state.limits.max_indices) {
		Ok(i) => i,
		Err(reason) => return refuse(&state, StatusCode::BAD_REQUEST, reason),
	};
	let Ok(_permit) = state.in_flight.try_acquire() else {
		return refuse(
			&state,
			StatusCode::SERVICE_UNAVAILABLE,
			"too many requests in flight; retry shortly".into(),
		);
	};
	let worker = state.clone();
	let count = indices.len() as u64;
	let job = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, (StatusCode, String)> {
		let reader = worker.reader(epoch).map_err(|reason| (StatusCode::NOT_FOUND, reason))?;
		let mut out = Vec::with_capacity(indices.len());
		for index in indices {
			out.push(
				reader.sample_proof(index).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?,
			);
		}
		Ok(out.encode())
	});
	match tokio::time::timeout(state.limits.request_timeout, job).await {
		Ok(Ok(Ok(body))) => {
			state.metrics.proof_requests.inc();
			state.metrics.proofs_served.inc_by(count);
			([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
		},
		Ok(Ok(Err((status, reason)))) => refuse(&state, status, reason),
		Ok(Err(e)) => refuse(&state, StatusCode::INTERNAL_SERVER_ERROR, format!("internal: {e}")),
		Err(_) => refuse(
			&state,
			StatusCode::GATEWAY_TIMEOUT,
			format!("proofs took longer than {:?}", state.limits.request_timeout),
		),
	}
}

/// `200` with `"status": "ok"` when nothing is wrong; `503` with `"status": "unhealthy"` and
/// every problem (`"problems": {"node": "lost the node …"}`) otherwise.
async fn health(State(state): State<Arc<ServerState>>) -> Response {
	let m = &state.metrics;
	let problems = state.health.problems();
	let code = if problems.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
	let mut body = serde_json::json!({
		"status": if problems.is_empty() { "ok" } else { "unhealthy" },
		"problems": problems
			.into_iter()
			.map(|(c, r)| (c, serde_json::Value::String(r)))
			.collect::<serde_json::Map<_, _>>(),
		"chainConnected": m.connected.get() == 1,
		"epoch": m.epoch.get(),
		"bestBlock": m.best_block.get(),
		"lastCommitEpoch": m.last_commit_epoch.get(),
	});
	if let (Some(b), Some(id)) = (body.as_object_mut(), state.identity.as_object()) {
		b.extend(id.clone());
	}
	(code, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn metrics(State(state): State<Arc<ServerState>>) -> Response {
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn indices_are_parsed_and_bounded() {
		assert_eq!(parse_indices("indices=0,17,42", 10).unwrap(), vec![0, 17, 42]);
		assert_eq!(parse_indices("x=1&indices=3%2C4", 10).unwrap(), vec![3, 4]);
		assert!(parse_indices("", 10).unwrap_err().contains("missing"));
		assert!(parse_indices("indices=", 10).unwrap_err().contains("empty"));
		assert!(parse_indices("indices=1,x", 10).unwrap_err().contains("`x`"));
		assert!(parse_indices("indices=1,-2", 10).is_err());
		assert!(parse_indices("indices=1,2,3", 2).unwrap_err().contains("at most 2"));
	}

	#[test]
	fn rate_limit_refills() {
		let limiter = RateLimiter::new(1000.0, 2.0);
		let ip: IpAddr = [127, 0, 0, 1].into();
		let other: IpAddr = [127, 0, 0, 2].into();
		assert!(limiter.check(ip).is_ok());
		assert!(limiter.check(ip).is_ok());
		let wait = limiter.check(ip).unwrap_err();
		assert!(wait <= Duration::from_millis(1), "{wait:?}");
		assert!(limiter.check(other).is_ok(), "another client is not limited");
		std::thread::sleep(Duration::from_millis(5));
		assert!(limiter.check(ip).is_ok());
	}

	#[test]
	fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
		let ip = |s: &str| s.parse::<IpAddr>().unwrap();
		let key = |s: &str| ClientKey::of(ip(s));
		assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
		assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
		assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
		assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
		// One /64 shares one bucket: a flood from many addresses of it is limited as one client.
		let limiter = RateLimiter::new(0.001, 3.0);
		for i in 1..=3 {
			assert!(limiter.check(ip(&format!("2001:db8::{i}"))).is_ok());
		}
		assert!(limiter.check(ip("2001:db8::ffff")).is_err(), "the fourth from the /64");
		assert!(limiter.check(ip("2001:db8:0:1::1")).is_ok(), "the next /64 is another client");
	}

	#[test]
	fn absurd_limits_are_refused() {
		let ok = ServerLimits::default();
		assert_eq!(ok.validate(), Ok(()));
		let with = |f: fn(&mut ServerLimits)| {
			let mut l = ServerLimits::default();
			f(&mut l);
			l.validate().unwrap_err()
		};
		assert_eq!(with(|l| l.rate_per_sec = 0.0).name, "--rate-limit");
		assert_eq!(with(|l| l.rate_per_sec = -1.0).name, "--rate-limit");
		assert_eq!(with(|l| l.rate_per_sec = f64::NAN).name, "--rate-limit");
		assert_eq!(with(|l| l.rate_per_sec = 1e9).name, "--rate-limit");
		assert_eq!(with(|l| l.burst = 0.5).name, "--rate-burst");
		assert_eq!(with(|l| l.header_timeout = Duration::ZERO).name, "--header-timeout-secs");
		assert_eq!(with(|l| l.max_connections = 0).name, "--max-connections");
		assert_eq!(
			with(|l| l.max_connections_per_client = l.max_connections + 1).name,
			"--max-connections-per-client"
		);
		let e = with(|l| l.rate_per_sec = 0.0).to_string();
		assert!(e.contains("--rate-limit = 0") && e.contains("at most 10000"), "{e}");
	}
}
