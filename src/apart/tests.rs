use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;

/// Pending `n` times (waking itself each time), then ready with `n`.
struct Countdown(u32, u32);

impl Future for Countdown {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.0 == 0 {
            return Poll::Ready(self.1);
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn passes_pending_and_ready_through_unchanged() {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = pin!(apart(Countdown(2, 7)));
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Pending);
    assert_eq!(f.as_mut().poll(&mut cx), Poll::Ready(7));
}

#[test]
fn awaits_like_the_future_it_holds() {
    let got = futures::executor::block_on(async { apart(async { apart(Countdown(3, 5)).await + 1 }).await });
    assert_eq!(got, 6);
}
