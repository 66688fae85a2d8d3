//! ListObjects V1/V2 parameters and continuation tokens. Tokens round-trip,
//! parsed parameters respect the limits, and the rendered result is
//! well-formed XML that the backend listing parser reads back.
//! Input: a raw query line, then a token line, then entry names (one a line).
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::list_xml;
use oidc_data_proxy::http::Query;
use oidc_data_proxy::platform::ListedObject;
use oidc_data_proxy::route::MAX_KEY_BYTES;
use oidc_data_proxy::s3::list::{
    backend_start_after, merge, render, Entry, ListOutput, ListParams, Position, Version, MAX_KEYS,
};
use oidc_data_proxy_fuzz::{fields, text, xml};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let (raw_query, token) = (text(f[0]), text(f[1]));

    if let Ok(pos) = Position::decode(&token) {
        assert!(pos.value.len() <= MAX_KEY_BYTES + 64);
        assert_eq!(Position::decode(&pos.encode()), Ok(pos.clone()));
    }
    let pos = Position {
        value: token.clone(),
        is_prefix: token.ends_with('/'),
    };
    if token.len() <= MAX_KEY_BYTES {
        assert_eq!(Position::decode(&pos.encode()), Ok(pos.clone()), "round trip");
    }
    let after = backend_start_after(&pos.value, pos.is_prefix);
    assert!(after.starts_with(&pos.value) && (after.len() <= MAX_KEY_BYTES || after == pos.value));

    let Ok(q) = Query::parse(&raw_query) else { return };
    let Ok(p) = ListParams::parse(&q) else { return };
    assert!(p.max_keys <= MAX_KEYS);
    assert!(p.prefix.len() <= MAX_KEY_BYTES);
    assert!(p
        .delimiter
        .as_deref()
        .is_none_or(|d| !d.is_empty() && d.len() <= MAX_KEY_BYTES));
    if p.version == Version::V1 {
        assert!(p.continuation_token.is_none());
    }

    // Entries after the resume position, in key order, rendered and read back. Keys
    // are at most 1024 bytes (S3, R2): a longer last key would give a token that
    // `Position::decode` refuses.
    let names: Vec<String> = text(f[2])
        .split('\n')
        .filter(|n| !n.is_empty() && n.len() <= MAX_KEY_BYTES)
        .map(str::to_string)
        .collect();
    let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
    for (i, n) in names.iter().enumerate() {
        if p.after.as_ref().is_some_and(|a| !a.precedes(n)) {
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
    let entries = merge(objects.clone(), prefixes.clone());
    let next = entries.last().map(Entry::position);
    let out = ListOutput { entries, next };
    let body = render("bucket", &p, &out, "owner");
    let doc = xml::parse(&body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    assert_eq!(doc.root, "ListBucketResult");
    if let Some(n) = &out.next {
        if p.version == Version::V2 {
            let t = doc.first("/ListBucketResult/NextContinuationToken").expect("token");
            assert_eq!(Position::decode(t).as_ref(), Ok(n));
        }
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
