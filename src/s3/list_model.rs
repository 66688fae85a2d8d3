//! A brute-force lister: S3's listing rules in the plainest code, the
//! reference the real walk (`s3::walk`, through `proxy::list`) is tested
//! against, natively and by fuzz targets.
//!
//! The rules: the keys after the position that start with the prefix are
//! taken; a key whose rest (after the prefix) holds the delimiter becomes the
//! common prefix up to and including its first occurrence; a common prefix
//! equal to the position is skipped (a V1 `NextMarker` can be one); the
//! distinct names, in byte order, are cut after `max_keys`, and a truncated
//! page resumes after its last name (after everything under it when that
//! name is a common prefix). A name longer than `max_name` (a key the client
//! would see as over S3's 1024 bytes) is never listed: such a key still rolls
//! up into its common prefix when that fits (backends roll folders up without
//! telling their keys' lengths), but is not listed itself.

use std::collections::BTreeMap;

use super::list::Position;

/// One page as S3 answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPage {
    /// Names in order, each flagged `true` when it is a common prefix.
    pub entries: Vec<(String, bool)>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Position>,
}

/// What is listed and how.
#[derive(Debug, Clone, Copy)]
pub struct ModelQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub max_keys: usize,
    /// The longest name listed, in bytes.
    pub max_name: usize,
}

/// Is `name` after `pos`?
fn after(pos: Option<&Position>, name: &str) -> bool {
    pos.is_none_or(|p| name > p.value.as_str() && !(p.is_prefix && name.starts_with(p.value.as_str())))
}

/// The common prefix `key` rolls up into, if any.
fn common_prefix(key: &str, q: &ModelQuery) -> Option<String> {
    let d = q.delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(q.prefix)?;
    rest.find(d).map(|i| format!("{}{}", q.prefix, &rest[..i + d.len()]))
}

/// One page after `pos`. `keys` are the names the caller may see; `phantoms`
/// are names that only ever show as the common prefix they roll up into
/// (account-level products: a product is a folder even while empty).
pub fn page(keys: &[String], phantoms: &[String], q: &ModelQuery, pos: Option<&Position>) -> ModelPage {
    let mut names: BTreeMap<String, bool> = BTreeMap::new();
    let candidates = keys
        .iter()
        .map(|k| (k, false))
        .chain(phantoms.iter().map(|p| (p, true)));
    for (name, phantom) in candidates {
        if !name.starts_with(q.prefix) || !after(pos, name) {
            continue;
        }
        match common_prefix(name, q) {
            Some(cp) if pos.is_some_and(|p| p.value == cp) || cp.len() > q.max_name => {}
            Some(cp) => {
                names.insert(cp, true);
            }
            None if phantom || name.len() > q.max_name => {}
            None => {
                names.insert(name.clone(), false);
            }
        }
    }
    let truncated = q.max_keys > 0 && names.len() > q.max_keys;
    let entries: Vec<(String, bool)> = names.into_iter().take(q.max_keys).collect();
    let next = match entries.last() {
        Some((name, is_prefix)) if truncated => Some(Position {
            value: name.clone(),
            is_prefix: *is_prefix,
        }),
        _ => None,
    };
    ModelPage { entries, next }
}

/// Every page from `start` to the end (at most `max_pages`), following each
/// page's resume position as a client follows tokens.
pub fn pages(
    keys: &[String],
    phantoms: &[String],
    q: &ModelQuery,
    start: Option<Position>,
    max_pages: usize,
) -> Vec<ModelPage> {
    let mut out = Vec::new();
    let mut pos = start;
    while out.len() < max_pages {
        let p = page(keys, phantoms, q, pos.as_ref());
        pos = p.next.clone();
        out.push(p);
        if pos.is_none() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests;
