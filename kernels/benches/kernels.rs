//! Criterion benchmarks of the kernels: `cargo bench -p gonka-kernels --features bench`
//! (add `torch` to the features for the libtorch backend). The figures the issue asks for —
//! nonces/s, GFLOP/s against the machine's matmul peak, MFU — come from the `bench` example,
//! which prints them in one table.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use gonka_kernels::{
	merkle::{verify, MerkleTree},
	Backend, CpuBackend, ModelConfig,
};

fn cpu_tiny(c: &mut Criterion) {
	let mut b = CpuBackend::new(ModelConfig::tiny()).unwrap();
	let batch = b.batch_size().max(64);
	let nonces: Vec<u64> = (0..batch as u64).collect();
	b.prepare(&[1; 32]).unwrap();
	let mut g = c.benchmark_group("cpu");
	g.throughput(Throughput::Elements(batch as u64));
	g.bench_function("tiny_batch", |bench| {
		bench.iter(|| b.distances(&[1; 32], &[2; 32], &nonces).unwrap())
	});
	g.finish();
}

fn cpu_h100(c: &mut Criterion) {
	let mut b = CpuBackend::new(ModelConfig::h100()).unwrap();
	let batch = b.batch_size();
	let nonces: Vec<u64> = (0..batch as u64).collect();
	b.prepare(&[1; 32]).unwrap();
	let mut g = c.benchmark_group("cpu");
	g.sample_size(10);
	g.throughput(Throughput::Elements(batch as u64));
	g.bench_function("h100_batch", |bench| {
		bench.iter(|| b.distances(&[1; 32], &[2; 32], &nonces).unwrap())
	});
	g.finish();
}

fn merkle(c: &mut Criterion) {
	let n = 1_000_000u64;
	let leaves: Vec<u64> = (0..n).map(|i| 3 * i).collect();
	let mut g = c.benchmark_group("merkle");
	g.sample_size(10);
	g.throughput(Throughput::Elements(n));
	g.bench_function("build_1m_leaves", |bench| {
		bench.iter_batched(
			|| leaves.clone(),
			|l| MerkleTree::new(l).unwrap(),
			BatchSize::LargeInput,
		)
	});
	let tree = MerkleTree::new(leaves).unwrap();
	let proofs: Vec<_> = (0..1000).map(|i| tree.proof(i * 997).unwrap()).collect();
	g.throughput(Throughput::Elements(proofs.len() as u64));
	g.sample_size(20);
	g.bench_function("verify_1000_proofs", |bench| {
		bench.iter(|| {
			for p in &proofs {
				verify(&tree.root(), n, p).unwrap();
			}
		})
	});
	g.finish();
}

criterion_group!(benches, cpu_tiny, cpu_h100, merkle);
criterion_main!(benches);
