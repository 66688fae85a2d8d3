"""The JWKS fetch of S7 against a misbehaving identity provider: each fault on its own
dev IdP (trusted by role `fault-<name>`), set before the Worker first asks it, so
nothing is cached yet. Every fault is IDPCommunicationError (400), promptly."""

from __future__ import annotations

import time

import pytest
import requests

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
    """S7: 3 s timeout. The IdP takes 10 s to answer its discovery document."""
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
