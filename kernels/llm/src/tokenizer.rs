//! The checkpoint's tokenizer (`tokenizer.json`, through Hugging Face's `tokenizers` crate) and
//! chat template (Jinja, through `minijinja`), rendered as transformers' `apply_chat_template`
//! renders it: `trim_blocks` and `lstrip_blocks` on, the special tokens of
//! `tokenizer_config.json` in the context, Python's string methods (`.strip()`, `.split()`, …),
//! `raise_exception`, `strftime_now` and a `tojson` that writes what Python's `json.dumps` writes.
//! The rendered text is tokenized without adding special tokens (the template writes them).

use std::path::Path;

use minijinja::{value::Kwargs, Environment, Error as JinjaError, ErrorKind, Value as JinjaValue};
use serde::Serialize;
use serde_json::Value;

use crate::{
	config::read_json,
	error::{LoadError, PromptError},
};

/// One chat message as the template sees it (`role`, `content`, and any other fields the client
/// sent, such as `tool_calls` or `name`, passed through unchanged).
pub type Message = serde_json::Map<String, Value>;

/// Where the chat template came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateSource {
	/// `chat_template.jinja` (transformers 5 writes it there).
	JinjaFile,
	/// The `chat_template` field of `tokenizer_config.json`.
	TokenizerConfig,
}

/// Tokenizer, special tokens and chat template of a checkpoint.
pub struct ChatTokenizer {
	tokenizer: tokenizers::Tokenizer,
	template: Option<(String, TemplateSource)>,
	/// `bos_token`, `eos_token`, `pad_token`, `unk_token` of tokenizer_config.json, as text.
	special: serde_json::Map<String, Value>,
	/// The id of `eos_token`, when the tokenizer knows it.
	pub eos_token_id: Option<u32>,
}

impl ChatTokenizer {
	/// Loads `tokenizer.json`, `tokenizer_config.json` and the chat template from a directory.
	pub fn from_dir(dir: &Path) -> Result<Self, LoadError> {
		let path = dir.join("tokenizer.json");
		if !path.exists() {
			return Err(LoadError::Io {
				path,
				source: std::io::Error::new(
					std::io::ErrorKind::NotFound,
					"no tokenizer.json (a fast tokenizer file is required; slow tokenizers such as tokenizer.model alone are not read)",
				),
			});
		}
		let tokenizer = tokenizers::Tokenizer::from_file(&path)
			.map_err(|e| LoadError::Tokenizer(e.to_string()))?;
		let config_path = dir.join("tokenizer_config.json");
		let config = if config_path.exists() {
			read_json(&config_path)?
		} else {
			Value::Object(Default::default())
		};
		let mut special = serde_json::Map::new();
		for name in ["bos_token", "eos_token", "pad_token", "unk_token"] {
			let text = match config.get(name) {
				Some(Value::String(s)) => Some(s.clone()),
				// Older files: {"content": "<s>", "lstrip": false, ...}
				Some(Value::Object(o)) => {
					o.get("content").and_then(Value::as_str).map(str::to_string)
				},
				_ => None,
			};
			if let Some(text) = text {
				special.insert(name.into(), Value::String(text));
			}
		}
		let jinja = dir.join("chat_template.jinja");
		let template = if jinja.exists() {
			let text = std::fs::read_to_string(&jinja)
				.map_err(|source| LoadError::Io { path: jinja.clone(), source })?;
			Some((text, TemplateSource::JinjaFile))
		} else {
			match config.get("chat_template") {
				Some(Value::String(s)) => Some((s.clone(), TemplateSource::TokenizerConfig)),
				// A list of named templates: the one named "default".
				Some(Value::Array(list)) => list
					.iter()
					.find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
					.and_then(|t| t.get("template").and_then(Value::as_str))
					.map(|s| (s.to_string(), TemplateSource::TokenizerConfig)),
				_ => None,
			}
		};
		if let Some((text, source)) = &template {
			let source_file = match source {
				TemplateSource::JinjaFile => "chat_template.jinja",
				TemplateSource::TokenizerConfig => "tokenizer_config.json",
			};
			environment()
				.template_from_str(text)
				.map_err(|e| LoadError::Template { source_file, why: describe(&e) })?;
		}
		let eos_token_id =
			special.get("eos_token").and_then(Value::as_str).and_then(|t| tokenizer.token_to_id(t));
		Ok(ChatTokenizer { tokenizer, template, special, eos_token_id })
	}

