//! The Sprint's search loop: nonces in batches to a backend until a range is done or a deadline
//! passes, hits collected in nonce order.
//!
//! The backend runs on the calling thread without pause; the progress callback runs on a second
//! thread fed through an unbounded channel, so a slow callback (a disk write, a terminal redraw)
//! never holds the device up. The only gap between two batches is the loop's own bookkeeping.

use std::{
	ops::{ControlFlow, Range},
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc,
	},
	time::{Duration, Instant},
};

use crate::{
	backend::{Backend, Hit},
	error::KernelError,
	hash::{HostKey, Seed},
};

/// How long to search.
#[derive(Clone, Debug)]
pub enum Budget {
	/// Exactly these nonces.
	Nonces(Range<u64>),
	/// Consecutive nonces from `start` until `deadline`. A batch is only started when the last
	/// batch's duration says it will finish before the deadline (shrunk to fit otherwise).
	Until { start: u64, deadline: Instant },
}

/// Progress after each batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
	/// Nonces computed so far.
	pub nonces_done: u64,
	/// Hits found so far.
	pub hits: u64,
	/// Average rate since the start.
	pub nonces_per_sec: f64,
	/// Time since the start (the model build in `prepare` included).
	pub elapsed: Duration,
	/// The first nonce not computed yet.
	pub next_nonce: u64,
}

/// Why the search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
	/// Every nonce of the range was computed.
	RangeDone,
	/// The deadline came.
	Deadline,
	/// The callback returned `ControlFlow::Break`.
	Cancelled,
}

/// The result of a search.
#[derive(Clone, Debug)]
pub struct SprintOutcome {
	/// Every hit, sorted by nonce, no duplicates: the leaves of the commitment.
	pub hits: Vec<Hit>,
	pub nonces_done: u64,
	/// The first nonce not computed (where a restarted search continues).
	pub next_nonce: u64,
	pub elapsed: Duration,
	pub stopped: StopReason,
}

/// Searches nonces for hits (`distance < r_target`) with `backend`.
///
/// `on_batch` is called after every batch with the progress and that batch's hits (so a worker
/// can append them to disk as they are found); returning `ControlFlow::Break(())` stops the search
/// after the batch in flight.
pub fn sprint<B, F>(
	backend: &mut B,
	seed: &Seed,
	pk: &HostKey,
	budget: Budget,
	mut on_batch: F,
) -> Result<SprintOutcome, KernelError>
where
	B: Backend + ?Sized,
	F: FnMut(&Progress, &[Hit]) -> ControlFlow<()> + Send,
{
	let (start, end, deadline) = match budget {
		Budget::Nonces(r) => {
			if r.start >= r.end {
				return Err(KernelError::EmptyRange { start: r.start, end: r.end });
			}
			(r.start, r.end, None)
		},
		Budget::Until { start, deadline } => (start, u64::MAX, Some(deadline)),
	};
	let r_target = backend.config().r_target();
	let began = Instant::now();
	backend.prepare(seed)?;
	let batch = backend.batch_size().max(1) as u64;
	let cancelled = AtomicBool::new(false);
	let (tx, rx) = mpsc::channel::<(Progress, Vec<Hit>)>();

	std::thread::scope(|scope| {
		let cancelled = &cancelled;
		scope.spawn(move || {
			for (progress, hits) in rx {
				if on_batch(&progress, &hits).is_break() {
					cancelled.store(true, Ordering::Relaxed);
				}
			}
		});

		let mut hits = Vec::new();
		let mut next = start;
		let mut last_batch: Option<Duration> = None;
		let stopped = loop {
			if cancelled.load(Ordering::Relaxed) {
				break StopReason::Cancelled;
			}
			if next >= end {
				break StopReason::RangeDone;
			}
			let mut n = batch.min(end - next);
			if let Some(deadline) = deadline {
				let now = Instant::now();
				if now >= deadline {
					break StopReason::Deadline;
				}
				if let Some(last) = last_batch {
					// Shrink the batch to what fits before the deadline at the last batch's rate.
					let left = deadline - now;
					if last > left {
						let fit = (n as f64 * left.as_secs_f64() / last.as_secs_f64()) as u64;
						if fit == 0 {
							break StopReason::Deadline;
						}
						n = fit;
					}
				}
			}
			let nonces: Vec<u64> = (next..next + n).collect();
			let t0 = Instant::now();
			let distances = backend.distances(seed, pk, &nonces)?;
			let took = t0.elapsed();
			// Scale the duration to a full batch for the next deadline check.
			last_batch = Some(took.mul_f64(batch as f64 / n as f64));
			let found: Vec<Hit> = nonces
				.iter()
				.zip(&distances)
				.filter(|(_, d)| **d < r_target)
				.map(|(&nonce, &d)| Hit::new(nonce, d))
				.collect();
			hits.extend_from_slice(&found);
			next += n;
			let elapsed = began.elapsed();
			let done = next - start;
			let progress = Progress {
				nonces_done: done,
				hits: hits.len() as u64,
				nonces_per_sec: done as f64 / elapsed.as_secs_f64().max(1e-9),
				elapsed,
				next_nonce: next,
			};
			// The receiver lives until the scope ends.
			let _ = tx.send((progress, found));
		};
		drop(tx);
		Ok(SprintOutcome {
			hits,
			nonces_done: next - start,
			next_nonce: next,
			elapsed: began.elapsed(),
			stopped,
		})
	})
}
