//! The verdict duty (PROTOCOL §6.5–6.6): a judged host becomes a commitment sent in Validation
//! and a reveal sent in the Reveal phase.
//!
//! Every verdict is saved in `state.json` — verdict, packed check bits, salt and commitment —
//! *before* its commitment is sent, so a restart reveals exactly what was committed (a lost
//! salt would cost the validator its seats). Both steps are checked against the chain
//! (`SprintApi::verdict_status`) before anything is sent again.

use crate::chain::{call, AccountId, Call};
use pallet_sprint::{sampling, CheckBits, VerdictReveal};
use polkadot_sdk::sp_core::{crypto::Ss58Codec, sr25519, H256};

use crate::{
	chain::{ChainClient, ChainError, WaitFor},
	duty::DutyError,
	metrics::Metrics,
	store::{DataDir, JudgementRecord},
};

/// What one validator sends for one epoch, and where it keeps it.
pub struct VerdictDuty<'a> {
	pub client: &'a ChainClient,
	pub data: &'a DataDir,
	pub metrics: &'a Metrics,
	pub key: &'a sr25519::Pair,
	/// The validator's host account.
	pub validator: &'a AccountId,
	pub epoch: u32,
	/// The runtime's `MaxVerdictBatch`.
	pub max_batch: usize,
	pub submit_lock: &'a tokio::sync::Mutex<()>,
	/// FOR CRASH TESTS ONLY (`--test-exit-after-verdicts-sent`): exit (code 3) once the node
	/// took the first batch of verdict commitments, before its block.
	pub exit_after_send: bool,
}

/// 32 unpredictable bytes from the operating system.
pub fn fresh_salt() -> Result<[u8; 32], DutyError> {
	use std::io::Read;
	let mut salt = [0u8; 32];
	std::fs::File::open("/dev/urandom")
		.and_then(|mut f| f.read_exact(&mut salt))
		.map_err(DutyError::Salt)?;
	Ok(salt)
}

/// The record of `validator`'s `verdict` on `host` with check `bits` (one per sampled leaf, in
/// sample order) and `salt`: what is committed and later revealed.
pub fn record(
	epoch: u32,
	host: &AccountId,
	validator: &AccountId,
	verdict: gonka_kernels::Verdict,
	bits: &[bool],
	salt: [u8; 32],
) -> JudgementRecord {
	let packed = sampling::pack_bits(bits);
	let message =
		sampling::verdict_commitment_message(epoch, host, validator, verdict, &packed, &salt);
	JudgementRecord {
		verdict,
		bits: hex::encode(&packed),
		salt: hex::encode(salt),
		commitment: hex::encode(gonka_kernels::hash::blake2_256(&[&message])),
		committed: false,
		revealed: false,
	}
}

fn decode32(hex_str: &str, what: &'static str) -> Result<[u8; 32], DutyError> {
	hex::decode(hex_str)
		.ok()
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or_else(|| DutyError::BadRecord { what, value: hex_str.to_string() })
}