	/// The vocabulary size including added tokens.
	pub fn vocab_size(&self) -> usize {
		self.tokenizer.get_vocab_size(true)
	}

	/// Where the chat template came from, if there is one.
	pub fn template_source(&self) -> Option<TemplateSource> {
		self.template.as_ref().map(|t| t.1)
	}

	/// Renders the chat template to text.
	///
	/// `extra` holds further context variables (`tools`, `enable_thinking`, …): they are passed to
	/// the template as `apply_chat_template(**kwargs)` passes them.
	pub fn render_chat(
		&self,
		messages: &[Message],
		add_generation_prompt: bool,
		extra: &serde_json::Map<String, Value>,
	) -> Result<String, PromptError> {
		let (source, _) = self.template.as_ref().ok_or(PromptError::NoTemplate)?;
		let mut ctx = self.special.clone();
		for (k, v) in extra {
			ctx.insert(k.clone(), v.clone());
		}
		ctx.insert(
			"messages".into(),
			Value::Array(messages.iter().cloned().map(Value::Object).collect()),
		);
		ctx.insert("add_generation_prompt".into(), Value::Bool(add_generation_prompt));
		environment()
			.render_str(source, to_jinja(&Value::Object(ctx)))
			.map_err(|e| PromptError::Template(describe(&e)))
	}

	/// The token ids of a chat, as `apply_chat_template(messages, tokenize=True)` gives them.
	pub fn encode_chat(
		&self,
		messages: &[Message],
		add_generation_prompt: bool,
		extra: &serde_json::Map<String, Value>,
	) -> Result<Vec<u32>, PromptError> {
		let text = self.render_chat(messages, add_generation_prompt, extra)?;
		self.encode(&text, false)
	}

	/// Token ids of a text; `add_special_tokens` applies the tokenizer's post-processor (a BOS
	/// token for Llama 3), as `tokenizer.encode(text)` does in Python.
	pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>, PromptError> {
		self.tokenizer
			.encode(text, add_special_tokens)
			.map(|e| e.get_ids().to_vec())
			.map_err(|e| PromptError::Tokenizer(e.to_string()))
	}

	/// Text of token ids.
	pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String, PromptError> {
		self.tokenizer
			.decode(ids, skip_special_tokens)
			.map_err(|e| PromptError::Tokenizer(e.to_string()))
	}

	/// The id of a token given as text (special tokens included).
	pub fn token_id(&self, token: &str) -> Option<u32> {
		self.tokenizer.token_to_id(token)
	}

	/// Whether an id is one of the tokenizer's special tokens (skipped in decoded text).
	pub fn is_special(&self, id: u32) -> bool {
		self.tokenizer.get_added_tokens_decoder().get(&id).is_some_and(|t| t.special)
	}
}

/// A JSON value as a template value: numbers stay numbers (whatever serde_json's features) and
/// maps keep their order.
fn to_jinja(v: &Value) -> JinjaValue {
	match v {
		Value::Null => JinjaValue::from(()),
		Value::Bool(b) => JinjaValue::from(*b),
		Value::Number(n) => {
			if let Some(i) = n.as_i64() {
				JinjaValue::from(i)
			} else if let Some(u) = n.as_u64() {
				JinjaValue::from(u)
			} else {
				JinjaValue::from(n.as_f64().unwrap_or(f64::NAN))
			}
		},
		Value::String(s) => JinjaValue::from(s.as_str()),
		Value::Array(items) => JinjaValue::from(items.iter().map(to_jinja).collect::<Vec<_>>()),
		Value::Object(map) => map.iter().map(|(k, v)| (k.as_str(), to_jinja(v))).collect(),
	}
}

