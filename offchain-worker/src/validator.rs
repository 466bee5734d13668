//! Judging one host (PROTOCOL §6): fetch the sampled leaves from its proof server, check their
//! paths, re-compute their distances with this worker's backend, and run the binomial test.
//!
//! The retries across the Validation window, and the verdict for a host that never answered,
//! are the worker loop's ([`crate::worker`]); this module judges one answer.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use codec::Decode;
use gonka_kernels::{
	audit_proofs,
	merkle::{Hash, MAX_SAMPLE_PROOF_BYTES},
	sample_indices,
	validation::{check_bit, confirms_hit},
	Fault, FraudTest, HostKey, SampleProof, Seed, Verdict,
};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};

pub use crate::backend::SharedBackend;

/// Why a host's proofs could not be had. All of these are retried; a host that never gives a
/// usable answer is judged `Unreachable` at the end of the window (PROTOCOL §6: not accepted,
/// never slashed).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	#[error("{endpoint} is not a usable http(s):// endpoint: {reason}")]
	BadEndpoint { endpoint: String, reason: String },
	/// The TLS handshake failed: an untrusted or expired certificate, a name mismatch, no TLS.
	#[error("TLS with {url} failed: {reason}")]
	Tls { url: String, reason: String },
	/// PROTOCOL §1: validators never fetch from loopback, private, link-local or multicast
	/// addresses, so a host cannot aim the committee at internal services.
	#[error(
		"refusing to fetch {endpoint}: it resolves to {addr}, {kind}; validators fetch only from \
		 public addresses (a development network starts its workers with \
		 --allow-private-endpoints)"
	)]
	ForbiddenAddress { endpoint: String, addr: std::net::IpAddr, kind: &'static str },
	#[error("cannot reach {url}: {reason}")]
	Unreachable { url: String, reason: String },
	#[error("{url} answered {status}: {reason}")]
	Status { url: String, status: u16, reason: String },
	#[error("{url} sent more than {limit} bytes for {indices} proofs")]
	TooLarge { url: String, limit: usize, indices: usize },
	#[error("{url} sent an undecodable body ({bytes} bytes): {reason}")]
	Garbage { url: String, bytes: usize, reason: String },
	#[error("{url} did not answer within {after:?}")]
	Timeout { url: String, after: Duration },
	/// This worker could not re-compute (its own fault: never a reason to vote invalid).
	#[error("this worker's backend failed: {reason}")]
	LocalBackend { reason: String },
}

/// Fetches proofs over HTTP or HTTPS with a time and size limit, from public addresses only
/// unless [`ProofClient::allow_private_addresses`] was set: a name is resolved once, the address
/// is checked, and the connection goes to that address (no second lookup to rebind). HTTPS
/// verifies the host's certificate for the endpoint's name against the webpki roots (Mozilla's),
/// plus the CAs of [`ProofClient::with_extra_roots`] (a test network's own CA).
#[derive(Clone)]
pub struct ProofClient {
	client: Client<HttpConnector, Empty<Bytes>>,
	tls: tokio_rustls::TlsConnector,
	timeout: Duration,
	allow_private: bool,
	local: Option<std::net::IpAddr>,
	metrics: Option<Arc<crate::metrics::Metrics>>,
}

/// Where [`ProofClient::resolve`] sends a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
	/// The checked address to connect to.
	pub addr: std::net::SocketAddr,
	/// The `Host` header: the endpoint as written, without the scheme.
	pub authority: String,
	/// The name the certificate must carry, for `https://` endpoints.
	pub tls_name: Option<rustls_pki_types::ServerName<'static>>,
}

/// The TLS client configuration: webpki roots plus `extra` (DER certificates).
fn tls_config(
	extra: &[rustls_pki_types::CertificateDer<'static>],
) -> Result<rustls::ClientConfig, String> {
	let mut roots = rustls::RootCertStore::empty();
	let (_, ignored) =
		roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
	if ignored > 0 {
		tracing::debug!(target: "gonka::validator", "{ignored} webpki roots did not parse");
	}
	for cert in extra {
		roots.add(cert.clone()).map_err(|e| format!("an extra CA certificate: {e}"))?;
	}
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	Ok(rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| e.to_string())?
		.with_root_certificates(roots)
		.with_no_client_auth())
}

