//! The data directory: everything a worker must not lose across a restart.
//!
//! ```text
//! DATA_DIR/
//!   LOCK                      held (flock) while a worker runs on this directory
//!   identity.json             the chain (genesis hash), worker key and host this directory
//!                             belongs to, written at the first connection, checked at each
//!   state.json                what was done on chain, per epoch (commit sent, verdicts judged,
//!                             committed, revealed); owned by one [`StateStore`]
//!   epochs/<e>/hits-<d>.bin   device d's hits of epoch e, 12-byte records (nonce, distance)
//!                             appended as found
//!   epochs/<e>/next-<d>       the first nonce device d has not computed yet
//!   epochs/<e>/leaves.bin     the commitment's leaves: 8-byte nonces (sorted, unique), written
//!                             once
//!   epochs/<e>/tree.bin       the Merkle tree's levels above the leaves, written once
//!   epochs/<e>/commitment.json  root and count of the commitment, written last
//! ```
//!
//! Files that are written once, and `state.json` at every change, are written to a temporary
//! name, fsynced, renamed, and the directory fsynced, so a crash (or a power cut) leaves either
//! the old content or the new one. The hit logs are append-only; a torn last record (a
//! crash mid-write) is cut off when the log is reopened, and hits found twice (the nonces after
//! the last saved `next` are computed again after a restart) are merged when the leaves are built.

use std::{
	collections::BTreeMap,
	fs::{self, File, OpenOptions},
	io::{self, Read, Write},
	os::unix::fs::FileExt,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use gonka_kernels::{
	merkle::{leaf_hash, proof_len, Hash},
	Hit, LeafProof, MerkleTree, SampleProof,
};
use serde::{Deserialize, Serialize};

/// Bytes of one record of a hit log (`Hit::to_bytes`).
pub const HIT_BYTES: u64 = 12;

/// Bytes of one leaf of a commitment on disk (its nonce, u64 LE).
pub const LEAF_BYTES: u64 = 8;

/// What can go wrong with the data directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	#[error("data directory {path}: {source}")]
	Io { path: String, source: io::Error },
	#[error(
		"data directory {path} is in use by another gonka-worker (its LOCK is held); give each \
		 worker its own --data-dir"
	)]
	Locked { path: String },
	#[error("{path} is corrupt: {reason}; move the epoch's directory away to start it over")]
	Corrupt { path: String, reason: String },
	#[error(
		"{path} is corrupt: {reason}. It records the commitments and verdicts this worker sent \
		 (and the salts its reveals need); the worker does not replace it. Restore it from a \
		 backup, or move it away to start without a record: the worker then checks the chain \
		 before sending anything again, but verdicts of the epoch in progress cannot be revealed \
		 and their seats count as missed"
	)]
	CorruptState { path: String, reason: String },
	#[error(
		"data directory {path} belongs to {recorded}, not to {found}: it holds another chain's or \
		 another host's hits and records. Give this worker its own --data-dir (or move this one \
		 away)"
	)]
	OtherIdentity { path: String, recorded: String, found: String },
	#[error("no commitment for epoch {epoch} in this data directory")]
	NoCommitment { epoch: u32 },
	#[error("leaf index {index} is out of range: the commitment has {count} leaves")]
	IndexOutOfRange { index: u64, count: u64 },
	#[error("cannot build the Merkle tree: {0}")]
	Merkle(#[from] gonka_kernels::MerkleError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
	move |source| StoreError::Io { path: path.display().to_string(), source }
}

/// Writes `bytes` to `path` atomically: a temporary file, fsynced, renamed over `path`, then the
/// directory fsynced so the rename itself survives a power cut.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
	let tmp = path.with_extension("tmp");
	let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
	f.write_all(bytes).map_err(io_err(&tmp))?;
	f.sync_all().map_err(io_err(&tmp))?;
	fs::rename(&tmp, path).map_err(io_err(path))?;
	let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
	File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}

/// What the worker did on chain in one epoch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochRecord {
	/// The commitment included on chain: `(root hex, count)`.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub committed: Option<(String, u64)>,
	/// This validator's verdicts, by host (SS58): saved before their commitments are sent, so
	/// that after a restart the worker reveals exactly what it committed (PROTOCOL §6.6).
	#[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
	pub judgements: BTreeMap<String, JudgementRecord>,
}

