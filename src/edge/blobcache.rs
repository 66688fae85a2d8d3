//! The edge cache's entries in the Workers Cache API, and answers spliced
//! from them and from backend bodies.
//!
//! Bytes never pass through wasm memory: a cached slice is the Cache API's
//! own ranged answer (a `Range` on `match`), chunks are cut with
//! `Uint8Array.subarray` (a view, no copy), and an entry is stored as a
//! `Blob` of those views. Only chunk lengths reach Rust (`Cutter`). An answer
//! of one cached slice is that slice's stream, handed to the runtime as is.

use std::collections::VecDeque;

use futures_util::StreamExt;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_streams::readable::IntoStream;
use worker::ResponseBody;

use crate::objcache::blocks::ByteSlice;
use crate::platform::{ChunkCutter, Entry, Piece};
use crate::s3::range::{parse_content_range, ByteRange};

/// The bytes `within` of the entry under `key`, if stored.
pub async fn get(key: &str, within: ByteRange) -> Option<ResponseBody> {
    let range = [("range".to_string(), format!("bytes={}-{}", within.start, within.end))];
    let init = super::platform::request_init("GET", &range).ok()?;
    let req = worker::Request::from(web_sys::Request::new_with_str_and_init(key, &init).ok()?);
    let resp = worker::Cache::default().get(&req, true).await.ok()??;
    let status = resp.status_code();
    let content_range = resp.headers().get("content-range").ok().flatten();
    let (_, body) = resp.into_parts();
    match status {
        206 => match content_range.as_deref().and_then(parse_content_range) {
            Some((Some(r), _)) if r == within => Some(body),
            _ => None,
        },
        // The whole entry: cut here.
        200 => Some(slice(body, within)),
        _ => None,
    }
}

/// `within` of a body holding a whole entry.
fn slice(body: ResponseBody, within: ByteRange) -> ResponseBody {
    let cut = ByteSlice::new(within);
    let state = (chunks(body), cut);
    let stream = futures_util::stream::unfold(state, |(mut src, mut cut)| async move {
        loop {
            match src.as_mut()?.next().await? {
                Ok(chunk) => {
                    let a = Uint8Array::new(&chunk);
                    if let Some(r) = cut.feed(a.length() as usize) {
                        let part: JsValue = view(&a, &r).into();
                        return Some((Ok(part), (src, cut)));
                    }
                    if cut.done() {
                        return None;
                    }
                }
                Err(e) => return Some((Err(e), (None, cut))),
            }
        }
    });
    into_body(stream)
}

fn into_body(stream: impl futures_util::Stream<Item = Result<JsValue, JsValue>> + 'static) -> ResponseBody {
    let raw = wasm_streams::ReadableStream::from_stream(stream).into_raw();
    ResponseBody::Stream(raw.unchecked_into())
}

/// A body's chunks as JS values (`Uint8Array`s).
fn chunks(body: ResponseBody) -> Option<IntoStream<'static>> {
    match body {
        ResponseBody::Empty => None,
        ResponseBody::Stream(s) => Some(wasm_streams::ReadableStream::from_raw(s.unchecked_into()).into_stream()),
        ResponseBody::Body(bytes) => {
            let stream = futures_util::stream::once(async move { Ok(Uint8Array::from(bytes.as_slice()).into()) });
            Some(wasm_streams::ReadableStream::from_stream(stream).into_stream())
        }
    }
}

/// Stores one complete entry (its chunk views) for `ttl_secs`. Best effort.
async fn put(key: &str, parts: &Array, ttl_secs: u32) {
    let stored = async {
        let blob = web_sys::Blob::new_with_u8_array_sequence(parts)?;
        let headers = web_sys::Headers::new()?;
        headers.set("cache-control", &format!("max-age={ttl_secs}"))?;
        headers.set("content-type", "application/octet-stream")?;
        let init = web_sys::ResponseInit::new();
        init.set_status(200);
        init.set_headers(&headers);
        let resp = web_sys::Response::new_with_opt_blob_and_init(Some(&blob), &init)?;
        worker::Cache::default()
            .put(key, worker::Response::from(resp))
            .await
            .map_err(JsValue::from)
    };
    // A failed put is only a later miss.
    let _ = stored.await;
}

