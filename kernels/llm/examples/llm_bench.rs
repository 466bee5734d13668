//! Inference benchmark of a backend of gonka-llm on one checkpoint directory, printed as one JSON
//! object per line (scripts/bench-llm runs it beside transformers on the same checkpoint and
//! prints the two side by side):
//!
//! * `prefill`: tokens/s of one prompt of `--prompt-len` tokens, and the time to first token
//!   (prefill plus the first sampled token);
//! * `decode` at batch 1 and at each `--concurrency`: completion tokens/s over `--new-tokens`
//!   steps of every sequence together (continuous batching's steady state), prompts prefilled
//!   together first;
//! * `memory`: the weights' bytes and the process's peak resident set.
//!
//! ```sh
//! cargo run --profile testnet -p gonka-llm --features torch --example llm_bench -- \
//!     --model DIR --backend torch --device cpu --precision f32
//! ```

use std::{path::PathBuf, time::Instant};

use rayon::prelude::*;

use gonka_llm::{
	backend::Backend,
	generate::{step_all, Request, Sequence},
	sampling::SamplingParams,
	Model,
};

struct Args {
	model: PathBuf,
	backend: String,
	device: String,
	precision: Option<String>,
	prompt_len: usize,
	new_tokens: usize,
	concurrency: Vec<usize>,
	batch_prompt_len: usize,
}

fn parse() -> Result<Args, String> {
	let mut a = Args {
		model: PathBuf::new(),
		backend: "torch".into(),
		device: "auto".into(),
		precision: None,
		prompt_len: 512,
		new_tokens: 32,
		concurrency: vec![8, 32],
		batch_prompt_len: 128,
	};
	let mut it = std::env::args().skip(1);
	while let Some(flag) = it.next() {
		let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
		let num = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
		match flag.as_str() {
			"--model" => a.model = value()?.into(),
			"--backend" => a.backend = value()?,
			"--device" => a.device = value()?,
			"--precision" => a.precision = Some(value()?),
			"--prompt-len" => a.prompt_len = num(value()?)?,
			"--new-tokens" => a.new_tokens = num(value()?)?,
			"--batch-prompt-len" => a.batch_prompt_len = num(value()?)?,
			"--concurrency" => {
				a.concurrency =
					value()?.split(',').map(|v| num(v.to_string())).collect::<Result<_, _>>()?
			},
			other => return Err(format!("unknown flag {other}")),
		}
	}
	if a.model.as_os_str().is_empty() {
		return Err("--model DIR is required".into());
	}
	Ok(a)
}

fn load(args: &Args, model: &Model) -> Result<(Box<dyn Backend>, usize), String> {
	match args.backend.as_str() {
		"cpu" | "reference" => {
			let m = model.load_cpu().map_err(|e| e.to_string())?;
			let c = &model.config;
			let params = c.vocab_size * c.hidden_size * if c.tie_word_embeddings { 1 } else { 2 }
				+ c.num_layers
					* (c.hidden_size * (c.num_heads + 2 * c.num_kv_heads) * c.head_dim
						+ c.num_heads * c.head_dim * c.hidden_size
						+ 3 * c.hidden_size * c.intermediate_size);
			Ok((Box::new(m), params * 4))
		},
		#[cfg(feature = "torch")]
		"torch" => {
			use gonka_llm::torch::{Precision, TorchDevice};
			let device = TorchDevice::parse(&args.device).ok_or("--device: auto, cpu, cuda:N")?;
			let precision = match &args.precision {
				Some(p) => Some(Precision::parse(p).ok_or("--precision: bf16, f16, f32")?),
				None => None,
			};
			let m = model.load_torch(device, precision).map_err(|e| e.to_string())?;
			let bytes = m.weight_bytes();
			Ok((Box::new(m), bytes))
		},
		other => Err(format!(
			"--backend {other}: this build has `cpu`{}",
			if cfg!(feature = "torch") {
				" and `torch`"
			} else {
				" only (build with --features torch)"
			}
		)),
	}
}

/// Peak resident set of this process, in bytes (Linux).
fn peak_rss() -> u64 {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|s| {
			s.lines()
				.find(|l| l.starts_with("VmHWM:"))
				.and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
		})
		.map_or(0, |kb| kb * 1024)
}

/// A deterministic prompt of `n` ids (no tokenizer needed: the weights are random anyway).
fn prompt(n: usize, salt: usize, vocab: usize) -> Vec<u32> {
	(0..n).map(|i| ((i * 7919 + salt * 104_729 + 13) % (vocab - 1)) as u32).collect()
}

fn request(prompt: Vec<u32>, max_tokens: usize) -> Request {
	Request {
		prompt,
		max_tokens,
		params: SamplingParams::GREEDY,
		seed: 0,
		request_id: [0; 32],
		// Every run generates exactly max_tokens: no stop id.
		stop_ids: Vec::new(),
		top_logprobs: 0,
	}
}

