//! The OpenAI-compatible inference API (PROTOCOL §10): what developers call with any OpenAI
//! client.
//!
//! | route | |
//! |---|---|
//! | `POST /v1/chat/completions` | chat, through the model's chat template; `stream` (SSE) or JSON |
//! | `POST /v1/completions` | a plain prompt (text or token ids) |
//! | `GET /v1/models`, `GET /v1/models/{id}` | the model this worker serves |
//! | `GET /health` | `200` with the backend and the queue |
//!
//! Errors are OpenAI's error objects (`{"error": {"message", "type", "param", "code"}}`):
//! `400` a bad field (named in `param`), `context_length_exceeded`; `401` a missing or unknown
//! API key; `404` another model; `413` a body over `--max-request-bytes`; `429` the queue is full
//! (with `Retry-After`); `503` the engine stopped or failed.
//!
//! Streaming follows OpenAI's chunk order: a first chunk with the role, content deltas, a chunk
//! with `finish_reason`, a usage chunk (empty `choices`) when `stream_options.include_usage`,
//! then `data: [DONE]`. Text is streamed as it becomes final: an incomplete UTF-8 character or
//! the start of a stop string is held back until the next token decides it. A client that goes
//! away cancels its generation and frees its slot at the next step.
//!
//! Sampling is the engine's deterministic sampler: with a `seed`, the same request gives the same
//! completion (on this standalone server the request id is zero; on the network it is the
//! chain's). Parameters a request leaves out come from the model's generation_config.json.

pub mod metrics;
pub mod request;

use std::{
	collections::HashSet,
	net::SocketAddr,
	path::Path,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{SystemTime, UNIX_EPOCH},
};

use axum::{
	body::{Body, Bytes},
	extract::{Path as UrlPath, State},
	http::{header, HeaderMap, HeaderValue, StatusCode},
	response::{IntoResponse, Response},
	routing::{get, post},
	Router,
};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use gonka_llm::{
	generate::{FinishReason, Request, Token},
	scheduler::{Event, Scheduler, SubmitError},
	EngineError, Model,
};
use request::{Kind, Prompt};

use crate::server::{serve_router, ServerLimits};

/// An OpenAI-shaped error.
#[derive(Clone, Debug)]
pub struct ApiError {
	pub status: StatusCode,
	pub message: String,
	pub kind: &'static str,
	pub param: Option<String>,
	pub code: Option<&'static str>,
	pub retry_after: Option<u64>,
}

impl ApiError {
	fn new(
		status: StatusCode,
		kind: &'static str,
		code: Option<&'static str>,
		message: String,
	) -> Self {
		ApiError { status, message, kind, param: None, code, retry_after: None }
	}

	/// `400` naming the field.
	pub fn invalid(param: &str, message: String) -> Self {
		ApiError {
			param: Some(param.to_string()),
			..Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None, message)
		}
	}

	/// `400` about the body as a whole.
	pub fn invalid_body(message: String) -> Self {
		Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", None, message)
	}

	/// `400 context_length_exceeded`.
	pub fn context(param: &str, message: String) -> Self {
		ApiError {
			param: Some(param.to_string()),
			..Self::new(
				StatusCode::BAD_REQUEST,
				"invalid_request_error",
				Some("context_length_exceeded"),
				message,
			)
		}
	}

	fn body(&self) -> Value {
		json!({"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}})
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		let mut r =
			(self.status, [(header::CONTENT_TYPE, "application/json")], self.body().to_string())
				.into_response();
		if let Some(s) = self.retry_after {
			r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
		}
		r
	}
}

/// The API keys a server accepts: one per line of a file, `#` comments and blank lines ignored.
/// Only their blake2b hashes are kept.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys(HashSet<[u8; 32]>);

impl ApiKeys {
	fn hash(key: &str) -> [u8; 32] {
		gonka_kernels::hash::blake2_256(&[key.as_bytes()])
	}

	/// Reads a key file.
	pub fn from_file(path: &Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("--api-keys {}: {e}", path.display()))?;
		let mut keys = HashSet::new();
		for (i, line) in text.lines().enumerate() {
			let line = line.trim();
			if line.is_empty() || line.starts_with('#') {
				continue;
			}
			if line.contains(char::is_whitespace) || line.len() < 8 {
				return Err(format!(
					"--api-keys {} line {}: a key is one word of at least 8 characters",
					path.display(),
					i + 1
				));
			}
			keys.insert(Self::hash(line));
		}
		if keys.is_empty() {
			return Err(format!(
				"--api-keys {}: no keys in the file (leave --api-keys out to serve without keys)",
				path.display()
			));
		}
		Ok(ApiKeys(keys))
	}

	/// Whether a key is one of them.
	pub fn accepts(&self, key: &str) -> bool {
		self.0.contains(&Self::hash(key))
	}

	/// How many keys.
	pub fn len(&self) -> usize {
		self.0.len()
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.0.is_empty()
	}
}

