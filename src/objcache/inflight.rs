//! Coalescing within an isolate: the first request missing an entry fetches
//! it (the leader); others missing the same entry meanwhile wait until the
//! leader has stored it (or given up), then look in the cache again.
//! Bounded: past [`MAX_IN_FLIGHT`] keys a request simply fetches alone.
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

#[derive(Debug, Default)]
struct Signal {
    done: Cell<bool>,
}

/// One per isolate (`IsolateState::inflight`): requests of one isolate
/// share it, requests of other isolates cannot see it.
#[derive(Debug, Default)]
pub struct InFlight {
    keys: RefCell<HashMap<String, Rc<Signal>>>,
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
            reg.keys.borrow_mut().remove(&key);
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
    pub fn claim(self: &Rc<Self>, key: &str) -> Claim {
        let mut keys = self.keys.borrow_mut();
        if let Some(s) = keys.get(key) {
            return Claim::Follower(Wait(s.clone()));
        }
        let signal = Rc::new(Signal::default());
        let registry = (keys.len() < MAX_IN_FLIGHT).then(|| {
            keys.insert(key.to_string(), signal.clone());
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
