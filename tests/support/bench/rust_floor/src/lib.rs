//! The bench's Rust floor: what a Worker built the proxy's way (Rust compiled to wasm,
//! wasm-bindgen's glue, worker-build's entry, the same release profile) pays at least
//! to pass a read on or to serve a stored document. Beside the bench's JS floor it shows
//! how much of the proxy's cost is the wasm boundary rather than the proxy's own work.
//!
//! Paths, as the JS floors (tests/support/bench/floor.py, provider.py):
//! - `/s3/KEY`: `fetch(BACKEND/KEY)`, the client's Range passed on, the answer as is;
//! - `/r2/KEY`: `DATA.get(PREFIX + KEY, {range: headers})`, the body with its metadata;
//! - `/s3list?QUERY`: `fetch(LIST_BACKEND?QUERY)`, the answer as is;
//! - any path in DOCS (a JSON table `{path: {body, headers}}`): those bytes and headers;
//! - under `/log/`, the same plus one `console.log` line shaped like the proxy's request line.
//!
//! No checks: it is a floor, never deployed.

use std::cell::OnceCell;
use std::collections::HashMap;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(line: &str);
}

/// A stored document: its bytes and headers, decoded once per isolate.
struct Doc {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

thread_local! {
    static DOCS: OnceCell<HashMap<String, Doc>> = const { OnceCell::new() };
}

fn var(env: &worker::Env, name: &str) -> String {
    env.var(name).map(|v| v.to_string()).unwrap_or_default()
}

fn docs(env: &worker::Env) -> HashMap<String, Doc> {
    let table: serde_json::Value = serde_json::from_str(&var(env, "DOCS")).unwrap_or_default();
    let mut out = HashMap::new();
    for (path, d) in table.as_object().into_iter().flatten() {
        let body = d["body"].as_str().unwrap_or_default().as_bytes().to_vec();
        let headers = d["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        out.insert(path.clone(), Doc { body, headers });
    }
    out
}

fn init(status: u16, headers: &web_sys::Headers) -> web_sys::ResponseInit {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(headers);
    init
}

async fn fetch_url(url: &str, range: Option<String>) -> Result<web_sys::Response, JsValue> {
    let init = web_sys::RequestInit::new();
    if let Some(r) = range {
        let h = web_sys::Headers::new()?;
        h.set("range", &r)?;
        init.set_headers(&h);
    }
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    JsFuture::from(global.fetch_with_str_and_init(url, &init))
        .await?
        .dyn_into()
}

async fn r2_get(env: &worker::Env, key: &str, req: &web_sys::Request) -> Result<web_sys::Response, JsValue> {
    let bucket = Reflect::get(env.as_ref(), &"DATA".into())?;
    let get: Function = Reflect::get(&bucket, &"get".into())?.dyn_into()?;
    let opts = Object::new();
    Reflect::set(&opts, &"range".into(), &req.headers())?;
    let got: Promise = get.call2(&bucket, &JsValue::from_str(key), &opts)?.dyn_into()?;
    let obj = JsFuture::from(got).await?;
    if obj.is_null() {
        return web_sys::Response::new_with_opt_str_and_init(
            Some("no such key"),
            &init(404, &web_sys::Headers::new()?),
        );
    }
    let headers = web_sys::Headers::new()?;
    headers.set(
        "etag",
        &Reflect::get(&obj, &"httpEtag".into())?.as_string().unwrap_or_default(),
    )?;
    let write: Function = Reflect::get(&obj, &"writeHttpMetadata".into())?.dyn_into()?;
    write.call1(&obj, &headers)?;
    let mut status = 200;
    let range = Reflect::get(&obj, &"range".into())?;
    if req.headers().has("range")? && !range.is_undefined() {
        let size = Reflect::get(&obj, &"size".into())?.as_f64().unwrap_or(0.0);
        let offset = Reflect::get(&range, &"offset".into())?.as_f64().unwrap_or(0.0);
        let length = Reflect::get(&range, &"length".into())?
            .as_f64()
            .unwrap_or(size - offset);
        headers.set(
            "content-range",
            &format!("bytes {}-{}/{}", offset, offset + length - 1.0, size),
        )?;
        status = 206;
    }
    let body: web_sys::ReadableStream = Reflect::get(&obj, &"body".into())?.dyn_into()?;
    web_sys::Response::new_with_opt_readable_stream_and_init(Some(&body), &init(status, &headers))
}

/// The request line the JS floors write, built without a JSON tree.
fn log_line(method: &str, status: u16, bytes: u64, started: f64) {
    let mut id = [0u8; 8];
    let _ = getrandom::getrandom(&mut id);
    let id: String = id.iter().map(|b| format!("{b:02X}")).collect();
    console_log(&format!(
        "{{\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"{id}\",\"method\":\"{method}\",\"route\":\"object\",\
         \"status\":{status},\"bytes\":{bytes},\"principal\":\"anonymous\",\"duration_ms\":{}}}",
        js_sys::Date::now() - started
    ));
}

/// Called by worker-build's entry, as the proxy's own `fetch` export is.
#[wasm_bindgen]
pub async fn fetch(req: web_sys::Request, env: worker::Env, _ctx: JsValue) -> Result<web_sys::Response, JsValue> {
    let started = js_sys::Date::now();
    let url = req.url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let target = rest.find('/').map_or("/", |i| &rest[i..]);
    let (path, search) = target.split_at(target.find('?').unwrap_or(target.len()));
    let (logged, path) = match path.strip_prefix("/log") {
        Some(p) if p.starts_with('/') => (true, p),
        _ => (false, path),
    };
    let resp = if path == "/s3list" {
        fetch_url(&format!("{}{search}", var(&env, "LIST_BACKEND")), None).await?
    } else if let Some(key) = path.strip_prefix("/s3/") {
        fetch_url(&format!("{}/{key}", var(&env, "BACKEND")), req.headers().get("range")?).await?
    } else if let Some(key) = path.strip_prefix("/r2/") {
        r2_get(&env, &format!("{}{key}", var(&env, "PREFIX")), &req).await?
    } else {
        let doc = DOCS.with(|d| {
            let doc = d.get_or_init(|| docs(&env)).get(path)?;
            Some((|| {
                let h = web_sys::Headers::new()?;
                for (k, v) in &doc.headers {
                    h.set(k, v)?;
                }
                // A copy per request, as the proxy serves its stored documents.
                web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut doc.body.clone()), &init(200, &h))
            })())
        });
        match doc {
            Some(r) => r?,
            // The harness's readiness probe.
            None => web_sys::Response::new_with_opt_str_and_init(Some("ready"), &init(200, &web_sys::Headers::new()?))?,
        }
    };
    if logged {
        let bytes = resp
            .headers()
            .get("content-length")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        log_line(&req.method(), resp.status(), bytes, started);
    }
    Ok(resp)
}
