use std::collections::BTreeSet;

use super::{Code, S3, STS};

#[test]
fn rows() {
    assert_eq!(Code::NoSuchBucket.status(), 404);
    assert_eq!(Code::InvalidUri.as_str(), "InvalidURI");
    assert_eq!(
        (Code::BadGateway.status(), Code::BadGateway.as_str()),
        (502, "InternalError")
    );
    assert_eq!(Code::StsExpiredToken.as_str(), "ExpiredTokenException");
    assert_eq!(Code::StsAccessDenied.as_str(), Code::AccessDenied.as_str());
    assert_eq!(Code::RequestEntityTooLarge.status(), 413);
}

const REFERENCE: &str = include_str!("../../../docs/REFERENCE.md");

/// The (code, status) rows of the table under `heading` in docs/REFERENCE.md;
/// a status cell `500 / 502` is two rows.
fn documented(heading: &str) -> Vec<(String, u16)> {
    let start = REFERENCE
        .find(heading)
        .unwrap_or_else(|| panic!("docs/REFERENCE.md has no {heading:?}"));
    let mut rows = Vec::new();
    for line in REFERENCE[start + heading.len()..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let code = cells[1].trim_matches('`').to_string();
        for status in cells[2].split('/') {
            let status = status.trim().parse().unwrap_or_else(|_| panic!("a status in {line:?}"));
            rows.push((code.clone(), status));
        }
    }
    rows
}

fn table(codes: &[Code]) -> BTreeSet<(String, u16)> {
    codes.iter().map(|c| (c.as_str().to_string(), c.status())).collect()
}

/// The reference's tables list exactly the codes and statuses of `Code`, once each.
fn reference_matches(heading: &str, codes: &[Code]) {
    let rows = documented(heading);
    let doc: BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!(doc.len(), rows.len(), "a row repeated under {heading:?}");
    let code = table(codes);
    let missing: Vec<_> = code.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&code).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/REFERENCE.md {heading:?} against src/error/code.rs: \
         not documented {missing:?}, documented but not in the code {stale:?}"
    );
}

#[test]
fn reference_lists_the_s3_codes() {
    reference_matches("### S3 codes", S3);
}

#[test]
fn reference_lists_the_sts_codes() {
    reference_matches("### STS codes", STS);
}

#[test]
fn reference_points_at_this_table() {
    let errors = &REFERENCE[REFERENCE.find("## Errors").expect("an Errors section")..];
    let errors = &errors[..errors.find("### ").unwrap_or(errors.len())];
    assert!(
        errors.contains("src/error/code.rs"),
        "docs/REFERENCE.md#errors names its source"
    );
}
