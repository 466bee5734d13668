//! OpenAI request bodies, read field by field so that a wrong type names its field (`param`),
//! unknown fields are ignored (clients send many), and what the engine cannot do is refused
//! rather than silently ignored (`n` > 1, penalties, `echo`, `suffix`).

use serde_json::{Map, Value};

use super::ApiError;
use gonka_llm::{generate::MAX_TOP_LOGPROBS, Message, SamplingParams};

/// The most stop strings a request may give (OpenAI's limit).
pub const MAX_STOP: usize = 4;

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
	Chat,
	Completion,
}

/// What either endpoint asks for.
#[derive(Clone, Debug)]
pub struct Parsed {
	pub kind: Kind,
	pub model: String,
	pub prompt: Prompt,
	/// `None`: up to the context length.
	pub max_tokens: Option<usize>,
	/// Each given parameter; the rest from generation_config.json.
	pub temperature: Option<f32>,
	pub top_p: Option<f32>,
	pub top_k: Option<usize>,
	pub seed: Option<u64>,
	pub stop: Vec<String>,
	pub stream: bool,
	pub include_usage: bool,
	/// Log-probabilities wanted, and how many alternatives per position.
	pub logprobs: Option<usize>,
	/// Extra template variables (`tools`, `chat_template_kwargs`).
	pub template_vars: Map<String, Value>,
}

/// The prompt of a request.
#[derive(Clone, Debug)]
pub enum Prompt {
	Messages(Vec<Message>),
	Text(String),
	Tokens(Vec<u32>),
}

struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
	fn get(&self, name: &str) -> Option<&'a Value> {
		self.0.get(name).filter(|v| !v.is_null())
	}

	fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
		self.get(name)
			.map(|v| {
				v.as_bool().ok_or_else(|| {
					ApiError::invalid(name, format!("`{name}` must be a boolean, not {v}"))
				})
			})
			.transpose()
	}

	fn number(&self, name: &str, lo: f64, hi: f64) -> Result<Option<f32>, ApiError> {
		self.get(name)
			.map(|v| {
				let x = v.as_f64().ok_or_else(|| {
					ApiError::invalid(name, format!("`{name}` must be a number, not {v}"))
				})?;
				if !(lo..=hi).contains(&x) {
					return Err(ApiError::invalid(
						name,
						format!("`{name}` is {x}; it must be between {lo} and {hi}"),
					));
				}
				Ok(x as f32)
			})
			.transpose()
	}

	fn integer(&self, name: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
		self.get(name)
			.map(|v| {
				let x = v.as_i64().ok_or_else(|| {
					ApiError::invalid(name, format!("`{name}` must be an integer, not {v}"))
				})?;
				if !(lo..=hi).contains(&x) {
					return Err(ApiError::invalid(
						name,
						format!("`{name}` is {x}; it must be between {lo} and {hi}"),
					));
				}
				Ok(x)
			})
			.transpose()
	}

	fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
		self.get(name)
			.map(|v| {
				v.as_str().ok_or_else(|| {
					ApiError::invalid(name, format!("`{name}` must be a string, not {v}"))
				})
			})
			.transpose()
	}
}

