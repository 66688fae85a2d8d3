//! ListObjects V1/V2 parameters, then the result document. Parsed parameters
//! respect the limits; a continuation token is taken only when this listing
//! sealed it; the rendered result is well-formed XML that the backend listing
//! parser reads back, and its next token opens to the page's last entry.
//! Input: a raw query line, then entry names (one a line). `$TOKEN` in the
//! query becomes a token this listing sealed for the position on the
//! `x-fuzz-position` name (first entry line), so parsing gets past the tag.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::list_xml;
use oidc_data_proxy::error::ProxyError;
use oidc_data_proxy::http::Query;
use oidc_data_proxy::platform::ListedObject;
use oidc_data_proxy::route::MAX_KEY_BYTES;
use oidc_data_proxy::s3::list::{render, Entry, ListOutput, ListParams, Position, TokenScope, Version, MAX_KEYS};
use oidc_data_proxy::s3::token::{Binding, TokenKeys};
use oidc_data_proxy_fuzz::{fields, text, xml};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let raw_query = text(f[0]);
    let names: Vec<String> = text(f[1])
        .split('\n')
        .filter(|n| !n.is_empty() && n.len() <= MAX_KEY_BYTES)
        .map(str::to_string)
        .collect();
    let keys = TokenKeys::new(vec![[7; 32]]);
    let scope = TokenScope {
        keys: &keys,
        bucket: "acct/p",
    };
    let Ok(mut q) = Query::parse(&raw_query) else { return };
    if raw_query.contains("$TOKEN") {
        // Sealed for the listing the query names (its prefix and delimiter).
        let pre = q.get("prefix").unwrap_or("").to_string();
        let delim = q.get("delimiter").filter(|d| !d.is_empty()).map(str::to_string);
        let pos = Position {
            value: names.first().cloned().unwrap_or_default(),
            is_prefix: names.first().is_some_and(|n| n.ends_with('/')),
        };
        let b = Binding {
            keys: &keys,
            bucket: scope.bucket,
            prefix: &pre,
            delimiter: delim.as_deref(),
        };
        let sealed = b.seal(&pos);
        let Ok(q2) = Query::parse(&raw_query.replace("$TOKEN", &sealed)) else {
            return;
        };
        q = q2;
    }
    let p = match ListParams::parse(&q, &scope) {
        Ok(p) => p,
        Err(ProxyError::InvalidArgument(_) | ProxyError::KeyTooLong) => return,
        Err(e) => panic!("listing parameters fail with {e:?}: {raw_query}"),
    };
    assert!(p.max_keys <= MAX_KEYS);
    assert!(p.prefix.len() <= MAX_KEY_BYTES);
    assert!(p
        .delimiter
        .as_deref()
        .is_none_or(|d| !d.is_empty() && d.len() <= MAX_KEY_BYTES));
    match p.version {
        Version::V1 => assert!(p.continuation_token.is_none() && p.start_after.is_none()),
        Version::V2 => assert!(p.marker.is_none()),
    }
    if let Some(t) = &p.continuation_token {
        // Taken only because this listing sealed it: it opens to the resume position.
        assert_eq!(p.binding(&scope).open(t).ok(), p.after);
    }

    // Entries after the resume position, in key order, rendered and read back.
    let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
    for (i, n) in names.iter().enumerate() {
        if p.after.as_ref().is_some_and(|a| !a.admits(n)) {
            continue;
        }
        if n.ends_with('/') {
            prefixes.push(n.clone());
        } else {
            objects.push(ListedObject {
                key: n.clone(),
                size: i as u64,
                etag: format!("\"{i}\""),
                last_modified_ms: 1_700_000_000_000,
            });
        }
    }
    prefixes.sort();
    prefixes.dedup();
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    objects.dedup_by(|a, b| a.key == b.key);
    let mut entries: Vec<Entry> = objects
        .iter()
        .cloned()
        .map(Entry::Object)
        .chain(prefixes.iter().cloned().map(Entry::Prefix))
        .collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    let next = entries.last().map(Entry::position);
    let out = ListOutput { entries, next };
    let body = render("p", &p, &out, "acct", &scope);
    let doc = xml::parse(&body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    assert_eq!(doc.root, "ListBucketResult");
    if let (Some(n), Version::V2) = (&out.next, p.version) {
        let t = doc.first("/ListBucketResult/NextContinuationToken").expect("token");
        assert_eq!(p.binding(&scope).open(t).as_ref(), Ok(n));
    }
    // The backend parser (quick-xml) refuses `&#x0;`, which S3 (and so the
    // proxy) writes for a NUL in an echoed parameter or a key.
    let body = std::str::from_utf8(&body).unwrap();
    if body.contains("&#x0;") {
        return;
    }
    let page = list_xml::parse(body).expect("our own listing parses");
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    let want: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    if p.encoding_url || !names.iter().any(|n| n.contains('\r')) {
        assert_eq!(keys, want);
        assert_eq!(page.common_prefixes, prefixes);
    }
    assert_eq!(page.truncated, out.next.is_some());
});
