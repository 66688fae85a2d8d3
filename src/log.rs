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

/// The compact JSON text of `v`, as `v.to_string()` writes it, through the
/// `Vec<u8>` serializer every JSON answer uses: `Value`'s `Display` would
/// bring two more instantiations of it (compact and pretty) into the wasm.
pub fn json_text(v: &Value) -> String {
    String::from_utf8(serde_json::to_vec(v).unwrap_or_default()).unwrap_or_default()
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
    json_text(&Value::Object(m))
}

/// One log line written straight into a buffer, for the lines of every
/// request: the same JSON object [`line`] makes, without building a
/// `serde_json::Value` tree first (measured: most of the line's CPU in wasm).
/// Strings are escaped by serde_json and cut as [`line`] cuts them.
pub struct Line {
    buf: Vec<u8>,
}

impl Line {
    pub fn new(level: Level, msg: &str) -> Self {
        let mut l = Line {
            buf: Vec::with_capacity(256),
        };
        l.buf.extend_from_slice(b"{\"level\":\"");
        l.buf.extend_from_slice(level.as_str().as_bytes());
        l.buf.push(b'"');
        l.str("msg", msg)
    }

    fn key(&mut self, key: &str) {
        self.buf.push(b',');
        self.escaped(key);
        self.buf.push(b':');
    }

    fn escaped(&mut self, s: &str) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, s);
    }

    /// A string field, cut at the limit of its key.
    pub fn str(mut self, key: &str, v: &str) -> Self {
        self.key(key);
        let max = match TEXT_FIELDS.contains(&key) {
            true => MAX_TEXT_BYTES,
            false => MAX_FIELD_BYTES,
        };
        match v.len() > max {
            true => self.escaped(&clip(v, max)),
            false => self.escaped(v),
        }
        self
    }

    /// A string field, `null` when absent.
    pub fn opt_str(self, key: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.str(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// An integer field.
    pub fn int(self, key: &str, v: i64) -> Self {
        self.raw(key, itoa_buf(v).as_str())
    }

    /// An integer field, `null` when absent.
    pub fn opt_int(self, key: &str, v: Option<i64>) -> Self {
        match v {
            Some(v) => self.int(key, v),
            None => self.raw(key, "null"),
        }
    }

    /// Any JSON value, its strings cut as [`line`] cuts them.
    pub fn value(mut self, key: &str, mut v: Value) -> Self {
        cap(key, &mut v);
        self.key(key);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, &v);
        self
    }

    fn raw(mut self, key: &str, v: &str) -> Self {
        self.key(key);
        self.buf.extend_from_slice(v.as_bytes());
        self
    }

    pub fn finish(mut self) -> String {
        self.buf.push(b'}');
        // Only whole &str and ASCII were written.
        String::from_utf8(self.buf).unwrap_or_default()
    }
}

/// Decimal digits of an integer on the stack.
struct IntBuf {
    b: [u8; 20],
    start: usize,
}

impl IntBuf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.b[self.start..]).unwrap_or("0")
    }
}

fn itoa_buf(v: i64) -> IntBuf {
    let mut out = IntBuf { b: [0; 20], start: 20 };
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        out.start -= 1;
        out.b[out.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        out.start -= 1;
        out.b[out.start] = b'-';
    }
    out
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
