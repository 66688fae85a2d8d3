use super::*;

#[test]
fn escapes_markup_and_controls() {
    assert_eq!(escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
    assert_eq!(escape("tab\there\u{1}"), "tab&#x9;here&#x1;");
    assert_eq!(escape("日本"), "日本");
}

/// Found by the request fuzz target (fuzz/corpus/request/crash-prefix-uffff): a
/// listing echoed `prefix=%EF%BF%BF` raw, which no XML parser reads (U+FFFE/U+FFFF
/// are not XML characters). Like control characters they become references, as S3
/// writes them (clients that refuse those ask for `encoding-type=url`).
#[test]
fn noncharacters_become_references() {
    assert_eq!(escape("a\u{FFFF}b\u{FFFE}"), "a&#xFFFF;b&#xFFFE;");
    assert_eq!(escape("\u{FFFD}\u{10000}"), "\u{FFFD}\u{10000}");
}

#[test]
fn error_document() {
    let x = String::from_utf8(error("NoSuchKey", "m", "/a/<b>", "RID")).unwrap();
    assert!(x.contains("<Error><Code>NoSuchKey</Code><Message>m</Message><Resource>/a/&lt;b&gt;</Resource><RequestId>RID</RequestId></Error>"), "{x}");
}

#[test]
fn location_document() {
    let x = String::from_utf8(location("us-east-1")).unwrap();
    assert!(
        x.ends_with(&format!("<LocationConstraint xmlns=\"{S3_NS}\"></LocationConstraint>")),
        "{x}"
    );
    let x = String::from_utf8(location("eu-west-1")).unwrap();
    assert!(x.contains(">eu-west-1</LocationConstraint>"));
}

/// The byte-scanning `escape` against the plain char-by-char rule, for every
/// character (alone and between others), so the faster form writes the same bytes.
#[test]
fn escape_matches_the_char_rule_for_every_char() {
    fn by_char(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c if (c as u32) < 0x20 || matches!(c, '\u{7f}' | '\u{FFFE}' | '\u{FFFF}') => {
                    out.push_str(&format!("&#x{:X};", c as u32));
                }
                c => out.push(c),
            }
        }
        out
    }
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let s = format!("a{c}\u{FFFD}{c}{c}é");
        assert_eq!(escape(&s), by_char(&s), "U+{:04X}", c as u32);
    }
}
