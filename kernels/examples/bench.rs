//! The Sprint benchmark: nonces/s, achieved GFLOP/s against the machine's own matrix-product peak
//! for the same shapes, and (for another backend) the distance differences to the CPU reference.
//!
//!     cargo run --release -p gonka-kernels --example bench -- --config h100 --seconds 30
//!     LIBTORCH_USE_PYTORCH=1 cargo run --release -p gonka-kernels --features torch --example bench -- \
//!         --backend torch --device cuda --config h100 --seconds 60 --compare 10000
//!
//! Flags: `--config tiny|h100`, `--backend cpu|torch`, `--device auto|cpu|cuda[:N]`,
//! `--precision bf16|f16|f32`, `--batch N`, `--threads N` (cpu), `--seconds S`,
//! `--compare N` (nonces compared with the CPU reference), `--peak-tflops X` (the device's dense
//! peak, for MFU), `--confirm MARGIN` (torch: confirm every candidate below `r_target + MARGIN`
//! in f32 on the same device, PROTOCOL §4.5 — compare its nonces/s with the run without).

use std::{
	ops::ControlFlow,
	time::{Duration, Instant},
};

use gonka_kernels::{sprint, Backend, Budget, CpuBackend, ModelConfig};
use ndarray::{linalg::general_mat_mul, Array2};
use rayon::prelude::*;

struct Args {
	config: ModelConfig,
	config_name: String,
	backend: String,
	device: String,
	precision: Option<String>,
	batch: Option<usize>,
	threads: usize,
	seconds: f64,
	compare: usize,
	peak_tflops: Option<f64>,
	confirm: Option<f32>,
}

fn parse() -> Args {
	let mut a = Args {
		config: ModelConfig::tiny(),
		config_name: "tiny".into(),
		backend: "cpu".into(),
		device: "auto".into(),
		precision: None,
		batch: None,
		threads: 0,
		seconds: 10.0,
		compare: 0,
		peak_tflops: None,
		confirm: None,
	};
	let args: Vec<String> = std::env::args().skip(1).collect();
	let mut i = 0;
	while i < args.len() {
		let v = args.get(i + 1).cloned().unwrap_or_default();
		match args[i].as_str() {
			"--config" => {
				a.config =
					ModelConfig::named(&v).unwrap_or_else(|| die(&format!("unknown config {v}")));
				a.config_name = v;
			},
			"--backend" => a.backend = v,
			"--device" => a.device = v,
			"--precision" => a.precision = Some(v),
			"--batch" => a.batch = Some(v.parse().unwrap_or_else(|_| die("--batch: a number"))),
			"--threads" => a.threads = v.parse().unwrap_or_else(|_| die("--threads: a number")),
			"--seconds" => a.seconds = v.parse().unwrap_or_else(|_| die("--seconds: a number")),
			"--compare" => a.compare = v.parse().unwrap_or_else(|_| die("--compare: a number")),
			"--confirm" => {
				a.confirm = Some(v.parse().unwrap_or_else(|_| die("--confirm: a margin")))
			},
			"--peak-tflops" => {
				a.peak_tflops = Some(v.parse().unwrap_or_else(|_| die("--peak-tflops: a number")))
			},
			other => die(&format!("unknown flag {other}")),
		}
		i += 2;
	}
	a
}

fn die(msg: &str) -> ! {
	eprintln!("bench: {msg}");
	std::process::exit(2)
}

fn backend(a: &Args) -> Box<dyn Backend> {
	match a.backend.as_str() {
		"cpu" => Box::new(
			CpuBackend::with_threads(a.config, a.threads).unwrap_or_else(|e| die(&e.to_string())),
		),
		#[cfg(feature = "torch")]
		"torch" => {
			use gonka_kernels::torch::{Precision, TorchBackend, TorchDevice};
			let dev =
				TorchDevice::parse(&a.device).unwrap_or_else(|| die("--device: auto|cpu|cuda[:N]"));
			let mut b = TorchBackend::new(a.config, dev).unwrap_or_else(|e| die(&e.to_string()));
			if let Some(p) = &a.precision {
				let p = Precision::parse(p).unwrap_or_else(|| die("--precision: bf16|f16|f32"));
				b = TorchBackend::with_precision(a.config, b.device(), p)
					.unwrap_or_else(|e| die(&e.to_string()));
			}
			if let Some(n) = a.batch {
				b.set_batch_size(n);
			}
			if let Some(margin) = a.confirm {
				let f32 = TorchBackend::with_precision(a.config, b.device(), Precision::F32)
					.unwrap_or_else(|e| die(&e.to_string()));
				return Box::new(
					gonka_kernels::Confirmed::new(b, f32, margin)
						.unwrap_or_else(|e| die(&e.to_string())),
				);
			}
			Box::new(b)
		},
		other => die(&format!("backend {other} (torch needs --features torch)")),
	}
}

