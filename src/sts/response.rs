//! AssumeRoleWithWebIdentity answers, AWS-faithful XML or JSON for browsers.

use serde_json::json;

use super::endpoint::METHODS;
use super::StsError;
use crate::error::{ApiError, Code};
use crate::http::{Request, Response};
use crate::s3::xml::Xml;
use crate::time::format_iso8601;

pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// What a successful exchange returns.
pub struct Issued<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: &'a str,
    pub expires_at: i64,
    pub subject: &'a str,
    pub role_arn: &'a str,
    pub role: &'a str,
    pub session_name: &'a str,
    pub provider: &'a str,
    pub audience: &'a str,
}

impl Issued<'_> {
    fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.access_key_id, self.session_name)
    }

    fn assumed_arn(&self) -> String {
        format!(
            "arn:aws:sts::000000000000:assumed-role/{}/{}",
            self.role, self.session_name
        )
    }
}

pub fn success_xml(i: &Issued, request_id: &str) -> Vec<u8> {
    let mut x = Xml::new();
    x.open_ns("AssumeRoleWithWebIdentityResponse", STS_NS)
        .open("AssumeRoleWithWebIdentityResult")
        .open("Credentials")
        .elem("AccessKeyId", i.access_key_id)
        .elem("SecretAccessKey", i.secret_access_key)
        .elem("SessionToken", i.session_token)
        .elem("Expiration", &format_iso8601(i.expires_at))
        .close("Credentials")
        .elem("SubjectFromWebIdentityToken", i.subject)
        .open("AssumedRoleUser")
        .elem("Arn", &i.assumed_arn())
        .elem("AssumedRoleId", &i.assumed_role_id())
        .close("AssumedRoleUser")
        .elem("Provider", i.provider)
        .elem("Audience", i.audience)
        .close("AssumeRoleWithWebIdentityResult")
        .open("ResponseMetadata")
        .elem("RequestId", request_id)
        .close("ResponseMetadata")
        .close("AssumeRoleWithWebIdentityResponse");
    x.finish()
}

pub fn success_json(i: &Issued, request_id: &str) -> Vec<u8> {
    let doc = json!({
        "AssumeRoleWithWebIdentityResponse": {
            "AssumeRoleWithWebIdentityResult": {
                "Credentials": {
                    "AccessKeyId": i.access_key_id,
                    "SecretAccessKey": i.secret_access_key,
                    "SessionToken": i.session_token,
                    "Expiration": format_iso8601(i.expires_at),
                },
                "SubjectFromWebIdentityToken": i.subject,
                "AssumedRoleUser": { "Arn": i.assumed_arn(), "AssumedRoleId": i.assumed_role_id() },
                "Provider": i.provider,
                "Audience": i.audience,
            },
            "ResponseMetadata": { "RequestId": request_id },
        }
    });
    // Not `to_string()`: `Value`'s Display is two more serializers in the wasm.
    serde_json::to_vec(&doc).unwrap_or_default()
}

pub fn error_xml(e: &impl ApiError, request_id: &str) -> Vec<u8> {
    let mut x = Xml::new();
    x.open_ns("ErrorResponse", STS_NS)
        .open("Error")
        .elem("Type", fault(e.code()))
        .elem("Code", e.code().as_str())
        .elem("Message", &e.message())
        .close("Error")
        .elem("RequestId", request_id)
        .close("ErrorResponse");
    x.finish()
}

/// Browsers ask for JSON (`Accept: application/json`); SDKs get XML.
pub fn wants_json(req: &Request) -> bool {
    req.headers
        .get("accept")
        .is_some_and(|a| a.contains("application/json"))
}

/// An STS error answer, in the form the request asked for.
pub fn error_response<B>(e: &StsError, json: bool, request_id: &str) -> Response<B> {
    let mut r = match json {
        true => Response::bytes(e.status(), "application/json", error_json(e, request_id)),
        false => Response::bytes(e.status(), "text/xml", error_xml(e, request_id)),
    };
    if matches!(e, StsError::MethodNotAllowed) {
        r.headers.set("allow", METHODS.join(", "));
    }
    r.headers.set("cache-control", "no-store");
    r
}

/// The `Type` element: the caller's fault or ours.
fn fault(code: Code) -> &'static str {
    match code.status() >= 500 {
        true => "Receiver",
        false => "Sender",
    }
}

pub fn error_json(e: &impl ApiError, request_id: &str) -> Vec<u8> {
    let doc = json!({
        "Error": { "Type": fault(e.code()), "Code": e.code().as_str(), "Message": e.message() },
        "RequestId": request_id,
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests;
