//! The Workers runtime adapter: the fetch entry point, configuration loaded
//! once per isolate, and request/response conversion. All logic is in the core.

mod platform;

use std::rc::Rc;

use futures_util::StreamExt;

use worker::{event, Context, Env, Headers as WHeaders, ResponseBody, ResponseBuilder};

use crate::config::Config;
use crate::http::{Body, Headers, Request, Response};
use crate::log;
use crate::platform::Level;
use platform::EdgePlatform;

thread_local! {
    // Workers isolates are single-threaded: one parsed config per isolate.
    static CONFIG: std::cell::OnceCell<Rc<Config>> = const { std::cell::OnceCell::new() };
}

fn config(env: &Env) -> Rc<Config> {
    CONFIG.with(|c| {
        c.get_or_init(|| {
            let lookup = |name: &str| env.var(name).ok().map(|v| v.to_string());
            let cfg = Config::from_env(&lookup);
            for w in &cfg.warnings {
                // Logged once, when the isolate loads its configuration (S12).
                worker::console_warn!(
                    "{}",
                    log::line(Level::Warn, "configuration", serde_json::json!({ "reason": w }))
                );
            }
            Rc::new(cfg)
        })
        .clone()
    })
}

/// Splits the URL as received into raw path and query (no decoding here).
fn split_url(url: &str) -> (String, String) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path_and_query.to_string(), String::new()),
    }
}

/// Reads at most `cap + 1` bytes of a POST body: enough for the core to
/// refuse an oversized STS form without buffering an arbitrary upload.
async fn capped_body(req: &mut worker::Request, cap: usize) -> Option<Vec<u8>> {
    let mut stream = req.stream().ok()?;
    let mut out = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        out.extend_from_slice(&chunk);
        if out.len() > cap {
            out.truncate(cap + 1);
            break;
        }
    }
    Some(out)
}

async fn to_core(mut req: worker::Request) -> Request {
    let (path, query) = split_url(&req.inner().url());
    let mut core = Request::new(req.inner().method().as_str(), &path, &query);
    core.headers = req.headers().entries().collect::<Headers>();
    if core.method == "POST" {
        core.body = capped_body(&mut req, crate::sts::params::MAX_BODY).await;
    }
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
async fn fetch(req: worker::Request, env: Env, _ctx: Context) -> worker::Result<worker::Response> {
    let cfg = config(&env);
    let platform = EdgePlatform::new(env, cfg.log_level);
    let resp = crate::proxy::handle(&platform, &cfg, to_core(req).await).await;
    to_worker(resp)
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn splits_raw_url() {
        assert_eq!(
            split_url("http://h:1/a/b%20c?x=1&y"),
            ("/a/b%20c".into(), "x=1&y".into())
        );
        assert_eq!(split_url("http://h"), ("/".into(), String::new()));
    }
}
