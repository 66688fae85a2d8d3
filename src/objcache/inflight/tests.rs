use super::*;

#[test]
fn followers_wait_for_the_leader() {
    let reg = Rc::new(InFlight::default());
    let Claim::Leader(guard) = reg.claim("k") else {
        panic!("first claim leads")
    };
    let Claim::Follower(wait) = reg.claim("k") else {
        panic!("second claim follows")
    };
    assert!(matches!(reg.claim("other"), Claim::Leader(_)));
    assert_eq!(reg.len(), 1, "the dropped leader of `other` left");
    assert!(!wait.done());
    drop(guard);
    assert!(wait.done());
    assert!(reg.is_empty());
    assert!(matches!(reg.claim("k"), Claim::Leader(_)));
}

#[test]
fn bounded() {
    let reg = Rc::new(InFlight::default());
    let guards: Vec<_> = (0..MAX_IN_FLIGHT + 5).map(|i| reg.claim(&i.to_string())).collect();
    assert_eq!(reg.len(), MAX_IN_FLIGHT);
    // Past the bound, a claim leads without registering: nobody waits on it.
    assert!(matches!(reg.claim(&(MAX_IN_FLIGHT + 1).to_string()), Claim::Leader(_)));
    drop(guards);
    assert!(reg.is_empty());
}