/// What the API serves with.
pub struct ApiState {
	pub model: Arc<Model>,
	pub scheduler: Arc<Scheduler>,
	/// `None`: open (a local try).
	pub keys: Option<ApiKeys>,
	pub max_request_bytes: usize,
	/// Served on the metrics port, never here.
	pub metrics: Arc<metrics::ApiMetrics>,
	created: u64,
	next: AtomicU64,
}

impl ApiState {
	/// The state of a server of `model` on `scheduler`.
	pub fn new(
		model: Arc<Model>,
		scheduler: Arc<Scheduler>,
		keys: Option<ApiKeys>,
		max_request_bytes: usize,
	) -> Self {
		let metrics = Arc::new(metrics::ApiMetrics::new().watch(scheduler.clone()));
		ApiState {
			model,
			scheduler,
			keys,
			max_request_bytes,
			metrics,
			created: unix_now(),
			next: AtomicU64::new(0),
		}
	}

	/// A fresh 32-byte value (ids, seeds when none is given).
	fn fresh(&self) -> [u8; 32] {
		let n = self.next.fetch_add(1, Ordering::Relaxed);
		let nanos =
			SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
		let mut data = b"gonka/api".to_vec();
		data.extend_from_slice(&n.to_le_bytes());
		data.extend_from_slice(&nanos.to_le_bytes());
		data.extend_from_slice(&std::process::id().to_le_bytes());
		gonka_kernels::hash::blake2_256(&[&data])
	}
}

fn json_response(v: Value) -> JsonBody {
	JsonBody(v)
}

/// A JSON response body.
struct JsonBody(Value);

impl IntoResponse for JsonBody {
	fn into_response(self) -> Response {
		([(header::CONTENT_TYPE, "application/json")], self.0.to_string()).into_response()
	}
}

fn unix_now() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The API's limits: the proof server's serve loop, with room for long generations and many
/// clients behind one address.
pub fn default_limits() -> ServerLimits {
	ServerLimits {
		request_timeout: std::time::Duration::from_secs(600),
		max_in_flight: 1024,
		max_connections: 1024,
		max_connections_per_client: 128,
		shutdown_grace: std::time::Duration::from_secs(10),
		..ServerLimits::default()
	}
}

/// The API's router.
pub fn router(state: Arc<ApiState>) -> Router {
	Router::new()
		.route("/v1/chat/completions", post(chat))
		.route("/v1/completions", post(completions))
		.route("/v1/models", get(models))
		.route("/v1/models/:id", get(model))
		.route("/health", get(health))
		.fallback(|| async {
			ApiError::new(
				StatusCode::NOT_FOUND,
				"invalid_request_error",
				Some("unknown_url"),
				"unknown route; see /v1/chat/completions, /v1/completions, /v1/models".into(),
			)
		})
		.with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
	listener: tokio::net::TcpListener,
	state: Arc<ApiState>,
	limits: ServerLimits,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	serve_router(listener, router(state), &limits, None, "inference API", shutdown).await
}

/// Serves the API's metrics alone as `GET /metrics` (`serve`; `run` serves them with the
/// worker's) until `shutdown` resolves.
pub async fn serve_metrics(
	listener: tokio::net::TcpListener,
	metrics: Arc<metrics::ApiMetrics>,
	shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
	let app = Router::new().route(
		"/metrics",
		get(move || {
			let m = metrics.clone();
			async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], m.render()) }
		}),
	);
	let limits = ServerLimits {
		shutdown_grace: std::time::Duration::from_secs(1),
		..ServerLimits::default()
	};
	serve_router(listener, app, &limits, None, "metrics server", shutdown).await
}

