//! `gonka-worker run --config FILE`: the settings of `run` from a TOML file.
//!
//! Each key is a long flag of `run` without its dashes (`rate-limit` or `rate_limit`), each value
//! what the flag takes: a string, a number, a boolean for a switch (`no-progress = true`), an
//! array for a list (`devices = ["cuda:0", "cuda:1"]`). A setting given on the command line or in
//! its environment variable wins over the file, and the file over the default. An unknown key,
//! a hidden test-only flag, or a value of the wrong shape is an error that names the key: a typo
//! must not silently run the worker with a default.

use std::{ffi::OsString, path::Path};

use clap::{parser::ValueSource, ArgAction, ArgMatches, Command};

/// Why a config file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	#[error("--config {path}: {source}")]
	Read { path: String, source: std::io::Error },
	#[error("--config {path}: not valid TOML: {message}")]
	Toml { path: String, message: String },
	#[error(
		"--config {path}: unknown setting `{key}` (the settings are the long flags of \
		 `gonka-worker {command}`, e.g. `listen = \"0.0.0.0:8101\"`; see --help)"
	)]
	Unknown { path: String, key: String, command: String },
	#[error("--config {path}: `{key}` {reason}")]
	Value { path: String, key: String, reason: String },
}

/// The flags `file` adds to the command line of subcommand `name` of `cmd`: one per setting the
/// command line and the environment left at its default (`matches` are that subcommand's).
pub fn flags_from_file(
	cmd: &Command,
	name: &str,
	matches: &ArgMatches,
	file: &Path,
) -> Result<Vec<OsString>, ConfigError> {
	let path = file.display().to_string();
	let text = std::fs::read_to_string(file)
		.map_err(|source| ConfigError::Read { path: path.clone(), source })?;
	let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Toml {
		path: path.clone(),
		message: e.to_string(),
	})?;
	let sub = cmd.find_subcommand(name).expect("the subcommand exists; qed");
	let mut out = Vec::new();
	for (key, value) in table {
		let long = key.replace('_', "-");
		let arg = sub
			.get_arguments()
			.find(|a| a.get_long() == Some(long.as_str()) && !a.is_hide_set() && long != "config")
			.ok_or_else(|| ConfigError::Unknown {
				path: path.clone(),
				key: key.clone(),
				command: name.into(),
			})?;
		let bad = |reason: &str| ConfigError::Value {
			path: path.clone(),
			key: key.clone(),
			reason: reason.into(),
		};
		// The command line and the environment win over the file.
		if matches!(
			matches.value_source(arg.get_id().as_str()),
			Some(ValueSource::CommandLine | ValueSource::EnvVariable)
		) {
			continue;
		}
		let flag = format!("--{long}");
		match arg.get_action() {
			ArgAction::SetTrue => match value {
				toml::Value::Boolean(true) => out.push(flag.into()),
				toml::Value::Boolean(false) => {},
				_ => return Err(bad("is a switch: write true or false")),
			},
			_ => {
				let one = |v: &toml::Value| -> Result<String, ConfigError> {
					match v {
						toml::Value::String(s) => Ok(s.clone()),
						toml::Value::Integer(i) => Ok(i.to_string()),
						toml::Value::Float(f) => Ok(f.to_string()),
						_ => Err(bad("takes a string or a number")),
					}
				};
				let text = match &value {
					toml::Value::Array(items) if arg.get_value_delimiter().is_some() => items
						.iter()
						.map(one)
						.collect::<Result<Vec<_>, _>>()?
						.join(&arg.get_value_delimiter().unwrap().to_string()),
					toml::Value::Array(_) => return Err(bad("takes one value, not a list")),
					v => one(v)?,
				};
				out.push(format!("{flag}={text}").into());
			},
		}
	}
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Arg;

	fn cmd() -> Command {
		cmd_reading(None)
	}

	/// The test command; `env`: the variable `--rate-limit` falls back to (only the test of the
	/// environment names one, so tests running at the same time do not see it).
	fn cmd_reading(env: Option<&'static str>) -> Command {
		let mut rate = Arg::new("rate_limit")
			.long("rate-limit")
			.default_value("20")
			.value_parser(clap::value_parser!(f64));
		if let Some(env) = env {
			rate = rate.env(env);
		}
		Command::new("w").subcommand(
			Command::new("run")
				.arg(Arg::new("config").long("config"))
				.arg(Arg::new("listen").long("listen").default_value("0.0.0.0:8101"))
				.arg(rate)
				.arg(Arg::new("devices").long("devices").value_delimiter(','))
				.arg(Arg::new("no_progress").long("no-progress").action(ArgAction::SetTrue))
				.arg(Arg::new("cheat").long("cheat").hide(true).action(ArgAction::SetTrue)),
		)
	}

	fn file(text: &str) -> tempfile_path::Temp {
		tempfile_path::Temp::new(text)
	}

	/// A file removed when dropped (no tempfile crate for one test).
	mod tempfile_path {
		pub struct Temp(pub std::path::PathBuf);
		impl Temp {
			pub fn new(text: &str) -> Self {
				static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
				let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
				let p = std::env::temp_dir()
					.join(format!("gonka-config-{}-{n}.toml", std::process::id()));
				std::fs::write(&p, text).unwrap();
				Self(p)
			}
		}
		impl Drop for Temp {
			fn drop(&mut self) {
				let _ = std::fs::remove_file(&self.0);
			}
		}
	}

	fn run_with(args: &[&str], text: &str) -> Result<ArgMatches, String> {
		run_with_in(cmd, args, text)
	}

	fn run_with_in(
		cmd: impl Fn() -> Command,
		args: &[&str],
		text: &str,
	) -> Result<ArgMatches, String> {
		let f = file(text);
		let mut argv: Vec<OsString> = ["w", "run"].iter().map(OsString::from).collect();
		argv.extend(args.iter().map(OsString::from));
		let m = cmd().try_get_matches_from(&argv).map_err(|e| e.to_string())?;
		let extra = flags_from_file(&cmd(), "run", m.subcommand_matches("run").unwrap(), &f.0)
			.map_err(|e| e.to_string())?;
		argv.extend(extra);
		let m = cmd().try_get_matches_from(&argv).map_err(|e| e.to_string())?;
		Ok(m.subcommand_matches("run").unwrap().clone())
	}

	#[test]
	fn the_file_fills_what_the_command_line_left_at_its_default() {
		let m = run_with(
			&["--listen", "127.0.0.1:1"],
			"listen = \"0.0.0.0:2\"\nrate_limit = 5.5\ndevices = [\"cuda:0\", \"cuda:1\"]\n\
			 no-progress = true\n",
		)
		.unwrap();
		assert_eq!(m.get_one::<String>("listen").unwrap(), "127.0.0.1:1");
		assert_eq!(*m.get_one::<f64>("rate_limit").unwrap(), 5.5);
		let devices: Vec<&String> = m.get_many("devices").unwrap().collect();
		assert_eq!(devices, ["cuda:0", "cuda:1"]);
		assert!(m.get_flag("no_progress"));
		let m = run_with(&[], "no_progress = false\nrate-limit = 3\n").unwrap();
		assert!(!m.get_flag("no_progress"));
		assert_eq!(*m.get_one::<f64>("rate_limit").unwrap(), 3.0);
		assert_eq!(m.get_one::<String>("listen").unwrap(), "0.0.0.0:8101");
	}

	#[test]
	fn the_environment_wins_over_the_file() {
		// Only this test's command reads the variable.
		std::env::set_var("GONKA_CONFIG_TEST_RATE", "7");
		let m =
			run_with_in(|| cmd_reading(Some("GONKA_CONFIG_TEST_RATE")), &[], "rate_limit = 5\n")
				.unwrap();
		std::env::remove_var("GONKA_CONFIG_TEST_RATE");
		assert_eq!(*m.get_one::<f64>("rate_limit").unwrap(), 7.0);
	}

	#[test]
	fn unknown_hidden_and_misshapen_settings_are_refused_by_name() {
		let e = run_with(&[], "lisen = \"0.0.0.0:1\"\n").unwrap_err();
		assert!(e.contains("unknown setting `lisen`"), "{e}");
		let e = run_with(&[], "cheat = true\n").unwrap_err();
		assert!(e.contains("unknown setting `cheat`"), "{e}");
		let e = run_with(&[], "config = \"other.toml\"\n").unwrap_err();
		assert!(e.contains("unknown setting `config`"), "{e}");
		let e = run_with(&[], "no_progress = \"yes\"\n").unwrap_err();
		assert!(e.contains("`no_progress` is a switch"), "{e}");
		let e = run_with(&[], "listen = [\"a\", \"b\"]\n").unwrap_err();
		assert!(e.contains("`listen` takes one value"), "{e}");
		let e = run_with(&[], "listen = \n").unwrap_err();
		assert!(e.contains("not valid TOML"), "{e}");
		// A value clap cannot parse is refused by clap, naming the flag.
		let e = run_with(&[], "rate_limit = \"fast\"\n").unwrap_err();
		assert!(e.contains("--rate-limit"), "{e}");
	}
}
