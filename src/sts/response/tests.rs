use super::*;

fn issued() -> Issued<'static> {
    Issued {
        access_key_id: "ASIAEXAMPLE",
        secret_access_key: "s3cr3t",
        session_token: "tok",
        expires_at: 1_763_781_720,
        subject: "alice<&>",
        role_arn: "_default",
        role: "_default",
        session_name: "alice",
        provider: "https://idp.example",
        audience: "proxy",
    }
}

#[test]
fn xml_has_the_aws_shape() {
    let x = String::from_utf8(success_xml(&issued(), "RID")).unwrap();
    assert!(x.contains(&format!("<AssumeRoleWithWebIdentityResponse xmlns=\"{STS_NS}\">")));
    assert!(x.contains("<Expiration>2025-11-22T03:22:00Z</Expiration>"), "{x}");
    assert!(x.contains("<SubjectFromWebIdentityToken>alice&lt;&amp;&gt;</SubjectFromWebIdentityToken>"));
    assert!(x.contains("<AssumedRoleId>ASIAEXAMPLE:alice</AssumedRoleId>"));
    assert!(x.contains("<ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata>"));
}

#[test]
fn json_has_the_same_fields() {
    let v: serde_json::Value = serde_json::from_slice(&success_json(&issued(), "RID")).unwrap();
    let r = &v["AssumeRoleWithWebIdentityResponse"]["AssumeRoleWithWebIdentityResult"];
    assert_eq!(r["Credentials"]["SessionToken"], "tok");
    assert_eq!(r["Audience"], "proxy");
}

#[test]
fn errors() {
    let x = String::from_utf8(error_xml(&StsError::IdpRejectedClaim, "RID")).unwrap();
    assert!(
        x.contains("<Error><Type>Sender</Type><Code>IDPRejectedClaim</Code>"),
        "{x}"
    );
    assert_eq!(StsError::IdpRejectedClaim.status(), 403);
    assert_eq!(StsError::NotImplemented("x").status(), 501);
    let v: serde_json::Value = serde_json::from_slice(&error_json(&StsError::ExpiredToken, "R")).unwrap();
    assert_eq!(v["Error"]["Code"], "ExpiredTokenException");
}
