//! Calls to the catalog API, made as the calling principal: URL building
//! with percent-encoded path segments, `Authorization: Bearer` from the
//! caller's [`BearerSource`], timeout, body cap, status mapping, and the
//! identity-scoped two-layer cache.

use std::collections::HashMap;

use super::cache_key::{cache_key, open_entry, seal_entry, AnswerKind, Identity, MemoryCache, SharedCache};
use super::model::{
    parse_data_connection, parse_permissions, parse_product, parse_product_list, ApiDataConnection, ApiProduct,
    ModelError, Permissions, ProductSummary,
};
use super::CatalogError;
use crate::catalog::Resolved;
use crate::catalog::Visibility;
use crate::error::{chain, Detail, ProxyError};
use crate::log::Level;
use crate::platform::{remaining_ms, OutboundRequest, Platform};
use crate::secret::Secret;
use crate::sigv4::Credentials;

/// Time allowed for a catalog answer, headers and body.
pub const TIMEOUT_MS: u32 = 5_000;
/// Cap on an account's product list.
pub const LIST_BODY_LIMIT: usize = 4 << 20;
/// Cap on every other answer.
pub const BODY_LIMIT: usize = 256 << 10;

/// Supplies the bearer token for the principal a call is made for. Called
/// only on a cache miss, so a cached answer costs no token.
#[allow(async_fn_in_trait)] // single-threaded runtime: futures need not be Send
pub trait BearerSource {
    /// `Ok(None)`: call without `Authorization`. An error fails the call as is.
    async fn bearer(&self) -> Result<Option<Secret>, ProxyError>;
}

/// Everything one catalog call needs besides its arguments.
pub struct CallContext<'a, P, C, B: ?Sized> {
    pub platform: &'a P,
    /// The per-isolate answer cache (the isolate's state owns it; the
    /// catalog itself is configuration and never changes).
    pub memory: &'a MemoryCache,
    /// The shared (edge) cache layer.
    pub shared: &'a C,
    pub bearer: &'a B,
    /// Whom the call is made for: scopes every cache key.
    pub identity: Identity<'a>,
    /// Seconds since the epoch.
    pub now: i64,
}

/// RFC 3986 unreserved characters stay; every other byte is `%XX`, so a
/// decoded `?`, `#`, `&`, `/`, `%` or space can never become URL syntax.
/// Empty, `.` and `..` segments are refused: URL parsers (fetch included)
/// collapse `.`/`..` even when written `%2e`, and an empty one changes the path.
pub fn encode_segment(s: &str) -> Option<String> {
    if s.is_empty() || s == "." || s == ".." {
        return None;
    }
    Some(crate::sigv4::uri_encode(s, true))
}

/// The HTTP catalog: the API's base URL, how it is called, and the
/// proxy-held keys of data connections. Its answers are cached in the
/// [`MemoryCache`] each call brings in its [`CallContext`].
#[derive(Debug)]
pub struct HttpCatalog {
    base: String,
    /// `aud` of the tokens minted for calls (`CATALOG_AUDIENCE`, default the base URL).
    audience: String,
    timeout_ms: u32,
    caching: bool,
    /// Keys by data connection id (`CATALOG_CONNECTION_KEYS`). They come from
    /// the proxy's own secrets, never from a catalog answer.
    connection_keys: HashMap<String, Credentials>,
}

/// Why `CATALOG_URL` is refused.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogUrlError {
    #[error("CATALOG_URL must be an https URL")]
    NotHttp,
    #[error("CATALOG_URL must be http(s)://host[:port][/path] without userinfo, query or fragment")]
    Shape,
    #[error("CATALOG_URL must use https (http only for a loopback host in development)")]
    NotHttps,
}

crate::error::debug_as_display!(CatalogUrlError);

impl HttpCatalog {
    /// `catalog_url` is `CATALOG_URL`: https (http only for a loopback host
    /// when `allow_loopback_http`), no query or fragment; a trailing `/` is dropped.
    pub fn new(catalog_url: &str, allow_loopback_http: bool) -> Result<Self, CatalogUrlError> {
        let base = catalog_url.trim().trim_end_matches('/');
        let (https, rest) = match (base.strip_prefix("https://"), base.strip_prefix("http://")) {
            (Some(r), _) => (true, r),
            (None, Some(r)) => (false, r),
            _ => return Err(CatalogUrlError::NotHttp),
        };
        let host_port = rest.split('/').next().unwrap_or("");
        if host_port.is_empty()
            || host_port.contains('@')
            || rest.contains(['?', '#', ' ', '\\'])
            || rest.bytes().any(|b| b.is_ascii_control() || !b.is_ascii())
        {
            return Err(CatalogUrlError::Shape);
        }
        let loopback_ok = allow_loopback_http && is_loopback(host_port);
        if !(https || loopback_ok) {
            return Err(CatalogUrlError::NotHttps);
        }
        Ok(Self {
            base: base.to_string(),
            audience: base.to_string(),
            timeout_ms: TIMEOUT_MS,
            caching: true,
            connection_keys: HashMap::new(),
        })
    }

