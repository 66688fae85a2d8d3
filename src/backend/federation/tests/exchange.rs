//! The exchange and the per-isolate cache: wire shape, every answer,
//! renewal ahead of expiry, bounds, and no secret in logs.

use super::*;

#[test]
fn the_exchange_is_an_aws_form_post() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let creds = get(&cache, &p, &a).unwrap();
    assert_eq!(creds.access_key_id, "ASIATEMP1");
    assert_eq!(creds.secret_access_key.expose(), secret_of(1));
    assert_eq!(
        creds.session_token.as_ref().map(Secret::expose),
        Some(token_of(1).as_str())
    );
    assert_eq!(
        *a.asked.borrow(),
        vec![("backend:fed".to_string(), "sts.amazonaws.com".to_string())]
    );
    let fetched = p.fetched.borrow();
    let req = &fetched[0];
    assert_eq!(
        (req.method, req.url.as_str(), req.timeout_ms),
        ("POST", STS, STS_TIMEOUT_MS)
    );
    assert!(req
        .headers
        .iter()
        .any(|(n, v)| n == "content-type" && v.starts_with("application/x-www-form-urlencoded")));
    let fields = form(req.body.as_deref().unwrap());
    let want = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", ROLE),
        ("RoleSessionName", "oidc-data-proxy.fed"),
        ("WebIdentityToken", ASSERTION),
        ("DurationSeconds", "3600"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(fields, want);
    // Form encoding: the ARN's ':' and '/' are escaped, nothing is left raw.
    let raw = String::from_utf8(req.body.clone().unwrap()).unwrap();
    assert!(
        raw.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader"),
        "{raw}"
    );
}

