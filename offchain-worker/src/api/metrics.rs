//! The inference API's metrics (Prometheus, the conventions of [`crate::metrics`]): requests by
//! endpoint and status, tokens, time to first token, request duration, how completions ended,
//! and the engine's queue and batch. Served with the worker's metrics on `--metrics-listen`
//! (`run --model`), or on `serve`'s own `--metrics-listen`; never on the public API port.

use std::{
	sync::{atomic::Ordering, Arc},
	time::Instant,
};

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use gonka_llm::Scheduler;

/// Every figure of the inference API.
pub struct ApiMetrics {
	registry: Registry,
	/// Answers by endpoint (`chat`, `completions`, `models`) and HTTP status.
	pub requests: IntCounterVec,
	/// Prompt tokens of accepted requests.
	pub prompt_tokens: IntCounter,
	/// Completion tokens generated (those of cancelled requests included).
	pub completion_tokens: IntCounter,
	/// From accepting a request to its first completion token.
	pub time_to_first_token: Histogram,
	/// From accepting a request to its end, however it ended.
	pub request_duration: Histogram,
	/// Completions by how they ended: `stop`, `length`, `cancelled` (the client went away),
	/// `error`.
	pub finished: IntCounterVec,
	/// Requests waiting for a batch slot (read from the scheduler at each scrape).
	pub queued: IntGauge,
	/// Sequences in the running batch (idem).
	pub running: IntGauge,
	scheduler: Option<Arc<Scheduler>>,
}

impl ApiMetrics {
	/// Every metric it exports: name, type, labels (README's table lists the same).
	pub const DOCUMENTED: &'static [(&'static str, &'static str, &'static [&'static str])] = &[
		("gonka_worker_inference_requests_total", "counter", &["endpoint", "status"]),
		("gonka_worker_inference_prompt_tokens_total", "counter", &[]),
		("gonka_worker_inference_completion_tokens_total", "counter", &[]),
		("gonka_worker_inference_time_to_first_token_seconds", "histogram", &[]),
		("gonka_worker_inference_request_duration_seconds", "histogram", &[]),
		("gonka_worker_inference_finished_total", "counter", &["reason"]),
		("gonka_worker_inference_queued", "gauge", &[]),
		("gonka_worker_inference_running", "gauge", &[]),
	];

	pub fn new() -> Self {
		let registry = Registry::new();
		fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> M {
			r.register(Box::new(m.clone())).expect("each metric is registered once; qed");
			m
		}
		let name = |n: &str| format!("gonka_worker_inference_{n}");
		let counter = |n: &str, help: &str| {
			reg(&registry, IntCounter::with_opts(Opts::new(name(n), help)).expect("valid; qed"))
		};
		let gauge = |n: &str, help: &str| {
			reg(&registry, IntGauge::with_opts(Opts::new(name(n), help)).expect("valid; qed"))
		};
		let histogram = |n: &str, help: &str, buckets: Vec<f64>| {
			reg(
				&registry,
				Histogram::with_opts(HistogramOpts::new(name(n), help).buckets(buckets))
					.expect("valid; qed"),
			)
		};
		let requests = reg(
			&registry,
			IntCounterVec::new(
				Opts::new(name("requests_total"), "API answers by endpoint and HTTP status."),
				&["endpoint", "status"],
			)
			.expect("valid; qed"),
		);
		for endpoint in ["chat", "completions"] {
			requests.with_label_values(&[endpoint, "200"]);
		}
		let finished = reg(
			&registry,
			IntCounterVec::new(
				Opts::new(
					name("finished_total"),
					"Completions by how they ended: stop, length, cancelled, error.",
				),
				&["reason"],
			)
			.expect("valid; qed"),
		);
		for reason in ["stop", "length", "cancelled", "error"] {
			finished.with_label_values(&[reason]);
		}
		Self {
			requests,
			prompt_tokens: counter("prompt_tokens_total", "Prompt tokens of accepted requests."),
			completion_tokens: counter(
				"completion_tokens_total",
				"Completion tokens generated, cancelled requests' included.",
			),
			time_to_first_token: histogram(
				"time_to_first_token_seconds",
				"From accepting a request to its first completion token.",
				vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
			),
			request_duration: histogram(
				"request_duration_seconds",
				"From accepting a request to its end.",
				vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0],
			),
			finished,
			queued: gauge("queued", "Requests waiting for a batch slot."),
			running: gauge("running", "Sequences in the running batch."),
			scheduler: None,
			registry,
		}
	}

	/// Reads the queue and batch gauges from `scheduler` at each scrape.
	pub fn watch(mut self, scheduler: Arc<Scheduler>) -> Self {
		self.scheduler = Some(scheduler);
		self
	}

	/// The registry, for a server that renders several.
	pub fn registry(&self) -> &Registry {
		if let Some(s) = &self.scheduler {
			self.queued.set(s.stats().queued.load(Ordering::Relaxed) as i64);
			self.running.set(s.stats().active.load(Ordering::Relaxed) as i64);
		}
		&self.registry
	}

	/// The Prometheus text exposition.
	pub fn render(&self) -> String {
		crate::metrics::render_registries(&[self.registry()])
	}
}

