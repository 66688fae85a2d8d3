//! The request pipeline: route → authorize → catalog → backend → response.
//! Generic over the runtime, so tests drive whole requests natively.

mod account;
mod auth;
pub mod cached;
mod catalog;
mod federated;
mod list;
mod object;

use serde_json::json;

use crate::apart::apart;
use crate::authz::Principal;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::cors;
use crate::error::{ApiError, ProxyError, Result};
use crate::http::{Body, Query, Request, Response};
use crate::log::{self, Level};
use crate::platform::Platform;
use crate::route::{is_sts, route, Route, S3_METHODS};
use crate::s3::xml;
use crate::state::{Isolate, IsolateState};

/// Everything a handler needs for one request.
pub struct Ctx<'a, P: Platform> {
    pub p: &'a P,
    pub cfg: &'a Config,
    pub state: &'a IsolateState,
    pub req: &'a Request,
    pub query: Query,
    pub principal: Principal,
    pub request_id: String,
    /// What the edge cache did for an object read, for the request log.
    pub cache_report: &'a std::cell::Cell<Option<cached::Report>>,
    /// What an STS exchange says of itself, for the request log.
    pub exchange_report: &'a std::cell::RefCell<Option<serde_json::Map<String, serde_json::Value>>>,
}

impl<P: Platform> Ctx<'_, P> {
    /// The token service's share of the configuration and of the isolate.
    fn sts(&self) -> crate::sts::Context<'_> {
        crate::sts::Context {
            roles: &self.cfg.roles,
            session_keys: self.cfg.session_keys.as_ref(),
            allow_loopback_issuers: self.cfg.allow_loopback_issuers,
            cors: &self.cfg.cors,
            jwks: &self.state.jwks_cache,
        }
    }

    pub fn log(&self, level: Level, msg: &str, fields: serde_json::Value) {
        if level <= self.cfg.log_level {
            self.p.log(level, &log::line(level, msg, fields));
        }
    }
}

/// 16 uppercase hex digits, like S3's request ids.
fn new_request_id() -> String {
    let mut b = [0u8; 8];
    // On failure the id is still unique enough for logs within one isolate.
    let _ = getrandom::getrandom(&mut b);
    hex::encode_upper(b)
}

pub async fn handle<P: Platform>(p: &P, isolate: &Isolate, req: Request) -> Response<P::Body> {
    let started = p.now_ms();
    let request_id = new_request_id();
    let cache_report = std::cell::Cell::new(None);
    let exchange_report = std::cell::RefCell::new(None);
    let mut principal = Principal::Anonymous;
    let mut kind = "invalid";
    // The synchronous steps before and after the route's future are functions
    // of their own, never inlined into this one (see `crate::apart`).
    let result = match admit(isolate, &req, started, &mut kind, &mut principal) {
        Err(e) => Err(e),
        Ok((query, r)) => {
            let ctx = Ctx {
                p,
                cfg: &isolate.config,
                state: &isolate.state,
                req: &req,
                query,
                principal: principal.clone(),
                request_id: request_id.clone(),
                cache_report: &cache_report,
                exchange_report: &exchange_report,
            };
            dispatch(&ctx, &r).await
        }
    };
    let done = Done {
        started,
        request_id,
        kind,
        principal,
        cache: cache_report.get(),
        exchange: exchange_report.into_inner(),
    };
    finish(p, isolate, &req, done, result)
}

/// Routing and authentication: the route to dispatch, or the error to
/// answer. Sets the request's kind and principal for its log line.
#[inline(never)]
fn admit(
    isolate: &Isolate,
    req: &Request,
    started: i64,
    kind: &mut &'static str,
    principal: &mut Principal,
) -> Result<(Query, Route)> {
    // The STS parses its own query (form rules): an S3 decoding error must not
    // pre-empt its answer.
    let (query, r) = match is_sts(req) {
        true => (Query::default(), Route::Sts),
        false => Query::parse(&req.query).and_then(|q| route(req, &q).map(|r| (q, r)))?,
    };
    *kind = r.kind();
    // STS and discovery authenticate by other means (or not at all).
    if !matches!(r, Route::Preflight | Route::Sts | Route::WellKnown) {
        *principal = auth::authenticate(
            isolate.config.session_keys.as_ref(),
            &isolate.state.sessions,
            req,
            started.div_euclid(1000),
        )?;
    }
    Ok((query, r))
}

