//! Instances generated from a JSON Schema, for the consumer contract tests:
//! what a producer may send by its schema, not what a test author thought
//! of. The first example is the smallest the schema allows (optional fields
//! absent, `null` where allowed, short strings, the lowest numbers), the
//! second the largest (every field, long and unusual strings), the rest
//! random, from a seed so that a failure repeats.

use serde_json::{Map, Value, json};

/// `count` instances of the schema `root` (its `$ref`s resolved within it).
pub fn examples(root: &Value, count: usize, seed: u64) -> Vec<Value> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|index| {
            let mode = match index {
                0 => Mode::Smallest,
                1 => Mode::Largest,
                _ => Mode::Random,
            };
            Generator { root, rng: &mut rng, mode }.value(root)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Smallest,
    Largest,
    Random,
}

struct Generator<'a> {
    root: &'a Value,
    rng: &'a mut fastrand::Rng,
    mode: Mode,
}

/// Strings a producer may well send: plain, with spaces and punctuation,
/// non-ASCII, quotes and backslashes.
const STRINGS: &[&str] =
    &["b-1", "Dune", "O'Brien \"the Second\"", "砂の惑星 – édition", "a\\b/c", "   padded   ", "0", "null"];

impl Generator<'_> {
    /// Which of `n` choices: the first, the last, or any.
    fn pick(&mut self, n: usize) -> usize {
        match self.mode {
            Mode::Smallest => 0,
            Mode::Largest => n.saturating_sub(1),
            Mode::Random => self.rng.usize(..n.max(1)),
        }
    }

    fn value(&mut self, schema: &Value) -> Value {
        let Some(schema) = schema.as_object() else {
            // `true` (anything) or a schema this generator does not read.
            return json!("anything");
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let target = reference
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
                .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
            return self.value(target);
        }
        if let Some(constant) = schema.get("const") {
            return constant.clone();
        }
        if let Some(Value::Array(values)) = schema.get("enum") {
            let index = self.pick(values.len());
            return values[index].clone();
        }
        for combinator in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = schema.get(combinator) {
                let index = self.pick(branches.len());
                return self.value(&branches[index]);
            }
        }
        if let Some(Value::Array(parts)) = schema.get("allOf") {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(object) = self.value(part) {
                    merged.extend(object);
                }
            }
            return Value::Object(merged);
        }
        let kind = match schema.get("type") {
            Some(Value::String(kind)) => kind.clone(),
            Some(Value::Array(kinds)) => {
                // `null` first for the smallest, last for the largest.
                let mut kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
                kinds.sort_by_key(|k| *k != "null");
                let index = self.pick(kinds.len());
                kinds[index].to_owned()
            }
            _ if schema.contains_key("properties") => "object".to_owned(),
            _ => return json!("anything"),
        };
        match kind.as_str() {
            "null" => Value::Null,
            "boolean" => Value::Bool(self.mode == Mode::Largest || (self.mode == Mode::Random && self.rng.bool())),
            "integer" => self.integer(schema),
            "number" => json!(self.integer(schema).as_i64().unwrap_or(0) as f64 + 0.5),
            "string" => self.string(schema),
            "array" => {
                let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
                let len = match self.mode {
                    Mode::Smallest => min,
                    Mode::Largest => min.max(3),
                    Mode::Random => min + self.rng.usize(..3),
                };
                let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
                Value::Array((0..len).map(|_| self.value(&items)).collect())
            }
            "object" => self.object(schema),
            other => panic!("a schema of type {other}"),
        }
    }

    fn integer(&mut self, schema: &Map<String, Value>) -> Value {
        let bound = |key: &str| schema.get(key).and_then(Value::as_i64);
        let widest = match schema.get("format").and_then(Value::as_str) {
            Some("uint8") => 255,
            Some("uint16") | Some("int16") => i16::MAX as i64,
            Some("uint32") | Some("int32") => i32::MAX as i64,
            _ => 1 << 40,
        };
        let min = bound("minimum").or(bound("exclusiveMinimum").map(|m| m + 1)).unwrap_or(-widest);
        let max = bound("maximum").or(bound("exclusiveMaximum").map(|m| m - 1)).unwrap_or(widest);
        let candidates = [min, 0, 1, 7, 250, max];
        let inside: Vec<i64> = candidates.into_iter().filter(|n| (min..=max).contains(n)).collect();
        let index = self.pick(inside.len());
        json!(inside[index])
    }

    fn string(&mut self, schema: &Map<String, Value>) -> Value {
        if schema.get("format").and_then(Value::as_str) == Some("date-time") {
            return json!("2026-12-07T10:15:30.125Z");
        }
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema.get("maxLength").and_then(Value::as_u64).map_or(usize::MAX, |m| m as usize);
        let text = match self.mode {
            Mode::Smallest => String::new(),
            Mode::Largest => "Ω-long ".repeat(40),
            Mode::Random => STRINGS[self.rng.usize(..STRINGS.len())].to_owned(),
        };
        let mut chars: Vec<char> = text.chars().take(max).collect();
        while chars.len() < min {
            chars.push('x');
        }
        Value::String(chars.into_iter().collect())
    }

    fn object(&mut self, schema: &Map<String, Value>) -> Value {
        let required: Vec<&str> =
            schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let mut object = Map::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, property) in properties {
                let present = required.contains(&name.as_str())
                    || match self.mode {
                        Mode::Smallest => false,
                        Mode::Largest => true,
                        Mode::Random => self.rng.bool(),
                    };
                if present {
                    object.insert(name.clone(), self.value(property));
                }
            }
        }
        Value::Object(object)
    }
}
