//! S3-compatible HTTP backends (AWS S3, R2's S3 API, MinIO, moto…), read
//! path-style, anonymously or SigV4-signed with static keys or with
//! temporary credentials of a web identity (`federation`).

use super::list_xml;
use super::{ObjectOutcome, ReadOpts};
use crate::backend::WebIdentity;
use crate::error::{Detail, ProxyError, Result};
use crate::http::Headers;
use crate::platform::{remaining_ms, InboundResponse, ListPage, ListRequest, ObjectMeta, OutboundRequest, Platform};
use crate::s3::conditional::http_date_secs;
use crate::s3::range::parse_content_range;
use crate::sigv4::{self, Credentials, SignableRequest};

/// Time allowed for a backend's headers; a listing or an error document must
/// also have arrived whole within it (an object body may stream for longer).
const TIMEOUT_MS: u32 = 20_000;
/// Cap on a listing answer (1000 keys of 1 KiB plus XML).
const LIST_BODY_LIMIT: usize = 4 << 20;
/// Error codes saying the backend does not take our credentials themselves
/// (as opposed to a policy denying this read): temporary ones are then renewed.
const REJECTED_CREDENTIALS: [&str; 4] = [
    "ExpiredToken",
    "InvalidToken",
    "InvalidAccessKeyId",
    "TokenRefreshRequired",
];

#[derive(Debug, Clone)]
pub struct S3Backend {
    /// `http(s)://host[:port]`, no trailing slash.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub credentials: Option<Credentials>,
    /// Reads with temporary credentials obtained for this identity; the
    /// request pipeline puts them into `credentials` before each use.
    pub web_identity: Option<std::rc::Rc<WebIdentity>>,
}

impl S3Backend {
    fn host(&self) -> &str {
        self.endpoint.split_once("://").map_or(&self.endpoint, |(_, h)| h)
    }

    /// Builds (and signs, when keyed) a request for `path` with decoded `query` pairs.
    fn request(
        &self,
        now_ms: i64,
        method: &'static str,
        path: &str,
        query: &[(String, String)],
        mut headers: Vec<(String, String)>,
    ) -> OutboundRequest {
        let qs = query
            .iter()
            .map(|(k, v)| format!("{}={}", sigv4::uri_encode(k, true), sigv4::uri_encode(v, true)))
            .collect::<Vec<_>>()
            .join("&");
        let url = if qs.is_empty() {
            format!("{}{}", self.endpoint, path)
        } else {
            format!("{}{}?{}", self.endpoint, path, qs)
        };
        if let Some(creds) = &self.credentials {
            let req = SignableRequest {
                method,
                host: self.host(),
                path,
                query,
                headers: &headers,
            };
            let added = sigv4::sign(&req, creds, &self.region, "s3", now_ms.div_euclid(1000));
            headers.extend(added);
        }
        OutboundRequest {
            method,
            url,
            headers,
            timeout_ms: TIMEOUT_MS,
            body: None,
        }
    }

    /// The same error, its detail (for the log) naming this backend, so an
    /// operator sees which endpoint is down, late or answering garbage.
    fn named(&self, op: &str, e: ProxyError) -> ProxyError {
        let name = |d: &str| format!("s3 backend {} bucket {} {op}: {d}", self.endpoint, self.bucket);
        match e {
            ProxyError::Unavailable(d) => ProxyError::Unavailable(d.retext(name)),
            ProxyError::Backend(d) => ProxyError::Backend(d.retext(name)),
            other => other,
        }
    }

    /// A web-identity backend never sends an unsigned request: without its
    /// temporary credentials it refuses to run.
    fn check_credentials(&self) -> Result<()> {
        match (&self.web_identity, &self.credentials) {
            (Some(wi), None) => Err(ProxyError::Internal(
                format!(
                    "backend {}: federated credentials were not obtained before use",
                    wi.backend
                )
                .into(),
            )),
            _ => Ok(()),
        }
    }

    /// The URL path of an object. A key with `.`/`..` segments is never sent:
    /// fetch() resolves them (even as `%2e`) into another path, which would
    /// name another key, maybe outside the product's prefix. S3 holds such a
    /// key literally, so through a URL it cannot be read: it is missing, as S3
    /// answers for a key it does not have.
    fn object_path(&self, key: &str) -> Result<String> {
        self.check_credentials()?;
        if key.split('/').any(|seg| seg == "." || seg == "..") {
            return Err(ProxyError::NoSuchKey);
        }
        Ok(format!(
            "/{}/{}",
            sigv4::uri_encode(&self.bucket, true),
            sigv4::uri_encode(key, false)
        ))
    }

    pub async fn read<P: Platform>(&self, p: &P, key: &str, opts: &ReadOpts) -> Result<ObjectOutcome<P::Body>> {
        let mut headers: Vec<(String, String)> = opts
            .conditions
            .header_pairs()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        if let Some(r) = &opts.range {
            headers.push(("range".into(), r.header_value()));
        }
        let method = if opts.head { "HEAD" } else { "GET" };
        let path = self.object_path(key)?;
        let started = p.now_ms();
        let mut req = self.request(started, method, &path, &[], headers);
        // Identity: no compression on the way, so the body is the object as
        // stored (with its own Content-Encoding, if any), which the runtime then
        // hands over undecoded. Unsigned: some S3-compatible services rewrite it.
        req.headers.push(("accept-encoding".into(), "identity".into()));
        let resp = p.fetch(req).await.map_err(|e| self.named("read", e))?;
        match resp.status {
            200 | 206 => {
                let (meta, range) = meta_from_headers(&resp.headers).ok_or_else(|| {
                    self.named(
                        "read",
                        ProxyError::Backend(format!("{key}: answer without usable length/range").into()),
                    )
                })?;
                let body = if opts.head { None } else { resp.body };
                Ok(ObjectOutcome::Found { meta, range, body })
            }
            304 => Ok(ObjectOutcome::NotModified(partial_meta(&resp.headers))),
            412 => Err(ProxyError::PreconditionFailed),
            416 => {
                let size = match resp.headers.get("content-range").and_then(parse_content_range) {
                    Some((_, size)) => size,
                    None => self.size_of(p, key).await?,
                };
                Err(ProxyError::InvalidRange { size })
            }
            404 => Err(ProxyError::NoSuchKey),
            status => Err(self.failure(p, "read", status, resp, started).await),
        }
    }

