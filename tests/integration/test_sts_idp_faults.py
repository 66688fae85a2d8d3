"""The JWKS fetch against a misbehaving identity provider: each fault on its own
dev IdP (trusted by role `fault-<name>`), set before the Worker first asks it, so
nothing is cached yet; and every fault class of faultproxy.py in front of one more IdP
(role `fault-proxied`). Every fault is IDPCommunicationError (400), promptly."""

from __future__ import annotations

import time

import pytest
import requests

from conftest import PROXIED_FAULTS, _start_idp
from support.faultproxy import FaultProxy
from support.procs import free_port
from support.sts import exchange, jwt_split, sts_error, sts_success_xml

pytestmark = pytest.mark.sts


def stats(idp) -> dict:
    return requests.get(idp.url + "/stats", timeout=5).json()


@pytest.mark.parametrize("name,faults,fetched", [
    # the discovery document names another issuer
    ("mismatch", {"discovery_issuer": "http://127.0.0.1:1"}, "discovery"),
    # the JWKS answers 500
    ("jwks500", {"jwks_status": 500}, "jwks"),
    # the JWKS is larger than the 256 KiB cap
    ("big", {"jwks_padding": 300 * 1024}, "jwks"),
])
def test_idp_faults(sts_worker, fault_idp, name, faults, fetched):
    idp = fault_idp(name, faults)
    e = sts_error(exchange(sts_worker.url, idp.token("alice"), f"fault-{name}"), 400, "IDPCommunicationError")
    assert idp.url not in e["Message"], e  # no detail of the IdP to the caller (it is logged)
    assert stats(idp)[fetched] >= 1  # it really asked, and was answered badly


def test_idp_timeout(sts_worker, fault_idp):
    """A 3 s timeout. The IdP takes 10 s to answer its discovery document."""
    idp = fault_idp("slow", {"discovery_delay": 10})
    t0 = time.monotonic()
    sts_error(exchange(sts_worker.url, idp.token("alice"), "fault-slow"), 400, "IDPCommunicationError")
    assert time.monotonic() - t0 < 7, "the discovery fetch was not cut at about 3 s"


def test_cached_jwks_survives_the_idp_going_down(sts_worker, fault_idp):
    idp = fault_idp("down", {})
    sts_success_xml(exchange(sts_worker.url, idp.token("alice"), "fault-down"))
    later = idp.token("alice")  # minted now, used after the IdP is gone
    idp.proc.stop()
    with pytest.raises(requests.RequestException):
        requests.get(idp.url + "/jwks.json", timeout=2)
    f = sts_success_xml(exchange(sts_worker.url, later, "fault-down"))
    assert f["SubjectFromWebIdentityToken"] == "alice"


def test_a_new_idp_on_the_same_issuer_is_picked_up(sts_worker, fault_idp):
    """The Worker cached the JWKS of one IdP; another one (new state dir, new keys) then
    serves the same issuer URL. Its tokens name kids the cached JWKS lacks, so the Worker
    refetches at once instead of refusing them for the hour its copy stays fresh."""
    first = fault_idp("rekey", {})
    old_kid = jwt_split(first.token("alice"))[0]["kid"]
    sts_success_xml(exchange(sts_worker.url, first.token("alice"), "fault-rekey"))
    first.proc.stop()
    second = fault_idp("rekey", {}, state="fault-rekey-2")
    token = second.token("bob")
    f = sts_success_xml(exchange(sts_worker.url, token, "fault-rekey"))
    assert f["SubjectFromWebIdentityToken"] == "bob"
    assert stats(second)["jwks"] == 1
    assert jwt_split(token)[0]["kid"] != old_kid


# --------------------------------------------------------------------------- through a fault proxy

# mode, options, how long the Worker may take to answer (its IdP timeout is 3 s)
PROXY_FAULTS = [
    ("refuse", {}, 2.5),
    ("delay", {"delay": 10}, 6.5),  # the discovery document's headers come too late
    ("trickle", {"interval": 0.5}, 6.5),  # headers on time, the body never ends
    ("garbage", {}, 2.5),
    ("junk", {}, 2.5),
    ("huge", {}, 4),  # an endless document: cut at the 256 KiB cap
    ("cut", {}, 2.5),
]
assert tuple(m for m, _, _ in PROXY_FAULTS) == PROXIED_FAULTS
# src/oidc/cache.rs: a failed fetch answers for its issuer this long; an unknown kid
# refetches at most once a minute, whatever the outcome
RETRY_AFTER_FAILURE = 10
REFETCH = 60
# when the stale-JWKS test's refetch of a rotated key failed (monotonic time)
_rotated: dict[str, float] = {}


