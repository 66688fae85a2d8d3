//! An in-memory runtime for native tests: R2 buckets as sorted maps with R2's
//! list semantics, scripted HTTP answers, captured logs, counted calls.

pub mod keys;
mod requests;

pub use requests::{block_on, get, run, run_text, session_credentials, signed_request, take_body};

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
    /// Every R2 head and get, in order (`"head"`, `"get"`).
    pub r2_calls: RefCell<Vec<&'static str>>,
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
    /// The edge cache's entries (`blob_get`, `splice`): key → bytes.
    pub blobs: RefCell<HashMap<String, Vec<u8>>>,
    /// An S3-compatible endpoint served from memory: (URL prefix
    /// `http://host/bucket/`, objects by key). Honors Range, If-Match and HEAD
    /// as S3 does; fetches under the prefix answer from here.
    pub s3: RefCell<Option<(String, Bucket)>>,
    /// Chunk size `splice` feeds backend bodies through (default 4096), so
    /// that entries are cut across chunk boundaries as at the edge.
    pub splice_chunk: Cell<usize>,
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

    /// Puts an object into the in-memory S3 endpoint (see [`FakePlatform::s3`]),
    /// with an ETag derived from its bytes.
    pub fn s3_put(&self, key: &str, body: &[u8], cache_control: Option<&str>) {
        let mut s3 = self.s3.borrow_mut();
        let (_, objects) = s3.get_or_insert_with(|| ("http://s3.test/bkt/".to_string(), Bucket::new()));
        let digest = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        let meta = ObjectMeta {
            size: body.len() as u64,
            etag: format!("\"{digest:016x}\""),
            last_modified_ms: 1_700_000_000_000,
            content_type: Some("application/octet-stream".into()),
            cache_control: cache_control.map(str::to_string),
            ..Default::default()
        };
        objects.insert(key.to_string(), (meta, body.to_vec()));
    }

    fn s3_answer(&self, req: &OutboundRequest) -> Option<InboundResponse<Vec<u8>>> {
        use crate::s3::conditional::{format_http_date, Conditions};
        use crate::s3::range::RangeSpec;
        let s3 = self.s3.borrow();
        let (prefix, objects) = s3.as_ref()?;
        let key = req.url.strip_prefix(prefix.as_str())?;
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8_lossy()
            .into_owned();
        let h: Headers = req.headers.iter().cloned().collect();
        let answer = |status: u16, headers: Vec<(String, String)>, body: Vec<u8>| InboundResponse {
            status,
            headers: headers.into_iter().collect::<Headers>(),
            body: Some(body),
        };
        let Some((meta, data)) = objects.get(&key) else {
            return Some(answer(404, vec![], b"<Error><Code>NoSuchKey</Code></Error>".to_vec()));
        };
        match Conditions::from_headers(&h).evaluate(&meta.etag, meta.last_modified_ms) {
            Err(_) => return Some(answer(412, vec![], Vec::new())),
            Ok(crate::s3::conditional::Verdict::NotModified) => {
                // S3's 304 carries the validators.
                let validators = vec![
                    ("etag".into(), meta.etag.clone()),
                    ("last-modified".into(), format_http_date(meta.last_modified_ms)),
                ];
                return Some(answer(304, validators, Vec::new()));
            }
            Ok(_) => {}
        }
        let mut headers = vec![
            ("etag".to_string(), meta.etag.clone()),
            ("last-modified".to_string(), format_http_date(meta.last_modified_ms)),
            (
                "content-type".to_string(),
                meta.content_type.clone().unwrap_or_default(),
            ),
        ];
        if let Some(cc) = &meta.cache_control {
            headers.push(("cache-control".into(), cc.clone()));
        }
        let (status, bytes) = match h.get("range").and_then(RangeSpec::parse) {
            Some(spec) => match spec.resolve(meta.size) {
                Ok(r) => {
                    headers.push(("content-range".into(), r.content_range(meta.size)));
                    (206, data[ix(r.start)..=ix(r.end)].to_vec())
                }
                Err(_) => {
                    headers.push(("content-range".into(), format!("bytes */{}", meta.size)));
                    return Some(answer(416, headers, Vec::new()));
                }
            },
            None => (200, data.clone()),
        };
        headers.push(("content-length".into(), bytes.len().to_string()));
        let body = if req.method == "HEAD" { Vec::new() } else { bytes };
        Some(answer(status, headers, body))
    }

    fn bucket<T>(&self, binding: &str, f: impl FnOnce(&Bucket) -> T) -> Result<T> {
        self.backend_calls.set(self.backend_calls.get() + 1);
        let b = self.buckets.borrow();
        let bucket = b
            .get(binding)
            .ok_or_else(|| ProxyError::Misconfigured(format!("no R2 binding {binding}").into()))?;
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
        if let Some(answer) = self.s3_answer(&req) {
            self.fetched.borrow_mut().push(req);
            return Ok(answer);
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
            return Err(ProxyError::Unavailable(
                format!("backend body not complete after {timeout_ms} ms").into(),
            ));
        }
        if body.len() > limit {
            return Err(ProxyError::Backend("body too large".into()));
        }
        Ok(body)
    }

    async fn r2_head(&self, binding: &str, key: &str) -> Result<Option<ObjectMeta>> {
        self.r2_calls.borrow_mut().push("head");
        self.bucket(binding, |b| b.get(key).map(|(m, _)| m.clone()))
    }

    async fn r2_get(
        &self,
        binding: &str,
        key: &str,
        range: Option<ByteRange>,
        if_etag: Option<&str>,
    ) -> Result<Option<BlobGet<Vec<u8>>>> {
        self.r2_calls.borrow_mut().push("get");
        let got = self.bucket(binding, |b| {
            b.get(key).map(|(meta, data)| {
                // Like R2, a range past the object's end is an error (R2 does not clamp).
                if range.is_some_and(|r| ix(r.end) >= data.len()) {
                    return None;
                }
                if if_etag.is_some_and(|e| e != meta.etag) {
                    return Some(BlobGet {
                        meta: meta.clone(),
                        body: None,
                    });
                }
                let body = match range {
                    Some(r) => data[ix(r.start)..=ix(r.end)].to_vec(),
                    None => data.clone(),
                };
                Some(BlobGet {
                    meta: meta.clone(),
                    body: Some(body),
                })
            })
        })?;
        match got {
            Some(None) => Err(ProxyError::Unavailable("r2 get: InvalidRange".into())),
            Some(Some(g)) => Ok(Some(g)),
            None => Ok(None),
        }
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

    async fn blob_get(&self, key: &str, within: ByteRange) -> Option<Vec<u8>> {
        let blobs = self.blobs.borrow();
        let b = blobs.get(key)?;
        b.get(ix(within.start)..=ix(within.end)).map(<[u8]>::to_vec)
    }

    fn splice(&self, pieces: Vec<crate::platform::Piece<Vec<u8>>>, len: u64) -> Vec<u8> {
        use crate::platform::Piece;
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Stored(b) => out.extend_from_slice(&b),
                Piece::Fetched(mut fill) => {
                    let mut filling: HashMap<u64, Vec<u8>> = HashMap::new();
                    let step = match self.splice_chunk.get() {
                        0 => 4096,
                        n => n,
                    };
                    for chunk in fill.body.chunks(step) {
                        let cut = fill.cutter.feed(chunk.len());
                        for (i, part, complete) in cut.to_entries {
                            let buf = filling.entry(i).or_default();
                            buf.extend_from_slice(&chunk[part]);
                            if complete {
                                let bytes = filling.remove(&i).unwrap_or_default();
                                let entry = &mut fill.entries[ix(i - fill.first)];
                                self.blobs.borrow_mut().insert(entry.key.clone(), bytes);
                                entry.release.take();
                            }
                        }
                        if let Some(a) = cut.to_answer {
                            out.extend_from_slice(&chunk[a]);
                        }
                    }
                }
            }
        }
        assert_eq!(out.len() as u64, len, "splice: the answer's length");
        out
    }

    async fn sleep(&self, _ms: u32) {
        YieldOnce(false).await;
    }
}

/// A byte offset of the in-memory stores as an index.
fn ix(n: u64) -> usize {
    usize::try_from(n).expect("an in-memory offset fits usize")
}

/// A moto-like ListObjectsV2 answer (`encoding-type=url`) of `n` keys.
pub fn moto_page(n: usize, truncated: bool) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>bkt</Name><Prefix>demo/public-data/many/</Prefix><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>",
    );
    x.push_str(&format!("<IsTruncated>{truncated}</IsTruncated>"));
    for i in 0..n {
        x.push_str(&format!(
            "<Contents><Key>demo/public-data/many/{i:05}.txt</Key><LastModified>2026-12-04T10:00:00.000Z</LastModified>\
             <ETag>&quot;0f343b0931126a20f133d67c2b018a3b&quot;</ETag><Size>22</Size><StorageClass>STANDARD</StorageClass>\
             <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>webfile</DisplayName></Owner></Contents>"
        ));
    }
    x.push_str(&format!("<KeyCount>{n}</KeyCount></ListBucketResult>"));
    x
}
