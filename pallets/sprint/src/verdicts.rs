//! Verdicts by commit and reveal (PROTOCOL §6.5–6.6).
//!
//! In Validation a seat holder commits, per host, `blake2_256` of
//! [`verdict_commitment_message`]`(epoch, host, validator, verdict, bits, salt)`; in the Reveal
//! phase it reveals the verdict, the check bits and the salt. Nothing of a verdict is public
//! before every commitment is in, so a validator that does not compute cannot copy one, and a
//! commitment names its validator, so a copied commitment cannot be revealed by anyone else.
//!
//! A reveal is checked against its commitment and its check bits against the validator's
//! sample: `min(count, sample_size)` bits, one per pool position it samples (Floyd's algorithm
//! keyed by `blake2_256(sampling_seed ‖ validator ‖ host)`, re-computed here). The chain keeps
//! the sampled positions and the bits as two bitmaps over the host's pool, so settlement finds
//! the lazy validators without re-computing any sample (`settlement.rs`).

use alloc::vec::Vec;
use codec::Encode;
use gonka_primitives::sampling::{
	below_positions, sampled_positions, verdict_commitment_message, Bitmap,
};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	sp_core::H256,
	sp_io::hashing::blake2_256,
};

use crate::{pallet::*, types::*};

impl<T: Config> Pallet<T> {
	/// The validator a verdict batch speaks for: the host of `worker`, checked to be sending for
	/// the current `epoch`, in `phase` (else `window`), a batch of `len` > 0.
	fn signer_in_phase(
		worker: &T::AccountId,
		epoch: EpochIndex,
		phase: Phase,
		window: Error<T>,
		len: usize,
	) -> Result<T::AccountId, DispatchError> {
		let validator = HostOfWorker::<T>::get(worker).ok_or(Error::<T>::NotAWorkerKey)?;
		let (current, now, _) = Self::current_phase();
		ensure!(epoch == current, Error::<T>::WrongEpoch);
		ensure!(now == phase, window);
		ensure!(len > 0, Error::<T>::NoVerdicts);
		Ok(validator)
	}

	pub(crate) fn do_commit_verdicts(
		worker: T::AccountId,
		epoch: EpochIndex,
		commitments: Vec<(T::AccountId, H256)>,
	) -> DispatchResult {
		let validator = Self::signer_in_phase(
			&worker,
			epoch,
			Phase::Validation,
			Error::<T>::NotValidationWindow,
			commitments.len(),
		)?;
		// Checked whole before anything is written: a batch with a bad entry changes nothing.
		for (i, (host, _)) in commitments.iter().enumerate() {
			ensure!(Commitments::<T>::contains_key(epoch, host), Error::<T>::HostNotCommitted);
			ensure!(
				Self::seats(epoch, host).iter().any(|(v, _)| v == &validator),
				Error::<T>::NotInCommittee
			);
			ensure!(
				!VerdictCommitments::<T>::contains_key((epoch, host, &validator))
					&& !commitments[..i].iter().any(|(h, _)| h == host),
				Error::<T>::AlreadyVoted
			);
		}
		for (host, hash) in &commitments {
			VerdictCommitments::<T>::insert((epoch, host, &validator), hash);
		}
		Self::deposit_event(Event::VerdictsCommitted {
			epoch,
			validator,
			count: commitments.len() as u32,
		});
		Ok(())
	}

