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
    id: String,
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
        let mut b = [0u8; 4];
        // Without randomness the id is still stable within the isolate.
        let _ = getrandom::getrandom(&mut b);
        IsolateStats {
            every,
            requests: Cell::new(0),
            id: hex::encode(b),
        }
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
                "isolate": self.id,
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
mod tests {
    use crate::http::Request;
    use crate::proxy::handle;
    use crate::state::Isolate;
    use crate::testing::{block_on, FakePlatform};

    fn stats_lines(p: &FakePlatform) -> Vec<serde_json::Value> {
        p.logs
            .borrow()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["msg"] == "isolate stats")
            .collect()
    }

    fn run(env: &[(&str, &str)], requests: usize) -> (FakePlatform, Isolate) {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let cfg = Isolate::from_env(&|n| env.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()));
        let p = FakePlatform::default();
        p.put("DATA", "demo/public-data/cities.csv", b"cities");
        for _ in 0..requests {
            let r = block_on(handle(
                &p,
                &cfg,
                Request::new("GET", "/demo/public-data/cities.csv", ""),
            ));
            assert_eq!(r.status, 200);
        }
        (p, cfg)
    }

    #[test]
    fn off_by_default() {
        let (p, _) = run(&[], 5);
        assert!(stats_lines(&p).is_empty());
    }

    #[test]
    fn the_first_request_and_every_nth() {
        let (p, cfg) = run(&[("ISOLATE_STATS_EVERY", "2")], 5);
        let lines = stats_lines(&p);
        let counts: Vec<u64> = lines.iter().filter_map(|l| l["requests"].as_u64()).collect();
        assert_eq!(counts, [1, 2, 4]);
        let l = &lines[2];
        assert_eq!(l["level"], "info");
        assert_eq!(l["isolate"].as_str().map(str::len), Some(8));
        assert!(lines.iter().all(|x| x["isolate"] == l["isolate"]));
        assert!(l["wasm_memory_bytes"].is_null(), "natively there is no linear memory");
        let tokens = &l["caches"]["tokens"];
        assert_eq!(tokens["max_entries"], crate::oidc::provider::TOKEN_CACHE_MAX_ENTRIES);
        assert_eq!(tokens["entries"], 0);
        assert!(l["caches"]["jwks"]["max_bytes"].as_u64() > Some(0));
        assert!(l["caches"]["federation"]["max_entries"].as_u64() > Some(0));
        assert!(l["caches"]["catalog"].is_null(), "the static catalog caches nothing");
        assert!(cfg.config.warnings.is_empty() || cfg.config.warnings.iter().all(|w| !w.contains("ISOLATE_STATS")));
    }

    #[test]
    fn an_info_line_that_log_level_can_hide() {
        let (p, _) = run(&[("ISOLATE_STATS_EVERY", "1"), ("LOG_LEVEL", "warn")], 3);
        assert!(stats_lines(&p).is_empty());
        let (p, _) = run(&[("ISOLATE_STATS_EVERY", "1"), ("LOG_LEVEL", "debug")], 3);
        assert_eq!(stats_lines(&p).len(), 3);
    }

    #[test]
    fn bad_values_are_reported_and_turn_it_off() {
        for v in ["0", "-1", "x", "10000001"] {
            let (p, cfg) = run(&[("ISOLATE_STATS_EVERY", v)], 2);
            assert!(stats_lines(&p).is_empty(), "{v}");
            assert!(
                cfg.config.warnings.iter().any(|w| w.contains("ISOLATE_STATS_EVERY")),
                "{v}"
            );
        }
    }
}