/// Reads the PEM certificates of `path` (an extra CA for `https://` peers).
pub fn read_ca_file(
	path: &std::path::Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
	use rustls_pki_types::pem::PemObject;
	let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(path)
		.map_err(|e| format!("--extra-ca-file {}: {e}", path.display()))?
		.collect::<Result<_, _>>()
		.map_err(|e| format!("--extra-ca-file {}: {e}", path.display()))?;
	if certs.is_empty() {
		return Err(format!("--extra-ca-file {}: no PEM certificate in it", path.display()));
	}
	Ok(certs)
}

/// Why `ip` is not a public address (PROTOCOL §1), or `None` if it is.
pub fn non_public_kind(ip: std::net::IpAddr) -> Option<&'static str> {
	use std::net::IpAddr;
	match ip {
		IpAddr::V4(v4) => {
			let [a, b, ..] = v4.octets();
			if v4.is_loopback() {
				Some("a loopback address")
			} else if v4.is_private() {
				Some("a private address")
			} else if v4.is_link_local() {
				Some("a link-local address (cloud metadata lives at 169.254.169.254)")
			} else if v4.is_multicast() || v4.is_broadcast() {
				Some("a multicast or broadcast address")
			} else if v4.is_unspecified() || a == 0 {
				Some("an unspecified address")
			} else if a == 100 && (64..128).contains(&b) {
				Some("a carrier-grade NAT (shared) address")
			} else {
				None
			}
		},
		IpAddr::V6(v6) => {
			if let Some(v4) = v6.to_ipv4_mapped() {
				return non_public_kind(IpAddr::V4(v4));
			}
			let first = v6.segments()[0];
			if v6.is_loopback() {
				Some("a loopback address")
			} else if v6.is_unspecified() {
				Some("an unspecified address")
			} else if v6.is_multicast() {
				Some("a multicast address")
			} else if first & 0xffc0 == 0xfe80 {
				Some("a link-local address")
			} else if first & 0xfe00 == 0xfc00 {
				Some("a unique local (private) address")
			} else {
				None
			}
		},
	}
}

/// The most bytes an honest answer for `n` sample proofs can take (each a leaf and its
/// neighbour with their paths), and the list's own length.
pub fn max_response_bytes(n: usize) -> usize {
	16 + n * MAX_SAMPLE_PROOF_BYTES
}

impl ProofClient {
	pub fn new(timeout: Duration) -> Self {
		Self::build(timeout, None)
	}

	/// A client whose connections leave from `local` (a machine with several addresses).
	pub fn with_local_address(timeout: Duration, local: std::net::IpAddr) -> Self {
		Self::build(timeout, Some(local))
	}

	fn build(timeout: Duration, local: Option<std::net::IpAddr>) -> Self {
		let mut connector = HttpConnector::new();
		connector.set_local_address(local);
		connector.set_connect_timeout(Some(timeout));
		connector.set_nodelay(true);
		let client = Client::builder(TokioExecutor::new()).build(connector);
		let tls = tls_config(&[]).expect("the webpki roots and ring make a TLS configuration; qed");
		Self {
			client,
			tls: Arc::new(tls).into(),
			timeout,
			allow_private: false,
			local,
			metrics: None,
		}
	}

