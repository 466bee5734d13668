//! The CPU reference reproduces the committed golden vectors within `ε` (SPEC §0: agreement
//! within `ε` is the contract; the golden bits are this reference's on the machine that wrote
//! them), and reports how many agree bit for bit.

use std::collections::BTreeMap;

use gonka_kernels::{validation::DEFAULT_TOLERANCE, Backend, CpuBackend, ModelConfig};

struct Case {
	seed: [u8; 32],
	pk: [u8; 32],
	nonce: u64,
	bits: u32,
}

fn hex32(s: &str) -> [u8; 32] {
	let v = hex::decode(s).expect("hex");
	v.try_into().expect("32 bytes")
}

fn load() -> BTreeMap<String, Vec<Case>> {
	let text = include_str!("golden/vectors.txt");
	let mut by_config: BTreeMap<String, Vec<Case>> = BTreeMap::new();
	for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
		let f: Vec<&str> = line.split_whitespace().collect();
		assert_eq!(f.len(), 6, "malformed line: {line}");
		by_config.entry(f[0].to_string()).or_default().push(Case {
			seed: hex32(f[1]),
			pk: hex32(f[2]),
			nonce: f[3].parse().expect("nonce"),
			bits: u32::from_str_radix(f[4], 16).expect("bits"),
		});
	}
	by_config
}

fn check(config_name: &str) {
	let all = load();
	let cases = &all[config_name];
	assert!(!cases.is_empty());
	let mut backend = CpuBackend::new(ModelConfig::named(config_name).unwrap()).unwrap();
	// One batch per (seed, pk), as a worker computes them.
	let mut groups: BTreeMap<([u8; 32], [u8; 32]), Vec<&Case>> = BTreeMap::new();
	for c in cases {
		groups.entry((c.seed, c.pk)).or_default().push(c);
	}
	let (mut wrong, mut exact, mut largest) = (Vec::new(), 0usize, 0f32);
	for ((seed, pk), cases) in groups {
		let nonces: Vec<u64> = cases.iter().map(|c| c.nonce).collect();
		let got = backend.distances(&seed, &pk, &nonces).unwrap();
		for (c, d) in cases.iter().zip(got) {
			let diff = (d - f32::from_bits(c.bits)).abs();
			exact += (d.to_bits() == c.bits) as usize;
			largest = largest.max(diff);
			if diff.is_nan() || diff >= DEFAULT_TOLERANCE {
				wrong.push(format!(
					"nonce {}: got {d:.9} ({:08x}), golden {:.9} ({:08x}), diff {:e}",
					c.nonce,
					d.to_bits(),
					f32::from_bits(c.bits),
					c.bits,
					d - f32::from_bits(c.bits)
				));
			}
		}
	}
	eprintln!(
		"{config_name}: {exact} of {} golden vectors bit for bit, largest difference {largest:e} \
		 (ε {DEFAULT_TOLERANCE:e})",
		cases.len()
	);
	assert!(
		wrong.is_empty(),
		"{} of {} {config_name} golden vectors differ by ε or more (a changed Sprint function, or \
		 a CPU that does not compute the reference within ε):\n{}",
		wrong.len(),
		cases.len(),
		wrong.join("\n")
	);
}

#[test]
fn tiny_golden_vectors() {
	check("tiny");
}

#[test]
fn h100_golden_vectors() {
	check("h100");
}