enum Current {
    Pass(IntoStream<'static>),
    Fill {
        src: IntoStream<'static>,
        cutter: Box<dyn ChunkCutter>,
        first: u64,
        entries: Vec<Entry>,
        /// The entry being filled: its index and chunk views so far.
        open: Option<(u64, Array)>,
    },
}

struct Splice {
    pieces: VecDeque<Piece<ResponseBody>>,
    current: Option<Current>,
    out: VecDeque<JsValue>,
}

/// The answer's body (`len` bytes) from its pieces, in order.
pub fn splice(pieces: Vec<Piece<ResponseBody>>, len: u64, ctx: &worker::worker_sys::Context) -> ResponseBody {
    let mut pieces = VecDeque::from(pieces);
    if pieces.len() == 1 {
        match pieces.pop_front() {
            Some(Piece::Stored(b)) => return b,
            Some(Piece::Fetched(f)) if f.cutter.exact() && f.entries.len() == 1 => match tee(f, len, ctx) {
                Ok(body) => return body,
                Err(f) => pieces.push_back(Piece::Fetched(f)),
            },
            Some(other) => pieces.push_back(other),
            None => {}
        }
    }
    let state = Splice {
        pieces,
        current: None,
        out: VecDeque::new(),
    };
    let body = into_body(futures_util::stream::unfold(state, |mut s| async move {
        let item = s.next().await?;
        Some((item, s))
    }));
    match body {
        ResponseBody::Stream(raw) => ResponseBody::Stream(fixed_length(raw.clone(), len, ctx).unwrap_or(raw)),
        other => other,
    }
}

/// A `FixedLengthStream` of `len` bytes: (readable, writable).
fn fixed_length_stream(len: u64) -> Option<(JsValue, JsValue)> {
    use js_sys::{Function, Reflect};
    let ctor: Function = Reflect::get(&js_sys::global(), &"FixedLengthStream".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let fixed = Reflect::construct(&ctor, &Array::of1(&JsValue::from_f64(len as f64))).ok()?;
    let readable = Reflect::get(&fixed, &"readable".into()).ok()?;
    let writable = Reflect::get(&fixed, &"writable".into()).ok()?;
    Some((readable, writable))
}

/// Calls `method` of `this` with `args`.
fn call(this: &JsValue, method: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(this, &method.into()).ok()?.dyn_into().ok()?;
    let args: Array = args.iter().copied().collect();
    js_sys::Reflect::apply(&f, this, &args).ok()
}

/// The answer when the backend body is exactly one entry and the whole
/// answer (a small object read whole, a read of exactly one block): the body
/// is teed by the runtime, one branch to the client, the other stored, so
/// no chunk crosses into wasm (the splice costs about as much CPU as the
/// rest of a miss). The answer ends once the entry is stored, as a spliced
/// one does, so the put runs within the request; its waiters are released
/// then. `Err` gives the fill back when the runtime lacks what this needs.
///
/// The store runs under the request's `waitUntil`: when the client goes away
/// mid-answer the runtime cancels the request's pending work, and a store
/// left pending would never release its waiters, which then wait out their
/// bound, and so would every later miss of the entry
/// (tests/integration/test_edge_cache_abort.py).
fn tee(
    mut f: crate::platform::Fill<ResponseBody>,
    len: u64,
    ctx: &worker::worker_sys::Context,
) -> Result<ResponseBody, crate::platform::Fill<ResponseBody>> {
    let (ResponseBody::Stream(raw), Some((readable, writable))) = (&f.body, fixed_length_stream(len)) else {
        return Err(f);
    };
    let raw: web_sys::ReadableStream = raw.clone().unchecked_into();
    let Some(mut entry) = f.entries.pop() else {
        return Err(f);
    };
    let release = entry.release.take();
    let branches = raw.tee();
    let (to_client, to_cache) = (branches.get(0), branches.get(1));
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"preventClose".into(), &JsValue::TRUE);
    let Some(piping) = call(&to_client, "pipeTo", &[&writable, &opts]) else {
        // Not expected once `FixedLengthStream` exists; the branch itself then
        // (chunked), and the entry unstored.
        return Ok(ResponseBody::Stream(to_client.unchecked_into()));
    };
    let task = wasm_bindgen_futures::future_to_promise(async move {
        let stored = async {
            let resp = entry_response(to_cache.unchecked_into(), len, entry.ttl_secs)?;
            worker::Cache::default()
                .put(&entry.key, worker::Response::from(resp))
                .await
                .map_err(JsValue::from)
        };
        let piping = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(piping));
        let (piped, _) = futures_util::future::join(piping, stored).await;
        // Stored or not (a failed put is only a later miss): waiters look now.
        drop(release);
        let writer = call(&writable, "getWriter", &[]);
        match (piped, writer) {
            (Ok(_), Some(w)) => {
                let _ = call(&w, "close", &[]);
            }
            // The backend body failed: the client sees the answer cut short.
            (Err(e), Some(w)) => {
                let _ = call(&w, "abort", &[&e]);
            }
            (_, None) => {}
        }
        Ok(JsValue::UNDEFINED)
    });
    // The task runs either way; a refused `waitUntil` only leaves it cancellable.
    let _ = ctx.wait_until(&task);
    Ok(ResponseBody::Stream(readable.unchecked_into()))
}