#[test]
fn credentials_are_reused_until_five_minutes_before_expiry() {
    let (p, _) = platform(&[
        (200, success(1, NOW_MS, 60 * MIN)),
        (200, success(2, NOW_MS + 56 * MIN, 60 * MIN)),
    ]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP1");
    for t in [1, 30 * MIN, 54 * MIN] {
        p.clock_ms.set(NOW_MS + t);
        assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP1");
    }
    assert_eq!(sts_calls(&p), 1);
    // Within 5 minutes of the expiry: renewed.
    p.clock_ms.set(NOW_MS + 56 * MIN);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP2");
    p.clock_ms.set(NOW_MS + 57 * MIN);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP2");
    assert_eq!(sts_calls(&p), 2);
    assert_eq!(cache.exchanges(), 2);
}

#[test]
fn a_failed_renewal_keeps_the_current_credentials_and_backs_off() {
    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    get(&cache, &p, &a).unwrap();
    *queue.borrow_mut() = [(500, error_doc("InternalFailure", "boom"))].into();
    p.clock_ms.set(NOW_MS + 56 * MIN);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP1");
    assert_eq!(sts_calls(&p), 2);
    let logs = p.logs.borrow().join("\n");
    assert!(
        logs.contains("renewal failed") && logs.contains("InternalFailure"),
        "{logs}"
    );
    // No new attempt for 30 s: requests keep the current credentials without waiting.
    p.clock_ms.set(NOW_MS + 56 * MIN + 29_000);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP1");
    assert_eq!(sts_calls(&p), 2);
    // Then one more attempt, which succeeds.
    *queue.borrow_mut() = [(200, success(2, NOW_MS + 57 * MIN, 60 * MIN))].into();
    p.clock_ms.set(NOW_MS + 56 * MIN + 31_000);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP2");
    assert_eq!(sts_calls(&p), 3);
}

#[test]
fn expired_credentials_are_never_used() {
    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    get(&cache, &p, &a).unwrap();
    *queue.borrow_mut() = [(503, String::new())].into();
    // Less than a minute left: not used, and the failure reaches the request.
    p.clock_ms.set(NOW_MS + 59 * MIN + 30_000);
    let e = get(&cache, &p, &a).unwrap_err();
    assert_eq!(e.status(), 503, "{e:?}");
}

#[test]
fn every_failure_maps_to_502_or_503_and_is_not_cached() {
    let expired = success(9, NOW_MS - 2 * MIN, MIN);
    let no_token = success(9, NOW_MS, 60 * MIN).replace(&format!("<SessionToken>{}</SessionToken>", token_of(9)), "");
    let control = success(9, NOW_MS, 60 * MIN).replace("SESSIONTOKEN", "SESSION&#10;TOKEN");
    let cases: Vec<(u16, String, u16, &str)> = vec![
        (
            400,
            error_doc("InvalidIdentityToken", "Incorrect token audience"),
            503,
            "STS refused: status 400 InvalidIdentityToken Incorrect token audience",
        ),
        (
            403,
            error_doc(
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            ),
            503,
            "AccessDenied",
        ),
        (
            400,
            error_doc("IDPCommunicationError", "try again"),
            503,
            "STS failed: status 400 IDPCommunicationError",
        ),
        (429, String::new(), 503, "status 429"),
        (500, "<html>oops</html>".into(), 503, "status 500"),
        (
            200,
            "<html><body>captive portal</body></html>".into(),
            502,
            "unusable STS answer",
        ),
        (200, "not xml at all <<".into(), 502, "unusable STS answer"),
        (200, no_token, 502, "no AccessKeyId, SecretAccessKey, SessionToken"),
        (200, expired, 502, "clock skew"),
        (200, control, 502, "non-printable"),
        (200, error_doc("AccessDenied", "x"), 502, "200 with an error document"),
        (302, String::new(), 502, "status 302"),
    ];
    for (status, body, want, needle) in cases {
        let (p, _) = platform(&[(status, body.clone())]);
        let a = Assertions::default();
        let cache = FederationCache::default();
        let e = get(&cache, &p, &a).unwrap_err();
        assert_eq!(e.status(), want, "{status} {body}: {e:?}");
        let detail = e.detail().unwrap_or_default();
        assert!(detail.contains(needle), "{status}: {detail}");
        assert!(
            detail.contains("backend fed") && detail.contains(ROLE) && detail.contains(STS),
            "{detail}"
        );
        assert!(!detail.contains(ASSERTION) && !detail.contains("SECRET/9"), "{detail}");
        // Not cached: the next request tries again.
        get(&cache, &p, &a).unwrap_err();
        assert_eq!(sts_calls(&p), 2, "{status}");
    }
}

#[test]
fn timeouts_and_minting_failures_are_503() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    *p.fetch_error.borrow_mut() = Some(ProxyError::Unavailable("backend timed out after 5000 ms".into()));
    let a = Assertions::default();
    let cache = FederationCache::default();
    let e = get(&cache, &p, &a).unwrap_err();
    assert_eq!((e.status(), e.code().as_str()), (503, "ServiceUnavailable"));
    assert!(e.detail().unwrap().contains("cannot reach the STS") && e.detail().unwrap().contains("timed out"));
    *p.fetch_error.borrow_mut() = None;
    a.fail.set(true);
    let e = get(&cache, &p, &a).unwrap_err();
    assert_eq!(e.status(), 503);
    assert_eq!(sts_calls(&p), 1, "no STS call without an assertion");
}

#[test]
fn an_echoed_assertion_never_reaches_the_detail() {
    let msg = format!("Token {ASSERTION} is invalid; so is eyJtruncated");
    let (p, _) = platform(&[(400, error_doc("InvalidIdentityToken", &msg))]);
    let e = get(&FederationCache::default(), &p, &Assertions::default()).unwrap_err();
    let d = e.detail().unwrap();
    assert!(!d.contains(ASSERTION) && !d.contains("eyJ"), "{d}");
    assert!(d.contains("[assertion]") && d.contains("InvalidIdentityToken"), "{d}");
}

#[test]
fn one_request_renews_while_the_others_use_the_current_credentials() {
    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    get(&cache, &p, &a).unwrap();
    *queue.borrow_mut() = [(200, success(2, NOW_MS + 56 * MIN, 60 * MIN))].into();
    p.clock_ms.set(NOW_MS + 56 * MIN);
    p.fetch_yields.set(true);
    let id = wi();
    let (first, second) = block_on(futures::future::join(
        cache.credentials(&p, &a, &id),
        cache.credentials(&p, &a, &id),
    ));
    // The first started the renewal and waits for its answer; the second did
    // not wait for it, nor start another.
    assert_eq!(first.unwrap().access_key_id, "ASIATEMP2");
    assert_eq!(second.unwrap().access_key_id, "ASIATEMP1");
    assert_eq!(sts_calls(&p), 2);
}

