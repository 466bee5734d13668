//! # gonka-worker
//!
//! The off-chain half of the gonka protocol (`PROTOCOL.md` §4–§7): a long-running service next to
//! the GPUs that computes Sprints, serves Merkle proofs, validates peers, and signs and submits the
//! host's extrinsics.
//!
//! * [`chain`]: the one way the worker talks to a `gonka-node` (JSON-RPC over WebSocket; subxt
//!   for extrinsics, events and constants against each block's own metadata, so runtime upgrades
//!   are followed; `SprintApi`; head subscriptions). The worker does not link the runtime;
//! * [`worker`]: the loop that follows the chain and does each phase's work once;
//! * [`planner`]: what to do at a block, a pure function of what the worker knows (tested
//!   without a node);
//! * [`store`]: the data directory (hits as found, commitments, what was sent on chain);
//! * [`server`]: the proof server (`/v1/sprint/{epoch}/proofs`, `/health`) and the metrics
//!   server (`/metrics`, `/health`);
//! * [`validator`]: fetching and judging a host's proofs;
//! * [`verdicts`]: verdict commitments and reveals, saved before they are sent;
//! * [`duty`]: why a duty did not finish (typed: chain, data directory, own backend);
//! * [`backend`]: each device's backend, rebuilt after a failure;
//! * [`health`]: what is wrong right now, for `/health`;
//! * [`config`]: `run --config FILE` (TOML);
//! * [`inference`]: `generate` and `serve` on the inference engine (`gonka-llm`);
//! * [`api`]: the OpenAI-compatible inference API;
//! * [`keys`], [`metrics`], [`bench`], [`devnet`].

pub mod api;
pub mod backend;
pub mod bench;
pub mod chain;
pub mod config;
pub mod devnet;
pub mod duty;
pub mod health;
pub mod inference;
pub mod keys;
pub mod metrics;
pub mod planner;
pub mod server;
pub mod store;
pub mod validator;
pub mod verdicts;
pub mod worker;

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
	use tokio::signal::unix::{signal, SignalKind};
	let mut term = signal(SignalKind::terminate()).expect("can install a SIGTERM handler");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = term.recv() => {},
	}
}