	/// Records every proof fetch's duration and outcome in `metrics`
	/// (`gonka_worker_proof_fetch_seconds`).
	pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
		self.metrics = Some(metrics);
		self
	}

	/// Also trusts `roots` (DER CA certificates, e.g. from [`read_ca_file`]) for `https://`
	/// peers, besides the webpki roots.
	pub fn with_extra_roots(
		mut self,
		roots: &[rustls_pki_types::CertificateDer<'static>],
	) -> Result<Self, String> {
		self.tls = Arc::new(tls_config(roots)?).into();
		Ok(self)
	}

	/// Also fetch from loopback, private, link-local and multicast addresses: development
	/// networks and tests only (`--allow-private-endpoints`).
	pub fn allow_private_addresses(mut self, allow: bool) -> Self {
		self.allow_private = allow;
		self
	}

	/// Checks `endpoint` (PROTOCOL §1: `http(s)://host[:port]`), resolves its host once and
	/// checks the address: where to connect, the `Host` header, and for `https://` the name the
	/// certificate must carry.
	pub async fn resolve(&self, endpoint: &str) -> Result<Target, FetchError> {
		use gonka_primitives::EndpointHost;
		use std::net::{IpAddr, SocketAddr};
		let bad = |reason: &str| FetchError::BadEndpoint {
			endpoint: endpoint.into(),
			reason: reason.into(),
		};
		let parts =
			gonka_primitives::parse_endpoint(endpoint.as_bytes()).map_err(|e| bad(e.describe()))?;
		let port = parts.port.unwrap_or(if parts.tls { 443 } else { 80 });
		// The `Host` header: the endpoint as written, without the scheme.
		let authority =
			endpoint[if parts.tls { "https://".len() } else { "http://".len() }..].to_string();
		let tls_name = if parts.tls {
			let name = match &parts.host {
				EndpointHost::V4(o) => {
					rustls_pki_types::ServerName::IpAddress(IpAddr::from(*o).into())
				},
				EndpointHost::V6(text) => {
					let ip: std::net::Ipv6Addr =
						text.parse().map_err(|_| bad("the [IPv6] address does not parse"))?;
					rustls_pki_types::ServerName::IpAddress(IpAddr::V6(ip).into())
				},
				EndpointHost::Name(name) => {
					rustls_pki_types::ServerName::try_from(name.to_string())
						.map_err(|_| bad("the host name is not a valid TLS server name"))?
				},
			};
			Some(name)
		} else {
			None
		};
		let candidates: Vec<IpAddr> = match parts.host {
			EndpointHost::V4(o) => vec![IpAddr::from(o)],
			EndpointHost::V6(text) => {
				let ip: std::net::Ipv6Addr =
					text.parse().map_err(|_| bad("the [IPv6] address does not parse"))?;
				vec![IpAddr::V6(ip)]
			},
			EndpointHost::Name(name) => {
				let lookup = tokio::net::lookup_host((name, port));
				let found = tokio::time::timeout(self.timeout, lookup)
					.await
					.map_err(|_| FetchError::Timeout { url: endpoint.into(), after: self.timeout })?
					.map_err(|e| FetchError::Unreachable {
						url: endpoint.into(),
						reason: format!("cannot resolve {name}: {e}"),
					})?;
				found.map(|a| a.ip()).collect()
			},
		};
		let mut refused = None;
		for ip in candidates {
			match non_public_kind(ip) {
				Some(kind) if !self.allow_private => refused = refused.or(Some((ip, kind))),
				_ => {
					let addr = SocketAddr::new(ip, port);
					return Ok(Target { addr, authority, tls_name });
				},
			}
		}
		Err(match refused {
			Some((addr, kind)) => {
				FetchError::ForbiddenAddress { endpoint: endpoint.into(), addr, kind }
			},
			None => FetchError::Unreachable {
				url: endpoint.into(),
				reason: "its name resolves to no address".into(),
			},
		})
	}

	/// `GET path_and_query` from `target` over TLS within the time limit, the body cut off at
	/// `limit` bytes. One connection per request: the certificate is checked every time.
	async fn get_tls(
		&self,
		target: &Target,
		name: &rustls_pki_types::ServerName<'static>,
		path_and_query: &str,
		url: &str,
		limit: usize,
		indices: usize,
	) -> Result<(hyper::StatusCode, Bytes), FetchError> {
		let unreachable = |reason: String| FetchError::Unreachable { url: url.into(), reason };
		let work = async {
			let socket = match target.addr {
				std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
				std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
			}
			.map_err(|e| unreachable(e.to_string()))?;
			if let Some(local) = self.local {
				socket.bind((local, 0).into()).map_err(|e| unreachable(e.to_string()))?;
			}
			let tcp = socket.connect(target.addr).await.map_err(|e| unreachable(e.to_string()))?;
			let _ = tcp.set_nodelay(true);
			let tls = self
				.tls
				.connect(name.clone(), tcp)
				.await
				.map_err(|e| FetchError::Tls { url: url.into(), reason: error_chain(&e) })?;
			let (mut sender, connection) =
				hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
					.await
					.map_err(|e| unreachable(error_chain(&e)))?;
			let driver = tokio::spawn(connection);
			let request = hyper::Request::get(path_and_query)
				.header(hyper::header::HOST, &target.authority)
				.body(Empty::<Bytes>::new())
				.map_err(|e| FetchError::BadEndpoint {
					endpoint: url.into(),
					reason: e.to_string(),
				})?;
			let response =
				sender.send_request(request).await.map_err(|e| unreachable(error_chain(&e)))?;
			let status = response.status();
			let body = read_limited(response.into_body(), url, limit, indices).await?;
			driver.abort();
			Ok((status, body))
		};
		tokio::time::timeout(self.timeout, work)
			.await
			.map_err(|_| FetchError::Timeout { url: url.into(), after: self.timeout })?
	}

	/// `GET uri` within the time limit, its body cut off at `limit` bytes: status and body.
	/// `url` names the request in errors.
	async fn get(
		&self,
		uri: hyper::Uri,
		host: Option<&str>,
		url: &str,
		limit: usize,
		indices: usize,
	) -> Result<(hyper::StatusCode, Bytes), FetchError> {
		let mut request = hyper::Request::get(uri);
		if let Some(host) = host {
			request = request.header(hyper::header::HOST, host);
		}
		let request = request
			.body(Empty::new())
			.map_err(|e| FetchError::BadEndpoint { endpoint: url.into(), reason: e.to_string() })?;
		let work = async {
			let response = self.client.request(request).await.map_err(|e| {
				FetchError::Unreachable { url: url.into(), reason: error_chain(&e) }
			})?;
			let status = response.status();
			Ok((status, read_limited(response.into_body(), url, limit, indices).await?))
		};
		tokio::time::timeout(self.timeout, work)
			.await
			.map_err(|_| FetchError::Timeout { url: url.into(), after: self.timeout })?
	}

	/// `GET url` as text (at most 1 MiB), for `/health` and `/metrics`.
	pub async fn get_text(&self, url: &str) -> Result<String, FetchError> {
		let uri: hyper::Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| {
			FetchError::BadEndpoint { endpoint: url.into(), reason: e.to_string() }
		})?;
		let (status, body) = self.get(uri, None, url, 1 << 20, 0).await?;
		let text = String::from_utf8_lossy(&body).into_owned();
		if !status.is_success() {
			return Err(FetchError::Status {
				url: url.into(),
				status: status.as_u16(),
				reason: text,
			});
		}
		Ok(text)
	}

	/// `GET {endpoint}/v1/sprint/{epoch}/proofs?indices=…`, decoded.
	pub async fn fetch(
		&self,
		endpoint: &str,
		epoch: u32,
		indices: &[u64],
	) -> Result<Vec<SampleProof>, FetchError> {
		let started = std::time::Instant::now();
		let result = self.fetch_once(endpoint, epoch, indices).await;
		if let Some(m) = &self.metrics {
			let outcome = result.as_ref().map_or_else(crate::metrics::fetch_outcome, |_| "ok");
			m.proof_fetch.with_label_values(&[outcome]).observe(started.elapsed().as_secs_f64());
		}
		result
	}

	async fn fetch_once(
		&self,
		endpoint: &str,
		epoch: u32,
		indices: &[u64],
	) -> Result<Vec<SampleProof>, FetchError> {
		let target = self.resolve(endpoint).await?;
		let list: Vec<String> = indices.iter().map(u64::to_string).collect();
		let path = format!("/v1/sprint/{epoch}/proofs?indices={}", list.join(","));
		let short = format!("{endpoint}/v1/sprint/{epoch}/proofs");
		let limit = max_response_bytes(indices.len());
		let (status, bytes) = match &target.tls_name {
			Some(name) => self.get_tls(&target, name, &path, &short, limit, indices.len()).await?,
			None => {
				let url = format!("http://{}{path}", target.addr);
				let uri: hyper::Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| {
					FetchError::BadEndpoint { endpoint: endpoint.into(), reason: e.to_string() }
				})?;
				self.get(uri, Some(&target.authority), &short, limit, indices.len()).await?
			},
		};
		if !status.is_success() {
			let reason = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).trim().to_string();
			return Err(FetchError::Status { url: short, status: status.as_u16(), reason });
		}
		let mut input = &bytes[..];
		let proofs = Vec::<SampleProof>::decode(&mut input).map_err(|e| FetchError::Garbage {
			url: short.clone(),
			bytes: bytes.len(),
			reason: e.to_string(),
		})?;
		if !input.is_empty() {
			return Err(FetchError::Garbage {
				url: short,
				bytes: bytes.len(),
				reason: format!("{} bytes after the proofs", input.len()),
			});
		}
		Ok(proofs)
	}
}