/// Binds the API's address with an operator-readable error.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
	tokio::net::TcpListener::bind(addr)
		.await
		.map_err(|e| format!("cannot listen on {addr} for the inference API: {e} (is the port taken? pick --api-listen)"))
}

fn authorize(state: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
	let Some(keys) = &state.keys else { return Ok(()) };
	let unauthorized = |m: &str| {
		ApiError::new(
			StatusCode::UNAUTHORIZED,
			"invalid_request_error",
			Some("invalid_api_key"),
			m.into(),
		)
	};
	let value = headers
		.get(header::AUTHORIZATION)
		.ok_or_else(|| unauthorized("no API key: send `Authorization: Bearer <key>`"))?;
	let key = value
		.to_str()
		.ok()
		.and_then(|v| v.strip_prefix("Bearer "))
		.map(str::trim)
		.ok_or_else(|| unauthorized("the Authorization header must be `Bearer <key>`"))?;
	if keys.accepts(key) {
		Ok(())
	} else {
		Err(unauthorized("incorrect API key provided"))
	}
}

async fn read_body(state: &ApiState, body: Body) -> Result<Bytes, ApiError> {
	let limit = state.max_request_bytes;
	match http_body_util::Limited::new(body, limit).collect().await {
		Ok(c) => Ok(c.to_bytes()),
		Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
			Err(ApiError::new(
				StatusCode::PAYLOAD_TOO_LARGE,
				"invalid_request_error",
				Some("request_too_large"),
				format!("the request body is larger than this server's limit of {limit} bytes"),
			))
		},
		Err(e) => Err(ApiError::invalid_body(format!("reading the request body: {e}"))),
	}
}

async fn models(
	State(state): State<Arc<ApiState>>,
	headers: HeaderMap,
) -> Result<Response, ApiError> {
	authorize(&state, &headers)?;
	Ok(json_response(json!({"object": "list", "data": [model_object(&state)]})).into_response())
}

async fn model(
	State(state): State<Arc<ApiState>>,
	headers: HeaderMap,
	UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
	authorize(&state, &headers)?;
	if id != state.model.name {
		return Err(not_found(&state, &id));
	}
	Ok(json_response(model_object(&state)).into_response())
}

fn model_object(state: &ApiState) -> Value {
	json!({
		"id": state.model.name,
		"object": "model",
		"created": state.created,
		"owned_by": "gonka",
		"max_model_len": state.model.config.max_position_embeddings,
	})
}

fn not_found(state: &ApiState, id: &str) -> ApiError {
	ApiError {
		param: Some("model".into()),
		..ApiError::new(
			StatusCode::NOT_FOUND,
			"invalid_request_error",
			Some("model_not_found"),
			format!(
				"the model `{id}` is not served here; this worker serves `{}`",
				state.model.name
			),
		)
	}
}

async fn health(State(state): State<Arc<ApiState>>) -> Response {
	let s = state.scheduler.stats();
	json_response(json!({
		"status": "ok",
		"model": state.model.name,
		"backend": state.scheduler.backend_name(),
		"queued": s.queued.load(Ordering::Relaxed),
		"active": s.active.load(Ordering::Relaxed),
		"completed": s.completed.load(Ordering::Relaxed),
		"cancelled": s.cancelled.load(Ordering::Relaxed),
		"maxBatch": state.scheduler.config().max_batch,
	}))
	.into_response()
}

async fn chat(State(state): State<Arc<ApiState>>, headers: HeaderMap, body: Body) -> Response {
	let metrics = state.metrics.clone();
	let r =
		handle(state, headers, body, Kind::Chat).await.unwrap_or_else(IntoResponse::into_response);
	metrics.requests.with_label_values(&["chat", r.status().as_str()]).inc();
	r
}

async fn completions(
	State(state): State<Arc<ApiState>>,
	headers: HeaderMap,
	body: Body,
) -> Response {
	let metrics = state.metrics.clone();
	let r = handle(state, headers, body, Kind::Completion)
		.await
		.unwrap_or_else(IntoResponse::into_response);
	metrics.requests.with_label_values(&["completions", r.status().as_str()]).inc();
	r
}

