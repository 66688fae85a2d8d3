//! The Workers runtime adapter: the fetch entry point, configuration loaded
//! once per isolate, and request/response conversion. All logic is in the core.

mod blobcache;
mod gather;
mod headers;
mod platform;
mod warm;

use std::rc::Rc;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::{Context, Env, ResponseBody};

use crate::adapter::{body_plan, split_url, BodyPlan};
use crate::apart::apart;
use crate::http::{Body, Request, RequestBody, Response};
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
async fn read_capped(req: &web_sys::Request, cap: usize) -> RequestBody {
    let Ok(copy) = req.clone() else {
        return RequestBody::Broken;
    };
    let Some(raw) = copy.body() else {
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
async fn read_whole(req: &web_sys::Request, cap: usize) -> RequestBody {
    let Ok(reading) = req.array_buffer() else {
        return RequestBody::Broken;
    };
    match JsFuture::from(reading).await {
        Ok(buf) => {
            let bytes = js_sys::Uint8Array::new(&buf);
            match bytes.length() as usize <= cap {
                true => RequestBody::Bytes(bytes.to_vec()),
                false => RequestBody::TooLarge,
            }
        }
        Err(_) => RequestBody::Broken,
    }
}

async fn to_core(req: &web_sys::Request) -> Request {
    let (path, query) = split_url(&req.url());
    let mut core = Request::new(&req.method(), &path, &query);
    core.headers = headers::read(&req.headers());
    core.body = match body_plan(&core) {
        BodyPlan::Leave => RequestBody::Unread,
        BodyPlan::TooLarge => RequestBody::TooLarge,
        // Compiled apart (`crate::apart`): most requests have no body to read.
        BodyPlan::Read { cap } => apart(read_capped(req, cap)).await,
        BodyPlan::Whole { cap } => apart(read_whole(req, cap)).await,
    };
    core
}

fn to_js(resp: Response<ResponseBody>) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::ResponseInit::new();
    init.set_status(resp.status);
    init.set_headers(&headers::to_js(resp.headers.iter())?.into());
    // Bodies are final: an object goes out as stored, with the Content-Encoding
    // it was stored with (by default the runtime would encode the body per
    // that header, a second time).
    js_sys::Reflect::set(&init, &"encodeBody".into(), &"manual".into())?;
    match resp.body {
        Body::Empty | Body::Stream(ResponseBody::Empty) => web_sys::Response::new_with_opt_str_and_init(None, &init),
        // The slice crosses as a view onto wasm memory, which the constructor
        // copies (a body from a BufferSource is a copy): one copy, no
        // intermediate JS array.
        Body::Bytes(mut b) | Body::Stream(ResponseBody::Body(mut b)) => {
            web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut b), &init)
        }
        Body::Stream(ResponseBody::Stream(s)) => {
            web_sys::Response::new_with_opt_readable_stream_and_init(Some(&s), &init)
        }
    }
}

/// The fetch handler, exported under the name worker-build's entry calls.
/// Not `#[event(fetch)]`: its `worker::Request` reads the request's `cf`
/// object, which nothing here uses and which the runtime builds on first
/// read (~0.04 ms a request under `wrangler dev`, docs/BENCHMARKS.md).
#[wasm_bindgen]
pub async fn fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> Result<JsValue, JsValue> {
    std::panic::AssertUnwindSafe(async move {
        let isolate = isolate(&env);
        let platform = EdgePlatform::new(env, Context::new(ctx), isolate.config.log_level);
        let resp = crate::proxy::handle(&platform, &isolate, to_core(&req).await).await;
        match to_js(resp) {
            Ok(r) => Ok(r.into()),
            // A header value the runtime refuses: what `#[event(fetch)]` answered.
            Err(e) => {
                worker::console_error!(
                    "{}",
                    log::line(
                        Level::Error,
                        "response refused",
                        serde_json::json!({ "reason": js_message(&e) })
                    )
                );
                web_sys::Response::new_with_opt_str_and_init(Some("INTERNAL SERVER ERROR"), &{
                    let init = web_sys::ResponseInit::new();
                    init.set_status(500);
                    init
                })
                .map(JsValue::from)
            }
        }
    })
    .await
}