/// One verdict of this validator, from judging to its reveal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JudgementRecord {
	pub verdict: gonka_kernels::Verdict,
	/// The packed check bits (hex).
	pub bits: String,
	/// The commitment's salt (hex, 32 bytes).
	pub salt: String,
	/// The commitment `blake2_256(verdict_commitment_message(..))` (hex).
	pub commitment: String,
	/// Its commitment is on chain.
	#[serde(default)]
	pub committed: bool,
	/// Its reveal is on chain.
	#[serde(default)]
	pub revealed: bool,
}

fn describe(id: &Identity) -> String {
	format!(
		"genesis {}, worker key {}, host {}",
		id.genesis_hash,
		id.worker_key,
		id.host.as_deref().unwrap_or("not known yet")
	)
}

/// `state.json`: the per-epoch record of what was done on chain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerState {
	pub epochs: BTreeMap<u32, EpochRecord>,
}

/// The one owner of `state.json`: the state is read once at open and kept in memory behind one
/// lock; every change is written through ([`write_atomic`]) before it is visible. A corrupt file
/// is an error ([`StoreError::CorruptState`]), never replaced.
pub struct StateStore {
	path: PathBuf,
	state: std::sync::Mutex<WorkerState>,
}

impl StateStore {
	/// Loads `path` (an absent file is an empty state).
	pub fn open(path: PathBuf) -> Result<Self, StoreError> {
		let state = match fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::CorruptState {
				path: path.display().to_string(),
				reason: e.to_string(),
			})?,
			Err(e) if e.kind() == io::ErrorKind::NotFound => WorkerState::default(),
			Err(e) => return Err(io_err(&path)(e)),
		};
		Ok(Self { path, state: std::sync::Mutex::new(state) })
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, WorkerState> {
		// Only `update` writes, and only after the file was written: a panic elsewhere cannot
		// leave a half-changed state behind.
		self.state.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Reads the state.
	pub fn read<R>(&self, f: impl FnOnce(&WorkerState) -> R) -> R {
		f(&self.lock())
	}

	/// The record of `epoch` (empty when there is none).
	pub fn epoch(&self, epoch: u32) -> EpochRecord {
		self.read(|s| s.epochs.get(&epoch).cloned().unwrap_or_default())
	}

	/// Changes the state with `f` and writes it; the change is kept only once it is on disk.
	pub fn update<R>(&self, f: impl FnOnce(&mut WorkerState) -> R) -> Result<R, StoreError> {
		let mut state = self.lock();
		let mut next = state.clone();
		let out = f(&mut next);
		if next != *state {
			let bytes = serde_json::to_vec_pretty(&next).expect("the state serializes; qed");
			write_atomic(&self.path, &bytes)?;
			*state = next;
		}
		Ok(out)
	}

	/// Forgets the epochs before `keep_from`.
	pub fn prune(&self, keep_from: u32) -> Result<(), StoreError> {
		self.update(|s| s.epochs.retain(|e, _| *e >= keep_from))
	}
}

/// Whom a data directory belongs to (`identity.json`): its hits are the Sprint of one host on
/// one chain, its records that host's commitments and its worker key's verdicts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
	/// The chain's genesis hash (hex with 0x).
	pub genesis_hash: String,
	/// The worker key (SS58).
	pub worker_key: String,
	/// The host the worker key signs for (SS58), once the chain named it.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub host: Option<String>,
}

/// A worker's data directory, locked for as long as this value lives.
pub struct DataDir {
	root: PathBuf,
	state: StateStore,
	_lock: File,
}

