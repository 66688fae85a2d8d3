//! A map bounded in entries and in bytes that evicts the least recently used
//! entry: every per-isolate cache keeps its state in one, so that no flood of
//! distinct keys (principals, issuers, identities) can grow an isolate's
//! memory (128 MB per isolate on Workers), while entries in use stay.
//!
//! Bytes are the caller's estimate of what an entry holds on the heap (its
//! [`Cost`]), plus [`ENTRY_OVERHEAD`] for the map's own slot. An entry may
//! take at most an eighth of the byte bound, so one entry can never flush
//! the cache.
//!
//! Wasm size: the bookkeeping (key lookup, recency list, bounds) is one
//! non-generic [`Lru`] over byte keys and slot numbers, so the five caches
//! share one hash table instantiation and need no ordered map; only the
//! slot vector of values is generic.

use std::collections::HashMap;
use std::marker::PhantomData;

/// Bytes charged per entry for the map slots themselves: the hash table
/// slot, the recency list node and the bookkeeping (measured sizes on
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

/// "No slot" in the recency list.
const NIL: u32 = u32::MAX;

/// A slot's bookkeeping; its value lives at the same index of `BoundedMap::values`.
struct Node {
    /// Empty while the slot is free.
    key: Box<[u8]>,
    cost: usize,
    /// Neighbours in recency order (`prev` older, `next` newer), or the next free slot in `next`.
    prev: u32,
    next: u32,
}

/// Keys, recency and bounds of a [`BoundedMap`], independent of its types.
struct Lru {
    index: HashMap<Box<[u8]>, u32>,
    nodes: Vec<Node>,
    /// Least and most recently used slots.
    oldest: u32,
    newest: u32,
    /// Head of the free slots, chained through `next`.
    free: u32,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    evictions: u64,
}

impl Lru {
    fn unlink(&mut self, i: u32) {
        let (prev, next) = (self.nodes[i as usize].prev, self.nodes[i as usize].next);
        match prev {
            NIL => self.oldest = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.newest = prev,
            n => self.nodes[n as usize].prev = prev,
        }
    }

    fn push_newest(&mut self, i: u32) {
        let old = self.newest;
        let node = &mut self.nodes[i as usize];
        node.prev = old;
        node.next = NIL;
        match old {
            NIL => self.oldest = i,
            o => self.nodes[o as usize].next = i,
        }
        self.newest = i;
    }

    /// The slot of `key`, now the most recently used.
    fn touch(&mut self, key: &[u8]) -> Option<usize> {
        let i = *self.index.get(key)?;
        if self.newest != i {
            self.unlink(i);
            self.push_newest(i);
        }
        Some(i as usize)
    }

    /// Drops `i` from the index and the recency list and frees it; the caller takes its value.
    fn release(&mut self, i: u32) -> Box<[u8]> {
        self.unlink(i);
        let free = self.free;
        let node = &mut self.nodes[i as usize];
        let key = std::mem::take(&mut node.key);
        self.bytes = self.bytes.saturating_sub(node.cost);
        node.next = free;
        self.free = i;
        self.index.remove(&key);
        key
    }

    fn remove(&mut self, key: &[u8]) -> Option<usize> {
        let i = *self.index.get(key)?;
        self.release(i);
        Some(i as usize)
    }

    /// Whether an entry of `cost` must first evict the least recently used one.
    fn over(&self, cost: usize) -> bool {
        self.index.len() >= self.max_entries || self.bytes + cost > self.max_bytes
    }

    /// Evicts the least recently used entry: its slot, `None` when empty.
    fn evict(&mut self) -> Option<usize> {
        let i = self.oldest;
        if i == NIL {
            return None;
        }
        self.release(i);
        self.evictions += 1;
        Some(i as usize)
    }

    /// A slot for `key` as the most recently used: a free one, or `None` for
    /// one to append (the caller pushes its value).
    fn claim(&mut self, key: Box<[u8]>, cost: usize) -> Option<usize> {
        let node = Node {
            key: key.clone(),
            cost,
            prev: NIL,
            next: NIL,
        };
        let (i, reused) = match self.free {
            NIL => {
                self.nodes.push(node);
                // At most `max_entries` (< NIL) slots are ever in use at once.
                (u32::try_from(self.nodes.len() - 1).unwrap_or(NIL - 1), false)
            }
            i => {
                self.free = self.nodes[i as usize].next;
                self.nodes[i as usize] = node;
                (i, true)
            }
        };
        self.push_newest(i);
        self.index.insert(key, i);
        self.bytes += cost;
        reused.then_some(i as usize)
    }
}

