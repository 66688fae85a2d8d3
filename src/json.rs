//! Our own JSON documents (the static catalog, `ROLES`, `CATALOG_CONNECTION_KEYS`, the HTTP
//! catalog's answers, sealed sessions, the object cache's stored metadata), read by hand from a
//! `serde_json::Value` and, for the stored ones, written by hand.
//!
//! Why not serde's derive: its generated code for these types was ~26 KB of the Worker's
//! gzipped wasm (docs/BENCHMARKS.md "Worker size"). What the derive gave is kept:
//! - an object never repeats a key, at any depth ([`parse`] refuses it; `Value` alone
//!   would silently keep the last one);
//! - fields are typed exactly as before (an integer in range, not a float; a string, not
//!   `null`, where no `Option` was), unknown fields are refused where the derive denied them;
//! - every error names the path of the field (`roles[2].bindings[0][1].claim: expected a
//!   string`), never a value: the documents hold secrets.
//!
//! Every JSON text the Worker reads goes through the one `Value` visitor here (the issuers'
//! discovery and JWKS documents too, [`parse_lax`]), and every `Value` it writes through the
//! one serde_json writer the log lines use ([`to_string`]): one copy of each in the wasm.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a document is refused.
#[derive(Clone, thiserror::Error)]
pub enum Error {
    /// Not JSON, or an object repeats a key: serde_json's text with its line and column
    /// (it names the repeated key, never a value).
    #[error("{0}")]
    Syntax(Arc<serde_json::Error>),
    /// JSON, but not the document's shape.
    #[error(transparent)]
    Field(#[from] FieldError),
}

// `Debug` as the text (no derive: a few KB of wasm; nothing of the crate imported, so the
// module sits in the bottom layer, docs/ARCHITECTURE.md).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// Line and column of a syntax error or a repeated key.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Error::Syntax(e) => Some((e.line(), e.column())),
            Error::Field(_) => None,
        }
    }

    /// Whether the text repeats a key (seen before any syntax error after it).
    pub fn is_repeated_key(&self) -> bool {
        matches!(self, Error::Syntax(e) if e.classify() == serde_json::error::Category::Data)
    }
}

/// A field of the wrong shape: where (keys and indices from the document's root) and what.
#[derive(Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Innermost first: each level adds its own step as the error goes up.
    path: Vec<Step>,
    problem: Cow<'static, str>,
}

#[derive(Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

impl FieldError {
    pub fn new(problem: &'static str) -> Self {
        FieldError {
            path: Vec::new(),
            problem: Cow::Borrowed(problem),
        }
    }

    /// A problem the document's own rules find (e.g. a condition with two operators):
    /// never a value in the text.
    pub fn custom(problem: String) -> Self {
        FieldError {
            path: Vec::new(),
            problem: Cow::Owned(problem),
        }
    }

    /// The same error one level up, under `key`.
    #[must_use]
    pub fn at(mut self, key: &str) -> Self {
        self.path.push(Step::Key(key.to_string()));
        self
    }

