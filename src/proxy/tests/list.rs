//! Listings as S3 answers them: resume positions inside rolled-up folders,
//! role ceilings that hide names, and whole page sequences compared with the
//! brute-force model (`s3::list_model`).

use crate::http::Request;
use crate::platform::Platform;
use crate::s3::token::peek;
use crate::sigv4::{uri_encode, Credentials};
use crate::state::Isolate;
use crate::testing::{run, session_credentials, signed_request, FakePlatform};

const SESSION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(super) const ISSUER: &str = "http://127.0.0.1:8788";

pub(super) fn config(catalog: Option<&str>) -> Isolate {
    let catalog = catalog.map(str::to_string);
    Isolate::from_env(&move |n| match n {
        "SESSION_TOKEN_KEY" => Some(SESSION_KEY.to_string()),
        "STATIC_CATALOG" => catalog.clone(),
        _ => None,
    })
}

/// The caller of a listing: anonymous, or a session with its credentials.
pub(super) enum Caller {
    Anonymous,
    Session(Credentials),
}

impl Caller {
    pub(super) fn session(cfg: &Isolate, p: &FakePlatform, subject: &str, ceiling: &[&str]) -> Self {
        let exp = p.now_ms() / 1000 + 3600;
        Caller::Session(session_credentials(&cfg.config, ISSUER, subject, ceiling, exp))
    }
}

/// One listing answer, parsed.
#[derive(Debug)]
pub(super) struct Page {
    pub status: u16,
    pub body: String,
    /// Keys and common prefixes (flagged `true`), in name order.
    pub entries: Vec<(String, bool)>,
    pub truncated: bool,
    pub next_marker: Option<String>,
    pub token: Option<String>,
}

fn texts(body: &str, open: &str, close: &str) -> Vec<String> {
    body.split(open)
        .skip(1)
        .filter_map(|x| x.split(close).next())
        .map(str::to_string)
        .collect()
}

