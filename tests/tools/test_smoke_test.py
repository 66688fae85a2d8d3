"""scripts/smoke-test.py against a stub proxy: passes on good answers, fails red on each kind
of wrong one. (tests/integration/test_smoke_script.py runs it against the real Worker.)"""

from __future__ import annotations

import copy
import http.server
import json
import threading

import pytest

from toolslib import out, run

ISSUER = "https://data.acme.org"
KID = "oidc-20261122-0a1b2c3d"
GOOD = {
    "/": (200, "application/json", {
        "name": "oidc-data-proxy", "version": "0.1.0", "catalog": "static", "issuer": ISSUER,
        "features": {"s3_read": True, "signed_requests": True, "sts": True, "oidc_provider": True}}),
    "/.well-known/openid-configuration": (200, "application/json", {
        "issuer": ISSUER, "jwks_uri": f"{ISSUER}/.well-known/jwks.json", "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]}),
    "/.well-known/jwks.json": (200, "application/json", {"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": "xjlCRBqkQRcQ", "e": "AQAB"}]}),
}


class Stub:
    def __init__(self):
        self.answers = copy.deepcopy(GOOD)
        self.hits = 0
        stub = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                stub.hits += 1
                status, ctype, body = stub.answers.get(self.path, (404, "text/plain", "nope"))
                data = body if isinstance(body, bytes) else (
                    json.dumps(body).encode() if not isinstance(body, str) else body.encode())
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("cache-control", "public, max-age=300")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


def smoke(stub, *args):
    return run("smoke-test.py", "--url", stub.url, "--issuer", ISSUER, "--timeout", "5", *args)


def test_good_answers_pass(stub):
    p = smoke(stub, "--expect-kid", KID, "--expect-version", "0.1.0", "--expect-feature", "sts")
    assert p.returncode == 0, out(p)
    assert p.stdout.strip().endswith("smoke-test: 3 passed, 0 failed")


def _set(doc_path, mutate):
    def apply(stub):
        status, ctype, body = stub.answers[doc_path]
        mutate(body)
    return apply


BAD = {
    "service name": (_set("/", lambda b: b.update(name="something-else")), "name is 'something-else'"),
    "service issuer": (_set("/", lambda b: b.update(issuer=None)), "GET /: issuer None"),
    "feature off": (_set("/", lambda b: b["features"].update(oidc_provider=False)), "feature(s) off: oidc_provider"),
    "features shape": (_set("/", lambda b: b.update(features={"s3_read": "yes"})), "features must hold booleans"),
    "catalog down": (_set("/", lambda b: b.update(catalog="unavailable")), "catalog is unavailable"),
    "discovery issuer": (_set("/.well-known/openid-configuration", lambda b: b.update(issuer="https://evil.example")),
                         "discovery: issuer 'https://evil.example'"),
    "jwks_uri": (_set("/.well-known/openid-configuration", lambda b: b.update(jwks_uri="https://x/jwks")),
                 "jwks_uri"),
    "no RS256": (_set("/.well-known/openid-configuration",
                      lambda b: b.update(id_token_signing_alg_values_supported=["ES256"])), "lacks RS256"),
    "no keys": (_set("/.well-known/jwks.json", lambda b: b.update(keys=[])), "JWKS: no keys"),
    "no kid": (_set("/.well-known/jwks.json", lambda b: b["keys"][0].pop("kid")), "no RSA key with kid"),
    "EC only": (_set("/.well-known/jwks.json", lambda b: b["keys"][0].update(kty="EC")), "no RSA key with kid"),
    "private part": (_set("/.well-known/jwks.json", lambda b: b["keys"][0].update(d="secret")),
                     "PRIVATE KEY EXPOSED"),
    "discovery 404": (lambda s: s.answers.pop("/.well-known/openid-configuration"), "status 404"),
    "jwks 500": (lambda s: s.answers.update({"/.well-known/jwks.json": (500, "application/json", {})}), "status 500"),
    "not json": (lambda s: s.answers.update({"/": (200, "application/json", "<html>")}), "body is not JSON"),
    "html type": (lambda s: s.answers.update({"/": (200, "text/html", GOOD["/"][2])}), "is not JSON"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_wrong_answers_fail_red(stub, case):
    mutate, message = BAD[case]
    mutate(stub)
    p = smoke(stub)
    assert p.returncode == 1, out(p)
    assert "FAIL" in p.stdout and message in p.stdout, out(p)


def test_expectations(stub):
    p = smoke(stub, "--expect-kid", "other-kid")
    assert p.returncode == 1 and "kid(s) ['other-kid'] not published" in p.stdout, out(p)
    p = smoke(stub, "--expect-version", "9.9.9")
    assert p.returncode == 1 and "old deployment still serving" in p.stdout, out(p)
    p = run("smoke-test.py", "--url", stub.url, "--timeout", "5")  # issuer defaults to --url
    assert p.returncode == 1 and f"expected '{stub.url}'" in p.stdout, out(p)


def test_unreachable_fails(stub):
    url = stub.url
    stub.close()
    p = run("smoke-test.py", "--url", url, "--issuer", ISSUER, "--timeout", "2")
    assert p.returncode == 1 and "0 passed, 3 failed" in p.stdout, out(p)


def test_wait_retries_until_good(stub):
    """A fresh deploy may answer the old version for a moment: --wait polls."""
    stub.answers["/"][2]["version"] = "0.0.9"

    def fix():
        stub.answers["/"][2]["version"] = "0.1.0"

    t = threading.Timer(0.5, fix)
    t.start()
    try:
        p = smoke(stub, "--expect-version", "0.1.0", "--wait", "30")
    finally:
        t.cancel()
    assert p.returncode == 0, out(p)
    assert "attempt 1 failed" in p.stderr
