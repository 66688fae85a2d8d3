//! Structured JSON log lines. Callers pass fields; never a secret.
//!
//! Fields often hold what a client or an upstream sent (a path, a subject, a
//! backend's error quoting its answer), so every string is cut here, whoever
//! calls: free text at [`MAX_TEXT_BYTES`], anything else at [`MAX_FIELD_BYTES`].

use serde_json::{Map, Value};

/// Free-text fields (an error's detail, a reason): enough for a cause and
/// the start of what was quoted.
pub const MAX_TEXT_BYTES: usize = 512;
/// Any other string field: a subject (1024 bytes at most once accepted) and
/// the paths of real requests fit whole.
pub const MAX_FIELD_BYTES: usize = 2048;
/// The fields holding free text, at any depth.
const TEXT_FIELDS: [&str; 4] = ["detail", "reason", "error", "message"];

/// How much a line matters; `LOG_LEVEL` keeps the lines at or above its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

pub fn line(level: Level, msg: &str, fields: Value) -> String {
    let mut m = Map::new();
    m.insert("level".into(), Value::from(level.as_str()));
    m.insert("msg".into(), Value::from(msg));
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    for (k, v) in &mut m {
        cap(k, v);
    }
    Value::Object(m).to_string()
}

fn cap(key: &str, v: &mut Value) {
    match v {
        Value::String(s) => {
            let max = match TEXT_FIELDS.contains(&key) {
                true => MAX_TEXT_BYTES,
                false => MAX_FIELD_BYTES,
            };
            if s.len() > max {
                *s = clip(s, max);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cap(key, i)),
        Value::Object(m) => m.iter_mut().for_each(|(k, i)| cap(k, i)),
        _ => {}
    }
}

/// At most `max` bytes of `s`, cut on a character boundary, then a marker
/// with the original length.
fn clip(s: &str, max: usize) -> String {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[{} bytes]", &s[..end], s.len())
}

#[cfg(test)]
mod tests;