def _proxied(tmp_root, port: int, name: str) -> tuple[FaultProxy, object]:
    """A dev IdP behind a FaultProxy listening on `port`: its issuer (and so its discovery
    and JWKS URLs) is the proxy's URL."""
    fp = FaultProxy(port=port)
    i = _start_idp(name, free_port(), tmp_root, issuer=fp.url)
    fp.upstream = i.port
    return fp, i


@pytest.fixture(scope="module")
def proxied_idp(tmp_root, sts_settings):
    """Role `fault-proxied`: the stale-JWKS rule."""
    fp, i = _proxied(tmp_root, sts_settings.fault_ports["proxied"], "fault-proxied")
    yield fp, i
    fp.stop()
    i.proc.stop()


@pytest.fixture(scope="module")
def proxied_idps(tmp_root, sts_settings):
    """Role `fault-proxied-<mode>` for each fault class: the Worker remembers a failure
    per issuer, so each class meets an issuer it has never failed on."""
    out = {m: _proxied(tmp_root, sts_settings.fault_ports[f"proxied-{m}"], f"fault-proxied-{m}")
           for m in PROXIED_FAULTS}
    yield out
    for fp, i in out.values():
        fp.stop()
        i.proc.stop()


def test_stale_jwks_rule_during_a_fault(sts_worker, proxied_idp):
    """With the issuer's keys cached: a known kid is verified from the copy while the IdP
    fails; a token of a key the copy lacks (the IdP rotated) cannot be checked, which is
    IDPCommunicationError (retry later), not InvalidIdentityToken. That refetch failed,
    so the next one waits a minute, even once the IdP answers again (the last test of
    this module sees the new key picked up)."""
    fp, pidp = proxied_idp
    fp.set("pass")
    sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))  # keys cached
    fp.set("refuse")
    f = sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))
    assert f["SubjectFromWebIdentityToken"] == "carol"
    pidp.rotate()
    sts_error(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"), 400, "IDPCommunicationError")
    _rotated["failed_at"] = time.monotonic()
    fp.set("pass")
    asked = fp.accepted["pass"]
    for _ in range(3):
        sts_error(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"), 400, "IDPCommunicationError")
    assert fp.accepted["pass"] == asked, "a refetch within the minute after a failed one"


def test_idp_faults_map_to_idp_communication_error(sts_worker, idp, proxied_idps):
    """Before the Worker ever got these issuers' keys: each fault is IDPCommunicationError,
    within the timeout; the main IdP's exchanges keep working meanwhile. The failure is
    remembered: the same exchange right after is answered at once, without asking the
    IdP. Once the fault clears and that interval has passed, the same exchange succeeds."""
    for mode, opts, bound in PROXY_FAULTS:
        fp, pidp = proxied_idps[mode]
        role = f"fault-proxied-{mode}"
        fp.set(mode, **opts)
        before = fp.accepted[mode]
        t0 = time.monotonic()
        e = sts_error(exchange(sts_worker.url, pidp.token("alice"), role), 400, "IDPCommunicationError")
        elapsed = time.monotonic() - t0
        assert elapsed < bound, f"{mode}: answered after {elapsed:.1f} s"
        assert fp.url not in e["Message"], e
        assert mode == "refuse" or fp.accepted[mode] > before, f"{mode}: the Worker never asked"
        asked, t0 = sum(fp.accepted.values()), time.monotonic()
        sts_error(exchange(sts_worker.url, pidp.token("alice"), role), 400, "IDPCommunicationError")
        assert time.monotonic() - t0 < 1.5, f"{mode}: the failure was not remembered"
        assert sum(fp.accepted.values()) == asked, f"{mode}: asked again within the interval"
        f = sts_success_xml(exchange(sts_worker.url, idp.token("alice")))  # another issuer, same Worker
        assert f["SubjectFromWebIdentityToken"] == "alice"
    last_failure = time.monotonic()
    for fp, _ in proxied_idps.values():
        fp.set("pass")
    time.sleep(max(0.0, last_failure + RETRY_AFTER_FAILURE + 1.5 - time.monotonic()))
    for mode in PROXIED_FAULTS:
        fp, pidp = proxied_idps[mode]
        f = sts_success_xml(exchange(sts_worker.url, pidp.token("alice"), f"fault-proxied-{mode}"))
        assert f["SubjectFromWebIdentityToken"] == "alice"
        assert not fp.errors, (mode, fp.errors)


def test_the_rotated_key_is_picked_up_once_the_minute_has_passed(sts_worker, proxied_idp):
    """(After test_stale_jwks_rule_during_a_fault, whose failed refetch started the minute.)"""
    fp, pidp = proxied_idp
    assert "failed_at" in _rotated, "runs after test_stale_jwks_rule_during_a_fault"
    time.sleep(max(0.0, _rotated["failed_at"] + REFETCH + 1.5 - time.monotonic()))
    f = sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))
    assert f["SubjectFromWebIdentityToken"] == "carol"
    assert not fp.errors, fp.errors
