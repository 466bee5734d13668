//! The engine against Hugging Face `transformers` on the committed fixtures (one tiny random-weight
//! checkpoint per architecture, kernels/llm/fixtures/make-fixtures): tokenizer and chat template
//! ids, greedy generation, top-5 log-probabilities, batching, teacher-forced scoring and the
//! deterministic sampler's check.

use std::path::{Path, PathBuf};

use gonka_llm::{
	backend::Backend,
	generate::{generate, score, step_all, FinishReason, Request, Sequence},
	sampling::{check, uniform, SampleFault, SamplingParams, Tolerance},
	CpuModel, LoadError, Message, Model,
};
use serde_json::Value;

const ARCHS: [&str; 3] = ["llama", "qwen2", "qwen3"];
/// CPU reference (f32) against transformers eager (f32): the bound.
const LOGPROB_TOLERANCE: f32 = 1e-4;

fn fixture(arch: &str) -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(arch)
}

fn reference(arch: &str) -> Value {
	serde_json::from_slice(&std::fs::read(fixture(arch).join("reference.json")).unwrap()).unwrap()
}

fn ids(v: &Value) -> Vec<u32> {
	v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

fn messages(v: &Value) -> Vec<Message> {
	v.as_array().unwrap().iter().map(|m| m.as_object().unwrap().clone()).collect()
}

fn greedy_request(model: &Model, prompt: Vec<u32>, max_tokens: usize) -> Request {
	Request {
		prompt,
		max_tokens,
		params: SamplingParams::GREEDY,
		seed: 0,
		request_id: [0; 32],
		stop_ids: model.stop_ids.clone(),
		top_logprobs: 5,
	}
}

fn load(arch: &str) -> (Model, CpuModel, Value) {
	let model = Model::open(&fixture(arch)).unwrap_or_else(|e| panic!("{arch}: {e}"));
	let cpu = model.load_cpu().unwrap_or_else(|e| panic!("{arch}: {e}"));
	(model, cpu, reference(arch))
}

#[test]
fn tokenizer_matches_transformers() {
	for arch in ARCHS {
		let (model, _, reference) = load(arch);
		for e in reference["encodings"].as_array().unwrap() {
			let text = e["text"].as_str().unwrap();
			assert_eq!(
				model.tokenizer.encode(text, true).unwrap(),
				ids(&e["ids"]),
				"{arch}: {text:?}"
			);
			assert_eq!(
				model.tokenizer.encode(text, false).unwrap(),
				ids(&e["ids_no_special"]),
				"{arch}: {text:?}"
			);
		}
		for chat in reference["chats"].as_array().unwrap() {
			let msgs = messages(&chat["messages"]);
			let text = model.tokenizer.render_chat(&msgs, true, &Default::default()).unwrap();
			assert_eq!(text, chat["prompt_text"].as_str().unwrap(), "{arch}: rendered template");
			let got = model.tokenizer.encode_chat(&msgs, true, &Default::default()).unwrap();
			assert_eq!(got, ids(&chat["prompt_ids"]), "{arch}: chat-templated ids");
		}
		// Decoding skips special tokens as transformers' decode(skip_special_tokens=True) does.
		let chat = &reference["chats"][0];
		assert_eq!(
			model.tokenizer.decode(&ids(&chat["greedy_ids"]), true).unwrap(),
			chat["greedy_text"].as_str().unwrap(),
			"{arch}: decoded completion"
		);
	}
}

#[test]
fn greedy_generation_and_logprobs_match_transformers() {
	for arch in ARCHS {
		let (model, mut cpu, reference) = load(arch);
		assert_eq!(model.stop_ids, ids(&reference["stop_ids"]), "{arch}: stop ids");
		let new_tokens = reference["new_tokens"].as_u64().unwrap() as usize;
		let mut worst = 0f32;
		for (i, chat) in reference["chats"].as_array().unwrap().iter().enumerate() {
			let mut seqs = vec![Sequence::new(
				i as u64,
				greedy_request(&model, ids(&chat["prompt_ids"]), new_tokens),
				model.config.vocab_size,
				model.config.max_position_embeddings,
			)
			.unwrap()];
			generate(&mut cpu, &mut seqs).unwrap();
			let seq = &seqs[0];
			let want = ids(&chat["greedy_ids"]);
			assert_eq!(seq.completion_ids(), want, "{arch} chat {i}: greedy tokens");
			let ended_on_stop = want.last().is_some_and(|t| model.stop_ids.contains(t));
			let reason = if ended_on_stop { FinishReason::Stop } else { FinishReason::Length };
			assert_eq!(seq.finished, Some(reason), "{arch} chat {i}");
			for (pos, (token, top)) in
				seq.tokens.iter().zip(chat["top5"].as_array().unwrap()).enumerate()
			{
				let top = top.as_array().unwrap();
				assert_eq!(token.top.len(), 5);
				for ((id, lp), r) in token.top.iter().zip(top) {
					assert_eq!(
						*id as u64,
						r[0].as_u64().unwrap(),
						"{arch} chat {i} position {pos}: top-5 ids"
					);
					let d = (lp - r[1].as_f64().unwrap() as f32).abs();
					worst = worst.max(d);
					assert!(
						d <= LOGPROB_TOLERANCE,
						"{arch} chat {i} position {pos}: logprob off by {d}"
					);
				}
				assert_eq!(token.logprob, token.top[0].1, "greedy picks the top token");
			}
		}
		println!("{arch}: largest top-5 log-probability difference from transformers: {worst:.2e}");
		assert_eq!(cpu.len(0), None, "finished sequences free their cache");
	}
}

#[test]
fn batch_of_eight_equals_batch_of_one() {
	for arch in ARCHS {
		let (model, mut cpu, reference) = load(arch);
		let chats = reference["chats"].as_array().unwrap();
		// Eight requests of different lengths and budgets; a new one joins while others decode.
		let make = |i: usize| {
			let prompt = ids(&chats[i % chats.len()]["prompt_ids"]);
			let prompt = prompt[..prompt.len() - (i / chats.len())].to_vec();
			Sequence::new(
				i as u64,
				greedy_request(&model, prompt, 4 + i),
				model.config.vocab_size,
				model.config.max_position_embeddings,
			)
			.unwrap()
		};
		let alone: Vec<Sequence> = (0..8)
			.map(|i| {
				let mut one = vec![make(i)];
				generate(&mut cpu, &mut one).unwrap();
				one.remove(0)
			})
			.collect();
		let mut batch: Vec<Sequence> = (0..7).map(make).collect();
		let mut late = make(7);
		let mut refs: Vec<&mut Sequence> = batch.iter_mut().collect();
		step_all(&mut cpu, &mut refs).unwrap();
		step_all(&mut cpu, &mut refs).unwrap();
		refs.push(&mut late);
		while step_all(&mut cpu, &mut refs).unwrap() > 0 {}
		batch.push(late);
		for (a, b) in alone.iter().zip(&batch) {
			assert_eq!(a.completion_ids(), b.completion_ids(), "{arch} request {}: tokens", a.id);
			assert_eq!(a.tokens, b.tokens, "{arch} request {}: log-probabilities", a.id);
		}
		for s in &batch {
			assert_eq!(cpu.len(s.id), None);
		}
	}
}

#[test]
fn teacher_forced_scoring_equals_generation() {
	for arch in ARCHS {
		let (model, mut cpu, reference) = load(arch);
		let chat = &reference["chats"][1];
		let prompt = ids(&chat["prompt_ids"]);
		let mut seqs = vec![Sequence::new(
			1,
			Request {
				params: SamplingParams { temperature: 0.9, top_p: 0.95, top_k: 40 },
				seed: 42,
				request_id: [9; 32],
				..greedy_request(&model, prompt.clone(), 10)
			},
			model.config.vocab_size,
			model.config.max_position_embeddings,
		)
		.unwrap()];
		generate(&mut cpu, &mut seqs).unwrap();
		let generated = &seqs[0].tokens;
		let scored = score(&mut cpu, 99, &prompt, &seqs[0].completion_ids(), 5).unwrap();
		assert_eq!(scored.len(), generated.len());
		for (pos, (g, s)) in generated.iter().zip(&scored).enumerate() {
			assert_eq!(g.id, s.id);
			assert!(
				(g.logprob - s.logprob).abs() <= 1e-5,
				"{arch} position {pos}: {} vs {}",
				g.logprob,
				s.logprob
			);
			assert_eq!(
				g.top.iter().map(|t| t.0).collect::<Vec<_>>(),
				s.top.iter().map(|t| t.0).collect::<Vec<_>>()
			);
		}
		assert_eq!(cpu.len(99), None, "scoring frees its sequence");
	}
}

#[test]
fn sampled_tokens_pass_the_validators_check_and_a_substitute_does_not() {
	for arch in ARCHS {
		let (model, mut cpu, reference) = load(arch);
		let prompt = ids(&reference["chats"][0]["prompt_ids"]);
		let params = SamplingParams { temperature: 0.8, top_p: 0.9, top_k: 20 };
		let run = |cpu: &mut CpuModel, seed: u64| {
			let mut seqs = vec![Sequence::new(
				5,
				Request {
					params,
					seed,
					request_id: [1; 32],
					stop_ids: vec![],
					..greedy_request(&model, prompt.clone(), 12)
				},
				model.config.vocab_size,
				model.config.max_position_embeddings,
			)
			.unwrap()];
			generate(cpu, &mut seqs).unwrap();
			seqs.remove(0).completion_ids()
		};
		let a = run(&mut cpu, 7);
		assert_eq!(a, run(&mut cpu, 7), "{arch}: the same seed gives the same completion");
		let others: Vec<Vec<u32>> = (8..12).map(|s| run(&mut cpu, s)).collect();
		assert!(others.iter().any(|o| *o != a), "{arch}: other seeds give other completions");

		// The validator: one forward pass over prompt + completion, then each token checked.
		let mut fed = prompt.clone();
		fed.extend_from_slice(&a[..a.len() - 1]);
		let logits = cpu
			.forward(&[gonka_llm::Step { seq: 77, tokens: &fed, all_logits: true }])
			.unwrap()
			.remove(0);
		cpu.release(77);
		let tol = Tolerance { mass: 1e-6, logit: 1e-5 };
		for (i, &t) in a.iter().enumerate() {
			let row = logits.row(prompt.len() - 1 + i);
			check(row, &params, uniform(7, &[1; 32], i as u64), t, tol)
				.unwrap_or_else(|f| panic!("{arch} position {i}: {f}"));
		}
		// An executor that swaps position 3 for the least likely token is caught.
		let row = logits.row(prompt.len() + 2);
		let worst = (0..row.len()).min_by(|&x, &y| row[x].total_cmp(&row[y])).unwrap() as u32;
		let verdict = check(row, &params, uniform(7, &[1; 32], 3), worst, tol);
		assert!(matches!(verdict, Err(SampleFault::NotAllowed { .. })), "{arch}: {verdict:?}");
		// And one that used another seed, at some position.
		let b = run(&mut cpu, 8);
		let faults = b
			.iter()
			.enumerate()
			.take_while(|(i, _)| a[..*i] == b[..*i])
			.filter(|&(i, &t)| {
				check(
					logits.row(prompt.len() - 1 + i),
					&params,
					uniform(7, &[1; 32], i as u64),
					t,
					tol,
				)
				.is_err()
			})
			.count();
		assert!(
			a == b || faults > 0,
			"{arch}: a completion drawn with another seed passed the check"
		);
	}
}

#[test]
fn bad_directories_are_refused_with_the_reason() {
	let tmp = std::env::temp_dir().join(format!("gonka-llm-bad-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&tmp);
	std::fs::create_dir_all(&tmp).unwrap();
	let err = Model::open(&tmp).err().unwrap();
	assert!(
		matches!(err, LoadError::Io { .. }) && err.to_string().contains("config.json"),
		"{err}"
	);

	let copy = |name: &str| std::fs::copy(fixture("qwen2").join(name), tmp.join(name)).unwrap();
	for f in ["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"] {
		copy(f);
	}
	let model = Model::open(&tmp).unwrap();
	let err = model.load_cpu().err().unwrap();
	assert!(err.to_string().contains("no model.safetensors"), "{err}");

	// Weights of another architecture: Qwen3's tensors under Qwen2's config.
	for f in std::fs::read_dir(fixture("qwen3")).unwrap() {
		let name = f.unwrap().file_name().into_string().unwrap();
		if name.starts_with("model") {
			std::fs::copy(fixture("qwen3").join(&name), tmp.join(&name)).unwrap();
		}
	}
	let err = model.load_cpu().err().unwrap();
	assert!(matches!(err, LoadError::Tensor { .. }), "{err}");

	// A vocabulary smaller than the tokenizer's.
	let mut config: Value =
		serde_json::from_slice(&std::fs::read(tmp.join("config.json")).unwrap()).unwrap();
	config["vocab_size"] = 381.into();
	std::fs::write(tmp.join("config.json"), config.to_string()).unwrap();
	let err = Model::open(&tmp).err().unwrap();
	assert!(err.to_string().contains("vocab_size"), "{err}");
	std::fs::remove_dir_all(&tmp).unwrap();
}
