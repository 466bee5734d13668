//! What the worker does at a block, decided without a node: [`plan`] is a pure function of a
//! [`Snapshot`] (the block's epoch and phase, what the data directory records, which duties are
//! running) to the [`Action`]s the worker then carries out. A fact only the chain knows is asked
//! for when it matters ([`Need`]): the caller reads it and plans again. So every decision —
//! start late in a Sprint, miss a Commit window, resend a commitment whose block was retracted,
//! pick up after a restart at any step — is tested here, block by block, with no chain.

use pallet_sprint::{EpochInfo, Phase};

/// Where a duty of the current epoch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Task {
	/// Not started in this process (never, or before a restart).
	#[default]
	Idle,
	Running,
	Finished,
}

/// Where the reveal duty of the current epoch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reveal {
	#[default]
	Idle,
	Running,
	/// A round ended; `nothing_left` when it found nothing more to send.
	Finished {
		nothing_left: bool,
	},
}

/// What the worker knows at a block.
#[derive(Clone, Debug)]
pub struct Snapshot {
	/// The best block.
	pub number: u32,
	/// Its epoch and phase.
	pub info: EpochInfo<u32>,
	/// Blocks before the Commit phase at which the Sprint stops (`--commit-margin-blocks`).
	pub commit_margin: u32,
	/// The host's weight this epoch (validators have weight).
	pub weight: u64,
	/// The data directory records this epoch's commitment as sent and included.
	pub committed: bool,
	/// The epoch whose Sprint is running, if one is.
	pub mining: Option<u32>,
	/// This epoch's commit duty.
	pub commit: Task,
	/// This epoch's validation duty.
	pub validation: Task,
	/// Every verdict of this epoch's duties is on chain (known in this process).
	pub validated: bool,
	/// This epoch's reveal duty.
	pub reveal: Reveal,
	/// Every committed verdict of this epoch is revealed (known in this process).
	pub revealed: bool,
	/// Read from the chain when [`Need::CommitmentOnChain`] asked: whether the best block's
	/// state holds this host's commitment.
	pub commitment_on_chain: Option<bool>,
	/// Read from the chain when [`Need::VerdictsCommitted`] asked: whether every verdict of the
	/// validator's duties is committed.
	pub verdicts_committed: Option<bool>,
}

/// A fact to read from the chain before the block can be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
	/// Is the commitment the data directory records in the best block's state?
	CommitmentOnChain,
	/// Are all of this epoch's verdicts committed on chain?
	VerdictsCommitted,
}

/// One thing to do at this block, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
	/// Stop the running Sprint (it is an older epoch's, or past its stop block); its hits are
	/// saved.
	StopSprint,
	/// Start this epoch's Sprint, searching until `stop_block` (exclusive).
	StartSprint { stop_block: u32 },
	/// The recorded commitment is not on the best chain (its block was retracted): forget it.
	ForgetCommit,
	/// Send the commitment; the attempt ends at block `until` (the Commit window's end).
	StartCommit { until: u32 },
	/// Every verdict is on chain: validation of this epoch is done.
	MarkValidated,
	/// Judge the hosts of this validator's seats (again: those whose verdict is not on chain).
	StartValidation,
	/// Every committed verdict is revealed.
	MarkRevealed,
	/// Reveal the committed verdicts not yet revealed.
	StartReveal,
}

/// The block at which the Sprint stops: `--commit-margin-blocks` before the Commit phase, but
/// not before the epoch's start.
pub fn stop_block(info: &EpochInfo<u32>, commit_margin: u32) -> u32 {
	info.commit_start.saturating_sub(commit_margin).max(info.start)
}

