//! A future kept out of its caller's code.
//!
//! An `async fn` awaiting another usually gets the callee's state machine
//! inlined into its own, so the request pipeline compiles to a few very large
//! wasm functions. V8 compiles a wasm function whole, on its first call
//! (baseline) and again when it runs hot (optimized, on background threads,
//! which the Worker's CPU includes): every request then pays for compiling
//! the routes it never takes, and the optimizing compiler's time grows faster
//! than a function's size. Awaiting through [`apart`] keeps the callee's
//! state machine in a function of its own (docs/BENCHMARKS.md, "Compiled
//! whole").

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// See [`apart`].
    pub struct Apart<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Apart<F> {
    type Output = F::Output;

    // The boundary itself: never inlined into the awaiting state machine.
    #[inline(never)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

/// `f`, to be awaited as itself but compiled apart from the caller.
pub fn apart<F: Future>(f: F) -> Apart<F> {
    Apart { inner: f }
}

#[cfg(test)]
mod tests;
