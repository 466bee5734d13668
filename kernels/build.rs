//! With the `torch` feature: make the crate's executables (examples, tests, benches) load
//! `libtorch_cuda.so`. torch-sys names `-ltorch_cuda`, but under rustc's `--as-needed` and with no
//! symbol of it referenced, the linker drops it, and libtorch then reports no CUDA device.
//! Naming it again after `-Wl,--no-as-needed` does not help: the linker has already read that
//! library and ignores the repeat (checked with mold and GNU ld). Forcing an undefined reference
//! to one of its symbols (`at::cuda::getCurrentCUDABlasHandle()`) does: the library that resolves
//! it is needed. The directory comes from torch-sys (`DEP_TCH_LIBTORCH_LIB`); a libtorch without
//! CUDA (no `libtorch_cuda.so`) links as before. Binaries of other crates (gonka-worker) need the
//! same lines in their own build script (`cargo:rustc-link-arg-bins`).

/// `at::cuda::getCurrentCUDABlasHandle()`, defined in libtorch_cuda.so since libtorch 1.x.
const CUDA_SYMBOL: &str = "_ZN2at4cuda24getCurrentCUDABlasHandleEv";

fn main() {
	println!("cargo:rerun-if-changed=build.rs");
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
	for kind in ["examples", "tests", "benches"] {
		println!("cargo:rustc-link-arg-{kind}=-L{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,-u,{CUDA_SYMBOL}");
	}
}
