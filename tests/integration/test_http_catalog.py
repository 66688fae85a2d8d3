"""The HTTP catalog end to end in workerd (issue 4).

One Worker (conftest `catalog_worker`) with CATALOG_URL = the catalog stub
(stub_catalog.py, answers from tests/fixtures/catalog), STS trusting a dev IdP of its own,
and the stub's S3 connection `acme-s3` = moto's bucket `catalog-data`, read with the keys of
CATALOG_CONNECTION_KEYS. The stub verifies every bearer token with PyJWT against the
Worker's own JWKS and records it; moto logs every request it gets, so a denial that
reached the backend would show.

Run: . scripts/env.sh && "$ODP_VENV/bin/pytest" tests/integration/test_http_catalog.py -q
"""

from __future__ import annotations

import json
import time
import unicodedata
import uuid
from urllib.parse import urlsplit

import pytest

from support.clients import need
from conftest import (
    AUDIENCE, CATALOG_ACCOUNT, CATALOG_BUCKET, CATALOG_SLOW_SECS, CATALOG_TIMEOUT_MS, PANIC_MARKERS, PROVIDER_ISSUER,
    PROVIDER_KEY_PEM, CatalogData, CatalogWorker,
)
from support.procs import REPO
from support.httpraw import Resp, raw, s3_error
from support.sts import SessionCreds, assume, session_s3, signed_get, tamper_payload, unb64u

pytestmark = pytest.mark.oidc

ACCT = CATALOG_ACCOUNT
A, B = "user-a", "user-b"  # permissions/acme/restricted-data.json: A reads, B has []
ODD = "odd &#?/\u00fc%2F user"  # granted too, in the same file
DEFAULT_ROLE = "_default"

# Subjects (from the dev IdP, via /.sts) that must never get A's or ODD's access.
ADVERSARIAL = [
    "user-a ", " user-a", "USER-A", "user-", "user", "user-ab", "user-a/", "user-a%2F", "user-a&", "user-a#",
    "user-a?", "user-a&sub=user-a", "user-a/../user-a", "user-\u00e4", "user\u2010a",  # U+2010 hyphen
    "odd &#?/\u00fc%2F", "odd &#?/\u00fc/ user", "odd &#?/u%2F user",
    unicodedata.normalize("NFD", ODD),  # the same text with 'ü' decomposed: other bytes, other subject
    "anonymous",  # a real subject that spells the anonymous caller's `sub`
    B,
]


# --------------------------------------------------------------------------- helpers


def client_error():
    return need("botocore.exceptions").ClientError


def anon_s3(cw: CatalogWorker):
    return cw.worker.s3()


_SESSIONS: dict[tuple[int, str], SessionCreds] = {}


def creds_for(cw: CatalogWorker, sub: str) -> SessionCreds:
    """Session credentials from the Worker's /.sts for `sub` of its dev IdP (one exchange per subject)."""
    key = (cw.worker.port, sub)
    if key not in _SESSIONS:
        _SESSIONS[key] = assume(cw.url, cw.idp.token(sub, aud=AUDIENCE), DEFAULT_ROLE)
    return _SESSIONS[key]


def s3_as(cw: CatalogWorker, sub: str | None):
    return anon_s3(cw) if sub is None else session_s3(cw.url, creds_for(cw, sub))


def expect_error(fn, status: int, code: str) -> dict:
    with pytest.raises(client_error()) as ei:
        fn()
    err = ei.value.response
    assert (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]) == (status, code), err
    return err


def get_bytes(s3, key: str) -> bytes:
    return s3.get_object(Bucket=ACCT, Key=key)["Body"].read()


def api_calls(cw: CatalogWorker) -> list[dict]:
    return [r for r in cw.stub.records() if r["path"].startswith("/api/")]


def check_calls(cw: CatalogWorker, calls: list[dict], sub: str | None) -> None:
    """Every call carried a verified token minted for exactly this caller (`None`: the anonymous
    caller): sub, iss, aud, kid, and role/idp for sessions only."""
    for r in calls:
        assert r["verified"] is True, (r["path"], r["reason"])
        c = r["claims"]
        assert c["sub"] == (sub if sub is not None else "anonymous"), (r["path"], c["sub"], sub)
        assert c["iss"] == PROVIDER_ISSUER and c["aud"] == cw.audience, c
        assert r["kid"] == cw.kid, r["kid"]
        if sub is None:
            assert "role" not in c and "idp" not in c, c
        else:
            assert (c.get("role"), c.get("idp")) == (DEFAULT_ROLE, cw.idp.issuer), c


