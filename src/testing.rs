//! An in-memory runtime for native tests: R2 buckets as sorted maps with R2's
//! list semantics, scripted HTTP answers, captured logs, counted calls.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use crate::error::{ProxyError, Result};
use crate::http::Headers;
use crate::log::Level;
use crate::platform::{
    BlobGet, InboundResponse, ListPage, ListRequest, ListedObject, ObjectMeta, OutboundRequest, Platform,
};
use crate::s3::range::ByteRange;

type Bucket = BTreeMap<String, (ObjectMeta, Vec<u8>)>;

/// A scripted HTTP answer: URL prefix, status, headers, body.
pub type Scripted = (String, u16, Vec<(String, String)>, Vec<u8>);

/// Answers a fetch from the request itself (e.g. per bearer token); `None`
/// falls through to the scripted answers.
pub type Responder = Box<dyn Fn(&OutboundRequest) -> Option<(u16, Vec<u8>)>>;

#[derive(Default)]
pub struct FakePlatform {
    pub buckets: RefCell<HashMap<String, Bucket>>,
    /// Answers for outbound fetches; the first whose prefix matches wins.
    pub http: RefCell<Vec<Scripted>>,
    pub responder: RefCell<Option<Responder>>,
    pub fetched: RefCell<Vec<OutboundRequest>>,
    pub backend_calls: Cell<usize>,
    /// Every R2 list request, in order: what a listing asked the backend for.
    pub r2_lists: RefCell<Vec<ListRequest>>,
    pub logs: RefCell<Vec<String>>,
    /// The shared (Cache API) layer: key → body; TTLs are not modelled.
    pub cache: RefCell<HashMap<String, Vec<u8>>>,
    /// Time returned by `now_ms` (a fixed default when 0).
    pub clock_ms: Cell<i64>,
    /// `fetch` yields once to the executor before answering, so concurrent
    /// requests interleave (as they do at an await on a real network).
    pub fetch_yields: Cell<bool>,
    /// When set, `fetch` fails with this error (a timeout, a refused connection).
    pub fetch_error: RefCell<Option<ProxyError>>,
    /// When set, `read_body` fails as the edge does when a body has not ended
    /// in time (headers on time, then a trickle).
    pub bodies_stall: Cell<bool>,
    /// `(limit, timeout_ms)` of every `read_body`.
    pub body_reads: RefCell<Vec<(usize, u32)>>,
}

/// Pending on the first poll (waking itself), ready on the second.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl FakePlatform {
    pub fn script(&self, url_prefix: &str, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let h = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        self.http
            .borrow_mut()
            .push((url_prefix.to_string(), status, h, body.to_vec()));
    }

    pub fn put(&self, binding: &str, key: &str, body: &[u8]) {
        let meta = ObjectMeta {
            size: body.len() as u64,
            etag: format!("\"{:x}\"", body.len() * 31 + key.len()),
            last_modified_ms: 1_700_000_000_000,
            content_type: Some("text/plain".into()),
            ..Default::default()
        };
        self.buckets
            .borrow_mut()
            .entry(binding.into())
            .or_default()
            .insert(key.into(), (meta, body.to_vec()));
    }

    fn bucket<T>(&self, binding: &str, f: impl FnOnce(&Bucket) -> T) -> Result<T> {
        self.backend_calls.set(self.backend_calls.get() + 1);
        let b = self.buckets.borrow();
        let bucket = b
            .get(binding)
            .ok_or_else(|| ProxyError::Misconfigured(format!("no R2 binding {binding}")))?;
        Ok(f(bucket))
    }
}

impl Platform for FakePlatform {
    type Body = Vec<u8>;

    fn now_ms(&self) -> i64 {
        match self.clock_ms.get() {
            0 => 1_763_781_720_000,
            t => t,
        }
    }

    fn log(&self, _level: Level, line: &str) {
        self.logs.borrow_mut().push(line.to_string());
    }

    async fn fetch(&self, req: OutboundRequest) -> Result<InboundResponse<Vec<u8>>> {
        self.backend_calls.set(self.backend_calls.get() + 1);
        if self.fetch_yields.get() {
            YieldOnce(false).await;
        }
        if let Some(e) = self.fetch_error.borrow().clone() {
            self.fetched.borrow_mut().push(req);
            return Err(e);
        }
        let computed = self.responder.borrow().as_ref().and_then(|f| f(&req));
        if let Some((status, body)) = computed {
            self.fetched.borrow_mut().push(req);
            let headers = [("content-type".to_string(), "application/json".to_string())];
            return Ok(InboundResponse {
                status,
                headers: headers.into_iter().collect::<Headers>(),
                body: Some(body),
            });
        }
        let answer = self
            .http
            .borrow()
            .iter()
            .find(|(p, ..)| req.url.starts_with(p.as_str()))
            .cloned();
        self.fetched.borrow_mut().push(req);
        let (_, status, headers, body) = answer.ok_or_else(|| ProxyError::Unavailable("no scripted answer".into()))?;
        Ok(InboundResponse {
            status,
            headers: headers.into_iter().collect::<Headers>(),
            body: Some(body),
        })
    }

