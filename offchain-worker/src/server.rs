//! The worker's HTTP server: proofs (PROTOCOL §5), `/health` and `/metrics`.
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
use tokio::sync::Semaphore;

use crate::{metrics::Metrics, store::DataDir};

/// The longest query string accepted (a 1,024-index request with 8-digit indices fits).
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// The proof server's limits.
#[derive(Clone, Debug)]
pub struct ServerLimits {
	/// The most indices one request may ask for.
	pub max_indices: usize,
	/// Requests per second each client IP may make, on average.
	pub rate_per_sec: f64,
	/// Requests a client may make in a burst.
	pub burst: f64,
	/// How long one request may take.
	pub request_timeout: Duration,
	/// Requests served at once (more get 503).
	pub max_in_flight: usize,
}

impl Default for ServerLimits {
	fn default() -> Self {
		Self {
			max_indices: 1024,
			rate_per_sec: 20.0,
			burst: 40.0,
			request_timeout: Duration::from_secs(10),
			max_in_flight: 64,
		}
	}
}

/// A token bucket per client IP.
struct RateLimiter {
	rate: f64,
	burst: f64,
	buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Past this many tracked clients, full buckets are forgotten.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimiter {
	/// `Ok` when `ip` may make a request now, else how long until it may.
	fn check(&self, ip: IpAddr) -> Result<(), Duration> {
		let now = Instant::now();
		let mut buckets = self.buckets.lock().expect("not poisoned");
		if buckets.len() > MAX_TRACKED_CLIENTS {
			let (rate, burst) = (self.rate, self.burst);
			buckets.retain(|_, (tokens, at)| {
				*tokens + now.duration_since(*at).as_secs_f64() * rate < burst
			});
		}
		let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
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
			limiter: RateLimiter {
				rate: limits.rate_per_sec,
				burst: limits.burst,
				buckets: Mutex::default(),
			},
			in_flight: Semaphore::new(limits.max_in_flight),
			limits,
			readers: Mutex::default(),
			identity,
		})
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

/// The router (proofs, health, metrics). Serve it with connect info:
/// `axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())`.
pub fn router(state: Arc<ServerState>) -> Router {
	Router::new()
		.route("/v1/sprint/:epoch/proofs", get(proofs))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
	listener: tokio::net::TcpListener,
	state: Arc<ServerState>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
		.with_graceful_shutdown(shutdown)
		.await
}

fn refuse(state: &ServerState, status: StatusCode, reason: String) -> Response {
	state.metrics.proof_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
		state.metrics.proof_rate_limited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
			state.metrics.proof_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

async fn health(State(state): State<Arc<ServerState>>) -> Response {
	use std::sync::atomic::Ordering::Relaxed;
	let m = &state.metrics;
	let mut body = serde_json::json!({
		"status": "ok",
		"chainConnected": m.connected.load(Relaxed) == 1,
		"epoch": m.epoch.load(Relaxed),
		"bestBlock": m.best_block.load(Relaxed),
		"lastCommitEpoch": m.last_commit_epoch.load(Relaxed),
	});
	if let (Some(b), Some(id)) = (body.as_object_mut(), state.identity.as_object()) {
		b.extend(id.clone());
	}
	([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
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
		let limiter = RateLimiter { rate: 1000.0, burst: 2.0, buckets: Mutex::default() };
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
}
