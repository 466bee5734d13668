//! `gonka-worker generate`: the real binary on the engine's committed fixtures, whose greedy
//! completions transformers computed (kernels/llm/fixtures/*/reference.json).

use std::{path::PathBuf, process::Command};

fn fixture(arch: &str) -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kernels/llm/fixtures").join(arch)
}

fn generate(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_gonka-worker")).arg("generate").args(args).output().unwrap()
}

#[test]
fn greedy_completion_is_transformers_one() {
	for arch in ["llama", "qwen2", "qwen3"] {
		let reference: serde_json::Value =
			serde_json::from_slice(&std::fs::read(fixture(arch).join("reference.json")).unwrap())
				.unwrap();
		let chat = &reference["chats"][0];
		let prompt = chat["messages"][0]["content"].as_str().unwrap();
		let dir = fixture(arch);
		let out = generate(&[
			"--model",
			dir.to_str().unwrap(),
			"--prompt",
			prompt,
			"--temperature",
			"0",
			"--max-tokens",
			&reference["new_tokens"].to_string(),
		]);
		let stderr = String::from_utf8_lossy(&out.stderr);
		assert!(out.status.success(), "{arch}: {stderr}");
		let text = String::from_utf8(out.stdout).unwrap();
		assert_eq!(
			text.strip_suffix('\n').unwrap(),
			chat["greedy_text"].as_str().unwrap(),
			"{arch}"
		);
		let n = chat["greedy_ids"].as_array().unwrap().len();
		assert!(stderr.contains(&format!("{n} completion tokens")), "{arch}: {stderr}");
	}
}

#[test]
fn seeded_sampling_is_reproducible() {
	let dir = fixture("qwen2");
	let run = |seed: &str| {
		let out = generate(&[
			"--model",
			dir.to_str().unwrap(),
			"--prompt",
			"Hello",
			"--seed",
			seed,
			"--max-tokens",
			"16",
		]);
		assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
		out.stdout
	};
	assert_eq!(run("3"), run("3"));
	assert!((4..8).any(|s| run(&s.to_string()) != run("3")));
}

#[test]
fn a_directory_that_is_not_a_model_is_refused_with_the_reason() {
	let out = generate(&["--model", env!("CARGO_MANIFEST_DIR"), "--prompt", "hi"]);
	assert!(!out.status.success());
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("config.json"), "{stderr}");
	let dir = fixture("qwen2");
	let out = generate(&["--model", dir.to_str().unwrap(), "--prompt", "hi", "--temperature", "3"]);
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("temperature 3 is outside [0, 2]"));
}
