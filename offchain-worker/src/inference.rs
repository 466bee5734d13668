//! Inference commands on the engine of `gonka-llm` (PROTOCOL §10). `generate` is the one-shot
//! command: load a Hugging Face checkpoint directory, format the prompt with its chat template,
//! generate, and stream the text to stdout.

use std::{io::Write, path::PathBuf, time::Instant};

use gonka_llm::{
	generate::{step_all, Request, Sequence},
	sampling::SamplingParams,
	tokenizer::message,
	Backend, Model,
};

/// `gonka-worker generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
	/// The checkpoint directory (config.json, *.safetensors, tokenizer.json, chat template), as
	/// published on the Hugging Face Hub. Nothing is downloaded.
	#[arg(long, env = "GONKA_WORKER_MODEL")]
	pub model: PathBuf,
	/// The user message (formatted with the model's chat template unless --raw).
	#[arg(long)]
	pub prompt: String,
	/// A system message before the prompt.
	#[arg(long)]
	pub system: Option<String>,
	/// Tokenize the prompt as it is, without the chat template (a completion, not a chat).
	#[arg(long)]
	pub raw: bool,
	/// The most tokens to generate.
	#[arg(long, default_value_t = 128)]
	pub max_tokens: usize,
	/// 0 is greedy. Default: generation_config.json's, else 1.
	#[arg(long)]
	pub temperature: Option<f32>,
	/// Nucleus sampling, in (0, 1]. Default: generation_config.json's, else 1.
	#[arg(long)]
	pub top_p: Option<f32>,
	/// Top-k sampling (0: off). Default: generation_config.json's, else 0.
	#[arg(long)]
	pub top_k: Option<usize>,
	/// The sampler's seed (with the request id, it fixes every sampled token).
	#[arg(long, default_value_t = 0)]
	pub seed: u64,
	/// Print each token with its log-probability and this many alternatives (to stderr).
	#[arg(long, default_value_t = 0)]
	pub logprobs: usize,
}

/// Runs `generate`.
pub fn generate(args: GenerateArgs) -> Result<(), String> {
	let started = Instant::now();
	let model =
		Model::open(&args.model).map_err(|e| format!("--model {}: {e}", args.model.display()))?;
	let mut backend =
		model.load_cpu().map_err(|e| format!("--model {}: {e}", args.model.display()))?;
	let loaded = started.elapsed();
	let prompt = if args.raw {
		model.tokenizer.encode(&args.prompt, true)
	} else {
		let mut messages = Vec::new();
		if let Some(system) = &args.system {
			messages.push(message("system", system));
		}
		messages.push(message("user", &args.prompt));
		model.tokenizer.encode_chat(&messages, true, &Default::default())
	}
	.map_err(|e| format!("--prompt: {e}"))?;
	let defaults = model.generation.sampling.unwrap_or_default();
	let params = SamplingParams {
		temperature: args.temperature.unwrap_or(defaults.temperature),
		top_p: args.top_p.unwrap_or(defaults.top_p),
		top_k: args.top_k.unwrap_or(defaults.top_k),
	};
	let request = Request {
		prompt: prompt.clone(),
		max_tokens: args.max_tokens,
		params,
		seed: args.seed,
		request_id: [0; 32],
		stop_ids: model.stop_ids.clone(),
		top_logprobs: args.logprobs,
	};
	let mut seq =
		Sequence::new(1, request, model.config.vocab_size, model.config.max_position_embeddings)
			.map_err(|e| e.to_string())?;
	let mut out = std::io::stdout().lock();
	let mut text = crate::api::Decoder::new(Vec::new());
	let gen_start = Instant::now();
	let mut first_token = None;
	loop {
		let advanced = step_all(&mut backend, &mut [&mut seq]).map_err(|e| e.to_string())?;
		if advanced == 0 {
			break;
		}
		first_token.get_or_insert_with(|| gen_start.elapsed());
		if args.logprobs > 0 {
			let t = seq.tokens.last().expect("a token per step");
			let piece = |id: u32| model.tokenizer.decode(&[id], false).unwrap_or_default();
			let alts: Vec<String> =
				t.top.iter().map(|(id, lp)| format!("{:?} {lp:.4}", piece(*id))).collect();
			eprintln!("{:>5} {:?} {:.4}  [{}]", t.id, piece(t.id), t.logprob, alts.join(", "));
		}
		// Print what the completion's text gained (an incomplete character waits for the next).
		let (delta, _) = text.push(&model, seq.tokens.last().expect("a token per step").id);
		let _ = out.write_all(delta.as_bytes());
		let _ = out.flush();
	}
	let _ = writeln!(out, "{}", text.flush());
	let elapsed = gen_start.elapsed();
	let n = seq.tokens.len();
	eprintln!(
		"{}: {} prompt tokens, {n} completion tokens, finish_reason {}; loaded in {:.2} s, first token after {:.3} s, {:.1} tokens/s ({})",
		model.name,
		prompt.len(),
		seq.finished.map_or("none", |f| f.as_str()),
		loaded.as_secs_f64(),
		first_token.unwrap_or_default().as_secs_f64(),
		n as f64 / elapsed.as_secs_f64().max(1e-9),
		backend.name(),
	);
	Ok(())
}

