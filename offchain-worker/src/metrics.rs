//! The worker's metrics, through the `prometheus` crate (the one the node's own endpoint uses),
//! each in the worker's own registry and served on the metrics port (`--metrics-listen`,
//! 127.0.0.1:9616 by default) as `GET /metrics` in the text format. Names follow Prometheus'
//! conventions: `gonka_worker_` prefix, `_total` for counters, base units in the name
//! (`_seconds`). The Sprint's hot loop only adds to atomics.
//!
//! [`Metrics::DOCUMENTED`] lists every metric with its labels; README's table is checked against
//! it, and a test checks that a scrape shows them all.

use prometheus::{
	Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
	IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every figure the worker exports.
pub struct Metrics {
	registry: Registry,
	/// The epoch the chain is in.
	pub epoch: IntGauge,
	/// The best block seen.
	pub best_block: IntGauge,
	/// The last finalized block seen.
	pub finalized_block: IntGauge,
	/// 0 Sprint, 1 Commit, 2 Validation, 3 Settlement.
	pub phase: IntGauge,
	/// Whether the chain connection is up.
	pub connected: IntGauge,
	/// Reconnections to the node since the start.
	pub reconnects: IntCounter,
	/// Nonces computed in the current epoch's Sprint (all devices).
	pub sprint_nonces: IntGauge,
	/// Nonces computed since the start, by device (for `rate()`).
	pub sprint_nonces_total: IntCounterVec,
	/// Hits of the current epoch's Sprint (all devices, a previous run's included).
	pub sprint_hits: IntGauge,
	/// Nonces per second of the current Sprint (all devices).
	pub nonces_per_sec: Gauge,
	/// Epoch of the last commitment included on chain.
	pub last_commit_epoch: IntGauge,
	/// Leaf count of the last commitment included on chain.
	pub last_commit_count: IntGauge,
	/// From sending a commitment to its inclusion.
	pub commit_latency: Histogram,
	/// Verdicts committed on chain, by verdict (`valid`, `invalid`, `unreachable`).
	pub verdicts: IntCounterVec,
	/// Hosts this worker cast no vote on because its own backend failed.
	pub hosts_not_judged: IntCounter,
	/// One proof fetch from a peer, by outcome (`ok` or the kind of failure).
	pub proof_fetch: HistogramVec,
	/// The host's weight in the current epoch.
	pub weight: IntGauge,
	/// The host account's free balance, in base units (for the live view).
	pub free_balance: Gauge,
	/// Proof requests answered (2xx).
	pub proof_requests: IntCounter,
	/// Proofs sent in those answers.
	pub proofs_served: IntCounter,
	/// Proof requests refused (4xx/5xx), rate limiting included.
	pub proof_refused: IntCounter,
	/// Of those, refused by the rate limit.
	pub proof_rate_limited: IntCounter,
	/// Connections open on the proof server.
	pub connections_open: IntGauge,
	/// Connections closed at once because the server or their client was at its cap.
	pub connections_refused: IntCounter,
	/// Always 1, labelled with the worker's version.
	pub build_info: IntGaugeVec,
	/// The inference API's metrics, rendered with these when `run` serves the API.
	api: Option<std::sync::Arc<crate::api::metrics::ApiMetrics>>,
}

/// The outcome label of a proof fetch that failed, by its error.
pub fn fetch_outcome(e: &crate::validator::FetchError) -> &'static str {
	use crate::validator::FetchError as E;
	match e {
		E::BadEndpoint { .. } => "bad_endpoint",
		E::Tls { .. } => "tls",
		E::ForbiddenAddress { .. } => "forbidden_address",
		E::Unreachable { .. } => "unreachable",
		E::Timeout { .. } => "timeout",
		E::Status { .. } => "status",
		E::TooLarge { .. } => "too_large",
		E::Garbage { .. } => "garbage",
		E::LocalBackend { .. } => "local_backend",
	}
}

