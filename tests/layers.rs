//! The layer rule of docs/ARCHITECTURE.md ("Layers"): a module imports only
//! from layers below its own. This walks the module tree from src/lib.rs as
//! rustc does (`mod x;`, `#[path]`, inline `mod x { }`), leaves out test
//! code (`#[cfg(test)]` modules may use anything), and checks every
//! `crate::x` and `super::…` path against the table in that document, so the
//! table a reader sees is the one enforced.

#![allow(clippy::print_stdout)] // notes for whoever edits the layer table

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Imports the rule allows for now, each with the reason; one that no longer
/// occurs is reported (not failed), so that whoever removes it can drop it here.
const ALLOWED: &[(&str, &str, &str)] = &[];

/// Test support sits above everything (it drives whole requests).
const ON_TOP: &str = "testing";

struct Use {
    from: String,
    to: String,
    at: String,
}

#[test]
fn modules_import_only_from_layers_below() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let layers = layers(&fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md"));
    let mut modules = Vec::new();
    let mut uses = Vec::new();
    walk(&root.join("src/lib.rs"), &[], &mut modules, &mut uses);

    let mut problems = Vec::new();
    for m in &modules {
        if m != ON_TOP && !layers.contains_key(m) {
            problems.push(format!("module `{m}` is in no layer of docs/ARCHITECTURE.md"));
        }
    }
    for m in layers.keys() {
        if !modules.contains(m) {
            problems.push(format!("layer table names `{m}`, which src/lib.rs does not declare"));
        }
    }
    let rank = |m: &str| match m {
        ON_TOP => Some(usize::MAX),
        _ => layers.get(m).copied(),
    };
    let mut seen_allowed = vec![false; ALLOWED.len()];
    for u in &uses {
        let (Some(from), Some(to)) = (rank(&u.from), rank(&u.to)) else {
            continue; // reported above
        };
        if to < from {
            continue;
        }
        if let Some(i) = ALLOWED.iter().position(|(f, t, _)| *f == u.from && *t == u.to) {
            seen_allowed[i] = true;
            continue;
        }
        let how = if to == from { "its own layer" } else { "a layer above" };
        problems.push(format!("{}: `{}` imports `{}`, {how}", u.at, u.from, u.to));
    }
    for (i, (f, t, why)) in ALLOWED.iter().enumerate() {
        if !seen_allowed[i] {
            println!("note: `{f}` no longer imports `{t}`; drop it from ALLOWED ({why})");
        }
    }
    assert!(
        problems.is_empty(),
        "{} layer violation(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Module → rank (0 = lowest) from the fenced `layers` block; the highest
/// layer comes first, `#` starts a comment.
fn layers(doc: &str) -> BTreeMap<String, usize> {
    let block: Vec<&str> = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```layers block in docs/ARCHITECTURE.md")
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut ranks = BTreeMap::new();
    for (i, line) in block.iter().enumerate() {
        for m in line.split_whitespace() {
            let again = ranks.insert(m.to_string(), block.len() - 1 - i);
            assert!(again.is_none(), "`{m}` is in two layers");
        }
    }
    ranks
}

/// Reads one module file: records the top-level modules (for lib.rs), the
/// uses, and follows the non-test `mod` declarations.
fn walk(file: &Path, path: &[String], modules: &mut Vec<String>, uses: &mut Vec<Use>) {
    let original = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let code = sanitize(&original);
    let dir = module_dir(file);
    scan(&original, &code, 0..code.len(), file, &dir, path, modules, uses);
}

/// Where `mod x;` in `file` looks for `x`: beside a lib.rs or mod.rs, in a
/// folder named after any other file.
fn module_dir(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new("")).to_path_buf();
    match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "mod.rs") => parent,
        _ => parent.join(file.file_stem().unwrap_or_default()),
    }
}

#[allow(clippy::too_many_arguments)]
fn scan(
    original: &str,
    code: &str,
    span: std::ops::Range<usize>,
    file: &Path,
    dir: &Path,
    path: &[String],
    modules: &mut Vec<String>,
    uses: &mut Vec<Use>,
) {
    let b = code.as_bytes();
    let mut skip: Vec<std::ops::Range<usize>> = Vec::new();
    let mut i = span.start;
    while let Some(at) = find_word(code, "mod", i, span.end) {
        i = at + 3;
        let rest = &code[i..span.end];
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let after = i + (rest.len() - rest.trim_start().len()) + name.len();
        let end_char = code[after..span.end].trim_start().chars().next();
        let attrs = attributes_before(original, code, at);
        let test_only = attrs.iter().any(|a| a.replace(' ', "") == "#[cfg(test)]");
        let mut child = path.to_vec();
        child.push(name.clone());
        match end_char {
            Some(';') => {
                if path.is_empty() {
                    modules.push(name.clone());
                }
                if test_only {
                    continue;
                }
                let explicit = attrs.iter().find_map(|a| {
                    let a = a.strip_prefix("#[path")?.trim_start().strip_prefix('=')?.trim();
                    Some(a.trim_end_matches(']').trim().trim_matches('"').to_string())
                });
                let target = match explicit {
                    // `#[path]` on a `mod` in a non-mod.rs file is relative to that file's folder.
                    Some(p) => file.parent().unwrap_or(Path::new("")).join(p),
                    None if dir.join(format!("{name}.rs")).exists() => dir.join(format!("{name}.rs")),
                    None => dir.join(&name).join("mod.rs"),
                };
                walk(&target, &child, modules, uses);
            }
            Some('{') => {
                let open = after + code[after..].find('{').unwrap_or(0);
                let close = matching_brace(b, open);
                if path.is_empty() {
                    modules.push(name.clone());
                }
                if !test_only {
                    scan(
                        original,
                        code,
                        open + 1..close,
                        file,
                        &dir.join(&name),
                        &child,
                        modules,
                        uses,
                    );
                }
                skip.push(at..close);
                i = close;
            }
            _ => {}
        }
    }
    let Some(me) = path.first() else {
        return; // lib.rs's own paths name modules, not uses
    };
    for (at, to) in paths(code, span.clone(), path) {
        if skip.iter().any(|r| r.contains(&at)) || to == *me {
            continue;
        }
        let line = original[..at].matches('\n').count() + 1;
        uses.push(Use {
            from: me.clone(),
            to,
            at: format!(
                "{}:{line}",
                file.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(file).display()
            ),
        });
    }
}

