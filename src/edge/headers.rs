//! Header lists across the JS boundary as one string each way (the format is
//! `adapter::header_text`'s), rather than two strings and an iterator step per
//! header: the request's, a backend answer's, and the answer's own.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use crate::adapter::{header_text, parse_header_text};
use crate::http::Headers;

#[wasm_bindgen(inline_js = r#"
export function headerText(h) {
  let s = "";
  for (const [n, v] of h) s += n + "\n" + v + "\n";
  return s;
}
export function headersOf(s) {
  const h = new Headers();
  const p = s.split("\n");
  for (let i = 0; i + 1 < p.length; i += 2) h.append(p[i], p[i + 1]);
  return h;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = headerText)]
    fn header_text_js(h: &web_sys::Headers) -> String;
    #[wasm_bindgen(js_name = headersOf, catch)]
    fn headers_of(text: &str) -> Result<web_sys::Headers, JsValue>;
}

/// A runtime header list (names lower case, as the runtime gives them).
pub fn read(h: &web_sys::Headers) -> Headers {
    parse_header_text(&header_text_js(h))
}

/// A runtime header list of `pairs`; fails as `Headers.append` fails (a
/// value the runtime refuses).
pub fn to_js<'a, I>(pairs: I) -> Result<web_sys::Headers, JsValue>
where
    I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
{
    match header_text(pairs.clone()) {
        Some(text) => headers_of(&text),
        // A line feed inside: header by header, which the runtime refuses.
        None => {
            let js = web_sys::Headers::new()?;
            for (n, v) in pairs {
                js.append(n, v)?;
            }
            Ok(js)
        }
    }
}