impl Metrics {
	/// Every metric `/metrics` exports: name, type, labels. README's metrics table lists the same.
	pub const DOCUMENTED: &'static [(&'static str, &'static str, &'static [&'static str])] = &[
		("gonka_worker_build_info", "gauge", &["version"]),
		("gonka_worker_epoch", "gauge", &[]),
		("gonka_worker_phase", "gauge", &[]),
		("gonka_worker_best_block", "gauge", &[]),
		("gonka_worker_finalized_block", "gauge", &[]),
		("gonka_worker_chain_connected", "gauge", &[]),
		("gonka_worker_chain_reconnects_total", "counter", &[]),
		("gonka_worker_sprint_nonces", "gauge", &[]),
		("gonka_worker_sprint_nonces_total", "counter", &["device"]),
		("gonka_worker_sprint_nonces_per_second", "gauge", &[]),
		("gonka_worker_sprint_hits", "gauge", &[]),
		("gonka_worker_last_commit_epoch", "gauge", &[]),
		("gonka_worker_last_commit_count", "gauge", &[]),
		("gonka_worker_commit_latency_seconds", "histogram", &[]),
		("gonka_worker_verdicts_total", "counter", &["verdict"]),
		("gonka_worker_hosts_not_judged_total", "counter", &[]),
		("gonka_worker_proof_fetch_seconds", "histogram", &["outcome"]),
		("gonka_worker_weight", "gauge", &[]),
		("gonka_worker_host_free_balance", "gauge", &[]),
		("gonka_worker_proof_requests_total", "counter", &[]),
		("gonka_worker_proofs_served_total", "counter", &[]),
		("gonka_worker_proof_refused_total", "counter", &[]),
		("gonka_worker_proof_rate_limited_total", "counter", &[]),
		("gonka_worker_proof_connections_open", "gauge", &[]),
		("gonka_worker_proof_connections_refused_total", "counter", &[]),
	];

	pub fn new() -> Self {
		let registry = Registry::new();
		fn reg<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> M {
			r.register(Box::new(m.clone())).expect("each metric is registered once; qed");
			m
		}
		let opts = |name: &str, help: &str| Opts::new(format!("gonka_worker_{name}"), help);
		let gauge = |name: &str, help: &str| {
			reg(&registry, IntGauge::with_opts(opts(name, help)).expect("valid name; qed"))
		};
		let counter = |name: &str, help: &str| {
			reg(&registry, IntCounter::with_opts(opts(name, help)).expect("valid name; qed"))
		};
		let float = |name: &str, help: &str| {
			reg(&registry, Gauge::with_opts(opts(name, help)).expect("valid name; qed"))
		};
		let counters = |name: &str, help: &str, label: &str| {
			let v = IntCounterVec::new(opts(name, help), &[label]).expect("valid name; qed");
			reg(&registry, v)
		};
		let build_info = reg(
			&registry,
			IntGaugeVec::new(opts("build_info", "Always 1: the worker's version."), &["version"])
				.expect("valid name; qed"),
		);
		build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
		let verdicts =
			counters("verdicts_total", "Verdicts committed on chain, by verdict.", "verdict");
		for v in ["valid", "invalid", "unreachable"] {
			verdicts.with_label_values(&[v]);
		}
		let commit_latency = reg(
			&registry,
			Histogram::with_opts(
				HistogramOpts::new(
					"gonka_worker_commit_latency_seconds",
					"From sending a Sprint commitment to its inclusion in a block.",
				)
				.buckets(vec![0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0]),
			)
			.expect("valid name; qed"),
		);
		let proof_fetch = reg(
			&registry,
			HistogramVec::new(
				HistogramOpts::new(
					"gonka_worker_proof_fetch_seconds",
					"One proof fetch from a peer, by outcome (ok, or the kind of failure).",
				)
				.buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
				&["outcome"],
			)
			.expect("valid name; qed"),
		);
		proof_fetch.with_label_values(&["ok"]);
		let sprint_nonces_total = counters(
			"sprint_nonces_total",
			"Sprint nonces computed since the start, by device index.",
			"device",
		);
		sprint_nonces_total.with_label_values(&["0"]);
		Self {
			epoch: gauge("epoch", "The chain's current epoch."),
			phase: gauge(
				"phase",
				"The epoch's phase: 0 Sprint, 1 Commit, 2 Validation, 3 Settlement.",
			),
			best_block: gauge("best_block", "The best block seen."),
			finalized_block: gauge("finalized_block", "The last finalized block seen."),
			connected: gauge("chain_connected", "1 when the node connection is up."),
			reconnects: counter("chain_reconnects_total", "Reconnections to the node."),
			sprint_nonces: gauge(
				"sprint_nonces",
				"Nonces computed in the current Sprint, all devices.",
			),
			sprint_nonces_total,
			nonces_per_sec: float(
				"sprint_nonces_per_second",
				"Nonces per second in the current Sprint, all devices.",
			),
			sprint_hits: gauge("sprint_hits", "Hits of the current Sprint, all devices."),
			last_commit_epoch: gauge(
				"last_commit_epoch",
				"Epoch of the last commitment included on chain.",
			),
			last_commit_count: gauge(
				"last_commit_count",
				"Leaves of the last commitment included on chain.",
			),
			commit_latency,
			verdicts,
			hosts_not_judged: counter(
				"hosts_not_judged_total",
				"Hosts given no vote because this worker's own backend failed on them.",
			),
			proof_fetch,
			weight: gauge("weight", "The host's weight in the current epoch."),
			free_balance: float(
				"host_free_balance",
				"The host account's free balance in base units (1 GNK = 1e9).",
			),
			proof_requests: counter("proof_requests_total", "Proof requests answered."),
			proofs_served: counter("proofs_served_total", "Proofs sent in answered requests."),
			proof_refused: counter(
				"proof_refused_total",
				"Proof requests refused (bad request, unknown epoch, rate limit, timeout).",
			),
			proof_rate_limited: counter(
				"proof_rate_limited_total",
				"Proof requests refused by the per-client rate limit.",
			),
			connections_open: gauge(
				"proof_connections_open",
				"Connections open on the proof server.",
			),
			connections_refused: counter(
				"proof_connections_refused_total",
				"Connections closed at once: the server or their client was at its connection cap.",
			),
			build_info,
			registry,
			api: None,
		}
	}

