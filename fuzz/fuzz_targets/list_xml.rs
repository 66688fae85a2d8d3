//! An S3-compatible backend's ListBucketResult (and Error) documents.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::list_xml::{error_code, parse, parse_general};

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else { return };
    let page = parse(xml);
    // The fast scanner answers only where quick-xml would say the same.
    match (&page, parse_general(xml)) {
        (Ok(a), Ok(b)) => assert_eq!(a, &b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("scanner and quick-xml differ: {a:?} vs {b:?}"),
    }
    if let Ok(page) = page {
        // Nothing is invented: every key and prefix came from the document.
        assert!(page.objects.len() + page.common_prefixes.len() <= xml.matches("<").count());
    }
    if let Some(code) = error_code(xml) {
        assert!(
            code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{code:?}"
        );
    }
});
