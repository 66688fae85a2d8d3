//! The Workers runtime adapter: the fetch entry point, configuration loaded
//! once per isolate, and request/response conversion. All logic is in the core.

mod blobcache;
mod gather;
mod platform;
mod warm;

use std::rc::Rc;

use worker::{event, Context, Env, Headers as WHeaders, ResponseBody, ResponseBuilder};

use crate::adapter::{body_plan, split_url, BodyPlan};
use crate::http::{Body, Headers, Request, RequestBody, Response};
use crate::log::{self, Level};
use crate::state::Isolate;
use gather::{js_message, read_stream};
use platform::EdgePlatform;

thread_local! {
    // Workers isolates are single-threaded: one parsed config (and its state) per isolate.
    static ISOLATE: std::cell::OnceCell<Rc<Isolate>> = const { std::cell::OnceCell::new() };
}

fn isolate(env: &Env) -> Rc<Isolate> {
    ISOLATE.with(|c| {
        c.get_or_init(|| {
            let lookup = |name: &str| env.var(name).ok().map(|v| v.to_string());
            let isolate = Isolate::from_env(&lookup);
            for w in &isolate.config.warnings {
                // Logged once, when the isolate loads its configuration.
                worker::console_warn!(
                    "{}",
                    log::line(Level::Warn, "configuration", serde_json::json!({ "reason": w }))
                );
            }
            Rc::new(isolate)
        })
        .clone()
    })
}

/// Reads an STS form body, at most `cap + 1` bytes of it, never touching
/// the request's own body stream (`adapter::body_plan` decides which body).
///
/// A body left unread is discarded by the runtime after the answer, however
/// large (measured under `wrangler dev`: 1 GiB chunked, workerd's RSS flat).
/// A body read in part and then dropped or cancelled is not: under
/// `wrangler dev` the pipe it arrives through breaks, and the client gets a
/// 500 or a reset connection instead of our answer (measured: any chunked
/// body over the cap, a 4 MiB one with Content-Length). So a body declared
/// too large is not read at all, and otherwise a clone is read:
/// `Request.clone()` tees the body, the request keeps an untouched branch
/// (holding at most what the clone read), and cancelling the clone's branch
/// after the cap leaves that one alone.
async fn read_capped(req: &worker::Request, cap: usize) -> RequestBody {
    let Ok(copy) = req.clone() else {
        return RequestBody::Broken;
    };
    let Some(raw) = copy.inner().body() else {
        return RequestBody::Unread;
    };
    // Cancelling the clone's branch stops the tee keeping bytes for it; the
    // request's own branch (and so the client's upload) carries on.
    match read_stream(raw, cap).await {
        Ok(body) => body,
        Err(_) => RequestBody::Broken,
    }
}

/// Reads a body whose declared length is within `cap` in one call.
async fn read_whole(req: &mut worker::Request, cap: usize) -> RequestBody {
    match req.bytes().await {
        Ok(b) if b.len() <= cap => RequestBody::Bytes(b),
        Ok(_) => RequestBody::TooLarge,
        Err(_) => RequestBody::Broken,
    }
}

async fn to_core(mut req: worker::Request) -> Request {
    let (path, query) = split_url(&req.inner().url());
    let mut core = Request::new(req.inner().method().as_str(), &path, &query);
    core.headers = req.headers().entries().collect::<Headers>();
    core.body = match body_plan(&core) {
        BodyPlan::Leave => RequestBody::Unread,
        BodyPlan::TooLarge => RequestBody::TooLarge,
        BodyPlan::Read { cap } => read_capped(&req, cap).await,
        BodyPlan::Whole { cap } => read_whole(&mut req, cap).await,
    };
    core
}

fn to_worker(resp: Response<ResponseBody>) -> worker::Result<worker::Response> {
    let headers = WHeaders::new();
    for (n, v) in resp.headers.iter() {
        headers.append(n, v)?;
    }
    // Bodies are final: an object goes out as stored, with the Content-Encoding
    // it was stored with (by default the runtime would encode the body per
    // that header, a second time).
    let builder = ResponseBuilder::new()
        .with_status(resp.status)
        .with_headers(headers)
        .with_encode_body(worker::EncodeBody::Manual);
    Ok(match resp.body {
        Body::Empty => builder.empty(),
        Body::Bytes(b) => builder.fixed(b),
        Body::Stream(s) => builder.body(s),
    })
}

#[event(fetch)]
async fn fetch(req: worker::Request, env: Env, ctx: Context) -> worker::Result<worker::Response> {
    let isolate = isolate(&env);
    let platform = EdgePlatform::new(env, ctx, isolate.config.log_level);
    let resp = crate::proxy::handle(&platform, &isolate, to_core(req).await).await;
    to_worker(resp)
}