/// A response body, cut off at `limit` bytes (`TooLarge`), for plain and TLS fetches alike.
async fn read_limited(
	body: hyper::body::Incoming,
	url: &str,
	limit: usize,
	indices: usize,
) -> Result<Bytes, FetchError> {
	let body = Limited::new(body, limit).collect().await.map_err(|e| {
		if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
			FetchError::TooLarge { url: url.into(), limit, indices }
		} else {
			FetchError::Unreachable { url: url.into(), reason: e.to_string() }
		}
	})?;
	Ok(body.to_bytes())
}

fn error_chain(e: &dyn std::error::Error) -> String {
	let mut s = e.to_string();
	let mut source = e.source();
	while let Some(inner) = source {
		s.push_str(": ");
		s.push_str(&inner.to_string());
		source = inner.source();
	}
	s
}

/// What a validator needs to judge one host.
#[derive(Clone, Debug)]
pub struct HostToJudge {
	pub epoch: u32,
	/// The host's public key (its account id): the Sprint input's `pk`.
	pub host: HostKey,
	pub endpoint: String,
	pub root: Hash,
	pub count: u64,
}

/// The parameters shared by every host of an epoch.
#[derive(Clone, Debug)]
pub struct Judging {
	pub seed: Seed,
	pub sampling_seed: Seed,
	/// This validator's host key.
	pub validator: HostKey,
	pub sample_size: u32,
	/// The hit tolerance `ε` (PROTOCOL §4.5).
	pub tolerance: f32,
	/// The check bits' radius `r_mid` (PROTOCOL §6 step 5,
	/// [`gonka_kernels::validation::r_mid`]).
	pub r_mid: f32,
	pub test: FraudTest,
}

