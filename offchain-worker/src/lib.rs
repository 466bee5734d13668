//! # gonka-worker
//!
//! The off-chain half of the gonka protocol (`PROTOCOL.md` §4–§7): a long-running service next to
//! the GPUs that computes Sprints, serves Merkle proofs, validates peers, and signs and submits the
//! host's extrinsics.
//!
//! This crate starts with its [`chain`] client: the one way the worker talks to a `gonka-node`,
//! over JSON-RPC on WebSocket, with the runtime's own types for calls, extrinsics, storage and
//! events, and the runtime's metadata to name dispatch errors.

pub mod chain;
pub mod keys;
