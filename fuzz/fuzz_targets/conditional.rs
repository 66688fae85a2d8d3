//! `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`.
//! Input lines: the four header values (a line starting with `-` means the
//! header is absent), the object's ETag, its Last-Modified (ms).
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::error::ProxyError;
use oidc_data_proxy::http::Headers;
use oidc_data_proxy::s3::conditional::{format_http_date, http_date_secs, Conditions, Verdict};
use oidc_data_proxy_fuzz::{fields, text};

/// Latest instant HTTP dates print with four-digit years (9999-12-31).
const MAX_MS: i64 = 253_402_300_799_000;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 6);
    let mut h = Headers::new();
    for (name, v) in ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"]
        .iter()
        .zip(&f)
    {
        if !v.starts_with(b"-") {
            h.set(name, text(v));
        }
    }
    let etag = text(f[4]);
    let ms: i64 = text(f[5]).trim().parse().unwrap_or(0);
    let c = Conditions::from_headers(&h);
    // Every header is forwarded but a date that does not parse (ignored, as S3 does).
    let kept = h
        .iter()
        .filter(|(n, v)| !n.ends_with("-since") || http_date_secs(v).is_some())
        .count();
    assert_eq!(c.header_pairs().len(), kept);
    let verdict = c.evaluate(&etag, ms);
    assert!(matches!(verdict, Ok(_) | Err(ProxyError::PreconditionFailed)));
    if c.is_empty() {
        assert_eq!(verdict, Ok(Verdict::Proceed));
    }
    for v in [&c.if_modified_since, &c.if_unmodified_since].into_iter().flatten() {
        let _ = http_date_secs(v);
    }

    // Dates round-trip at second precision.
    let clamped = ms.clamp(0, MAX_MS);
    let date = format_http_date(clamped);
    assert_eq!(http_date_secs(&date), Some(clamped.div_euclid(1000)), "{date}");

    // The object's own validators: If-Match passes, If-None-Match is 304;
    // If-Modified-Since at its own date is 304, If-Unmodified-Since passes.
    let tag = format!("\"{}\"", etag.trim().trim_matches('"'));
    let only = |name: &str, v: &str| {
        let mut h = Headers::new();
        h.set(name, v);
        Conditions::from_headers(&h).evaluate(&tag, clamped)
    };
    if !etag.contains(',') {
        assert_eq!(only("if-match", &tag), Ok(Verdict::Proceed));
        assert_eq!(only("if-none-match", &tag), Ok(Verdict::NotModified));
    }
    assert_eq!(only("if-match", "*"), Ok(Verdict::Proceed));
    assert_eq!(only("if-modified-since", &date), Ok(Verdict::NotModified));
    assert_eq!(only("if-unmodified-since", &date), Ok(Verdict::Proceed));
    if clamped >= 1000 {
        let before = format_http_date(clamped - 1000);
        assert_eq!(only("if-modified-since", &before), Ok(Verdict::Proceed));
        assert_eq!(
            only("if-unmodified-since", &before),
            Err(ProxyError::PreconditionFailed)
        );
    }
});
