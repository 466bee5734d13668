//! `gonka-worker bench`: the Sprint's speed on this machine, as the worker runs it — nonces/s,
//! model GFLOP/s and, given the device's dense peak, model-FLOP utilisation (MFU), plus the hits
//! found against the closed-form expectation.

use std::{
	ops::ControlFlow,
	time::{Duration, Instant},
};

use gonka_kernels::{hit_probability, sprint, Backend, Budget, CpuBackend, ModelConfig};

use crate::worker::BackendKind;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
	/// The model config: `tiny` or `h100`.
	#[arg(long, default_value = "tiny")]
	pub model: String,
	/// The backend.
	#[arg(long, value_enum, default_value = "cpu")]
	pub backend: BackendKind,
	/// The device (`cpu`; `auto`, `cuda`, `cuda:N` for torch).
	#[arg(long, default_value = "cpu")]
	pub device: String,
	/// Threads of the cpu backend (0: one per core).
	#[arg(long, default_value_t = 0)]
	pub threads: usize,
	/// How long to search after the model is built, in seconds.
	#[arg(long, default_value_t = 10.0)]
	pub seconds: f64,
	/// The device's dense peak in TFLOP/s (for MFU), e.g. 989 for an H100 SXM in bf16.
	#[arg(long)]
	pub peak_tflops: Option<f64>,
}

/// What a bench measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
	pub describe: String,
	pub model_build: Duration,
	pub nonces: u64,
	pub hits: u64,
	pub elapsed: Duration,
	pub nonces_per_sec: f64,
	pub gflops: f64,
	pub mfu: Option<f64>,
	pub expected_hits: f64,
}

fn backend(args: &BenchArgs, model: ModelConfig) -> Result<Box<dyn Backend>, String> {
	match args.backend {
		BackendKind::Cpu => {
			Ok(Box::new(CpuBackend::with_threads(model, args.threads).map_err(|e| e.to_string())?))
		},
		#[cfg(feature = "torch")]
		BackendKind::Torch => {
			let d = gonka_kernels::torch::TorchDevice::parse(&args.device)
				.ok_or_else(|| format!("`{}` is not a torch device", args.device))?;
			Ok(Box::new(gonka_kernels::TorchBackend::new(model, d).map_err(|e| e.to_string())?))
		},
		#[cfg(not(feature = "torch"))]
		BackendKind::Torch => {
			Err("built without the torch backend: rebuild with --features torch".into())
		},
	}
}

/// Runs the bench.
pub fn measure(args: &BenchArgs) -> Result<BenchReport, String> {
	let model = ModelConfig::named(&args.model)
		.ok_or_else(|| format!("unknown model `{}` (tiny, h100)", args.model))?;
	let mut backend = backend(args, model)?;
	let seed = gonka_kernels::hash::blake2_256(&[b"gonka-worker bench"]);
	let pk = [7u8; 32];
	let t0 = Instant::now();
	backend.prepare(&seed).map_err(|e| e.to_string())?;
	let model_build = t0.elapsed();
	let deadline = Instant::now() + Duration::from_secs_f64(args.seconds.max(0.1));
	let outcome = sprint(&mut backend, &seed, &pk, Budget::Until { start: 0, deadline }, |_, _| {
		ControlFlow::Continue(())
	})
	.map_err(|e| e.to_string())?;
	// The outcome's elapsed includes `prepare`, already done: measure the search alone.
	let elapsed = outcome.elapsed;
	let nonces_per_sec = outcome.nonces_done as f64 / elapsed.as_secs_f64().max(1e-9);
	let gflops = nonces_per_sec * model.flops_per_nonce() as f64 / 1e9;
	Ok(BenchReport {
		describe: backend.describe(),
		model_build,
		nonces: outcome.nonces_done,
		hits: outcome.hits.len() as u64,
		elapsed,
		nonces_per_sec,
		gflops,
		mfu: args.peak_tflops.map(|p| gflops / (p * 1e3)),
		expected_hits: outcome.nonces_done as f64
			* hit_probability(model.out_dim, model.r_target() as f64).map_err(|e| e.to_string())?,
	})
}

pub fn run(args: BenchArgs) -> Result<(), String> {
	let r = measure(&args)?;
	println!(
		"model      {} ({} MFLOP per nonce)",
		args.model,
		ModelConfig::named(&args.model).map_or(0, |m| m.flops_per_nonce() / 1_000_000)
	);
	println!("backend    {}", r.describe);
	println!("model build {:.3} s", r.model_build.as_secs_f64());
	println!("nonces     {} in {:.2} s", r.nonces, r.elapsed.as_secs_f64());
	println!("nonces/s   {:.1}", r.nonces_per_sec);
	println!("GFLOP/s    {:.2}", r.gflops);
	match r.mfu {
		Some(mfu) => println!("MFU        {:.2} %", mfu * 100.0),
		None => println!("MFU        (pass --peak-tflops for the device's dense peak)"),
	}
	println!(
		"hits       {} ({:.1} expected if the outputs were uniform on the sphere)",
		r.hits, r.expected_hits
	);
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bench_measures_a_short_run() {
		let args = BenchArgs {
			model: "tiny".into(),
			backend: BackendKind::Cpu,
			device: "cpu".into(),
			threads: 1,
			seconds: 0.2,
			peak_tflops: Some(1.0),
		};
		let r = measure(&args).unwrap();
		assert!(r.nonces > 0 && r.hits <= r.nonces);
		assert!(r.nonces_per_sec > 0.0);
		let flops = ModelConfig::tiny().flops_per_nonce() as f64;
		assert!((r.gflops - r.nonces_per_sec * flops / 1e9).abs() < 1e-9);
		assert!((r.mfu.unwrap() - r.gflops / 1e3).abs() < 1e-12);
		let bad = BenchArgs { model: "huge".into(), ..args };
		assert!(measure(&bad).unwrap_err().contains("unknown model"));
	}
}