/// A request accepted by the scheduler: its events and what the response needs.
struct Job {
	id: String,
	created: u64,
	model: String,
	kind: Kind,
	prompt_tokens: usize,
	include_usage: bool,
	logprobs: Option<usize>,
	events: mpsc::UnboundedReceiver<Event>,
	decoder: Decoder,
	fingerprint: String,
	timer: metrics::RequestTimer,
}

async fn handle(
	state: Arc<ApiState>,
	headers: HeaderMap,
	body: Body,
	kind: Kind,
) -> Result<Response, ApiError> {
	authorize(&state, &headers)?;
	let body = read_body(&state, body).await?;
	let context = state.model.config.max_position_embeddings;
	let parsed = request::parse(kind, &body, context)?;
	if parsed.model != state.model.name {
		return Err(not_found(&state, &parsed.model));
	}
	let tok = &state.model.tokenizer;
	let (prompt, param) = match &parsed.prompt {
		Prompt::Messages(m) => (
			tok.encode_chat(m, true, &parsed.template_vars)
				.map_err(|e| ApiError::invalid("messages", e.to_string()))?,
			"messages",
		),
		Prompt::Text(t) => {
			(tok.encode(t, true).map_err(|e| ApiError::invalid("prompt", e.to_string()))?, "prompt")
		},
		Prompt::Tokens(t) => (t.clone(), "prompt"),
	};
	if prompt.is_empty() {
		return Err(ApiError::invalid(param, format!("`{param}` gives no tokens")));
	}
	if prompt.len() >= context {
		return Err(ApiError::context(
			param,
			format!(
				"this model's maximum context length is {context} tokens; the {param} give {} tokens, leaving none to generate",
				prompt.len()
			),
		));
	}
	let max_tokens = match parsed.max_tokens {
		Some(m) if prompt.len() + m > context => {
			return Err(ApiError::context(
				"max_tokens",
				format!(
					"this model's maximum context length is {context} tokens; {} prompt tokens and max_tokens {m} would need {}",
					prompt.len(),
					prompt.len() + m
				),
			))
		},
		Some(m) => m,
		None => context - prompt.len(),
	};
	let seed = parsed.seed.unwrap_or_else(|| {
		let f = state.fresh();
		u64::from_le_bytes([f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]])
	});
	let req = Request {
		prompt: prompt.clone(),
		max_tokens,
		params: request::sampling(&parsed, state.model.generation.sampling),
		seed,
		request_id: [0; 32],
		stop_ids: state.model.stop_ids.clone(),
		top_logprobs: parsed.logprobs.unwrap_or(0),
	};
	state.scheduler.check(&req).map_err(|e| match e {
		EngineError::Sampling(m) => ApiError::invalid_body(m),
		other => ApiError::invalid_body(other.to_string()),
	})?;
	let (tx, rx) = mpsc::unbounded_channel();
	state.scheduler.submit(req, Box::new(move |e| tx.send(e).is_ok())).map_err(|e| match e {
		SubmitError::QueueFull { .. } => ApiError {
			retry_after: Some(1),
			..ApiError::new(
				StatusCode::TOO_MANY_REQUESTS,
				"rate_limit_error",
				Some("rate_limit_exceeded"),
				e.to_string(),
			)
		},
		SubmitError::Stopped => {
			ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "server_error", None, e.to_string())
		},
	})?;
	let id_bytes = state.fresh();
	let job = Job {
		id: format!(
			"{}-{}",
			if kind == Kind::Chat { "chatcmpl" } else { "cmpl" },
			hex::encode(&id_bytes[..12])
		),
		created: unix_now(),
		model: state.model.name.clone(),
		kind,
		prompt_tokens: prompt.len(),
		include_usage: parsed.include_usage,
		logprobs: parsed.logprobs,
		events: rx,
		decoder: Decoder::new(parsed.stop.clone()),
		fingerprint: format!("gonka-{}", state.scheduler.backend_name().replace(' ', "-")),
		timer: metrics::RequestTimer::start(state.metrics.clone(), prompt.len()),
	};
	if parsed.stream {
		Ok(stream(state, job))
	} else {
		complete(state, job).await
	}
}