class Backend:
    """Requests moto logged (werkzeug logs a request's line before its response goes out)
    for the catalog bucket, since construction."""

    def __init__(self, cw: CatalogWorker):
        self.proc = cw.worker.moto.moto.proc
        self.mark = self.proc.log_size()

    def lines(self, wait_for: str | None = None, timeout: float = 3.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = [ln for ln in self.proc.log_since(self.mark).splitlines() if f"/{CATALOG_BUCKET}" in ln]
            if wait_for is None or any(wait_for in ln for ln in found) or time.monotonic() > deadline:
                return found


def prefixes(s3, **kw) -> list[str]:
    r = s3.list_objects_v2(Bucket=ACCT, Delimiter="/", **kw)
    return [p["Prefix"] for p in r.get("CommonPrefixes", [])]


def no_stack(resp: Resp) -> None:
    body = resp.body.decode(errors="replace")
    for marker in (*PANIC_MARKERS, ".rs:", "    at ", "Traceback", "127.0.0.1", "injected", "stub-catalog"):
        assert marker not in body, (marker, resp)


# --------------------------------------------------------------------------- selection, anonymous reads


def test_service_document_names_the_http_catalog(catalog_worker):
    r = raw(catalog_worker.url, "GET", "/")
    assert r.status == 200, r
    doc = json.loads(r.body)
    assert doc["catalog"] == "http", doc
    assert doc["issuer"] == PROVIDER_ISSUER, doc


def test_anonymous_reads_public_and_unlisted(catalog_worker, catalog_data: CatalogData):
    cw = catalog_worker
    cw.stub.clear()
    backend = Backend(cw)
    s3 = anon_s3(cw)
    for product in ("public-data", "unlisted-data"):
        for key, body in catalog_data.of(product).items():
            assert get_bytes(s3, f"{product}/{key}") == body, (product, key)
            r = raw(cw.url, "GET", f"/{ACCT}/{product}/{key}")  # plain HTTP, no SDK
            assert r.status == 200 and r.body == body, r
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ACCT, Prefix="unlisted-data/")["Contents"]]
    assert keys == ["unlisted-data/nested/rows.csv", "unlisted-data/readme.txt"], keys
    # Read from the stub's S3 connection at base_prefix + mirror prefix + key, signed with
    # CATALOG_CONNECTION_KEYS (moto answers an unsigned request 403).
    lines = backend.lines(wait_for="unlisted-data/readme.txt")
    for product in ("public-data", "unlisted-data"):
        want = f"GET /{CATALOG_BUCKET}/base/{ACCT}/{product}/readme.txt"
        assert any(want in ln and ln.rstrip().endswith("200 -") for ln in lines), (want, lines)
    calls = api_calls(cw)
    assert {r["path"] for r in calls} >= {f"/api/v1/products/{ACCT}/public-data",
                                          f"/api/v1/products/{ACCT}/unlisted-data",
                                          "/api/v1/data-connections/acme-s3"}, calls
    check_calls(cw, calls, None)


def test_anonymous_account_listing_shows_public_products_only(catalog_worker):
    cw = catalog_worker
    cw.stub.clear()
    listed = prefixes(anon_s3(cw))
    assert "public-data/" in listed, listed
    for hidden in ("unlisted-data/", "restricted-data/", "disabled-data/"):
        assert hidden not in listed, listed
    check_calls(cw, api_calls(cw), None)  # (the product list may be cached by now: 60 s)


def test_signed_list_buckets_is_empty(catalog_worker):
    r = s3_as(catalog_worker, A).list_buckets()
    assert r["Buckets"] == [], r