/// An entry's stored form: its bytes (a stream of `len` bytes) with its TTL.
fn entry_response(body: web_sys::ReadableStream, len: u64, ttl_secs: u32) -> Result<web_sys::Response, JsValue> {
    let headers = web_sys::Headers::new()?;
    headers.set("cache-control", &format!("max-age={ttl_secs}"))?;
    headers.set("content-type", "application/octet-stream")?;
    headers.set("content-length", &len.to_string())?;
    let init = web_sys::ResponseInit::new();
    init.set_status(200);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_readable_stream_and_init(Some(&body), &init)
}

/// `raw` piped through a `FixedLengthStream` of `len` bytes, so the runtime
/// sends `Content-Length` (a stream built in wasm has no known length and
/// would go out chunked, unlike S3's answer).
///
/// The pipe runs under the request's `waitUntil`: when the client goes away
/// the runtime cancels the request's pending work, and without it a spliced
/// answer's stream would stay suspended for good, its puts and its claims on
/// the entries (which waiters wait for) with it. Kept alive, the pipe sees
/// the client's side fail and cancels the stream, which drops its claims.
fn fixed_length(
    raw: web_sys::ReadableStream,
    len: u64,
    ctx: &worker::worker_sys::Context,
) -> Option<web_sys::ReadableStream> {
    let (readable, writable) = fixed_length_stream(len)?;
    let piping = call(&raw, "pipeTo", &[&writable])?;
    // A failed source errors the readable side (the client sees the answer cut
    // short); the pipe's own rejection is expected then, not an uncaught error.
    let ignore = wasm_bindgen::closure::Closure::once_into_js(|_: JsValue| {});
    if let Some(done) = call(&piping, "catch", &[&ignore]) {
        let _ = ctx.wait_until(&js_sys::Promise::from(done));
    }
    readable.dyn_into().ok()
}

impl Splice {
    async fn next(&mut self) -> Option<Result<JsValue, JsValue>> {
        loop {
            if let Some(v) = self.out.pop_front() {
                return Some(Ok(v));
            }
            let current = match self.current.take() {
                Some(c) => c,
                None => match self.pieces.pop_front()? {
                    Piece::Stored(b) => match chunks(b) {
                        Some(s) => Current::Pass(s),
                        None => continue,
                    },
                    Piece::Fetched(f) => match chunks(f.body) {
                        Some(src) => Current::Fill {
                            src,
                            cutter: f.cutter,
                            first: f.first,
                            entries: f.entries,
                            open: None,
                        },
                        None => return self.fail("backend body missing"),
                    },
                },
            };
            match current {
                Current::Pass(mut src) => match src.next().await {
                    Some(Ok(chunk)) => {
                        self.current = Some(Current::Pass(src));
                        return Some(Ok(chunk));
                    }
                    Some(Err(e)) => return self.fail_with(e),
                    None => {}
                },
                Current::Fill {
                    mut src,
                    mut cutter,
                    first,
                    mut entries,
                    mut open,
                } => match src.next().await {
                    Some(Ok(chunk)) => {
                        let a = Uint8Array::new(&chunk);
                        let cut = cutter.feed(a.length() as usize);
                        for (i, part, complete) in cut.to_entries {
                            let parts = match open.take() {
                                Some((j, parts)) if j == i => parts,
                                _ => Array::new(),
                            };
                            parts.push(&view(&a, &part));
                            if !complete {
                                open = Some((i, parts));
                                continue;
                            }
                            if let Some(e) = usize::try_from(i - first).ok().and_then(|k| entries.get_mut(k)) {
                                put(&e.key, &parts, e.ttl_secs).await;
                                // Waiting requests may read it now.
                                e.release.take();
                            }
                        }
                        if let Some(r) = cut.to_answer {
                            self.out.push_back(view(&a, &r).into());
                        }
                        self.current = Some(Current::Fill {
                            src,
                            cutter,
                            first,
                            entries,
                            open,
                        });
                    }
                    Some(Err(e)) => return self.fail_with(e),
                    // A body shorter than asked: the answer cannot be complete.
                    None if !cutter.done() => return self.fail("backend body ended early"),
                    None => {}
                },
            }
        }
    }

    fn fail(&mut self, why: &str) -> Option<Result<JsValue, JsValue>> {
        self.fail_with(JsValue::from_str(why))
    }

    /// Errors the answer (the client sees it cut short) and ends it.
    fn fail_with(&mut self, e: JsValue) -> Option<Result<JsValue, JsValue>> {
        self.pieces.clear();
        self.current = None;
        self.out.clear();
        Some(Err(e))
    }
}

/// The part of a chunk a cut names. Chunks are JS typed arrays, whose
/// offsets are u32, as is wasm32's `usize`: the cast loses nothing.
#[allow(clippy::cast_possible_truncation)]
fn view(a: &Uint8Array, r: &std::ops::Range<usize>) -> Uint8Array {
    a.subarray(r.start as u32, r.end as u32)
}
