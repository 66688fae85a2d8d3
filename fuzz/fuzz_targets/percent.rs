//! Percent-encoding round trips: the SigV4 encoder against the request
//! decoder, canonical queries against the query parser, and the decoder
//! on arbitrary input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::http::{percent_decode, Query};
use oidc_data_proxy::sigv4::{canonical_query, uri_encode};
use oidc_data_proxy_fuzz::{fields, text};

fuzz_target!(|data: &[u8]| {
    let raw = text(data);
    // Arbitrary input: decoding never grows the text and never panics.
    if let Ok(d) = percent_decode(&raw) {
        assert!(d.len() <= raw.len());
        if !raw.contains('%') {
            assert_eq!(d, raw);
        }
    }
    let _ = Query::parse(&raw);

    // Encoding then decoding is the identity, with or without slashes kept.
    for slash in [true, false] {
        let enc = uri_encode(&raw, slash);
        assert!(enc.bytes().all(|b| b.is_ascii_graphic()), "{enc:?}");
        assert_eq!(percent_decode(&enc).as_deref(), Ok(raw.as_str()));
        assert_eq!(uri_encode(&percent_decode(&enc).unwrap(), slash), enc);
    }

    // A canonical query parses back to the same pairs, sorted.
    let f = fields(data, 4);
    let pairs: Vec<(String, String)> = f.chunks(2).map(|kv| (text(kv[0]), text(kv[1]))).collect();
    let cq = canonical_query(&pairs);
    let parsed = Query::parse(&cq).expect("a canonical query parses");
    let mut want = pairs;
    want.sort_by_key(|(k, v)| (uri_encode(k, true), uri_encode(v, true)));
    assert_eq!(parsed.pairs(), want.as_slice(), "{cq}");
});
