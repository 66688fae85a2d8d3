//! Randomized listings against the brute-force model: thousands of key sets
//! (delimiters at many depths, multi-byte UTF-8, keys equal to prefixes,
//! keys at the 1024-byte edge), principals with role ceilings, both levels,
//! V1 and V2; whole page sequences must match S3's rules page by page.

use super::list::{config, list, param, Caller, Page};
use crate::proxy::list::token_keys;
use crate::s3::list::Position;
use crate::s3::list_model::{self, ModelQuery};
use crate::s3::token::{peek, Binding, TokenKeys};
use crate::s3::walk::MAX_BACKEND_CALLS;
use crate::state::Isolate;
use crate::testing::FakePlatform;

/// SplitMix64: deterministic, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ACCOUNT: &str = "acct";
/// Products: name, visibility, backend prefix. Names sort differently from
/// their roots (`p/` sorts after `p-q/` and `p.r/`). `long-product-name/` is
/// longer than its backend prefix: its longest backend keys are over 1024
/// bytes as the client sees them (`{product}/{key}`), so never listed.
const PRODUCTS: [(&str, &str, &str); 6] = [
    ("p", "public", "base/p/"),
    ("p-q", "public", "base/pq/"),
    ("p.r", "restricted", "base/pr/"),
    ("u", "unlisted", "base/u/"),
    ("w", "public", "w/"),
    ("long-product-name", "public", "l/"),
];

/// The longest name a listing shows: 1024 bytes as the client sees keys
/// (`{product}/{key}`), relative to the listed bucket.
fn max_name(product: Option<usize>) -> usize {
    product.map_or(1024, |i| 1024 - PRODUCTS[i].0.len() - 1)
}

fn catalog() -> String {
    let products: Vec<String> = PRODUCTS
        .iter()
        .map(|(name, vis, prefix)| {
            format!(
                r#""{name}": {{"visibility": "{vis}", "backend": "r2", "prefix": "{prefix}",
                "grants": [{{"issuer": "{}", "subject": "alice"}}]}}"#,
                super::list::ISSUER
            )
        })
        .collect();
    format!(
        r#"{{"backends": {{"r2": {{"type": "r2", "binding": "DATA"}}}},
        "accounts": {{"{ACCOUNT}": {{"products": {{{}}}}}}}}}"#,
        products.join(",")
    )
}

/// Principals: subject (alice is granted `p.r`) and role ceiling.
const PRINCIPALS: [(&str, &[&str]); 7] = [
    ("", &[]),
    ("alice", &["*"]),
    (
        "alice",
        &["acct/p/a/*", "acct/p/b*", "acct/p.r/*", "acct/w/a\u{10FFFF}*"],
    ),
    ("bob", &["acct/p/a*", "acct/p/a/b*", "acct/p-q/é*"]),
    ("carol", &["acct/p/*", "acct/w/a/*"]),
    ("dave", &["acct/p-q", "acct/w/a-*", "acct/w/ab*"]),
    // More parts than one request may ask for: pages cut by the call budget.
    (
        "erin",
        &[
            "acct/p/a*",
            "acct/p/b*",
            "acct/p/é*",
            "acct/p//*",
            "acct/p/-*",
            "acct/p/日*",
            "acct/p/ab*",
            "acct/p/ *",
            "acct/p/&*",
            "acct/p/\u{10FFFF}*",
            "acct/w/b*",
        ],
    ),
];

const FRAGMENTS: [&str; 12] = [
    "a",
    "b",
    "/",
    "-",
    "é",
    "日",
    "\u{10FFFF}",
    "ab",
    "a/",
    "/b",
    "&<",
    " +",
];
const DELIMITERS: [&str; 9] = ["/", "/", "-", "a/", "/a", "é", "\u{10FFFF}", "ab", "//"];

fn fragments(rng: &mut Rng, max: usize) -> String {
    let n = 1 + rng.below(max);
    (0..n).map(|_| *rng.pick(&FRAGMENTS)).collect()
}

