//! `gonka-worker key`: the real binary, as an operator runs it.

use std::process::Command;

fn worker() -> Command {
	let mut cmd = Command::new(env!("CARGO_BIN_EXE_gonka-worker"));
	cmd.env_remove("GONKA_WORKER_SURI").env_remove("GONKA_WORKER_KEY_FILE");
	cmd
}

#[test]
fn generate_then_inspect_from_the_file_or_the_environment() {
	let dir = std::env::temp_dir().join(format!("gonka-key-cli-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).unwrap();
	let file = dir.join("worker.json");

	let out = worker().args(["key", "generate", "--file"]).arg(&file).output().unwrap();
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let generated = String::from_utf8(out.stdout).unwrap();
	let address = generated
		.lines()
		.find_map(|l| l.trim().strip_prefix("address (SS58): "))
		.expect("an address line")
		.to_string();

	let out = worker().args(["key", "inspect", "--key-file"]).arg(&file).output().unwrap();
	assert!(out.status.success());
	assert!(String::from_utf8(out.stdout).unwrap().contains(&address));

	// A second generate never overwrites the key.
	let out = worker().args(["key", "generate", "--file"]).arg(&file).output().unwrap();
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite"));

	// The secret URI from the environment.
	let out =
		worker().args(["key", "inspect"]).env("GONKA_WORKER_SURI", "//Dave").output().unwrap();
	assert!(out.status.success());
	assert!(String::from_utf8(out.stdout)
		.unwrap()
		.contains("5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"));
}

#[test]
fn no_key_is_a_clear_error() {
	let out = worker().args(["key", "inspect"]).output().unwrap();
	assert!(!out.status.success());
	let err = String::from_utf8_lossy(&out.stderr);
	assert!(err.contains("GONKA_WORKER_SURI") && err.contains("--key-file"), "{err}");
}

/// `key proof` prints the signature `register_host` checks: by the worker key, over the key
/// message for the host and the genesis hash given.
#[test]
fn key_proof_prints_a_signature_the_runtime_accepts() {
	use polkadot_sdk::sp_core::{crypto::Ss58Codec, sr25519};
	use polkadot_sdk::sp_runtime::{traits::Verify, AccountId32, MultiSignature};
	let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
	let genesis = format!("0x{}", "ab".repeat(32));
	let out = worker()
		.args(["key", "proof", "--host", alice, "--genesis-hash", &genesis])
		.env("GONKA_WORKER_SURI", "//Dave")
		.output()
		.unwrap();
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	let text = String::from_utf8(out.stdout).unwrap();
	let hex_sig = text
		.lines()
		.find_map(|l| l.trim().strip_prefix("key_proof:  { Sr25519: 0x"))
		.and_then(|l| l.strip_suffix(" }"))
		.unwrap_or_else(|| panic!("a key_proof line in {text}"));
	let bytes: [u8; 64] = hex::decode(hex_sig).unwrap().try_into().unwrap();
	let proof = MultiSignature::Sr25519(sr25519::Signature::from_raw(bytes));
	let host = AccountId32::from_ss58check(alice).unwrap();
	let dave =
		AccountId32::from_ss58check("5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy").unwrap();
	let message = gonka_primitives::worker_key_message(&host, &[0xab; 32]);
	assert!(proof.verify(&message[..], &dave));
	// Bad input is refused with the reason.
	for (args, why) in [
		(
			vec!["--host", "not-an-address", "--genesis-hash", genesis.as_str()],
			"not an SS58 address",
		),
		(vec!["--host", alice, "--genesis-hash", "0x1234"], "must be 32 bytes"),
	] {
		let out = worker()
			.args(["key", "proof"])
			.args(&args)
			.env("GONKA_WORKER_SURI", "//Dave")
			.output()
			.unwrap();
		assert!(!out.status.success());
		let err = String::from_utf8_lossy(&out.stderr);
		assert!(err.contains(why), "{err}");
	}
}

/// `gonka-worker run` checks its settings at start-up and exits non-zero with the reason, before
/// it serves or connects to anything.
#[test]
fn run_refuses_bad_settings_at_start_up() {
	let dir = std::env::temp_dir().join(format!("gonka-run-cli-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let run = |args: &[&str]| {
		let out = worker()
			.args(["run", "--no-progress", "--listen", "127.0.0.1:0", "--data-dir"])
			.arg(&dir)
			.args(args)
			.env("GONKA_WORKER_SURI", "//Dave")
			.env("GONKA_WORKER_METRICS_LISTEN", "127.0.0.1:0")
			.env("RUST_LOG", "warn")
			.output()
			.unwrap();
		(out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
	};
	let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
	let busy = format!("127.0.0.1:{}", busy.local_addr().unwrap().port());
	std::fs::create_dir_all(&dir).unwrap();
	let no_pem = dir.join("no-certificate.pem");
	std::fs::write(&no_pem, "not a certificate\n").unwrap();
	let no_pem = no_pem.to_str().unwrap().to_string();
	for (args, expected) in [
		(&["--metrics-listen", &busy][..], "cannot serve metrics on"),
		(&["--extra-ca-file", "/nonexistent/ca.pem"][..], "--extra-ca-file /nonexistent/ca.pem"),
		(&["--extra-ca-file", &no_pem][..], "no PEM certificate in it"),
		(&["--rate-limit", "0"][..], "--rate-limit = 0 is out of range"),
		(&["--rate-limit", "1e12"][..], "--rate-limit = 1000000000000 is out of range"),
		(&["--rate-burst", "0"][..], "--rate-burst = 0 is out of range"),
		(&["--max-connections", "0"][..], "--max-connections = 0"),
		(&["--max-connections-per-client", "600"][..], "--max-connections-per-client = 600"),
		(&["--header-timeout-secs", "0"][..], "--header-timeout-secs"),
		(&["--devices", "cuda:0"][..], "the cpu backend runs on device `cpu`, not `cuda:0`"),
		(&["--backend", "torch"][..], "built without the torch backend"),
		(
			&["--node", "ws://127.0.0.1:1", "--startup-timeout-secs", "1"][..],
			"cannot reach the node ws://127.0.0.1:1",
		),
	] {
		let (code, stderr) = run(args);
		assert_eq!(code, Some(1), "{args:?} exits 1: {stderr}");
		assert!(stderr.contains(expected), "{args:?}: {stderr}");
	}
	// A config file with a setting that does not exist: refused before anything runs.
	let config = dir.join("worker.toml");
	std::fs::write(&config, "listen = \"127.0.0.1:0\"\nmax_conections = 5\n").unwrap();
	let (code, stderr) = run(&["--config", config.to_str().unwrap()]);
	assert_eq!(code, Some(2), "{stderr}");
	assert!(stderr.contains("unknown setting `max_conections`"), "{stderr}");
	// One with a value out of range is refused like the flag.
	std::fs::write(&config, "rate-limit = 0\n").unwrap();
	let (code, stderr) = run(&["--config", config.to_str().unwrap()]);
	assert_eq!(code, Some(1), "{stderr}");
	assert!(stderr.contains("--rate-limit = 0 is out of range"), "{stderr}");
	let _ = std::fs::remove_dir_all(&dir);
}
