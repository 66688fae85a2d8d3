//! `oidc-data-proxy roles diff` as CI runs it: the report on stdout, and the exit code that
//! fails the check on broadening unless it is accepted or its digest approved.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(case: &str, side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/roles/{case}/{side}.json"))
}

fn diff(case: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oidc-data-proxy"))
        .args(["roles", "diff"])
        .arg(fixture(case, "old"))
        .arg(fixture(case, "new"))
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn broadening_fails_unless_accepted() {
    let o = diff("ceiling_widened", &[]);
    assert_eq!(o.status.code(), Some(1));
    let report = stdout(&o);
    assert!(
        report.contains("**1 broadening**") && report.contains("`demo/*`"),
        "{report}"
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("oidc-data-proxy roles diff: refused: 1 broadening"),
        "{err}"
    );
    assert_eq!(diff("ceiling_widened", &["--accept-broadening"]).status.code(), Some(0));
    for quiet in ["narrowing", "neutral", "unchanged"] {
        assert_eq!(diff(quiet, &[]).status.code(), Some(0), "{quiet}");
    }
}

#[test]
fn an_approval_names_exactly_these_changes() {
    let report = stdout(&diff("new_issuer", &[]));
    let digest = report.lines().find(|l| l.starts_with("sha256:")).unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("odp-approvals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let approvals = dir.join("trust-approvals");
    std::fs::write(
        &approvals,
        format!("# PR 42, approved by security\n{digest}  # new GitLab issuer\n"),
    )
    .unwrap();
    let path = approvals.to_str().unwrap();
    let o = diff("new_issuer", &["--approvals", path]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("is listed in"));
    // Another broadening change is not covered by that approval.
    assert_eq!(diff("new_audience", &["--approvals", path]).status.code(), Some(1));
    // An unreadable approvals file is an error, not an approval nor a refusal.
    let missing = dir.join("absent");
    assert_eq!(
        diff("new_issuer", &["--approvals", missing.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_configurations_are_errors() {
    let bin = env!("CARGO_BIN_EXE_oidc-data-proxy");
    let o = Command::new(bin)
        .args(["roles", "diff", "/nonexistent/old.toml", "/nonexistent/new.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let bad = std::env::temp_dir().join(format!("odp-bad-{}.toml", std::process::id()));
    std::fs::write(&bad, "[vars\n").unwrap();
    let o = Command::new(bin)
        .args(["roles", "diff"])
        .arg(&bad)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_file(&bad).unwrap();
    let o = Command::new(bin).args(["roles", "diff", "only-one"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}