    async fn read_body(&self, body: Vec<u8>, limit: usize, timeout_ms: u32) -> Result<Vec<u8>> {
        self.body_reads.borrow_mut().push((limit, timeout_ms));
        if self.bodies_stall.get() {
            return Err(ProxyError::Unavailable(format!(
                "backend body not complete after {timeout_ms} ms"
            )));
        }
        if body.len() > limit {
            return Err(ProxyError::Backend("body too large".into()));
        }
        Ok(body)
    }

    async fn r2_head(&self, binding: &str, key: &str) -> Result<Option<ObjectMeta>> {
        self.bucket(binding, |b| b.get(key).map(|(m, _)| m.clone()))
    }

    async fn r2_get(
        &self,
        binding: &str,
        key: &str,
        range: Option<ByteRange>,
        if_etag: Option<&str>,
    ) -> Result<Option<BlobGet<Vec<u8>>>> {
        self.bucket(binding, |b| {
            b.get(key).map(|(meta, data)| {
                if if_etag.is_some_and(|e| e != meta.etag) {
                    return BlobGet {
                        meta: meta.clone(),
                        body: None,
                    };
                }
                let body = match range {
                    Some(r) => data[r.start as usize..=r.end as usize].to_vec(),
                    None => data.clone(),
                };
                BlobGet {
                    meta: meta.clone(),
                    body: Some(body),
                }
            })
        })
    }

    async fn r2_list(&self, binding: &str, req: &ListRequest) -> Result<ListPage> {
        self.r2_lists.borrow_mut().push(req.clone());
        self.bucket(binding, |b| {
            let mut page = ListPage::default();
            let mut count = 0u32;
            let after = req.start_after.clone().unwrap_or_default();
            for (key, (meta, _)) in b.range(req.prefix.clone()..) {
                if !key.starts_with(&req.prefix) {
                    break;
                }
                if key.as_str() <= after.as_str() {
                    continue;
                }
                let rest = &key[req.prefix.len()..];
                let cp = req
                    .delimiter
                    .as_deref()
                    .and_then(|d| rest.find(d).map(|i| format!("{}{}", req.prefix, &rest[..i + d.len()])));
                if let Some(cp) = &cp {
                    if page.common_prefixes.last() == Some(cp) {
                        continue;
                    }
                }
                if count == req.limit {
                    page.truncated = true;
                    break;
                }
                count += 1;
                match cp {
                    Some(cp) => page.common_prefixes.push(cp),
                    None => page.objects.push(ListedObject {
                        key: key.clone(),
                        size: meta.size,
                        etag: meta.etag.clone(),
                        last_modified_ms: meta.last_modified_ms,
                    }),
                }
            }
            page
        })
    }

    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.borrow().get(key).cloned()
    }

    async fn cache_put(&self, key: &str, body: &[u8], _ttl_secs: u32) {
        self.cache.borrow_mut().insert(key.to_string(), body.to_vec());
    }
}

/// Runs a future to completion on the current thread.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// Credentials of a sealed session, as STS would issue them: `subject` of
/// `issuer`, role `_default`, with `ceiling`, valid until `expires_at` (s).
pub fn session_credentials(
    cfg: &crate::config::Config,
    issuer: &str,
    subject: &str,
    ceiling: &[&str],
    expires_at: i64,
) -> crate::sigv4::Credentials {
    use crate::secret::Secret;
    let (akid, secret) = crate::session::new_credentials().unwrap();
    let session = crate::session::Session {
        access_key_id: akid.clone(),
        secret_access_key: Secret::from(secret.expose().to_string()),
        issuer: issuer.into(),
        subject: subject.into(),
        role: "_default".into(),
        ceiling: ceiling.iter().map(|s| s.to_string()).collect(),
        session_name: subject.into(),
        audience: "oidc-data-proxy".into(),
        expires_at,
        claims: Vec::new(),
        session_id: String::new(),
        policy: None,
    };
    let token = crate::session::seal(cfg.session_keys.as_ref().unwrap(), &session).unwrap();
    crate::sigv4::Credentials {
        access_key_id: akid,
        secret_access_key: secret,
        session_token: Some(Secret::from(token)),
    }
}

/// A request to `host` signed with SigV4 header auth; `query` is raw
/// (`a=1&b=%2F`), decoded here for the signer.
pub fn signed_request(
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    creds: &crate::sigv4::Credentials,
    now_ms: i64,
) -> crate::http::Request {
    let dec = |x: &str| percent_encoding::percent_decode_str(x).decode_utf8_lossy().into_owned();
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (k, v) = q.split_once('=').unwrap_or((q, ""));
            (dec(k), dec(v))
        })
        .collect();
    let req = crate::sigv4::SignableRequest {
        method,
        host,
        path,
        query: &pairs,
        headers: &[],
    };
    let mut r = crate::http::Request::new(method, path, query).with_header("host", host);
    for (n, v) in crate::sigv4::sign(&req, creds, "us-east-1", "s3", now_ms / 1000) {
        r = r.with_header(&n, &v);
    }
    r
}