    /// Size of an object, for a 416 whose backend did not say it.
    async fn size_of<P: Platform>(&self, p: &P, key: &str) -> Result<u64> {
        let started = p.now_ms();
        let resp = p
            .fetch(self.request(started, "HEAD", &self.object_path(key)?, &[], vec![]))
            .await
            .map_err(|e| self.named("head", e))?;
        match resp.status {
            200 => content_length(&resp.headers).ok_or_else(|| ProxyError::Backend("s3 head without length".into())),
            404 => Err(ProxyError::NoSuchKey),
            status => Err(self.failure(p, "head", status, resp, started).await),
        }
    }

    pub async fn list<P: Platform>(&self, p: &P, req: &ListRequest) -> Result<ListPage> {
        let mut query = vec![
            ("list-type".to_string(), "2".to_string()),
            ("encoding-type".to_string(), "url".to_string()),
            ("max-keys".to_string(), req.limit.to_string()),
            ("prefix".to_string(), req.prefix.clone()),
        ];
        if let Some(d) = &req.delimiter {
            query.push(("delimiter".into(), d.clone()));
        }
        if let Some(s) = &req.start_after {
            query.push(("start-after".into(), s.clone()));
        }
        self.check_credentials()?;
        let path = format!("/{}", sigv4::uri_encode(&self.bucket, true));
        let started = p.now_ms();
        let resp = p
            .fetch(self.request(started, "GET", &path, &query, vec![]))
            .await
            .map_err(|e| self.named("list", e))?;
        if resp.status != 200 {
            return Err(self.failure(p, "list", resp.status, resp, started).await);
        }
        let body = match resp.body {
            Some(b) => p
                .read_body(b, LIST_BODY_LIMIT, remaining_ms(TIMEOUT_MS, started, p.now_ms()))
                .await
                .map_err(|e| self.named("list", e))?,
            None => Vec::new(),
        };
        let text =
            String::from_utf8(body).map_err(|_| self.named("list", ProxyError::Backend("body is not UTF-8".into())))?;
        list_xml::parse(&text)
            .map_err(|e| self.named("list", ProxyError::Backend(Detail::caused("unusable answer", e))))
    }

    /// Turns an unexpected backend status into an error, keeping the
    /// backend's own error code for the log (never shown to the client).
    /// The error document is read within what is left of the call's timeout.
    async fn failure<P: Platform>(
        &self,
        p: &P,
        op: &str,
        status: u16,
        resp: InboundResponse<P::Body>,
        started: i64,
    ) -> ProxyError {
        let mut code = String::new();
        if let Some(body) = resp.body {
            let left = remaining_ms(TIMEOUT_MS, started, p.now_ms());
            if let Ok(bytes) = p.read_body(body, 16 << 10, left).await {
                code = list_xml::error_code(&String::from_utf8_lossy(&bytes)).unwrap_or_default();
            }
        }
        let detail = format!(
            "s3 backend {} bucket {} {op}: status {status} {code}",
            self.endpoint, self.bucket
        );
        if status >= 500 {
            ProxyError::Unavailable(detail.into())
        } else if matches!(status, 400 | 403) && REJECTED_CREDENTIALS.contains(&code.as_str()) {
            ProxyError::BackendAuth(detail.into())
        } else {
            ProxyError::Backend(detail.into())
        }
    }
}

fn content_length(h: &Headers) -> Option<u64> {
    h.get("content-length")?.trim().parse().ok()
}

/// Metadata headers S3 sends on 200/206/304, kept by name (the pass-through list of S3).
fn partial_meta(h: &Headers) -> ObjectMeta {
    let s = |n: &str| h.get(n).map(str::to_string);
    ObjectMeta {
        size: 0,
        etag: s("etag").unwrap_or_default(),
        last_modified_ms: h.get("last-modified").and_then(http_date_secs).map_or(0, |t| t * 1000),
        content_type: s("content-type"),
        cache_control: s("cache-control"),
        content_encoding: s("content-encoding"),
        content_disposition: s("content-disposition"),
        content_language: s("content-language"),
        expires: s("expires"),
        user_metadata: h
            .iter()
            .filter_map(|(n, v)| n.strip_prefix("x-amz-meta-").map(|m| (m.to_string(), v.to_string())))
            .collect(),
    }
}

/// Full metadata of a 200/206 answer: the size comes from Content-Range on a 206.
fn meta_from_headers(h: &Headers) -> Option<(ObjectMeta, Option<crate::s3::range::ByteRange>)> {
    let mut meta = partial_meta(h);
    match h.get("content-range").and_then(parse_content_range) {
        Some((Some(range), size)) => {
            meta.size = size;
            Some((meta, Some(range)))
        }
        Some((None, _)) => None,
        None => {
            meta.size = content_length(h)?;
            Some((meta, None))
        }
    }
}

#[cfg(test)]
mod tests;
