//! The protocol's words, defined once for the runtime, the pallets, the kernels and the worker
//! (`docs/PROTOCOL.md`).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An epoch number, counted from 0 at genesis (`docs/PROTOCOL.md` §2).
pub type EpochIndex = u32;

/// The most leaves one commitment may hold (2^24 = 16,777,216): Merkle proofs of at most
/// [`MAX_PROOF_DEPTH`] hashes (§5).
pub const MAX_LEAVES: u64 = 1 << 24;

/// The most sibling hashes in a Merkle proof of a tree of [`MAX_LEAVES`] leaves.
pub const MAX_PROOF_DEPTH: usize = 24;

/// Unit of the hit tolerance `ε` as the chain carries it (an integer): one billionth of a unit
/// of distance, so the default `ε` = 1e-5 is `10_000` (§4.5).
pub const HIT_TOLERANCE_UNIT: f64 = 1e-9;

/// What a worker key signs to prove it belongs to the host that names it (§1).
pub const WORKER_KEY_CONTEXT: &[u8] = b"gonka/worker-key";

/// The message a worker key signs for `register_host` and `set_worker_key` (§1):
/// `"gonka/worker-key" ‖ SCALE(host account) ‖ genesis hash`. Naming the host stops a proof
/// being reused for another host; the genesis hash stops it being replayed on another chain.
pub fn worker_key_message(host: &impl Encode, genesis_hash: &[u8]) -> alloc::vec::Vec<u8> {
	let mut message = WORKER_KEY_CONTEXT.to_vec();
	host.encode_to(&mut message);
	message.extend_from_slice(genesis_hash);
	message
}

/// A validator's judgement of one host's commitment (§6).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Hash,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Verdict {
	/// Every proof checked out and the mismatches pass the binomial test.
	Valid,
	/// A fault (bad path, missing proof of a proven index, duplicate or disordered neighbour) or
	/// too many mismatches for the binomial test.
	Invalid,
	/// The host gave no conclusive answer within the window: counts neither for nor against it
	/// (it is not accepted, and not slashed).
	Unreachable,
}

impl Verdict {
	/// The verdict as one byte, for hashing (`Valid` 0, `Invalid` 1, `Unreachable` 2).
	pub fn code(self) -> u8 {
		match self {
			Self::Valid => 0,
			Self::Invalid => 1,
			Self::Unreachable => 2,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn verdict_encoding_is_its_code() {
		for v in [Verdict::Valid, Verdict::Invalid, Verdict::Unreachable] {
			assert_eq!(v.encode(), [v.code()]);
			assert_eq!(Verdict::decode(&mut &[v.code()][..]).unwrap(), v);
		}
		assert!(Verdict::decode(&mut &[3u8][..]).is_err());
		assert_eq!(MAX_LEAVES, 1 << MAX_PROOF_DEPTH);
	}
}