/// A key of `budget` bytes or fewer: usually short; sometimes a folder
/// (`ab/`, `é-`, …) holding one key of U+10FFFF up to the size limit, then
/// 1 to 3 bytes of a smaller character: the largest keys a folder can hold.
fn key(rng: &mut Rng, budget: usize) -> String {
    if !rng.chance(10) {
        return fragments(rng, 6);
    }
    let mut k = format!("{}{}", rng.pick(&["a", "ab", "é", "日", ""]), rng.pick(&DELIMITERS));
    while k.len() + 4 <= budget {
        k.push('\u{10FFFF}');
    }
    let tail = ["", "a", "é", "日", "ab", "aé", "abc", "\u{7F}", "\u{7FF}", "\u{FFFF}"];
    let fits: Vec<&str> = tail.into_iter().filter(|t| k.len() + t.len() <= budget).collect();
    let tail: &str = fits[rng.below(fits.len())];
    k.push_str(tail);
    k
}

/// Does the ceiling let the principal see `rel` in `product`? Independent of
/// `sts::ceiling` on purpose.
fn ceiling_allows(ceiling: &[&str], product: &str, rel: &str) -> bool {
    ceiling.iter().any(|c| {
        *c == "*"
            || *c == format!("{ACCOUNT}/*")
            || *c == format!("{ACCOUNT}/{product}")
            || c.strip_prefix(&format!("{ACCOUNT}/{product}/"))
                .and_then(|pre| pre.strip_suffix('*'))
                .is_some_and(|pre| rel.starts_with(pre))
    })
}

struct World {
    keys: Vec<Vec<String>>,
}

impl World {
    fn new(rng: &mut Rng, p: &FakePlatform) -> Self {
        let keys: Vec<Vec<String>> = PRODUCTS
            .iter()
            .map(|(_, _, base)| {
                let n = rng.below(26);
                let mut ks: Vec<String> = (0..n).map(|_| key(rng, 1024 - base.len())).collect();
                // Keys equal to a folder of another key.
                if let Some(k) = ks.first().cloned() {
                    if let Some(i) = k.rfind('/') {
                        ks.push(k[..=i].to_string());
                    }
                }
                ks.sort();
                ks.dedup();
                for k in &ks {
                    p.put("DATA", &format!("{base}{k}"), b"x");
                }
                ks
            })
            .collect();
        World { keys }
    }

    fn readable(&self, who: usize, product: usize) -> bool {
        let (subject, ceiling) = PRINCIPALS[who];
        let (name, vis, _) = PRODUCTS[product];
        let ceiling_ok = who == 0
            || ceiling
                .iter()
                .any(|c| ceiling_allows(&[c], name, "") || c.starts_with(&format!("{ACCOUNT}/{name}/")));
        ceiling_ok && (vis != "restricted" || subject == "alice")
    }

    fn visible(&self, who: usize, product: usize) -> Vec<String> {
        let name = PRODUCTS[product].0;
        let ceiling = PRINCIPALS[who].1;
        self.keys[product]
            .iter()
            .filter(|k| who == 0 || ceiling_allows(ceiling, name, k))
            .cloned()
            .collect()
    }

    /// (keys, phantoms) of the model for a listing at `path` with `prefix`.
    /// Keys too long to exist for an S3 client are phantoms: they only roll up.
    fn model_input(&self, who: usize, product: Option<usize>, prefix: &str) -> (Vec<String>, Vec<String>) {
        let (mut keys, mut phantoms) = self.names(who, product, prefix);
        let (long, fit): (Vec<String>, Vec<String>) = keys.drain(..).partition(|k| k.len() > max_name(product));
        phantoms.extend(long);
        (fit, phantoms)
    }

    fn names(&self, who: usize, product: Option<usize>, prefix: &str) -> (Vec<String>, Vec<String>) {
        if let Some(i) = product {
            return (self.visible(who, i), Vec::new());
        }
        let mut keys = Vec::new();
        let mut phantoms = Vec::new();
        for (i, (name, vis, _)) in PRODUCTS.iter().enumerate() {
            let named = prefix.split_once('/').map(|(p, _)| p);
            let shown = match named {
                Some(n) => n == *name && self.readable(who, i),
                None => *vis != "unlisted" && self.readable(who, i),
            };
            if shown {
                keys.extend(self.visible(who, i).iter().map(|k| format!("{name}/{k}")));
                phantoms.push(format!("{name}/"));
            }
        }
        (keys, phantoms)
    }
}