/// What the request's log line says besides its answer.
struct Done {
    started: i64,
    request_id: String,
    kind: &'static str,
    principal: Principal,
    cache: Option<cached::Report>,
    exchange: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The answer as it goes out (error document, request id, session and CORS
/// headers) and the request's one log line.
#[inline(never)]
fn finish<P: Platform>(
    p: &P,
    isolate: &Isolate,
    req: &Request,
    done: Done,
    result: Result<Response<P::Body>>,
) -> Response<P::Body> {
    let cfg = &isolate.config;
    let Done {
        started,
        request_id,
        kind,
        principal,
        cache,
        exchange,
    } = done;
    let origin = req.headers.get("origin");
    let code = result.as_ref().err().map(|e| e.code().as_str());
    // Every authentication failure is a ProxyError::Auth (S3's authentication codes).
    let auth_failed = matches!(result, Err(ProxyError::Auth { .. }));
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(detail) = e.detail() {
                let level = if e.status() >= 500 { Level::Error } else { Level::Warn };
                if level <= cfg.log_level {
                    let f = json!({"request_id": request_id, "code": e.code().as_str(), "status": e.status(), "detail": detail});
                    p.log(level, &log::line(level, "request failed", f));
                }
            }
            error_response(&e, req, &request_id)
        }
    };
    resp.headers.set("x-amz-request-id", request_id.as_str());
    if let Principal::Session(_) = principal {
        // A session's answer must never be reused for anyone else, browsers
        // included; an object stays untransformed (see `forbid_transforms`).
        let object = resp
            .headers
            .get("cache-control")
            .is_some_and(|v| v.contains("no-transform"));
        resp.headers.set("cache-control", "private, no-store");
        if object {
            crate::s3::headers::forbid_transforms(&mut resp.headers);
        }
    }
    cors::decorate(&cfg.cors, origin, &mut resp.headers);
    if req.method == "HEAD" {
        resp.body = Body::Empty;
    }
    // One line per request, whoever asks (a line costs the runtime more than
    // building it): an exchange's and a signed request's (or a failed
    // authentication's) line carry the request line's fields too.
    let audited = matches!(principal, Principal::Session(_)) || auth_failed;
    if Level::Info <= cfg.log_level {
        let bytes = resp.headers.get("content-length").and_then(|v| v.parse::<i64>().ok());
        let msg = match (&exchange, audited) {
            (Some(_), _) => "sts exchange",
            (None, true) => "audit",
            (None, false) => "request",
        };
        let mut l = log::Line::new(Level::Info, msg)
            .str("request_id", &request_id)
            .str("method", &req.method)
            .str("route", kind)
            .int("status", resp.status.into())
            .opt_int("bytes", bytes)
            .str("principal", &principal.log_name())
            .int("duration_ms", p.now_ms() - started);
        if let Some(c) = cache {
            l = l
                .str("cache", c.outcome.as_str())
                .int("backend_requests", c.backend_requests.into())
                .int("backend_bytes", i64::try_from(c.backend_bytes).unwrap_or(i64::MAX));
        }
        if audited {
            l = audit_fields(l, req, &principal, resp.status, code);
        }
        for (k, v) in exchange.into_iter().flatten() {
            l = l.value(&k, v);
        }
        p.log(Level::Info, &l.finish());
    }
    isolate.after_request(p);
    resp
}

/// Who asked for what and the outcome, for the audit line; never a secret.
fn audit_fields(l: log::Line, req: &Request, principal: &Principal, status: u16, code: Option<&str>) -> log::Line {
    let mut l = l
        .str("resource", &req.path)
        .str("result", if status < 400 { "allow" } else { "deny" })
        .opt_str("reason", code);
    if let Principal::Session(s) = principal {
        l = l
            .str("role", &s.role)
            .str("issuer", &s.issuer)
            .str("subject", &s.subject)
            .str("session", &s.session_name)
            .str("access_key_id", &s.access_key_id);
        // The exchange's line has the same id, its claims and the policy's resources.
        if !s.session_id.is_empty() {
            l = l.str("session_id", &s.session_id);
        }
        if let Some(pol) = &s.policy {
            l = l.str("policy", &pol.digest);
        }
    }
    l
}

