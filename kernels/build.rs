//! With the `torch` feature: make the crate's executables (examples, tests, benches) load
//! `libtorch_cuda.so`. torch-sys names `-ltorch_cuda`, but under rustc's `--as-needed` and with no
//! symbol of it referenced, the linker drops it, and libtorch then reports no CUDA device.
//! Naming it again after `-Wl,--no-as-needed` does not help: the linker has already read that
//! library and ignores the repeat (checked with mold and GNU ld). Forcing an undefined reference
//! to one of its symbols (`at::cuda::getCurrentCUDABlasHandle()`) does: the library that resolves
//! it is needed. The directory comes from torch-sys (`DEP_TCH_LIBTORCH_LIB`); a libtorch without
//! CUDA (no `libtorch_cuda.so`) links as before. Binaries of other crates (gonka-worker) need the
//! same lines in their own build script (`cargo:rustc-link-arg-bins`).

include!("torch_link.rs");

fn main() {
	println!("cargo:rerun-if-changed=build.rs");
	println!("cargo:rerun-if-changed=torch_link.rs");
	link_libtorch_cuda(&["examples", "tests", "benches"]);
}
