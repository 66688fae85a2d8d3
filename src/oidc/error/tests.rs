use super::*;

const ALL: [TokenError; 15] = [
    TokenError::Malformed,
    TokenError::UnsupportedAlg,
    TokenError::MissingKid,
    TokenError::UnknownKid,
    TokenError::KeyAlgMismatch,
    TokenError::BadSignature,
    TokenError::Expired,
    TokenError::NotYetValid,
    TokenError::WrongIssuer,
    TokenError::WrongAudience,
    TokenError::MissingSubject,
    TokenError::MissingExp,
    TokenError::UnsupportedHeader,
    TokenError::DuplicateMember,
    TokenError::BadNumericDate,
];

#[test]
fn codes() {
    for e in ALL {
        let want = if e == TokenError::Expired {
            "ExpiredTokenException"
        } else {
            "InvalidIdentityToken"
        };
        assert_eq!(e.code().as_str(), want);
        assert!(!e.message().is_empty());
        assert_eq!(e.to_string(), format!("{want}: {}", e.reason()));
    }
    let mut reasons: Vec<_> = ALL.iter().map(TokenError::reason).collect();
    reasons.sort_unstable();
    reasons.dedup();
    assert_eq!(reasons.len(), ALL.len());
}
