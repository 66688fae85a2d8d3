//! Work done when the module is evaluated, before any request: parsing the
//! configuration and the static catalog. The runtime may start an isolate
//! while the client's TLS handshake is still under way, so this work can be
//! off the first request's path altogether; under `wrangler dev` it takes
//! ~4 ms out of the first request (docs/BENCHMARKS.md, "The cold start,
//! split"). Warming the request path here as well (requests that need no
//! I/O) did not measurably lower the first request further, so it is not done.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::{event, Env};

// `env` at module scope (`cloudflare:workers`): bindings are readable before
// any request.
#[wasm_bindgen(module = "cloudflare:workers")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = env)]
    static MODULE_ENV: JsValue;
}

/// Runs once, at module evaluation. Without a module-scope `env` (an older
/// runtime) it does nothing, and the first request parses the configuration.
#[event(start)]
fn on_module_start() {
    let env = MODULE_ENV.with(JsValue::clone);
    if env.is_object() {
        super::isolate(&env.unchecked_into::<Env>());
    }
}
