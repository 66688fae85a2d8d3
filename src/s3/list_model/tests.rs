use super::*;

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(ToString::to_string).collect()
}

fn names(p: &ModelPage) -> Vec<&str> {
    p.entries.iter().map(|(n, _)| n.as_str()).collect()
}

const Q: ModelQuery = ModelQuery {
    prefix: "",
    delimiter: Some("/"),
    max_keys: 1000,
    max_name: 1024,
};

/// The answers of s3-tests' delimiter-and-marker case (V1, `/`).
#[test]
fn pages_with_common_prefixes_resume_after_them() {
    let k = keys(&["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"]);
    let q = ModelQuery { max_keys: 1, ..Q };
    let ps = pages(&k, &[], &q, None, 10);
    let got: Vec<Vec<&str>> = ps.iter().map(names).collect();
    assert_eq!(got, vec![vec!["asdf"], vec!["boo/"], vec!["cquux/"]]);
    assert_eq!(
        ps[1].next,
        Some(Position {
            value: "boo/".into(),
            is_prefix: true
        })
    );
    assert_eq!(ps[2].next, None);
    let q = ModelQuery {
        prefix: "boo/",
        max_keys: 2,
        ..Q
    };
    assert_eq!(names(&page(&k, &[], &q, None)), vec!["boo/bar", "boo/baz/"]);
}

#[test]
fn a_position_inside_a_folder_rolls_its_later_keys_up() {
    let k = keys(&["many/1", "many/5", "many/6", "nested/a/b", "z"]);
    let at = |s: &str| Some(Position::key(s));
    assert_eq!(
        names(&page(&k, &[], &Q, at("many/5").as_ref())),
        vec!["many/", "nested/", "z"]
    );
    assert_eq!(names(&page(&k, &[], &Q, at("many/6").as_ref())), vec!["nested/", "z"]);
    assert_eq!(names(&page(&k, &[], &Q, at("many/").as_ref())), vec!["nested/", "z"]);
    assert_eq!(names(&page(&k, &[], &Q, at("nested/a").as_ref())), vec!["nested/", "z"]);
}

#[test]
fn phantoms_show_only_as_common_prefixes() {
    let ph = keys(&["a/", "b-c/"]);
    assert_eq!(names(&page(&[], &ph, &Q, None)), vec!["a/", "b-c/"]);
    let dash = ModelQuery {
        delimiter: Some("-"),
        ..Q
    };
    assert_eq!(names(&page(&[], &ph, &dash, None)), vec!["b-"]);
    let none = ModelQuery { delimiter: None, ..Q };
    assert!(page(&[], &ph, &none, None).entries.is_empty());
}

#[test]
fn max_keys_zero_is_an_empty_last_page() {
    let p = page(&keys(&["a"]), &[], &ModelQuery { max_keys: 0, ..Q }, None);
    assert_eq!(
        p,
        ModelPage {
            entries: vec![],
            next: None
        }
    );
}

#[test]
fn names_over_the_limit_only_roll_up() {
    let k = keys(&["a/long-key", "b/long", "long-key", "short"]);
    let q = ModelQuery { max_name: 7, ..Q };
    assert_eq!(names(&page(&k, &[], &q, None)), vec!["a/", "b/", "short"]);
    let none = ModelQuery { delimiter: None, ..q };
    assert_eq!(names(&page(&k, &[], &none, None)), vec!["b/long", "short"]);
    let deep = ModelQuery {
        prefix: "a/",
        max_name: 4,
        ..Q
    };
    assert!(page(&k, &[], &deep, None).entries.is_empty());
}
