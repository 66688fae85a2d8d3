//! Federated credentials on the in-memory runtime: the exchange's wire
//! shape, answers of every kind, refresh ahead of expiry without blocking,
//! and no secret in logs or `Debug` output.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::*;
use crate::backend::Backend;
use crate::catalog::config::Needs;
use crate::catalog::StaticCatalog;
use crate::catalog::{BackendProblem, StaticCatalogError};
use crate::error::chain;
use crate::http::percent_decode;
use crate::testing::{block_on, FakePlatform};
use crate::time::format_iso8601;

const NOW_MS: i64 = 1_800_000_000_000;
const MIN: i64 = 60_000;
const STS: &str = "https://sts.test/";
const ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiYWNrZW5kOmZlZCJ9.ASSERTION-SIGNATURE";
const ROLE: &str = "arn:aws:iam::123456789012:role/reader";

/// Hands out a fixed assertion and records what it was asked for.
#[derive(Default)]
struct Assertions {
    asked: RefCell<Vec<(String, String)>>,
    fail: Cell<bool>,
}

impl AssertionSource for Assertions {
    async fn assertion(&self, subject: &str, audience: &str) -> Result<Secret> {
        self.asked.borrow_mut().push((subject.into(), audience.into()));
        if self.fail.get() {
            return Err(ProxyError::Unavailable("minting the STS assertion: no key".into()));
        }
        Ok(Secret::from(ASSERTION))
    }
}

fn identity(json: &str) -> std::result::Result<WebIdentity, String> {
    let doc = crate::json::read(json.as_bytes(), WebIdentityDoc::from_value).map_err(|e| e.to_string())?;
    WebIdentity::from_doc("fed", doc, true).map_err(|e| e.to_string())
}

fn wi() -> WebIdentity {
    identity(&format!(
        r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://sts.test"}}"#
    ))
    .unwrap()
}

fn secret_of(n: u32) -> String {
    format!("SECRET/{n}+k3y")
}

fn token_of(n: u32) -> String {
    format!("FwoGZXIvYXdzE{n}SESSIONTOKEN/+=")
}

/// A successful answer: credentials number `n`, valid `ttl_ms` from `now_ms`.
fn success(n: u32, now_ms: i64, ttl_ms: i64) -> String {
    format!(
        r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>backend:fed</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/reader/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <SessionToken>{}</SessionToken>
      <SecretAccessKey>{}</SecretAccessKey>
      <Expiration>{}</Expiration>
      <AccessKeyId>ASIATEMP{n}</AccessKeyId>
    </Credentials>
    <Provider>proxy.test</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"#,
        token_of(n),
        secret_of(n),
        format_iso8601((now_ms + ttl_ms).div_euclid(1000)),
    )
}

fn error_doc(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"#
    )
}

/// STS answers still to give: status and body.
type Answers = Rc<RefCell<VecDeque<(u16, String)>>>;

/// A platform whose STS answers from a queue (the last answer repeats).
fn platform(answers: &[(u16, String)]) -> (FakePlatform, Answers) {
    let p = FakePlatform::default();
    p.clock_ms.set(NOW_MS);
    let queue = Rc::new(RefCell::new(answers.iter().cloned().collect::<VecDeque<_>>()));
    let q = queue.clone();
    *p.responder.borrow_mut() = Some(Box::new(move |req| {
        if !req.url.starts_with(STS) {
            return None;
        }
        let mut q = q.borrow_mut();
        let answer = if q.len() > 1 { q.pop_front() } else { q.front().cloned() };
        answer.map(|(s, b)| (s, b.into_bytes()))
    }));
    (p, queue)
}

fn sts_calls(p: &FakePlatform) -> usize {
    p.fetched.borrow().iter().filter(|r| r.url.starts_with(STS)).count()
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), percent_decode(v).unwrap())
        })
        .collect()
}

fn get(cache: &FederationCache, p: &FakePlatform, a: &Assertions) -> Result<Credentials> {
    block_on(cache.credentials(p, a, &wi()))
}

mod configuration;
mod exchange;