async fn dispatch<P: Platform>(ctx: &Ctx<'_, P>, r: &Route) -> Result<Response<P::Body>> {
    // Each route's future is compiled apart (`apart`): a request compiles
    // only the code of its own route.
    match r {
        Route::Preflight => {
            let mut resp = Response::new(204);
            resp.headers = cors::preflight(&ctx.cfg.cors, &ctx.req.headers, S3_METHODS)?;
            Ok(resp)
        }
        Route::Root => match &ctx.principal {
            Principal::Anonymous => Ok(service_document(ctx.cfg)),
            Principal::Session(_) => apart(account::list_buckets(ctx)).await,
        },
        Route::Sts => {
            let (resp, report) = apart(crate::sts::endpoint::serve(ctx.p, &ctx.sts(), ctx.req, &ctx.request_id)).await;
            *ctx.exchange_report.borrow_mut() = report;
            Ok(resp)
        }
        Route::WellKnown => well_known(ctx),
        Route::HeadAccount { account } => apart(account::head(ctx, account)).await,
        Route::Location { account } => apart(account::location(ctx, account)).await,
        Route::ListAccount { account } => apart(list::account(ctx, account)).await,
        Route::ListProduct { account, product } => apart(list::product(ctx, account, product)).await,
        Route::ProductPath { account } => Err(match apart(ctx.account_visible(account)).await? {
            true => ProxyError::NoSuchKey,
            false => ProxyError::NoSuchBucket,
        }),
        Route::Object { account, product, key } => apart(object::read(ctx, account, product, key)).await,
    }
}

/// The provider's discovery document and JWKS; 404 when it is disabled
/// (the reason was logged when the configuration loaded).
fn well_known<P: Platform>(ctx: &Ctx<'_, P>) -> Result<Response<P::Body>> {
    use crate::oidc::provider as op;
    // Serialized once per isolate (IsolateState::documents): a copy per request.
    let docs = ctx.state.documents.as_ref().ok_or(ProxyError::NoSuchKey)?;
    let (body, cache) = match ctx.req.path.as_str() {
        op::DISCOVERY_PATH => (&docs.discovery, op::DISCOVERY_CACHE_CONTROL),
        op::JWKS_PATH => (&docs.jwks, op::JWKS_CACHE_CONTROL),
        _ => return Err(ProxyError::NoSuchKey),
    };
    let mut r = Response::bytes(200, op::CONTENT_TYPE, body.clone());
    r.headers.set("cache-control", cache);
    Ok(r)
}

fn service_document<B>(cfg: &Config) -> Response<B> {
    let doc = json!({
        "name": "oidc-data-proxy",
        "version": env!("CARGO_PKG_VERSION"),
        "catalog": cfg.catalog.as_ref().map_or("unavailable", Catalog::kind),
        "issuer": cfg.provider.as_ref().map(crate::oidc::provider::ProviderKeys::issuer),
        "features": {
            "s3_read": cfg.catalog.is_ok(),
            "signed_requests": cfg.session_keys.is_some(),
            "sts": cfg.session_keys.is_some() && cfg.roles.enabled(),
            "oidc_provider": cfg.provider.is_some(),
        },
    });
    let mut r = Response::bytes(200, "application/json", crate::json::to_string(&doc).into_bytes());
    r.headers.set("cache-control", "no-store");
    r
}

pub fn error_response<B>(e: &ProxyError, req: &Request, request_id: &str) -> Response<B> {
    let body = xml::error(e.code().as_str(), &e.message(), &req.path, request_id);
    let mut r = Response::bytes(e.status(), "application/xml", body);
    match e {
        ProxyError::MethodNotAllowed => r.headers.set("allow", S3_METHODS.join(", ")),
        ProxyError::InvalidRange { size } => r.headers.set("content-range", format!("bytes */{size}")),
        ProxyError::Unavailable(_) | ProxyError::Misconfigured(_) => r.headers.set("retry-after", "5"),
        _ => {}
    }
    r
}

/// A finished XML document.
pub fn xml_response<B>(body: Vec<u8>) -> Response<B> {
    Response::bytes(200, "application/xml", body)
}

#[cfg(test)]
mod tests;
