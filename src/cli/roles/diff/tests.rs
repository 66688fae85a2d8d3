//! The classifier against tests/fixtures/roles: each directory holds `old.*`, `new.*` and
//! `expected.txt`, one finding a line (`class kind [role]`, `#` comments).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::super::{load, report};
use super::*;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

fn side(dir: &Path, stem: &str) -> PathBuf {
    ["json", "toml"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{} has no {stem}.json/.toml", dir.display()))
}

fn line(f: &Finding) -> String {
    let mut s = format!("{} {}", f.class.as_str(), f.kind);
    if !f.role.is_empty() {
        s = format!("{s} {}", f.role);
    }
    s
}

#[test]
fn every_fixture_classifies_as_expected() {
    let mut kinds = BTreeSet::new();
    for dir in fixtures() {
        let old = load::load(&side(&dir, "old")).unwrap();
        let new = load::load(&side(&dir, "new")).unwrap();
        let findings = diff(&old, &new);
        let mut got: Vec<String> = findings.iter().map(line).collect();
        got.sort();
        let text = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let mut want: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        want.sort();
        assert_eq!(got, want, "{}: {findings:#?}", dir.display());
        // And the reverse change never broadens where this one only narrowed, and vice versa.
        let back = diff(&new, &old);
        if findings.iter().all(|f| f.class == Class::Narrowing) && !findings.is_empty() {
            assert!(
                back.iter().any(|f| f.class == Class::Broadening),
                "{}: undoing a narrowing",
                dir.display()
            );
        }
        kinds.extend(findings.iter().map(|f| (f.class, f.kind)));
    }
    for kind in [
        "new_issuer",
        "new_audience",
        "condition_removed",
        "conditions_removed",
        "exact_to_prefix",
        "exact_to_glob",
        "glob_widened",
        "prefix_widened",
        "binding_added",
        "ceiling_widened",
        "max_duration_longer",
        "pass_claim_dropped",
        "pass_claim_added",
        "new_role",
        "loopback_issuers_allowed",
    ] {
        assert!(
            kinds.contains(&(Class::Broadening, kind)),
            "no fixture for broadening {kind}"
        );
    }
    for class in [Class::Narrowing, Class::Neutral] {
        assert!(kinds.iter().any(|(c, _)| *c == class), "no fixture for {class:?}");
    }
}

#[test]
fn the_disabled_role_is_reported_with_the_workers_reason() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles/disabled_role");
    let new = load::load(&dir.join("new.json")).unwrap();
    let warnings: Vec<&String> = new.values().flat_map(|t| &t.warnings).collect();
    assert!(
        warnings.len() == 1 && warnings[0].contains("invalid ceiling pattern"),
        "{warnings:?}"
    );
}

#[test]
fn digests_name_exactly_one_set_of_broadening_changes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roles");
    let of = |case: &str| {
        let d = dir.join(case);
        let f = diff(
            &load::load(&d.join("old.json")).unwrap(),
            &load::load(&d.join("new.json")).unwrap(),
        );
        report::digest(&f)
    };
    let a = of("new_issuer").unwrap();
    assert!(a.starts_with("sha256:") && a.len() == 7 + 64, "{a}");
    assert_eq!(of("new_issuer").unwrap(), a, "stable");
    assert_ne!(of("new_audience").unwrap(), a);
    assert_eq!(of("narrowing"), None);
    assert_eq!(of("unchanged"), None);
}

#[test]
fn values_cannot_break_out_of_the_report() {
    assert_eq!(code("ci"), "`ci`");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`x"), "`` `x ``");
    assert_eq!(code("a|b\nc"), "`a\\|b c`");
    assert_eq!(code("x".repeat(500).as_str()).len(), 202);
}
