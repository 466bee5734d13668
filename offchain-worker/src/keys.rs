//! The worker key (PROTOCOL §1): the sr25519 key that signs the host's Sprint extrinsics.
//!
//! Its secret is never taken from the command line (where `ps` and shell history would show
//! it): it comes from a key file written by `gonka-worker key generate` (JSON, mode 0600), or
//! from a secret URI in the `GONKA_WORKER_SURI` environment variable.

use std::{fs, io::Write, path::Path};

use polkadot_sdk::sp_core::{
	crypto::{Ss58Codec, Zeroize},
	sr25519, Pair,
};
use serde::{Deserialize, Serialize};

/// The environment variable a secret URI may come from instead of a key file.
pub const SURI_ENV: &str = "GONKA_WORKER_SURI";

/// The environment variable the host account's secret URI may come from (`register`).
pub const HOST_SURI_ENV: &str = "GONKA_HOST_SURI";

/// What can go wrong with a worker key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
	#[error(
		"no worker key: pass --key-file FILE (see `gonka-worker key generate`) or set {SURI_ENV}"
	)]
	Missing,
	#[error("no key: pass its key file or set {env} to its secret URI")]
	MissingKey { env: String },
	#[error("cannot read key file {path}: {source}")]
	Read { path: String, source: std::io::Error },
	#[error("key file {path} is not a gonka worker key file: {reason}")]
	Format { path: String, reason: String },
	#[error("key file {path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")]
	Permissions { path: String, mode: u32 },
	#[error("{path} already exists; refusing to overwrite a key (move it away first)")]
	Exists { path: String },
	#[error("cannot write key file {path}: {source}")]
	Write { path: String, source: std::io::Error },
	#[error("the secret URI {origin} is invalid: {reason}")]
	BadSecret { origin: String, reason: String },
}

/// A key file: the secret phrase and, for checking, the public key it must give.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFile {
	/// BIP-39 phrase or any secret URI (`//Alice` for dev chains).
	secret_uri: String,
	/// SS58 address of the public key (checked on load).
	ss58_address: String,
}

/// A loaded worker key.
pub struct WorkerKey {
	pair: sr25519::Pair,
}

impl WorkerKey {
	/// The signing pair.
	pub fn pair(&self) -> &sr25519::Pair {
		&self.pair
	}

	/// The SS58 address (generic prefix 42) of the public key.
	pub fn address(&self) -> String {
		self.pair.public().to_ss58check()
	}

	/// The public key as 0x-hex.
	pub fn public_hex(&self) -> String {
		format!("0x{}", hex::encode(self.pair.public().0))
	}

	/// The proof that this key is `host`'s worker key on the chain of `genesis_hash` (PROTOCOL
	/// §1): its signature over `"gonka/worker-key" ‖ SCALE(host) ‖ genesis hash`, what
	/// `sprint.register_host` and `sprint.set_worker_key` take as `key_proof`.
	pub fn key_proof(
		&self,
		host: &polkadot_sdk::sp_runtime::AccountId32,
		genesis_hash: &[u8],
	) -> polkadot_sdk::sp_runtime::MultiSignature {
		use polkadot_sdk::sp_core::Pair;
		let message = gonka_primitives::worker_key_message(host, genesis_hash);
		polkadot_sdk::sp_runtime::MultiSignature::Sr25519(self.pair.sign(&message))
	}

	/// From a secret URI; `origin` names where it came from in errors (never the secret).
	pub fn from_suri(suri: &str, origin: &str) -> Result<Self, KeyError> {
		let pair = sr25519::Pair::from_string(suri, None).map_err(|e| KeyError::BadSecret {
			origin: origin.to_string(),
			reason: format!("{e:?}"),
		})?;
		Ok(Self { pair })
	}

	/// From a key file, or else from `GONKA_WORKER_SURI`.
	pub fn load(file: Option<&Path>) -> Result<Self, KeyError> {
		Self::load_from(file, SURI_ENV).map_err(|e| match e {
			KeyError::MissingKey { .. } => KeyError::Missing,
			e => e,
		})
	}

	/// From a key file, or else from the secret URI in environment variable `env`: how the
	/// host account's key is loaded for `gonka-worker register` (`GONKA_HOST_SURI`).
	pub fn load_from(file: Option<&Path>, env: &str) -> Result<Self, KeyError> {
		match file {
			Some(path) => Self::from_file(path),
			None => match std::env::var(env) {
				Ok(mut suri) => {
					let key = Self::from_suri(&suri, env);
					suri.zeroize();
					key
				},
				Err(_) => Err(KeyError::MissingKey { env: env.to_string() }),
			},
		}
	}