/// The top-level module each `crate::x` / `super::…::x` path in `span` reaches.
fn paths(code: &str, span: std::ops::Range<usize>, path: &[String]) -> Vec<(usize, String)> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut found = Vec::new();
    for word in ["crate::", "super::"] {
        let mut i = span.start;
        while let Some(at) = find_word(code, word.trim_end_matches(':'), i, span.end) {
            i = at + word.len();
            if !code[at..].starts_with(word) || code[..at].ends_with('$') || code[..at].ends_with("super::") {
                continue;
            }
            let mut rest = &code[at + word.len()..];
            let target = if word == "crate::" {
                ident(rest)
            } else {
                let mut up = 1;
                while let Some(r) = rest.strip_prefix("super::") {
                    up += 1;
                    rest = r;
                }
                match path.len().checked_sub(up) {
                    Some(0) => ident(rest),
                    Some(_) => path[0].clone(),
                    None => String::new(),
                }
            };
            if !target.is_empty() {
                found.push((at, target));
            }
        }
    }
    found
}

/// The next `word` in `code[from..to]` not inside a longer identifier.
fn find_word(code: &str, word: &str, from: usize, to: usize) -> Option<usize> {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = code.as_bytes();
    let mut i = from;
    while i < to {
        let at = i + code[i..to].find(word)?;
        let end = at + word.len();
        if (at == 0 || !is_ident(b[at - 1])) && (end >= b.len() || !is_ident(b[end])) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The `#[…]` attributes right before the item starting at `at` (skipping
/// its visibility), as written in the original text.
fn attributes_before(original: &str, code: &str, at: usize) -> Vec<String> {
    let mut end = code[..at].trim_end().len();
    let before = &code[..end];
    for vis in ["pub(crate)", "pub(super)", "pub"] {
        if before.ends_with(vis) {
            end = code[..end - vis.len()].trim_end().len();
            break;
        }
    }
    let mut attrs = Vec::new();
    while code[..end].ends_with(']') {
        let Some(start) = code[..end].rfind("#[") else {
            break;
        };
        attrs.push(original[start..end].to_string());
        end = code[..start].trim_end().len();
    }
    attrs
}

fn matching_brace(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces");
}

/// The code with comments and the contents of string and char literals
/// blanked (same byte offsets), so that neither braces nor paths in them count.
fn sanitize(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let prev_ident = i > 0 && is_ident(b[i - 1]);
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (0usize, i);
                while j < b.len() {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' | b'b' if !prev_ident && raw_string_start(&b[i..]).is_some() => {
                let (hashes, skip) = raw_string_start(&b[i..]).unwrap_or((0, 0));
                let close = format!("\"{}", "#".repeat(hashes));
                let body = i + skip;
                let end = src[body..].find(&close).map_or(b.len(), |n| body + n);
                blank(&mut out, body, end);
                i = end + close.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j.min(b.len()));
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{7f}', 'é'), or a lifetime.
                let len = if b.get(i + 1) == Some(&b'\\') {
                    src[i + 2..].find('\'').map(|n| n + 3)
                } else {
                    let c = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + c) == Some(&b'\'')).then_some(c + 2)
                };
                match len {
                    Some(n) => {
                        blank(&mut out, i + 1, i + n - 1);
                        i += n;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8")
}

/// `r"`, `r#"`, `br"`, `br#"`: the number of `#` and the length of the opener.
fn raw_string_start(b: &[u8]) -> Option<(usize, usize)> {
    let start = if b.starts_with(b"br") {
        2
    } else if b.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = b[start..].iter().take_while(|c| **c == b'#').count();
    (b.get(start + hashes) == Some(&b'"')).then_some((hashes, start + hashes + 1))
}
