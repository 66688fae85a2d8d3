//! Route table and path/query decoding on arbitrary request lines.
//! Invariants: a read route only for GET/HEAD, names valid, keys decoded
//! exactly once and within S3's length limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::http::{percent_decode, Query};
use oidc_data_proxy::route::{route, valid_name, Route, MAX_KEY_BYTES};
use oidc_data_proxy_fuzz::parse_request;

fuzz_target!(|data: &[u8]| {
    let req = parse_request(data);
    let Ok(query) = Query::parse(&req.query) else { return };
    let Ok(r) = route(&req, &query) else { return };
    let read = matches!(req.method.as_str(), "GET" | "HEAD");
    // S3 path style: the bucket (the account) is the first segment as sent;
    // the S3 key is the rest, decoded once, and `{product}/{key}` its two sides.
    let s3_key = req
        .path
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, rest)| percent_decode(rest));
    match &r {
        Route::Object { account, product, key } => {
            assert!(read, "{} routed to an object", req.method);
            assert!(valid_name(account) && valid_name(product));
            assert!(
                product.len() + 1 + key.len() <= MAX_KEY_BYTES,
                "the S3 key is within the limit"
            );
            assert_eq!(s3_key, Some(Ok(format!("{product}/{key}"))), "key decoded once");
        }
        Route::ListProduct { account, product } => {
            assert_eq!(req.method, "GET");
            assert!(valid_name(account) && valid_name(product));
        }
        Route::HeadAccount { account }
        | Route::Location { account }
        | Route::ListAccount { account }
        | Route::ProductPath { account } => {
            assert!(read, "{} routed to a read", req.method);
            assert!(valid_name(account));
        }
        Route::Preflight => assert_eq!(req.method, "OPTIONS"),
        Route::Root => assert!(read),
        // Any method, OPTIONS included: the STS endpoint answers its own preflights
        // (`sts::endpoint::METHODS`).
        Route::Sts => {
            let raw = req.path.strip_prefix('/').unwrap_or(&req.path);
            let first = raw.split('/').next().unwrap_or("");
            let at_sts = percent_decode(first).is_ok_and(|f| f == ".sts");
            assert!(
                at_sts || raw.is_empty() && req.method == "POST",
                "{} {} routed to STS",
                req.method,
                req.path
            );
        }
        Route::WellKnown => assert!(read),
    }
});
