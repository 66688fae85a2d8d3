//! An S3-compatible backend's ListBucketResult (and Error) documents.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::list_xml::{error_code, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else { return };
    if let Ok(page) = parse(xml) {
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
