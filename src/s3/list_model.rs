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
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(ToString::to_string).collect()
    }

    fn names(p: &ModelPage) -> Vec<&str> {
        p.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    const Q: ModelQuery = ModelQuery {
        prefix: "",
        delimiter: Some("/"),
        max_keys: 1000,
        max_name: 1024,
    };

    /// The answers of s3-tests' delimiter-and-marker case (V1, `/`).
    #[test]
    fn pages_with_common_prefixes_resume_after_them() {
        let k = keys(&["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"]);
        let q = ModelQuery { max_keys: 1, ..Q };
        let ps = pages(&k, &[], &q, None, 10);
        let got: Vec<Vec<&str>> = ps.iter().map(names).collect();
        assert_eq!(got, vec![vec!["asdf"], vec!["boo/"], vec!["cquux/"]]);
        assert_eq!(
            ps[1].next,
            Some(Position {
                value: "boo/".into(),
                is_prefix: true
            })
        );
        assert_eq!(ps[2].next, None);
        let q = ModelQuery {
            prefix: "boo/",
            max_keys: 2,
            ..Q
        };
        assert_eq!(names(&page(&k, &[], &q, None)), vec!["boo/bar", "boo/baz/"]);
    }

    #[test]
    fn a_position_inside_a_folder_rolls_its_later_keys_up() {
        let k = keys(&["many/1", "many/5", "many/6", "nested/a/b", "z"]);
        let at = |s: &str| Some(Position::key(s));
        assert_eq!(
            names(&page(&k, &[], &Q, at("many/5").as_ref())),
            vec!["many/", "nested/", "z"]
        );
        assert_eq!(names(&page(&k, &[], &Q, at("many/6").as_ref())), vec!["nested/", "z"]);
        assert_eq!(names(&page(&k, &[], &Q, at("many/").as_ref())), vec!["nested/", "z"]);
        assert_eq!(names(&page(&k, &[], &Q, at("nested/a").as_ref())), vec!["nested/", "z"]);
    }

    #[test]
    fn phantoms_show_only_as_common_prefixes() {
        let ph = keys(&["a/", "b-c/"]);
        assert_eq!(names(&page(&[], &ph, &Q, None)), vec!["a/", "b-c/"]);
        let dash = ModelQuery {
            delimiter: Some("-"),
            ..Q
        };
        assert_eq!(names(&page(&[], &ph, &dash, None)), vec!["b-"]);
        let none = ModelQuery { delimiter: None, ..Q };
        assert!(page(&[], &ph, &none, None).entries.is_empty());
    }

    #[test]
    fn max_keys_zero_is_an_empty_last_page() {
        let p = page(&keys(&["a"]), &[], &ModelQuery { max_keys: 0, ..Q }, None);
        assert_eq!(
            p,
            ModelPage {
                entries: vec![],
                next: None
            }
        );
    }

    #[test]
    fn names_over_the_limit_only_roll_up() {
        let k = keys(&["a/long-key", "b/long", "long-key", "short"]);
        let q = ModelQuery { max_name: 7, ..Q };
        assert_eq!(names(&page(&k, &[], &q, None)), vec!["a/", "b/", "short"]);
        let none = ModelQuery { delimiter: None, ..q };
        assert_eq!(names(&page(&k, &[], &none, None)), vec!["b/long", "short"]);
        let deep = ModelQuery {
            prefix: "a/",
            max_name: 4,
            ..Q
        };
        assert!(page(&k, &[], &deep, None).entries.is_empty());
    }
}
