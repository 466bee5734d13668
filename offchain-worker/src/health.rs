//! What is wrong with this worker right now, for `/health` (PROTOCOL-independent: an operator's
//! view). Each duty sets the problem it sees under its own name and clears it when it is gone;
//! `/health` answers `503` with every reason while any is set.

use std::{collections::BTreeMap, sync::Mutex};

/// The worker's current problems, by what has them (`node`, `chain`, `key`, `backend cuda:0`).
#[derive(Default)]
pub struct Health {
	problems: Mutex<BTreeMap<String, String>>,
}

/// The component names used by the worker's duties.
pub mod component {
	/// The WebSocket connection to the node.
	pub const NODE: &str = "node";
	/// The chain as seen through the node: stalled, or the node still syncing.
	pub const CHAIN: &str = "chain";
	/// The worker key's registration.
	pub const KEY: &str = "key";
	/// The data directory.
	pub const DATA: &str = "data";
}

impl Health {
	/// A health that starts with `component` failing for `reason` (e.g. not connected yet).
	pub fn starting(component: &str, reason: &str) -> Self {
		let health = Self::default();
		health.set(component, reason);
		health
	}

	/// Records that `component` is failing, for `reason` (replacing an earlier reason).
	pub fn set(&self, component: &str, reason: impl Into<String>) {
		self.lock().insert(component.to_string(), reason.into());
	}

	/// Records that `component` works again.
	pub fn clear(&self, component: &str) {
		self.lock().remove(component);
	}

	/// Every current problem, `(component, reason)`, by component name.
	pub fn problems(&self) -> Vec<(String, String)> {
		self.lock().iter().map(|(c, r)| (c.clone(), r.clone())).collect()
	}

	/// Whether nothing is wrong.
	pub fn is_healthy(&self) -> bool {
		self.lock().is_empty()
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
		// A reason map is valid whatever a panicking writer did.
		self.problems.lock().unwrap_or_else(|p| p.into_inner())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn problems_are_set_replaced_and_cleared_per_component() {
		let h = Health::starting(component::NODE, "not connected yet");
		assert!(!h.is_healthy());
		h.set("backend cpu", "panicked");
		h.set(component::NODE, "connection refused");
		assert_eq!(
			h.problems(),
			vec![
				("backend cpu".to_string(), "panicked".to_string()),
				("node".to_string(), "connection refused".to_string())
			]
		);
		h.clear(component::NODE);
		h.clear("backend cpu");
		assert!(h.is_healthy());
	}
}