impl DataDir {
	/// Opens (creating it) and locks the directory.
	pub fn open(root: &Path) -> Result<Self, StoreError> {
		fs::create_dir_all(root.join("epochs")).map_err(io_err(root))?;
		let lock_path = root.join("LOCK");
		let lock = OpenOptions::new()
			.create(true)
			.truncate(false)
			.write(true)
			.open(&lock_path)
			.map_err(io_err(&lock_path))?;
		use std::os::fd::AsRawFd;
		// SAFETY: flock on a file descriptor we own; no memory is passed.
		if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
			return Err(StoreError::Locked { path: root.display().to_string() });
		}
		let state = StateStore::open(root.join("state.json"))?;
		Ok(Self { root: root.to_path_buf(), state, _lock: lock })
	}

	/// The record of what was done on chain.
	pub fn state(&self) -> &StateStore {
		&self.state
	}

	fn identity_path(&self) -> PathBuf {
		self.root.join("identity.json")
	}

	/// The identity recorded, if any.
	pub fn identity(&self) -> Result<Option<Identity>, StoreError> {
		let path = self.identity_path();
		match fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
				StoreError::Corrupt { path: path.display().to_string(), reason: e.to_string() }
			}),
			Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(io_err(&path)(e)),
		}
	}

	/// Binds the directory to `found` (written the first time), or refuses it when it belongs
	/// to another chain, worker key or host ([`StoreError::OtherIdentity`]). A recorded identity
	/// without a host takes `found`'s host.
	pub fn bind(&self, found: &Identity) -> Result<(), StoreError> {
		let recorded = self.identity()?;
		let other = |recorded: &Identity, what: &str, r: &str, f: &str| StoreError::OtherIdentity {
			path: self.root.display().to_string(),
			recorded: format!(
				"{what} {r} (recorded in identity.json, with {})",
				describe(recorded)
			),
			found: format!("{what} {f}"),
		};
		let merged = match recorded {
			None => found.clone(),
			Some(r) => {
				if r.genesis_hash != found.genesis_hash {
					return Err(other(
						&r,
						"the chain with genesis",
						&r.genesis_hash,
						&found.genesis_hash,
					));
				}
				if r.worker_key != found.worker_key {
					return Err(other(&r, "worker key", &r.worker_key, &found.worker_key));
				}
				match (&r.host, &found.host) {
					(Some(a), Some(b)) if a != b => return Err(other(&r, "host", a, b)),
					(Some(_), _) => return Ok(()),
					(None, None) => return Ok(()),
					(None, Some(_)) => found.clone(),
				}
			},
		};
		let bytes = serde_json::to_vec_pretty(&merged).expect("an identity serializes; qed");
		write_atomic(&self.identity_path(), &bytes)
	}

	pub fn root(&self) -> &Path {
		&self.root
	}

	/// The directory of epoch `epoch` (created).
	pub fn epoch_dir(&self, epoch: u32) -> Result<PathBuf, StoreError> {
		let dir = self.root.join("epochs").join(epoch.to_string());
		fs::create_dir_all(&dir).map_err(io_err(&dir))?;
		Ok(dir)
	}

	/// Device `device`'s hit log of `epoch`.
	pub fn hit_log(&self, epoch: u32, device: usize) -> Result<HitLog, StoreError> {
		HitLog::open(&self.epoch_dir(epoch)?, device)
	}

	/// The hits of every device of `epoch`, sorted by nonce, each nonce once.
	pub fn all_hits(&self, epoch: u32) -> Result<Vec<Hit>, StoreError> {
		let dir = self.epoch_dir(epoch)?;
		// One leaf per nonce: a nonce computed again after a restart is found again.
		let mut hits = BTreeMap::new();
		for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
			let path = entry.map_err(io_err(&dir))?.path();
			let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
			if name.starts_with("hits-") && name.ends_with(".bin") {
				for hit in read_leaves(&path)? {
					hits.entry(hit.nonce).or_insert(hit);
				}
			}
		}
		Ok(hits.into_values().collect())
	}

	/// Builds the commitment of `epoch` from `leaves` (nonces, strictly increasing) and writes
	/// it: leaves, then the tree, then `commitment.json` (its presence says the other two are
	/// complete).
	pub fn write_commitment(&self, epoch: u32, leaves: Vec<u64>) -> Result<Commitment, StoreError> {
		self.write_tree(epoch, MerkleTree::new(leaves)?)
	}

	/// Writes the commitment of `epoch` from a tree built by the caller (a cheating worker's
	/// [`MerkleTree::unchecked`], for attack tests).
	pub fn write_tree(&self, epoch: u32, tree: MerkleTree) -> Result<Commitment, StoreError> {
		let dir = self.epoch_dir(epoch)?;
		let mut leaf_bytes = Vec::with_capacity(tree.leaves().len() * LEAF_BYTES as usize);
		for nonce in tree.leaves() {
			leaf_bytes.extend_from_slice(&nonce.to_le_bytes());
		}
		write_atomic(&dir.join("leaves.bin"), &leaf_bytes)?;
		drop(leaf_bytes);
		let mut tree_bytes = Vec::new();
		for level in tree.inner_levels() {
			for hash in level {
				tree_bytes.extend_from_slice(hash);
			}
		}
		write_atomic(&dir.join("tree.bin"), &tree_bytes)?;
		let commitment = Commitment { root: tree.root(), count: tree.count() };
		let json = serde_json::to_vec(&CommitmentFile {
			root: hex::encode(commitment.root),
			count: commitment.count,
		})
		.expect("serializes; qed");
		write_atomic(&dir.join("commitment.json"), &json)?;
		Ok(commitment)
	}

	/// The commitment of `epoch` written by [`write_commitment`](Self::write_commitment).
	pub fn commitment(&self, epoch: u32) -> Result<Option<Commitment>, StoreError> {
		let path = self.root.join("epochs").join(epoch.to_string()).join("commitment.json");
		let bytes = match fs::read(&path) {
			Ok(b) => b,
			Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
			Err(e) => return Err(io_err(&path)(e)),
		};
		let corrupt =
			|reason: String| StoreError::Corrupt { path: path.display().to_string(), reason };
		let file: CommitmentFile =
			serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
		let root: Hash = hex::decode(&file.root)
			.ok()
			.and_then(|v| v.try_into().ok())
			.ok_or_else(|| corrupt("root is not 32 hex bytes".into()))?;
		Ok(Some(Commitment { root, count: file.count }))
	}

	/// A reader of `epoch`'s proofs (from disk, a few KB of memory whatever the size).
	pub fn proofs(&self, epoch: u32) -> Result<ProofReader, StoreError> {
		let commitment = self.commitment(epoch)?.ok_or(StoreError::NoCommitment { epoch })?;
		ProofReader::open(&self.root.join("epochs").join(epoch.to_string()), commitment)
	}

	/// Epochs that have a directory.
	pub fn epochs(&self) -> Result<Vec<u32>, StoreError> {
		let dir = self.root.join("epochs");
		let mut out = Vec::new();
		for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
			let entry = entry.map_err(io_err(&dir))?;
			if let Some(e) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
				out.push(e);
			}
		}
		out.sort_unstable();
		Ok(out)
	}

	/// Removes the directories and records of epochs before `keep_from` (proofs are served
	/// until the epoch after next, PROTOCOL §5).
	pub fn prune(&self, keep_from: u32) -> Result<Vec<u32>, StoreError> {
		let mut removed = Vec::new();
		for epoch in self.epochs()? {
			if epoch < keep_from {
				let dir = self.root.join("epochs").join(epoch.to_string());
				fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
				removed.push(epoch);
			}
		}
		self.state.prune(keep_from)?;
		Ok(removed)
	}
}

