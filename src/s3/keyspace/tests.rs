use super::*;

#[test]
fn common_prefixes() {
    assert_eq!(common_prefix("a/b/c", "", Some("/")), Some("a/"));
    assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/"));
    assert_eq!(common_prefix("a/b", "a/b", Some("/")), None);
    assert_eq!(common_prefix("xaby", "x", Some("ab")), Some("xab"));
    assert_eq!(common_prefix("a/b", "", None), None);
    assert_eq!(common_prefix("b", "a", Some("/")), None);
}

#[test]
fn straddling_delimiters_change_the_rollup() {
    assert!(same_rollup("nested", "/"));
    assert!(!same_rollup("nested/", "/"));
    assert!(!same_rollup("xa", "ab"), "xa|b… holds ab across the boundary");
    assert!(same_rollup("xb", "ab"));
    assert!(!same_rollup("x\u{10FFFF}", "\u{10FFFF}"));
}

#[test]
fn bounds_stay_within_the_key_limit_and_cover_every_key() {
    for prefix in [
        "base/dir/",
        "",
        &"p".repeat(1020),
        &"q".repeat(1021),
        &"r".repeat(1023),
        &"s".repeat(1030),
    ] {
        let b = start_after_prefix(prefix);
        assert!(b.len() <= BACKEND_KEY_BYTES, "{}", prefix.len());
        // The largest keys under the prefix: U+10FFFF up to the limit, then the rest.
        let mut k = prefix.to_string();
        while k.len() + 4 <= BACKEND_KEY_BYTES {
            k.push('\u{10FFFF}');
        }
        for tail in [
            "",
            "a",
            "\u{7F}",
            "\u{7FF}",
            "\u{FFFF}",
            "\u{7FF}\u{7F}",
            "\u{7F}\u{7F}\u{7F}",
        ] {
            let key = format!("{k}{tail}");
            if key.len() <= BACKEND_KEY_BYTES && key.starts_with(prefix) {
                assert!(key.as_str() <= b.as_str(), "{} {tail:?}", prefix.len());
            }
        }
    }
    assert!("base/dir0" > start_after_prefix("base/dir/").as_str());
}

#[test]
fn long_positions_are_cut_without_changing_what_follows() {
    let a = "a".repeat(1022);
    let s = format!("{a}日x"); // the cut falls inside 日
    let b = start_after_key(&s);
    assert_eq!(b, format!("{a}\u{7FF}"));
    // Keys that fit are after `s` exactly when they are after the bound.
    for k in [format!("{a}b"), format!("{a}é"), format!("{a}\u{7FF}"), a.clone()] {
        assert!(k < s && k.as_str() <= b.as_str(), "{k:?}");
    }
    let after = format!("{}b", "a".repeat(1021));
    assert!(after > s && after.as_str() > b.as_str());
    assert_eq!(start_after_key("short"), "short");
}

#[test]
fn scans_intersect_the_ceiling_with_the_prefix() {
    assert_eq!(scans("", None), vec![""]);
    assert_eq!(scans("a/", Some(&["nested/", "a/b", "a"])), vec!["a/"]);
    assert_eq!(scans("", Some(&["b", "a/x", "a/", "c/d"])), vec!["a/", "b", "c/d"]);
    assert_eq!(scans("z", Some(&["a"])), Vec::<String>::new());
    assert_eq!(
        scans("n", Some(&["nested/a", "nested/a/b", "nested/c"])),
        vec!["nested/a", "nested/c"]
    );
}
