//! Validators and seats (PROTOCOL §6).
//!
//! **Seats.** Each committed host `h` of epoch `e` gets `committee_size` seats, drawn with
//! replacement from the validators of `e` (hosts with weight > 0, in `Validators` order with
//! running weight sums), each with probability proportional to its weight, `h` itself never.
//! Draw `i` (from 0) takes `x = u64_le(blake2_256(sampling_seed(e) ‖ SCALE(h) ‖ u32_le(i))[..8])
//! mod (W − w_h)`, with `W` the epoch's total weight and `[s_h, s_h + w_h)` the host's own
//! interval of running weight (empty when it is no validator); when `x ≥ s_h`, `x += w_h`; the
//! validator whose interval holds `x` gets the seat. Skipping the host's interval is the same
//! distribution as drawing again whenever the host is hit, in exactly one hash per seat:
//! bounded work, `O(size · log V)` reads. (The modulo's bias is below `W / 2^64`, under 2^-27
//! for any weight the chain can hold.)
//!
//! The seats are stored per host when first needed (its first verdict commitment, or
//! settlement), as the distinct validators with their seat counts, so a verdict is checked with
//! one read and counts once per seat its validator holds: a validator with several seats on a
//! host checks it once.

use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::{frame_support::pallet_prelude::*, sp_io::hashing::blake2_256};

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
		// Voting weight: the lesser of this and the previous epoch's (genesis: its own).
		let voting = match epoch.checked_sub(1) {
			Some(previous) => weight.min(Weights::<T>::get(previous, host)),
			None => weight,
		};
		Self::set_voting_weight(epoch, host, voting);
		let index = ValidatorCount::<T>::get(epoch);
		Validators::<T>::insert(epoch, index, (host.clone(), total));
		ValidatorIndex::<T>::insert(epoch, host, index);
		ValidatorCount::<T>::insert(epoch, index.saturating_add(1));
	}

	/// Gives `host` `weight` in `epoch`, for other pallets' benchmarks (governance votes with
	/// weights).
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_set_weight(epoch: EpochIndex, host: &T::AccountId, weight: u64) {
		Self::set_weight(epoch, host, weight);
		let old = VotingWeights::<T>::get(epoch, host);
		TotalVotingWeight::<T>::mutate(epoch, |t| *t = t.saturating_sub(old));
		VotingWeights::<T>::remove(epoch, host);
		Self::set_voting_weight(epoch, host, weight);
	}

	/// Records `host`'s voting weight in `epoch` (nothing for 0).
	pub(crate) fn set_voting_weight(epoch: EpochIndex, host: &T::AccountId, voting: u64) {
		if voting > 0 {
			VotingWeights::<T>::insert(epoch, host, voting);
			TotalVotingWeight::<T>::mutate(epoch, |t| *t = t.saturating_add(voting));
		}
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

	/// Draws the seats of `host` in `epoch` (see the module docs). Empty before the epoch's
	/// sampling seed is fixed, and when no validator but the host has weight.
	pub fn draw_seats(epoch: EpochIndex, host: &T::AccountId) -> Vec<(T::AccountId, u32)> {
		let Some(sampling_seed) = SamplingSeed::<T>::get(epoch) else { return Vec::new() };
		let total = TotalWeight::<T>::get(epoch);
		let (own_start, own) = ValidatorIndex::<T>::get(epoch, host)
			.and_then(|i| Self::interval(epoch, i))
			.map_or((0, 0), |(start, end)| (start, end.saturating_sub(start)));
		let others = total.saturating_sub(own);
		let mut seats: Vec<(T::AccountId, u32)> = Vec::new();
		if others == 0 {
			return seats;
		}
		let mut input = Vec::with_capacity(32 + 48 + 4);
		input.extend_from_slice(&sampling_seed);
		host.encode_to(&mut input);
		let prefix = input.len();
		for i in 0..Params::<T>::get().committee_size {
			input.truncate(prefix);
			input.extend_from_slice(&i.to_le_bytes());
			let h = blake2_256(&input);
			let mut word = [0u8; 8];
			word.copy_from_slice(&h[..8]);
			let mut x = u64::from_le_bytes(word) % others;
			if own > 0 && x >= own_start {
				x = x.saturating_add(own);
			}
			let Some((member, _)) =
				Self::validator_at(epoch, x).and_then(|index| Validators::<T>::get(epoch, index))
			else {
				break;
			};
			match seats.iter_mut().find(|(v, _)| v == &member) {
				Some((_, n)) => *n = n.saturating_add(1),
				None => seats.push((member, 1)),
			}
		}
		seats
	}

	/// The seats of `host` in `epoch`: the kept ones, or drawn now (without storing them).
	pub fn seats_of(epoch: EpochIndex, host: &T::AccountId) -> Vec<(T::AccountId, u32)> {
		Seats::<T>::get(epoch, host)
			.map(|c| c.into_inner())
			.unwrap_or_else(|| Self::draw_seats(epoch, host))
	}

	/// The distinct validators holding seats on `host` in `epoch`.
	pub fn committee_of(epoch: EpochIndex, host: &T::AccountId) -> Vec<T::AccountId> {
		Self::seats_of(epoch, host).into_iter().map(|(v, _)| v).collect()
	}

	/// The committed hosts of `epoch` on which `validator` holds seats (for workers: one seat
	/// draw per committed host).
	pub fn duties(epoch: EpochIndex, validator: &T::AccountId) -> Vec<(T::AccountId, Commitment)> {
		Commitments::<T>::iter_prefix(epoch)
			.filter(|(host, _)| Self::seats_of(epoch, host).iter().any(|(v, _)| v == validator))
			.collect()
	}

	/// The seats of `host` in `epoch`, drawn once and kept.
	pub(crate) fn seats(epoch: EpochIndex, host: &T::AccountId) -> crate::SeatsOf<T> {
		if let Some(c) = Seats::<T>::get(epoch, host) {
			return c;
		}
		// At most `committee_size ≤ MaxCommitteeSize` distinct validators: nothing is cut.
		let drawn = BoundedVec::truncate_from(Self::draw_seats(epoch, host));
		Seats::<T>::insert(epoch, host, &drawn);
		drawn
	}
}