/// Turns completion ids into text as it becomes final, and finds stop strings (the API's streams
/// and `gonka-worker generate`).
///
/// Decoding is incremental, as inference servers do it: each token's text is the difference
/// between decoding a short window ending with it and the same window without it (the window
/// starts at the previous token that completed text, so a SentencePiece leading space or a
/// byte-level character split over tokens comes out right). The cost per token is that of the
/// window, not of the completion so far. A token that leaves a character incomplete waits for the
/// next.
pub(crate) struct Decoder {
	ids: Vec<u32>,
	/// The window: ids from `prefix` on are decoded; those before `read` were already turned into
	/// text.
	prefix: usize,
	read: usize,
	/// Bytes of `text` sent to the client.
	emitted: usize,
	stop: Vec<String>,
	/// The completion's text so far, cut at a stop string once one is found.
	text: String,
}

impl Decoder {
	pub(crate) fn new(stop: Vec<String>) -> Self {
		Decoder { ids: Vec::new(), prefix: 0, read: 0, emitted: 0, stop, text: String::new() }
	}

	/// Text of the tokens since `read`, when it is whole (no incomplete character at its end) or
	/// `at_end` (the completion is over: what is there is final).
	fn advance_text(&mut self, model: &Model, at_end: bool) {
		if self.read == self.ids.len() {
			return;
		}
		let decode = |ids: &[u32]| model.tokenizer.decode(ids, true).unwrap_or_default();
		let before = decode(&self.ids[self.prefix..self.read]);
		let after = decode(&self.ids[self.prefix..]);
		let incomplete = after.ends_with('\u{FFFD}');
		if !at_end && (incomplete || after.len() <= before.len()) {
			// Incomplete: wait. Nothing visible yet (a special token skipped): read on.
			if !incomplete {
				self.read = self.ids.len();
			}
			return;
		}
		match after.strip_prefix(before.as_str()) {
			Some(new) => self.text.push_str(new),
			// A decoder that rewrote the window's start (not seen with the supported tokenizers):
			// decode the whole completion once instead.
			None => self.text = decode(&self.ids),
		}
		self.prefix = self.read;
		self.read = self.ids.len();
	}

	/// Adds a token; returns the new final text and whether a stop string ended the completion.
	pub(crate) fn push(&mut self, model: &Model, id: u32) -> (String, bool) {
		self.ids.push(id);
		self.advance_text(model, false);
		let full = &self.text;
		// The earliest stop string that is not wholly inside text already sent.
		let search_from =
			self.emitted.saturating_sub(self.stop.iter().map(String::len).max().unwrap_or(0));
		let search_from = floor_boundary(full, search_from);
		let hit = self
			.stop
			.iter()
			.filter_map(|s| full[search_from..].find(s.as_str()).map(|i| search_from + i))
			.min();
		if let Some(at) = hit {
			let at = at.max(self.emitted);
			let delta = full.get(self.emitted..at).unwrap_or_default().to_string();
			self.text.truncate(at);
			self.emitted = at;
			return (delta, true);
		}
		// Hold back any suffix that could begin a stop string.
		let held = self
			.stop
			.iter()
			.filter_map(|s| {
				(1..s.len()).rev().find(|&k| s.is_char_boundary(k) && full.ends_with(&s[..k]))
			})
			.max()
			.unwrap_or(0);
		let end = floor_boundary(full, (full.len() - held).max(self.emitted));
		let delta = full.get(self.emitted..end).unwrap_or_default().to_string();
		self.emitted = end.max(self.emitted);
		(delta, false)
	}

	/// The rest of the text when the completion ended without a stop string (an incomplete
	/// character at the very end comes out as U+FFFD, as a full decode gives it).
	pub(crate) fn flush_with(&mut self, model: &Model) -> String {
		self.advance_text(model, true);
		let rest = self.text.get(self.emitted..).unwrap_or_default().to_string();
		self.emitted = self.text.len();
		rest
	}
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
	i = i.min(s.len());
	while !s.is_char_boundary(i) {
		i -= 1;
	}
	i
}

fn piece(model: &Model, id: u32) -> String {
	model.tokenizer.decode(&[id], false).unwrap_or_default()
}

