//! The link lines of the Sprint kernels' build script (`kernels/build.rs` says why): with the
//! `torch` feature, this crate's examples, tests and benches load `libtorch_cuda.so`, so
//! libtorch sees the GPU.

include!("../torch_link.rs");

fn main() {
	println!("cargo:rerun-if-changed=build.rs");
	println!("cargo:rerun-if-changed=../torch_link.rs");
	link_libtorch_cuda(&["examples", "tests"]);
}