    pub fn with_audience(mut self, audience: &str) -> Self {
        self.audience = audience.to_string();
        self
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Bounds every call: its headers and then its body within this time.
    pub fn with_timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// `false`: neither cache layer is read or written (benchmarks, debugging).
    pub fn with_caching(mut self, caching: bool) -> Self {
        self.caching = caching;
        self
    }

    pub fn with_connection_keys(mut self, keys: HashMap<String, Credentials>) -> Self {
        self.connection_keys = keys;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `{CATALOG_URL}/api/v1/products/{account}`
    pub fn products_url(&self, account: &str) -> Option<String> {
        Some(format!("{}/api/v1/products/{}", self.base, encode_segment(account)?))
    }

    /// `{CATALOG_URL}/api/v1/products/{account}/{product}`
    pub fn product_url(&self, account: &str, product: &str) -> Option<String> {
        Some(format!(
            "{}/api/v1/products/{}/{}",
            self.base,
            encode_segment(account)?,
            encode_segment(product)?
        ))
    }

    /// `{CATALOG_URL}/api/v1/products/{account}/{product}/permissions`
    pub fn permissions_url(&self, account: &str, product: &str) -> Option<String> {
        Some(format!("{}/permissions", self.product_url(account, product)?))
    }

    /// `{CATALOG_URL}/api/v1/data-connections/{id}`
    pub fn connection_url(&self, id: &str) -> Option<String> {
        Some(format!("{}/api/v1/data-connections/{}", self.base, encode_segment(id)?))
    }

    /// The live products of `account` the catalog lists for this principal.
    /// An unknown account is `NotFound`.
    pub async fn list_products<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        account: &str,
    ) -> Result<Vec<ProductSummary>, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let url = self.products_url(account).ok_or(CatalogError::NotFound)?;
        let list = self
            .get(cx, AnswerKind::ProductList, &url, LIST_BODY_LIMIT, parse_product_list)
            .await?;
        Ok(list.summaries())
    }

