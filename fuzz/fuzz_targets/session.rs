//! Sealed session tokens. Mode 0: arbitrary tokens opened with fixed keys.
//! Mode 1: a fuzzed session sealed and opened again: every field survives,
//! and expiry, the access key id binding, key rotation and any changed
//! character are all enforced.
//! Input: a mode byte, then lines: access key id, token or secret, issuer,
//! subject, role, ceiling (comma separated), session name, audience,
//! expiry offset, claims (name=value, comma separated).
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::secret::Secret;
use oidc_data_proxy::session::{seal, unseal, Session, SessionError, SessionKeys, MAX_TOKEN_LEN};
use oidc_data_proxy_fuzz::{fields, text, NOW};

const KEY: [u8; 32] = [7; 32];
const OLD: [u8; 32] = [9; 32];

fn list(b: &[u8]) -> Vec<String> {
    text(b)
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fields(rest, 10);
    let keys = SessionKeys::new(KEY, Some(OLD));
    let akid = text(f[0]);
    if mode % 2 == 0 {
        if let Ok(s) = unseal(&keys, &text(f[1]), &akid, NOW) {
            assert!(s.access_key_id == akid && NOW < s.expires_at);
        }
        return;
    }
    let offset: i64 = text(f[8]).trim().parse().unwrap_or(3600);
    let s = Session {
        access_key_id: akid.clone(),
        secret_access_key: Secret::from(text(f[1])),
        issuer: text(f[2]),
        subject: text(f[3]),
        role: text(f[4]),
        ceiling: list(f[5]),
        session_name: text(f[6]),
        audience: text(f[7]),
        expires_at: NOW.saturating_add(offset),
        claims: list(f[9])
            .into_iter()
            .map(|c| {
                c.split_once('=')
                    .map(|(a, b)| (a.into(), b.into()))
                    .unwrap_or((c, String::new()))
            })
            .collect(),
        session_id: text(f[8]),
        policy: None,
    };
    let Ok(token) = seal(&keys, &s) else { return };
    assert!(token.len() <= MAX_TOKEN_LEN);
    match unseal(&keys, &token, &akid, NOW) {
        Ok(o) => {
            assert!(NOW < s.expires_at);
            assert_eq!(
                (
                    &o.access_key_id,
                    o.secret_access_key.expose(),
                    &o.issuer,
                    &o.subject,
                    &o.role
                ),
                (
                    &s.access_key_id,
                    s.secret_access_key.expose(),
                    &s.issuer,
                    &s.subject,
                    &s.role
                )
            );
            assert_eq!(
                (&o.ceiling, &o.session_name, &o.audience, o.expires_at, &o.claims),
                (&s.ceiling, &s.session_name, &s.audience, s.expires_at, &s.claims)
            );
        }
        Err(SessionError::Expired) => assert!(NOW >= s.expires_at),
        Err(e) => panic!("our own token: {e:?}"),
    }
    let fresh = NOW.min(s.expires_at.saturating_sub(1));
    assert!(
        unseal(&keys, &token, &format!("{akid}X"), fresh).is_err(),
        "bound to its access key id"
    );
    // After a rotation the old key still opens it; once dropped, nothing does.
    let rotated = SessionKeys::new(OLD, Some(KEY));
    assert!(unseal(&rotated, &token, &akid, fresh).is_ok() || fresh >= s.expires_at);
    assert_eq!(
        unseal(&SessionKeys::new(OLD, None), &token, &akid, fresh).err(),
        Some(SessionError::UnknownKey)
    );
    // Any character changed: refused.
    let pos = usize::from(mode / 2) * 7 % token.len();
    let mut b = token.clone().into_bytes();
    b[pos] = if b[pos] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(b).unwrap();
    assert!(unseal(&keys, &tampered, &akid, fresh).is_err(), "tampered at {pos}");
});
