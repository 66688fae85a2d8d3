//! The test layout of docs/ARCHITECTURE.md ("Tests"): a module's unit tests
//! are its child `tests` (a `tests.rs` beside it, or a `tests/` folder),
//! never an inline block, a `tests_*.rs` / `*_tests.rs` sibling or a
//! `#[path]` module.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unit_tests_follow_the_one_layout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut problems = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let shown = path.strip_prefix(root).unwrap_or(path).display().to_string();
        if name.starts_with("tests_") || name.ends_with("_tests.rs") {
            problems.push(format!("{shown}: a test file beside the module, not in its tests/"));
        }
        let text = fs::read_to_string(path).expect("readable source");
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("mod tests {") || line.starts_with("pub mod tests {") {
                problems.push(format!("{shown}:{}: an inline test block", i + 1));
            }
            if line.starts_with("#[path") {
                problems.push(format!("{shown}:{}: a #[path] module", i + 1));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
