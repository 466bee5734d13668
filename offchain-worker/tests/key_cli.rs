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
