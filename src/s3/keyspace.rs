//! Key-space arithmetic for listings: common prefixes, exclusive resume
//! bounds a backend understands, and the parts of a product a caller may list.

/// Backends (R2, S3) store keys of at most this many UTF-8 bytes.
pub const BACKEND_KEY_BYTES: usize = 1024;

/// The common prefix `name` rolls up into: `prefix` plus the rest of `name`
/// up to and including the first `delimiter` after `prefix`.
pub fn common_prefix<'a>(name: &'a str, prefix: &str, delimiter: Option<&str>) -> Option<&'a str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    let rest = name.strip_prefix(prefix)?;
    rest.find(d).map(|i| &name[..prefix.len() + i + d.len()])
}

/// Does every key below `between` (the part of a backend prefix past the
/// listed prefix) roll up under the backend prefix exactly as under the
/// listed prefix? Not when `between` holds the delimiter, or ends with the
/// start of it (an occurrence would straddle the two).
pub fn same_rollup(between: &str, delimiter: &str) -> bool {
    let (g, d) = (between.as_bytes(), delimiter.as_bytes());
    !between.contains(delimiter) && (1..d.len()).all(|n| !g.ends_with(&d[..n]))
}

/// The largest UTF-8 string of at most `bytes` (< 4) bytes.
fn max_fill(bytes: usize) -> &'static str {
    match bytes {
        0 => "",
        1 => "\u{7F}",
        2 => "\u{7FF}",
        _ => "\u{FFFF}",
    }
}

/// An exclusive bound of at most [`BACKEND_KEY_BYTES`] that lets through
/// exactly the keys after `s`, however long `s` is: cut at a character
/// boundary and completed with the largest characters that fit, as no key
/// can run past the cut.
pub fn start_after_key(s: &str) -> String {
    if s.len() <= BACKEND_KEY_BYTES {
        return s.to_string();
    }
    let mut cut = BACKEND_KEY_BYTES;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}", &s[..cut], max_fill(BACKEND_KEY_BYTES - cut))
}

/// An exclusive bound above every key under `prefix`: the prefix padded
/// with U+10FFFF (the largest character) up to the key size limit, the last
/// 1 to 3 bytes with the largest character of that size.
pub fn start_after_prefix(prefix: &str) -> String {
    let mut s = prefix.to_string();
    while s.len() + 4 <= BACKEND_KEY_BYTES {
        s.push('\u{10FFFF}');
    }
    start_after_key(&format!("{s}{}", max_fill(BACKEND_KEY_BYTES.saturating_sub(s.len()))))
}

/// The prefixes (relative to the product) to ask a backend for, in order,
/// for a listing of `inner` by a caller who sees only keys under `allowed`
/// (`None`: every key): each allowed prefix intersected with `inner`, none
/// inside another.
pub fn scans(inner: &str, allowed: Option<&[&str]>) -> Vec<String> {
    let Some(allowed) = allowed else {
        return vec![inner.to_string()];
    };
    let mut v: Vec<&str> = allowed
        .iter()
        .filter_map(|a| match () {
            () if a.starts_with(inner) => Some(*a),
            () if inner.starts_with(a) => Some(inner),
            () => None,
        })
        .collect();
    crate::sort::sort(&mut v);
    let mut out: Vec<String> = Vec::new();
    for s in v {
        // Sorted: a prefix comes right before everything it contains.
        if out.last().is_none_or(|l| !s.starts_with(l.as_str())) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests;
