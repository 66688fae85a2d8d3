//! Continuation tokens opened with a fixed key. A token this listing sealed
//! opens to its position; a token made up, mutated or sealed for another
//! listing (bucket, prefix, delimiter) or with another key is refused with
//! InvalidArgument, never taken and never a panic.
//! Input: a candidate token (first line), the position to seal (second
//! line; a trailing `/` makes it a common prefix), then mutation bytes: each
//! pair (offset, value) rewrites one byte of the sealed token.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::error::ProxyError;
use oidc_data_proxy::s3::list::Position;
use oidc_data_proxy::s3::token::{peek, Binding, TokenKeys};
use oidc_data_proxy_fuzz::{fields, text};

/// A token longer than this is never one of ours (s3::token).
const MAX_TOKEN_CHARS: usize = 2048;

fn refused(r: Result<Position, ProxyError>, what: &str) {
    assert!(matches!(r, Err(ProxyError::InvalidArgument(_))), "{what}: {r:?}");
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let (candidate, value, mutation) = (text(f[0]), text(f[1]), f[2]);
    let keys = TokenKeys::new(vec![[7; 32]]);
    let b = Binding {
        keys: &keys,
        bucket: "acct/p",
        prefix: "a/",
        delimiter: Some("/"),
    };

    // Anything at all: either refused, or exactly the token we would seal
    // for what it carries (only a real token opens; the encoding is canonical).
    match b.open(&candidate) {
        Ok(pos) => assert_eq!(b.seal(&pos), candidate, "a token we never sealed opened"),
        Err(e) => assert!(matches!(e, ProxyError::InvalidArgument(_)), "{e:?}"),
    }
    let _ = peek(&candidate);

    let pos = Position {
        is_prefix: value.ends_with('/'),
        value,
    };
    let t = b.seal(&pos);
    assert!(
        t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "{t}"
    );
    // Positions are names (<= 1024 bytes) or a part's end (a little longer).
    if pos.value.len() <= 1024 + 64 {
        assert!(t.len() <= MAX_TOKEN_CHARS, "{}", t.len());
        assert_eq!(b.open(&t).as_ref(), Ok(&pos));
        assert_eq!(peek(&t).as_ref(), Some(&pos));
    } else {
        refused(b.open(&t), "an oversized position");
    }

    // Another listing, or another key, refuses it.
    let other_keys = TokenKeys::new(vec![[8; 32]]);
    let unkeyed = TokenKeys::unkeyed();
    for o in [
        Binding { bucket: "acct", ..b },
        Binding { bucket: "acct/p/", ..b },
        Binding { prefix: "a", ..b },
        Binding { prefix: "", ..b },
        Binding { delimiter: None, ..b },
        Binding {
            delimiter: Some("//"),
            ..b
        },
        Binding { keys: &other_keys, ..b },
        Binding { keys: &unkeyed, ..b },
    ] {
        refused(o.open(&t), "another listing");
    }
    // After a rotation the old key still opens it.
    let rotated = TokenKeys::new(vec![[9; 32], [7; 32]]);
    if pos.value.len() <= 1024 + 64 {
        assert_eq!(Binding { keys: &rotated, ..b }.open(&t).as_ref(), Ok(&pos));
    }

    // Mutated: any change to the token's bytes is refused, unless it is
    // undone by a later one.
    let mut m = t.clone().into_bytes();
    for pair in mutation.chunks_exact(2) {
        if m.is_empty() {
            break;
        }
        let i = pair[0] as usize % (m.len() + 1);
        match i {
            // Past the end: append or cut.
            _ if i == m.len() => {
                if pair[1] & 1 == 0 {
                    m.push(pair[1] >> 1);
                } else {
                    m.truncate(m.len() - 1);
                }
            }
            _ => m[i] = pair[1],
        }
    }
    let m = String::from_utf8_lossy(&m).into_owned();
    if m != t {
        match b.open(&m) {
            Ok(p) => panic!("a mutated token opened to {p:?}: {m}"),
            Err(e) => assert!(matches!(e, ProxyError::InvalidArgument(_)), "{e:?}"),
        }
    }
});
