//! Continuous batching: one thread owns the backend and runs every admitted request together,
//! one forward call per step; requests join and leave between steps.
//!
//! * The queue is bounded: [`Scheduler::submit`] refuses with [`SubmitError::QueueFull`] (the
//!   API's 429/503) instead of letting waiting requests pile up without limit.
//! * Each request streams its tokens to a [`Sink`]; a sink that answers `false` (the client went
//!   away) cancels its request at once and frees its cache.
//! * A backend error fails the requests of that step (never silently drops them) and the loop
//!   goes on with the next ones.
//!
//! The scheduler works in tokens; stop strings and text are the API's (it cancels through the
//! sink when it sees one).

use std::{
	collections::VecDeque,
	sync::{
		atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
		Arc, Condvar, Mutex,
	},
	thread::JoinHandle,
};

use rayon::prelude::*;

use crate::{
	backend::Backend,
	error::EngineError,
	generate::{FinishReason, Request, Sequence, Token},
};

/// What a request's sink receives.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
	/// The request left the queue; `prompt_tokens` are being prefilled.
	Started { prompt_tokens: usize },
	/// One more completion token.
	Token(Token),
	/// The completion ended.
	Finished(FinishReason),
	/// The request could not run (bad parameters, backend failure); nothing more follows.
	Failed(EngineError),
}

/// Receives a request's events; returns `false` when nobody listens any more (cancels it).
pub type Sink = Box<dyn FnMut(Event) -> bool + Send>;

/// Limits of the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulerConfig {
	/// Sequences generated together (the batch of a decode step).
	pub max_batch: usize,
	/// Requests waiting beyond those; more are refused.
	pub max_queue: usize,
	/// Tokens one step may feed (chunked prefill): every decoding sequence's one token, then
	/// prompts in arrival order up to this many in all, so a long prompt is prefilled over several
	/// steps and never stalls the streams already running. At least 1.
	pub max_step_tokens: usize,
	/// A pause after every step: zero, except in tests that need a slow generation (a client
	/// disconnecting mid-stream).
	pub step_delay: std::time::Duration,
}

/// The default token budget of a step.
pub const DEFAULT_MAX_STEP_TOKENS: usize = 512;

impl Default for SchedulerConfig {
	fn default() -> Self {
		SchedulerConfig {
			max_batch: 32,
			max_queue: 256,
			max_step_tokens: DEFAULT_MAX_STEP_TOKENS,
			step_delay: std::time::Duration::ZERO,
		}
	}
}

/// Why a request was not queued.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SubmitError {
	/// Every batch slot is taken and the queue is full: try again later.
	#[error(
		"the server is busy: {waiting} requests are already waiting (limit {limit}); retry later"
	)]
	QueueFull { waiting: usize, limit: usize },
	/// The scheduler has been shut down.
	#[error("the inference engine has stopped")]
	Stopped,
}

/// Counters for metrics and tests.
#[derive(Debug, Default)]
pub struct SchedulerStats {
	pub queued: AtomicUsize,
	pub active: AtomicUsize,
	pub completed: AtomicU64,
	pub cancelled: AtomicU64,
	pub failed: AtomicU64,
	pub generated_tokens: AtomicU64,
	pub prompt_tokens: AtomicU64,
	pub steps: AtomicU64,
}

struct Job {
	request: Request,
	sink: Sink,
}

struct Shared {
	queue: Mutex<VecDeque<Job>>,
	wake: Condvar,
	stop: AtomicBool,
	stats: SchedulerStats,
	config: SchedulerConfig,
}

/// The handle of the scheduler thread. Dropping it stops the thread after the current step;
/// requests still running get `Failed(Backend("shut down"))`.
pub struct Scheduler {
	shared: Arc<Shared>,
	thread: Option<JoinHandle<()>>,
	backend_name: String,
	vocab: usize,
	context: usize,
}