def test_anonymous_cannot_read_restricted(catalog_worker):
    cw = catalog_worker
    cw.stub.clear()
    backend = Backend(cw)
    expect_error(lambda: get_bytes(anon_s3(cw), "restricted-data/readme.txt"), 404, "NoSuchBucket")
    r = raw(cw.url, "GET", f"/{ACCT}/restricted-data/readme.txt")
    assert r.status == 404 and s3_error(r)["Code"] == "NoSuchBucket", r
    calls = api_calls(cw)
    assert any(r["path"] == f"/api/v1/products/{ACCT}/restricted-data" for r in calls), calls
    check_calls(cw, calls, None)
    assert backend.lines() == []


# --------------------------------------------------------------------------- sessions, per-principal answers


def read_as(cw: CatalogWorker, sub: str | None, key: str, expect: bytes | None) -> list[dict]:
    """One read as `sub`; expect = the bytes, or None for 404 NoSuchBucket. Checks that every
    catalog call made meanwhile carried a token for exactly `sub` and that a denial never
    reached moto. Returns those calls."""
    cw.stub.clear()
    backend = Backend(cw)
    s3 = s3_as(cw, sub)
    if expect is None:
        expect_error(lambda: get_bytes(s3, key), 404, "NoSuchBucket")
        assert backend.lines() == [], (sub, key, backend.lines())
    else:
        assert get_bytes(s3, key) == expect, (sub, key)
    calls = api_calls(cw)
    check_calls(cw, calls, sub)
    return calls


def test_session_a_reads_restricted_b_does_not_and_nothing_leaks(catalog_worker, catalog_data):
    cw = catalog_worker
    key = "restricted-data/readme.txt"
    secret = catalog_data.objects[key]
    backend = Backend(cw)
    read_as(cw, A, key, secret)
    lines = backend.lines(wait_for=key)
    assert any(f"/base/{ACCT}/{key}" in ln and ln.rstrip().endswith("200 -") for ln in lines), lines  # signed
    calls_b = read_as(cw, B, key, None)
    # B's answer came from the catalog, asked with B's token: not from A's cached answer.
    assert any(r["path"] == f"/api/v1/products/{ACCT}/restricted-data" for r in calls_b), calls_b
    read_as(cw, A, key, secret)  # A again: still allowed (from cache or not, as A)
    read_as(cw, B, key, None)
    read_as(cw, None, key, None)
    read_as(cw, A, "restricted-data/nested/rows.csv", catalog_data.objects["restricted-data/nested/rows.csv"])
    # Listings follow the same answers.
    a_keys = [o["Key"] for o in s3_as(cw, A).list_objects_v2(Bucket=ACCT, Prefix="restricted-data/")["Contents"]]
    assert a_keys == ["restricted-data/nested/rows.csv", "restricted-data/readme.txt"], a_keys
    backend = Backend(cw)
    cw.stub.clear()
    # As with the static catalog: a listing into a product B may not read is empty.
    assert s3_as(cw, B).list_objects_v2(Bucket=ACCT, Prefix="restricted-data/")["KeyCount"] == 0
    check_calls(cw, api_calls(cw), B)
    assert backend.lines() == [], backend.lines()
    expect_error(lambda: s3_as(cw, B).head_object(Bucket=ACCT, Key=key), 404, "404")
    # The product as a bucket of its own (`GET /acme/restricted-data?list-type=2`).
    inner_a = signed_get(cw.url, f"/{ACCT}/restricted-data?list-type=2", creds_for(cw, A))
    assert inner_a.status == 200 and b"<Key>readme.txt</Key>" in inner_a.body, inner_a
    backend = Backend(cw)
    inner_b = signed_get(cw.url, f"/{ACCT}/restricted-data?list-type=2", creds_for(cw, B))
    assert inner_b.status == 404 and s3_error(inner_b)["Code"] == "NoSuchBucket", inner_b
    assert backend.lines() == [], backend.lines()
    assert "restricted-data/" in prefixes(s3_as(cw, A))
    listed_b = prefixes(s3_as(cw, B))
    assert "restricted-data/" not in listed_b and "public-data/" in listed_b, listed_b
    # A session reads public data too, its calls made as the session.
    read_as(cw, B, "public-data/readme.txt", catalog_data.objects["public-data/readme.txt"])