pub struct BoundedMap<K, V> {
    lru: Lru,
    /// By slot; `None` where the slot is free.
    values: Vec<Option<V>>,
    keys: PhantomData<K>,
}

impl<K, V> std::fmt::Debug for BoundedMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets (tokens, credentials): counts only.
        f.debug_struct("BoundedMap")
            .field("entries", &self.lru.index.len())
            .field("bytes", &self.lru.bytes)
            .field("max_entries", &self.lru.max_entries)
            .field("max_bytes", &self.lru.max_bytes)
            .finish()
    }
}

impl<K: AsRef<[u8]>, V: Cost> BoundedMap<K, V> {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            lru: Lru {
                index: HashMap::new(),
                nodes: Vec::new(),
                oldest: NIL,
                newest: NIL,
                free: NIL,
                bytes: 0,
                // Slot numbers are u32 with one value reserved.
                max_entries: max_entries.min(NIL as usize),
                max_bytes,
                evictions: 0,
            },
            values: Vec::new(),
            keys: PhantomData,
        }
    }

    fn cost_of(key: &[u8], value: &V) -> usize {
        // The key is held twice: in the index and in its slot.
        2 * key.len() + value.cost() + ENTRY_OVERHEAD
    }

    /// The value under `key`, now the most recently used.
    pub fn get<Q: AsRef<[u8]> + ?Sized>(&mut self, key: &Q) -> Option<&V> {
        self.get_mut(key).map(|v| &*v)
    }

    /// Like [`get`](Self::get), mutably. A change that alters the value's
    /// cost must go through [`update`](Self::update) instead.
    fn get_mut<Q: AsRef<[u8]> + ?Sized>(&mut self, key: &Q) -> Option<&mut V> {
        let i = self.lru.touch(key.as_ref())?;
        self.values[i].as_mut()
    }

    /// The value under `key` without touching its recency.
    pub fn peek<Q: AsRef<[u8]> + ?Sized>(&self, key: &Q) -> Option<&V> {
        let i = *self.lru.index.get(key.as_ref())?;
        self.values[i as usize].as_ref()
    }

    pub fn contains_key<Q: AsRef<[u8]> + ?Sized>(&self, key: &Q) -> bool {
        self.lru.index.contains_key(key.as_ref())
    }

    /// Applies `f` to the value under `key` (now the most recently used) and
    /// accounts for its new cost; `Err(f)` when there is no such entry. If the
    /// value grew past an eighth of the byte bound it is dropped.
    pub fn update<Q, R, F>(&mut self, key: &Q, f: F) -> Result<R, F>
    where
        Q: AsRef<[u8]> + ?Sized,
        F: FnOnce(&mut V) -> R,
    {
        let Some(&i) = self.lru.index.get(key.as_ref()) else {
            return Err(f);
        };
        let Some(value) = self.values[i as usize].as_mut() else {
            return Err(f);
        };
        let out = f(value);
        let key = self.lru.release(i);
        if let Some(value) = self.values[i as usize].take() {
            self.store(key, value);
        }
        Ok(out)
    }

    /// Stores `value` under `key` as the most recently used entry, evicting
    /// the least recently used ones until both bounds hold. Returns `false`
    /// (and stores nothing) when the entry alone exceeds an eighth of the
    /// byte bound; an older value under `key` is removed either way.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        self.remove(&key);
        self.store(key.as_ref().into(), value)
    }

    /// [`insert`](Self::insert) of a key known to be absent.
    fn store(&mut self, key: Box<[u8]>, value: V) -> bool {
        let cost = Self::cost_of(&key, &value);
        if self.lru.max_entries == 0 || cost > self.lru.max_bytes / 8 {
            return false;
        }
        while self.lru.over(cost) {
            let Some(i) = self.lru.evict() else {
                break;
            };
            self.values[i] = None;
        }
        match self.lru.claim(key, cost) {
            Some(i) => self.values[i] = Some(value),
            None => self.values.push(Some(value)),
        }
        true
    }

    pub fn remove<Q: AsRef<[u8]> + ?Sized>(&mut self, key: &Q) -> Option<V> {
        let i = self.lru.remove(key.as_ref())?;
        self.values[i].take()
    }

    pub fn len(&self) -> usize {
        self.lru.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lru.index.is_empty()
    }

    pub fn stats(&self) -> Stats {
        Stats {
            entries: self.lru.index.len(),
            bytes: self.lru.bytes,
            max_entries: self.lru.max_entries,
            max_bytes: self.lru.max_bytes,
            evictions: self.lru.evictions,
        }
    }
}

#[cfg(test)]
mod tests;