    /// The same error one level up, at `index` of an array.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        self.path.push(Step::Index(index));
        self
    }

    /// The same error with its innermost key left out (`a.b` for `a.b.c`): where a key may
    /// itself be something that must not be shown (a secret pasted in the wrong place).
    #[must_use]
    pub fn without_key(mut self) -> Self {
        if matches!(self.path.first(), Some(Step::Key(_))) {
            self.path.remove(0);
        }
        self
    }

    /// `a.b[2].c`, or empty for the root.
    pub fn path(&self) -> String {
        let mut s = String::new();
        for step in self.path.iter().rev() {
            match step {
                Step::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Step::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    pub fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path.is_empty() {
            true => f.write_str(&self.problem),
            false => write!(f, "{}: {}", self.path(), self.problem),
        }
    }
}

impl fmt::Debug for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for FieldError {}

pub type Result<T, E = FieldError> = std::result::Result<T, E>;

/// Parses JSON text whose objects never repeat a key (at any depth; serde_json bounds the
/// nesting at 128 levels, so the work is linear in the text).
pub fn parse(bytes: &[u8]) -> Result<Value, Error> {
    parse_unique(bytes).map_err(|e| Error::Syntax(Arc::new(e)))
}

/// [`parse`] with serde_json's own error, whose category tells a repeated key
/// (`Category::Data`) from text that is not JSON.
pub fn parse_unique(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    parse_with(bytes, ValueSeed { lax: false })
}

/// JSON text as `serde_json::from_slice::<Value>` reads it, a repeated key keeping its last
/// value: for the issuers' documents (discovery, JWKS), read as leniently as other clients
/// read them. The same visitor as [`parse`]: one copy of the code in the wasm.
pub fn parse_lax(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    parse_with(bytes, ValueSeed { lax: true })
}

fn parse_with(bytes: &[u8], seed: ValueSeed) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// [`parse`], then `read` on the value.
pub fn read<T>(bytes: &[u8], read: impl FnOnce(Value) -> Result<T>) -> Result<T, Error> {
    Ok(read(parse(bytes)?)?)
}

/// A JSON value whose objects have unique keys unless `lax`: serde_json's own `Value`
/// silently keeps the last of two, which another reader of the same text may not.
#[derive(Clone, Copy)]
struct ValueSeed {
    lax: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            if !self.lax && out.contains_key(&k) {
                return Err(de::Error::custom(format_args!("repeated key {k:?}")));
            }
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

// The readers: each takes a value and gives the type or an error whose path starts at it.

pub fn string(v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(FieldError::new("expected a string")),
    }
}

pub fn boolean(v: Value) -> Result<bool> {
    v.as_bool().ok_or(FieldError::new("expected true or false"))
}

/// A whole number (not `1.0`) in 0..=`u64::MAX`.
pub fn u64(v: Value) -> Result<u64> {
    v.as_u64()
        .ok_or(FieldError::new("expected an integer in 0..=18446744073709551615"))
}

pub fn u32(v: Value) -> Result<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(FieldError::new("expected an integer in 0..=4294967295"))
}

pub fn i64(v: Value) -> Result<i64> {
    v.as_i64().ok_or(FieldError::new(
        "expected an integer in -9223372036854775808..=9223372036854775807",
    ))
}

pub fn array(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(FieldError::new("expected an array")),
    }
}

/// An array, each item read by `item`.
pub fn list<T>(v: Value, item: impl Fn(Value) -> Result<T>) -> Result<Vec<T>> {
    array(v)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| item(v).map_err(|e| e.at_index(i)))
        .collect()
}

pub fn strings(v: Value) -> Result<Vec<String>> {
    list(v, string)
}

/// `[["name", "value"], ...]`: how serde wrote a `Vec<(String, String)>`.
pub fn pairs(v: Value) -> Result<Vec<(String, String)>> {
    list(v, |v| match <[Value; 2]>::try_from(array(v)?) {
        Ok([a, b]) => Ok((
            string(a).map_err(|e| e.at_index(0))?,
            string(b).map_err(|e| e.at_index(1))?,
        )),
        Err(_) => Err(FieldError::new("expected a [name, value] pair")),
    })
}

/// An object whose keys are names the document chooses, each value read by `item`.
pub fn map<T>(v: Value, item: impl Fn(Value) -> Result<T>) -> Result<BTreeMap<String, T>> {
    let mut out = BTreeMap::new();
    for (k, v) in Obj::new(v)?.0 {
        let t = item(v).map_err(|e| e.at(&k))?;
        out.insert(k, t);
    }
    Ok(out)
}

/// The problem of a field [`Obj::end`] does not know.
pub const UNKNOWN_FIELD: &str = "unknown field";

/// An object with named fields, taken out one by one.
pub struct Obj(Map<String, Value>);

impl From<Map<String, Value>> for Obj {
    fn from(m: Map<String, Value>) -> Self {
        Obj(m)
    }
}

impl Obj {
    pub fn new(v: Value) -> Result<Self> {
        match v {
            Value::Object(m) => Ok(Obj(m)),
            _ => Err(FieldError::new("expected an object")),
        }
    }

