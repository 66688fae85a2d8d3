//! The isolate's own memory, read from inside the Worker: with
//! `ISOLATE_STATS_EVERY=N` set, the first request of an isolate and every
//! Nth after it log one `isolate stats` line (the wasm linear memory size,
//! and each per-isolate cache's entries and bytes against its bounds).
//! Unset (the default) the request path pays one branch. The line holds
//! counts only, never a key, token or principal, so it may be switched on
//! anywhere; it is an `info` line, so `LOG_LEVEL` `warn` or `error` hides it.
//! The JS heap is not visible from here: the soak reads it through the
//! inspector (docs/BENCHMARKS.md, "Memory under load").

use std::cell::Cell;

use serde_json::json;

use crate::log::{self, Level};
use crate::platform::Platform;

/// Largest accepted `ISOLATE_STATS_EVERY`.
const MAX_EVERY: u64 = 10_000_000;

#[derive(Debug, Default)]
pub struct IsolateStats {
    every: Option<u64>,
    requests: Cell<u64>,
    /// Tells isolates apart in the log (a restarted isolate starts again at 1).
    /// Drawn at the first line, not with the configuration: that is parsed
    /// at module evaluation, where the runtime refuses to give randomness.
    id: std::cell::OnceCell<String>,
}

/// `ISOLATE_STATS_EVERY`; a bad value turns the lines off and says why.
pub fn parse_every(value: Option<&str>, warnings: &mut Vec<String>) -> Option<u64> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=MAX_EVERY).contains(&n) => Some(n),
            _ => {
                warnings.push(format!(
                    "ISOLATE_STATS_EVERY {v:?} is not 1..={MAX_EVERY}; no isolate stats lines"
                ));
                None
            }
        },
    }
}

impl IsolateStats {
    /// A line every `every` requests (and for the first), or none.
    pub fn new(every: Option<u64>) -> Self {
        IsolateStats {
            every,
            requests: Cell::new(0),
            id: std::cell::OnceCell::new(),
        }
    }

    fn id(&self) -> &str {
        self.id.get_or_init(|| {
            let mut b = [0u8; 4];
            // Without randomness the id is still stable within the isolate.
            let _ = getrandom::getrandom(&mut b);
            hex::encode(b)
        })
    }

    /// Counts a finished request; logs the stats line when it is due, with
    /// the isolate's cache figures (an object, asked for only then).
    pub fn after_request<P: Platform>(&self, p: &P, log_level: Level, figures: impl FnOnce() -> serde_json::Value) {
        let Some(every) = self.every else {
            return;
        };
        let n = self.requests.get().saturating_add(1);
        self.requests.set(n);
        if (n == 1 || n % every == 0) && Level::Info <= log_level {
            let mut f = json!({
                "isolate": self.id(),
                "requests": n,
                "wasm_memory_bytes": linear_memory_bytes(),
            });
            if let (Some(o), serde_json::Value::Object(more)) = (f.as_object_mut(), figures()) {
                o.extend(more);
            }
            p.log(Level::Info, &log::line(Level::Info, "isolate stats", f));
        }
    }
}

/// The size of the Worker's wasm linear memory. It only ever grows (wasm
/// cannot shrink it), so it is the isolate's high-water mark of Rust heap
/// plus stack and statics. `None` natively.
pub fn linear_memory_bytes() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        Some(core::arch::wasm32::memory_size::<0>() as u64 * 65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

#[cfg(test)]
mod tests;
