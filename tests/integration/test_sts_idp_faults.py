"""The JWKS fetch against a misbehaving identity provider: each fault on its own
dev IdP (trusted by role `fault-<name>`), set before the Worker first asks it, so
nothing is cached yet; and every fault class of faultproxy.py in front of one more IdP
(role `fault-proxied`). Every fault is IDPCommunicationError (400), promptly."""

from __future__ import annotations

import time

import pytest
import requests

from conftest import _start_idp
from faultproxy import FaultProxy
from harness import free_port
from stslib import exchange, jwt_split, sts_error, sts_success_xml

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


@pytest.fixture(scope="module")
def proxied_idp(tmp_root, sts_settings):
    """A dev IdP behind a FaultProxy listening on role `fault-proxied`'s issuer port: its
    issuer (and so its discovery and JWKS URLs) is the proxy's URL."""
    fp = FaultProxy(port=sts_settings.fault_ports["proxied"])
    i = _start_idp("fault-proxied", free_port(), tmp_root, issuer=fp.url)
    fp.upstream = i.port
    yield fp, i
    fp.stop()
    i.proc.stop()


def test_idp_faults_map_to_idp_communication_error(sts_worker, idp, proxied_idp):
    """Before the Worker ever got this issuer's keys: each fault is IDPCommunicationError,
    within the timeout; the main IdP's exchanges keep working meanwhile; once the fault
    clears the same exchange succeeds (failures are not cached)."""
    fp, pidp = proxied_idp
    for mode, opts, bound in PROXY_FAULTS:
        fp.set(mode, **opts)
        before = fp.accepted[mode]
        t0 = time.monotonic()
        e = sts_error(exchange(sts_worker.url, pidp.token("alice"), "fault-proxied"), 400, "IDPCommunicationError")
        elapsed = time.monotonic() - t0
        assert elapsed < bound, f"{mode}: answered after {elapsed:.1f} s"
        assert fp.url not in e["Message"], e
        assert mode == "refuse" or fp.accepted[mode] > before, f"{mode}: the Worker never asked"
        f = sts_success_xml(exchange(sts_worker.url, idp.token("alice")))  # another issuer, same Worker
        assert f["SubjectFromWebIdentityToken"] == "alice"
    fp.set("pass")
    f = sts_success_xml(exchange(sts_worker.url, pidp.token("alice"), "fault-proxied"))
    assert f["SubjectFromWebIdentityToken"] == "alice"
    assert not fp.errors, fp.errors


def test_stale_jwks_rule_during_a_fault(sts_worker, proxied_idp):
    """With the issuer's keys cached: a known kid is verified from the copy while the IdP
    fails; a token of a key the copy lacks (the IdP rotated) cannot be checked, which is
    IDPCommunicationError (retry later), not InvalidIdentityToken; after the fault the new
    key is fetched at once."""
    fp, pidp = proxied_idp
    fp.set("pass")
    sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))  # keys cached
    fp.set("refuse")
    f = sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))
    assert f["SubjectFromWebIdentityToken"] == "carol"
    pidp.rotate()
    sts_error(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"), 400, "IDPCommunicationError")
    fp.set("pass")
    f = sts_success_xml(exchange(sts_worker.url, pidp.token("carol"), "fault-proxied"))
    assert f["SubjectFromWebIdentityToken"] == "carol"
