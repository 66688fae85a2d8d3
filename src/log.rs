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
mod tests {
    use super::*;

    #[test]
    fn is_one_json_object() {
        let l = line(Level::Warn, "x", serde_json::json!({"a": "b\nc"}));
        assert!(!l.contains('\n'));
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["a"], "b\nc");
    }

    #[test]
    fn free_text_and_other_fields_are_cut_on_a_char_boundary() {
        let detail = format!("{}{}", "d".repeat(511), "é".repeat(4000));
        let path = "p".repeat(50_000);
        let short = "short";
        let f = serde_json::json!({"detail": detail, "reason": "r".repeat(600), "resource": path,
            "subject": short, "nested": {"detail": "x".repeat(5000)}, "list": ["y".repeat(5000)], "n": 7});
        let l = line(Level::Warn, "x", f);
        let v: Value = serde_json::from_str(&l).unwrap();
        // 511 ASCII bytes and then a 2-byte character: cut before it.
        assert_eq!(v["detail"], format!("{}…[{} bytes]", "d".repeat(511), detail.len()));
        assert_eq!(v["reason"], format!("{}…[600 bytes]", "r".repeat(512)));
        assert_eq!(v["resource"], format!("{}…[50000 bytes]", "p".repeat(2048)));
        assert_eq!(v["nested"]["detail"], format!("{}…[5000 bytes]", "x".repeat(512)));
        assert_eq!(v["list"][0], format!("{}…[5000 bytes]", "y".repeat(2048)));
        assert_eq!((v["subject"].as_str(), v["n"].as_i64()), (Some(short), Some(7)));
        assert!(l.len() < 6000, "{}", l.len());
        // At the limit nothing is cut.
        let at = line(Level::Info, "x", serde_json::json!({"detail": "z".repeat(512)}));
        assert!(!at.contains('…'));
    }
}
