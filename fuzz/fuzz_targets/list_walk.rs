//! Listing rollup against the brute-force model: a small key set and any
//! listing parameters (prefix, delimiter, max-keys, start-after or marker,
//! a continuation token, a role ceiling, both levels, V1 and V2) driven
//! through the real lister (`ListParams::parse`, `s3::walk::Walk` over the
//! in-memory R2, `render`), page after page with the tokens or markers the
//! pages hand out, compared with `s3::list_model` page by page; paging to
//! the end gives exactly the model's whole listing, each name once. The
//! backend is only asked for what the ceiling lets the caller read.
//!
//! Input lines: control bytes, prefix, delimiter, start position, ceiling
//! key prefixes (comma-separated), then one key a line. Control bytes:
//!   [0] bit 0 V2, 1 account level (`GET /acct`, product `p` a folder),
//!       2 send the delimiter, 3 V2 starts from a sealed token (else
//!       start-after/marker), 4 that token is a common prefix's, 5 the token
//!       is forged (it must be refused), 6 a ceiling applies (`role|policy`
//!       prefixes: a session policy's intersected with it), 7 a short
//!       `max_name` (long-name skipping with short keys)
//!   [1] max-keys, [2] backend prefix, [3] the short `max_name`
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::error::ProxyError;
use oidc_data_proxy::http::Query;
use oidc_data_proxy::platform::{ListRequest, Platform};
use oidc_data_proxy::route::MAX_KEY_BYTES;
use oidc_data_proxy::s3::keyspace::{scans, BACKEND_KEY_BYTES};
use oidc_data_proxy::s3::list::{render, Entry, ListOutput, ListParams, Position, TokenScope, Version};
use oidc_data_proxy::s3::list_model::{self, ModelQuery};
use oidc_data_proxy::s3::token::{peek, Binding, TokenKeys};
use oidc_data_proxy::s3::walk::{Range, Walk, MAX_BACKEND_CALLS};
use oidc_data_proxy::sts::ceiling::Ceiling;
use oidc_data_proxy::testing::{block_on, FakePlatform};
use oidc_data_proxy_fuzz::{fields, text, xml};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

const MAX_KEYS_CHOICES: [u32; 10] = [0, 1, 1, 2, 2, 3, 5, 1000, 7, 4];
const BASES: [&str; 4] = ["", "b/", "base/x-", "日/"];

struct Case {
    v2: bool,
    account: bool,
    root: &'static str,
    base: &'static str,
    max_name: usize,
    ceiling: Option<Ceiling>,
    /// Key prefixes of the role's ceiling and, if any, of a session policy.
    allowed: Option<Vec<Vec<String>>>,
}

impl Case {
    fn bucket(&self) -> &'static str {
        if self.account {
            "acct"
        } else {
            "acct/p"
        }
    }

    /// The caller may read `rel` (a key relative to the product).
    fn may_read(&self, rel: &str) -> bool {
        self.allowed
            .as_ref()
            .is_none_or(|sets| sets.iter().all(|a| a.iter().any(|pre| rel.starts_with(pre.as_str()))))
    }
}

fn param(name: &str, value: &str) -> String {
    format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC))
}

