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
