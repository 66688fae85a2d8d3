use super::*;

fn sum(m: &BoundedMap<String, Vec<u8>>) -> usize {
    m.lru
        .index
        .iter()
        .map(|(k, &i)| 2 * k.len() + m.values[i as usize].as_ref().unwrap().len() + ENTRY_OVERHEAD)
        .sum()
}

fn consistent(m: &BoundedMap<String, Vec<u8>>) {
    let s = m.stats();
    assert!(s.entries <= s.max_entries && s.bytes <= s.max_bytes, "{s:?}");
    assert_eq!(sum(m), s.bytes);
    assert_eq!(m.values.len(), m.lru.nodes.len());
    // The recency list holds every entry once, oldest to newest, linked both ways.
    let (mut i, mut prev, mut n) = (m.lru.oldest, NIL, 0);
    while i != NIL {
        let node = &m.lru.nodes[i as usize];
        assert_eq!(node.prev, prev);
        assert_eq!(m.lru.index[&node.key], i);
        assert!(m.values[i as usize].is_some());
        (prev, i, n) = (i, node.next, n + 1);
    }
    assert_eq!((prev, n), (m.lru.newest, m.len()));
    // Every other slot is free: no value, on the free chain.
    let (mut f, mut free) = (m.lru.free, 0);
    while f != NIL {
        assert!(m.values[f as usize].is_none() && m.lru.nodes[f as usize].key.is_empty());
        (f, free) = (m.lru.nodes[f as usize].next, free + 1);
    }
    assert_eq!(n + free, m.values.len());
}

#[test]
fn evicts_least_recently_used_within_entry_bound() {
    let mut m = BoundedMap::new(3, 1 << 20);
    for k in ["a", "b", "c"] {
        assert!(m.insert(k.to_string(), vec![1]));
    }
    assert!(m.get("a").is_some(), "a is now the most recent");
    m.insert("d".into(), vec![1]);
    assert!(m.peek("b").is_none(), "b was the least recently used");
    assert!(m.peek("a").is_some() && m.peek("c").is_some() && m.peek("d").is_some());
    assert_eq!(m.stats().evictions, 1);
    // Replacing a key is not an eviction and keeps one entry.
    m.insert("d".into(), vec![2, 2]);
    assert_eq!((m.len(), m.stats().evictions), (3, 1));
    assert_eq!(m.peek("d"), Some(&vec![2, 2]));
    consistent(&m);
}

#[test]
fn byte_bound_and_oversized_entries() {
    let entry = |n: usize| 2 * 3 + n + ENTRY_OVERHEAD;
    let max = 8 * entry(100);
    let mut m = BoundedMap::new(1000, max);
    assert!(!m.insert("big".into(), vec![0; 101]), "over an eighth of the bound");
    assert!(m.is_empty());
    for i in 0..20 {
        assert!(m.insert(format!("k{i:02}"), vec![0; 100]));
        consistent(&m);
    }
    assert_eq!(m.len(), 8);
    assert!(m.peek("k19").is_some() && m.peek("k12").map(Vec::len) == Some(100));
    assert!(m.peek("k11").is_none());
    assert!(m.peek("k00").is_none());
    assert_eq!(m.stats().bytes, max);
}

#[test]
fn update_touches_and_reaccounts() {
    let mut m = BoundedMap::new(2, 4096);
    m.insert("a".to_string(), vec![0; 10]);
    m.insert("b".to_string(), vec![0; 10]);
    assert_eq!(m.update("a", |v| v.extend([1; 90])).ok(), Some(()));
    consistent(&m);
    assert_eq!(m.peek("a").map(Vec::len), Some(100));
    m.insert("c".to_string(), vec![]);
    assert!(m.peek("a").is_some() && m.peek("b").is_none(), "update made `a` recent");
    assert!(m.update("zz", Vec::clear).is_err());
    // Growing past an eighth of the bound drops the entry.
    assert_eq!(m.update("a", |v| v.resize(600, 0)).ok(), Some(()));
    assert!(m.peek("a").is_none());
    consistent(&m);
}

#[test]
fn a_flood_keeps_the_hot_entry_and_the_bounds() {
    let mut m = BoundedMap::new(64, 16 * 1024);
    m.insert("hot".to_string(), vec![7; 50]);
    for i in 0..100_000 {
        m.insert(format!("cold-{i}"), vec![0; i % 200]);
        if i % 16 == 0 {
            assert_eq!(m.get("hot").map(Vec::len), Some(50), "at {i}");
        }
        let s = m.stats();
        assert!(s.entries <= 64 && s.bytes <= 16 * 1024, "{s:?}");
    }
    consistent(&m);
    assert!(m.stats().evictions > 99_000);
}

#[test]
fn zero_entries_stores_nothing() {
    let mut m: BoundedMap<String, Vec<u8>> = BoundedMap::new(0, 1 << 20);
    assert!(!m.insert("a".into(), vec![]));
    assert!(m.is_empty() && m.get("a").is_none());
}

#[test]
fn removed_slots_are_reused_in_recency_order() {
    let mut m = BoundedMap::new(4, 1 << 20);
    for k in ["a", "b", "c", "d"] {
        m.insert(k.to_string(), vec![1]);
    }
    assert_eq!(m.remove("b"), Some(vec![1]));
    assert_eq!(m.remove("b"), None);
    assert!(m.get("a").is_some());
    consistent(&m);
    // "e" takes b's slot; the next insert evicts the least recently used, "c".
    m.insert("e".to_string(), vec![2]);
    assert_eq!(m.values.len(), 4);
    m.insert("f".to_string(), vec![3]);
    assert!(m.peek("c").is_none());
    for k in ["a", "d", "e", "f"] {
        assert!(m.peek(k).is_some(), "{k}");
    }
    assert_eq!((m.len(), m.stats().evictions), (4, 1));
    consistent(&m);
    // Evicted in recency order: d (oldest now), then a.
    assert!(m.get("e").is_some() && m.get("f").is_some());
    m.insert("g".to_string(), vec![]);
    m.insert("h".to_string(), vec![]);
    assert!(m.peek("d").is_none() && m.peek("a").is_none());
    consistent(&m);
}
