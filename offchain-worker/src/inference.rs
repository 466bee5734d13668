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

/// Which engine runs the model (`generate`, `serve`, `run --model`).
#[derive(clap::Args, Debug, Clone)]
pub struct EngineArgs {
	/// `reference`: the f32 CPU reference every validator can reproduce; `torch`: libtorch (a
	/// build with `--features torch`), in bf16 on CUDA. Default: `torch` when this binary has it,
	/// else `reference`.
	#[arg(long, env = "GONKA_WORKER_LLM_BACKEND", value_parser = ["reference", "torch"])]
	pub llm_backend: Option<String>,
	/// The torch backend's device: `auto` (CUDA device 0 when libtorch sees one, else the CPU),
	/// `cpu`, `cuda`, `cuda:N`.
	#[arg(long, env = "GONKA_WORKER_LLM_DEVICE", default_value = "auto")]
	pub llm_device: String,
	/// The torch backend's matmul precision: `bf16`, `f16` or `f32`. Default: bf16 on CUDA, f32
	/// on the CPU.
	#[arg(long, env = "GONKA_WORKER_LLM_PRECISION", value_parser = ["bf16", "f16", "f32"])]
	pub llm_precision: Option<String>,
}

impl EngineArgs {
	/// Loads the model's weights onto the chosen backend; a setting this binary cannot honour is
	/// an error that says what to do.
	pub fn load(&self, model: &Model) -> Result<Box<dyn Backend>, String> {
		let ctx = |e: gonka_llm::LoadError| format!("--model {}: {e}", model.dir.display());
		let default = if cfg!(feature = "torch") { "torch" } else { "reference" };
		match self.llm_backend.as_deref().unwrap_or(default) {
			"reference" => {
				if self.llm_precision.is_some() || self.llm_device != "auto" {
					return Err("--llm-device and --llm-precision apply to --llm-backend torch; the reference backend is f32 on the CPU".into());
				}
				Ok(Box::new(model.load_cpu().map_err(ctx)?))
			},
			_ => self.load_torch(model, ctx),
		}
	}

	#[cfg(feature = "torch")]
	fn load_torch(
		&self,
		model: &Model,
		ctx: impl Fn(gonka_llm::LoadError) -> String,
	) -> Result<Box<dyn Backend>, String> {
		use gonka_llm::torch::{Precision, TorchDevice};
		let device = TorchDevice::parse(&self.llm_device).ok_or_else(|| {
			format!("--llm-device {:?}: expected auto, cpu, cuda or cuda:N", self.llm_device)
		})?;
		let precision =
			self.llm_precision.as_deref().map(|p| Precision::parse(p).expect("clap checked"));
		Ok(Box::new(model.load_torch(device, precision).map_err(ctx)?))
	}

	#[cfg(not(feature = "torch"))]
	fn load_torch(
		&self,
		_model: &Model,
		_ctx: impl Fn(gonka_llm::LoadError) -> String,
	) -> Result<Box<dyn Backend>, String> {
		Err("--llm-backend torch: this gonka-worker was built without the `torch` feature; rebuild it with `cargo build -p gonka-worker --features torch` (libtorch 2.11.0, scripts/setup) or use --llm-backend reference".into())
	}
}

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
	#[command(flatten)]
	pub engine: EngineArgs,
}

/// Runs `generate`.
pub fn generate(args: GenerateArgs) -> Result<(), String> {
	let started = Instant::now();
	let model =
		Model::open(&args.model).map_err(|e| format!("--model {}: {e}", args.model.display()))?;
	let mut backend = args.engine.load(&model)?;
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
		let advanced = step_all(backend.as_mut(), &mut [&mut seq]).map_err(|e| e.to_string())?;
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
	let _ = writeln!(out, "{}", text.flush_with(&model));
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
	/// Where `/metrics` (Prometheus: requests, tokens, time to first token, queue) is served;
	/// keep it private.
	#[arg(long, env = "GONKA_WORKER_METRICS_LISTEN", default_value = "127.0.0.1:9616")]
	pub metrics_listen: std::net::SocketAddr,
	/// Serve no metrics.
	#[arg(long, env = "GONKA_WORKER_NO_METRICS")]
	pub no_metrics: bool,
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
	/// Tokens one engine step may feed: a longer prompt is prefilled over several steps, so
	/// streams already running keep their pace (chunked prefill).
	#[arg(long, env = "GONKA_WORKER_MAX_STEP_TOKENS", default_value_t = gonka_llm::scheduler::DEFAULT_MAX_STEP_TOKENS)]
	pub max_step_tokens: usize,
	/// The largest request body, in bytes (more: 413).
	#[arg(long, env = "GONKA_WORKER_MAX_REQUEST_BYTES", default_value_t = 1 << 20)]
	pub max_request_bytes: usize,
	/// Test only: pause this long after every generation step.
	#[arg(long, hide = true, default_value_t = 0)]
	pub test_step_delay_ms: u64,
	#[command(flatten)]
	pub engine: EngineArgs,
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
		if self.max_step_tokens == 0 || self.max_step_tokens > 1 << 16 {
			return Err(format!(
				"--max-step-tokens {} is out of range: 1 to 65536",
				self.max_step_tokens
			));
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
		let backend = self.engine.load(&model)?;
		let scheduler = gonka_llm::Scheduler::spawn(
			backend,
			gonka_llm::SchedulerConfig {
				max_batch: self.max_batch,
				max_queue: self.max_queue,
				max_step_tokens: self.max_step_tokens,
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
		if !args.no_metrics {
			let m = tokio::net::TcpListener::bind(args.metrics_listen).await.map_err(|e| {
				format!(
					"cannot listen on {} for metrics: {e} (pick --metrics-listen or --no-metrics)",
					args.metrics_listen
				)
			})?;
			let at = m.local_addr().map_err(|e| e.to_string())?;
			tracing::info!(target: "gonka::api", "metrics on http://{at}/metrics");
			let metrics = state.metrics.clone();
			tokio::spawn(async move {
				if let Err(e) =
					crate::api::serve_metrics(m, metrics, crate::shutdown_signal()).await
				{
					tracing::error!(target: "gonka::api", "metrics server: {e}");
				}
			});
		}
		tracing::info!(target: "gonka::api", "serving the OpenAI-compatible API on http://{addr}/v1");
		crate::api::serve(listener, state, crate::api::default_limits(), crate::shutdown_signal())
			.await
			.map_err(|e| format!("inference API: {e}"))
	})
}