/// A template value as JSON (for `tojson`): the inverse of [`to_jinja`].
fn from_jinja(v: &JinjaValue) -> Value {
	use minijinja::value::ValueKind;
	match v.kind() {
		ValueKind::Undefined | ValueKind::None => Value::Null,
		ValueKind::Bool => Value::Bool(v.is_true()),
		ValueKind::Number => {
			if let (true, Ok(i)) = (v.is_integer(), i64::try_from(v.clone())) {
				Value::from(i)
			} else {
				serde_json::Number::from_f64(f64::try_from(v.clone()).unwrap_or(f64::NAN))
					.map_or(Value::Null, Value::Number)
			}
		},
		ValueKind::String => Value::String(v.as_str().unwrap_or_default().to_string()),
		ValueKind::Seq | ValueKind::Iterable => Value::Array(
			v.try_iter().map(|it| it.map(|x| from_jinja(&x)).collect()).unwrap_or_default(),
		),
		ValueKind::Map => {
			let mut order = Vec::new();
			if let Ok(keys) = v.try_iter() {
				for k in keys {
					let val = v.get_item(&k).unwrap_or_default();
					let key = k.as_str().map(str::to_string).unwrap_or_else(|| k.to_string());
					order.push((key, from_jinja(&val)));
				}
			}
			// serde_json's Map may sort its keys; keep the template's order in a side list.
			Value::Array(vec![
				Value::String(ORDERED_MAP.into()),
				Value::Array(
					order
						.into_iter()
						.map(|(k, v)| Value::Array(vec![Value::String(k), v]))
						.collect(),
				),
			])
		},
		_ => Value::String(v.to_string()),
	}
}

/// Marks a map written by [`from_jinja`] as an ordered list of pairs (serde_json's Map sorts
/// its keys in this workspace; Python keeps insertion order, and so must `tojson`).
const ORDERED_MAP: &str = "\u{0}gonka-ordered-map";

/// The Jinja environment of chat templates.
fn environment() -> Environment<'static> {
	let mut env = Environment::new();
	env.set_trim_blocks(true);
	env.set_lstrip_blocks(true);
	env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
	env.add_function("raise_exception", |message: String| -> Result<String, JinjaError> {
		Err(JinjaError::new(ErrorKind::InvalidOperation, message))
	});
	env.add_function("strftime_now", |format: String| strftime(&format, now_utc()));
	env.add_filter("tojson", tojson);
	env
}

fn describe(e: &JinjaError) -> String {
	let mut s = e.to_string();
	if let Some(detail) = e.detail() {
		if !s.contains(detail) {
			s = format!("{s}: {detail}");
		}
	}
	s
}

/// `json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)`
/// as transformers' template environment defines `tojson`.
fn tojson(value: JinjaValue, kwargs: Kwargs) -> Result<JinjaValue, JinjaError> {
	let indent: Option<usize> = kwargs.get("indent")?;
	let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
	let separators: Option<Vec<String>> = kwargs.get("separators")?;
	let _: Option<bool> = kwargs.get("ensure_ascii")?;
	kwargs.assert_all_used()?;
	let json = from_jinja(&value);
	let (item_sep, key_sep) = match separators.as_deref() {
		Some([a, b]) => (a.clone(), b.clone()),
		Some(_) => {
			return Err(JinjaError::new(
				ErrorKind::InvalidOperation,
				"tojson: separators must be a pair",
			))
		},
		None if indent.is_some() => (",".to_string(), ": ".to_string()),
		None => (", ".to_string(), ": ".to_string()),
	};
	let mut out = String::new();
	write_py_json(&json, &mut out, indent, 0, &item_sep, &key_sep, sort_keys.unwrap_or(false));
	Ok(JinjaValue::from(out))
}