impl std::fmt::Debug for ApiMetrics {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("ApiMetrics").finish_non_exhaustive()
	}
}

impl Default for ApiMetrics {
	fn default() -> Self {
		Self::new()
	}
}

/// One accepted request's accounting: tokens and the first token's time as they come, the rest
/// when it is dropped — so a client that goes away is counted too.
pub(crate) struct RequestTimer {
	metrics: Arc<ApiMetrics>,
	started: Instant,
	first_token: bool,
	tokens: u64,
	/// How it ended; `cancelled` until the response says otherwise.
	outcome: &'static str,
}

impl RequestTimer {
	pub(crate) fn start(metrics: Arc<ApiMetrics>, prompt_tokens: usize) -> Self {
		metrics.prompt_tokens.inc_by(prompt_tokens as u64);
		RequestTimer {
			metrics,
			started: Instant::now(),
			first_token: false,
			tokens: 0,
			outcome: "cancelled",
		}
	}

	pub(crate) fn token(&mut self) {
		if !self.first_token {
			self.first_token = true;
			self.metrics.time_to_first_token.observe(self.started.elapsed().as_secs_f64());
		}
		self.tokens += 1;
	}

	pub(crate) fn end(&mut self, outcome: &'static str) {
		self.outcome = outcome;
	}
}

impl Drop for RequestTimer {
	fn drop(&mut self) {
		self.metrics.completion_tokens.inc_by(self.tokens);
		self.metrics.request_duration.observe(self.started.elapsed().as_secs_f64());
		self.metrics.finished.with_label_values(&[self.outcome]).inc();
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_documented_metric_is_exported_and_a_dropped_request_counts_as_cancelled() {
		let m = Arc::new(ApiMetrics::new());
		{
			let mut t = RequestTimer::start(m.clone(), 7);
			t.token();
			t.token();
		}
		{
			let mut t = RequestTimer::start(m.clone(), 3);
			t.token();
			t.end("stop");
		}
		let text = m.render();
		let get = |n: &str| crate::metrics::parse_metric(&text, n);
		assert_eq!(get("gonka_worker_inference_prompt_tokens_total"), Some(10.0));
		assert_eq!(get("gonka_worker_inference_completion_tokens_total"), Some(3.0));
		assert_eq!(get("gonka_worker_inference_finished_total{reason=\"cancelled\"}"), Some(1.0));
		assert_eq!(get("gonka_worker_inference_finished_total{reason=\"stop\"}"), Some(1.0));
		assert_eq!(get("gonka_worker_inference_time_to_first_token_seconds_count"), Some(2.0));
		for (name, kind, labels) in ApiMetrics::DOCUMENTED {
			assert!(text.contains(&format!("# TYPE {name} {kind}\n")), "{name}:\n{text}");
			for label in *labels {
				assert!(
					text.lines().any(|l| l.starts_with(name) && l.contains(&format!("{label}=\""))),
					"{name}: no {label} label"
				);
			}
		}
		let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
		assert_eq!(types, ApiMetrics::DOCUMENTED.len(), "exported but not documented:\n{text}");
	}
}
