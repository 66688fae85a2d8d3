//! `Platform` on Workers: outbound fetch with a time-to-headers limit, small
//! bodies read whole with a size and a time limit, R2 bindings, console
//! logging. Object bodies stay JS streams end to end.

use std::time::Duration;

use futures_util::future::{select, Either};
use wasm_bindgen::JsCast;
use worker::{AbortController, Delay, Env, ResponseBody};

use crate::error::{ProxyError, Result};
use crate::http::RequestBody;
use crate::log::Level;
use crate::platform::{
    BlobGet, InboundResponse, ListPage, ListRequest, ListedObject, ObjectMeta, OutboundRequest, Platform,
};
use crate::s3::conditional::format_http_date;
use crate::s3::range::ByteRange;

pub struct EdgePlatform {
    env: Env,
    /// The request's context: work that must outlive the client (`waitUntil`).
    ctx: worker::Context,
    level: Level,
}

impl EdgePlatform {
    pub fn new(env: Env, ctx: worker::Context, level: Level) -> Self {
        Self { env, ctx, level }
    }

    fn bucket(&self, binding: &str) -> Result<worker::Bucket> {
        self.env
            .bucket(binding)
            .map_err(|e| ProxyError::Misconfigured(format!("R2 binding {binding} is missing: {e}").into()))
    }
}

fn r2_err(op: &str, e: worker::Error) -> ProxyError {
    ProxyError::Unavailable(format!("r2 {op}: {e}").into())
}