/// The outcome of judging an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
	pub verdict: Verdict,
	pub samples: u64,
	/// Structural faults (PROTOCOL §6): one makes the verdict `Invalid`.
	pub faults: Vec<(u64, Fault)>,
	/// Leaves whose f32 distance is not below `r_target + ε`.
	pub mismatches: u64,
	/// The binomial test's p-value of the mismatches (0 with a fault).
	pub p_value: f64,
	/// One check bit per requested index, in order (PROTOCOL §6 step 5): its leaf's path led
	/// to the root and its re-computed distance is below `r_mid`.
	pub bits: Vec<bool>,
}

/// The indices this validator samples from `host`.
pub fn sample_for(judging: &Judging, host: &HostToJudge) -> Vec<u64> {
	sample_indices(
		&judging.sampling_seed,
		&judging.validator,
		&host.host,
		host.count,
		judging.sample_size,
	)
}

/// Judges the proofs a host sent for `requested`: paths, neighbours and order (one fault is
/// `Invalid`), then the distances of the sampled nonces re-computed on `backend` and the
/// binomial test of the mismatches.
pub fn judge_proofs(
	backend: &SharedBackend,
	judging: &Judging,
	host: &HostToJudge,
	requested: &[u64],
	proofs: &[SampleProof],
) -> Result<Judgement, String> {
	let audit = audit_proofs(&host.root, host.count, requested, proofs);
	let samples = requested.len() as u64;
	// Every leaf whose path verifies is re-computed, faults elsewhere aside: its check bit is
	// what every other validator that samples it computes too.
	let mut distance: std::collections::HashMap<u64, f32> = std::collections::HashMap::new();
	if !audit.verified.is_empty() {
		backend
			.with(|backend| {
				let batch = backend.batch_size().max(1);
				for chunk in audit.verified.chunks(batch) {
					let nonces: Vec<u64> = chunk.iter().map(|(_, n)| *n).collect();
					let distances = backend
						.distances(&judging.seed, &host.host, &nonces)
						.map_err(|e| format!("re-computing distances: {e}"))?;
					distance.extend(chunk.iter().map(|(i, _)| *i).zip(distances));
				}
				Ok(())
			})
			.map_err(|e| e.to_string())?;
	}
	let bits: Vec<bool> = requested
		.iter()
		.map(|i| distance.get(i).is_some_and(|d| check_bit(*d, judging.r_mid)))
		.collect();
	if !audit.faults.is_empty() {
		return Ok(Judgement {
			verdict: Verdict::Invalid,
			samples,
			faults: audit.faults,
			mismatches: 0,
			p_value: 0.0,
			bits,
		});
	}
	let r_target = backend.model().r_target();
	let mismatches = audit
		.to_recompute
		.iter()
		.filter(|(i, _)| {
			!distance.get(i).is_some_and(|d| confirms_hit(*d, r_target, judging.tolerance))
		})
		.count() as u64;
	let (verdict, p_value) = judging.test.judge(samples, mismatches).map_err(|e| e.to_string())?;
	Ok(Judgement { verdict, samples, faults: Vec::new(), mismatches, p_value, bits })
}