/// Chat logprob entries of tokens.
fn chat_logprobs(model: &Model, tokens: &[Token]) -> Value {
	let entry = |id: u32, lp: f32| {
		let t = piece(model, id);
		json!({"token": t, "logprob": lp, "bytes": t.as_bytes()})
	};
	Value::Array(
		tokens
			.iter()
			.map(|t| {
				let mut e = entry(t.id, t.logprob);
				e["top_logprobs"] =
					Value::Array(t.top.iter().map(|(id, lp)| entry(*id, *lp)).collect());
				e
			})
			.collect(),
	)
}

/// Completions logprobs (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`).
fn completion_logprobs(model: &Model, tokens: &[Token], offset: &mut usize) -> Value {
	let mut pieces = Vec::new();
	let mut offsets = Vec::new();
	for t in tokens {
		let p = piece(model, t.id);
		offsets.push(*offset);
		*offset += p.len();
		pieces.push(p);
	}
	json!({
		"tokens": pieces,
		"token_logprobs": tokens.iter().map(|t| t.logprob).collect::<Vec<_>>(),
		"top_logprobs": tokens.iter().map(|t| {
			t.top.iter().map(|(id, lp)| (piece(model, *id), json!(lp))).collect::<Map<String, Value>>()
		}).collect::<Vec<_>>(),
		"text_offset": offsets,
	})
}

