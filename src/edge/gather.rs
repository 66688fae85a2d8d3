//! Reading a whole (small) body: a backend's listing or error document, a
//! catalog answer, an issuer's JWKS, an STS form. It is gathered on the JS
//! side into one buffer that crosses into wasm once. Read chunk by chunk
//! through a wasm stream, every chunk cost a promise, a wake-up and a copy in
//! wasm: ~1.8 ms of a 1000-key listing page (docs/BENCHMARKS.md, "Reading a
//! backend's answer").

use js_sys::{Object, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::http::RequestBody;

#[wasm_bindgen(inline_js = r#"
export async function gather(stream, cap, handle) {
  let reader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    return gatherChunks(stream.getReader(), cap, handle);
  }
  handle.reader = reader;
  // One growing buffer, each read filling what is left of it (workerd's
  // readAtLeast; a plain BYOB read elsewhere): a few reads per body.
  let buf = new Uint8Array(Math.min(cap + 1, 65536));
  let n = 0;
  for (;;) {
    if (n === buf.byteLength) {
      if (n > cap) return tooLarge(reader, handle);
      const next = new Uint8Array(Math.min(cap + 1, n * 2));
      next.set(buf);
      buf = next;
    }
    const view = buf.subarray(n);
    const { done, value } = reader.readAtLeast
      ? await reader.readAtLeast(view.byteLength, view)
      : await reader.read(view);
    // Cancelled (`stop`): the buffer went with the read.
    if (!value) return null;
    buf = new Uint8Array(value.buffer);
    n += value.byteLength;
    if (done) break;
  }
  handle.reader = null;
  return n > cap ? null : buf.subarray(0, n);
}
async function gatherChunks(reader, cap, handle) {
  handle.reader = reader;
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > cap) return tooLarge(reader, handle);
    parts.push(value);
  }
  handle.reader = null;
  const all = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}
async function tooLarge(reader, handle) {
  handle.reader = null;
  await reader.cancel();
  return null;
}
export function stop(handle) {
  if (handle.reader) handle.reader.cancel().catch(() => {});
  handle.reader = null;
}
"#)]
extern "C" {
    /// Resolves to the body's bytes, or to `null` past `cap` bytes (the
    /// stream cancelled then); rejects with the stream's error.
    fn gather(stream: &web_sys::ReadableStream, cap: f64, handle: &Object) -> Promise;
    /// Cancels a gather still reading.
    fn stop(handle: &Object);
}

/// Cancels the stream when the read is dropped unfinished (a timeout):
/// nothing more is read from it, and a backend's connection closes.
struct StopOnDrop(Object);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        stop(&self.0);
    }
}

/// Reads `raw` to its end, keeping at most `cap + 1` bytes: `TooLarge` as
/// soon as it is past `cap`; `Err` with the stream's error. Both inbound and
/// backend bodies (wasm size: one reader).
pub async fn read_stream(raw: web_sys::ReadableStream, cap: usize) -> Result<RequestBody, String> {
    let handle = StopOnDrop(Object::new());
    // Caps are a few MiB at most: exact as an f64.
    match JsFuture::from(gather(&raw, cap as f64, &handle.0)).await {
        Ok(v) if v.is_null() => Ok(RequestBody::TooLarge),
        Ok(v) => Ok(RequestBody::Bytes(Uint8Array::new(&v).to_vec())),
        Err(e) => Err(js_message(&e)),
    }
}

/// A JS exception's message (or the thrown string).
pub fn js_message(e: &JsValue) -> String {
    let message = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()));
    message.or_else(|| e.as_string()).unwrap_or_default()
}