#[test]
fn with_nothing_valid_each_request_fetches_for_itself() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    p.fetch_yields.set(true);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let id = wi();
    let (x, y) = block_on(futures::future::join(
        cache.credentials(&p, &a, &id),
        cache.credentials(&p, &a, &id),
    ));
    assert!(x.is_ok() && y.is_ok());
    assert_eq!(sts_calls(&p), 2);
    // Stored: the next request fetches nothing.
    get(&cache, &p, &a).unwrap();
    assert_eq!(sts_calls(&p), 2);
}

#[test]
fn a_renewal_dropped_midway_does_not_stop_the_next_one() {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};

    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    get(&cache, &p, &a).unwrap();
    *queue.borrow_mut() = [(200, success(2, NOW_MS + 56 * MIN, 60 * MIN))].into();
    p.clock_ms.set(NOW_MS + 56 * MIN);
    p.fetch_yields.set(true);
    let id = wi();
    {
        let mut renewal = std::pin::pin!(cache.credentials(&p, &a, &id));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(renewal.as_mut().poll(&mut cx), Poll::Pending));
        // Dropped here, as when the client goes away mid-request.
    }
    p.fetch_yields.set(false);
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP2");
}

#[test]
fn identities_differing_in_anything_do_not_share_credentials() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let base = format!(r#""role_arn": "{ROLE}", "sts_endpoint": "https://sts.test""#);
    let variants = [
        format!("{{{base}}}"),
        format!(r#"{{{base}, "audience": "other"}}"#),
        format!(r#"{{{base}, "subject": "backend:other"}}"#),
        format!(r#"{{{base}, "session_name": "other"}}"#),
        format!(r#"{{{base}, "duration_secs": 900}}"#),
        format!(r#"{{"role_arn": "{ROLE}2", "sts_endpoint": "https://sts.test"}}"#),
    ];
    for v in &variants {
        block_on(cache.credentials(&p, &a, &identity(v).unwrap())).unwrap();
    }
    assert_eq!(sts_calls(&p), variants.len());
    for v in &variants {
        block_on(cache.credentials(&p, &a, &identity(v).unwrap())).unwrap();
    }
    assert_eq!(sts_calls(&p), variants.len(), "each is cached in its own slot");
}

#[test]
fn forget_drops_only_the_rejected_credentials() {
    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    get(&cache, &p, &a).unwrap();
    cache.forget(&wi(), "ASIAOTHER");
    get(&cache, &p, &a).unwrap();
    assert_eq!(sts_calls(&p), 1);
    *queue.borrow_mut() = [(200, success(2, NOW_MS, 60 * MIN))].into();
    cache.forget(&wi(), "ASIATEMP1");
    assert_eq!(get(&cache, &p, &a).unwrap().access_key_id, "ASIATEMP2");
    assert_eq!(sts_calls(&p), 2);
}

#[test]
fn no_secret_in_logs_or_debug_output() {
    let (p, queue) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let creds = get(&cache, &p, &a).unwrap();
    *queue.borrow_mut() = [(400, error_doc("InvalidIdentityToken", ASSERTION))].into();
    p.clock_ms.set(NOW_MS + 56 * MIN);
    get(&cache, &p, &a).unwrap();
    let temp = Temporary {
        credentials: creds.clone(),
        expires_ms: 0,
    };
    let outputs = [
        p.logs.borrow().join("\n"),
        format!("{cache:?}"),
        format!("{creds:?}"),
        format!("{temp:?}"),
        format!("{:?}", p.fetched.borrow()),
        format!("{:?}", wi()),
    ];
    for out in &outputs {
        for secret in [secret_of(1), token_of(1), ASSERTION.to_string()] {
            assert!(!out.contains(&secret), "{secret} in {out}");
        }
    }
    assert!(outputs[0].contains("federated credentials obtained") && outputs[0].contains("ASIATEMP1"));
    assert!(outputs[4].contains("body_bytes"), "{}", outputs[4]);
}

#[test]
fn parses_aws_and_moto_answers() {
    let aws = success(1, NOW_MS, 60 * MIN);
    let Ok(StsAnswer::Credentials(t)) = parse_answer(&aws, NOW_MS) else {
        panic!()
    };
    assert_eq!(t.expires_ms, NOW_MS + 60 * MIN);
    // moto: microseconds in Expiration, an entity in the secret.
    let moto = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIARZPUZDIKOTVVM44I</AccessKeyId><SecretAccessKey>I/uc&amp;+yLHKJWnwbn9</SecretAccessKey><SessionToken>FQoGZXIvYXdzEBYaD8LTvwd1eK72bFwrDs+gXXeDZtZ=</SessionToken><Expiration>2027-01-15T09:00:18.486767Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"#;
    let Ok(StsAnswer::Credentials(t)) = parse_answer(moto, NOW_MS) else {
        panic!()
    };
    assert_eq!(t.credentials.secret_access_key.expose(), "I/uc&+yLHKJWnwbn9");
    assert_eq!(t.expires_ms % 1000, 486);
    let Ok(StsAnswer::Error { code, message }) = parse_answer(&error_doc("AccessDenied", "a\nb"), NOW_MS) else {
        panic!()
    };
    assert_eq!((code.as_str(), message.as_str()), ("AccessDenied", "a b"));
    assert!(parse_answer("<Other/>", NOW_MS).is_err());
}

#[test]
fn a_body_that_never_ends_is_503_and_an_oversized_one_unusable() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    p.bodies_stall.set(true);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let e = get(&cache, &p, &a).unwrap_err();
    assert_eq!((e.status(), e.code().as_str()), (503, "ServiceUnavailable"));
    assert!(e.detail().unwrap().contains("not complete after"), "{e:?}");
    assert!(
        p.body_reads
            .borrow()
            .iter()
            .all(|&(_, t)| (1..=STS_TIMEOUT_MS).contains(&t)),
        "{:?}",
        p.body_reads.borrow()
    );
    // A 200 larger than any real answer is as unusable as garbage: 502. A 5xx whose
    // body is oversized is still the STS failing: 503.
    let huge = format!("<x>{}</x>", "a".repeat(80 << 10));
    for (status, want) in [(200, 502), (500, 503)] {
        let (p, _) = platform(&[(status, huge.clone())]);
        let e = get(&FederationCache::default(), &p, &a).unwrap_err();
        assert_eq!(e.status(), want, "{status}: {e:?}");
    }
}

#[test]
fn a_flood_of_identities_stays_bounded_and_keeps_the_hot_credentials() {
    let (p, _) = platform(&[(200, success(1, NOW_MS, 60 * MIN))]);
    let a = Assertions::default();
    let cache = FederationCache::default();
    let hot = wi();
    assert_eq!(
        block_on(cache.credentials(&p, &a, &hot)).unwrap().access_key_id,
        "ASIATEMP1"
    );
    let flood = 3 * FEDERATION_MAX_SLOTS;
    for i in 0..flood {
        let cold = identity(&format!(
            r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://sts.test", "subject": "s-{i}"}}"#
        ))
        .unwrap();
        assert!(block_on(cache.credentials(&p, &a, &cold)).is_ok());
        if i % 8 == 0 {
            assert!(block_on(cache.credentials(&p, &a, &hot)).is_ok());
        }
        let s = cache.stats();
        assert!(
            s.entries <= FEDERATION_MAX_SLOTS && s.bytes <= FEDERATION_MAX_BYTES,
            "{s:?}"
        );
    }
    let hot_exchanges = a.asked.borrow().iter().filter(|(sub, _)| sub == "backend:fed").count();
    assert_eq!(hot_exchanges, 1, "the hot identity kept its credentials");
    assert_eq!(cache.exchanges(), 1 + flood as u64);
    let s = cache.stats();
    assert!(
        s.entries == FEDERATION_MAX_SLOTS && s.bytes > FEDERATION_MAX_SLOTS * 100,
        "{s:?}"
    );
}