    /// A field that must be there (`null` is left to `read` to refuse).
    pub fn req<T>(&mut self, key: &str, read: impl FnOnce(Value) -> Result<T>) -> Result<T> {
        match self.0.remove(key) {
            Some(v) => read(v).map_err(|e| e.at(key)),
            None => Err(FieldError::new("missing").at(key)),
        }
    }

    /// An optional field: absent or `null` is `None` (serde's `Option`).
    pub fn opt<T>(&mut self, key: &str, read: impl FnOnce(Value) -> Result<T>) -> Result<Option<T>> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => read(v).map(Some).map_err(|e| e.at(key)),
        }
    }

    /// A field with a default when absent (serde's `#[serde(default)]`: `null` is still read).
    pub fn or_default<T: Default>(&mut self, key: &str, read: impl FnOnce(Value) -> Result<T>) -> Result<T> {
        match self.0.remove(key) {
            None => Ok(T::default()),
            Some(v) => read(v).map_err(|e| e.at(key)),
        }
    }

    pub fn req_str(&mut self, key: &str) -> Result<String> {
        self.req(key, string)
    }

    pub fn opt_str(&mut self, key: &str) -> Result<Option<String>> {
        self.opt(key, string)
    }

    /// Done, where unknown fields are refused (serde's `deny_unknown_fields`).
    pub fn end(self) -> Result<()> {
        match self.0.into_iter().next() {
            None => Ok(()),
            Some((k, _)) => Err(FieldError::new(UNKNOWN_FIELD).at(&k)),
        }
    }
}

// The writer: compact JSON as serde_json writes it (same escapes, same number forms), so a
// stored document's bytes do not change with the code that writes them.

/// An object being written into `out`.
pub struct ObjWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjWriter { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        write_str(self.out, key);
        self.out.push(b':');
        self.out
    }

    pub fn str(&mut self, key: &str, v: &str) -> &mut Self {
        let out = self.key(key);
        write_str(out, v);
        self
    }

    /// A string, or `null`.
    pub fn opt_str(&mut self, key: &str, v: Option<&str>) -> &mut Self {
        let out = self.key(key);
        match v {
            Some(v) => write_str(out, v),
            None => out.extend_from_slice(b"null"),
        }
        self
    }

    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        let out = self.key(key);
        out.extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    pub fn u64(&mut self, key: &str, v: u64) -> &mut Self {
        let out = self.key(key);
        write_int(out, false, v);
        self
    }

    pub fn i64(&mut self, key: &str, v: i64) -> &mut Self {
        let out = self.key(key);
        write_int(out, v < 0, v.unsigned_abs());
        self
    }

    pub fn strs(&mut self, key: &str, v: &[String]) -> &mut Self {
        let out = self.key(key);
        out.push(b'[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, s);
        }
        out.push(b']');
        self
    }

    /// `[["name","value"],...]`.
    pub fn pairs(&mut self, key: &str, v: &[(String, String)]) -> &mut Self {
        let out = self.key(key);
        out.push(b'[');
        for (i, (a, b)) in v.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_str(out, a);
            out.push(b',');
            write_str(out, b);
            out.push(b']');
        }
        out.push(b']');
        self
    }

    /// A nested object, written by `write`.
    pub fn obj(&mut self, key: &str, write: impl FnOnce(&mut ObjWriter<'_>)) -> &mut Self {
        let out = self.key(key);
        let mut inner = ObjWriter::new(out);
        write(&mut inner);
        inner.end();
        self
    }

    pub fn end(&mut self) {
        self.out.push(b'}');
    }
}

/// Compact JSON text of a value, as `Value::to_string` writes it, through the one serde_json
/// writer the log lines use (`Display` would instantiate another: `fmt::Formatter` as writer).
pub fn to_string(v: &Value) -> String {
    let mut out = Vec::with_capacity(128);
    // Writing into a Vec cannot fail, and serde_json writes UTF-8.
    let _ = serde_json::to_writer(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

/// A JSON string, escaped by serde_json (the instance the log lines use already).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_int(out: &mut Vec<u8>, negative: bool, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;
