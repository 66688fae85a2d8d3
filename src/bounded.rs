//! A map bounded in entries and in bytes that evicts the least recently used
//! entry: every per-isolate cache keeps its state in one, so that no flood of
//! distinct keys (principals, issuers, identities) can grow an isolate's
//! memory (128 MB per isolate on Workers), while entries in use stay.
//!
//! Bytes are the caller's estimate of what an entry holds on the heap (its
//! [`Cost`]), plus [`ENTRY_OVERHEAD`] for the map's own slot. An entry may
//! take at most an eighth of the byte bound, so one entry can never flush
//! the cache.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Bytes charged per entry for the map slots themselves: the hash table
/// slot, the recency index node and the bookkeeping (measured sizes on
/// wasm32 and x86_64 are below this).
pub const ENTRY_OVERHEAD: usize = 128;

/// What an entry costs, in heap bytes, without [`ENTRY_OVERHEAD`].
pub trait Cost {
    fn cost(&self) -> usize;
}

impl Cost for String {
    fn cost(&self) -> usize {
        self.len()
    }
}

impl Cost for Vec<u8> {
    fn cost(&self) -> usize {
        self.len()
    }
}

/// How full a cache is, for the isolate's stats line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub entries: usize,
    pub bytes: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
    /// Entries evicted to make room so far (not counting replaced or removed ones).
    pub evictions: u64,
}

impl Stats {
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "entries": self.entries,
            "bytes": self.bytes,
            "max_entries": self.max_entries,
            "max_bytes": self.max_bytes,
            "evictions": self.evictions,
        })
    }
}

struct Slot<V> {
    value: V,
    cost: usize,
    /// Position in `order`: higher is more recent.
    tick: u64,
}

pub struct BoundedMap<K, V> {
    map: HashMap<K, Slot<V>>,
    /// tick → key, oldest first.
    order: BTreeMap<u64, K>,
    tick: u64,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    evictions: u64,
}

impl<K, V> std::fmt::Debug for BoundedMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets (tokens, credentials): counts only.
        f.debug_struct("BoundedMap")
            .field("entries", &self.map.len())
            .field("bytes", &self.bytes)
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl<K: Hash + Eq + Clone + Cost, V: Cost> BoundedMap<K, V> {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            bytes: 0,
            max_entries,
            max_bytes,
            evictions: 0,
        }
    }

    fn cost_of(key: &K, value: &V) -> usize {
        // The key is held twice: in the map and in the recency index.
        2 * key.cost() + value.cost() + ENTRY_OVERHEAD
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// The value under `key`, now the most recently used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_mut(key).map(|v| &*v)
    }

    /// Like [`get`](Self::get), mutably. A change that alters the value's
    /// cost must go through [`update`](Self::update) instead.
    fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let tick = self.next_tick();
        let slot = self.map.get_mut(key)?;
        if let Some(k) = self.order.remove(&slot.tick) {
            self.order.insert(tick, k);
        }
        slot.tick = tick;
        Some(&mut slot.value)
    }

    /// The value under `key` without touching its recency.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key).map(|s| &s.value)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(key)
    }

    /// Applies `f` to the value under `key` (now the most recently used) and
    /// accounts for its new cost; `Err(f)` when there is no such entry. If the
    /// value grew past an eighth of the byte bound it is dropped.
    pub fn update<Q, R, F>(&mut self, key: &Q, f: F) -> Result<R, F>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce(&mut V) -> R,
    {
        let Some(value) = self.get_mut(key) else {
            return Err(f);
        };
        let out = f(value);
        let Some((k, slot)) = self.map.remove_entry(key) else {
            return Ok(out);
        };
        self.order.remove(&slot.tick);
        self.bytes = self.bytes.saturating_sub(slot.cost);
        self.insert(k, slot.value);
        Ok(out)
    }

    /// Stores `value` under `key` as the most recently used entry, evicting
    /// the least recently used ones until both bounds hold. Returns `false`
    /// (and stores nothing) when the entry alone exceeds an eighth of the
    /// byte bound; an older value under `key` is removed either way.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        self.remove(&key);
        let cost = Self::cost_of(&key, &value);
        if self.max_entries == 0 || cost > self.max_bytes / 8 {
            return false;
        }
        while self.map.len() >= self.max_entries || self.bytes + cost > self.max_bytes {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(slot) = self.map.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(slot.cost);
                self.evictions += 1;
            }
        }
        let tick = self.next_tick();
        self.order.insert(tick, key.clone());
        self.map.insert(key, Slot { value, cost, tick });
        self.bytes += cost;
        true
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.map.remove(key)?;
        self.order.remove(&slot.tick);
        self.bytes = self.bytes.saturating_sub(slot.cost);
        Some(slot.value)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn stats(&self) -> Stats {
        Stats {
            entries: self.map.len(),
            bytes: self.bytes,
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            evictions: self.evictions,
        }
    }
}

#[cfg(test)]
mod tests;