#[derive(Serialize, Deserialize)]
struct CommitmentFile {
	root: String,
	count: u64,
}

/// A commitment: Merkle root and leaf count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment {
	pub root: Hash,
	pub count: u64,
}

fn read_leaves(path: &Path) -> Result<Vec<Hit>, StoreError> {
	let mut bytes = Vec::new();
	File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(io_err(path))?;
	Ok(bytes.chunks_exact(HIT_BYTES as usize).map(hit_from_bytes).collect())
}

fn hit_from_bytes(b: &[u8]) -> Hit {
	Hit {
		nonce: u64::from_le_bytes(b[..8].try_into().expect("12-byte chunk")),
		distance_bits: u32::from_le_bytes(b[8..12].try_into().expect("12-byte chunk")),
	}
}

/// One device's hits of one epoch: an append-only log and the next nonce to compute.
pub struct HitLog {
	file: File,
	path: PathBuf,
	next_path: PathBuf,
	/// Hits in the log when it was opened (a previous run's).
	pub recovered: u64,
	/// The first nonce not computed yet, as last saved (`None`: nothing saved).
	pub next_nonce: Option<u64>,
	last_sync: Instant,
	dirty: bool,
}

/// How often the hit log is flushed to the disk and its `next` saved.
const SYNC_EVERY: Duration = Duration::from_secs(1);

