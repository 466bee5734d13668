//! Writes the golden vectors: `distance(config, seed, pk, nonce)` from the CPU reference.
//!
//!     cargo run --release -p gonka-kernels --example golden -- kernels/tests/golden/vectors.txt
//!
//! Regenerate only when the Sprint function changes on purpose (a protocol change): every
//! worker implementation is checked against this file.

use std::{fmt::Write as _, io::Write as _};

use gonka_kernels::{Backend, CpuBackend, ModelConfig};

/// The cases: (config, seed, host key, nonces).
pub fn cases() -> Vec<(&'static str, [u8; 32], [u8; 32], Vec<u64>)> {
	let counting: [u8; 32] = std::array::from_fn(|i| i as u8);
	let alice: [u8; 32] = hex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
	let mut tiny_nonces: Vec<u64> = (0..48).collect();
	tiny_nonces.extend([1 << 32, (1 << 32) + 1, u64::MAX - 1, u64::MAX]);
	vec![
		("tiny", counting, alice, tiny_nonces.clone()),
		("tiny", [0xab; 32], alice, tiny_nonces.clone()),
		("tiny", counting, [0x02; 32], tiny_nonces),
		("h100", counting, alice, vec![0, 1, 1 << 40]),
	]
}

fn hex(s: &str) -> [u8; 32] {
	let mut out = [0u8; 32];
	for (i, b) in out.iter_mut().enumerate() {
		*b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
	}
	out
}

fn to_hex(b: &[u8]) -> String {
	b.iter().fold(String::new(), |mut s, x| {
		let _ = write!(s, "{x:02x}");
		s
	})
}

fn main() {
	let path = std::env::args().nth(1).unwrap_or_else(|| {
		eprintln!("usage: golden <output file>");
		std::process::exit(2)
	});
	let mut out = String::from(
		"# gonka-kernels golden vectors (kernels/SPEC.md): distance from the CPU reference.\n\
		 # Regenerate: cargo run --release -p gonka-kernels --example golden -- <this file>\n\
		 # config seed pk nonce distance_f32_bits distance\n",
	);
	for (name, seed, pk, nonces) in cases() {
		let config = ModelConfig::named(name).expect("known config");
		let mut backend = CpuBackend::new(config).expect("valid config");
		let d = backend.distances(&seed, &pk, &nonces).expect("distances");
		for (n, d) in nonces.iter().zip(d) {
			let _ = writeln!(
				out,
				"{name} {} {} {n} {:08x} {d:.9}",
				to_hex(&seed),
				to_hex(&pk),
				d.to_bits()
			);
		}
		eprintln!("{name}: {} nonces", nonces.len());
	}
	std::fs::File::create(&path)
		.and_then(|mut f| f.write_all(out.as_bytes()))
		.unwrap_or_else(|e| panic!("writing {path}: {e}"));
}
