//! Validators, committees and verdicts (PROTOCOL §6).
//!
//! **Committee draw.** The committee of host `h` in epoch `e` is drawn from the validators of
//! `e` (hosts with weight > 0, in `Validators` order with running weight sums), weighted by
//! weight, without replacement, `h` left out, `min(committee_size, validators − [h is one])`
//! members. Draw `i` (from 0) takes `x = u64_le(blake2_256(s ‖ u32_le(i))) mod R`, where
//! `s = blake2_256(sampling_seed(e) ‖ SCALE(h))` and `R` is the weight not yet drawn; `x` is
//! mapped onto the full running sums by stepping over the intervals of the members already out
//! (in order of position), and the member whose interval holds it is drawn. Exactly one draw per
//! member: bounded work, `O(size · (log V + size))` reads.

use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	sp_io::hashing::blake2_256,
};

use crate::{pallet::*, types::*};

impl<T: Config> Pallet<T> {
	/// Sets `host`'s weight in `epoch` (once) and appends it to the epoch's validators.
	pub(crate) fn set_weight(epoch: EpochIndex, host: &T::AccountId, weight: u64) {
		if weight == 0 || Weights::<T>::contains_key(epoch, host) {
			return;
		}
		Weights::<T>::insert(epoch, host, weight);
		let total = TotalWeight::<T>::get(epoch).saturating_add(weight);
		TotalWeight::<T>::insert(epoch, total);
		let index = ValidatorCount::<T>::get(epoch);
		Validators::<T>::insert(epoch, index, (host.clone(), total));
		ValidatorIndex::<T>::insert(epoch, host, index);
		ValidatorCount::<T>::insert(epoch, index.saturating_add(1));
	}

	/// Gives `host` `weight` in `epoch`, for other pallets' benchmarks (governance votes with
	/// weights).
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_set_weight(epoch: EpochIndex, host: &T::AccountId, weight: u64) {
		Self::set_weight(epoch, host, weight)
	}

	/// The interval `[start, end)` of running weight that validator `index` of `epoch` owns.
	fn interval(epoch: EpochIndex, index: u32) -> Option<(u64, u64)> {
		let (_, end) = Validators::<T>::get(epoch, index)?;
		let start = match index {
			0 => 0,
			i => Validators::<T>::get(epoch, i - 1)?.1,
		};
		Some((start, end))
	}

	/// The position of the validator whose interval holds running weight `x` (binary search).
	fn validator_at(epoch: EpochIndex, x: u64) -> Option<u32> {
		let (mut lo, mut hi) = (0u32, ValidatorCount::<T>::get(epoch));
		while lo < hi {
			let mid = lo + (hi - lo) / 2;
			let (_, end) = Validators::<T>::get(epoch, mid)?;
			if end > x {
				hi = mid;
			} else {
				lo = mid + 1;
			}
		}
		(lo < ValidatorCount::<T>::get(epoch)).then_some(lo)
	}

