use super::remaining_ms;

#[test]
fn remaining_budget() {
    assert_eq!(remaining_ms(3000, 1_000, 1_000), 3000);
    assert_eq!(remaining_ms(3000, 1_000, 2_200), 1800);
    assert_eq!(remaining_ms(3000, 1_000, 9_000), 1, "spent: still a (failing) read");
    assert_eq!(
        remaining_ms(3000, 9_000, 1_000),
        3000,
        "a clock going back spends nothing"
    );
    assert_eq!(remaining_ms(u32::MAX, i64::MIN, i64::MAX), 1);
}

#[test]
fn packed_listing_reads_what_the_edge_packs() {
    use super::{packed_listing, ListPage, ListedObject};
    // As JSON.stringify writes it: control characters, quotes and backslashes
    // escaped, other characters (astral ones too) as they are.
    let text = r#"{"o":[["a\"b\\c\u0001d\n","0","x",1],["ключ/🦀.txt",1048576,"\"e1\"",1733400000123],["n",2.5,"",null]],"p":["dir/"],"t":true}"#;
    assert!(packed_listing(text).is_err(), "a size that is no number is an error");
    let text = text.replacen(r#""0""#, "0", 1);
    assert_eq!(
        packed_listing(&text).unwrap(),
        ListPage {
            objects: vec![
                ListedObject {
                    key: "a\"b\\c\u{1}d\n".into(),
                    size: 0,
                    etag: "x".into(),
                    last_modified_ms: 1,
                },
                ListedObject {
                    key: "ключ/🦀.txt".into(),
                    size: 1_048_576,
                    etag: "\"e1\"".into(),
                    last_modified_ms: 1_733_400_000_123,
                },
                ListedObject {
                    key: "n".into(),
                    size: 3,
                    etag: String::new(),
                    last_modified_ms: 0,
                },
            ],
            common_prefixes: vec!["dir/".into()],
            truncated: true,
        }
    );
    assert_eq!(
        packed_listing(r#"{"o":[],"p":[],"t":false}"#).unwrap(),
        ListPage::default()
    );
    assert!(packed_listing(r#"{"o":[["k",1,"e"]],"p":[],"t":false}"#).is_err());
}