/// A host judged by [`judge_hosts`].
#[derive(Clone, Debug)]
pub struct Judged {
	pub host: HostToJudge,
	pub verdict: Verdict,
	/// The answers' judgement; `None` when the host never gave a usable answer.
	pub judgement: Option<Judgement>,
	/// Fetches it took.
	pub attempts: u32,
	/// The last failed fetch, if any.
	pub last_error: Option<String>,
}

/// Judges `hosts` in rounds (at most 8 fetches at once): a host whose answer could be judged is
/// handed to `on_judged` at the end of its round; the others are fetched again after a pause
/// (1 s doubling to 5 s, cut short when the window closes). When `give_up()` says the window is
/// closing, every host still without a usable answer is judged `Unreachable` at once, without
/// another fetch, so its verdict can still be included — unless its last attempt failed on
/// this worker's own backend ([`FetchError::LocalBackend`]): no vote is cast on such a host (an
/// own failure is never a peer's fault). Returns those hosts with the failure, once every other
/// host was handed over (or `on_judged`'s error).
pub async fn judge_hosts<G, F, Fut, E>(
	client: &ProofClient,
	backend: &SharedBackend,
	judging: &Judging,
	hosts: Vec<HostToJudge>,
	mut give_up: G,
	mut on_judged: F,
) -> Result<Vec<(HostToJudge, String)>, E>
where
	G: FnMut() -> bool,
	F: FnMut(Vec<Judged>) -> Fut,
	Fut: std::future::Future<Output = Result<(), E>>,
{
	// (host, attempts, last error, whether the last error was this worker's own)
	let mut pending: Vec<(HostToJudge, u32, Option<String>, bool)> =
		hosts.into_iter().map(|h| (h, 0, None, false)).collect();
	let mut delay = Duration::from_secs(1);
	let mut first = true;
	while !pending.is_empty() {
		// Every host gets one attempt; after that, once the window is closing, whoever gave no
		// usable answer is judged at once, so the verdicts still reach the chain.
		if !first && give_up() {
			let (own, unreachable): (Vec<_>, Vec<_>) =
				pending.drain(..).partition(|(_, _, _, own)| *own);
			let unreachable = unreachable
				.into_iter()
				.map(|(host, attempts, last_error, _)| Judged {
					host,
					verdict: Verdict::Unreachable,
					judgement: None,
					attempts,
					last_error,
				})
				.collect::<Vec<_>>();
			if !unreachable.is_empty() {
				on_judged(unreachable).await?;
			}
			return Ok(own
				.into_iter()
				.map(|(host, _, last, _)| (host, last.unwrap_or_default()))
				.collect());
		}
		first = false;
		let slots = Arc::new(tokio::sync::Semaphore::new(8));
		let handles: Vec<_> = pending
			.iter()
			.map(|(h, _, _, _)| {
				let (client, backend, judging, h) =
					(client.clone(), backend.clone(), judging.clone(), h.clone());
				let slots = slots.clone();
				tokio::spawn(async move {
					let _slot = slots.acquire_owned().await;
					check_host(&client, &backend, &judging, &h).await
				})
			})
			.collect();
		let mut ready = Vec::new();
		let mut still = Vec::new();
		for ((host, attempts, last, _), handle) in pending.into_iter().zip(handles) {
			let result = handle
				.await
				.unwrap_or_else(|e| Err(FetchError::LocalBackend { reason: e.to_string() }));
			match result {
				Ok(j) => ready.push(Judged {
					host,
					verdict: j.verdict,
					judgement: Some(j),
					attempts: attempts + 1,
					last_error: last,
				}),
				Err(e) => {
					tracing::warn!(
						target: "gonka::validator",
						"epoch {}: host 0x{} (attempt {}): {e}",
						host.epoch,
						hex::encode(host.host),
						attempts + 1
					);
					let own = matches!(e, FetchError::LocalBackend { .. });
					still.push((host, attempts + 1, Some(e.to_string()), own));
				},
			}
		}
		pending = still;
		if !ready.is_empty() {
			on_judged(ready).await?;
		}
		if !pending.is_empty() {
			// Wait out the back-off, but not past the moment the window closes.
			let until = tokio::time::Instant::now() + delay;
			while tokio::time::Instant::now() < until && !give_up() {
				tokio::time::sleep(Duration::from_millis(250)).await;
			}
			delay = (delay * 2).min(Duration::from_secs(5));
		}
	}
	Ok(Vec::new())
}

