"""The proxy as an OIDC provider, in real workerd: discovery and JWKS built from the
PKCS#8 key the Worker parses itself (a hand-written reader on wasm)."""

from __future__ import annotations

import json

from conftest import PROVIDER_ISSUER, PROVIDER_KID
from support.procs import REPO
from support.httpraw import raw


def test_discovery_document(worker):
    r = raw(worker.url, "GET", "/.well-known/openid-configuration")
    assert r.status == 200, r
    assert "max-age" in (r.h("cache-control") or ""), r
    doc = json.loads(r.body)
    assert doc["issuer"] == PROVIDER_ISSUER
    assert doc["jwks_uri"] == f"{PROVIDER_ISSUER}/.well-known/jwks.json"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert r.h("x-amz-request-id"), r


def test_jwks_publishes_the_configured_key(worker):
    r = raw(worker.url, "GET", "/.well-known/jwks.json")
    assert r.status == 200, r
    keys = json.loads(r.body)["keys"]
    fixture = json.loads((REPO / "tests/fixtures/oidc/jwks.json").read_text())["keys"][0]
    assert len(keys) == 1, keys
    assert {k: keys[0][k] for k in ("kty", "use", "alg", "kid")} == {
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": PROVIDER_KID}
    # Same key as the fixture JWKS (openssl-derived): n and e byte for byte.
    assert (keys[0]["n"], keys[0]["e"]) == (fixture["n"], fixture["e"])


def test_service_document_names_the_issuer(worker):
    doc = json.loads(raw(worker.url, "GET", "/").body)
    assert doc["issuer"] == PROVIDER_ISSUER and doc["features"]["oidc_provider"] is True


def test_provider_paths_are_read_only(worker):
    for method in ("PUT", "POST", "DELETE"):
        r = raw(worker.url, method, "/.well-known/jwks.json")
        assert r.status == 405, r