	/// From a key file written by [`generate`](Self::generate).
	pub fn from_file(path: &Path) -> Result<Self, KeyError> {
		let name = path.display().to_string();
		let meta =
			fs::metadata(path).map_err(|source| KeyError::Read { path: name.clone(), source })?;
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = meta.permissions().mode() & 0o777;
			if mode & 0o077 != 0 {
				return Err(KeyError::Permissions { path: name, mode });
			}
		}
		#[cfg(not(unix))]
		let _ = meta;
		let text = fs::read_to_string(path)
			.map_err(|source| KeyError::Read { path: name.clone(), source })?;
		let mut file: KeyFile = serde_json::from_str(&text)
			.map_err(|e| KeyError::Format { path: name.clone(), reason: e.to_string() })?;
		let key = Self::from_suri(&file.secret_uri, &name);
		file.secret_uri.zeroize();
		let key = key?;
		if key.address() != file.ss58_address {
			return Err(KeyError::Format {
				path: name,
				reason: format!(
					"its secret gives {} but the file says {}",
					key.address(),
					file.ss58_address
				),
			});
		}
		Ok(key)
	}

	/// Generates a new key from a fresh 12-word phrase and writes it to `path` (mode 0600),
	/// never overwriting a file.
	pub fn generate(path: &Path) -> Result<Self, KeyError> {
		let name = path.display().to_string();
		let (pair, mut phrase, _) = sr25519::Pair::generate_with_phrase(None);
		let file =
			KeyFile { secret_uri: phrase.clone(), ss58_address: pair.public().to_ss58check() };
		phrase.zeroize();
		let mut options = fs::OpenOptions::new();
		options.write(true).create_new(true);
		#[cfg(unix)]
		{
			use std::os::unix::fs::OpenOptionsExt;
			options.mode(0o600);
		}
		let mut out = options.open(path).map_err(|source| {
			if source.kind() == std::io::ErrorKind::AlreadyExists {
				KeyError::Exists { path: name.clone() }
			} else {
				KeyError::Write { path: name.clone(), source }
			}
		})?;
		let mut json = serde_json::to_string_pretty(&file).expect("a key file serializes");
		json.push('\n');
		out.write_all(json.as_bytes()).map_err(|source| KeyError::Write { path: name, source })?;
		json.zeroize();
		Ok(Self { pair })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn temp(name: &str) -> std::path::PathBuf {
		let dir = std::env::temp_dir().join(format!("gonka-keys-{}-{name}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		fs::create_dir_all(&dir).unwrap();
		dir.join("worker.json")
	}

	#[test]
	fn generate_then_load_gives_the_same_key() {
		let path = temp("roundtrip");
		let key = WorkerKey::generate(&path).unwrap();
		let again = WorkerKey::from_file(&path).unwrap();
		assert_eq!(key.address(), again.address());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		}
		// Never overwritten.
		assert!(matches!(WorkerKey::generate(&path), Err(KeyError::Exists { .. })));
		assert_eq!(WorkerKey::from_file(&path).unwrap().address(), key.address());
	}

	/// The proof verifies as the runtime checks it: by this key, for this host and chain only.
	#[test]
	fn key_proofs_bind_the_host_and_the_chain() {
		use polkadot_sdk::sp_runtime::{traits::Verify, AccountId32};
		let key = WorkerKey::from_suri("//Dave", "test").unwrap();
		let worker: AccountId32 = key.pair().public().into();
		let host = AccountId32::new([1; 32]);
		let genesis = [7u8; 32];
		let proof = key.key_proof(&host, &genesis);
		let message = |h: &AccountId32, g: &[u8]| gonka_primitives::worker_key_message(h, g);
		assert!(proof.verify(&message(&host, &genesis)[..], &worker));
		assert!(!proof.verify(&message(&AccountId32::new([2; 32]), &genesis)[..], &worker));
		assert!(!proof.verify(&message(&host, &[8u8; 32])[..], &worker));
		let other: AccountId32 =
			WorkerKey::from_suri("//Eve", "test").unwrap().pair().public().into();
		assert!(!proof.verify(&message(&host, &genesis)[..], &other));
	}

	#[test]
	fn bad_files_are_refused_with_a_reason() {
		let path = temp("bad");
		WorkerKey::generate(&path).unwrap();
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
			let err = WorkerKey::from_file(&path).err().unwrap();
			assert!(err.to_string().contains("chmod 600"), "{err}");
			fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
		}
		// A file whose address does not match its secret.
		let text = fs::read_to_string(&path).unwrap();
		let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
		json["ss58Address"] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into();
		fs::write(&path, json.to_string()).unwrap();
		assert!(matches!(WorkerKey::from_file(&path), Err(KeyError::Format { .. })));
		fs::write(&path, "not json").unwrap();
		assert!(matches!(WorkerKey::from_file(&path), Err(KeyError::Format { .. })));
		assert!(matches!(
			WorkerKey::from_file(Path::new("/nonexistent/worker.json")),
			Err(KeyError::Read { .. })
		));
	}

	#[test]
	fn a_secret_uri_gives_the_well_known_key() {
		let alice = WorkerKey::from_suri("//Alice", "test").unwrap();
		assert_eq!(alice.address(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		let err = WorkerKey::from_suri("not a secret", "test").err().unwrap();
		assert!(err.to_string().contains("test"), "{err}");
		assert!(!err.to_string().contains("not a secret"), "errors never echo the secret: {err}");
	}
}
