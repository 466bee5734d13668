//! The validation duty: judge every host of this validator's seats and commit the verdicts
//! (saved first, so a restart sends the same commitments and can reveal them).

use super::*;

pub(super) struct ValidationCtx {
	pub(super) client: Arc<ChainClient>,
	pub(super) data: Arc<DataDir>,
	pub(super) metrics: Arc<Metrics>,
	pub(super) key: polkadot_sdk::sp_core::sr25519::Pair,
	pub(super) host: AccountId,
	pub(super) epoch: u32,
	pub(super) give_up_at: u32,
	/// [`Cheat::Lazy`]: vote without computing.
	pub(super) lazy: bool,
	/// [`Cheat::ExitAfterVerdictsSent`].
	pub(super) exit_after_verdicts_sent: bool,
	pub(super) judging: Judging,
	pub(super) backend: SharedBackend,
	pub(super) proof_client: ProofClient,
	pub(super) best: watch::Receiver<u32>,
	pub(super) submit_lock: Arc<tokio::sync::Mutex<()>>,
	pub(super) at: Hash,
}

/// Judges every host of this validator's duties and commits the verdicts (saved first, so a
/// restart sends the same commitments and can reveal them).
pub(super) async fn validate(ctx: ValidationCtx) -> Result<(), DutyError> {
	let epoch = ctx.epoch;
	let duties = ctx.client.duties(epoch, &ctx.host, Some(ctx.at)).await?;
	let endpoints: BTreeMap<AccountId, String> = ctx
		.client
		.hosts(Some(ctx.at))
		.await?
		.into_iter()
		.map(|(a, h)| (a, String::from_utf8_lossy(&h.endpoint).into_owned()))
		.collect();
	let max_batch: u32 = ctx.client.constant("Sprint", "MaxVerdictBatch").await?;
	let duty = VerdictDuty {
		client: &ctx.client,
		data: &ctx.data,
		metrics: &ctx.metrics,
		key: &ctx.key,
		validator: &ctx.host,
		epoch,
		max_batch: max_batch as usize,
		submit_lock: &ctx.submit_lock,
		exit_after_send: ctx.exit_after_verdicts_sent,
	};
	// Judged before a restart: commit what was saved, never judge again (a new salt would not
	// match a commitment already sent).
	let saved = duty.save(Vec::new())?;
	duty.commit(saved).await?;
	let done = ctx.data.state().epoch(epoch);
	let pending: Vec<(AccountId, HostToJudge)> = duties
		.into_iter()
		.filter(|(h, _)| !done.judgements.contains_key(&h.to_ss58check()))
		.map(|(h, c)| {
			let judge = HostToJudge {
				epoch,
				host: *AsRef::<[u8; 32]>::as_ref(&h),
				endpoint: endpoints.get(&h).cloned().unwrap_or_default(),
				root: c.root,
				count: c.count,
			};
			(h, judge)
		})
		.collect();
	if pending.is_empty() {
		return Ok(());
	}
	if ctx.lazy {
		// Test-only: `Valid` everywhere, check bits guessed, nothing fetched or computed.
		tracing::warn!(target: "gonka::worker", "epoch {epoch}: --cheat-lazy: voting Valid on {} host(s) without checking", pending.len());
		let mut records = Vec::new();
		for (account, h) in &pending {
			let n = pallet_sprint::sampling::check_bits_len(h.count, ctx.judging.sample_size);
			let guess = verdicts::fresh_salt()?;
			let bits: Vec<bool> =
				(0..n as usize).map(|i| (guess[i % 32] >> ((i / 32) % 8)) & 1 == 1).collect();
			let salt = verdicts::fresh_salt()?;
			records.push((
				account.clone(),
				verdicts::record(
					epoch,
					account,
					&ctx.host,
					gonka_kernels::Verdict::Valid,
					&bits,
					salt,
				),
			));
		}
		let pending = duty.save(records)?;
		return duty.commit(pending).await;
	}
	tracing::info!(target: "gonka::worker", "epoch {epoch}: validating {} host(s)", pending.len());
	let accounts: BTreeMap<HostKey, AccountId> =
		pending.iter().map(|(a, h)| (h.host, a.clone())).collect();
	let hosts: Vec<HostToJudge> = pending.into_iter().map(|(_, h)| h).collect();
	let best = ctx.best.clone();
	let give_up_at = ctx.give_up_at;
	let ctx = &ctx;
	let duty = &duty;
	let accounts = &accounts;
	let not_voted = judge_hosts(
		&ctx.proof_client,
		&ctx.backend,
		&ctx.judging,
		hosts,
		move || *best.borrow() >= give_up_at,
		|judged| async move {
			let mut records = Vec::new();
			for j in &judged {
				let account = accounts[&j.host.host].clone();
				log_judgement(epoch, &account, j);
				// No answer: no leaf computed, every bit 0.
				let bits = match &j.judgement {
					Some(r) => r.bits.clone(),
					None => vec![
						false;
						pallet_sprint::sampling::check_bits_len(
							j.host.count,
							ctx.judging.sample_size
						) as usize
					],
				};
				let salt = verdicts::fresh_salt()?;
				let record = verdicts::record(epoch, &account, &ctx.host, j.verdict, &bits, salt);
				records.push((account, record));
			}
			let pending = duty.save(records)?;
			duty.commit(pending).await
		},
	)
	.await?;
	ctx.metrics.hosts_not_judged.inc_by(not_voted.len() as u64);
	for (host, reason) in &not_voted {
		tracing::error!(
			target: "gonka::worker",
			"epoch {epoch}: no vote on host {}: this worker could not re-compute its proofs ({reason}); \
			 a failure of this worker's own backend is never a vote against a host. Fix the backend \
			 (see /health); the worker tries again at the next block while Validation is open",
			accounts.get(&host.host).map(|a| a.to_ss58check()).unwrap_or_default()
		);
	}
	Ok(())
}

fn log_judgement(epoch: u32, account: &AccountId, j: &crate::validator::Judged) {
	match &j.judgement {
		Some(r) if !r.faults.is_empty() => tracing::warn!(
			target: "gonka::worker",
			"epoch {epoch}: host {} is Invalid: {} fault(s) in {} samples, first at index {}: {:?}",
			account.to_ss58check(),
			r.faults.len(),
			r.samples,
			r.faults[0].0,
			r.faults[0].1
		),
		Some(r) => tracing::info!(
			target: "gonka::worker",
			"epoch {epoch}: host {} is {:?}: {} mismatches in {} samples (p = {:.2e})",
			account.to_ss58check(),
			r.verdict,
			r.mismatches,
			r.samples,
			r.p_value
		),
		None => tracing::warn!(
			target: "gonka::worker",
			"epoch {epoch}: host {} judged unreachable: no usable answer in {} attempts across 			 the Validation window (last: {})",
			account.to_ss58check(),
			j.attempts,
			j.last_error.as_deref().unwrap_or("-")
		),
	}
}
