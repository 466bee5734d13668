//! With the `torch` feature: make `gonka-worker` load `libtorch_cuda.so`, which the linker would
//! otherwise drop (nothing references it by symbol, and rustc links `--as-needed`), leaving
//! libtorch without CUDA. See `kernels/build.rs` for why an undefined reference to one of its
//! symbols is what works. The directory comes from torch-sys (`DEP_TCH_LIBTORCH_LIB`); a libtorch
//! without CUDA links as before. Check with `readelf -d target/…/gonka-worker | grep torch_cuda`.
//!
//! Where the binary looks for libtorch at run time (its RUNPATH): `GONKA_TORCH_RPATH` when set at
//! build time — the directory libtorch has on the machines that run the worker (`/opt/libtorch/lib`,
//! or `$ORIGIN/../lib` for a package that ships libtorch next to the binary) — else the directory
//! it was linked against (for a worker run where it was built; a pip wheel's path there).

/// `at::cuda::getCurrentCUDABlasHandle()`, defined in libtorch_cuda.so.
const CUDA_SYMBOL: &str = "_ZN2at4cuda24getCurrentCUDABlasHandleEv";

fn main() {
	println!("cargo:rerun-if-changed=build.rs");
	println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
	println!("cargo:rerun-if-env-changed=GONKA_TORCH_RPATH");
	if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
		return;
	}
	let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") else {
		println!("cargo:warning=torch feature: torch-sys did not report the libtorch directory");
		return;
	};
	let lib = std::path::PathBuf::from(lib);
	let cuda = lib.join("libtorch_cuda.so").exists();
	let rpath = std::env::var("GONKA_TORCH_RPATH").unwrap_or_else(|_| lib.display().to_string());
	for kind in ["bins", "tests"] {
		println!("cargo:rustc-link-arg-{kind}=-L{}", lib.display());
		// Tests run on the build machine: they always find the libtorch they were linked with.
		let rpath = if kind == "tests" { lib.display().to_string() } else { rpath.clone() };
		println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{rpath}");
		if cuda {
			println!("cargo:rustc-link-arg-{kind}=-Wl,--no-as-needed");
			println!("cargo:rustc-link-arg-{kind}=-Wl,-u,{CUDA_SYMBOL}");
			println!("cargo:rustc-link-arg-{kind}=-ltorch_cuda");
			println!("cargo:rustc-link-arg-{kind}=-Wl,--as-needed");
		}
	}
}