/// The f32 matrix-product peak of this machine for the decoder's shapes, measured the way the
/// CPU backend runs them: one product per thread, all threads at once.
fn cpu_matmul_peak(config: &ModelConfig, rows: usize, threads: usize) -> f64 {
	let (d, f) = (config.dim as usize, config.ffn_dim as usize);
	let shapes = [(rows, d, 3 * d), (rows, d, d), (rows, d, 2 * f), (rows, f, d)];
	let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
	let threads = pool.current_num_threads();
	let mut flops = 0f64;
	let mut secs = 0f64;
	for (m, k, n) in shapes {
		let a = Array2::<f32>::from_elem((m, k), 0.5);
		let b = Array2::<f32>::from_elem((n, k), 0.25);
		// About 20 GFLOP per thread and shape, after one untimed warm-up product.
		let reps = ((2e10 / (2.0 * (m * k * n) as f64)) as usize).clamp(2, 100_000);
		let timed = pool.install(|| {
			(0..threads)
				.into_par_iter()
				.map(|_| {
					let mut c = Array2::<f32>::zeros((m, n));
					general_mat_mul(1.0, &a, &b.t(), 0.0, &mut c);
					let t = Instant::now();
					for _ in 0..reps {
						general_mat_mul(1.0, &a, &b.t(), 0.0, &mut c);
					}
					t.elapsed().as_secs_f64()
				})
				.reduce(|| 0.0, f64::max)
		});
		secs += timed;
		flops += (2 * m * k * n * reps * threads) as f64;
	}
	flops / secs / 1e9
}

fn main() {
	let a = parse();
	let mut b = backend(&a);
	let seed = [0x5e; 32];
	let pk = [0x9c; 32];
	println!(
		"config {} ({:.2} GFLOP/nonce, {} parameters), backend {}",
		a.config_name,
		a.config.flops_per_nonce() as f64 / 1e9,
		a.config.parameters(),
		b.describe()
	);
	let t = Instant::now();
	b.prepare(&seed).unwrap_or_else(|e| die(&e.to_string()));
	println!("model build (pool + weights): {:.2} s", t.elapsed().as_secs_f64());
	// Warm-up batch.
	let n = b.batch_size() as u64;
	b.distances(&seed, &pk, &(0..n).collect::<Vec<_>>()).unwrap_or_else(|e| die(&e.to_string()));
	let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
	let out = sprint(&mut b, &seed, &pk, Budget::Until { start: n, deadline }, |_, _| {
		ControlFlow::Continue(())
	})
	.unwrap_or_else(|e| die(&e.to_string()));
	let secs = out.elapsed.as_secs_f64();
	let rate = out.nonces_done as f64 / secs;
	let gflops = rate * a.config.flops_per_nonce() as f64 / 1e9;
	println!("search: {} nonces in {secs:.2} s = {rate:.2} nonces/s, {} hits; {gflops:.1} GFLOP/s achieved (model FLOPs)",
		out.nonces_done, out.hits.len());
	if a.backend == "cpu" {
		let threads = if a.threads == 0 {
			std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
		} else {
			a.threads
		};
		let rows = (512 / a.config.seq_len as usize).max(1) * a.config.seq_len as usize;
		let peak = cpu_matmul_peak(&a.config, rows, threads);
		println!("f32 matmul peak of this machine, same shapes ({rows} rows), {threads} threads: {peak:.1} GFLOP/s; \
			decoder at {:.0} % of it", 100.0 * gflops / peak);
	}
	if let Some(p) = a.peak_tflops {
		println!("MFU against {p} TFLOP/s: {:.1} %", 100.0 * gflops / 1e3 / p);
	}
	if a.compare > 0 {
		let nonces: Vec<u64> = (0..a.compare as u64).collect();
		let mut reference = CpuBackend::new(a.config).unwrap();
		let mut diffs = Vec::with_capacity(nonces.len());
		for chunk in nonces.chunks(b.batch_size().max(1)) {
			let x = b.distances(&seed, &pk, chunk).unwrap();
			let r = reference.distances(&seed, &pk, chunk).unwrap();
			diffs.extend(x.iter().zip(&r).map(|(x, r)| (x - r).abs()));
		}
		diffs.sort_by(f32::total_cmp);
		let q = |f: f64| diffs[((diffs.len() - 1) as f64 * f) as usize];
		println!(
			"|distance − reference| over {} nonces: p50 {:.2e}, p99 {:.2e}, max {:.2e}",
			diffs.len(),
			q(0.5),
			q(0.99),
			diffs[diffs.len() - 1]
		);
	}
}
