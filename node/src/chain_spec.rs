//! The chain specs built into `gonka-node`, from the runtime's WASM and its genesis presets.
//!
//! `chain-spec/*.json` are these specs exported (`scripts/chain-specs`); CI checks that they have
//! not drifted from what the runtime produces.

use gonka_runtime::genesis_config_presets::PARACHAIN_ID;
use polkadot_sdk::{
	polkadot_omni_node_lib::chain_spec::{
		ChainSpec, DiskChainSpecLoader, Extensions, GenericChainSpec, LoadSpec,
	},
	sc_chain_spec::{ChainType, Properties},
	sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET},
};

/// The relay chain named in the `local` spec (zombienet starts a `rococo-local` relay).
pub const LOCAL_RELAY_CHAIN: &str = "rococo-local";

/// Loads `dev` and `local` from the runtime; anything else is a chain-spec file path.
pub struct GonkaChainSpecLoader;

impl LoadSpec for GonkaChainSpecLoader {
	fn load_spec(&self, id: &str) -> Result<Box<dyn ChainSpec>, String> {
		Ok(match id {
			"" | "dev" => Box::new(development()?),
			"local" => Box::new(local_testnet()?),
			path => DiskChainSpecLoader.load_spec(path).map_err(|e| {
				format!(
					"cannot load chain spec '{path}': {e}. Built-in chains are 'dev' and \
					 'local'; anything else must be a chain-spec JSON file"
				)
			})?,
		})
	}
}

/// What wallets show for the chain's token.
pub fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), gonka_runtime::SYMBOL.into());
	p.insert("tokenDecimals".into(), gonka_runtime::DECIMALS.into());
	p.insert("ss58Format".into(), 42.into());
	p
}

fn wasm() -> Result<&'static [u8], String> {
	gonka_runtime::WASM_BINARY.ok_or_else(|| {
		"this gonka-node was built without the runtime WASM (SKIP_WASM_BUILD was set); \
		 rebuild it without SKIP_WASM_BUILD"
			.to_string()
	})
}

/// `--dev`: one collator (Alice), no relay chain.
pub fn development() -> Result<GenericChainSpec, String> {
	built_in("Gonka Development", "gonka_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

/// `--chain local`: collators Alice and Bob under a `rococo-local` relay chain (zombienet).
pub fn local_testnet() -> Result<GenericChainSpec, String> {
	built_in("Gonka Local Testnet", "gonka_local", ChainType::Local, LOCAL_TESTNET_RUNTIME_PRESET)
}

/// A spec over the runtime's WASM and one of its genesis presets; the id doubles as the libp2p
/// protocol id, so dev and local nodes never peer with each other.
fn built_in(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<GenericChainSpec, String> {
	Ok(GenericChainSpec::builder(wasm()?, Extensions::new(LOCAL_RELAY_CHAIN.into(), PARACHAIN_ID))
		.with_name(name)
		.with_id(id)
		.with_protocol_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_and_local_are_built_in_with_gnk_properties() {
		for (id, chain_type) in [("dev", ChainType::Development), ("local", ChainType::Local)] {
			let spec = GonkaChainSpecLoader.load_spec(id).expect("built-in spec loads");
			assert_eq!(spec.chain_type(), chain_type);
			let props = spec.properties();
			assert_eq!(props["tokenSymbol"], "GNK");
			assert_eq!(props["tokenDecimals"], 9);
			let ext = Extensions::try_get(&*spec).expect("parachain extensions");
			assert_eq!(ext.para_id(), Some(PARACHAIN_ID));
			assert_eq!(ext.relay_chain(), LOCAL_RELAY_CHAIN);
		}
		// `--dev` without `--chain` asks for the empty id.
		assert_eq!(GonkaChainSpecLoader.load_spec("").unwrap().id(), "gonka_dev");
	}

	#[test]
	fn unknown_chain_is_a_clear_error() {
		let err = GonkaChainSpecLoader.load_spec("/nonexistent/spec.json").err().unwrap();
		assert!(err.contains("/nonexistent/spec.json") && err.contains("'dev'"), "{err}");
	}

	#[test]
	fn dev_genesis_builds_from_the_runtime_preset() {
		let spec = development().unwrap();
		let storage = spec.as_storage_builder().build_storage().expect("genesis builds");
		assert!(storage.top.contains_key(polkadot_sdk::sp_core::storage::well_known_keys::CODE));
	}
}
