use super::*;

fn q(s: &str) -> Query {
    Query::parse(s).unwrap()
}

#[test]
fn part_numbers() {
    assert_eq!(Part::parse(&q(""), true), Ok(Part::Unasked));
    assert_eq!(Part::parse(&q("partNumber=1"), false), Ok(Part::First));
    assert_eq!(Part::parse(&q("partNumber=10000"), false), Ok(Part::Missing));
    for bad in ["0", "10001", "+1", "01x", "", "4294967296", "1.0"] {
        let got = Part::parse(&q(&format!("partNumber={bad}")), false);
        assert!(matches!(got, Err(ProxyError::InvalidArgument(_))), "{bad}: {got:?}");
    }
    assert!(matches!(
        Part::parse(&q("partNumber=1"), true),
        Err(ProxyError::InvalidRequest(_))
    ));
}

#[test]
fn versions() {
    assert_eq!(check_version(&q("")), Ok(()));
    assert_eq!(check_version(&q("versionId=null")), Ok(()));
    assert_eq!(check_version(&q("versionId=NULL")), Err(ProxyError::NoSuchVersion));
    assert!(matches!(
        check_version(&q("versionId=")),
        Err(ProxyError::InvalidArgument(_))
    ));
}