    /// The product as the catalog describes it to this principal; a
    /// disabled product is `NotFound`, like a missing one.
    pub async fn product<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        account: &str,
        product: &str,
    ) -> Result<ApiProduct, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let url = self.product_url(account, product).ok_or(CatalogError::NotFound)?;
        let p = self
            .get(cx, AnswerKind::Product, &url, BODY_LIMIT, parse_product)
            .await?;
        p.check_identity(account, product)
            .map_err(|e| CatalogError::Unavailable(Detail::caused(format!("catalog {url}"), e)))?;
        if p.disabled {
            return Err(CatalogError::NotFound);
        }
        Ok(p)
    }

    pub async fn data_connection<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        id: &str,
    ) -> Result<ApiDataConnection, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let url = self
            .connection_url(id)
            .ok_or_else(|| CatalogError::Unavailable(format!("catalog: invalid data connection id {id:?}").into()))?;
        let c = self
            .get(cx, AnswerKind::DataConnection, &url, BODY_LIMIT, parse_data_connection)
            .await?;
        if c.data_connection_id != id {
            return Err(CatalogError::Unavailable(
                format!(
                    "catalog {url}: asked for connection {id:?}, got {:?}",
                    c.data_connection_id
                )
                .into(),
            ));
        }
        Ok(c)
    }

    /// What this principal may do with the product.
    pub async fn permissions<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        account: &str,
        product: &str,
    ) -> Result<Permissions, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let url = self.permissions_url(account, product).ok_or(CatalogError::NotFound)?;
        self.get(cx, AnswerKind::Permissions, &url, BODY_LIMIT, parse_permissions)
            .await
    }

    /// Resolves `account/product` for this principal: the product (with a
    /// grant for the principal when the catalog's permissions include
    /// `read`) and its backend.
    ///
    /// A restricted product the principal may not read is `NotFound`
    /// (existence does not leak), decided before the data connection
    /// is asked for. Authorization (`authz::can_read`, role ceilings) still
    /// applies to the result.
    pub async fn resolve<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        account: &str,
        product: &str,
    ) -> Result<Resolved, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let p = self.product(cx, account, product).await?;
        let grants = match (p.visibility, cx.identity) {
            (Visibility::Restricted, Identity::Anonymous) => return Err(CatalogError::NotFound),
            (Visibility::Restricted, Identity::Principal { issuer, subject, .. }) => {
                let grants = self
                    .permissions(cx, account, product)
                    .await?
                    .grants_for(issuer, subject);
                if grants.is_empty() {
                    return Err(CatalogError::NotFound);
                }
                grants
            }
            _ => Vec::new(),
        };
        let mirror = p
            .primary_mirror()
            .map_err(|e| CatalogError::Unavailable(Detail::caused("catalog", e)))?;
        let conn = self.data_connection(cx, &mirror.connection_id).await?;
        let resolved = p
            .to_product(&conn, grants)
            .map_err(|e| CatalogError::Unavailable(Detail::caused("catalog", e)))?;
        let keys = self.connection_keys.get(&conn.data_connection_id);
        Ok(Resolved {
            backend: conn.to_backend(resolved.visibility, keys),
            product: resolved,
        })
    }

    /// One GET through both cache layers. Only answers that were 2xx and
    /// parsed are stored.
    async fn get<T, P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        kind: AnswerKind,
        url: &str,
        limit: usize,
        parse: fn(&[u8]) -> Result<T, ModelError>,
    ) -> Result<T, CatalogError>
    where
        P: Platform,
        C: SharedCache,
        B: BearerSource + ?Sized,
    {
        let key = cache_key(cx.identity, url).filter(|_| self.caching);
        if let Some(key) = &key {
            if let Some(body) = cx.memory.get(key, cx.now) {
                if let Ok(v) = parse(&body) {
                    return Ok(v);
                }
            }
            if let Some(entry) = cx.shared.cache_get(key).await {
                match open_entry(&entry, cx.now).map(|(exp, body)| (exp, body, parse(body))) {
                    Some((exp, body, Ok(v))) => {
                        cx.memory.put(key, body, exp, cx.now);
                        return Ok(v);
                    }
                    Some((_, _, Err(e))) => log_warn(cx.platform, "catalog cache entry unparseable", kind, &chain(&e)),
                    None => {}
                }
            }
        }
        let body = self.fetch(cx, kind, url, limit).await?;
        let v = parse(&body).map_err(|e| CatalogError::Unavailable(Detail::caused(format!("catalog {url}"), e)))?;
        if let Some(key) = &key {
            let ttl = kind.ttl_secs();
            let expires_at = cx.now + i64::from(ttl);
            cx.memory.put(key, &body, expires_at, cx.now);
            cx.shared.cache_put(key, &seal_entry(expires_at, &body), ttl).await;
        }
        Ok(v)
    }

    async fn fetch<P, C, B>(
        &self,
        cx: &CallContext<'_, P, C, B>,
        kind: AnswerKind,
        url: &str,
        limit: usize,
    ) -> Result<Vec<u8>, CatalogError>
    where
        P: Platform,
        B: BearerSource + ?Sized,
    {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if let Some(token) = cx.bearer.bearer().await.map_err(CatalogError::Token)? {
            headers.push(("authorization".to_string(), format!("Bearer {}", token.expose())));
        }
        let req = OutboundRequest {
            method: "GET",
            url: url.to_string(),
            headers,
            timeout_ms: self.timeout_ms,
            body: None,
        };
        let what = kind.as_str();
        let started = cx.platform.now_ms();
        let resp = cx
            .platform
            .fetch(req)
            .await
            .map_err(|e| CatalogError::Unavailable(Detail::caused(format!("catalog {what} {url}"), e)))?;
        if let Some(e) = status_error(resp.status) {
            return Err(e.with_context(&format!("catalog {what} {url}")));
        }
        let Some(body) = resp.body else {
            return Err(CatalogError::Unavailable(
                format!("catalog {what} {url}: empty answer").into(),
            ));
        };
        let left = remaining_ms(self.timeout_ms, started, cx.platform.now_ms());
        cx.platform
            .read_body(body, limit, left)
            .await
            .map_err(|e| CatalogError::Unavailable(Detail::caused(format!("catalog {what} {url}: body"), e)))
    }
}

/// 404 → not found, 401/403 → denied, anything else but 2xx → unavailable.
pub fn status_error(status: u16) -> Option<CatalogError> {
    match status {
        200..=299 => None,
        404 => Some(CatalogError::NotFound),
        401 | 403 => Some(CatalogError::Denied(format!("status {status}"))),
        s => Some(CatalogError::Unavailable(format!("status {s}").into())),
    }
}

fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host == "localhost"
        || host == "::1"
        || host.starts_with("127.") && host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn log_warn<P: Platform>(p: &P, msg: &str, kind: AnswerKind, reason: &str) {
    let f = serde_json::json!({"answer": kind.as_str(), "reason": reason});
    p.log(Level::Warn, &crate::log::line(Level::Warn, msg, f));
}
