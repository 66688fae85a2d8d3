use super::*;

#[test]
fn lengths_and_integers() {
    assert_eq!(Reader(&[0x02, 0x01, 0x05]).uint(), Ok(&[5u8][..]));
    assert_eq!(Reader(&[0x02, 0x02, 0x00, 0x80]).uint(), Ok(&[0x80u8][..]));
    assert_eq!(Reader(&[0x02, 0x01, 0x00]).uint(), Ok(&[0u8][..]));
    for bad in [
        &[0x02, 0x00][..],               // empty
        &[0x02, 0x01, 0x80],             // negative
        &[0x02, 0x02, 0x00, 0x05],       // non-minimal
        &[0x02, 0x81, 0x01, 0x05],       // long form for a short length
        &[0x02, 0x80, 0x05, 0x00, 0x00], // indefinite
        &[0x02, 0x82, 0x00, 0x81, 0x05], // leading zero length byte
        &[0x02, 0x85, 1, 0, 0, 0, 0],    // 5 length bytes
        &[0x02, 0x03, 0x01],             // truncated
        &[0x02],                         // truncated
        &[0x04, 0x01, 0x01],             // wrong tag
    ] {
        assert!(Reader(bad).uint().is_err(), "{bad:02x?}");
    }
    let mut long = vec![0x04, 0x81, 0x80];
    long.extend([7u8; 0x80]);
    assert_eq!(Reader(&long).tlv(OCTET_STRING).map(<[u8]>::len), Ok(0x80));
    assert_eq!((bits(&[]), bits(&[1]), bits(&[0x80, 0])), (0, 1, 16));
}

#[test]
fn pem_blocks() {
    let (label, der) = pem_decode("text\n-----BEGIN X Y-----\nAQI\r\n D\n-----END X Y-----\n").expect("ok");
    assert_eq!((label, der.as_slice()), ("X Y", &[1u8, 2, 3][..]));
    for bad in [
        "",
        "AQID",
        "-----BEGIN X-----\nAQID\n",
        "-----BEGIN X-----\nAQID\n-----END Y-----",
        "-----BEGIN X-----\nAQ!D\n-----END X-----",
        "-----BEGIN X\nAQID\n",
    ] {
        assert!(pem_decode(bad).is_err(), "{bad:?}");
    }
}