fn meta(o: &worker::Object) -> Result<ObjectMeta> {
    let h = o.http_metadata();
    Ok(ObjectMeta {
        size: o.size(),
        etag: o.http_etag(),
        last_modified_ms: i64::try_from(o.uploaded().as_millis()).unwrap_or(i64::MAX),
        content_type: h.content_type,
        cache_control: h.cache_control,
        content_encoding: h.content_encoding,
        content_disposition: h.content_disposition,
        content_language: h.content_language,
        expires: h
            .cache_expiry
            .map(|d| format_http_date(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
        user_metadata: o
            .custom_metadata()
            .map_err(|e| r2_err("metadata", e))?
            .into_iter()
            .collect(),
    })
}

/// A request's init: `method` (upper case, as fetch() sends it), `headers`,
/// redirects followed (what `worker::RequestInit` set).
pub(super) fn request_init(method: &str, headers: &[(String, String)]) -> Result<web_sys::RequestInit> {
    let js = super::headers::to_js(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|e| ProxyError::Internal(js_text("outbound headers", &e).into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&js);
    init.set_redirect(web_sys::RequestRedirect::Follow);
    Ok(init)
}

/// `what: ` and a JS exception's message.
fn js_text(what: &str, e: &wasm_bindgen::JsValue) -> String {
    format!("{what}: {}", super::js_message(e))
}

/// `fetch(url, init)`. The runtime takes `encodeResponseBody` only as an
/// option of fetch() itself (not from a Request handed to it), which
/// `worker::Fetch` cannot pass. A `web_sys::Response`: converting it into
/// `worker`'s would read its `cf` and `webSocket` too.
async fn send(url: &str, init: &web_sys::RequestInit) -> worker::Result<web_sys::Response> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let resp = wasm_bindgen_futures::JsFuture::from(global.fetch_with_str_and_init(url, init)).await?;
    Ok(resp.dyn_into::<web_sys::Response>()?)
}

/// A body read whole, failing past `limit` bytes (without reading further).
async fn read_capped(body: ResponseBody, limit: usize) -> Result<Vec<u8>> {
    let read = match body {
        ResponseBody::Empty => Ok(RequestBody::Bytes(Vec::new())),
        ResponseBody::Body(b) if b.len() > limit => Ok(RequestBody::TooLarge),
        ResponseBody::Body(b) => Ok(RequestBody::Bytes(b)),
        ResponseBody::Stream(s) => super::read_stream(s, limit).await,
    };
    match read {
        Ok(RequestBody::Bytes(b)) => Ok(b),
        Ok(_) => Err(ProxyError::Backend(
            format!("backend body larger than {limit} bytes").into(),
        )),
        Err(e) => Err(ProxyError::Unavailable(format!("reading backend body: {e}").into())),
    }
}

impl Platform for EdgePlatform {
    type Body = ResponseBody;

    // An ECMAScript time value is a whole number within ±8.64e15 ms: exact in an i64.
    #[allow(clippy::cast_possible_truncation)]
    fn now_ms(&self) -> i64 {
        // `Date.now()`: `worker::Date::now` builds a `Date` object to read it.
        js_sys::Date::now() as i64
    }

    fn log(&self, level: Level, line: &str) {
        if level > self.level {
            return;
        }
        match level {
            Level::Error => worker::console_error!("{line}"),
            Level::Warn => worker::console_warn!("{line}"),
            _ => worker::console_log!("{line}"),
        }
    }

    async fn fetch(&self, req: OutboundRequest) -> Result<InboundResponse<ResponseBody>> {
        // web_sys's RequestInit, not worker's: converting that one links its
        // `cf` properties' serialiser (serde_wasm_bindgen) into the wasm.
        let init = request_init(req.method, &req.headers)?;
        if let Some(body) = &req.body {
            init.set_body(&js_sys::Uint8Array::from(body.as_slice()).into());
        }
        let controller = AbortController::default();
        let signal = controller.signal();
        init.set_signal(Some(&signal));
        if crate::adapter::keeps_encoding(&req.headers) {
            js_sys::Reflect::set(&init, &"encodeResponseBody".into(), &"manual".into())
                .map_err(|_| ProxyError::Internal("outbound request: encodeResponseBody".into()))?;
        }
        let sending = std::pin::pin!(send(&req.url, &init));
        let timer = Delay::from(Duration::from_millis(u64::from(req.timeout_ms)));
        // Only the wait for headers is bounded here: an object body may stream
        // for long; `read_body` bounds the small ones.
        let resp = match select(sending, timer).await {
            Either::Left((r, _)) => {
                r.map_err(|e| ProxyError::Unavailable(format!("fetch {}: {e}", req.method).into()))?
            }
            Either::Right(_) => {
                controller.abort();
                return Err(ProxyError::Unavailable(
                    format!("backend timed out after {} ms", req.timeout_ms).into(),
                ));
            }
        };
        Ok(InboundResponse {
            status: resp.status(),
            headers: super::headers::read(&resp.headers()),
            body: resp.body().map(ResponseBody::Stream),
        })
    }

    async fn read_body(&self, body: ResponseBody, limit: usize, timeout_ms: u32) -> Result<Vec<u8>> {
        let reading = std::pin::pin!(read_capped(body, limit));
        let timer = Delay::from(Duration::from_millis(u64::from(timeout_ms)));
        match select(reading, timer).await {
            Either::Left((r, _)) => r,
            // The reader is dropped with the future, which cancels the stream
            // and so closes the connection.
            Either::Right(_) => Err(ProxyError::Unavailable(
                format!("backend body not complete after {timeout_ms} ms").into(),
            )),
        }
    }

    async fn r2_head(&self, binding: &str, key: &str) -> Result<Option<ObjectMeta>> {
        match self.bucket(binding)?.head(key).await.map_err(|e| r2_err("head", e))? {
            Some(o) => Ok(Some(meta(&o)?)),
            None => Ok(None),
        }
    }

    async fn r2_get(
        &self,
        binding: &str,
        key: &str,
        range: Option<ByteRange>,
        if_etag: Option<&str>,
    ) -> Result<Option<BlobGet<ResponseBody>>> {
        let bucket = self.bucket(binding)?;
        let mut get = bucket.get(key);
        if let Some(r) = range {
            get = get.range(worker::Range::OffsetWithLength {
                offset: r.start,
                length: r.len(),
            });
        }
        if let Some(etag) = if_etag {
            get = get.only_if(worker::Conditional {
                etag_matches: Some(etag.trim_matches('"').to_string()),
                ..Default::default()
            });
        }
        let Some(o) = get.execute().await.map_err(|e| r2_err("get", e))? else {
            return Ok(None);
        };
        let body = match o.body() {
            Some(b) => Some(b.response_body().map_err(|e| r2_err("body", e))?),
            None => None,
        };
        Ok(Some(BlobGet { meta: meta(&o)?, body }))
    }

    async fn r2_list(&self, binding: &str, req: &ListRequest) -> Result<ListPage> {
        let bucket = self.bucket(binding)?;
        let mut list = bucket.list().prefix(req.prefix.clone()).limit(req.limit);
        if let Some(d) = &req.delimiter {
            list = list.delimiter(d.clone());
        }
        if let Some(s) = &req.start_after {
            list = list.start_after(s.clone());
        }
        let objects = list.execute().await.map_err(|e| r2_err("list", e))?;
        Ok(ListPage {
            objects: objects
                .objects()
                .iter()
                .map(|o| ListedObject {
                    key: o.key(),
                    size: o.size(),
                    etag: o.http_etag(),
                    last_modified_ms: i64::try_from(o.uploaded().as_millis()).unwrap_or(i64::MAX),
                })
                .collect(),
            common_prefixes: objects.delimited_prefixes(),
            truncated: objects.truncated(),
        })
    }

    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let resp = worker::Cache::default().get(key, true).await.ok()??;
        if resp.status_code() != 200 {
            return None;
        }
        // Read as one ArrayBuffer rather than with `Response::bytes`, whose
        // stream fold is more wasm for the same bytes.
        let resp: web_sys::Response = resp.into();
        let buf = wasm_bindgen_futures::JsFuture::from(resp.array_buffer().ok()?)
            .await
            .ok()?;
        Some(js_sys::Uint8Array::new(&buf).to_vec())
    }

    async fn cache_put(&self, key: &str, body: &[u8], ttl_secs: u32) {
        let headers = worker::Headers::new();
        let _ = headers.set("cache-control", &format!("max-age={ttl_secs}"));
        let _ = headers.set("content-type", "application/octet-stream");
        let Ok(resp) = worker::Response::from_bytes(body.to_vec()) else {
            return;
        };
        // A failed put is only a future miss.
        let _ = worker::Cache::default().put(key, resp.with_headers(headers)).await;
    }

    async fn blob_get(&self, key: &str, within: ByteRange) -> Option<ResponseBody> {
        super::blobcache::get(key, within).await
    }

    fn splice(&self, pieces: Vec<crate::platform::Piece<ResponseBody>>, len: u64) -> ResponseBody {
        super::blobcache::splice(pieces, len, self.ctx.as_ref())
    }

    async fn sleep(&self, ms: u32) {
        Delay::from(Duration::from_millis(u64::from(ms))).await;
    }
}