fn write_py_json(
	v: &Value,
	out: &mut String,
	indent: Option<usize>,
	level: usize,
	item_sep: &str,
	key_sep: &str,
	sort: bool,
) {
	let newline = |out: &mut String, level: usize| {
		if let Some(n) = indent {
			out.push('\n');
			out.push_str(&" ".repeat(n * level));
		}
	};
	if let Value::Array(items) = v {
		if let [Value::String(tag), Value::Array(pairs)] = items.as_slice() {
			if tag == ORDERED_MAP {
				if pairs.is_empty() {
					out.push_str("{}");
					return;
				}
				let mut pairs: Vec<(&str, &Value)> = pairs
					.iter()
					.filter_map(|p| match p.as_array().map(Vec::as_slice) {
						Some([Value::String(k), v]) => Some((k.as_str(), v)),
						_ => None,
					})
					.collect();
				if sort {
					pairs.sort_by(|a, b| a.0.cmp(b.0));
				}
				out.push('{');
				for (i, (k, val)) in pairs.into_iter().enumerate() {
					if i > 0 {
						out.push_str(item_sep);
					}
					newline(out, level + 1);
					out.push_str(&serde_json::to_string(k).unwrap_or_default());
					out.push_str(key_sep);
					write_py_json(val, out, indent, level + 1, item_sep, key_sep, sort);
				}
				newline(out, level);
				out.push('}');
				return;
			}
		}
	}
	match v {
		Value::Array(items) if !items.is_empty() => {
			out.push('[');
			for (i, item) in items.iter().enumerate() {
				if i > 0 {
					out.push_str(item_sep);
				}
				newline(out, level + 1);
				write_py_json(item, out, indent, level + 1, item_sep, key_sep, sort);
			}
			newline(out, level);
			out.push(']');
		},
		Value::Object(map) if !map.is_empty() => {
			out.push('{');
			let mut keys: Vec<&String> = map.keys().collect();
			if sort {
				keys.sort();
			}
			for (i, k) in keys.into_iter().enumerate() {
				if i > 0 {
					out.push_str(item_sep);
				}
				newline(out, level + 1);
				out.push_str(&serde_json::to_string(k).unwrap_or_default());
				out.push_str(key_sep);
				write_py_json(&map[k], out, indent, level + 1, item_sep, key_sep, sort);
			}
			newline(out, level);
			out.push('}');
		},
		Value::Array(_) => out.push_str("[]"),
		Value::Object(_) => out.push_str("{}"),
		Value::Null => out.push_str("null"),
		Value::Number(n) if n.is_f64() => {
			// Python writes floats with at least one decimal (1.0, not 1).
			let f = n.as_f64().unwrap_or_default();
			if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
				out.push_str(&format!("{f:.1}"));
			} else {
				out.push_str(&n.to_string());
			}
		},
		other => out.push_str(&other.to_string()),
	}
}

/// Seconds since the Unix epoch, now.
fn now_utc() -> i64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_secs() as i64)
		.unwrap_or_default()
}