/// The actions for `s`, or the chain fact it needs first.
pub fn plan(s: &Snapshot) -> Result<Vec<Action>, Need> {
	let info = &s.info;
	let stop = stop_block(info, s.commit_margin);
	let mut out = Vec::new();

	// Sprint: a search of an older epoch, or one past its stop block, stops.
	if s.mining.is_some_and(|e| e != info.epoch || s.number >= stop) {
		out.push(Action::StopSprint);
	}
	if info.phase == Phase::Sprint
		&& s.number < stop
		&& !s.committed
		&& s.mining != Some(info.epoch)
	{
		out.push(Action::StartSprint { stop_block: stop });
	}

	// Commit: from the stop block to the window's end. A commitment recorded as sent but absent
	// from the best block's state (its block was retracted) is sent again.
	let commit_window = s.number >= stop && s.number < info.commit_end;
	let mut committed = s.committed;
	if commit_window && committed && s.commit != Task::Running {
		match s.commitment_on_chain {
			None => return Err(Need::CommitmentOnChain),
			Some(false) => {
				out.push(Action::ForgetCommit);
				committed = false;
			},
			Some(true) => {},
		}
	}
	if commit_window && !committed && s.commit != Task::Running {
		out.push(Action::StartCommit { until: info.commit_end });
	}

	// Validation: done once a finished round left every verdict on chain; otherwise (again).
	if info.phase == Phase::Validation && !s.validated {
		match s.validation {
			Task::Running => {},
			Task::Finished => match s.verdicts_committed {
				None => return Err(Need::VerdictsCommitted),
				Some(true) => out.push(Action::MarkValidated),
				Some(false) if s.weight > 0 => out.push(Action::StartValidation),
				Some(false) => {},
			},
			Task::Idle if s.weight > 0 => out.push(Action::StartValidation),
			Task::Idle => {},
		}
	}

	// Reveal: rounds until one finds nothing left to send.
	if info.phase == Phase::Reveal && !s.revealed {
		match s.reveal {
			Reveal::Running => {},
			Reveal::Finished { nothing_left: true } => out.push(Action::MarkRevealed),
			Reveal::Finished { nothing_left: false } | Reveal::Idle => {
				out.push(Action::StartReveal)
			},
		}
	}
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Epoch 3 of a 40-block epoch: Sprint 100–109, Commit 110–114, seed gap 115–116,
	/// Validation 117–124, Reveal 125–129, settlement 130–139.
	fn info_at(number: u32) -> EpochInfo<u32> {
		let phase = match number {
			..110 => Phase::Sprint,
			110..115 => Phase::Commit,
			115..117 => Phase::SeedGap,
			117..125 => Phase::Validation,
			125..130 => Phase::Reveal,
			_ => Phase::Settlement,
		};
		EpochInfo {
			epoch: 3,
			phase,
			block: number,
			start: 100,
			commit_start: 110,
			commit_end: 115,
			validation_start: 117,
			reveal_start: 125,
			settlement_start: 130,
			next_epoch_start: 140,
		}
	}

	fn at(number: u32) -> Snapshot {
		Snapshot {
			number,
			info: info_at(number),
			commit_margin: 1,
			weight: 10,
			committed: false,
			mining: None,
			commit: Task::Idle,
			validation: Task::Idle,
			validated: false,
			reveal: Reveal::Idle,
			revealed: false,
			commitment_on_chain: None,
			verdicts_committed: None,
		}
	}

	#[test]
	fn a_worker_started_late_in_the_sprint_searches_until_the_stop_block() {
		assert_eq!(plan(&at(100)), Ok(vec![Action::StartSprint { stop_block: 109 }]));
		assert_eq!(plan(&at(107)), Ok(vec![Action::StartSprint { stop_block: 109 }]));
		// Running already: nothing new.
		assert_eq!(plan(&Snapshot { mining: Some(3), ..at(107) }), Ok(vec![]));
		// An older epoch's search is stopped and this one started.
		assert_eq!(
			plan(&Snapshot { mining: Some(2), ..at(101) }),
			Ok(vec![Action::StopSprint, Action::StartSprint { stop_block: 109 }])
		);
		// Started at the stop block: no Sprint, the (empty) commitment goes out.
		assert_eq!(plan(&at(109)), Ok(vec![Action::StartCommit { until: 115 }]));
		// A margin larger than the Sprint starts nothing.
		let wide = Snapshot { commit_margin: 50, ..at(100) };
		assert_eq!(stop_block(&wide.info, 50), 100);
		assert_eq!(plan(&wide), Ok(vec![Action::StartCommit { until: 115 }]));
	}

	#[test]
	fn at_the_stop_block_the_sprint_stops_and_the_commitment_goes_out_once() {
		assert_eq!(
			plan(&Snapshot { mining: Some(3), ..at(109) }),
			Ok(vec![Action::StopSprint, Action::StartCommit { until: 115 }])
		);
		// While the attempt runs, it is not started again.
		assert_eq!(plan(&Snapshot { commit: Task::Running, ..at(110) }), Ok(vec![]));
		// A finished attempt that did not land is retried at the next block.
		assert_eq!(
			plan(&Snapshot { commit: Task::Finished, ..at(111) }),
			Ok(vec![Action::StartCommit { until: 115 }])
		);
		// Committed and on chain: nothing.
		let done = Snapshot { committed: true, commitment_on_chain: Some(true), ..at(112) };
		assert_eq!(plan(&done), Ok(vec![]));
	}

	#[test]
	fn a_missed_commit_window_sends_nothing() {
		for n in 115..140 {
			let actions = plan(&Snapshot { weight: 0, ..at(n) }).unwrap();
			assert!(
				!actions.iter().any(|a| matches!(a, Action::StartCommit { .. })),
				"block {n}: {actions:?}"
			);
			assert!(!actions.contains(&Action::StartSprint { stop_block: 109 }));
		}
	}

	#[test]
	fn a_commitment_whose_block_was_retracted_is_sent_again() {
		let s = Snapshot { committed: true, commit: Task::Finished, ..at(112) };
		assert_eq!(plan(&s), Err(Need::CommitmentOnChain));
		assert_eq!(
			plan(&Snapshot { commitment_on_chain: Some(false), ..s.clone() }),
			Ok(vec![Action::ForgetCommit, Action::StartCommit { until: 115 }])
		);
		assert_eq!(plan(&Snapshot { commitment_on_chain: Some(true), ..s.clone() }), Ok(vec![]));
		// After the window nobody asks: a late commitment could not land anyway.
		assert_eq!(plan(&Snapshot { committed: true, ..at(115) }), Ok(vec![]));
	}

	#[test]
	fn validation_runs_until_every_verdict_is_on_chain_and_only_with_weight() {
		assert_eq!(plan(&at(117)), Ok(vec![Action::StartValidation]));
		assert_eq!(plan(&Snapshot { weight: 0, ..at(117) }), Ok(vec![]));
		assert_eq!(plan(&Snapshot { validation: Task::Running, ..at(118) }), Ok(vec![]));
		let finished = Snapshot { validation: Task::Finished, ..at(119) };
		assert_eq!(plan(&finished), Err(Need::VerdictsCommitted));
		assert_eq!(
			plan(&Snapshot { verdicts_committed: Some(true), ..finished.clone() }),
			Ok(vec![Action::MarkValidated])
		);
		assert_eq!(
			plan(&Snapshot { verdicts_committed: Some(false), ..finished.clone() }),
			Ok(vec![Action::StartValidation])
		);
		assert_eq!(plan(&Snapshot { validated: true, ..at(120) }), Ok(vec![]));
		// Not in the seed gap, not in Reveal.
		assert_eq!(plan(&Snapshot { committed: true, ..at(116) }), Ok(vec![]));
	}

	#[test]
	fn reveal_rounds_repeat_until_one_finds_nothing_left() {
		assert_eq!(plan(&at(125)), Ok(vec![Action::StartReveal]));
		assert_eq!(plan(&Snapshot { reveal: Reveal::Running, ..at(126) }), Ok(vec![]));
		assert_eq!(
			plan(&Snapshot { reveal: Reveal::Finished { nothing_left: false }, ..at(126) }),
			Ok(vec![Action::StartReveal])
		);
		assert_eq!(
			plan(&Snapshot { reveal: Reveal::Finished { nothing_left: true }, ..at(127) }),
			Ok(vec![Action::MarkRevealed])
		);
		assert_eq!(plan(&Snapshot { revealed: true, ..at(127) }), Ok(vec![]));
		assert_eq!(plan(&at(130)), Ok(vec![]));
	}

	/// A whole epoch, block by block, against a model of the chain and the data directory in
	/// which every duty finishes within its block (a commitment or verdict lands unless the
	/// block is retracted). The worker is killed at block `k` — everything in memory is lost,
	/// the data directory and the chain stay — for every `k` of the epoch, and with one block's
	/// retraction after the commitment landed. Whatever the step: the Sprint ran before the
	/// stop block, exactly one commitment is on chain at the end, the verdicts are committed
	/// and revealed, and nothing is done twice that was recorded as done.
	#[test]
	fn a_restart_at_every_step_loses_nothing_and_repeats_nothing() {
		#[derive(Default, Debug)]
		struct World {
			// chain
			on_chain: bool,
			verdicts_on_chain: bool,
			revealed_on_chain: bool,
			// data directory
			committed: bool,
			// counters
			commits_sent: u32,
			sprint_blocks: u32,
		}
		for kill_at in (100..140).map(Some).chain([None]) {
			for retract_at in [None, Some(111)] {
				let mut w = World::default();
				let mut mem = Snapshot { ..at(100) };
				for n in 100..140 {
					if Some(n) == kill_at {
						// Only disk and chain survive.
						mem = Snapshot { committed: w.committed, ..at(n) };
					}
					if Some(n) == retract_at && w.on_chain {
						// The block with the commitment left the best chain.
						w.on_chain = false;
					}
					let mut s = Snapshot {
						number: n,
						info: info_at(n),
						committed: w.committed,
						commitment_on_chain: None,
						verdicts_committed: None,
						..mem.clone()
					};
					let actions = loop {
						match plan(&s) {
							Ok(a) => break a,
							Err(Need::CommitmentOnChain) => {
								s.commitment_on_chain = Some(w.on_chain)
							},
							Err(Need::VerdictsCommitted) => {
								s.verdicts_committed = Some(w.verdicts_on_chain)
							},
						}
					};
					for a in actions {
						match a {
							Action::StopSprint => s.mining = None,
							Action::StartSprint { stop_block } => {
								assert!(n < stop_block);
								s.mining = Some(3);
							},
							Action::ForgetCommit => w.committed = false,
							Action::StartCommit { until } => {
								assert!(n < until && !w.committed, "block {n}");
								// Sent and included in this block; recorded.
								w.commits_sent += 1;
								w.on_chain = true;
								w.committed = true;
								s.commit = Task::Finished;
							},
							Action::StartValidation => {
								w.verdicts_on_chain = true;
								s.validation = Task::Finished;
							},
							Action::MarkValidated => s.validated = true,
							Action::StartReveal => {
								let nothing_left = w.revealed_on_chain;
								w.revealed_on_chain = true;
								s.reveal = Reveal::Finished { nothing_left };
							},
							Action::MarkRevealed => s.revealed = true,
						}
					}
					if s.mining == Some(3) {
						w.sprint_blocks += 1;
					}
					s.committed = w.committed;
					mem = s;
				}
				let case = format!("killed at {kill_at:?}, retracted at {retract_at:?}: {w:?}");
				assert!(w.on_chain && w.committed, "{case}");
				assert!(w.verdicts_on_chain && w.revealed_on_chain, "{case}");
				// (`validated`/`revealed` are only what this process learnt: killed in the last
				// block of a phase, it never learns it, and nothing depends on it.)
				if kill_at.is_none_or(|k| k < 124) {
					assert!(mem.validated, "{case}");
				}
				if kill_at.is_none_or(|k| k < 129) {
					assert!(mem.revealed, "{case}");
				}
				let resent = u32::from(retract_at.is_some());
				assert_eq!(w.commits_sent, 1 + resent, "{case}");
				// The Sprint ran on every block before the stop block but the killed one
				// (restarted at the same block).
				assert!(w.sprint_blocks >= 9, "{case}");
			}
		}
	}
}
