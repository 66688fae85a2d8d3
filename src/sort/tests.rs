use super::*;

/// A small deterministic generator (no `rand` in the crate).
fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[test]
fn same_order_as_the_standard_stable_sort() {
    let mut seed = 7;
    for n in [0, 1, 2, 3, 7, 20, 21, 33, 100, 1000, 2500] {
        for range in [2, 10, 1 << 20] {
            // (key, original position): equal keys must keep their order.
            let v: Vec<(u64, usize)> = (0..n).map(|i| (next(&mut seed) % range, i)).collect();
            let mut want = v.clone();
            want.sort_by_key(|e| e.0);
            let mut got = v;
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "n={n} range={range}");
        }
    }
}

#[test]
fn sorted_runs_reversed_and_strings() {
    let runs: Vec<String> = (0..300)
        .map(|i| format!("k{i:04}"))
        .chain((0..50).map(|i| format!("k{i:04}/")))
        .collect();
    let mut want = runs.clone();
    want.sort();
    let mut got = runs;
    sort(&mut got);
    assert_eq!(got, want);
    let mut rev: Vec<u32> = (0..500).rev().collect();
    sort(&mut rev);
    assert!(rev.iter().copied().eq(0..500));
    let mut pairs = vec![
        ("b".to_string(), "1".to_string()),
        ("a".into(), "2".into()),
        ("a".into(), "1".into()),
    ];
    sort(&mut pairs);
    assert_eq!(
        pairs,
        [
            ("a".into(), "1".into()),
            ("a".into(), "2".into()),
            ("b".to_string(), "1".to_string())
        ]
    );
}