/// `gonka-worker serve`: the OpenAI-compatible API alone, with no chain.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
	/// The checkpoint directory (config.json, *.safetensors, tokenizer.json, chat template); its
	/// directory name is the model's name in requests.
	#[arg(long, env = "GONKA_WORKER_MODEL")]
	pub model: PathBuf,
	/// Where the API listens (`/v1/chat/completions`, `/v1/completions`, `/v1/models`).
	#[arg(long, env = "GONKA_WORKER_API_LISTEN", default_value = "127.0.0.1:8000")]
	pub listen: std::net::SocketAddr,
	#[command(flatten)]
	pub api: ApiArgs,
}

/// The inference API's settings (`serve`, and `run --model`).
#[derive(clap::Args, Debug, Clone)]
pub struct ApiArgs {
	/// A file of API keys, one per line; requests must send one as `Authorization: Bearer KEY`.
	/// Without it the API is open (for a local try: keep it on localhost).
	#[arg(long, env = "GONKA_WORKER_API_KEYS")]
	pub api_keys: Option<PathBuf>,
	/// Requests generated together (continuous batching).
	#[arg(long, env = "GONKA_WORKER_MAX_BATCH", default_value_t = 32)]
	pub max_batch: usize,
	/// Requests that may wait for a batch slot; more are refused with 429.
	#[arg(long, env = "GONKA_WORKER_MAX_QUEUE", default_value_t = 256)]
	pub max_queue: usize,
	/// The largest request body, in bytes (more: 413).
	#[arg(long, env = "GONKA_WORKER_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
	pub max_request_bytes: usize,
	/// Test only: pause this long after every generation step.
	#[arg(long, hide = true, default_value_t = 0)]
	pub test_step_delay_ms: u64,
}

impl ApiArgs {
	/// Checks the settings and loads the model onto its backend: everything that can fail before
	/// the first request.
	pub fn prepare(
		&self,
		model_dir: &std::path::Path,
	) -> Result<std::sync::Arc<crate::api::ApiState>, String> {
		if self.max_batch == 0 || self.max_batch > 1024 {
			return Err(format!("--max-batch {} is out of range: 1 to 1024", self.max_batch));
		}
		if self.max_queue > 1 << 20 {
			return Err(format!("--max-queue {} is out of range: 0 to 1048576", self.max_queue));
		}
		if self.max_request_bytes < 1024 || self.max_request_bytes > 1 << 30 {
			return Err(format!(
				"--max-request-bytes {} is out of range: 1 KiB to 1 GiB",
				self.max_request_bytes
			));
		}
		let keys = self.api_keys.as_deref().map(crate::api::ApiKeys::from_file).transpose()?;
		let model =
			Model::open(model_dir).map_err(|e| format!("--model {}: {e}", model_dir.display()))?;
		let backend =
			model.load_cpu().map_err(|e| format!("--model {}: {e}", model_dir.display()))?;
		let scheduler = gonka_llm::Scheduler::spawn(
			Box::new(backend),
			gonka_llm::SchedulerConfig {
				max_batch: self.max_batch,
				max_queue: self.max_queue,
				step_delay: std::time::Duration::from_millis(self.test_step_delay_ms),
			},
		);
		tracing::info!(
			target: "gonka::api",
			"model {} ({}, {} layers, context {} tokens) on {}; {}",
			model.name,
			model.config.architecture.class_name(),
			model.config.num_layers,
			model.config.max_position_embeddings,
			scheduler.backend_name(),
			match &keys {
				Some(k) => format!("{} API key(s)", k.len()),
				None => "no --api-keys: the API is open to anyone who can reach it".into(),
			}
		);
		Ok(std::sync::Arc::new(crate::api::ApiState::new(
			std::sync::Arc::new(model),
			std::sync::Arc::new(scheduler),
			keys,
			self.max_request_bytes,
		)))
	}
}

/// Runs `serve` until Ctrl-C or SIGTERM.
pub fn serve(args: ServeArgs) -> Result<(), String> {
	let state = args.api.prepare(&args.model)?;
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.enable_all()
		.build()
		.map_err(|e| format!("cannot start the async runtime: {e}"))?;
	runtime.block_on(async move {
		let listener = crate::api::bind(args.listen).await?;
		let addr = listener.local_addr().map_err(|e| e.to_string())?;
		tracing::info!(target: "gonka::api", "serving the OpenAI-compatible API on http://{addr}/v1");
		crate::api::serve(listener, state, crate::api::default_limits(), crate::shutdown_signal())
			.await
			.map_err(|e| format!("inference API: {e}"))
	})
}