impl HitLog {
	fn open(dir: &Path, device: usize) -> Result<Self, StoreError> {
		let path = dir.join(format!("hits-{device}.bin"));
		let next_path = dir.join(format!("next-{device}"));
		let file = OpenOptions::new()
			.create(true)
			.append(true)
			.read(true)
			.open(&path)
			.map_err(io_err(&path))?;
		let len = file.metadata().map_err(io_err(&path))?.len();
		let whole = len - len % HIT_BYTES;
		if whole != len {
			// A torn record from a crash mid-write: its nonce is computed again.
			file.set_len(whole).map_err(io_err(&path))?;
		}
		let next_nonce = match fs::read_to_string(&next_path) {
			Ok(s) => Some(s.trim().parse().map_err(|_| StoreError::Corrupt {
				path: next_path.display().to_string(),
				reason: format!("{s:?} is not a nonce"),
			})?),
			Err(e) if e.kind() == io::ErrorKind::NotFound => None,
			Err(e) => return Err(io_err(&next_path)(e)),
		};
		Ok(Self {
			file,
			path,
			next_path,
			recovered: whole / HIT_BYTES,
			next_nonce,
			last_sync: Instant::now(),
			dirty: false,
		})
	}

	/// The hits already in the log.
	pub fn hits(&self) -> Result<Vec<Hit>, StoreError> {
		read_leaves(&self.path)
	}

	/// Appends `hits` and notes that every nonce below `next_nonce` is done. The log is synced
	/// and `next` saved at most once a second (and by [`sync`](Self::sync)); after a crash the
	/// nonces since the last save are computed again, which is safe: their hits are merged.
	pub fn append(&mut self, hits: &[Hit], next_nonce: u64) -> Result<(), StoreError> {
		if !hits.is_empty() {
			let mut buf = Vec::with_capacity(hits.len() * HIT_BYTES as usize);
			for h in hits {
				buf.extend_from_slice(&h.to_bytes());
			}
			self.file.write_all(&buf).map_err(io_err(&self.path))?;
		}
		self.next_nonce = Some(next_nonce);
		self.dirty = true;
		if self.last_sync.elapsed() >= SYNC_EVERY {
			self.sync()?;
		}
		Ok(())
	}

	/// Flushes the log to the disk, then saves `next`.
	pub fn sync(&mut self) -> Result<(), StoreError> {
		if !self.dirty {
			return Ok(());
		}
		self.file.sync_data().map_err(io_err(&self.path))?;
		if let Some(next) = self.next_nonce {
			write_atomic(&self.next_path, next.to_string().as_bytes())?;
		}
		self.last_sync = Instant::now();
		self.dirty = false;
		Ok(())
	}
}

/// Serves proofs of one commitment from its files: each proof reads one leaf and at most 24
/// sibling hashes (plus the sibling leaf) with positioned reads; a sample proof two of them.
pub struct ProofReader {
	leaves: File,
	tree: File,
	commitment: Commitment,
	/// Byte offset of each inner level in `tree.bin` (level 1 first).
	level_offsets: Vec<u64>,
}

impl ProofReader {
	fn open(dir: &Path, commitment: Commitment) -> Result<Self, StoreError> {
		let leaves_path = dir.join("leaves.bin");
		let tree_path = dir.join("tree.bin");
		let leaves = File::open(&leaves_path).map_err(io_err(&leaves_path))?;
		let tree = File::open(&tree_path).map_err(io_err(&tree_path))?;
		let count = commitment.count;
		let mut level_offsets = Vec::new();
		let (mut n, mut offset) = (count, 0u64);
		while n > 1 {
			n = n.div_ceil(2);
			level_offsets.push(offset);
			offset += n * 32;
		}
		let corrupt = |path: &Path, reason: String| StoreError::Corrupt {
			path: path.display().to_string(),
			reason,
		};
		let leaves_len = leaves.metadata().map_err(io_err(&leaves_path))?.len();
		if leaves_len != count * LEAF_BYTES {
			return Err(corrupt(&leaves_path, format!("{leaves_len} bytes for {count} leaves")));
		}
		let tree_len = tree.metadata().map_err(io_err(&tree_path))?.len();
		if tree_len != offset {
			return Err(corrupt(&tree_path, format!("{tree_len} bytes, expected {offset}")));
		}
		Ok(Self { leaves, tree, commitment, level_offsets })
	}

