//! With the `torch` feature: make `gonka-worker` load `libtorch_cuda.so`, which the linker would
//! otherwise drop (nothing references it by symbol, and rustc links `--as-needed`), leaving
//! libtorch without CUDA. See `kernels/build.rs` for why an undefined reference to one of its
//! symbols is what works. The directory comes from torch-sys (`DEP_TCH_LIBTORCH_LIB`); a libtorch
//! without CUDA links as before. Check with `readelf -d target/…/gonka-worker | grep torch_cuda`.

/// `at::cuda::getCurrentCUDABlasHandle()`, defined in libtorch_cuda.so.
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
	for kind in ["bins", "tests"] {
		println!("cargo:rustc-link-arg-{kind}=-L{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{}", lib.display());
		println!("cargo:rustc-link-arg-{kind}=-Wl,--no-as-needed");
		println!("cargo:rustc-link-arg-{kind}=-Wl,-u,{CUDA_SYMBOL}");
		println!("cargo:rustc-link-arg-{kind}=-ltorch_cuda");
		println!("cargo:rustc-link-arg-{kind}=-Wl,--as-needed");
	}
}
