//! Two loops kept on the JS side, where a step costs no crossing into wasm:
//! reading a small backend body whole, and packing an R2 listing into one
//! JSON string. Through the Rust bindings each body chunk was a promise, a
//! closure and a copy across the boundary, and each listed object five calls
//! (key, size, ETag, date, its time) plus two string conversions.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// The body whole as one Uint8Array; 1 once it passes `limit` bytes, 2 once
// `ms` have passed (the stream is cancelled then, closing the connection).
export function odp_read_capped(stream, limit, ms) {
  const reader = stream.getReader();
  return new Promise((resolve, reject) => {
    const parts = [];
    let n = 0;
    let over = false;
    const stop = (code) => {
      over = true;
      clearTimeout(timer);
      reader.cancel().catch(() => {});
      resolve(code);
    };
    const timer = setTimeout(() => stop(2), ms);
    const step = ({ done, value }) => {
      if (over) return;
      if (done) {
        clearTimeout(timer);
        const out = new Uint8Array(n);
        let at = 0;
        for (const p of parts) { out.set(p, at); at += p.byteLength; }
        resolve(out);
        return;
      }
      n += value.byteLength;
      if (n > limit) return stop(1);
      parts.push(value);
      reader.read().then(step, fail);
    };
    const fail = (e) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      reject(e);
    };
    reader.read().then(step, fail);
  });
}

// One page of `bucket.list()` as JSON: {"o":[[key,size,httpEtag,uploadedMs],...],
// "p":[delimited prefixes],"t":truncated}.
export async function odp_r2_list(bucket, opts) {
  const r = await bucket.list(opts);
  const o = new Array(r.objects.length);
  for (let i = 0; i < o.length; i++) {
    const x = r.objects[i];
    o[i] = [x.key, x.size, x.httpEtag, x.uploaded.getTime()];
  }
  return JSON.stringify({ o, p: r.delimitedPrefixes || [], t: !!r.truncated });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    pub fn odp_read_capped(stream: &web_sys::ReadableStream, limit: f64, ms: u32) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(catch)]
    pub fn odp_r2_list(bucket: &JsValue, opts: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;
}
