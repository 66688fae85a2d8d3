//! docs/REFERENCE.md ("Limits") names where each limit lives in the code:
//! every name in its "where" column must still be there. (Its error tables
//! are checked against `error::Code` in src/error/code/tests.rs.)

use std::fs;
use std::path::{Path, PathBuf};

/// The file of module `crate::a::b`, if there is one.
fn module_file(src: &Path, path: &[&str]) -> Option<PathBuf> {
    let base = path.iter().fold(src.to_path_buf(), |p, s| p.join(s));
    [base.with_extension("rs"), base.join("mod.rs")]
        .into_iter()
        .find(|f| f.is_file())
}

/// Whether `name` is declared in `file` as a constant, static, function or
/// type, or re-exported there (`pub use`).
fn declares(file: &Path, name: &str) -> bool {
    let text = fs::read_to_string(file).unwrap_or_default();
    let word = |s: &str| s.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == name);
    text.lines().any(|line| {
        let line = line.trim_start();
        let item = line.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
        let declared = ["const ", "static ", "fn ", "struct ", "enum ", "type "]
            .iter()
            .any(|kind| item.starts_with(kind));
        (declared || line.starts_with("pub use ")) && word(item)
    })
}

/// Resolves `a::b::ITEM` or `a::b` (a module) against src/.
fn resolves(src: &Path, name: &str) -> bool {
    let parts: Vec<&str> = name.split("::").collect();
    if module_file(src, &parts).is_some() {
        return true;
    }
    let (item, module) = parts.split_last().expect("a non-empty name");
    module_file(src, module).is_some_and(|f| declares(&f, item))
}

#[test]
fn limits_name_code_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = fs::read_to_string(root.join("docs/REFERENCE.md")).expect("docs/REFERENCE.md");
    let section = &doc[doc.find("## Limits").expect("a Limits section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut names = Vec::new();
    for line in section.lines().filter(|l| l.starts_with('|')).skip(2) {
        let cell = line.trim_end_matches('|').rsplit('|').next().expect("a where cell");
        names.extend(cell.split('`').skip(1).step_by(2).map(str::to_string));
    }
    assert!(names.len() > 20, "the Limits table was not found: {names:?}");
    let missing: Vec<_> = names.iter().filter(|n| !resolves(&root.join("src"), n)).collect();
    assert!(
        missing.is_empty(),
        "docs/REFERENCE.md#limits names code that is not there: {missing:?}"
    );
}