impl Scheduler {
	/// Starts the scheduler thread on a backend.
	pub fn spawn(backend: Box<dyn Backend>, config: SchedulerConfig) -> Scheduler {
		let shared = Arc::new(Shared {
			queue: Mutex::new(VecDeque::new()),
			wake: Condvar::new(),
			stop: AtomicBool::new(false),
			stats: SchedulerStats::default(),
			config: SchedulerConfig {
				max_batch: config.max_batch.max(1),
				max_step_tokens: config.max_step_tokens.max(1),
				..config
			},
		});
		let backend_name = backend.name();
		let (vocab, context) =
			(backend.config().vocab_size, backend.config().max_position_embeddings);
		let s = shared.clone();
		let thread = std::thread::Builder::new()
			.name("gonka-llm-scheduler".into())
			.spawn(move || run(backend, s))
			.expect("can start the scheduler thread");
		Scheduler { shared, thread: Some(thread), backend_name, vocab, context }
	}

	/// Queues a request. Its parameters are checked when it is admitted (a bad one gets
	/// `Failed`); callers check them first with [`Sequence::new`] to answer 400 at once.
	pub fn submit(&self, request: Request, sink: Sink) -> Result<(), SubmitError> {
		if self.shared.stop.load(Ordering::SeqCst) {
			return Err(SubmitError::Stopped);
		}
		let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
		let free = self
			.shared
			.config
			.max_batch
			.saturating_sub(self.shared.stats.active.load(Ordering::SeqCst));
		let limit = self.shared.config.max_queue + free;
		if q.len() >= limit {
			return Err(SubmitError::QueueFull {
				waiting: q.len(),
				limit: self.shared.config.max_queue,
			});
		}
		q.push_back(Job { request, sink });
		self.shared.stats.queued.store(q.len(), Ordering::SeqCst);
		drop(q);
		self.shared.wake.notify_one();
		Ok(())
	}

	/// Checks a request as the scheduler will when it admits it.
	pub fn check(&self, request: &Request) -> Result<(), EngineError> {
		Sequence::new(0, request.clone(), self.vocab, self.context).map(|_| ())
	}

	/// The counters.
	pub fn stats(&self) -> &SchedulerStats {
		&self.shared.stats
	}

	/// The limits it runs with.
	pub fn config(&self) -> SchedulerConfig {
		self.shared.config
	}

	/// The backend's name.
	pub fn backend_name(&self) -> &str {
		&self.backend_name
	}
}

impl Drop for Scheduler {
	fn drop(&mut self) {
		{
			// Under the queue's lock: the thread checks `stop` under it before it waits, so the
			// wake-up below cannot fall between its check and its wait (and be lost).
			let _q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
			self.shared.stop.store(true, Ordering::SeqCst);
		}
		self.shared.wake.notify_all();
		if let Some(t) = self.thread.take() {
			let _ = t.join();
		}
	}
}

struct Active {
	seq: Sequence,
	sink: Sink,
}

