//! `gonka-worker`: the off-chain half of the protocol. For now its key management; the Sprint,
//! the proof server and the validator follow (issue 5).

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use gonka_worker::keys::WorkerKey;

#[derive(Parser)]
#[command(name = "gonka-worker", version, about = "The gonka worker: Sprints, proofs, validation.")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Worker keys (sr25519). Secrets never go on the command line: they live in a key file
	/// (mode 0600) or in the GONKA_WORKER_SURI environment variable.
	#[command(subcommand)]
	Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
	/// Generates a new worker key from a fresh 12-word phrase into FILE (never overwritten).
	Generate {
		/// Where to write the key file.
		#[arg(long)]
		file: PathBuf,
	},
	/// Prints the address and public key of the worker key (from --key-file or
	/// GONKA_WORKER_SURI), e.g. to pass to `sprint.register_host`.
	Inspect {
		/// The key file (default: the secret URI in GONKA_WORKER_SURI).
		#[arg(long, env = "GONKA_WORKER_KEY_FILE")]
		key_file: Option<PathBuf>,
	},
}

fn main() -> ExitCode {
	let cli = Cli::parse();
	let result = match cli.command {
		Command::Key(KeyCommand::Generate { file }) => WorkerKey::generate(&file).map(|key| {
			println!("Generated worker key into {} (mode 0600; keep it secret)", file.display());
			print_key(&key);
		}),
		Command::Key(KeyCommand::Inspect { key_file }) => {
			WorkerKey::load(key_file.as_deref()).map(|key| print_key(&key))
		},
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("gonka-worker: {e}");
			ExitCode::FAILURE
		},
	}
}

fn print_key(key: &WorkerKey) {
	println!("  address (SS58): {}", key.address());
	println!("  public key:     {}", key.public_hex());
	println!("Register it for your host account with sprint.register_host(endpoint, worker_key).");
}