	pub(crate) fn do_reveal_verdicts(
		worker: T::AccountId,
		epoch: EpochIndex,
		reveals: Vec<VerdictReveal<T::AccountId>>,
	) -> DispatchResult {
		let validator = Self::signer_in_phase(
			&worker,
			epoch,
			Phase::Reveal,
			Error::<T>::NotRevealWindow,
			reveals.len(),
		)?;
		let sample_size = Params::<T>::get().sample_size;
		let sampling_seed = SamplingSeed::<T>::get(epoch).ok_or(Error::<T>::NotRevealWindow)?;
		let mut records = Vec::with_capacity(reveals.len());
		for (i, reveal) in reveals.iter().enumerate() {
			let host = &reveal.host;
			let commitment =
				Commitments::<T>::get(epoch, host).ok_or(Error::<T>::HostNotCommitted)?;
			let committed = VerdictCommitments::<T>::get((epoch, host, &validator))
				.ok_or(Error::<T>::NoVerdictCommitment)?;
			ensure!(
				!Reveals::<T>::contains_key((epoch, host, &validator))
					&& !reveals[..i].iter().any(|r| &r.host == host),
				Error::<T>::AlreadyRevealed
			);
			let message = verdict_commitment_message(
				epoch,
				host,
				&validator,
				reveal.verdict,
				&reveal.bits,
				&reveal.salt,
			);
			ensure!(H256(blake2_256(&message)) == committed, Error::<T>::RevealMismatch);
			let sampled =
				Self::sample_of(&sampling_seed, &validator, host, commitment.count, sample_size);
			let below = below_positions(&sampled, &reveal.bits).ok_or(Error::<T>::BadCheckBits)?;
			records.push((host, Self::record(reveal.verdict, sampled, below)));
		}
		for (host, record) in records {
			Reveals::<T>::insert((epoch, host, &validator), record);
		}
		Self::deposit_event(Event::VerdictsRevealed {
			epoch,
			validator,
			count: reveals.len() as u32,
		});
		Ok(())
	}

	/// What a worker sends for `validator`'s verdict on `host` in `epoch`: the commitment to
	/// send in Validation and the reveal to send in Reveal, the check bit of each sampled pool
	/// position given by `bit` (for tests, benchmarks and tools; a worker re-computes the
	/// leaves). `None` before the sampling seed, or when the host did not commit.
	pub fn make_reveal(
		epoch: EpochIndex,
		host: &T::AccountId,
		validator: &T::AccountId,
		verdict: Verdict,
		salt: [u8; 32],
		bit: impl Fn(u32) -> bool,
	) -> Option<(H256, VerdictReveal<T::AccountId>)> {
		let seed = SamplingSeed::<T>::get(epoch)?;
		let count = Commitments::<T>::get(epoch, host)?.count;
		let sampled =
			Self::sample_of(&seed, validator, host, count, Params::<T>::get().sample_size);
		let bits: Vec<bool> = sampled.ones().map(bit).collect();
		let bits = CheckBits::truncate_from(gonka_primitives::sampling::pack_bits(&bits));
		let message = verdict_commitment_message(epoch, host, validator, verdict, &bits, &salt);
		let hash = H256(blake2_256(&message));
		Some((hash, VerdictReveal { host: host.clone(), verdict, bits, salt }))
	}

	/// The pool positions `validator` samples from `host`'s commitment of `count` leaves.
	pub fn sample_of(
		sampling_seed: &[u8; 32],
		validator: &T::AccountId,
		host: &T::AccountId,
		count: u64,
		sample_size: u32,
	) -> Bitmap {
		let mut key = Vec::with_capacity(32 + 2 * 48);
		key.extend_from_slice(sampling_seed);
		validator.encode_to(&mut key);
		host.encode_to(&mut key);
		sampled_positions(blake2_256(&key), count, sample_size)
	}

	/// A reveal as settlement stores it. Both bitmaps have `pool_len ≤ MAX_POOL_POSITIONS` bits
	/// (`sample_size ≤ MAX_SAMPLE_SIZE`), so nothing is cut.
	pub(crate) fn record(verdict: Verdict, sampled: Bitmap, below: Bitmap) -> RevealRecord {
		RevealRecord {
			verdict,
			sampled: BoundedVec::truncate_from(sampled.into_bytes()),
			below: BoundedVec::truncate_from(below.into_bytes()),
		}
	}
}