/// Parses a request body of `kind`. `context` bounds `max_tokens`.
pub fn parse(kind: Kind, body: &[u8], context: usize) -> Result<Parsed, ApiError> {
	let value: Value = serde_json::from_slice(body)
		.map_err(|e| ApiError::invalid_body(format!("the request body is not valid JSON: {e}")))?;
	let obj = value
		.as_object()
		.ok_or_else(|| ApiError::invalid_body("the request body must be a JSON object".into()))?;
	let f = Fields(obj);
	let model = f
		.string("model")?
		.ok_or_else(|| ApiError::invalid("model", "`model` is required".into()))?
		.to_string();

	if let Some(n) = f.integer("n", 1, i64::MAX)? {
		if n != 1 {
			return Err(ApiError::invalid(
				"n",
				format!("`n` is {n}; this server generates one choice per request (n = 1)"),
			));
		}
	}
	for penalty in ["presence_penalty", "frequency_penalty"] {
		if let Some(p) = f.number(penalty, -2.0, 2.0)? {
			if p != 0.0 {
				return Err(ApiError::invalid(
					penalty,
					format!("`{penalty}` {p} is not supported (it would make sampling unverifiable); leave it out or 0"),
				));
			}
		}
	}
	if f.get("logit_bias").and_then(Value::as_object).is_some_and(|m| !m.is_empty()) {
		return Err(ApiError::invalid("logit_bias", "`logit_bias` is not supported".into()));
	}

	let (prompt, logprobs, template_vars) = match kind {
		Kind::Chat => {
			let messages = parse_messages(f.get("messages"))?;
			let logprobs = if f.bool("logprobs")?.unwrap_or(false) {
				Some(f.integer("top_logprobs", 0, MAX_TOP_LOGPROBS as i64)?.unwrap_or(0) as usize)
			} else {
				if f.integer("top_logprobs", 0, MAX_TOP_LOGPROBS as i64)?.is_some_and(|k| k > 0) {
					return Err(ApiError::invalid(
						"top_logprobs",
						"`top_logprobs` needs `logprobs: true`".into(),
					));
				}
				None
			};
			let mut vars = Map::new();
			if let Some(tools) = f.get("tools") {
				if !tools.is_array() {
					return Err(ApiError::invalid("tools", "`tools` must be an array".into()));
				}
				// The template receives the function definitions, as transformers passes them.
				let defs: Vec<Value> = tools
					.as_array()
					.into_iter()
					.flatten()
					.map(|t| t.get("function").cloned().unwrap_or_else(|| t.clone()))
					.collect();
				vars.insert("tools".into(), Value::Array(defs));
			}
			if let Some(extra) = f.get("chat_template_kwargs") {
				let extra = extra.as_object().ok_or_else(|| {
					ApiError::invalid(
						"chat_template_kwargs",
						"`chat_template_kwargs` must be an object".into(),
					)
				})?;
				for (k, v) in extra {
					if ["messages", "add_generation_prompt"].contains(&k.as_str()) {
						return Err(ApiError::invalid(
							"chat_template_kwargs",
							format!("`{k}` cannot be overridden"),
						));
					}
					vars.insert(k.clone(), v.clone());
				}
			}
			(Prompt::Messages(messages), logprobs, vars)
		},
		Kind::Completion => {
			if f.bool("echo")?.unwrap_or(false) {
				return Err(ApiError::invalid("echo", "`echo` is not supported".into()));
			}
			if f.string("suffix")?.is_some_and(|s| !s.is_empty()) {
				return Err(ApiError::invalid("suffix", "`suffix` is not supported".into()));
			}
			let prompt = match f.get("prompt") {
				None => return Err(ApiError::invalid("prompt", "`prompt` is required".into())),
				Some(Value::String(s)) => Prompt::Text(s.clone()),
				Some(Value::Array(items)) => match items.as_slice() {
					[Value::String(s)] => Prompt::Text(s.clone()),
					[] => return Err(ApiError::invalid("prompt", "`prompt` is empty".into())),
					items if items.iter().all(|i| i.as_u64().is_some_and(|n| n <= u32::MAX as u64)) => {
						Prompt::Tokens(items.iter().map(|i| i.as_u64().unwrap_or_default() as u32).collect())
					},
					_ => {
						return Err(ApiError::invalid(
							"prompt",
							"`prompt` must be a string, one string in an array, or an array of token ids (one prompt per request)".into(),
						))
					},
				},
				Some(v) => return Err(ApiError::invalid("prompt", format!("`prompt` must be a string, not {v}"))),
			};
			let logprobs = f.integer("logprobs", 0, MAX_TOP_LOGPROBS as i64)?.map(|k| k as usize);
			(prompt, logprobs, Map::new())
		},
	};

	let max = |name: &str| f.integer(name, 1, i64::MAX);
	let mut max_tokens = max("max_tokens")?;
	if kind == Kind::Chat {
		if let Some(m) = max("max_completion_tokens")? {
			max_tokens = Some(m);
		}
	}
	if let Some(m) = max_tokens {
		if m as u64 > context as u64 {
			let param = if f.get("max_completion_tokens").is_some() {
				"max_completion_tokens"
			} else {
				"max_tokens"
			};
			return Err(ApiError::context(
				param,
				format!(
					"`{param}` is {m}, more than this model's context length of {context} tokens"
				),
			));
		}
	}
	let stop = match f.get("stop") {
		None => Vec::new(),
		Some(Value::String(s)) => vec![s.clone()],
		Some(Value::Array(items)) => items
			.iter()
			.map(|i| {
				i.as_str().map(str::to_string).ok_or_else(|| {
					ApiError::invalid("stop", format!("`stop` holds {i}, not a string"))
				})
			})
			.collect::<Result<_, _>>()?,
		Some(v) => {
			return Err(ApiError::invalid(
				"stop",
				format!("`stop` must be a string or an array of strings, not {v}"),
			))
		},
	};
	if stop.len() > MAX_STOP {
		return Err(ApiError::invalid(
			"stop",
			format!("`stop` has {} strings; at most {MAX_STOP}", stop.len()),
		));
	}
	if stop.iter().any(String::is_empty) {
		return Err(ApiError::invalid("stop", "`stop` strings must not be empty".into()));
	}
	let include_usage = match f.get("stream_options") {
		None => false,
		Some(Value::Object(o)) => Fields(o)
			.bool("include_usage")
			.map_err(|_| {
				ApiError::invalid(
					"stream_options.include_usage",
					"`stream_options.include_usage` must be a boolean".into(),
				)
			})?
			.unwrap_or(false),
		Some(v) => {
			return Err(ApiError::invalid(
				"stream_options",
				format!("`stream_options` must be an object, not {v}"),
			))
		},
	};
	Ok(Parsed {
		kind,
		model,
		prompt,
		max_tokens: max_tokens.map(|m| m as usize),
		temperature: f.number("temperature", 0.0, 2.0)?,
		top_p: f.number("top_p", 0.0, 1.0)?.map(|p| p.max(f32::MIN_POSITIVE)),
		top_k: f.integer("top_k", -1, i64::from(u32::MAX))?.map(|k| k.max(0) as usize),
		seed: f.integer("seed", i64::MIN, i64::MAX)?.map(|s| s as u64),
		stop,
		stream: f.bool("stream")?.unwrap_or(false),
		include_usage,
		logprobs,
		template_vars,
	})
}