/// A start position: none, a key, part of one, a folder, or something else.
fn position(rng: &mut Rng, names: &[String]) -> Option<String> {
    if names.is_empty() || rng.chance(30) {
        return rng.chance(50).then(|| fragments(rng, 4));
    }
    let k = rng.pick(names).clone();
    let cut: Vec<usize> = (0..=k.len()).filter(|i| k.is_char_boundary(*i)).collect();
    Some(match rng.below(4) {
        0 => k,
        1 => k[..*rng.pick(&cut)].to_string(),
        2 => format!("{k}{}", fragments(rng, 2)),
        _ => format!("{k}{}", "\u{10FFFF}".repeat(1024usize.saturating_sub(k.len()) / 4)),
    })
}

struct Case {
    who: usize,
    product: Option<usize>,
    prefix: String,
    delimiter: Option<&'static str>,
    after: Option<String>,
    /// V2 starts from a token of ours for `after` (as a common prefix when
    /// `Some(true)`) instead of start-after.
    token: Option<bool>,
    /// That token was made for another listing (prefix, delimiter or level):
    /// it must be refused.
    foreign: bool,
    max_keys: usize,
    v2: bool,
    url: bool,
}

impl Case {
    fn new(rng: &mut Rng, world: &World) -> Self {
        let who = rng.below(PRINCIPALS.len());
        let product = rng.chance(50).then(|| rng.below(PRODUCTS.len()));
        let (names, _) = world.model_input(0, product, "");
        let mut all: Vec<String> = names;
        if product.is_none() {
            all.extend(PRODUCTS.iter().map(|(n, _, _)| format!("{n}/")));
        }
        let prefix = match position(rng, &all) {
            Some(p) if rng.chance(60) => {
                let cut: Vec<usize> = (0..=p.len().min(12)).filter(|i| p.is_char_boundary(*i)).collect();
                p[..*rng.pick(&cut)].to_string()
            }
            _ => String::new(),
        };
        Case {
            who,
            product,
            prefix,
            delimiter: rng.chance(75).then(|| *rng.pick(&DELIMITERS)),
            after: position(rng, &all).filter(|a| a.len() <= 1024),
            token: rng.chance(25).then(|| rng.chance(50)),
            foreign: rng.chance(15),
            max_keys: *rng.pick(&[0, 1, 1, 1, 2, 2, 3, 5, 1000, 5000]),
            v2: rng.chance(50),
            url: rng.chance(70),
        }
    }

    /// The position the listing starts from.
    fn start(&self) -> Option<Position> {
        let value = self.after.clone()?;
        let is_prefix = self.v2 && self.token == Some(true);
        Some(Position { value, is_prefix })
    }

    fn path(&self) -> String {
        match self.product {
            Some(i) => format!("/{ACCOUNT}/{}", PRODUCTS[i].0),
            None => format!("/{ACCOUNT}"),
        }
    }

    /// The listing a token of this case is bound to (`foreign`: another one).
    fn seal(&self, keys: &TokenKeys, pos: &Position) -> String {
        let bucket = match self.product {
            Some(i) => format!("{ACCOUNT}/{}", PRODUCTS[i].0),
            None => ACCOUNT.to_string(),
        };
        let other_prefix = format!("{}a", self.prefix);
        let mut b = Binding {
            keys,
            bucket: &bucket,
            prefix: &self.prefix,
            delimiter: self.delimiter,
        };
        if self.foreign {
            match self.prefix.len() % 3 {
                0 => b.prefix = &other_prefix,
                1 => b.delimiter = if b.delimiter.is_some() { None } else { Some("/") },
                _ => b.bucket = if self.product.is_some() { ACCOUNT } else { "acct/p" },
            }
        }
        b.seal(pos)
    }

    fn query(&self, resume: Option<&str>, keys: &TokenKeys) -> String {
        let mut q = vec![format!("max-keys={}", self.max_keys)];
        if self.v2 {
            q.push("list-type=2".into());
        }
        if self.url {
            q.push("encoding-type=url".into());
        }
        if !self.prefix.is_empty() {
            q.push(param("prefix", &self.prefix));
        }
        if let Some(d) = self.delimiter {
            q.push(param("delimiter", d));
        }
        match (resume, &self.after) {
            (Some(t), _) if self.v2 => q.push(param("continuation-token", t)),
            (Some(m), _) => q.push(param("marker", m)),
            (None, Some(_)) if self.v2 && self.token.is_some() => q.push(param(
                "continuation-token",
                &self.seal(keys, &self.start().unwrap_or_else(|| Position::key(""))),
            )),
            (None, Some(a)) => q.push(param(if self.v2 { "start-after" } else { "marker" }, a)),
            (None, None) => {}
        }
        q.join("&")
    }
}

