//! Coalescing within an isolate: the first request missing an entry fetches
//! it (the leader); others missing the same entry meanwhile wait until the
//! leader has stored it (or given up), then look in the cache again.
//! Bounded: past [`MAX_IN_FLIGHT`] keys a request simply fetches alone; a
//! claim held longer than followers wait ([`STALE_MS`]) is taken over, since
//! a leader whose request the runtime cancelled never drops its guard.
//!
//! A follower polls the leader's flag on its own timer rather than being
//! woken by the leader: in Workers, a request's future polled from another
//! request's callback would do its I/O on that request's behalf, which the
//! runtime refuses ("Cannot perform I/O on behalf of a different request").

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

pub const MAX_IN_FLIGHT: usize = 1024;
/// How long a claim holds: as long as a follower waits for it
/// (`proxy::cached::WAIT_MS`), after which followers fetch on their own anyway.
pub const STALE_MS: i64 = 10_000;

#[derive(Debug, Default)]
struct Signal {
    done: Cell<bool>,
    /// When the claim was made (ms since the epoch).
    since_ms: i64,
}

/// One per isolate (`IsolateState::inflight`): requests of one isolate
/// share it, requests of other isolates cannot see it.
#[derive(Default)]
pub struct InFlight {
    keys: RefCell<Keys>,
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight").field("keys", &self.len()).finish()
    }
}

/// Claims by key. Wasm size: the index is the same `HashMap<Box<[u8]>, u32>`
/// the bounded caches use (one hash table instantiation), into a slot vector.
#[derive(Default)]
struct Keys {
    index: HashMap<Box<[u8]>, u32>,
    /// By slot; `None` where the slot is free (and on `free`).
    signals: Vec<Option<Rc<Signal>>>,
    free: Vec<u32>,
}

impl Keys {
    fn get(&self, key: &str) -> Option<&Rc<Signal>> {
        let i = *self.index.get(key.as_bytes())?;
        self.signals.get(i as usize)?.as_ref()
    }

    fn remove(&mut self, key: &str) {
        if let Some(i) = self.index.remove(key.as_bytes()) {
            self.signals[i as usize] = None;
            self.free.push(i);
        }
    }

    /// `key`, absent, now claimed by `signal`.
    fn insert(&mut self, key: &str, signal: Rc<Signal>) {
        let i = match self.free.pop() {
            Some(i) => {
                self.signals[i as usize] = Some(signal);
                i
            }
            None => {
                self.signals.push(Some(signal));
                // At most MAX_IN_FLIGHT slots.
                u32::try_from(self.signals.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.index.insert(key.as_bytes().into(), i);
    }

    fn len(&self) -> usize {
        self.index.len()
    }
}

/// Held by the leader while it fills an entry; dropping it (stored, failed
/// or cancelled) releases the followers.
pub struct Guard {
    registry: Option<(Rc<InFlight>, String)>,
    signal: Rc<Signal>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some((reg, key)) = self.registry.take() {
            let mut keys = reg.keys.borrow_mut();
            // Not a claim that took over this one when it went stale.
            if keys.get(&key).is_some_and(|s| Rc::ptr_eq(s, &self.signal)) {
                keys.remove(&key);
            }
        }
        self.signal.done.set(true);
    }
}

/// A follower's view of the leader.
pub struct Wait(Rc<Signal>);

impl Wait {
    /// True once the leader has stored the entry or given up.
    pub fn done(&self) -> bool {
        self.0.done.get()
    }
}

pub enum Claim {
    Leader(Guard),
    Follower(Wait),
}

impl InFlight {
    /// Leads the fill of `key`, or follows the request already filling it;
    /// `now_ms` (ms since the epoch) dates the claim.
    pub fn claim(self: &Rc<Self>, key: &str, now_ms: i64) -> Claim {
        let mut keys = self.keys.borrow_mut();
        match keys.get(key) {
            Some(s) if now_ms.saturating_sub(s.since_ms) < STALE_MS => return Claim::Follower(Wait(s.clone())),
            // Stale: its followers have stopped waiting; this request leads in its place.
            Some(_) => {
                keys.remove(key);
            }
            None => {}
        }
        let signal = Rc::new(Signal {
            done: Cell::new(false),
            since_ms: now_ms,
        });
        let registry = (keys.len() < MAX_IN_FLIGHT).then(|| {
            keys.insert(key, signal.clone());
            (self.clone(), key.to_string())
        });
        Claim::Leader(Guard { registry, signal })
    }

    pub fn len(&self) -> usize {
        self.keys.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Polls `w` every `step_ms` (sleeping on the caller's own timer) until the
/// leader is done or `max_ms` have passed.
pub async fn wait<F: Future<Output = ()>>(w: &Wait, step_ms: u32, max_ms: u32, sleep: impl Fn(u32) -> F) {
    let mut waited = 0;
    while !w.done() && waited < max_ms {
        sleep(step_ms).await;
        waited += step_ms;
    }
}

#[cfg(test)]
mod tests;
