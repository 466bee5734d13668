//! The worker's metrics, served on `/metrics` in the Prometheus text format and read by the local
//! network's live view. Plain atomics: the Sprint's hot loop only adds to them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A float kept in an `AtomicU64` as its bits.
#[derive(Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
	pub fn set(&self, v: f64) {
		self.0.store(v.to_bits(), Relaxed)
	}
	pub fn get(&self) -> f64 {
		f64::from_bits(self.0.load(Relaxed))
	}
}

/// Every figure the worker exports.
#[derive(Default)]
pub struct Metrics {
	/// The epoch the chain is in.
	pub epoch: AtomicU64,
	/// The best block seen.
	pub best_block: AtomicU64,
	/// The last finalized block seen.
	pub finalized_block: AtomicU64,
	/// 0 Sprint, 1 Commit, 2 Validation, 3 Settlement.
	pub phase: AtomicU64,
	/// Whether the chain connection is up.
	pub connected: AtomicU64,
	/// Reconnections to the node since the start.
	pub reconnects: AtomicU64,
	/// Nonces computed in the current epoch's Sprint (all devices).
	pub sprint_nonces: AtomicU64,
	/// Hits of the current epoch's Sprint (all devices, a previous run's included).
	pub sprint_hits: AtomicU64,
	/// Nonces per second of the current Sprint (all devices).
	pub nonces_per_sec: Gauge,
	/// Epoch of the last commitment included on chain.
	pub last_commit_epoch: AtomicU64,
	/// Leaf count of the last commitment included on chain.
	pub last_commit_count: AtomicU64,
	/// Verdicts included on chain (since the start).
	pub verdicts_submitted: AtomicU64,
	/// Of those, invalid.
	pub verdicts_invalid: AtomicU64,
	/// The host's weight in the current epoch.
	pub weight: AtomicU64,
	/// The host account's free balance, in base units (for the live view).
	pub free_balance: Gauge,
	/// Proof requests served (2xx).
	pub proof_requests: AtomicU64,
	/// Proof requests refused (4xx/5xx), rate limiting included.
	pub proof_refused: AtomicU64,
	/// Of those, refused by the rate limit.
	pub proof_rate_limited: AtomicU64,
	/// Connections open on the proof server.
	pub connections_open: AtomicU64,
	/// Connections closed at once because the server or their client was at its cap.
	pub connections_refused: AtomicU64,
}

impl Metrics {
	/// The Prometheus text exposition.
	pub fn render(&self) -> String {
		let mut out = String::new();
		let mut put = |name: &str, kind: &str, help: &str, value: f64| {
			out.push_str(&format!(
				"# HELP gonka_worker_{name} {help}\n# TYPE gonka_worker_{name} {kind}\n\
				 gonka_worker_{name} {value}\n"
			));
		};
		let g = |a: &AtomicU64| a.load(Relaxed) as f64;
		put("epoch", "gauge", "The chain's current epoch.", g(&self.epoch));
		put("best_block", "gauge", "The best block seen.", g(&self.best_block));
		put("finalized_block", "gauge", "The last finalized block seen.", g(&self.finalized_block));
		put(
			"phase",
			"gauge",
			"The epoch's phase: 0 Sprint, 1 Commit, 2 Validation, 3 Settlement.",
			g(&self.phase),
		);
		put("chain_connected", "gauge", "1 when the node connection is up.", g(&self.connected));
		put("chain_reconnects_total", "counter", "Reconnections to the node.", g(&self.reconnects));
		put(
			"sprint_nonces",
			"gauge",
			"Nonces computed in the current Sprint, all devices.",
			g(&self.sprint_nonces),
		);
		put(
			"sprint_hits",
			"gauge",
			"Hits of the current Sprint, all devices.",
			g(&self.sprint_hits),
		);
		put(
			"sprint_nonces_per_second",
			"gauge",
			"Nonces per second in the current Sprint, all devices.",
			self.nonces_per_sec.get(),
		);
		put(
			"last_commit_epoch",
			"gauge",
			"Epoch of the last commitment included on chain.",
			g(&self.last_commit_epoch),
		);
		put(
			"last_commit_count",
			"gauge",
			"Leaves of the last commitment included on chain.",
			g(&self.last_commit_count),
		);
		put(
			"verdicts_submitted_total",
			"counter",
			"Verdicts included on chain.",
			g(&self.verdicts_submitted),
		);
		put(
			"verdicts_invalid_total",
			"counter",
			"Invalid verdicts included on chain.",
			g(&self.verdicts_invalid),
		);
		put("weight", "gauge", "The host's weight in the current epoch.", g(&self.weight));
		put(
			"host_free_balance",
			"gauge",
			"The host account's free balance in base units (1 GNK = 1e9).",
			self.free_balance.get(),
		);
		put("proof_requests_total", "counter", "Proof requests answered.", g(&self.proof_requests));
		put(
			"proof_refused_total",
			"counter",
			"Proof requests refused (bad request, unknown epoch, rate limit).",
			g(&self.proof_refused),
		);
		put(
			"proof_rate_limited_total",
			"counter",
			"Proof requests refused by the per-client rate limit.",
			g(&self.proof_rate_limited),
		);
		put(
			"proof_connections_open",
			"gauge",
			"Connections open on the proof server.",
			g(&self.connections_open),
		);
		put(
			"proof_connections_refused_total",
			"counter",
			"Connections closed at once: the server or their client was at its connection cap.",
			g(&self.connections_refused),
		);
		out
	}
}

/// Reads one value from a Prometheus text exposition (the live view polls `/metrics`).
pub fn parse_metric(text: &str, name: &str) -> Option<f64> {
	text.lines()
		.filter(|l| !l.starts_with('#'))
		.find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn renders_and_parses() {
		let m = Metrics::default();
		m.sprint_hits.store(42, Relaxed);
		m.nonces_per_sec.set(1234.5);
		let text = m.render();
		assert_eq!(parse_metric(&text, "gonka_worker_sprint_hits"), Some(42.0));
		assert_eq!(parse_metric(&text, "gonka_worker_sprint_nonces_per_second"), Some(1234.5));
		assert_eq!(parse_metric(&text, "gonka_worker_sprint"), None);
	}

	/// The Grafana dashboard in the repository queries only metrics the worker exports.
	#[test]
	fn the_dashboard_queries_exported_metrics() {
		let dashboard = include_str!("../../deploy/grafana/gonka-worker.json");
		let parsed: serde_json::Value = serde_json::from_str(dashboard).expect("valid JSON");
		assert!(!parsed["panels"].as_array().unwrap().is_empty());
		let exported = Metrics::default().render();
		let mut queried = 0;
		for (i, _) in dashboard.match_indices("gonka_worker_") {
			let name: String = dashboard[i..]
				.chars()
				.take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
				.collect();
			assert!(
				exported.contains(&format!("\n{name} ")),
				"the dashboard queries {name}, which /metrics does not export"
			);
			queried += 1;
		}
		assert!(queried >= 15, "{queried}");
	}
}