	/// Draws the committee of `host` in `epoch` (see the module docs). Empty before the epoch's
	/// sampling seed is fixed.
	pub fn draw_committee(epoch: EpochIndex, host: &T::AccountId) -> Vec<T::AccountId> {
		let Some(sampling_seed) = SamplingSeed::<T>::get(epoch) else { return Vec::new() };
		let count = ValidatorCount::<T>::get(epoch);
		let mut remaining = TotalWeight::<T>::get(epoch);
		// Intervals already out of the draw, kept sorted by start.
		let mut out: Vec<(u64, u64)> = Vec::new();
		let mut members = Vec::new();
		let mut eligible = count;
		if let Some(i) = ValidatorIndex::<T>::get(epoch, host) {
			if let Some(iv) = Self::interval(epoch, i) {
				out.push(iv);
				remaining = remaining.saturating_sub(iv.1 - iv.0);
				eligible = eligible.saturating_sub(1);
			}
		}
		let size = Params::<T>::get().committee_size.min(eligible);
		let mut input = Vec::with_capacity(32 + 48);
		input.extend_from_slice(&sampling_seed);
		host.encode_to(&mut input);
		let s = blake2_256(&input);
		for i in 0..size {
			if remaining == 0 {
				break;
			}
			let mut word = [0u8; 36];
			word[..32].copy_from_slice(&s);
			word[32..].copy_from_slice(&i.to_le_bytes());
			let h = blake2_256(&word);
			let mut x = u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) % remaining;
			for (start, end) in &out {
				if x >= *start {
					x = x.saturating_add(end - start);
				}
			}
			let Some(index) = Self::validator_at(epoch, x) else { break };
			let (Some((member, _)), Some(iv)) =
				(Validators::<T>::get(epoch, index), Self::interval(epoch, index))
			else {
				break;
			};
			let at = out.partition_point(|o| o.0 < iv.0);
			out.insert(at, iv);
			remaining = remaining.saturating_sub(iv.1 - iv.0);
			members.push(member);
		}
		members
	}

	/// The committee of `host` in `epoch`: the kept one, or drawn now (without storing it).
	pub fn committee_of(epoch: EpochIndex, host: &T::AccountId) -> Vec<T::AccountId> {
		Committees::<T>::get(epoch, host)
			.map(|c| c.into_inner())
			.unwrap_or_else(|| Self::draw_committee(epoch, host))
	}

	/// The committed hosts of `epoch` whose committee `validator` sits on (for workers: one
	/// committee draw per committed host).
	pub fn duties(epoch: EpochIndex, validator: &T::AccountId) -> Vec<(T::AccountId, Commitment)> {
		Commitments::<T>::iter_prefix(epoch)
			.filter(|(host, _)| Self::committee_of(epoch, host).contains(validator))
			.collect()
	}

	/// The committee of `host` in `epoch`, drawn once and kept.
	pub(crate) fn committee(
		epoch: EpochIndex,
		host: &T::AccountId,
	) -> BoundedVec<T::AccountId, T::MaxCommitteeSize> {
		if let Some(c) = Committees::<T>::get(epoch, host) {
			return c;
		}
		let drawn = BoundedVec::truncate_from(Self::draw_committee(epoch, host));
		Committees::<T>::insert(epoch, host, &drawn);
		drawn
	}

	pub(crate) fn do_submit_verdicts(
		worker: T::AccountId,
		epoch: EpochIndex,
		verdicts: Vec<(T::AccountId, Verdict)>,
	) -> DispatchResult {
		let validator = HostOfWorker::<T>::get(&worker).ok_or(Error::<T>::NotAWorkerKey)?;
		let (current, phase, _) = Self::current_phase();
		ensure!(epoch == current, Error::<T>::WrongEpoch);
		ensure!(phase == Phase::Validation, Error::<T>::NotValidationWindow);
		ensure!(!verdicts.is_empty(), Error::<T>::NoVerdicts);
		let weight = Weights::<T>::get(epoch, &validator);
		for (host, verdict) in &verdicts {
			ensure!(Commitments::<T>::contains_key(epoch, host), Error::<T>::HostNotCommitted);
			ensure!(Self::committee(epoch, host).contains(&validator), Error::<T>::NotInCommittee);
			ensure!(!Votes::<T>::contains_key((epoch, host, &validator)), Error::<T>::AlreadyVoted);
			Votes::<T>::insert((epoch, host, &validator), verdict);
			Tallies::<T>::mutate(epoch, host, |t| {
				match verdict {
					Verdict::Valid => t.valid = t.valid.saturating_add(weight),
					Verdict::Invalid => t.invalid = t.invalid.saturating_add(weight),
				}
				t.votes = t.votes.saturating_add(1);
			});
		}
		Self::deposit_event(Event::VerdictsSubmitted {
			epoch,
			validator,
			count: verdicts.len() as u32,
		});
		Ok(())
	}
}
