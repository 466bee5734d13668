#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
	// The runtime-upgrade end-to-end test needs the same runtime with a higher `spec_version`
	// (feature `upgrade-test`), as a second WASM next to the first. Benchmark builds skip it.
	if std::env::var_os("CARGO_FEATURE_RUNTIME_BENCHMARKS").is_none() {
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("upgrade-test")
			.set_file_name("wasm_binary_upgrade_test.rs")
			.build();
	}
}

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("GNK", 9)
		.build();
}

/// The WASM builder is only needed (and only available) for `std` builds.
#[cfg(not(feature = "std"))]
fn main() {}