fn parse_messages(v: Option<&Value>) -> Result<Vec<Message>, ApiError> {
	let items = match v {
		None => return Err(ApiError::invalid("messages", "`messages` is required".into())),
		Some(Value::Array(items)) => items,
		Some(v) => {
			return Err(ApiError::invalid(
				"messages",
				format!("`messages` must be an array, not {v}"),
			))
		},
	};
	if items.is_empty() {
		return Err(ApiError::invalid(
			"messages",
			"`messages` is empty; send at least one message".into(),
		));
	}
	items
		.iter()
		.enumerate()
		.map(|(i, m)| {
			let param = format!("messages[{i}]");
			let obj = m.as_object().ok_or_else(|| ApiError::invalid(&param, format!("`{param}` must be an object")))?;
			let role = obj.get("role").and_then(Value::as_str).ok_or_else(|| {
				ApiError::invalid(&format!("{param}.role"), format!("`{param}.role` is required (a string)"))
			})?;
			if !["system", "developer", "user", "assistant", "tool"].contains(&role) {
				return Err(ApiError::invalid(
					&format!("{param}.role"),
					format!("`{param}.role` is {role:?}; expected system, developer, user, assistant or tool"),
				));
			}
			let content = match obj.get("content") {
				None | Some(Value::Null) if role == "assistant" && obj.contains_key("tool_calls") => Value::Null,
				None | Some(Value::Null) => {
					return Err(ApiError::invalid(&format!("{param}.content"), format!("`{param}.content` is required")))
				},
				Some(Value::String(s)) => Value::String(s.clone()),
				// Content parts: the text ones, joined (images and audio are not served).
				Some(Value::Array(parts)) => {
					let mut text = String::new();
					for (j, part) in parts.iter().enumerate() {
						match (part.get("type").and_then(Value::as_str), part.get("text").and_then(Value::as_str)) {
							(Some("text"), Some(t)) => text.push_str(t),
							(kind, _) => {
								return Err(ApiError::invalid(
									&format!("{param}.content[{j}]"),
									format!("content part of type {:?} is not supported; only text parts are", kind.unwrap_or("?")),
								))
							},
						}
					}
					Value::String(text)
				},
				Some(v) => {
					return Err(ApiError::invalid(
						&format!("{param}.content"),
						format!("`{param}.content` must be a string or an array of text parts, not {v}"),
					))
				},
			};
			let mut out = obj.clone();
			// `developer` is OpenAI's new name for `system`; templates know `system`.
			out.insert("role".into(), Value::String(if role == "developer" { "system" } else { role }.into()));
			out.insert("content".into(), content);
			Ok(out)
		})
		.collect()
}