	pub fn commitment(&self) -> Commitment {
		self.commitment
	}

	fn leaf(&self, index: u64) -> io::Result<u64> {
		let mut b = [0u8; LEAF_BYTES as usize];
		self.leaves.read_exact_at(&mut b, index * LEAF_BYTES)?;
		Ok(u64::from_le_bytes(b))
	}

	/// The proof of leaf `index`.
	pub fn proof(&self, index: u64) -> Result<LeafProof, StoreError> {
		let count = self.commitment.count;
		if index >= count {
			return Err(StoreError::IndexOutOfRange { index, count });
		}
		let err = |source| StoreError::Io { path: "leaves.bin/tree.bin".into(), source };
		let mut siblings = Vec::with_capacity(proof_len(index, count));
		let (mut pos, mut n, mut level) = (index, count, 0usize);
		while n > 1 {
			if !(pos == n - 1 && n % 2 == 1) {
				let sib = pos ^ 1;
				siblings.push(if level == 0 {
					leaf_hash(self.leaf(sib).map_err(err)?)
				} else {
					let mut h = [0u8; 32];
					self.tree
						.read_exact_at(&mut h, self.level_offsets[level - 1] + sib * 32)
						.map_err(err)?;
					h
				});
			}
			pos /= 2;
			n = n.div_ceil(2);
			level += 1;
		}
		Ok(LeafProof { index, nonce: self.leaf(index).map_err(err)?, siblings })
	}

	/// The proof of leaf `index` with its neighbour's (PROTOCOL §5).
	pub fn sample_proof(&self, index: u64) -> Result<SampleProof, StoreError> {
		let leaf = self.proof(index)?;
		let next =
			if index + 1 < self.commitment.count { Some(self.proof(index + 1)?) } else { None };
		Ok(SampleProof { leaf, next })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	pub(crate) fn temp_dir(name: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!(
			"gonka-store-{name}-{}-{:?}",
			std::process::id(),
			Instant::now()
		));
		let _ = fs::remove_dir_all(&dir);
		dir
	}

	fn hits(nonces: impl IntoIterator<Item = u64>) -> Vec<Hit> {
		nonces.into_iter().map(|n| Hit::new(n, 0.5 + n as f32 * 1e-6)).collect()
	}