/// What the cases covered, so a generator that degenerates shows.
#[derive(Debug, Default)]
struct Seen {
    pages: usize,
    with_prefixes: usize,
    truncated: usize,
    cut: usize,
    denied: usize,
    /// Foreign tokens refused.
    refused: usize,
    /// Pages of listings holding keys too long to list.
    with_long: usize,
    max_calls: usize,
}

/// Runs one case: every page against the model page at the same position.
fn check(rng_seed: u64, p: &FakePlatform, cfg: &Isolate, callers: &[Caller], world: &World, c: &Case, st: &mut Seen) {
    let tokens = token_keys(cfg.config.session_keys.as_ref());
    let ctx = format!("seed {rng_seed} who {} {} {}", c.who, c.path(), c.query(None, &tokens));
    let (keys, phantoms) = world.model_input(c.who, c.product, &c.prefix);
    let q = ModelQuery {
        prefix: &c.prefix,
        delimiter: c.delimiter,
        max_keys: c.max_keys.min(1000),
        max_name: max_name(c.product),
    };
    let visible = |n: &str| keys.iter().chain(&phantoms).any(|k| k.starts_with(n));
    let product_hidden = c.product.is_some_and(|i| !world.readable(c.who, i));
    let mut pos = c.start();
    let mut resume: Option<String> = None;
    let mut seen: Vec<String> = Vec::new();
    let mut ended = false;
    for _ in 0..400 {
        let (calls, asked) = (p.backend_calls.get(), p.r2_lists.borrow().len());
        let page: Page = list(p, cfg, &callers[c.who], &c.path(), &c.query(resume.as_deref(), &tokens));
        let calls = p.backend_calls.get() - calls;
        if c.v2 && c.token.is_some() && c.after.is_some() && c.foreign && resume.is_none() {
            // A token of another listing: refused before anything else.
            assert_eq!(page.status, 400, "{ctx}: {}", page.body);
            assert!(page.body.contains("<Code>InvalidArgument</Code>"), "{ctx}");
            assert_eq!(calls, 0, "{ctx}");
            st.refused += 1;
            return;
        }
        for r in &p.r2_lists.borrow()[asked..] {
            assert!(may_ask(c.who, &r.prefix), "{ctx}: asked the backend for {r:?}");
        }
        if product_hidden {
            assert_eq!(page.status, 404, "{ctx}: {}", page.body);
            st.denied += 1;
            return;
        }
        st.pages += 1;
        st.with_long += usize::from(phantoms.iter().any(|n| n.len() > q.max_name));
        st.with_prefixes += usize::from(page.entries.iter().any(|(_, cp)| *cp));
        st.truncated += usize::from(page.truncated);
        st.cut += usize::from(calls == MAX_BACKEND_CALLS);
        st.max_calls = st.max_calls.max(calls);
        assert_eq!(page.status, 200, "{ctx}: {}", page.body);
        assert!(calls <= MAX_BACKEND_CALLS, "{ctx}: {calls} backend calls");
        let want = list_model::page(&keys, &phantoms, &q, pos.as_ref());
        let next = page_next(&page, c, &ctx);
        if calls < MAX_BACKEND_CALLS {
            assert_eq!(page.entries, want.entries, "{ctx} at {pos:?}");
            assert_eq!(
                next.as_ref().map(|n| &n.value),
                want.next.as_ref().map(|n| &n.value),
                "{ctx} at {pos:?}"
            );
        } else {
            // Cut short by the call budget: a prefix of the model's page, and truncated.
            assert!(
                want.entries.starts_with(&page.entries),
                "{ctx} at {pos:?}: {:?}",
                page.entries
            );
            assert!(
                next.is_some() || page.entries == want.entries,
                "{ctx}: short and not truncated"
            );
        }
        for (name, _) in &page.entries {
            assert!(!seen.contains(name), "{ctx}: {name:?} listed twice");
            seen.push(name.clone());
        }
        let Some(n) = next else {
            ended = true;
            break;
        };
        // An empty page cut by the budget resumes after the last part it asked
        // for: a product root or a prefix of the caller's own ceiling.
        let part_end = page.entries.is_empty() && may_ask_name(c, &n.value);
        assert!(
            visible(&n.value) || part_end,
            "{ctx}: resume at a hidden name {:?}",
            n.value
        );
        resume = Some(if c.v2 {
            page.token.clone().unwrap_or_default()
        } else {
            n.value.clone()
        });
        pos = Some(n);
    }
    assert!(ended, "{ctx}: does not end");
    // Nothing dropped: every name of the whole listing was seen once.
    let all: Vec<String> = list_model::pages(&keys, &phantoms, &ModelQuery { max_keys: 1000, ..q }, c.start(), 100)
        .into_iter()
        .flat_map(|p| p.entries.into_iter().map(|(n, _)| n))
        .collect();
    if q.max_keys > 0 {
        assert_eq!(seen, all, "{ctx}");
    }
}

