//! ListObjects V1/V2: parameters, positions and the result document.
//! Continuation tokens are sealed in `s3::token`; the walk over products and
//! backends is in `proxy::list`.

use std::borrow::Cow;

use super::token::{Binding, TokenKeys};
use super::xml::{escape_into, Xml, S3_NS};
use crate::error::{ProxyError, Result};
use crate::http::Query;
use crate::platform::ListedObject;
use crate::route::MAX_KEY_BYTES;
use crate::time::format_iso8601_millis;

pub const MAX_KEYS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// Where a listing resumes: strictly after `value`; when `is_prefix`, after
/// every key under that common prefix too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub value: String,
    pub is_prefix: bool,
}

impl Position {
    pub fn key(value: &str) -> Self {
        Self {
            value: value.to_string(),
            is_prefix: false,
        }
    }

    /// Is the key `name` after this position?
    pub fn admits(&self, name: &str) -> bool {
        name > self.value.as_str() && !(self.is_prefix && name.starts_with(self.value.as_str()))
    }

    /// Is this position at or past every name starting with `prefix`?
    pub fn covers(&self, prefix: &str) -> bool {
        (self.is_prefix && prefix.starts_with(self.value.as_str()))
            || (self.value.as_str() > prefix && !self.value.starts_with(prefix))
    }
}

/// Whose tokens a listing takes and issues: the bucket as listed
/// (`{account}` or `{account}/{product}`) and the deployment's token keys.
#[derive(Debug, Clone, Copy)]
pub struct TokenScope<'a> {
    pub keys: &'a TokenKeys,
    pub bucket: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    pub version: Version,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: u32,
    pub encoding_url: bool,
    pub fetch_owner: bool,
    /// Resume position (from continuation-token, start-after or marker).
    pub after: Option<Position>,
    /// Echoed back as sent.
    pub continuation_token: Option<String>,
    pub start_after: Option<String>,
    pub marker: Option<String>,
}

impl ListParams {
    /// What tokens of this listing are bound to.
    pub fn binding<'a>(&'a self, scope: &TokenScope<'a>) -> Binding<'a> {
        Binding {
            keys: scope.keys,
            bucket: scope.bucket,
            prefix: &self.prefix,
            delimiter: self.delimiter.as_deref(),
        }
    }

    /// The parameters; a continuation token must be one `scope` issued for
    /// the same prefix and delimiter.
    pub fn parse(q: &Query, scope: &TokenScope) -> Result<Self> {
        let version = match q.get("list-type") {
            None => Version::V1,
            Some("2") => Version::V2,
            Some(_) => return Err(ProxyError::InvalidArgument("Invalid list-type.")),
        };
        let max_keys = match q.get("max-keys") {
            None => MAX_KEYS,
            // S3 takes any non-negative 32-bit integer and caps it at 1000.
            Some(v) if v.bytes().all(|c| c.is_ascii_digit()) && v.parse::<i32>().is_ok() => {
                v.parse::<u32>().map_or(MAX_KEYS, |n| n.min(MAX_KEYS))
            }
            Some(_) => {
                return Err(ProxyError::InvalidArgument(
                    "Provided max-keys not an integer or within integer range",
                ))
            }
        };
        let encoding_url = match q.get("encoding-type") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("url") => true,
            Some(_) => {
                return Err(ProxyError::InvalidArgument(
                    "Invalid Encoding Method specified in Request",
                ))
            }
        };
        let prefix = q.get("prefix").unwrap_or("").to_string();
        let delimiter = q.get("delimiter").filter(|d| !d.is_empty()).map(str::to_string);
        for v in [
            Some(prefix.as_str()),
            delimiter.as_deref(),
            q.get("start-after"),
            q.get("marker"),
        ]
        .into_iter()
        .flatten()
        {
            if v.len() > MAX_KEY_BYTES {
                return Err(ProxyError::KeyTooLong);
            }
        }
        let fetch_owner = q.get("fetch-owner") == Some("true");
        let mut p = ListParams {
            version,
            prefix,
            delimiter,
            max_keys,
            encoding_url,
            fetch_owner,
            after: None,
            continuation_token: None,
            start_after: None,
            marker: None,
        };
        match version {
            Version::V2 => {
                p.start_after = q.get("start-after").filter(|s| !s.is_empty()).map(str::to_string);
                if let Some(t) = q.get("continuation-token") {
                    p.after = Some(p.binding(scope).open(t)?);
                    p.continuation_token = Some(t.to_string());
                } else {
                    p.after = p.start_after.as_deref().map(Position::key);
                }
            }
            Version::V1 => {
                p.marker = q.get("marker").filter(|s| !s.is_empty()).map(str::to_string);
                p.after = p.marker.as_deref().map(Position::key);
            }
        }
        Ok(p)
    }
}

/// One listed entry, relative to the listed bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Object(ListedObject),
    Prefix(String),
}

impl Entry {
    pub fn name(&self) -> &str {
        match self {
            Entry::Object(o) => &o.key,
            Entry::Prefix(p) => p,
        }
    }

    pub fn position(&self) -> Position {
        Position {
            value: self.name().to_string(),
            is_prefix: matches!(self, Entry::Prefix(_)),
        }
    }
}

pub struct ListOutput {
    pub entries: Vec<Entry>,
    /// Where the next page starts; `None` when this is the last page.
    pub next: Option<Position>,
}