fn run(mut backend: Box<dyn Backend>, shared: Arc<Shared>) {
	let (vocab, context) = (backend.config().vocab_size, backend.config().max_position_embeddings);
	let mut active: Vec<Active> = Vec::new();
	let mut next_id: u64 = 1;
	let stats = &shared.stats;
	loop {
		// Admit what fits; sleep when there is nothing to do.
		{
			let mut q = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
			while active.is_empty() && q.is_empty() && !shared.stop.load(Ordering::SeqCst) {
				q = shared.wake.wait(q).unwrap_or_else(|p| p.into_inner());
			}
			if shared.stop.load(Ordering::SeqCst) {
				let left: Vec<Job> = q.drain(..).collect();
				drop(q);
				for mut job in left {
					(job.sink)(Event::Failed(EngineError::Backend(
						"the server is shutting down".into(),
					)));
				}
				for mut a in active.drain(..) {
					(a.sink)(Event::Failed(EngineError::Backend(
						"the server is shutting down".into(),
					)));
					backend.release(a.seq.id);
				}
				return;
			}
			while active.len() < shared.config.max_batch {
				let Some(mut job) = q.pop_front() else { break };
				let id = next_id;
				next_id += 1;
				match Sequence::new(id, job.request, vocab, context) {
					Ok(seq) => {
						if (job.sink)(Event::Started { prompt_tokens: seq.request.prompt.len() }) {
							stats
								.prompt_tokens
								.fetch_add(seq.request.prompt.len() as u64, Ordering::Relaxed);
							active.push(Active { seq, sink: job.sink });
						} else {
							stats.cancelled.fetch_add(1, Ordering::Relaxed);
						}
					},
					Err(e) => {
						stats.failed.fetch_add(1, Ordering::Relaxed);
						(job.sink)(Event::Failed(e));
					},
				}
			}
			stats.queued.store(q.len(), Ordering::SeqCst);
			stats.active.store(active.len(), Ordering::SeqCst);
		}
		if active.is_empty() {
			continue;
		}
		// This step's share of every sequence: decoding ones first (one token each, whatever the
		// budget: a running stream is never starved), then prompts in arrival order within what
		// is left of it.
		let mut budget = shared.config.max_step_tokens;
		let mut share = vec![0usize; active.len()];
		for (i, a) in active.iter().enumerate() {
			if a.seq.pending() == 1 {
				share[i] = 1;
				budget = budget.saturating_sub(1);
			}
		}
		for (i, a) in active.iter().enumerate() {
			let pending = a.seq.pending();
			if pending > 1 && budget > 0 {
				share[i] = pending.min(budget);
				budget -= share[i];
			}
		}
		let steps: Vec<_> = active
			.iter()
			.zip(&share)
			.filter(|(_, &n)| n > 0)
			.filter_map(|(a, &n)| a.seq.step_within(n))
			.collect();
		let result = backend.forward(&steps);
		stats.steps.fetch_add(1, Ordering::Relaxed);
		if !shared.config.step_delay.is_zero() {
			std::thread::sleep(shared.config.step_delay);
		}
		match result {
			Err(e) => {
				for mut a in active.drain(..) {
					backend.release(a.seq.id);
					stats.failed.fetch_add(1, Ordering::Relaxed);
					(a.sink)(Event::Failed(e.clone()));
				}
			},
			Ok(logits) => {
				// Sampling (a softmax over the vocabulary per sequence) runs on every core; the
				// sinks are then called in order.
				let mut logits = logits.into_iter();
				let work: Vec<_> = active
					.iter_mut()
					.zip(&share)
					.map(|(a, &n)| (a, n, if n > 0 { logits.next() } else { None }))
					.collect();
				let tokens: Vec<Option<Token>> = work
					.into_par_iter()
					.map(|(a, n, l)| match l {
						None => None,
						// A prefill chunk short of the prompt's end: nothing to sample yet.
						Some(_) if n < a.seq.pending() => {
							a.seq.fed_chunk(n);
							None
						},
						Some(l) => Some(a.seq.advance(l.last()).clone()),
					})
					.collect();
				let mut keep = Vec::with_capacity(active.len());
				for (mut a, token) in active.drain(..).zip(tokens) {
					let Some(token) = token else {
						keep.push(a);
						continue;
					};
					stats.generated_tokens.fetch_add(1, Ordering::Relaxed);
					let listening = (a.sink)(Event::Token(token));
					match a.seq.finished {
						_ if !listening => {
							backend.release(a.seq.id);
							stats.cancelled.fetch_add(1, Ordering::Relaxed);
						},
						Some(reason) => {
							backend.release(a.seq.id);
							stats.completed.fetch_add(1, Ordering::Relaxed);
							(a.sink)(Event::Finished(reason));
						},
						None => keep.push(a),
					}
				}
				active = keep;
			},
		}
		stats.active.store(active.len(), Ordering::SeqCst);
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		backend::{Logits, SeqId, Step},
		config::ModelConfig,
		sampling::SamplingParams,
	};
	use std::{collections::HashMap, sync::mpsc, time::Duration};

	/// A backend whose next token is always (last token + 1) mod vocab, that records batch sizes
	/// and can be made to fail.
	struct Counting {
		config: ModelConfig,
		lens: HashMap<SeqId, usize>,
		batches: Arc<Mutex<Vec<usize>>>,
		fail: Arc<AtomicBool>,
		delay: Duration,
		/// Record tokens per step instead of sequences per step.
		count_tokens: bool,
	}

	impl Counting {
		fn counting_tokens(self) -> Self {
			Counting { count_tokens: true, ..self }
		}
	}

	impl Backend for Counting {
		fn config(&self) -> &ModelConfig {
			&self.config
		}
		fn name(&self) -> String {
			"counting".into()
		}
		fn forward(&mut self, steps: &[Step<'_>]) -> Result<Vec<Logits>, EngineError> {
			std::thread::sleep(self.delay);
			if self.fail.load(Ordering::SeqCst) {
				return Err(EngineError::Backend("device lost".into()));
			}
			let n = if self.count_tokens {
				steps.iter().map(|s| s.tokens.len()).sum()
			} else {
				steps.len()
			};
			self.batches.lock().unwrap().push(n);
			Ok(steps
				.iter()
				.map(|s| {
					*self.lens.entry(s.seq).or_default() += s.tokens.len();
					let v = self.config.vocab_size;
					let mut data = vec![0.0; v];
					data[(*s.tokens.last().unwrap() as usize + 1) % v] = 10.0;
					Logits { vocab: v, data }
				})
				.collect())
		}
		fn release(&mut self, seq: SeqId) {
			self.lens.remove(&seq);
		}
		fn len(&self, seq: SeqId) -> Option<usize> {
			self.lens.get(&seq).copied()
		}
	}

	fn config() -> ModelConfig {
		ModelConfig::from_json(&serde_json::json!({
			"architectures": ["LlamaForCausalLM"], "hidden_size": 8, "intermediate_size": 8,
			"num_hidden_layers": 1, "num_attention_heads": 1, "vocab_size": 50,
			"max_position_embeddings": 64
		}))
		.unwrap()
	}

	fn request(first: u32, max_tokens: usize) -> Request {
		Request {
			prompt: vec![first],
			max_tokens,
			params: SamplingParams::GREEDY,
			seed: 0,
			request_id: [0; 32],
			stop_ids: vec![49],
			top_logprobs: 0,
		}
	}

	fn channel_sink() -> (Sink, mpsc::Receiver<Event>) {
		let (tx, rx) = mpsc::channel();
		(Box::new(move |e| tx.send(e).is_ok()), rx)
	}

	fn collect(rx: &mpsc::Receiver<Event>) -> (Vec<u32>, Event) {
		let mut tokens = Vec::new();
		loop {
			match rx.recv_timeout(Duration::from_secs(10)).expect("an event") {
				Event::Started { .. } => {},
				Event::Token(t) => tokens.push(t.id),
				end => return (tokens, end),
			}
		}
	}

	fn spawn(
		cfg: SchedulerConfig,
		delay: Duration,
	) -> (Scheduler, Arc<Mutex<Vec<usize>>>, Arc<AtomicBool>) {
		let batches = Arc::new(Mutex::new(Vec::new()));
		let fail = Arc::new(AtomicBool::new(false));
		let backend = Counting {
			config: config(),
			lens: HashMap::new(),
			batches: batches.clone(),
			fail: fail.clone(),
			delay,
			count_tokens: false,
		};
		(Scheduler::spawn(Box::new(backend), cfg), batches, fail)
	}

	#[test]
	fn concurrent_requests_share_steps_and_finish_correctly() {
		let (s, batches, _) = spawn(
			SchedulerConfig { max_batch: 8, max_queue: 8, ..Default::default() },
			Duration::from_millis(2),
		);
		let rxs: Vec<_> = (0..8)
			.map(|i| {
				let (sink, rx) = channel_sink();
				s.submit(request(i * 3, 5 + i as usize), sink).unwrap();
				rx
			})
			.collect();
		for (i, rx) in rxs.iter().enumerate() {
			let (tokens, end) = collect(rx);
			let want: Vec<u32> = (1..=(5 + i as u32)).map(|k| i as u32 * 3 + k).collect();
			assert_eq!(tokens, want);
			assert_eq!(end, Event::Finished(FinishReason::Length));
		}
		assert!(batches.lock().unwrap().iter().any(|&b| b > 1), "requests were batched");
		assert_eq!(s.stats().completed.load(Ordering::SeqCst), 8);
	}

	/// A long prompt is prefilled in chunks of the step budget while a running stream keeps
	/// getting a token every step; its completion is what one prefill gives.
	#[test]
	fn long_prompts_are_prefilled_in_chunks_beside_running_streams() {
		let tokens = Arc::new(Mutex::new(Vec::new()));
		let backend = Counting {
			config: config(),
			lens: HashMap::new(),
			batches: tokens.clone(),
			fail: Arc::new(AtomicBool::new(false)),
			delay: Duration::from_millis(2),
			count_tokens: false,
		}
		.counting_tokens();
		let s = Scheduler::spawn(
			Box::new(backend),
			SchedulerConfig { max_step_tokens: 8, ..Default::default() },
		);
		let (sink, short) = channel_sink();
		s.submit(request(0, 30), sink).unwrap();
		assert!(matches!(
			short.recv_timeout(Duration::from_secs(5)).unwrap(),
			Event::Started { .. }
		));
		let (sink, long) = channel_sink();
		let prompt: Vec<u32> = (0..40).collect();
		s.submit(Request { prompt, ..request(0, 3) }, sink).unwrap();
		assert_eq!(collect(&long), (vec![40, 41, 42], Event::Finished(FinishReason::Length)));
		let (got, _) = collect(&short);
		assert_eq!(got.len(), 30, "the short stream finished too");
		let steps = tokens.lock().unwrap().clone();
		assert!(steps.iter().all(|&n| n <= 8), "no step over the budget: {steps:?}");
		// 40 prompt tokens in steps of at most 7 beside the stream's token: at least six steps.
		assert!(steps.iter().filter(|&&n| n > 2).count() >= 5, "{steps:?}");
	}

	#[test]
	fn a_stop_id_ends_with_stop() {
		let (s, _, _) = spawn(SchedulerConfig::default(), Duration::ZERO);
		let (sink, rx) = channel_sink();
		s.submit(request(46, 10), sink).unwrap();
		assert_eq!(collect(&rx), (vec![47, 48, 49], Event::Finished(FinishReason::Stop)));
	}

	#[test]
	fn a_full_queue_refuses_and_a_gone_client_frees_its_slot() {
		let (s, _, _) = spawn(
			SchedulerConfig { max_batch: 1, max_queue: 1, ..Default::default() },
			Duration::from_millis(5),
		);
		let (sink, rx) = channel_sink();
		s.submit(request(0, 40), sink).unwrap();
		// Wait until it runs, so the queue is empty and the one slot taken.
		assert!(matches!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), Event::Started { .. }));
		let (sink2, rx2) = channel_sink();
		s.submit(request(1, 2), sink2).unwrap();
		let (sink3, _rx3) = channel_sink();
		assert!(matches!(s.submit(request(2, 2), sink3), Err(SubmitError::QueueFull { .. })));
		// The first client goes away: its slot goes to the waiting request.
		drop(rx);
		assert_eq!(collect(&rx2), (vec![2, 3], Event::Finished(FinishReason::Length)));
		assert_eq!(s.stats().cancelled.load(Ordering::SeqCst), 1);
	}

	#[test]
	fn a_backend_failure_fails_the_step_and_the_loop_goes_on() {
		let (s, _, fail) = spawn(SchedulerConfig::default(), Duration::ZERO);
		fail.store(true, Ordering::SeqCst);
		let (sink, rx) = channel_sink();
		s.submit(request(0, 3), sink).unwrap();
		assert!(matches!(collect(&rx).1, Event::Failed(EngineError::Backend(_))));
		fail.store(false, Ordering::SeqCst);
		let (sink, rx) = channel_sink();
		s.submit(request(0, 3), sink).unwrap();
		assert_eq!(collect(&rx), (vec![1, 2, 3], Event::Finished(FinishReason::Length)));
		// A request the model cannot take fails alone.
		let (sink, rx) = channel_sink();
		s.submit(Request { prompt: vec![99], ..request(0, 3) }, sink).unwrap();
		assert!(matches!(
			collect(&rx).1,
			Event::Failed(EngineError::TokenOutOfRange { id: 99, .. })
		));
	}
}
