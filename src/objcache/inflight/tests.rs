use super::*;

#[test]
fn followers_wait_for_the_leader() {
    let reg = Rc::new(InFlight::default());
    let Claim::Leader(guard) = reg.claim("k", 0) else {
        panic!("first claim leads")
    };
    let Claim::Follower(wait) = reg.claim("k", 0) else {
        panic!("second claim follows")
    };
    assert!(matches!(reg.claim("other", 0), Claim::Leader(_)));
    assert_eq!(reg.len(), 1, "the dropped leader of `other` left");
    assert!(!wait.done());
    drop(guard);
    assert!(wait.done());
    assert!(reg.is_empty());
    assert!(matches!(reg.claim("k", 0), Claim::Leader(_)));
}

#[test]
fn bounded() {
    let reg = Rc::new(InFlight::default());
    let guards: Vec<_> = (0..MAX_IN_FLIGHT + 5).map(|i| reg.claim(&i.to_string(), 0)).collect();
    assert_eq!(reg.len(), MAX_IN_FLIGHT);
    // Past the bound, a claim leads without registering: nobody waits on it.
    assert!(matches!(
        reg.claim(&(MAX_IN_FLIGHT + 1).to_string(), 0),
        Claim::Leader(_)
    ));
    drop(guards);
    assert!(reg.is_empty());
}

#[test]
fn a_claim_held_past_the_wait_bound_is_taken_over() {
    // A leader whose request the runtime cancelled never resumes, so its guard
    // is never dropped: its claim must not make every later miss wait.
    let reg = Rc::new(InFlight::default());
    let Claim::Leader(stuck) = reg.claim("k", 1_000) else {
        panic!("first claim leads")
    };
    assert!(matches!(reg.claim("k", 1_000 + STALE_MS - 1), Claim::Follower(_)));
    let Claim::Leader(fresh) = reg.claim("k", 1_000 + STALE_MS) else {
        panic!("a claim as old as the wait bound is taken over")
    };
    let Claim::Follower(wait) = reg.claim("k", 1_000 + STALE_MS + 1) else {
        panic!("the new leader's claim holds")
    };
    // The old leader waking up after all must not release the new one's followers.
    drop(stuck);
    assert!(!wait.done());
    assert_eq!(reg.len(), 1);
    drop(fresh);
    assert!(wait.done());
    assert!(reg.is_empty());
}

#[test]
fn the_stale_bound_is_the_followers_wait_bound() {
    assert_eq!(STALE_MS, i64::from(crate::proxy::cached::WAIT_MS));
}

#[test]
fn released_slots_are_reused() {
    let reg = Rc::new(InFlight::default());
    for round in 0..50 {
        let guards: Vec<_> = (0..8).map(|i| reg.claim(&format!("{round}-{i}"), 0)).collect();
        assert_eq!(reg.len(), 8);
        assert!(matches!(reg.claim(&format!("{round}-3"), 0), Claim::Follower(_)));
        drop(guards);
        assert!(reg.is_empty());
    }
    let keys = reg.keys.borrow();
    assert_eq!(
        (keys.signals.len(), keys.free.len()),
        (8, 8),
        "eight slots, all free again"
    );
    assert!(keys.signals.iter().all(Option::is_none));
}