/// The request's sampling, with the model's defaults where it gave nothing.
pub fn sampling(p: &Parsed, defaults: Option<SamplingParams>) -> SamplingParams {
	let d = defaults.unwrap_or_default();
	SamplingParams {
		temperature: p.temperature.unwrap_or(d.temperature),
		top_p: p.top_p.unwrap_or(d.top_p),
		top_k: p.top_k.unwrap_or(d.top_k),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn chat(body: &str) -> Result<Parsed, ApiError> {
		parse(Kind::Chat, body.as_bytes(), 256)
	}

	#[test]
	fn a_plain_chat() {
		let p = chat(r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stop":"x","user":"ignored"}"#).unwrap();
		assert!(p.stream);
		assert_eq!(p.stop, vec!["x"]);
		assert!(matches!(p.prompt, Prompt::Messages(ref m) if m.len() == 1));
	}

	#[test]
	fn bad_fields_are_named() {
		let cases = [
			(r#"{"model":"m","messages":[]}"#, "messages"),
			(r#"{"model":"m"}"#, "messages"),
			(r#"{"messages":[{"role":"user","content":"x"}]}"#, "model"),
			(r#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role"),
			(r#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content"),
			(
				r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#,
				"messages[0].content[0]",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#,
				"temperature",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2.5}"#,
				"temperature",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
				"max_tokens",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":100000}"#,
				"max_tokens",
			),
			(r#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#, "n"),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}"#,
				"stop",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":21,"logprobs":true}"#,
				"top_logprobs",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"presence_penalty":1}"#,
				"presence_penalty",
			),
			(
				r#"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#,
				"stream",
			),
		];
		for (body, param) in cases {
			let e = chat(body).unwrap_err();
			assert_eq!(e.param.as_deref(), Some(param), "{body}: {}", e.message);
			assert_eq!(e.status.as_u16(), 400);
		}
		let e = chat("{not json").unwrap_err();
		assert_eq!((e.status.as_u16(), e.param), (400, None));
	}

	#[test]
	fn completions_prompts() {
		let p = parse(Kind::Completion, br#"{"model":"m","prompt":[1,2,3],"logprobs":2}"#, 256)
			.unwrap();
		assert!(matches!(p.prompt, Prompt::Tokens(ref t) if t == &[1, 2, 3]));
		assert_eq!(p.logprobs, Some(2));
		let e = parse(Kind::Completion, br#"{"model":"m","prompt":["a","b"]}"#, 256).unwrap_err();
		assert_eq!(e.param.as_deref(), Some("prompt"));
		let e =
			parse(Kind::Completion, br#"{"model":"m","prompt":"a","echo":true}"#, 256).unwrap_err();
		assert_eq!(e.param.as_deref(), Some("echo"));
	}
}
