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