def test_adversarial_subjects_never_get_anothers_access(catalog_worker, catalog_data):
    cw = catalog_worker
    key = "restricted-data/readme.txt"
    secret = catalog_data.objects[key]
    read_as(cw, A, key, secret)  # A's answers are cached now
    read_as(cw, ODD, key, secret)  # so are ODD's (granted by its exact subject)
    for sub in ADVERSARIAL:
        calls = read_as(cw, sub, key, None)
        assert calls, f"{sub!r} was answered without asking the catalog as {sub!r}"
        assert "restricted-data/" not in prefixes(s3_as(cw, sub)), sub
    read_as(cw, A, key, secret)
    read_as(cw, ODD, key, secret)
    # The real subject "anonymous" is still a session: its tokens say so (role, idp).
    calls = read_as(cw, "anonymous", "public-data/readme.txt", catalog_data.objects["public-data/readme.txt"])
    check_calls(cw, calls, "anonymous")


def test_answers_are_cached(catalog_worker, catalog_data):
    cw = catalog_worker
    key = "public-data/nested/rows.csv"
    assert get_bytes(anon_s3(cw), key) == catalog_data.objects[key]
    cw.stub.clear()
    assert get_bytes(anon_s3(cw), key) == catalog_data.objects[key]
    assert api_calls(cw) == [], "a second read within the TTL asked the catalog again"


def test_minted_tokens_are_short_lived_and_reused(catalog_worker):
    cw = catalog_worker
    cw.stub.clear()
    tag = uuid.uuid4().hex[:8]
    for i in range(3):  # unknown products: 404 answers are never cached, so each asks the catalog
        r = raw(cw.url, "GET", f"/{ACCT}/reuse-{tag}-{i}/x")
        assert r.status == 404 and s3_error(r)["Code"] == "NoSuchBucket", r
    calls = [r for r in api_calls(cw) if f"reuse-{tag}" in r["path"]]
    assert [r["segments"][-1] for r in calls] == [f"reuse-{tag}-{i}" for i in range(3)], calls
    check_calls(cw, calls, None)
    for r in calls:
        c = r["claims"]
        assert c["exp"] - c["iat"] == 60 and c["nbf"] == c["iat"], c
        assert isinstance(c["jti"], str) and len(c["jti"]) >= 22, c
    # Reused while >= 30 s of its 60 s remain: within a second at most one renewal can fall.
    tokens = [r["token"] for r in calls]
    assert tokens[0] == tokens[1] or tokens[1] == tokens[2], [r["claims"]["jti"] for r in calls]


# --------------------------------------------------------------------------- error mapping

ERRORS = [
    # (product, status, S3 code, catalog path the answer must come from)
    ("denied401", 403, "AccessDenied", f"/api/v1/products/{ACCT}/denied401"),
    ("denied403", 403, "AccessDenied", f"/api/v1/products/{ACCT}/denied403"),
    ("no-such-product", 404, "NoSuchBucket", f"/api/v1/products/{ACCT}/no-such-product"),
    ("error500", 503, "ServiceUnavailable", f"/api/v1/products/{ACCT}/error500"),
    ("garbage", 503, "ServiceUnavailable", f"/api/v1/products/{ACCT}/garbage"),
    ("azure-data", 503, "ServiceUnavailable", f"/api/v1/products/{ACCT}/azure-data"),
    ("disabled-data", 404, "NoSuchBucket", f"/api/v1/products/{ACCT}/disabled-data"),
]


def check_error(resp: Resp, status: int, code: str) -> dict:
    assert resp.status == status, resp
    fields = s3_error(resp)
    assert fields["Code"] == code, resp
    no_stack(resp)
    if status == 503:
        assert (resp.h("retry-after") or "").isdigit(), resp
    return fields


@pytest.mark.parametrize("who", [None, A], ids=["anonymous", "session"])
def test_catalog_answers_map_to_s3_errors(catalog_worker, who):
    cw = catalog_worker
    backend = Backend(cw)
    creds = creds_for(cw, who) if who else None
    for product, status, code, api_path in ERRORS:
        cw.stub.clear()
        path = f"/{ACCT}/{product}/readme.txt"
        if creds is None:
            resp = raw(cw.url, "GET", path)
        else:
            resp = signed_get(cw.url, path, creds)
        check_error(resp, status, code)
        calls = api_calls(cw)
        assert api_path in [r["path"] for r in calls], (product, calls)
        check_calls(cw, calls, who)
    # disabled-data has objects in moto: a 404 from a backend read would look the same.
    assert backend.lines() == [], backend.lines()


