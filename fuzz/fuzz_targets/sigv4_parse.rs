//! Incoming SigV4: the Authorization header and the presigned query, parsed
//! from arbitrary requests and verified with a fixed secret and clock.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::sigv4::verify::{parse, verify, MAX_PRESIGN_EXPIRES};
use oidc_data_proxy_fuzz::{parse_request, NOW};

fuzz_target!(|data: &[u8]| {
    let req = parse_request(data);
    let Ok(Some(auth)) = parse(&req) else { return };
    assert!(auth.signed_headers.iter().any(|h| h == "host"));
    assert!(
        auth.signature.len() == 64 && auth.signature.bytes().all(|b| b.is_ascii_hexdigit()),
        "as sent: 64 hex digits"
    );
    assert!(!auth.access_key_id.is_empty() && auth.access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(auth.service, "s3");
    assert_eq!(auth.presigned, auth.expires.is_some());
    assert!(auth.expires.is_none_or(|e| (0..=MAX_PRESIGN_EXPIRES).contains(&e)));
    assert!(auth.security_token.as_deref().is_none_or(|t| !t.is_empty()));
    let _ = auth.session_token();
    // The botocore vectors' secret, so mutated seeds of them can still verify.
    for now in [NOW, auth.amz_date] {
        let _ = verify(&req, &auth, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now);
    }
});