/// Fetches and judges one host once. `Err` is a failed fetch, to be retried.
pub async fn check_host(
	client: &ProofClient,
	backend: &SharedBackend,
	judging: &Judging,
	host: &HostToJudge,
) -> Result<Judgement, FetchError> {
	let requested = sample_for(judging, host);
	let proofs = client.fetch(&host.endpoint, host.epoch, &requested).await?;
	let (backend, judging, host) = (backend.clone(), judging.clone(), host.clone());
	let judged = tokio::task::spawn_blocking(move || {
		judge_proofs(&backend, &judging, &host, &requested, &proofs)
	})
	.await
	.map_err(|e| e.to_string())
	.and_then(|r| r);
	// A failure to re-compute is this worker's problem, not the host's: never an invalid vote.
	judged.map_err(|reason| FetchError::LocalBackend { reason })
}

#[cfg(test)]
mod tests {
	use super::*;

	fn client() -> ProofClient {
		ProofClient::new(Duration::from_secs(5))
	}

	/// PROTOCOL §1: a validator never fetches from internal addresses, however they are
	/// written or whatever name resolves to them.
	#[tokio::test]
	async fn internal_addresses_are_refused_after_resolution() {
		for endpoint in [
			"http://127.0.0.1:9944",
			"http://10.1.2.3:8080",
			"http://172.16.0.1",
			"http://192.168.1.1:80",
			"http://169.254.169.254",
			"http://100.64.0.1",
			"http://0.0.0.0:8101",
			"http://224.0.0.1",
			"http://[::1]:9944",
			"http://[fe80::1]",
			"http://[fd00::1]",
			"http://[::ffff:127.0.0.1]:9944",
			"http://localhost:9944",
		] {
			match client().resolve(endpoint).await {
				Err(FetchError::ForbiddenAddress { addr, .. }) => {
					assert!(non_public_kind(addr).is_some(), "{endpoint}: {addr}")
				},
				other => panic!("{endpoint}: {other:?}"),
			}
		}
	}

	#[tokio::test]
	async fn paths_queries_and_user_info_are_refused_before_any_lookup() {
		for endpoint in [
			"http://203.0.113.7/admin",
			"http://203.0.113.7:80/",
			"http://203.0.113.7?x=1",
			"http://user@203.0.113.7",
			"ftp://203.0.113.7",
			"https://203.0.113.7/admin",
		] {
			assert!(
				matches!(client().resolve(endpoint).await, Err(FetchError::BadEndpoint { .. })),
				"{endpoint}"
			);
		}
	}

	#[tokio::test]
	async fn public_addresses_pass_and_the_dev_flag_allows_private_ones() {
		let t = client().resolve("http://203.0.113.7:8101").await.unwrap();
		assert_eq!(
			(t.addr.to_string(), t.authority.as_str()),
			("203.0.113.7:8101".into(), "203.0.113.7:8101")
		);
		assert_eq!(t.tls_name, None);
		let t = client().resolve("http://[2001:db8::1]").await.unwrap();
		assert_eq!(t.addr.to_string(), "[2001:db8::1]:80");
		let dev = client().allow_private_addresses(true);
		let t = dev.resolve("http://127.0.0.1:9944").await.unwrap();
		assert_eq!(
			(t.addr.to_string(), t.authority.as_str()),
			("127.0.0.1:9944".into(), "127.0.0.1:9944")
		);
		assert!(dev.resolve("http://localhost:8101").await.is_ok());
		// https: port 443 by default, the certificate checked for the name as written; the
		// address guard applies all the same.
		let t = client().resolve("https://203.0.113.7").await.unwrap();
		assert_eq!(t.addr.to_string(), "203.0.113.7:443");
		assert!(matches!(t.tls_name, Some(rustls_pki_types::ServerName::IpAddress(_))));
		let t = dev.resolve("https://localhost:8443").await.unwrap();
		assert_eq!(t.tls_name, Some(rustls_pki_types::ServerName::try_from("localhost").unwrap()));
		assert_eq!(t.authority, "localhost:8443");
		assert!(matches!(
			client().resolve("https://127.0.0.1:8443").await,
			Err(FetchError::ForbiddenAddress { .. })
		));
	}
}
