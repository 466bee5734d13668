// Shared by the build scripts of gonka-kernels and gonka-llm (`include!`d; see kernels/build.rs).
// `kinds`: the target kinds of the crate that link libtorch (cargo refuses a kind a crate lacks).

/// `at::cuda::getCurrentCUDABlasHandle()`, defined in libtorch_cuda.so since libtorch 1.x.
const CUDA_SYMBOL: &str = "_ZN2at4cuda24getCurrentCUDABlasHandleEv";

fn link_libtorch_cuda(kinds: &[&str]) {
	println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
	if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
		return;
	}
	let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") else {
		println!("cargo:warning=torch feature: torch-sys did not report the libtorch directory");
		return;
	};
	let lib = std::path::PathBuf::from(lib);
	if !lib.join("libtorch_cuda.so").exists() {
		return;
	}
	for kind in kinds {
		println!("cargo:rustc-link-arg-{kind}=-L{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,-u,{CUDA_SYMBOL}");
	}
}
