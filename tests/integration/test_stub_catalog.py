"""The catalog stub (stub_catalog.py) on its own, before the proxy is pointed at it.

The test plays the proxy's OIDC provider: it makes RSA keys, serves their JWKS on a free
127.0.0.1 port and mints RS256 tokens with PyJWT. No Worker, no moto.

Run: . scripts/env.sh && "$ODP_VENV/bin/python" -m pytest tests/integration/test_stub_catalog.py -q
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

jwt = pytest.importorskip("jwt")
requests = pytest.importorskip("requests")
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from support.servers import JsonHandler, LoopbackServer  # noqa: E402

pytestmark = pytest.mark.oidc

HERE = Path(__file__).resolve().parent
STUB = HERE.parent / "support" / "stub_catalog.py"
FIXTURES = HERE.parent / "fixtures" / "catalog"
ISSUER = "http://127.0.0.1:8787"
AUDIENCE = "https://catalog.test"
S3_ENDPOINT = "http://127.0.0.1:9999"
SLOW_SECS = 2.0


class KeySet:
    """RSA keys by kid and the JWKS that publishes some of them."""

    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.hits = 0
        self.lock = threading.Lock()

    def add(self, kid: str, publish: bool = True) -> str:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            with self.lock:
                self.published.append(kid)
        return kid

    def jwks(self) -> dict:
        with self.lock:
            self.hits += 1
            kids = list(self.published)
        keys = []
        for kid in kids:
            jwk = json.loads(RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
            keys.append(dict(jwk, kid=kid, use="sig", alg="RS256"))
        return {"keys": keys}

    def pem(self, kid: str) -> bytes:
        return self.keys[kid].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class JwksServer(LoopbackServer):
    """The JWKS of a KeySet, on a free port in a thread."""

    def __init__(self, keyset: KeySet):
        class Handler(JsonHandler):
            def do_GET(self):
                self.send_json(200, keyset.jwks())

        self._serve(Handler)
        self.jwks_url = self.url + "/.well-known/jwks.json"


@pytest.fixture(scope="module")
def keyset():
    ks = KeySet()
    ks.add("k1")
    return ks


@pytest.fixture(scope="module")
def stub(keyset):
    srv = JwksServer(keyset)
    proc = subprocess.Popen(
        [sys.executable, str(STUB), "--port", "0", "--jwks-url", srv.jwks_url, "--issuer", ISSUER,
         "--audience", AUDIENCE, "--s3-endpoint", S3_ENDPOINT, "--slow-secs", str(SLOW_SECS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("stub-catalog ready url="):
        proc.kill()
        pytest.fail(f"stub did not start: {line!r}\n{proc.stderr.read()}")
    url = line.split("url=", 1)[1]
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    srv.stop()


def token(keyset: KeySet, sub: str | None = "anonymous", kid: str = "k1", alg: str = "RS256",
          headers: dict | None = None, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": sub, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 60,
            "jti": uuid.uuid4().hex}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, keyset.pem(kid), algorithm=alg, headers={"kid": kid, **(headers or {})})


def get(stub: str, path: str, tok: str | None = None, timeout: float = 10, **kw) -> requests.Response:
    h = {"Authorization": f"Bearer {tok}"} if tok else {}
    return requests.get(stub + path, headers=h, timeout=timeout, **kw)


def records(stub: str) -> list[dict]:
    return requests.get(stub + "/_requests", timeout=5).json()


def last(stub: str) -> dict:
    return records(stub)[-1]


def product_file(name: str) -> dict:
    return json.loads((FIXTURES / "products" / "acme" / f"{name}.json").read_text())


# ------------------------------------------------------------------- answers per sub

def test_anonymous_sees_public_and_unlisted_only(stub, keyset):
    t = token(keyset, "anonymous")
    assert get(stub, "/api/v1/products/acme/public-data", t).json() == product_file("public-data")
    assert get(stub, "/api/v1/products/acme/unlisted-data", t).status_code == 200
    assert get(stub, "/api/v1/products/acme/restricted-data", t).status_code == 404
    assert get(stub, "/api/v1/products/acme/restricted-data/permissions", t).status_code == 404
    assert get(stub, "/api/v1/products/acme/public-data/permissions", t).json() == ["read"]
    disabled = get(stub, "/api/v1/products/acme/disabled-data", t)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    names = [p["product_id"] for p in get(stub, "/api/v1/products/acme", t).json()["products"]]
    assert names == ["azure-data", "disabled-data", "public-data", "unlisted-data"]
    assert get(stub, "/api/v1/products/nope", t).status_code == 404
    assert get(stub, "/api/v1/products/acme/nope", t).status_code == 404
    rec = last(stub)
    assert rec["verified"] is True and rec["sub"] == "anonymous" and rec["kid"] == "k1"
    assert rec["status"] == 404 and rec["path"] == "/api/v1/products/acme/nope"


def test_restricted_product_per_sub(stub, keyset):
    a, b, c = (token(keyset, s) for s in ("user-a", "user-b", "user-c"))
    r = get(stub, "/api/v1/products/acme/restricted-data", a)
    assert r.status_code == 200 and r.json()["visibility"] == "restricted"
    assert get(stub, "/api/v1/products/acme/restricted-data/permissions", a).json() == ["read"]
    assert "restricted-data" in [p["product_id"] for p in get(stub, "/api/v1/products/acme", a).json()["products"]]
    for t in (b, c):
        assert get(stub, "/api/v1/products/acme/restricted-data", t).status_code == 404
        assert get(stub, "/api/v1/products/acme/restricted-data/permissions", t).status_code == 404
        listed = [p["product_id"] for p in get(stub, "/api/v1/products/acme", t).json()["products"]]
        assert "restricted-data" not in listed and "public-data" in listed


def test_permissions_match_the_exact_subject(stub, keyset):
    odd = "odd &#?/\u00fc%2F user"  # granted in permissions/acme/restricted-data.json
    r = get(stub, "/api/v1/products/acme/restricted-data/permissions", token(keyset, odd))
    assert r.status_code == 200 and r.json() == ["read"]
    assert last(stub)["sub"] == odd
    for near in ("odd &#?/\u00fc%2F", "odd &#?/\u00fc/ user", "odd &#?/u\u0308%2F user", "odd &#?/u%2F user",
                 "user-a ", "user-", "USER-A", "anonymous"):
        assert get(stub, "/api/v1/products/acme/restricted-data", token(keyset, near)).status_code == 404, near


def test_data_connections(stub, keyset):
    t = token(keyset, "user-b")
    s3 = get(stub, "/api/v1/data-connections/acme-s3", t).json()
    assert s3["details"]["endpoint"] == S3_ENDPOINT
    assert s3["details"]["bucket"] == "catalog-data" and s3["details"]["base_prefix"] == "base/"
    az = get(stub, "/api/v1/data-connections/acme-az", t).json()
    assert az["details"]["provider"] == "az" and "endpoint" not in az["details"]
    assert get(stub, "/api/v1/data-connections/nope", t).status_code == 404


def test_claims_are_recorded(stub, keyset):
    t = token(keyset, "user-a", role="reader", idp="https://idp.example")
    get(stub, "/api/v1/products/acme/public-data", t)
    rec = last(stub)
    assert rec["claims"]["role"] == "reader" and rec["claims"]["idp"] == "https://idp.example"
    assert rec["claims"]["aud"] == AUDIENCE and rec["segments"] == ["api", "v1", "products", "acme", "public-data"]


# ------------------------------------------------------------------- token verification

def bad_tokens(keyset: KeySet) -> dict[str, str | None]:
    if "rogue" not in keyset.keys:
        keyset.add("rogue", publish=False)  # a key the JWKS never shows
    now = int(time.time())
    pub_pem = keyset.keys["k1"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    good = token(keyset, "user-a")
    h, p, s = good.split(".")
    return {
        "missing": None,
        "not-a-jwt": "not.a.jwt",
        "wrong-iss": token(keyset, "user-a", iss="https://elsewhere.example"),
        "wrong-aud": token(keyset, "user-a", aud="https://other-catalog.example"),
        "expired": token(keyset, "user-a", iat=now - 600, nbf=now - 600, exp=now - 300),
        "not-yet": token(keyset, "user-a", nbf=now + 300),
        "no-exp": token(keyset, "user-a", exp=None),
        "no-sub": token(keyset, None),
        "empty-sub": token(keyset, ""),
        "unknown-kid": token(keyset, "user-a", kid="rogue"),
        "wrong-key": token(keyset, "user-a", kid="rogue", headers={"kid": "k1"}),
        "tampered": f"{h}.{jwt.utils.base64url_encode(json.dumps({'sub': 'user-b'}).encode()).decode()}.{s}",
        "alg-none": jwt.encode({"iss": ISSUER, "sub": "user-a", "aud": AUDIENCE, "exp": now + 60, "iat": now},
                               None, algorithm="none", headers={"kid": "k1"}),
        "hs256-confused": hs256(pub_pem, now),
        "typ": token(keyset, "user-a", headers={"typ": "at+jwt"}),
    }


def hs256(secret: bytes, now: int) -> str:
    import base64
    import hashlib
    import hmac

    def b64(d: bytes) -> str:
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64(json.dumps({"iss": ISSUER, "sub": "user-a", "aud": AUDIENCE, "exp": now + 60, "iat": now}).encode())
    sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def test_bad_tokens_are_401_and_recorded(stub, keyset):
    for name, tok in bad_tokens(keyset).items():
        r = get(stub, "/api/v1/products/acme/public-data", tok)
        assert r.status_code == 401, name
        rec = last(stub)
        assert rec["verified"] is False and rec["sub"] is None and rec["reason"], name
    r = requests.get(stub + "/api/v1/products/acme/public-data", timeout=5,
                     headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401 and "Bearer" in last(stub)["reason"]


def test_jwks_cached_and_refetched_on_unknown_kid(stub, keyset):
    t = token(keyset, "user-a")
    get(stub, "/api/v1/products/acme/public-data", t)
    before = requests.get(stub + "/_health", timeout=5).json()["jwks_fetches"]
    for _ in range(5):
        assert get(stub, "/api/v1/products/acme/public-data", token(keyset, "user-a")).status_code == 200
    assert requests.get(stub + "/_health", timeout=5).json()["jwks_fetches"] == before, "cached"
    # Rotation: a new key appears in the JWKS; its first token makes the stub refetch.
    keyset.add("k2")
    assert get(stub, "/api/v1/products/acme/public-data", token(keyset, "user-a", kid="k2")).status_code == 200
    assert last(stub)["kid"] == "k2"
    assert requests.get(stub + "/_health", timeout=5).json()["jwks_fetches"] == before + 1
    assert get(stub, "/api/v1/products/acme/public-data", token(keyset, "user-a", kid="k1")).status_code == 200


# ------------------------------------------------------------------- special products, paths

def test_special_products(stub, keyset):
    t = token(keyset, "user-a")
    assert get(stub, "/api/v1/products/acme/error500", t).status_code == 500
    assert get(stub, "/api/v1/products/error500", t).status_code == 500
    for status in (401, 403):
        r = get(stub, f"/api/v1/products/acme/denied{status}", t)
        assert r.status_code == status, r.text
        rec = last(stub)
        assert rec["verified"] is True and rec["sub"] == "user-a" and rec["status"] == status
        assert get(stub, f"/api/v1/products/denied{status}", t).status_code == status
        assert get(stub, f"/api/v1/products/acme/denied{status}/permissions", t).status_code == status
    g = get(stub, "/api/v1/products/acme/garbage", t)
    assert g.status_code == 200
    with pytest.raises(ValueError):
        json.loads(g.text)
    with pytest.raises(requests.exceptions.Timeout):
        get(stub, "/api/v1/products/acme/slow", t, timeout=SLOW_SECS / 4)
    start = time.monotonic()
    r = get(stub, "/api/v1/products/acme/slow", t, timeout=SLOW_SECS * 5)
    assert r.status_code == 200 and time.monotonic() - start >= SLOW_SECS * 0.9
    assert r.json()["product_id"] == "slow"


def test_encoded_segments_stay_segments(stub, keyset):
    t = token(keyset, "user-a")
    cases = {
        "/api/v1/products/acme/public-data%3Fx=1": ["acme", "public-data?x=1"],
        "/api/v1/products/acme%2Fpublic-data": ["acme/public-data"],
        "/api/v1/products/acme/public-data%23frag": ["acme", "public-data#frag"],
        "/api/v1/products/acme/..%2F..%2Fdata-connections%2Facme-s3": ["acme", "../../data-connections/acme-s3"],
        "/api/v1/products/acme/public%20data": ["acme", "public data"],
        "/api/v1/products/acme/%C3%BC": ["acme", "ü"],
    }
    for path, tail in cases.items():
        r = get(stub, path, t)
        assert r.status_code == 404, path
        rec = last(stub)
        assert rec["path"] == path and rec["segments"][3:] == tail and rec["verified"] is True


def test_raw_token_is_recorded(stub, keyset):
    t = token(keyset, "user-a")
    get(stub, "/api/v1/products/acme/public-data", t)
    assert last(stub)["token"] == t
    get(stub, "/api/v1/products/acme/public-data", None)
    assert last(stub)["token"] is None and last(stub)["verified"] is False
    requests.get(stub + "/api/v1/products/acme/public-data", timeout=5, headers={"Authorization": f"Basic {t}"})
    assert last(stub)["token"] is None


def test_requests_log_can_be_cleared(stub, keyset):
    get(stub, "/api/v1/products/acme/public-data", token(keyset, "user-a"))
    assert records(stub)
    assert requests.delete(stub + "/_requests", timeout=5).status_code == 200
    assert records(stub) == []
    assert requests.post(stub + "/api/v1/products/acme", timeout=5).status_code == 405