impl VerdictDuty<'_> {
	/// Saves `records` (by host) unless a record of the host exists already (a restart keeps
	/// the first), then returns every record of the epoch not yet committed.
	pub fn save(
		&self,
		records: Vec<(AccountId, JudgementRecord)>,
	) -> Result<Vec<(AccountId, JudgementRecord)>, DutyError> {
		let store = self.data.state();
		store.update(|state| {
			let epoch = state.epochs.entry(self.epoch).or_default();
			for (host, record) in records {
				epoch.judgements.entry(host.to_ss58check()).or_insert(record);
			}
		})?;
		Ok(store.read(|state| self.pending(state, |r| !r.committed)))
	}

	fn pending(
		&self,
		state: &crate::store::WorkerState,
		filter: impl Fn(&JudgementRecord) -> bool,
	) -> Vec<(AccountId, JudgementRecord)> {
		state
			.epochs
			.get(&self.epoch)
			.map(|e| {
				e.judgements
					.iter()
					.filter(|(_, r)| filter(r))
					.filter_map(|(h, r)| Some((AccountId::from_ss58check(h).ok()?, r.clone())))
					.collect()
			})
			.unwrap_or_default()
	}

	fn mark(
		&self,
		hosts: &[AccountId],
		update: impl Fn(&mut JudgementRecord),
	) -> Result<(), DutyError> {
		self.data.state().update(|state| {
			if let Some(epoch) = state.epochs.get_mut(&self.epoch) {
				for host in hosts {
					if let Some(r) = epoch.judgements.get_mut(&host.to_ss58check()) {
						update(r);
					}
				}
			}
		})?;
		Ok(())
	}

	/// Signs and sends `call` (one extrinsic of the worker key at a time) and waits for its
	/// block: `Ok(true)` when included, `Ok(false)` when the runtime refused it as `already` (part
	/// of the batch was sent before a restart; the caller checks each entry on chain next round).
	async fn submit(&self, call: Call, already: &str) -> Result<bool, DutyError> {
		let outcome = {
			let _g = self.submit_lock.lock().await;
			self.client.sign_and_submit(self.key, call, WaitFor::InBlock).await
		};
		match outcome {
			Ok(_) => Ok(true),
			Err(ChainError::Dispatch { error, .. }) if error.name == already => Ok(false),
			Err(e) => Err(e.into()),
		}
	}

	/// Sends the commitments of `records` in batches; a host whose commitment is already on
	/// chain (a restart) is marked without sending it again.
	pub async fn commit(
		&self,
		records: Vec<(AccountId, JudgementRecord)>,
	) -> Result<(), DutyError> {
		let mut to_send = Vec::new();
		let mut already = Vec::new();
		for (host, r) in records {
			let ours = decode32(&r.commitment, "commitment")?;
			let (on_chain, _) =
				self.client.verdict_status(self.epoch, &host, self.validator, None).await?;
			match on_chain {
				Some(c) if c == ours => already.push(host),
				Some(c) => tracing::error!(
					target: "gonka::worker",
					"epoch {}: the verdict commitment on {} on chain (0x{}) is not the one in \
					 state.json (0x{}): was this data directory used by another worker? Its \
					 reveal will fail and its seats count as missed",
					self.epoch,
					host.to_ss58check(),
					hex::encode(c),
					r.commitment
				),
				None => to_send.push((host, H256(ours), r.verdict)),
			}
		}
		self.mark(&already, |r| r.committed = true)?;
		for batch in to_send.chunks(self.max_batch.max(1)) {
			let list: Vec<(AccountId, H256)> =
				batch.iter().map(|(h, c, _)| (h.clone(), *c)).collect();
			let call = call::sprint::commit_verdicts(self.epoch, list);
			if self.exit_after_send {
				let extrinsic = self.client.sign(self.key, call).await?;
				self.client.submit(&extrinsic).await?;
				tracing::warn!(
					target: "gonka::worker",
					"epoch {}: --test-exit-after-verdicts-sent: exiting with {} verdict commitment(s) \
					 sent, not included",
					self.epoch,
					batch.len()
				);
				std::process::exit(3);
			}
			// Part of the batch landed before a restart: the next round finds it on chain.
			if !self.submit(call, "AlreadyVoted").await? {
				tracing::warn!(
					target: "gonka::worker",
					"epoch {}: some verdict commitments were on chain already; checking each",
					self.epoch
				);
				continue;
			}
			let hosts: Vec<AccountId> = batch.iter().map(|(h, _, _)| h.clone()).collect();
			self.mark(&hosts, |r| r.committed = true)?;
			for (_, _, verdict) in batch {
				self.metrics.count_verdict(*verdict);
			}
			tracing::info!(
				target: "gonka::worker",
				"epoch {}: {} verdict commitment(s) on chain",
				self.epoch,
				batch.len()
			);
		}
		Ok(())
	}

	/// Whether every saved verdict of the epoch was committed.
	pub fn all_committed(&self, hosts: &[AccountId]) -> bool {
		let epoch = self.data.state().epoch(self.epoch);
		hosts.iter().all(|h| epoch.judgements.get(&h.to_ss58check()).is_some_and(|r| r.committed))
	}

	/// Reveals every committed verdict not yet revealed; returns how many are left (0: done).
	pub async fn reveal(&self) -> Result<usize, DutyError> {
		let records = self.data.state().read(|state| self.pending(state, |r| !r.revealed));
		let mut to_send = Vec::new();
		let mut already = Vec::new();
		for (host, r) in records {
			let (on_chain, revealed) =
				self.client.verdict_status(self.epoch, &host, self.validator, None).await?;
			if revealed {
				already.push(host);
				continue;
			}
			if on_chain != Some(decode32(&r.commitment, "commitment")?) {
				// Never committed (or not this one): nothing to reveal; its seats are missed.
				continue;
			}
			let bad_bits = || DutyError::BadRecord { what: "check bits", value: r.bits.clone() };
			let bits: CheckBits =
				hex::decode(&r.bits).map_err(|_| bad_bits())?.try_into().map_err(|_| bad_bits())?;
			let salt = decode32(&r.salt, "salt")?;
			to_send.push(VerdictReveal { host, verdict: r.verdict, bits, salt });
		}
		self.mark(&already, |r| r.revealed = true)?;
		let left = to_send.len();
		for batch in to_send.chunks(self.max_batch.max(1)) {
			let call = call::sprint::reveal_verdicts(self.epoch, batch.to_vec());
			if !self.submit(call, "AlreadyRevealed").await? {
				continue;
			}
			let hosts: Vec<AccountId> = batch.iter().map(|r| r.host.clone()).collect();
			self.mark(&hosts, |r| r.revealed = true)?;
			tracing::info!(
				target: "gonka::worker",
				"epoch {}: {} verdict(s) revealed",
				self.epoch,
				batch.len()
			);
		}
		Ok(left)
	}
}
