//! `gonka-node`: the gonka parachain collator.
//!
//! A thin binary over `polkadot-omni-node-lib` (without the rococo/westend native runtimes): all
//! of the chain's logic is in the runtime's WASM, which is built into this binary together with
//! the `dev` and `local` chain specs, so `gonka-node --dev` needs no files.

mod chain_spec;

use polkadot_sdk::polkadot_omni_node_lib::{
	run, runtime::DefaultRuntimeResolver, CliConfig as CliConfigT, RunConfig, NODE_VERSION,
};

struct CliConfig;

impl CliConfigT for CliConfig {
	fn impl_version() -> String {
		format!("{}-{NODE_VERSION}", env!("CARGO_PKG_VERSION"))
	}

	fn description(executable_name: String) -> String {
		format!(
			"The gonka parachain collator: Proof-of-Work as useful AI compute.\n\
			\n\
			Built-in chains: `--dev` (one collator, no relay chain, manual seal) and \
			`--chain local` (zombienet, with a relay chain); any other `--chain` is a path.\n\
			Arguments after `--` go to the embedded relay chain node.\n\
			\n\
			Example: {executable_name} --dev --dev-block-time 1000"
		)
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		concat!(env!("CARGO_PKG_REPOSITORY"), "/issues/new").into()
	}

	fn copyright_start_year() -> u16 {
		2026
	}
}

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	let config = RunConfig::new(
		Box::new(DefaultRuntimeResolver),
		Box::new(chain_spec::GonkaChainSpecLoader),
	);
	run::<CliConfig>(config)
}