fn main() {
	let args = match parse() {
		Ok(a) => a,
		Err(e) => {
			eprintln!("llm_bench: {e}");
			std::process::exit(2);
		},
	};
	if let Err(e) = run(&args) {
		eprintln!("llm_bench: {e}");
		std::process::exit(1);
	}
}

fn run(args: &Args) -> Result<(), String> {
	let model = Model::open(&args.model).map_err(|e| e.to_string())?;
	let t = Instant::now();
	let (mut backend, weight_bytes) = load(args, &model)?;
	let load_s = t.elapsed().as_secs_f64();
	let name = backend.name();
	let vocab = model.config.vocab_size;
	let (ctx, limit) = (model.config.max_position_embeddings, args.prompt_len + args.new_tokens);
	if limit > ctx {
		return Err(format!("--prompt-len + --new-tokens = {limit} exceed the context of {ctx}"));
	}
	let emit = |v: serde_json::Value| println!("{v}");
	emit(serde_json::json!({"engine": "gonka", "backend": name, "load_s": load_s}));

	// Prefill and time to first token: warm up once, then the best of three.
	let mut best = f64::INFINITY;
	let mut ttft = f64::INFINITY;
	for round in 0..4 {
		let mut seq = Sequence::new(
			round as u64,
			request(prompt(args.prompt_len, round, vocab), 1),
			vocab,
			ctx,
		)
		.map_err(|e| e.to_string())?;
		let t = Instant::now();
		let step = seq.step().expect("a new sequence has a step");
		let logits = backend.forward(&[step]).map_err(|e| e.to_string())?;
		let prefill = t.elapsed().as_secs_f64();
		seq.advance(logits[0].last());
		let first = t.elapsed().as_secs_f64();
		backend.release(round as u64);
		if round > 0 {
			best = best.min(prefill);
			ttft = ttft.min(first);
		}
	}
	emit(serde_json::json!({
		"engine": "gonka", "backend": name, "bench": "prefill", "prompt_tokens": args.prompt_len,
		"seconds": best, "tokens_per_s": args.prompt_len as f64 / best, "ttft_s": ttft,
	}));

	// Decode: batch 1 with the long prompt, then each concurrency with shorter prompts.
	let mut batches = vec![(1usize, args.prompt_len)];
	batches.extend(args.concurrency.iter().map(|&b| (b, args.batch_prompt_len)));
	for (b, plen) in batches {
		let mut seqs: Vec<Sequence> = (0..b)
			.map(|i| {
				Sequence::new(
					1000 + i as u64,
					request(prompt(plen, i + 7, vocab), args.new_tokens + 1),
					vocab,
					ctx,
				)
				.map_err(|e| e.to_string())
			})
			.collect::<Result<_, _>>()?;
		let mut refs: Vec<&mut Sequence> = seqs.iter_mut().collect();
		let t = Instant::now();
		// The prefill of every prompt in one call, then one decode step per token.
		step_all(backend.as_mut(), &mut refs).map_err(|e| e.to_string())?;
		let prefilled = t.elapsed().as_secs_f64();
		let t = Instant::now();
		let mut steps = 0;
		// Forward passes and the host's sampling timed apart.
		let mut host = 0f64;
		loop {
			let live: Vec<usize> =
				(0..refs.len()).filter(|&i| refs[i].finished.is_none()).collect();
			if live.is_empty() {
				break;
			}
			let batch: Vec<_> = live.iter().filter_map(|&i| refs[i].step()).collect();
			let logits = backend.forward(&batch).map_err(|e| e.to_string())?;
			drop(batch);
			let h = Instant::now();
			// As step_all and the scheduler do: every sequence's sampling on its own core.
			let chosen: Vec<&mut &mut Sequence> =
				refs.iter_mut().filter(|s| s.finished.is_none()).collect();
			chosen.into_par_iter().zip(logits.par_iter()).for_each(|(s, l)| {
				s.advance(l.last());
			});
			host += h.elapsed().as_secs_f64();
			steps += 1;
		}
		let decode = t.elapsed().as_secs_f64();
		let generated: usize = seqs.iter().map(|s| s.tokens.len() - 1).sum();
		for s in &seqs {
			backend.release(s.id);
		}
		emit(serde_json::json!({
			"engine": "gonka", "backend": name, "bench": "decode", "batch": b,
			"prompt_tokens": plen, "new_tokens": args.new_tokens, "steps": steps,
			"prefill_s": prefilled, "seconds": decode, "host_sampling_s": host,
			"tokens_per_s": generated as f64 / decode,
		}));
	}
	emit(serde_json::json!({
		"engine": "gonka", "backend": name, "bench": "memory",
		"weight_bytes": weight_bytes, "peak_rss_bytes": peak_rss(),
	}));
	Ok(())
}