	#[test]
	fn proofs_from_disk_equal_the_in_memory_tree() {
		let dir = temp_dir("proofs");
		let data = DataDir::open(&dir).unwrap();
		for count in [1u64, 2, 3, 5, 8, 13, 100, 1025] {
			let leaves: Vec<u64> = (0..count).map(|i| i * 7 + 3).collect();
			let tree = MerkleTree::new(leaves.clone()).unwrap();
			let c = data.write_commitment(count as u32, leaves).unwrap();
			assert_eq!(c, Commitment { root: tree.root(), count });
			assert_eq!(data.commitment(count as u32).unwrap(), Some(c));
			let reader = data.proofs(count as u32).unwrap();
			for i in 0..count {
				let p = reader.proof(i).unwrap();
				assert_eq!(p, tree.proof(i).unwrap(), "count {count} index {i}");
				gonka_kernels::merkle::verify(&c.root, count, &p).unwrap();
				assert_eq!(reader.sample_proof(i).unwrap(), tree.sample_proof(i).unwrap());
			}
			assert!(matches!(reader.proof(count), Err(StoreError::IndexOutOfRange { .. })));
		}
		fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn hit_log_survives_a_torn_write_and_merges_repeats() {
		let dir = temp_dir("log");
		let data = DataDir::open(&dir).unwrap();
		{
			let mut log = data.hit_log(4, 0).unwrap();
			assert_eq!((log.recovered, log.next_nonce), (0, None));
			log.append(&hits([1, 5]), 10).unwrap();
			log.sync().unwrap();
			log.append(&hits([12]), 20).unwrap(); // not synced: `next` stays 10
		}
		// A crash mid-record: 5 stray bytes.
		let path = data.epoch_dir(4).unwrap().join("hits-0.bin");
		OpenOptions::new().append(true).open(&path).unwrap().write_all(&[9; 5]).unwrap();
		let mut log = data.hit_log(4, 0).unwrap();
		assert_eq!(log.recovered, 3);
		assert_eq!(log.next_nonce, Some(10));
		// The restarted run computes 10.. again and finds 12 again, then 30.
		log.append(&hits([12, 30]), 40).unwrap();
		log.sync().unwrap();
		let mut other = data.hit_log(4, 1).unwrap();
		other.append(&hits([1 << 48]), (1 << 48) + 5).unwrap();
		assert_eq!(
			data.all_hits(4).unwrap().iter().map(|h| h.nonce).collect::<Vec<_>>(),
			vec![1, 5, 12, 30, 1 << 48]
		);
		fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_data_dir_is_used_by_one_worker_at_a_time() {
		let dir = temp_dir("lock");
		let first = DataDir::open(&dir).unwrap();
		assert!(matches!(DataDir::open(&dir), Err(StoreError::Locked { .. })));
		drop(first);
		DataDir::open(&dir).unwrap();
		fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn state_round_trips_and_prune_keeps_recent_epochs() {
		let dir = temp_dir("state");
		let data = DataDir::open(&dir).unwrap();
		assert_eq!(data.state().read(|s| s.clone()), WorkerState::default());
		assert!(!dir.join("state.json").exists(), "nothing written before a change");
		for e in [3, 4, 5] {
			data.epoch_dir(e).unwrap();
			data.state()
				.update(|s| {
					s.epochs.entry(e).or_default().committed = Some(("ab".into(), e as u64))
				})
				.unwrap();
		}
		let state = data.state().read(|s| s.clone());
		assert_eq!(data.state().epoch(4).committed, Some(("ab".into(), 4)));
		assert_eq!(data.prune(4).unwrap(), vec![3]);
		assert_eq!(data.epochs().unwrap(), vec![4, 5]);
		drop(data);
		// What was written is what a restart reads.
		let data = DataDir::open(&dir).unwrap();
		let mut expected = state;
		expected.epochs.remove(&3);
		assert_eq!(data.state().read(|s| s.clone()), expected);
		assert!(!dir.join("state.tmp").exists());
		drop(data);
		fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_corrupt_state_is_reported_with_what_to_do_and_left_alone() {
		let dir = temp_dir("corrupt");
		fs::create_dir_all(&dir).unwrap();
		fs::write(dir.join("state.json"), b"{\"epochs\": {\"7\": {\"committed\": [").unwrap();
		let e = DataDir::open(&dir).err().expect("a corrupt state.json is refused");
		assert!(matches!(e, StoreError::CorruptState { .. }), "{e}");
		let text = e.to_string();
		assert!(text.contains("state.json") && text.contains("Restore it from a backup"), "{text}");
		assert_eq!(
			fs::read(dir.join("state.json")).unwrap(),
			b"{\"epochs\": {\"7\": {\"committed\": ["
		);
		fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_directory_of_another_chain_key_or_host_is_refused() {
		let dir = temp_dir("identity");
		let data = DataDir::open(&dir).unwrap();
		let id = |genesis: &str, key: &str, host: Option<&str>| Identity {
			genesis_hash: genesis.into(),
			worker_key: key.into(),
			host: host.map(Into::into),
		};
		assert_eq!(data.identity().unwrap(), None);
		data.bind(&id("0xaa", "5Worker", None)).unwrap();
		// The host is learnt later and recorded then; the same identity binds again.
		data.bind(&id("0xaa", "5Worker", Some("5Host"))).unwrap();
		data.bind(&id("0xaa", "5Worker", Some("5Host"))).unwrap();
		data.bind(&id("0xaa", "5Worker", None)).unwrap();
		assert_eq!(data.identity().unwrap(), Some(id("0xaa", "5Worker", Some("5Host"))));
		for (other, what) in [
			(id("0xbb", "5Worker", Some("5Host")), "genesis 0xbb"),
			(id("0xaa", "5Other", None), "worker key 5Other"),
			(id("0xaa", "5Worker", Some("5Else")), "host 5Else"),
		] {
			let e = data.bind(&other).unwrap_err();
			assert!(matches!(e, StoreError::OtherIdentity { .. }));
			assert!(e.to_string().contains(what) && e.to_string().contains("--data-dir"), "{e}");
		}
		assert_eq!(data.identity().unwrap(), Some(id("0xaa", "5Worker", Some("5Host"))));
		drop(data);
		fs::remove_dir_all(&dir).unwrap();
	}
}