fn usage(prompt: usize, completion: usize) -> Value {
	json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

fn engine_error(e: &EngineError) -> ApiError {
	ApiError::new(
		StatusCode::SERVICE_UNAVAILABLE,
		"server_error",
		None,
		format!("the generation failed on this worker: {e}; retry the request"),
	)
}

/// A non-streaming answer: wait for the end, then one JSON object.
async fn complete(state: Arc<ApiState>, mut job: Job) -> Result<Response, ApiError> {
	let model = &state.model;
	let mut tokens: Vec<Token> = Vec::new();
	let mut text = String::new();
	let finish = loop {
		match job.events.recv().await {
			Some(Event::Started { .. }) => {},
			Some(Event::Token(t)) => {
				job.timer.token();
				let (delta, stopped) = job.decoder.push(model, t.id);
				text.push_str(&delta);
				tokens.push(t);
				if stopped {
					break FinishReason::Stop;
				}
			},
			Some(Event::Finished(reason)) => {
				text.push_str(&job.decoder.flush_with(model));
				break reason;
			},
			Some(Event::Failed(e)) => {
				job.timer.end("error");
				return Err(engine_error(&e));
			},
			None => {
				job.timer.end("error");
				return Err(engine_error(&EngineError::Backend("the engine stopped".into())));
			},
		}
	};
	job.timer.end(finish.as_str());
	// Dropping the receiver cancels the generation (after a stop string).
	drop(job.events);
	let logprobs = job.logprobs.map(|_| match job.kind {
		Kind::Chat => json!({"content": chat_logprobs(model, &tokens)}),
		Kind::Completion => completion_logprobs(model, &tokens, &mut 0),
	});
	let choice = match job.kind {
		Kind::Chat => json!({
			"index": 0,
			"message": {"role": "assistant", "content": text},
			"logprobs": logprobs,
			"finish_reason": finish.as_str(),
		}),
		Kind::Completion => {
			json!({"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish.as_str()})
		},
	};
	Ok(json_response(json!({
		"id": job.id,
		"object": if job.kind == Kind::Chat { "chat.completion" } else { "text_completion" },
		"created": job.created,
		"model": job.model,
		"system_fingerprint": job.fingerprint,
		"choices": [choice],
		"usage": usage(job.prompt_tokens, tokens.len()),
	}))
	.into_response())
}

/// What the stream has still to send.
enum Stage {
	Role,
	Tokens,
	Usage,
	Done,
	Closed,
}

struct Streaming {
	state: Arc<ApiState>,
	job: Job,
	stage: Stage,
	completion_tokens: usize,
	offset: usize,
}

impl Streaming {
	fn chunk(&self, choices: Value) -> Value {
		let mut c = json!({
			"id": self.job.id,
			"object": if self.job.kind == Kind::Chat { "chat.completion.chunk" } else { "text_completion" },
			"created": self.job.created,
			"model": self.job.model,
			"system_fingerprint": self.job.fingerprint,
			"choices": choices,
		});
		if self.job.include_usage {
			c["usage"] = Value::Null;
		}
		c
	}

	fn delta(&mut self, text: String, tokens: &[Token], finish: Option<FinishReason>) -> Value {
		let model = &self.state.model;
		let logprobs = match (self.job.logprobs, tokens.is_empty()) {
			(Some(_), false) => match self.job.kind {
				Kind::Chat => json!({"content": chat_logprobs(model, tokens)}),
				Kind::Completion => completion_logprobs(model, tokens, &mut self.offset),
			},
			_ => Value::Null,
		};
		let finish = finish.map(|f| f.as_str());
		let choice = match self.job.kind {
			Kind::Chat => {
				let delta = if text.is_empty() { json!({}) } else { json!({"content": text}) };
				json!({"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish})
			},
			Kind::Completion => {
				json!({"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish})
			},
		};
		self.chunk(json!([choice]))
	}

	/// The next SSE payloads, or `None` at the end of the stream.
	async fn next(&mut self) -> Option<Vec<String>> {
		match self.stage {
			Stage::Role => {
				self.stage = Stage::Tokens;
				if self.job.kind == Kind::Chat {
					let c = self.chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]));
					return Some(vec![c.to_string()]);
				}
				Some(Vec::new())
			},
			Stage::Tokens => {
				let mut tokens = Vec::new();
				let mut text = String::new();
				// Everything already waiting goes into one chunk.
				loop {
					let event = if tokens.is_empty() {
						self.job.events.recv().await
					} else {
						match self.job.events.try_recv() {
							Ok(e) => Some(e),
							Err(_) => break,
						}
					};
					match event {
						Some(Event::Started { .. }) => continue,
						Some(Event::Token(t)) => {
							self.job.timer.token();
							let (delta, stopped) = self.job.decoder.push(&self.state.model, t.id);
							text.push_str(&delta);
							tokens.push(t);
							self.completion_tokens += 1;
							if stopped {
								return Some(self.finish(text, tokens, FinishReason::Stop));
							}
						},
						Some(Event::Finished(reason)) => {
							text.push_str(&self.job.decoder.flush_with(&self.state.model));
							return Some(self.finish(text, tokens, reason));
						},
						Some(Event::Failed(e)) => {
							self.job.timer.end("error");
							self.stage = Stage::Done;
							return Some(vec![engine_error(&e).body().to_string()]);
						},
						None => {
							self.job.timer.end("error");
							self.stage = Stage::Done;
							return Some(vec![engine_error(&EngineError::Backend(
								"the engine stopped".into(),
							))
							.body()
							.to_string()]);
						},
					}
				}
				if text.is_empty() && self.job.logprobs.is_none() {
					return Some(Vec::new());
				}
				Some(vec![self.delta(text, &tokens, None).to_string()])
			},
			Stage::Usage => {
				self.stage = Stage::Done;
				let mut c = self.chunk(json!([]));
				c["usage"] = usage(self.job.prompt_tokens, self.completion_tokens);
				Some(vec![c.to_string()])
			},
			Stage::Done => {
				self.stage = Stage::Closed;
				Some(vec!["[DONE]".to_string()])
			},
			Stage::Closed => None,
		}
	}

	fn finish(&mut self, text: String, tokens: Vec<Token>, reason: FinishReason) -> Vec<String> {
		// Stop listening: a stop string cancels the rest of the generation.
		self.job.events.close();
		self.job.timer.end(reason.as_str());
		let mut out = Vec::new();
		if !text.is_empty() || (!tokens.is_empty() && self.job.logprobs.is_some()) {
			out.push(self.delta(text, &tokens, None).to_string());
		}
		out.push(self.delta(String::new(), &[], Some(reason)).to_string());
		self.stage = if self.job.include_usage { Stage::Usage } else { Stage::Done };
		out
	}
}

fn stream(state: Arc<ApiState>, job: Job) -> Response {
	let s = Streaming { state, job, stage: Stage::Role, completion_tokens: 0, offset: 0 };
	let body = futures::stream::unfold(s, |mut s| async move {
		let payloads = s.next().await?;
		let mut bytes = String::new();
		for p in payloads {
			bytes.push_str("data: ");
			bytes.push_str(&p);
			bytes.push_str("\n\n");
		}
		Some((Ok::<_, std::convert::Infallible>(Bytes::from(bytes)), s))
	});
	Response::builder()
		.status(StatusCode::OK)
		.header(header::CONTENT_TYPE, "text/event-stream")
		.header(header::CACHE_CONTROL, "no-cache")
		.body(Body::from_stream(body))
		.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn qwen2() -> Model {
		Model::open(
			&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels/llm/fixtures/qwen2"),
		)
		.unwrap()
	}

	fn run(model: &Model, stop: &[&str], text: &str) -> (Vec<String>, bool, String) {
		let ids = model.tokenizer.encode(text, false).unwrap();
		let mut d = Decoder::new(stop.iter().map(|s| s.to_string()).collect());
		let mut deltas = Vec::new();
		for &id in &ids {
			let (delta, stopped) = d.push(model, id);
			deltas.push(delta);
			if stopped {
				return (deltas, true, String::new());
			}
		}
		let rest = d.flush_with(model);
		(deltas, false, rest)
	}

	#[test]
	fn text_is_streamed_whole_and_cut_at_stop_strings() {
		let model = qwen2();
		let text = "Hello, world! How are you? 計算 🚀";
		let (deltas, stopped, rest) = run(&model, &[], text);
		assert!(!stopped);
		assert_eq!(deltas.concat() + &rest, text);
		// Multi-byte characters split over tokens are never sent half.
		assert!(deltas.iter().all(|d| !d.contains('\u{FFFD}')));

		let (deltas, stopped, _) = run(&model, &["world"], text);
		assert!(stopped);
		assert_eq!(deltas.concat(), "Hello, ");

		// A stop string that never completes is held back while it might, then sent.
		let (deltas, stopped, rest) = run(&model, &["you? 計算 🚀!"], text);
		assert!(!stopped);
		assert!(!deltas.concat().contains("you"), "{deltas:?}");
		assert_eq!(deltas.concat() + &rest, text);

		// Stop strings inside one token and across tokens.
		let (deltas, stopped, _) = run(&model, &["o, w", "zzz"], text);
		assert!(stopped);
		assert_eq!(deltas.concat(), "Hell");
	}

	/// The incremental decoder's text is the full decode of the completion, for every fixture's
	/// tokenizer (byte-level BPE and SentencePiece), whatever the ids.
	#[test]
	fn incremental_text_equals_a_full_decode() {
		for arch in ["llama", "qwen2", "qwen3"] {
			let model = Model::open(
				&std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
					.join("../kernels/llm/fixtures")
					.join(arch),
			)
			.unwrap();
			let vocab = model.tokenizer.vocab_size() as u32;
			let mut x = 0x9e37_79b9u32;
			for round in 0..40 {
				let ids: Vec<u32> = if round % 2 == 0 {
					model.tokenizer.encode("Hi there, ünïcödé 計算 🚀 ok  spaces\n", false).unwrap()
				} else {
					(0..30)
						.map(|_| {
							x ^= x << 13;
							x ^= x >> 17;
							x ^= x << 5;
							x % vocab
						})
						.collect()
				};
				let mut d = Decoder::new(Vec::new());
				let mut text = String::new();
				for &id in &ids {
					let (delta, stopped) = d.push(&model, id);
					assert!(!stopped);
					text.push_str(&delta);
				}
				text.push_str(&d.flush_with(&model));
				assert_eq!(text, model.tokenizer.decode(&ids, true).unwrap(), "{arch}: {ids:?}");
			}
		}
	}

	#[test]
	fn api_keys_file() {
		let dir = std::env::temp_dir().join(format!("gonka-api-keys-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let f = dir.join("keys");
		std::fs::write(&f, "# developers\nsk-test-0001\n\n  sk-test-0002  \n").unwrap();
		let keys = ApiKeys::from_file(&f).unwrap();
		assert_eq!(keys.len(), 2);
		assert!(keys.accepts("sk-test-0002") && !keys.accepts("sk-test-0003"));
		std::fs::write(&f, "two words\n").unwrap();
		assert!(ApiKeys::from_file(&f).unwrap_err().contains("line 1"));
		std::fs::write(&f, "# nothing\n").unwrap();
		assert!(ApiKeys::from_file(&f).unwrap_err().contains("no keys"));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