def test_catalog_timeout_is_503(catalog_worker):
    cw = catalog_worker
    cw.stub.clear()
    start = time.monotonic()
    resp = raw(cw.url, "GET", f"/{ACCT}/slow/readme.txt", timeout=CATALOG_SLOW_SECS * 3)
    elapsed = time.monotonic() - start
    check_error(resp, 503, "ServiceUnavailable")
    # CATALOG_TIMEOUT_MS bounds the call, well before the stub would answer.
    assert CATALOG_TIMEOUT_MS / 1000 * 0.8 <= elapsed < CATALOG_SLOW_SECS - 1, elapsed
    assert f"/api/v1/products/{ACCT}/slow" in [r["path"] for r in api_calls(cw)]


def test_failures_are_not_cached(catalog_worker):
    cw = catalog_worker
    cw.stub.clear()
    for _ in range(2):
        check_error(raw(cw.url, "GET", f"/{ACCT}/error500/readme.txt"), 503, "ServiceUnavailable")
        check_error(raw(cw.url, "GET", f"/{ACCT}/garbage/readme.txt"), 503, "ServiceUnavailable")
    paths = [r["path"] for r in api_calls(cw)]
    assert paths.count(f"/api/v1/products/{ACCT}/error500") == 2, paths
    assert paths.count(f"/api/v1/products/{ACCT}/garbage") == 2, paths


@pytest.mark.parametrize("account, status, code", [
    ("error500", 503, "ServiceUnavailable"),
    ("garbage", 503, "ServiceUnavailable"),
    ("denied401", 403, "AccessDenied"),
    ("denied403", 403, "AccessDenied"),
    ("no-such-account", 404, "NoSuchBucket"),
])
def test_account_listing_maps_catalog_errors(catalog_worker, account, status, code):
    cw = catalog_worker
    cw.stub.clear()
    check_error(raw(cw.url, "GET", f"/{account}?list-type=2&delimiter=%2F"), status, code)
    calls = api_calls(cw)
    assert f"/api/v1/products/{account}" in [r["path"] for r in calls], calls
    check_calls(cw, calls, None)


def test_recursive_account_listing_skips_an_unreadable_backend(catalog_worker, catalog_data: CatalogData):
    # (Runs after the error-mapping tests: it leaves azure-data's answers cached.)
    # azure-data is public but its connection (az) cannot be read: the whole-account
    # listing (aws s3 ls --recursive) still answers, with the readable products' keys.
    s3 = anon_s3(catalog_worker)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=ACCT).get("Contents", [])]
    want = sorted(f"public-data/{k}" for k in catalog_data.of("public-data"))
    assert [k for k in keys if k.startswith("public-data/")] == want, keys
    assert not any(k.startswith(("azure-data/", "unlisted-data/", "restricted-data/")) for k in keys), keys


def test_no_panics_in_the_worker_log(catalog_worker):
    hits = [ln for ln in catalog_worker.worker.log_since(0).splitlines() if any(m in ln for m in PANIC_MARKERS)]
    assert not hits, hits[:20]


# --------------------------------------------------------------------------- an independent relying party


def fresh_token(cw: CatalogWorker, sub: str | None = None) -> dict:
    """A token the Worker really sent to the catalog, for the caller `sub`: asks for an
    unknown product (never cached) and returns the stub's record of that call."""
    cw.stub.clear()
    name = f"rp-{uuid.uuid4().hex[:12]}"
    if sub is None:
        r = raw(cw.url, "GET", f"/{ACCT}/{name}/x")
    else:
        r = signed_get(cw.url, f"/{ACCT}/{name}/x", creds_for(cw, sub))
    assert r.status == 404, r
    recs = [c for c in api_calls(cw) if name in c["path"]]
    assert recs and recs[0]["token"], recs
    return recs[0]