fn unescape(s: &str, url: bool) -> String {
    if url {
        return crate::http::percent_decode(s).unwrap();
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap() + i;
        let ent = &rest[i + 1..end];
        out.push(match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => char::from_u32(u32::from_str_radix(ent.trim_start_matches("#x"), 16).unwrap()).unwrap(),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

pub(super) fn list(p: &FakePlatform, cfg: &Isolate, who: &Caller, path: &str, query: &str) -> Page {
    let req = match who {
        Caller::Anonymous => Request::new("GET", path, query),
        Caller::Session(c) => signed_request("GET", "127.0.0.1:8787", path, query, c, p.now_ms()),
    };
    let (resp, body) = run(p, cfg, req);
    let body = String::from_utf8(body).unwrap();
    let url = body.contains("<EncodingType>url</EncodingType>");
    let mut entries: Vec<(String, bool)> = texts(&body, "<Contents><Key>", "</Key>")
        .iter()
        .map(|k| (unescape(k, url), false))
        .chain(
            texts(&body, "<CommonPrefixes><Prefix>", "</Prefix>")
                .iter()
                .map(|k| (unescape(k, url), true)),
        )
        .collect();
    entries.sort();
    let one = |open: &str, close: &str| texts(&body, open, close).first().cloned();
    Page {
        status: resp.status,
        entries,
        truncated: body.contains("<IsTruncated>true</IsTruncated>"),
        next_marker: one("<NextMarker>", "</NextMarker>").map(|m| unescape(&m, url)),
        token: one("<NextContinuationToken>", "</NextContinuationToken>"),
        body,
    }
}

/// `name=value` with the value percent-encoded.
pub(super) fn param(name: &str, value: &str) -> String {
    format!("{name}={}", uri_encode(value, true))
}

/// Follows a listing to its end (V2 tokens, or V1 markers: `NextMarker`, else
/// the last key, as clients do); returns every page.
pub(super) fn list_all(p: &FakePlatform, cfg: &Isolate, who: &Caller, path: &str, query: &str) -> Vec<Page> {
    let v2 = query.contains("list-type=2");
    let mut pages: Vec<Page> = Vec::new();
    let mut resume: Option<String> = None;
    loop {
        let q = match (&resume, v2) {
            (None, _) => query.to_string(),
            (Some(t), true) => format!("{query}&{}", param("continuation-token", t)),
            (Some(m), false) => {
                let rest: Vec<&str> = query.split('&').filter(|kv| !kv.starts_with("marker=")).collect();
                format!("{}&{}", rest.join("&"), param("marker", m))
            }
        };
        let page = list(p, cfg, who, path, &q);
        assert_eq!(page.status, 200, "{q}: {}", page.body);
        assert!(pages.len() < 2000, "{query}: does not end");
        resume = match (page.truncated, v2) {
            (false, _) => None,
            (true, true) => Some(page.token.clone().expect("a truncated V2 page has a token")),
            (true, false) => page.next_marker.clone().or_else(|| {
                let last_key = page.entries.iter().filter(|(_, cp)| !cp).map(|(k, _)| k).max();
                Some(last_key.expect("a truncated V1 page has NextMarker or a key").clone())
            }),
        };
        pages.push(page);
        if resume.is_none() {
            return pages;
        }
    }
}

pub(super) fn names(pages: &[Page]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.entries.iter().map(|(n, _)| n.clone()))
        .collect()
}

fn sample() -> FakePlatform {
    let p = FakePlatform::default();
    p.put("DATA", "demo/public-data/cities.csv", b"name,country\nParis,FR\n");
    p.put("DATA", "demo/public-data/nested/a/b/c.txt", b"c");
    for i in 0..1200 {
        p.put("DATA", &format!("demo/public-data/many/{i:05}.txt"), b"m");
    }
    p.put("DATA", "demo/public-data/odd/x.txt", b"x");
    p.put("DATA", "demo/restricted-data/secret.csv", b"secret");
    p
}

#[test]
fn a_resume_point_inside_a_folder_lists_the_folder() {
    let p = sample();
    let cfg = config(None);
    let a = Caller::Anonymous;
    let cases = [
        ("many/00005.txt", vec!["many/", "nested/", "odd/"]),
        ("many/01199.txt", vec!["nested/", "odd/"]),
        ("many/", vec!["nested/", "odd/"]),
        ("nested/a", vec!["nested/", "odd/"]),
        ("nested/", vec!["odd/"]),
        ("cities.csv", vec!["many/", "nested/", "odd/"]),
    ];
    for (after, want) in cases {
        for max in ["1", "2", "1000"] {
            for (v, param_name) in [("list-type=2&", "start-after"), ("", "marker")] {
                let q = format!("{v}delimiter=%2F&max-keys={max}&{}", param(param_name, after));
                let pages = list_all(&p, &cfg, &a, "/demo/public-data", &q);
                assert_eq!(names(&pages), want, "{q}");
                // The same at the account level, one product down.
                let deeper = format!("public-data/{after}");
                let q = format!(
                    "{v}delimiter=%2F&max-keys={max}&prefix=public-data%2F&{}",
                    param(param_name, &deeper)
                );
                let want: Vec<String> = want.iter().map(|w| format!("public-data/{w}")).collect();
                assert_eq!(names(&list_all(&p, &cfg, &a, "/demo", &q)), want, "{q}");
            }
        }
    }
}

#[test]
fn at_the_account_level_a_product_is_listed_while_keys_follow_the_position() {
    let p = sample();
    let cfg = config(None);
    let a = Caller::Anonymous;
    for (after, want) in [
        ("public-data/many/00005.txt", vec!["public-data/"]),
        ("public-data/odd/x.txt", vec![]),
        ("public-data/", vec![]),
        ("public-data", vec!["public-data/"]),
    ] {
        for v in ["list-type=2&start-after", "marker"] {
            let q = format!("{v}={}&delimiter=%2F&max-keys=1", uri_encode(after, true));
            assert_eq!(names(&list_all(&p, &cfg, &a, "/demo", &q)), want, "{q}");
        }
    }
}

#[test]
fn a_ceiling_leaks_no_hidden_name_through_markers_or_tokens() {
    let p = sample();
    let cfg = config(None);
    let nested = Caller::session(&cfg, &p, "carol", &["demo/public-data/nested/*"]);
    let hidden = ["cities", "many", "odd", "restricted"];
    for (path, q) in [
        ("/demo/public-data", "max-keys=1"),
        ("/demo/public-data", "list-type=2&max-keys=1"),
        ("/demo/public-data", "list-type=2&max-keys=1&delimiter=%2F"),
        ("/demo/public-data", "max-keys=1&delimiter=%2F"),
        ("/demo", "max-keys=1&prefix=public-data%2F"),
        ("/demo", "list-type=2&max-keys=1"),
        ("/demo", "list-type=2&max-keys=1&delimiter=%2F&prefix=public-data%2F"),
    ] {
        let pages = list_all(&p, &cfg, &nested, path, q);
        for page in &pages {
            let token = page.token.as_deref().map(|t| peek(t).unwrap().value);
            for text in [Some(page.body.as_str()), token.as_deref()].into_iter().flatten() {
                assert!(!hidden.iter().any(|h| text.contains(h)), "{path}?{q}: {text}");
            }
            assert!(!page.truncated || !page.entries.is_empty(), "{q}: no progress");
        }
        let want = if q.contains("delimiter") {
            "nested/"
        } else {
            "nested/a/b/c.txt"
        };
        let got = names(&pages);
        assert_eq!(got.len(), 1, "{path}?{q}: {got:?}");
        assert!(got[0].ends_with(want), "{path}?{q}: {got:?}");
    }
    // The backend was only ever asked inside the ceiling.
    let asked = p.r2_lists.borrow();
    assert!(
        asked.iter().all(|r| r.prefix.starts_with("demo/public-data/nested/")),
        "{asked:?}"
    );
    // `nested/` rolls up whole under `/`: one name is all it takes to know.
    assert!(asked.iter().all(|r| r.delimiter.is_none() || r.limit == 1), "{asked:?}");
}

#[test]
fn a_delimiter_straddling_a_ceiling_prefix_still_truncates_exactly() {
    let p = FakePlatform::default();
    for k in ["a/1", "a/2", "a/3", "a/4", "b"] {
        p.put("DATA", &format!("demo/public-data/{k}"), b"x");
    }
    let cfg = config(None);
    // The backend is asked under `a` with delimiter `a/`: it sees no `a/`
    // in `/1`, `/2`…, yet all of them roll up into `a/` here.
    let who = Caller::session(&cfg, &p, "carol", &["demo/public-data/a*"]);
    for v in ["", "list-type=2&"] {
        let pages = list_all(
            &p,
            &cfg,
            &who,
            "/demo/public-data",
            &format!("{v}delimiter=a%2F&max-keys=1"),
        );
        assert_eq!(pages.len(), 1, "one page, not truncated: {:?}", pages[0].body);
        assert_eq!(names(&pages), vec!["a/"]);
    }
}

/// Backend calls per page of a listing.
fn calls_per_page(p: &FakePlatform, cfg: &Isolate, path: &str, query: &str) -> Vec<usize> {
    let before = p.backend_calls.get();
    let pages = list_all(p, cfg, &Caller::Anonymous, path, query);
    assert_eq!(
        p.backend_calls.get() - before,
        pages.len(),
        "{query}: more than one call a page"
    );
    pages.iter().map(|pg| pg.entries.len()).collect()
}

#[test]
fn a_page_costs_one_backend_call_unless_it_starts_inside_a_folder() {
    let p = sample();
    let cfg = config(None);
    let path = "/demo/public-data";
    assert_eq!(
        calls_per_page(&p, &cfg, path, "list-type=2&prefix=many%2F"),
        vec![1000, 200]
    );
    assert_eq!(
        calls_per_page(&p, &cfg, path, "delimiter=%2F&max-keys=1"),
        vec![1, 1, 1, 1]
    );
    assert_eq!(
        calls_per_page(&p, &cfg, path, "list-type=2&delimiter=%2F&max-keys=2"),
        vec![2, 2]
    );
    assert_eq!(
        calls_per_page(&p, &cfg, "/demo", "list-type=2&max-keys=1000"),
        vec![1000, 203]
    );
    // Inside a folder: one probe first.
    let before = p.backend_calls.get();
    let q = "list-type=2&delimiter=%2F&start-after=many%2F00005.txt";
    assert_eq!(
        names(&list_all(&p, &cfg, &Caller::Anonymous, path, q)),
        vec!["many/", "nested/", "odd/"]
    );
    assert_eq!(p.backend_calls.get() - before, 2);
}

#[test]
fn a_token_is_taken_back_only_by_the_listing_that_issued_it() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let p = sample();
    let cfg = config(None);
    let a = Caller::Anonymous;
    let status = |path: &str, q: &str| list(&p, &cfg, &a, path, q).status;
    let code = |path: &str, q: &str| {
        let page = list(&p, &cfg, &a, path, q);
        (page.status, texts(&page.body, "<Code>", "</Code>").first().cloned())
    };
    let refused = (400, Some("InvalidArgument".to_string()));
    // Made up by hand, in the shape tokens used to have (S3: 400 for a token it did not issue).
    for raw in [
        "1kmany/01000.txt",
        "1pmany/",
        "1krestricted-data/secret.csv",
        "1k../../etc/passwd",
    ] {
        let forged = URL_SAFE_NO_PAD.encode(raw);
        for path in ["/demo/public-data", "/demo"] {
            let q = format!("list-type=2&{}", param("continuation-token", &forged));
            assert_eq!(code(path, &q), refused, "{path}?{q}");
        }
    }
    // A real token, replayed with other parameters or at another level.
    let base = "list-type=2&max-keys=1&delimiter=%2F&prefix=many%2F";
    let first = list(&p, &cfg, &a, "/demo/public-data", base);
    let token = param("continuation-token", first.token.as_deref().unwrap());
    assert_eq!(status("/demo/public-data", &format!("{base}&{token}")), 200);
    for (path, q) in [
        ("/demo/public-data", "list-type=2&max-keys=1&delimiter=%2F&prefix=many"),
        ("/demo/public-data", "list-type=2&max-keys=1&prefix=many%2F"),
        ("/demo/public-data", "list-type=2&max-keys=1&delimiter=-&prefix=many%2F"),
        ("/demo", "list-type=2&max-keys=1&delimiter=%2F&prefix=many%2F"),
        (
            "/demo/restricted-data",
            "list-type=2&max-keys=1&delimiter=%2F&prefix=many%2F",
        ),
    ] {
        let (s, c) = code(path, &format!("{q}&{token}"));
        assert!(
            (s, c.clone()) == refused || (s, c.as_deref()) == (404, Some("NoSuchBucket")),
            "{path}?{q}"
        );
    }
    // Other max-keys, encoding or start-after do not matter: the same listing.
    let q = format!("{base}&max-keys=5&encoding-type=url&start-after=zzz&{token}");
    assert_eq!(status("/demo/public-data", &q.replacen("max-keys=1&", "", 1)), 200);
    // A token altered in any one character is refused.
    let t = first.token.unwrap();
    for i in 0..t.len() {
        let c = if &t[i..=i] == "A" { "B" } else { "A" };
        let altered = format!("{}{c}{}", &t[..i], &t[i + 1..]);
        let q = format!("{base}&{}", param("continuation-token", &altered));
        assert_eq!(code("/demo/public-data", &q), refused, "{i}");
    }
}
