//! The Sprint duty: every device searches its own nonce range until the stop block, its hits
//! saved as they are found (a restart continues from the last saved nonce).

use super::*;

pub(super) fn progress_bar(epoch: u32) -> indicatif::ProgressBar {
	let bar = indicatif::ProgressBar::new_spinner();
	bar.set_style(
		indicatif::ProgressStyle::with_template("{spinner} epoch {prefix} Sprint {elapsed} {msg}")
			.expect("valid template"),
	);
	bar.set_prefix(epoch.to_string());
	bar.enable_steady_tick(Duration::from_millis(200));
	bar
}

/// The Sprint on every device, until `stop`.
#[allow(clippy::too_many_arguments)]
pub(super) fn mine(
	epoch: u32,
	seed: [u8; 32],
	pk: HostKey,
	backends: Vec<SharedBackend>,
	data: &DataDir,
	stop: &AtomicBool,
	metrics: &Metrics,
	cheat: Option<Cheat>,
	bar: Option<&indicatif::ProgressBar>,
	stop_block: u32,
) -> Result<(), String> {
	let started = Instant::now();
	let total_hits = AtomicU64::new(0);
	let total_nonces = AtomicU64::new(0);
	if let Some(Cheat::MadeUpHits(n)) = cheat {
		// Claims hits it never computed: distances of half the target radius.
		let mut log = data.hit_log(epoch, 0).map_err(|e| e.to_string())?;
		let r = backends[0].model().r_target();
		let hits: Vec<Hit> = (0..n).map(|i| Hit::new(i * 3, r * 0.5)).collect();
		log.append(&hits, n * 3).and_then(|()| log.sync()).map_err(|e| e.to_string())?;
		metrics.sprint_hits.set(n as i64);
		while !stop.load(Relaxed) {
			std::thread::sleep(Duration::from_millis(50));
		}
		return Ok(());
	}
	let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
		let handles: Vec<_> = backends
			.iter()
			.enumerate()
			.map(|(d, backend)| {
				let (total_hits, total_nonces) = (&total_hits, &total_nonces);
				let device_nonces =
					metrics.sprint_nonces_total.with_label_values(&[&d.to_string()]);
				scope.spawn(move || -> Result<(), String> {
					let mut log = data.hit_log(epoch, d).map_err(|e| e.to_string())?;
					total_hits.fetch_add(log.recovered, Relaxed);
					metrics.sprint_hits.set(total_hits.load(Relaxed) as i64);
					let range = device_range(d);
					let start = log.next_nonce.unwrap_or(range.start).max(range.start);
					if log.recovered > 0 || log.next_nonce.is_some() {
						tracing::info!(
							target: "gonka::worker",
							"epoch {epoch} device {d}: resuming at nonce {start} with {} hits from \
							 the previous run",
							log.recovered
						);
					}
					let mut last_done = 0u64;
					let mut failure = None;
					let outcome = backend
						.with(|backend| {
							sprint(
								backend,
								&seed,
								&pk,
								Budget::Nonces(start..range.end),
								|progress, hits| {
									if let Err(e) = log.append(hits, progress.next_nonce) {
										failure = Some(e.to_string());
										return ControlFlow::Break(());
									}
									let step = progress.nonces_done - last_done;
									let done = total_nonces.fetch_add(step, Relaxed) + step;
									metrics.sprint_nonces.set(done as i64);
									device_nonces.inc_by(step);
									last_done = progress.nonces_done;
									let hits_now = total_hits.fetch_add(hits.len() as u64, Relaxed)
										+ hits.len() as u64;
									metrics.sprint_hits.set(hits_now as i64);
									let rate =
										done as f64 / started.elapsed().as_secs_f64().max(1e-3);
									metrics.nonces_per_sec.set(rate);
									if let Some(bar) = bar {
										let best = metrics.best_block.get() as u32;
										bar.set_message(format!(
									"{done} nonces · {rate:.0} nonces/s · {hits_now} hits · {} \
									 block(s) left (stops at #{stop_block})",
									stop_block.saturating_sub(best)
								));
									}
									if stop.load(Relaxed) {
										ControlFlow::Break(())
									} else {
										ControlFlow::Continue(())
									}
								},
							)
							.map_err(|e| e.to_string())
						})
						.map_err(|e| e.to_string());
					log.sync().map_err(|e| e.to_string())?;
					if let Some(e) = failure {
						return Err(format!("saving hits: {e}"));
					}
					outcome.map(|_| ())
				})
			})
			.collect();
		handles
			.into_iter()
			.map(|h| h.join().unwrap_or(Err("device thread panicked".into())))
			.collect()
	});
	results.into_iter().collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn devices_search_disjoint_ranges_and_resume_after_a_stop() {
		let dir = std::env::temp_dir().join(format!("gonka-mine-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		let data = DataDir::open(&dir).unwrap();
		let metrics = Metrics::default();
		let health = Arc::new(Health::default());
		let backends = || -> Vec<SharedBackend> {
			(0..2)
				.map(|_| {
					Arc::new(BackendCell::cpu(ModelConfig::tiny(), 1, health.clone()).unwrap())
				})
				.collect()
		};
		let run = |millis: u64| {
			let stop = AtomicBool::new(false);
			std::thread::scope(|s| {
				s.spawn(|| {
					std::thread::sleep(Duration::from_millis(millis));
					stop.store(true, Relaxed);
				});
				mine(3, [1; 32], [2; 32], backends(), &data, &stop, &metrics, None, None, 0)
					.unwrap();
			});
		};
		run(400);
		let first = data.all_hits(3).unwrap();
		let on = |d: usize, hits: &[Hit]| {
			hits.iter().filter(|h| device_range(d).contains(&h.nonce)).count()
		};
		assert!(on(0, &first) > 0 && on(1, &first) > 0, "both devices found hits");
		assert_eq!(on(0, &first) + on(1, &first), first.len(), "each nonce in its device's range");
		// A second run (a restart) continues each device where it stopped: no hit is lost and
		// every one is kept once.
		let next: Vec<u64> =
			(0..2).map(|d| data.hit_log(3, d).unwrap().next_nonce.unwrap()).collect();
		assert!(next[0] > 0 && next[1] > device_range(1).start);
		run(300);
		let second = data.all_hits(3).unwrap();
		assert!(second.len() > first.len());
		assert!(first.iter().all(|h| second.binary_search(h).is_ok()));
		assert!(second.windows(2).all(|w| w[0].nonce < w[1].nonce));
		// Every hit is a real one: its distance re-computes below the target.
		let mut check = CpuBackend::with_threads(ModelConfig::tiny(), 1).unwrap();
		let nonces: Vec<u64> = second.iter().take(20).map(|h| h.nonce).collect();
		let d = check.distances(&[1; 32], &[2; 32], &nonces).unwrap();
		assert!(d.iter().all(|d| *d < ModelConfig::tiny().r_target()));
		drop(data);
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
