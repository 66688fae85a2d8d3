use super::*;

#[test]
fn debug_and_display_are_redacted() {
    let s = Secret::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string());
    assert_eq!(format!("{s:?}"), "Secret(***)");
    assert_eq!(format!("{s}"), "Secret(***)");
    assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    Secret(***),\n)");
    assert!(!format!("{:?}", (s.clone(), 1)).contains("EXAMPLE"));
    assert_eq!(s.expose(), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
}

#[test]
fn constructors() {
    assert_eq!(Secret::new("a").expose(), "a");
    assert_eq!(Secret::from("b").expose(), "b");
    assert_eq!(Secret::default().expose(), "");
}

#[test]
fn constant_time_eq_works() {
    assert!(constant_time_eq(b"", b""));
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"xbc"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(!constant_time_eq(b"", b"a"));
    let a = [0xffu8; 64];
    let mut b = a;
    assert!(constant_time_eq(&a, &b));
    b[63] = 0xfe;
    assert!(!constant_time_eq(&a, &b));
}