/// The subset of C's `strftime` that chat templates use (`%d %b %Y` and friends), in UTC.
fn strftime(format: &str, unix: i64) -> String {
	const MONTHS: [&str; 12] = [
		"January",
		"February",
		"March",
		"April",
		"May",
		"June",
		"July",
		"August",
		"September",
		"October",
		"November",
		"December",
	];
	const DAYS: [&str; 7] =
		["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
	let days = unix.div_euclid(86_400);
	let secs = unix.rem_euclid(86_400);
	// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let day = doy - (153 * mp + 2) / 5 + 1;
	let month = if mp < 10 { mp + 3 } else { mp - 9 };
	let year = yoe + era * 400 + i64::from(month <= 2);
	let weekday = DAYS[days.rem_euclid(7) as usize];
	let month_name = MONTHS[(month - 1) as usize];
	let mut out = String::new();
	let mut chars = format.chars();
	while let Some(c) = chars.next() {
		if c != '%' {
			out.push(c);
			continue;
		}
		match chars.next() {
			Some('d') => out.push_str(&format!("{day:02}")),
			Some('m') => out.push_str(&format!("{month:02}")),
			Some('Y') => out.push_str(&year.to_string()),
			Some('y') => out.push_str(&format!("{:02}", year.rem_euclid(100))),
			Some('b') => out.push_str(&month_name[..3]),
			Some('B') => out.push_str(month_name),
			Some('a') => out.push_str(&weekday[..3]),
			Some('A') => out.push_str(weekday),
			Some('H') => out.push_str(&format!("{:02}", secs / 3600)),
			Some('M') => out.push_str(&format!("{:02}", secs / 60 % 60)),
			Some('S') => out.push_str(&format!("{:02}", secs % 60)),
			Some('%') => out.push('%'),
			Some(other) => {
				out.push('%');
				out.push(other);
			},
			None => out.push('%'),
		}
	}
	out
}

/// Serializes anything to the message map a template takes (a helper for callers and tests).
pub fn message(role: &str, content: impl Serialize) -> Message {
	let mut m = Message::new();
	m.insert("role".into(), Value::String(role.into()));
	m.insert("content".into(), serde_json::to_value(content).unwrap_or(Value::Null));
	m
}

#[cfg(test)]
mod tests {
	use super::*;

	fn render(template: &str, ctx: Value) -> Result<String, JinjaError> {
		environment().render_str(template, to_jinja(&ctx))
	}

	#[test]
	fn tojson_writes_what_python_writes() {
		// A map written in the template keeps its order, as a Python dict does.
		assert_eq!(
			render(
				r#"{{ {"name": "get", "n": 1, "f": 2.0, "list": [1, "ü\n"], "empty": {}} | tojson }}"#,
				Value::Null
			)
			.unwrap(),
			r#"{"name": "get", "n": 1, "f": 2.0, "list": [1, "ü\n"], "empty": {}}"#
		);
		// Maps from a request arrive with their keys sorted (serde_json's Map in this workspace).
		let ctx = serde_json::json!({"t": {"name": "get", "n": 1, "f": 2.0, "list": [1, "ü\n"], "empty": {}}});
		assert_eq!(
			render("{{ t | tojson }}", ctx.clone()).unwrap(),
			r#"{"empty": {}, "f": 2.0, "list": [1, "ü\n"], "n": 1, "name": "get"}"#
		);
		assert_eq!(
			render("{{ t.list | tojson(indent=2) }}", ctx.clone()).unwrap(),
			"[\n  1,\n  \"ü\\n\"\n]"
		);
		assert_eq!(
			render(r#"{{ {"b": 1, "a": 2} | tojson(sort_keys=true) }}"#, Value::Null).unwrap(),
			r#"{"a": 2, "b": 1}"#
		);
		let _ = ctx;
	}

	#[test]
	fn python_methods_and_helpers() {
		let ctx = serde_json::json!({"s": "  a</think>b  "});
		assert_eq!(render("{{ s.strip().split('</think>')[-1] }}", ctx.clone()).unwrap(), "b");
		assert_eq!(render("{{ s.lstrip() }}|", ctx).unwrap(), "a</think>b  |");
		let err = render("{{ raise_exception('no tools here') }}", Value::Null).unwrap_err();
		assert!(describe(&err).contains("no tools here"), "{}", describe(&err));
		// trim_blocks and lstrip_blocks as transformers sets them.
		assert_eq!(render("  {% if true %}\nx\n  {% endif %}\ny", Value::Null).unwrap(), "x\ny");
	}

	#[test]
	fn strftime_subset() {
		// 2026-12-01T13:04:05Z is a Tuesday.
		let t = 1_796_130_245;
		assert_eq!(strftime("%d %b %Y %H:%M:%S %A %%", t), "01 Dec 2026 13:04:05 Tuesday %");
		assert_eq!(strftime("%Y-%m-%d", 0), "1970-01-01");
		assert_eq!(strftime("%d %B %y", 951_782_400), "29 February 00");
	}
}