def discovered_jwks(cw: CatalogWorker) -> tuple[dict, dict]:
    """(discovery, JWKS) as a relying party finds them: the JWKS at the jwks_uri's path, on
    the Worker (the issuer's host is not resolvable here)."""
    r = raw(cw.url, "GET", "/.well-known/openid-configuration")
    assert r.status == 200, r
    doc = json.loads(r.body)
    assert doc["issuer"] == PROVIDER_ISSUER, doc
    u = urlsplit(doc["jwks_uri"])
    assert f"{u.scheme}://{u.netloc}" == PROVIDER_ISSUER, doc
    j = raw(cw.url, "GET", u.path)
    assert j.status == 200, j
    return doc, json.loads(j.body)


def rp_verify(token: str, jwks: dict, issuer: str, audience: str, sub: str) -> tuple[dict, dict]:
    """Verifies `token` with joserfc (not the stub's PyJWT, not our Rust): RS256 against
    the JWKS, then iss/aud/sub/exp/nbf/iat/jti. Returns (header, claims)."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    tok = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer}, aud={"essential": True, "value": audience},
        sub={"essential": True, "value": sub}, exp={"essential": True}, nbf={"essential": True},
        iat={"essential": True}, jti={"essential": True},
    ).validate(tok.claims)
    return dict(tok.header), dict(tok.claims)


def test_relying_party_verifies_minted_tokens(catalog_worker):
    need("joserfc")
    from joserfc import errors as jose_errors

    cw = catalog_worker
    doc, jwks = discovered_jwks(cw)
    assert "RS256" in doc["id_token_signing_alg_values_supported"], doc
    for who in (None, A, ODD):
        rec = fresh_token(cw, who)
        header, claims = rp_verify(rec["token"], jwks, doc["issuer"], cw.audience, who or "anonymous")
        assert header == {"alg": "RS256", "typ": "JWT", "kid": cw.kid}, header
        assert claims["exp"] - claims["iat"] == 60, claims
        if who is not None:
            assert (claims["role"], claims["idp"]) == (DEFAULT_ROLE, cw.idp.issuer), claims
    token = fresh_token(cw, A)["token"]
    # The same relying party refuses what it must: another payload under the signature,
    # another audience, a JWKS without the signing key.
    with pytest.raises(jose_errors.BadSignatureError):
        rp_verify(tamper_payload(token, sub=B), jwks, doc["issuer"], cw.audience, B)
    with pytest.raises(jose_errors.InvalidClaimError):
        rp_verify(token, jwks, doc["issuer"], "https://another-catalog.example", A)
    from joserfc.jwk import RSAKey

    other = RSAKey.import_key((REPO / "tests/fixtures/oidc/rsa-2048-b.pub.pem").read_bytes())
    other_jwks = {"keys": [{**other.as_dict(), "kid": cw.kid, "use": "sig", "alg": "RS256"}]}
    with pytest.raises(jose_errors.BadSignatureError):  # another key under the same kid
        rp_verify(token, other_jwks, doc["issuer"], cw.audience, A)


# --------------------------------------------------------------------------- signing-key rotation

NEW_KID = "itest-rsa-2"
ROTATED_AUDIENCE = "https://catalog.itest.example"
# The second Worker also runs with these (one Worker start fewer).
ROTATED_TTL = 120
ROTATED_VARS = {"OIDC_PROVIDER_TOKEN_TTL_SECS": str(ROTATED_TTL), "CATALOG_CACHE": "off"}


@pytest.fixture(scope="module")
def rotation(catalog_worker, tmp_root, wrangler_env, moto):
    """(token minted by the first Worker before the switch, the second Worker, its key). The
    second starts only after that token exists, with a NEW key (generated here) as
    OIDC_PROVIDER_KEY and the first Worker's as OIDC_PROVIDER_KEY_PREVIOUS, CATALOG_AUDIENCE set,
    and ROTATED_VARS (token TTL 120 s, CATALOG_CACHE=off)."""
    from conftest import running_catalog_worker
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    before = fresh_token(catalog_worker, A)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    (tmp_root / "rotation").mkdir(exist_ok=True)
    (tmp_root / "rotation" / "new-key.pem").write_text(pem)
    for cw2 in running_catalog_worker("catalog-rotated", tmp_root, wrangler_env, moto, kid=NEW_KID, key_pem=pem,
                                      previous=(catalog_worker.kid, PROVIDER_KEY_PEM.read_text()),
                                      audience=ROTATED_AUDIENCE, extra_vars=ROTATED_VARS):
        yield before, cw2, key


def test_rotation_jwks_serves_both_keys(rotation, catalog_worker):
    _before, cw2, key = rotation
    _doc, jwks = discovered_jwks(cw2)
    by_kid = {k["kid"]: k for k in jwks["keys"]}
    assert set(by_kid) == {NEW_KID, catalog_worker.kid}, jwks
    _doc1, jwks1 = discovered_jwks(catalog_worker)
    old = jwks1["keys"][0]
    assert (by_kid[catalog_worker.kid]["n"], by_kid[catalog_worker.kid]["e"]) == (old["n"], old["e"])
    assert int.from_bytes(unb64u(by_kid[NEW_KID]["n"]), "big") == key.public_key().public_numbers().n
    for k in jwks["keys"]:
        assert (k["kty"], k["use"], k["alg"]) == ("RSA", "sig", "RS256"), k


def test_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key(rotation, catalog_worker, catalog_data):
    before, cw2, _key = rotation
    _doc, jwks2 = discovered_jwks(cw2)
    _doc1, jwks1 = discovered_jwks(catalog_worker)
    # Signed by the first Worker before the switch: valid against the second one's JWKS.
    header, _ = rp_verify(before["token"], jwks2, PROVIDER_ISSUER, catalog_worker.audience, A)
    assert header["kid"] == catalog_worker.kid
    # The second Worker signs with the new key only, for its CATALOG_AUDIENCE.
    cw2.stub.clear()
    assert get_bytes(anon_s3(cw2), "public-data/readme.txt") == catalog_data.objects["public-data/readme.txt"]
    calls = api_calls(cw2)
    assert calls, "the rotated Worker did not call its catalog"
    check_calls(cw2, calls, None)  # verified by its stub against its JWKS, kid == NEW_KID
    header, claims = rp_verify(calls[0]["token"], jwks2, PROVIDER_ISSUER, ROTATED_AUDIENCE, "anonymous")
    assert header["kid"] == NEW_KID and claims["aud"] == ROTATED_AUDIENCE
    from joserfc import errors as jose_errors

    with pytest.raises(jose_errors.JoseError):  # a relying party still on the old JWKS
        rp_verify(calls[0]["token"], jwks1, PROVIDER_ISSUER, ROTATED_AUDIENCE, "anonymous")


def test_cache_off_asks_every_time_and_token_ttl_is_configurable(rotation, catalog_data):
    _before, cw2, _key = rotation
    key = "public-data/readme.txt"
    cw2.stub.clear()
    for _ in range(2):
        assert get_bytes(anon_s3(cw2), key) == catalog_data.objects[key]
    calls = api_calls(cw2)
    product = [r for r in calls if r["path"] == f"/api/v1/products/{ACCT}/public-data"]
    assert len(product) == 2, [r["path"] for r in calls]  # CATALOG_CACHE=off
    check_calls(cw2, calls, None)
    for r in calls:
        assert r["claims"]["exp"] - r["claims"]["iat"] == ROTATED_TTL, r["claims"]
    # Caching answers is off, reusing tokens is not: 120 s tokens, reused while >= 30 s remain.
    assert len({r["token"] for r in calls}) == 1, [r["claims"]["jti"] for r in calls]


# --------------------------------------------------------------------------- no provider, no catalog calls


@pytest.fixture(scope="module")
def no_provider(tmp_root, wrangler_env, moto):
    """A Worker with CATALOG_URL but no OIDC_PROVIDER_*: it cannot mint, so it must not call."""
    from conftest import running_catalog_worker

    yield from running_catalog_worker("catalog-noprovider", tmp_root, wrangler_env, moto, kid=None, key_pem=None)


def test_without_provider_the_http_catalog_is_unavailable(no_provider):
    cw = no_provider
    for path in (f"/{ACCT}/public-data/readme.txt", f"/{ACCT}/restricted-data/readme.txt", f"/{ACCT}?list-type=2"):
        check_error(raw(cw.url, "GET", path), 503, "ServiceUnavailable")
    assert raw(cw.url, "GET", "/.well-known/jwks.json").status == 404
    assert api_calls(cw) == [], "called the catalog without a token of its own"