fn enc(s: &str, url: bool) -> Cow<'_, str> {
    if url {
        Cow::Owned(crate::sigv4::uri_encode(s, false))
    } else {
        Cow::Borrowed(s)
    }
}

/// Appends the decimal digits of `n`.
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        // A digit: `n % 10` is below 10.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
}

/// Writes `LastModified` values (`format_iso8601_millis`) for a page of
/// keys without formatting each one: the date part is computed once per
/// day seen in a row, the time of day is plain arithmetic.
#[derive(Default)]
pub(crate) struct DateWriter {
    /// The day (Unix days) whose `YYYY-MM-DDT` is in `date`.
    day: Option<i64>,
    date: String,
}

impl DateWriter {
    /// The first millisecond not written by the fast path: year 10000.
    /// Past it (and before 1970) the date goes through the general formatter.
    const END_MS: i64 = 253_402_300_800_000;

    pub(crate) fn write(&mut self, out: &mut String, ms: i64) {
        if !(0..Self::END_MS).contains(&ms) {
            out.push_str(&format_iso8601_millis(ms));
            return;
        }
        let day = ms / 86_400_000;
        if self.day != Some(day) {
            let full = format_iso8601_millis(day * 86_400_000);
            self.date.clear();
            // `YYYY-MM-DDT`: every year in the fast path has four digits.
            self.date.push_str(full.get(..11).unwrap_or(&full));
            self.day = Some(day);
        }
        out.push_str(&self.date);
        // `ms` is non-negative here.
        let in_day = u64::try_from(ms % 86_400_000).unwrap_or(0);
        // `HH:MM:SS.mmmZ`, written whole.
        let mut t = *b"00:00:00.000Z";
        for (at, v, width) in [
            (0, in_day / 3_600_000, 2),
            (3, in_day / 60_000 % 60, 2),
            (6, in_day / 1000 % 60, 2),
            (9, in_day % 1000, 3),
        ] {
            let mut v = v;
            for d in t[at..at + width].iter_mut().rev() {
                // A digit: `v % 10` is below 10.
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        out.push_str(std::str::from_utf8(&t).unwrap_or_default());
    }
}

/// Renders ListBucketResult (V1 or V2). `bucket` is the `Name`; a next
/// token is sealed for `scope`.
pub fn render(bucket: &str, p: &ListParams, out: &ListOutput, owner: &str, scope: &TokenScope) -> Vec<u8> {
    let u = p.encoding_url;
    // About 250 bytes per listed entry.
    let mut x = Xml::with_capacity(512 + out.entries.len() * 256);
    x.open_ns("ListBucketResult", S3_NS)
        .elem("Name", bucket)
        .elem("Prefix", &enc(&p.prefix, u));
    let next = out.next.as_ref();
    match p.version {
        Version::V2 => {
            if let Some(t) = &p.continuation_token {
                x.elem("ContinuationToken", t);
            }
            if let Some(n) = next {
                x.elem("NextContinuationToken", &p.binding(scope).seal(n));
            }
            if let Some(s) = &p.start_after {
                x.elem("StartAfter", &enc(s, u));
            }
            x.elem("KeyCount", &out.entries.len().to_string());
        }
        Version::V1 => {
            x.elem("Marker", &enc(p.marker.as_deref().unwrap_or(""), u));
            // S3 sends NextMarker only with a delimiter: otherwise clients
            // resume after the last key. A page ended by something else
            // (the end of an empty part, see `s3::walk`) still says where.
            let last_key = out.entries.iter().rev().find_map(|e| match e {
                Entry::Object(o) => Some(o.key.as_str()),
                Entry::Prefix(_) => None,
            });
            if let Some(n) = next.filter(|n| p.delimiter.is_some() || last_key != Some(n.value.as_str())) {
                x.elem("NextMarker", &enc(&n.value, u));
            }
        }
    }
    x.elem("MaxKeys", &p.max_keys.to_string());
    if let Some(d) = &p.delimiter {
        x.elem("Delimiter", &enc(d, u));
    }
    if u {
        x.elem("EncodingType", "url");
    }
    x.elem("IsTruncated", if next.is_some() { "true" } else { "false" });
    let with_owner = p.fetch_owner || p.version == Version::V1;
    let mut dates = DateWriter::default();
    for e in &out.entries {
        if let Entry::Object(o) = e {
            // The fixed markup between the fields goes in one piece each:
            // this runs for every key of the page. Dates and sizes are digits
            // and ASCII punctuation: nothing to escape.
            let doc = x.raw();
            doc.push_str("<Contents><Key>");
            escape_into(doc, &enc(&o.key, u));
            doc.push_str("</Key><LastModified>");
            dates.write(doc, o.last_modified_ms);
            doc.push_str("</LastModified><ETag>");
            escape_into(doc, &o.etag);
            doc.push_str("</ETag><Size>");
            push_decimal(doc, o.size);
            doc.push_str("</Size><StorageClass>STANDARD</StorageClass>");
            if with_owner {
                x.open("Owner")
                    .elem("ID", owner)
                    .elem("DisplayName", owner)
                    .close("Owner");
            }
            x.close("Contents");
        }
    }
    for e in &out.entries {
        if let Entry::Prefix(cp) = e {
            x.open("CommonPrefixes")
                .elem("Prefix", &enc(cp, u))
                .close("CommonPrefixes");
        }
    }
    x.close("ListBucketResult").finish()
}

#[cfg(test)]
mod tests;