/// One page through the real lister, as `proxy::list` drives it.
fn list_page(p: &FakePlatform, c: &Case, params: &ListParams) -> ListOutput {
    let mut w = Walk::new(
        &params.prefix,
        params.delimiter.as_deref(),
        params.after.clone(),
        params.max_keys,
    );
    let within = |w: &mut Walk, root: &str, inner: &str| {
        let allowed: Option<Vec<&str>> = c.ceiling.as_ref().and_then(|x| x.key_prefixes("acct", "p"));
        let parts = scans(inner, allowed.as_deref());
        if w.done() || parts.iter().all(|s| w.covers(&format!("{root}{s}"))) {
            return;
        }
        let shown = |name: &str, is_prefix: bool| match name.strip_prefix(root) {
            Some(rel) => c
                .ceiling
                .as_ref()
                .is_none_or(|x| x.allows_listed("acct", "p", rel, is_prefix)),
            None => is_prefix,
        };
        for scan in &parts {
            let range = Range {
                base: c.base,
                root,
                scan,
                max_name: c.max_name,
            };
            block_on(w.range(&range, async |req: &ListRequest| p.r2_list("DATA", req).await, &shown))
                .unwrap_or_else(|e| panic!("the walk failed: {e:?}"));
        }
    };
    if c.account {
        match params.prefix.find('/') {
            Some(i) => {
                if &params.prefix[..i] == "p" {
                    within(&mut w, c.root, &params.prefix[i + 1..]);
                }
            }
            None => {
                if !w.done() && c.root.starts_with(params.prefix.as_str()) {
                    w.folder(c.root);
                    if !w.done() && !w.covers(c.root) {
                        within(&mut w, c.root, "");
                    }
                }
            }
        }
    } else {
        within(&mut w, "", &params.prefix);
    }
    w.finish()
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 6);
    let ctl = |i: usize| f[0].get(i).copied().unwrap_or(0);
    let (prefix, delimiter, start, ceiling_line) = (text(f[1]), text(f[2]), text(f[3]), text(f[4]));
    let flags = ctl(0);
    let account = flags & 2 != 0;
    let root = if account { "p/" } else { "" };
    let base = BASES[ctl(2) as usize % BASES.len()];
    // `role|policy`: with a `|`, the listing is bounded by a session policy's
    // prefixes too, intersected with the role's as `sts::policy` does.
    let sets: Option<Vec<Vec<String>>> = (flags & 64 != 0).then(|| {
        ceiling_line
            .split('|')
            .take(2)
            .map(|part| part.split(',').take(12).map(str::to_string).collect())
            .collect()
    });
    let parse = |a: &[String]| Ceiling::parse(&a.iter().map(|pre| format!("acct/p/{pre}*")).collect::<Vec<_>>());
    let ceiling = match &sets {
        Some(sets) => {
            let mut parsed = Vec::new();
            for s in sets {
                match parse(s) {
                    Ok(x) => parsed.push(x),
                    Err(_) => return,
                }
            }
            parsed.into_iter().reduce(|a, b| a.intersect(&b))
        }
        None => None,
    };
    // The model: a key is readable when it starts with a prefix of every set.
    let c_allowed = sets;
    let c = Case {
        v2: flags & 1 != 0,
        account,
        root,
        base,
        // As `proxy::list`: a client sees `{product}/{key}`, at most 1024 bytes.
        max_name: match flags & 128 != 0 {
            // Never below the product's own folder name, as in production.
            true => root.len() + 1 + ctl(3) as usize % 12,
            false => MAX_KEY_BYTES + root.len() - 2,
        },
        ceiling,
        allowed: c_allowed,
    };
    let max_keys = MAX_KEYS_CHOICES[ctl(1) as usize % MAX_KEYS_CHOICES.len()];

    let p = FakePlatform::default();
    p.buckets.borrow_mut().entry("DATA".into()).or_default();
    let mut keys: Vec<String> = text(f[5])
        .split('\n')
        .filter(|k| !k.is_empty() && base.len() + k.len() <= BACKEND_KEY_BYTES)
        .take(48)
        .map(str::to_string)
        .collect();
    keys.sort();
    keys.dedup();
    for k in &keys {
        p.put("DATA", &format!("{base}{k}"), b"x");
    }
    // The model's names: what the caller may read, relative to the listed bucket.
    let names: Vec<String> = keys
        .iter()
        .filter(|k| c.may_read(k))
        .map(|k| format!("{root}{k}"))
        .collect();
    let phantoms: Vec<String> = if account { vec![root.to_string()] } else { vec![] };

    let tokens = TokenKeys::new(vec![[7; 32]]);
    let scope = TokenScope {
        keys: &tokens,
        bucket: c.bucket(),
    };
    let delimiter = (flags & 4 != 0).then_some(delimiter);
    let mut base_query = vec![param("max-keys", &max_keys.to_string())];
    if c.v2 {
        base_query.push("list-type=2".into());
    }
    base_query.push(param("prefix", &prefix));
    if let Some(d) = &delimiter {
        base_query.push(param("delimiter", d));
    }
    let delim = delimiter.as_deref().filter(|d| !d.is_empty());
    let mut start_pos: Option<Position> = None;
    let mut first = base_query.clone();
    let forged = c.v2 && flags & 8 != 0 && flags & 32 != 0;
    if start.len() > MAX_KEY_BYTES {
        return;
    }
    if c.v2 && flags & 8 != 0 {
        let pos = Position {
            value: start.clone(),
            is_prefix: flags & 16 != 0,
        };
        let b = Binding {
            keys: &tokens,
            bucket: c.bucket(),
            prefix: &prefix,
            delimiter: delim,
        };
        let mut t = b.seal(&pos);
        let other_prefix = format!("{prefix}z");
        if forged {
            // Sealed for another listing, or altered by hand.
            t = match start.len() % 3 {
                0 => Binding {
                    prefix: &other_prefix,
                    ..b
                }
                .seal(&pos),
                1 => format!("{}{}", &t[..t.len() - 1], if t.ends_with('A') { 'B' } else { 'A' }),
                _ => Binding {
                    bucket: if account { "acct/p" } else { "acct" },
                    ..b
                }
                .seal(&pos),
            };
        }
        first.push(param("continuation-token", &t));
        start_pos = Some(pos);
    } else if !start.is_empty() {
        first.push(param(if c.v2 { "start-after" } else { "marker" }, &start));
        start_pos = Some(Position::key(&start));
    }

    let ctx = format!("{:?}", first.join("&"));
    let model_q = ModelQuery {
        prefix: &prefix,
        delimiter: delim,
        max_keys: max_keys as usize,
        max_name: c.max_name,
    };
    let visible = |n: &str| names.iter().chain(&phantoms).any(|k| k.starts_with(n));
    let mut query = first.join("&");
    let mut pos = start_pos.clone();
    let mut seen: Vec<String> = Vec::new();
    let mut ended = false;
    for _ in 0..200 {
        let q = Query::parse(&query).expect("a query we built");
        let params = match ListParams::parse(&q, &scope) {
            Ok(params) => params,
            Err(ProxyError::KeyTooLong) if seen.is_empty() => return,
            Err(ProxyError::InvalidArgument(m)) if forged && seen.is_empty() => {
                assert!(m.contains("continuation token"), "{ctx}: {m}");
                return;
            }
            Err(e) => panic!("{ctx}: {query}: {e:?}"),
        };
        assert!(
            !(forged && seen.is_empty() && pos == start_pos),
            "{ctx}: a forged token was taken"
        );
        let asked = p.r2_lists.borrow().len();
        let out = list_page(&p, &c, &params);
        let calls = p.r2_lists.borrow().len() - asked;
        assert!(calls <= MAX_BACKEND_CALLS, "{ctx}: {calls} backend calls");
        for r in &p.r2_lists.borrow()[asked..] {
            let rel = r
                .prefix
                .strip_prefix(base)
                .unwrap_or_else(|| panic!("{ctx}: asked for {r:?}"));
            // Only inside what every set allows (the role's and the policy's).
            assert!(c.may_read(rel), "{ctx}: asked the backend for {r:?}");
        }
        let got: Vec<(String, bool)> = out
            .entries
            .iter()
            .map(|e| (e.name().to_string(), matches!(e, Entry::Prefix(_))))
            .collect();

        // The page as a client reads it.
        let name = if account { "acct" } else { "p" };
        let body = render(name, &params, &out, "acct", &scope);
        let doc = xml::parse(&body).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let truncated = doc.first("/ListBucketResult/IsTruncated") == Some("true");
        assert_eq!(truncated, out.next.is_some(), "{ctx}");
        let next: Option<Position> = match (truncated, params.version) {
            (false, _) => None,
            (true, Version::V2) => {
                let t = doc.first("/ListBucketResult/NextContinuationToken").expect("a token");
                Some(peek(t).expect("our token"))
            }
            (true, Version::V1) => {
                let m = doc
                    .first("/ListBucketResult/NextMarker")
                    .or_else(|| doc.all("/ListBucketResult/Contents/Key").last())
                    .unwrap_or_else(|| panic!("{ctx}: truncated V1 page without a marker"));
                Some(Position::key(m))
            }
        };
        let want = list_model::page(&names, &phantoms, &model_q, pos.as_ref());
        if calls < MAX_BACKEND_CALLS {
            assert_eq!(got, want.entries, "{ctx} at {pos:?}");
            assert_eq!(
                next.as_ref().map(|n| &n.value),
                want.next.as_ref().map(|n| &n.value),
                "{ctx} at {pos:?}"
            );
        } else {
            // Cut short by the call budget: a prefix of the model's page, truncated.
            assert!(want.entries.starts_with(&got), "{ctx} at {pos:?}: {got:?}");
            assert!(next.is_some() || got == want.entries, "{ctx}: short and not truncated");
        }
        for (n, _) in &got {
            assert!(!seen.contains(n), "{ctx}: {n:?} listed twice");
            seen.push(n.clone());
        }
        let Some(n) = next else {
            ended = true;
            break;
        };
        // A resume position names nothing the caller may not read.
        let part = n.value.strip_prefix(root).is_some_and(|rel| c.may_read(rel)) || (account && n.value == root);
        assert!(
            visible(&n.value) || part,
            "{ctx}: resumes at a hidden name {:?}",
            n.value
        );
        let mut qn = base_query.clone();
        match params.version {
            Version::V2 => qn.push(param(
                "continuation-token",
                doc.first("/ListBucketResult/NextContinuationToken").unwrap_or_default(),
            )),
            Version::V1 => qn.push(param("marker", &n.value)),
        }
        query = qn.join("&");
        pos = Some(n);
    }
    assert!(ended, "{ctx}: does not end");
    if max_keys > 0 {
        let q = ModelQuery {
            max_keys: 1000,
            ..model_q
        };
        let all: Vec<String> = list_model::pages(&names, &phantoms, &q, start_pos, 100)
            .into_iter()
            .flat_map(|p| p.entries.into_iter().map(|(n, _)| n))
            .collect();
        assert_eq!(seen, all, "{ctx}: the whole listing");
    }
});