	/// Renders the inference API's metrics with these.
	pub fn with_api(
		mut self,
		api: Option<std::sync::Arc<crate::api::metrics::ApiMetrics>>,
	) -> Self {
		self.api = api;
		self
	}

	/// Counts a committed verdict.
	pub fn count_verdict(&self, verdict: gonka_kernels::Verdict) {
		let label = match verdict {
			gonka_kernels::Verdict::Valid => "valid",
			gonka_kernels::Verdict::Invalid => "invalid",
			gonka_kernels::Verdict::Unreachable => "unreachable",
		};
		self.verdicts.with_label_values(&[label]).inc();
	}

	/// The Prometheus text exposition.
	pub fn render(&self) -> String {
		match &self.api {
			Some(api) => render_registries(&[&self.registry, api.registry()]),
			None => render_registries(&[&self.registry]),
		}
	}
}

/// The text exposition of several registries (their names are disjoint).
pub fn render_registries(registries: &[&Registry]) -> String {
	let families: Vec<_> = registries.iter().flat_map(|r| r.gather()).collect();
	let mut out = Vec::new();
	TextEncoder::new().encode(&families, &mut out).expect("the text encoder writes to memory; qed");
	String::from_utf8(out).expect("the text format is UTF-8; qed")
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}

/// The value of metric `name` in a Prometheus text exposition, summed over its label sets (the
/// live view and the tests poll `/metrics`); `None` when no sample has that name.
pub fn parse_metric(text: &str, name: &str) -> Option<f64> {
	let mut found = None;
	for line in text.lines().filter(|l| !l.starts_with('#')) {
		let Some(rest) = line.strip_prefix(name) else { continue };
		let value = if let Some(v) = rest.strip_prefix(' ') {
			v
		} else if rest.starts_with('{') {
			match rest.rsplit_once("} ") {
				Some((_, v)) => v,
				None => continue,
			}
		} else {
			continue;
		};
		if let Ok(v) = value.trim().parse::<f64>() {
			*found.get_or_insert(0.0) += v;
		}
	}
	found
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn renders_and_parses() {
		let m = Metrics::default();
		m.sprint_hits.set(42);
		m.nonces_per_sec.set(1234.5);
		m.count_verdict(gonka_kernels::Verdict::Valid);
		m.count_verdict(gonka_kernels::Verdict::Invalid);
		m.count_verdict(gonka_kernels::Verdict::Invalid);
		let text = m.render();
		assert_eq!(parse_metric(&text, "gonka_worker_sprint_hits"), Some(42.0));
		assert_eq!(parse_metric(&text, "gonka_worker_sprint_nonces_per_second"), Some(1234.5));
		assert_eq!(parse_metric(&text, "gonka_worker_sprint"), None);
		// Labelled series are summed; one label set is read with its labels in the name.
		assert_eq!(parse_metric(&text, "gonka_worker_verdicts_total"), Some(3.0));
		assert_eq!(
			parse_metric(&text, "gonka_worker_verdicts_total{verdict=\"invalid\"}"),
			Some(2.0)
		);
	}

	/// Every documented metric is exported with its type and labels, and nothing else is.
	#[test]
	fn every_documented_metric_is_exported_with_its_labels() {
		let m = Metrics::default();
		m.commit_latency.observe(3.0);
		m.proof_fetch.with_label_values(&["timeout"]).observe(10.0);
		let text = m.render();
		let mut types = std::collections::BTreeMap::new();
		for line in text.lines() {
			if let Some(rest) = line.strip_prefix("# TYPE ") {
				let (name, kind) = rest.split_once(' ').unwrap();
				types.insert(name.to_string(), kind.to_string());
			}
		}
		for (name, kind, labels) in Metrics::DOCUMENTED {
			assert_eq!(types.remove(*name).as_deref(), Some(*kind), "{name}");
			let sample =
				if *kind == "histogram" { format!("{name}_count") } else { name.to_string() };
			let line = text
				.lines()
				.find(|l| l.starts_with(&sample) && !l.starts_with('#'))
				.unwrap_or_else(|| panic!("{name}: no sample"));
			for label in *labels {
				assert!(line.contains(&format!("{label}=\"")), "{name}: no label {label}: {line}");
			}
			if labels.is_empty() && *kind != "histogram" {
				assert!(line.starts_with(&format!("{name} ")), "{name} has labels: {line}");
			}
		}
		assert!(types.is_empty(), "exported but not documented: {types:?}");
		assert!(text.contains("gonka_worker_commit_latency_seconds_bucket{le=\"4\"} 1"), "{text}");
	}

	/// README's metrics table lists exactly the exported metrics.
	#[test]
	fn the_readme_documents_every_metric() {
		let readme = include_str!("../../README.md");
		let listed: std::collections::BTreeSet<String> = readme
			.lines()
			.filter_map(|l| l.strip_prefix("| `gonka_worker_"))
			.map(|l| format!("gonka_worker_{}", l.split('`').next().unwrap()))
			.collect();
		let exported: std::collections::BTreeSet<String> = Metrics::DOCUMENTED
			.iter()
			.chain(crate::api::metrics::ApiMetrics::DOCUMENTED)
			.map(|(n, ..)| n.to_string())
			.collect();
		assert_eq!(listed, exported);
	}

	/// The Grafana dashboard in the repository queries only metrics the worker exports.
	#[test]
	fn the_dashboard_queries_exported_metrics() {
		let dashboard = include_str!("../../deploy/grafana/gonka-worker.json");
		let parsed: serde_json::Value = serde_json::from_str(dashboard).expect("valid JSON");
		assert!(!parsed["panels"].as_array().unwrap().is_empty());
		let api = std::sync::Arc::new(crate::api::metrics::ApiMetrics::new());
		let exported = Metrics::default().with_api(Some(api)).render();
		let mut queried = 0;
		for (i, _) in dashboard.match_indices("gonka_worker_") {
			let name: String = dashboard[i..]
				.chars()
				.take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
				.collect();
			let typed = |n: &str| exported.contains(&format!("# TYPE {n} "));
			// A histogram's series: `_bucket`, `_sum`, `_count` of a histogram's name.
			let histogram = ["_bucket", "_sum", "_count"].iter().any(|suffix| {
				name.strip_suffix(suffix)
					.is_some_and(|base| exported.contains(&format!("# TYPE {base} histogram")))
			});
			assert!(
				typed(&name) || histogram,
				"the dashboard queries {name}, which /metrics does not export"
			);
			queried += 1;
		}
		assert!(queried >= 15, "{queried}");
	}
}
