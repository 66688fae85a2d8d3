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
    let raw: Vec<&str> = req.path.trim_start_matches('/').splitn(3, '/').collect();
    match &r {
        Route::Object { account, product, key } => {
            assert!(read, "{} routed to an object", req.method);
            assert!(valid_name(account) && valid_name(product));
            assert!(key.len() <= MAX_KEY_BYTES);
            assert_eq!(Ok(key.clone()), percent_decode(raw[2]), "key decoded once");
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
        Route::Sts => assert!(req.method != "OPTIONS"),
        Route::WellKnown => assert!(read),
    }
});
