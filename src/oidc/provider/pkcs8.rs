//! Just enough PEM and DER to read the public half of an RSA PKCS#8 key.
//!
//! Why not the `der`/`pkcs8` crates and `RsaPrivateKey`: on wasm their
//! generic decoders and the rsa crate's key validation cost ~70 KB of code,
//! while the Worker only needs `n` and `e` (for the JWKS and the size check)
//! plus the DER itself, which WebCrypto parses and checks on import. Natively
//! `keys.rs` also parses the DER with the rsa crate and compares the results.
//! The input is operator configuration, not client data; the reader is still
//! strict (definite minimal lengths, no trailing bytes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

/// DER of OID 1.2.840.113549.1.1.1 (rsaEncryption), RFC 8017 A.1.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const NULL: u8 = 0x05;

/// Why a PEM or PKCS#8 key is refused (about its shape, never its content).
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("no -----BEGIN line")]
    NoBegin,
    #[error("malformed -----BEGIN line")]
    BadBegin,
    #[error("no matching -----END line")]
    NoEnd,
    /// base64's error is not kept: it quotes a byte of the key.
    #[error("PEM body is not base64")]
    Base64,
    #[error("unknown PKCS#8 version")]
    Version,
    #[error("not an RSA key (algorithm is not rsaEncryption)")]
    NotRsa,
    #[error("rsaEncryption parameters are not NULL")]
    Params,
    #[error("not a two-prime RSA key")]
    MultiPrime,
    #[error("truncated DER")]
    Truncated,
    #[error("unexpected DER tag")]
    Tag,
    #[error("bad DER length")]
    Length,
    #[error("empty DER INTEGER")]
    EmptyInteger,
    #[error("negative DER INTEGER")]
    Negative,
    #[error("non-minimal DER INTEGER")]
    NonMinimal,
    #[error("trailing bytes after DER element")]
    Trailing,
}

crate::error::debug_as_display!(KeyFormatError);

/// The first PEM block of `text`: its label and decoded body (RFC 7468;
/// text around the block and whitespace inside the body are ignored).
pub(super) fn pem_decode(text: &str) -> Result<(&str, Zeroizing<Vec<u8>>), KeyFormatError> {
    let start = text.find("-----BEGIN ").ok_or(KeyFormatError::NoBegin)?;
    let after_begin = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = after_begin.split_once("-----").ok_or(KeyFormatError::BadBegin)?;
    let end_line = format!("-----END {label}-----");
    let body_end = rest.find(&end_line).ok_or(KeyFormatError::NoEnd)?;
    let body: Zeroizing<String> = Zeroizing::new(rest[..body_end].split_ascii_whitespace().collect());
    let der = STANDARD.decode(body.as_bytes()).map_err(|_| KeyFormatError::Base64)?;
    Ok((label, Zeroizing::new(der)))
}

/// Modulus and public exponent of an RSA PKCS#8 `PrivateKeyInfo` (RFC 5958),
/// big-endian without leading zeros.
pub(super) fn rsa_public_parts(der: &[u8]) -> Result<(&[u8], &[u8]), KeyFormatError> {
    let mut outer = Reader(der);
    let mut info = Reader(outer.tlv(SEQUENCE)?);
    outer.end()?;
    let version = info.uint()?;
    if version != [0] && version != [1] {
        return Err(KeyFormatError::Version);
    }
    let mut alg = Reader(info.tlv(SEQUENCE)?);
    if alg.tlv(OID)? != RSA_ENCRYPTION {
        return Err(KeyFormatError::NotRsa);
    }
    // RFC 8017 A.1: the parameters SHALL be NULL.
    if !alg.tlv(NULL)?.is_empty() {
        return Err(KeyFormatError::Params);
    }
    alg.end()?;
    // Attributes / public key (v2) may follow the private key: not needed.
    let mut key = Reader(info.tlv(OCTET_STRING)?);
    let mut rsa = Reader(key.tlv(SEQUENCE)?);
    key.end()?;
    // RFC 8017 A.1.2: version 0 is two-prime; 1 (multi-prime) is not supported (nor by the rsa crate).
    if rsa.uint()? != [0] {
        return Err(KeyFormatError::MultiPrime);
    }
    let n = rsa.uint()?;
    let e = rsa.uint()?;
    // d, p, q, dp, dq, qinv: read so a truncated or padded key fails here.
    for _ in 0..6 {
        rsa.uint()?;
    }
    rsa.end()?;
    Ok((n, e))
}

/// Bit length of a big-endian unsigned integer without leading zeros.
pub(super) fn bits(be: &[u8]) -> usize {
    match be.first() {
        Some(&b) => (be.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
        None => 0,
    }
}

/// A cursor over DER bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The contents of the next element, which must have tag `tag`.
    fn tlv(&mut self, tag: u8) -> Result<&'a [u8], KeyFormatError> {
        let [t, l0, rest @ ..] = self.0 else {
            return Err(KeyFormatError::Truncated);
        };
        if *t != tag {
            return Err(KeyFormatError::Tag);
        }
        let (len, rest) = if *l0 < 0x80 {
            (usize::from(*l0), rest)
        } else {
            // Long form: 1-4 length bytes, minimal (DER), never indefinite (0x80).
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
                return Err(KeyFormatError::Length);
            }
            let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(KeyFormatError::Length);
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return Err(KeyFormatError::Truncated);
        }
        let (value, after) = rest.split_at(len);
        self.0 = after;
        Ok(value)
    }

    /// A non-negative INTEGER, minimal encoding, its sign byte dropped.
    fn uint(&mut self) -> Result<&'a [u8], KeyFormatError> {
        match self.tlv(INTEGER)? {
            [] => Err(KeyFormatError::EmptyInteger),
            [b, ..] if b & 0x80 != 0 => Err(KeyFormatError::Negative),
            [0] => Ok(&[0]),
            [0, b, ..] if b & 0x80 == 0 => Err(KeyFormatError::NonMinimal),
            [0, rest @ ..] => Ok(rest),
            v => Ok(v),
        }
    }

    fn end(&self) -> Result<(), KeyFormatError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(KeyFormatError::Trailing)
        }
    }
}

#[cfg(test)]
mod tests;
