//! Canonicalization steps of AWS Signature Version 4, kept separate from the
//! signing so that a verifier can rebuild exactly what a client signed.
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>

use std::fmt::Write as _;

/// Percent-encodes `s` the SigV4 way: RFC 3986 unreserved characters
/// (`A-Za-z0-9-_.~`) are kept, every other UTF-8 byte becomes `%XX`
/// (uppercase hex). `/` is kept unless `encode_slash` (query keys and
/// values encode it, S3 object paths do not).
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (b == b'/' && !encode_slash);
        if keep {
            out.push(char::from(b));
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Canonical query string from DECODED `(key, value)` pairs: both sides are
/// encoded with [`uri_encode`] (slash encoded), pairs are sorted by encoded
/// key then encoded value (byte order), and joined with `&`. A key without a
/// value yields `key=`, as AWS requires.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    crate::sort::sort(&mut encoded);
    let parts: Vec<String> = encoded.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// SigV4 "Trimall": strip leading/trailing whitespace and collapse inner
/// runs of whitespace to a single space (same rule as botocore's
/// `' '.join(value.split())`).
fn trim_all(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Builds the canonical headers block and the `SignedHeaders` list.
///
/// Only headers named in `signed` are used (names compared
/// case-insensitively). Output names are lowercase and sorted; values are
/// trimmed ([`trim_all`]); several values of one header are joined with `,`
/// in their original order. Each canonical line ends with `\n`, as in the
/// AWS definition of `CanonicalHeaders`.
///
/// A name in `signed` with no matching header is left out of both strings,
/// so a verifier can detect it by comparing the returned `SignedHeaders`
/// with the one the client claimed.
pub fn canonical_headers(headers: &[(String, String)], signed: &[&str]) -> (String, String) {
    let mut names: Vec<String> = signed.iter().map(|n| n.trim().to_ascii_lowercase()).collect();
    crate::sort::sort(&mut names);
    names.dedup();

    let mut canonical = String::new();
    let mut signed_names: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let values: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(&name))
            .map(|(_, v)| trim_all(v))
            .collect();
        if values.is_empty() {
            continue;
        }
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
        signed_names.push(name);
    }
    (canonical, signed_names.join(";"))
}

/// The canonical request. `canonical_uri` is used verbatim: for S3 it is the
/// path exactly as sent on the wire (S3 does not normalize or double-encode).
/// `canonical_headers` is the `\n`-terminated block from
/// [`canonical_headers`], hence no extra separator after it.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!("{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}")
}

#[cfg(test)]
mod tests;