/// Where the page says the listing resumes, as a client reads it.
fn page_next(page: &Page, c: &Case, ctx: &str) -> Option<Position> {
    if !page.truncated {
        assert!(
            page.token.is_none() && page.next_marker.is_none(),
            "{ctx}: {}",
            page.body
        );
        return None;
    }
    if c.v2 {
        let t = page
            .token
            .as_deref()
            .unwrap_or_else(|| panic!("{ctx}: truncated without a token"));
        return Some(peek(t).unwrap());
    }
    let last_key = page.entries.iter().filter(|(_, cp)| !cp).map(|(k, _)| k.clone()).max();
    match (&page.next_marker, c.delimiter) {
        (Some(m), _) => Some(Position::key(m)),
        (None, None) => Some(Position::key(&last_key.unwrap_or_else(|| panic!("{ctx}: no marker")))),
        (None, Some(_)) => panic!("{ctx}: truncated V1 with a delimiter and no NextMarker"),
    }
}

#[test]
#[allow(clippy::print_stderr)] // the run's coverage, for whoever reads the test output
fn randomized_listings_match_the_model() {
    let cases: u64 = std::env::var("ODP_LIST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let cfg = config(Some(&catalog()));
    let mut st = Seen::default();
    for seed in 0..cases / 30 {
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x51_7CC1);
        let p = FakePlatform::default();
        let world = World::new(&mut rng, &p);
        let callers: Vec<Caller> = PRINCIPALS
            .iter()
            .enumerate()
            .map(|(i, (sub, ceiling))| match i {
                0 => Caller::Anonymous,
                _ => Caller::session(&cfg, &p, sub, ceiling),
            })
            .collect();
        for _ in 0..30 {
            let c = Case::new(&mut rng, &world);
            check(seed, &p, &cfg, &callers, &world, &c, &mut st);
        }
    }
    eprintln!("{cases} cases: {st:?}");
    let n = usize::try_from(cases).unwrap();
    assert!(
        st.pages > n
            && st.with_prefixes > n / 10
            && st.truncated > n / 10
            && st.denied > 0
            && st.refused > 0
            && st.with_long > n / 100,
        "{st:?}"
    );
}

/// Is `name` (in the listing's terms) the start of a part the case may list?
fn may_ask_name(c: &Case, name: &str) -> bool {
    let (product, rel) = match c.product {
        Some(i) => (i, name),
        None => match PRODUCTS.iter().position(|(n, _, _)| name.starts_with(&format!("{n}/"))) {
            Some(i) => (i, &name[PRODUCTS[i].0.len() + 1..]),
            None => return false,
        },
    };
    may_ask(c.who, &format!("{}{rel}", PRODUCTS[product].2))
}

/// May the principal's listing ask the backend for this (absolute) prefix?
/// Only inside what its ceiling lets it read: hidden names are never fetched.
fn may_ask(who: usize, prefix: &str) -> bool {
    PRODUCTS.iter().any(|(name, _, base)| {
        prefix.strip_prefix(base).is_some_and(|rel| {
            let ceiling = PRINCIPALS[who].1;
            who == 0 || ceiling_allows(ceiling, name, rel)
        })
    })
}
