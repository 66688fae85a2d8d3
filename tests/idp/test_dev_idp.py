"""Tests of the local dev IdP (scripts/dev-idp.py) and scripts/dev-token.

The IdP runs as a real process on a free 127.0.0.1 port with a temporary state dir;
tokens are checked with PyJWT against the JWKS it serves, as a relying party would.
Run: make idp-test (= . scripts/env.sh && $ODP_VENV/bin/pytest tests/idp -q).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

REPO = Path(__file__).resolve().parents[2]
IDP = REPO / "scripts" / "dev-idp.py"
DEV_TOKEN = REPO / "scripts" / "dev-token"
AUD = "oidc-data-proxy"
B64URL = re.compile(r"^[A-Za-z0-9_-]+$")  # base64url, no padding


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parts(token: str) -> tuple[dict, dict, bytes]:
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


def rfc7638_thumbprint(jwk: dict) -> str:
    """The test's own RFC 7638 thumbprint (checked against the RFC's example below)."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    canonical = "{" + ",".join(f'"{m}":"{jwk[m]}"' for m in required) + "}"
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


class Idp:
    def __init__(self, state_dir: Path, *extra: str):
        self.state_dir = state_dir
        self.proc = subprocess.Popen(
            [sys.executable, str(IDP), "--port", "0", "--state-dir", str(state_dir), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.ready = self.proc.stdout.readline().strip()  # the one ready line
        if not self.ready.startswith("dev-idp ready "):
            self.proc.kill()
            raise RuntimeError(f"dev-idp did not start: {self.ready!r}\n{self.proc.stderr.read()}")
        fields = dict(kv.split("=", 1) for kv in self.ready.split()[2:])
        self.url, self.issuer = fields["url"], fields["issuer"]
        self.http = requests.Session()
        self.http.trust_env = False  # loopback: never via a proxy

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, timeout=10)

    def post(self, path: str, body=None) -> requests.Response:
        return self.http.post(self.url + path, json=body, timeout=10)

    def mint(self, **req) -> dict:
        r = self.post("/token", req)
        assert r.status_code == 200, r.text
        return r.json()

    def jwks_keys(self) -> dict[str, object]:
        """kid -> public key object, built from the served JWKS."""
        out = {}
        for jwk in self.get("/jwks.json").json()["keys"]:
            algo = RSAAlgorithm if jwk["kty"] == "RSA" else ECAlgorithm
            out[jwk["kid"]] = algo.from_jwk(json.dumps(jwk))
        return out

    def verify(self, token: str, issuer: str | None = None, **kw) -> dict:
        header = jwt.get_unverified_header(token)
        key = self.jwks_keys()[header["kid"]]
        return jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=AUD, issuer=issuer or self.issuer, **kw)

    def stop(self) -> str:
        """Stops it with SIGTERM (as make dev's trap does); returns what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    server = Idp(tmp_path_factory.mktemp("idp") / "state")
    yield server
    server.stop()


@pytest.fixture
def fresh_idp(tmp_path):
    """An IdP of one's own, for tests that rotate keys or inject faults."""
    server = Idp(tmp_path / "state")
    yield server
    server.stop()


# --------------------------------------------------------------------------- discovery, JWKS


def test_ready_line_and_loopback(idp):
    assert re.match(r"^dev-idp ready url=http://127\.0\.0\.1:\d+ issuer=http://127\.0\.0\.1:\d+ ", idp.ready)
    assert idp.issuer == idp.url


def test_discovery(idp):
    r = idp.get("/.well-known/openid-configuration")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    doc = r.json()
    assert doc["issuer"] == idp.issuer
    assert doc["jwks_uri"] == f"{idp.issuer}/jwks.json"
    assert set(doc["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert "none" not in doc["id_token_signing_alg_values_supported"]


def test_jwks_shape(idp):
    r = idp.get("/jwks.json")
    assert r.status_code == 200
    keys = r.json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA", "EC"]
    rsa_jwk, ec_jwk = keys
    assert set(rsa_jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert (rsa_jwk["kty"], rsa_jwk["use"], rsa_jwk["alg"]) == ("RSA", "sig", "RS256")
    assert set(ec_jwk) == {"kty", "kid", "use", "alg", "crv", "x", "y"}
    assert (ec_jwk["kty"], ec_jwk["use"], ec_jwk["alg"], ec_jwk["crv"]) == ("EC", "sig", "ES256", "P-256")
    for jwk, members in ((rsa_jwk, ("n", "e")), (ec_jwk, ("x", "y"))):
        for m in members:
            assert B64URL.match(jwk[m]), f"{jwk['kid']}.{m} is not unpadded base64url"
    assert rsa_jwk["e"] == "AQAB"
    assert len(b64url_decode(rsa_jwk["n"])) == 256  # RSA-2048, no leading zero byte
    assert b64url_decode(rsa_jwk["n"])[0] & 0x80
    assert len(b64url_decode(ec_jwk["x"])) == 32 and len(b64url_decode(ec_jwk["y"])) == 32  # full-length coordinates
    # No private material anywhere.
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & {m for k in keys for m in k}


# RFC 7638 section 3.1: this RSA key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
RFC7638_EXAMPLE = {
    "kty": "RSA", "alg": "RS256", "kid": "2011-04-29", "e": "AQAB",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
         "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHz"
         "u6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8a"
         "wapJzKnqDKgw",
}


def test_thumbprint_matches_rfc7638_example():
    assert rfc7638_thumbprint(RFC7638_EXAMPLE) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_kids_are_rfc7638_thumbprints(idp):
    """A kid names its key: it is the key's thumbprint, by our hash and by joserfc's."""
    from joserfc.jwk import ECKey, RSAKey

    keys = idp.get("/jwks.json").json()["keys"]
    for jwk in keys:
        lib = (RSAKey if jwk["kty"] == "RSA" else ECKey).import_key(jwk).thumbprint()
        assert jwk["kid"] == rfc7638_thumbprint(jwk) == lib, jwk
    assert idp.ready.endswith(" kids=" + ",".join(k["kid"] for k in keys))


def test_a_new_state_dir_never_reuses_a_kid(tmp_path):
    """Two IdPs (or one restarted with a new state dir) have new keys, hence new kids: a
    relying party that cached the first JWKS sees an unknown kid and refetches."""
    first = Idp(tmp_path / "one")
    try:
        kids1 = {k["kid"] for k in first.get("/jwks.json").json()["keys"]}
        kid1 = first.mint(sub="alice")["kid"]
    finally:
        first.stop()
    second = Idp(tmp_path / "two")
    try:
        kids2 = {k["kid"] for k in second.get("/jwks.json").json()["keys"]}
        kid2 = second.mint(sub="alice")["kid"]
    finally:
        second.stop()
    assert len(kids1) == len(kids2) == 2
    assert not kids1 & kids2, (kids1, kids2)
    assert kid1 in kids1 and kid2 in kids2


def test_keys_persist_across_restart(tmp_path):
    first = Idp(tmp_path / "state")
    issuer = first.issuer  # the restarted one has another free port, so another issuer
    try:
        jwks1 = first.get("/jwks.json").json()
        token = first.mint(sub="alice")["token"]
    finally:
        first.stop()
    assert sorted(p.name for p in (tmp_path / "state").glob("*.pem")) == ["ec-1.pem", "rsa-1.pem"]
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in (tmp_path / "state").glob("*.pem"))
    second = Idp(tmp_path / "state")
    try:
        assert second.get("/jwks.json").json() == jwks1  # the same keys, the same kids
        assert second.verify(token, issuer=issuer)["sub"] == "alice"  # a token from before the restart still verifies
    finally:
        second.stop()


# --------------------------------------------------------------------------- tokens


def kid_of(idp, kty: str) -> str:
    """The kid of the IdP's only (never rotated) key of type `kty`."""
    (kid,) = [k["kid"] for k in idp.get("/jwks.json").json()["keys"] if k["kty"] == kty]
    return kid


@pytest.mark.parametrize("alg,kty", [("RS256", "RSA"), ("ES256", "EC")])
def test_token_verifies_against_jwks(idp, alg, kty):
    kid = kid_of(idp, kty)
    before = int(time.time())
    answer = idp.mint(sub="alice", alg=alg, claims={"repository": "octo-org/octo-repo"})
    token = answer["token"]
    header, payload, sig = parts(token)
    assert header == {"alg": alg, "kid": kid, "typ": "JWT"}
    assert answer["kid"] == kid and answer["alg"] == alg
    if alg == "ES256":
        assert len(sig) == 64  # JWS raw r||s, not DER
    claims = idp.verify(token, options={"require": ["exp", "iat", "nbf", "iss", "sub", "aud"]})
    assert claims == payload == answer["claims"]
    assert claims["iss"] == idp.issuer and claims["sub"] == "alice" and claims["aud"] == AUD
    assert claims["repository"] == "octo-org/octo-repo"
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 600
    assert list(claims)[:6] == ["iss", "sub", "aud", "iat", "nbf", "exp"]


def test_token_options(idp):
    c = idp.mint(sub="bob", aud=["a", AUD], ttl=60, iss="http://elsewhere")["claims"]
    assert c["aud"] == ["a", AUD] and c["exp"] - c["iat"] == 60 and c["iss"] == "http://elsewhere"
    c = idp.mint(sub="bob", claims={"sub": "carol", "groups": ["x", "y"], "n": 3})["claims"]
    assert (c["sub"], c["groups"], c["n"]) == ("carol", ["x", "y"], 3)
    c = idp.mint(sub="", omit=[])["claims"]
    assert c["sub"] == ""
    c = idp.mint(omit=["sub", "aud"])["claims"]
    assert "sub" not in c and "aud" not in c


def test_omit_exp_really_omits_it(idp):
    answer = idp.mint(sub="alice", omit=["exp"])
    _, payload, _ = parts(answer["token"])
    assert "exp" not in payload and "exp" not in answer["claims"]
    assert {"iss", "sub", "aud", "iat", "nbf"} <= set(payload)
    # The signature is still good: only the missing exp is wrong with it.
    with pytest.raises(jwt.MissingRequiredClaimError):
        idp.verify(answer["token"], options={"require": ["exp"]})
    assert "exp" not in idp.verify(answer["token"])


def test_expired_and_future_tokens(idp):
    now = int(time.time())
    expired = idp.mint(sub="alice", iat=now - 3600, nbf=now - 3600, exp=now - 120)["token"]
    assert parts(expired)[1]["exp"] == now - 120
    with pytest.raises(jwt.ExpiredSignatureError):
        idp.verify(expired)
    future = idp.mint(sub="alice", nbf=now + 3600)["token"]
    with pytest.raises(jwt.ImmatureSignatureError):
        idp.verify(future)
    weird = idp.mint(sub="alice", exp="tomorrow")["claims"]
    assert weird["exp"] == "tomorrow"


def test_header_overrides(idp):
    t = idp.mint(sub="alice", header_omit=["kid"])["token"]
    assert "kid" not in parts(t)[0]
    t = idp.mint(sub="alice", header={"kid": "nope", "typ": "at+jwt"})["token"]
    assert parts(t)[0] == {"alg": "RS256", "kid": "nope", "typ": "at+jwt"}
    # Signed by the RSA key all the same.
    jwt.decode(t, idp.jwks_keys()[kid_of(idp, "RSA")], algorithms=["RS256"], audience=AUD)


def test_alg_none(idp):
    answer = idp.mint(sub="alice", alg="none")
    token = answer["token"]
    assert token.endswith(".") and token.count(".") == 2
    header, payload, sig = parts(token)
    assert header == {"alg": "none", "kid": kid_of(idp, "RSA"), "typ": "JWT"}
    assert sig == b"" and payload["sub"] == "alice" and "exp" in payload
    # PyJWT refuses it unless told to skip verification, as any relying party must.
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(token, idp.jwks_keys()[kid_of(idp, "RSA")], algorithms=["RS256", "ES256"], audience=AUD)


def test_alg_hs256_confused(idp):
    answer = idp.mint(sub="alice", alg="HS256-confused")
    token = answer["token"]
    header, payload, sig = parts(token)
    assert header == {"alg": "HS256", "kid": kid_of(idp, "RSA"), "typ": "JWT"}
    assert payload["sub"] == "alice"
    # The HMAC key is the RSA public key as SubjectPublicKeyInfo PEM, rebuilt from the JWKS.
    pem = idp.jwks_keys()[kid_of(idp, "RSA")].public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = token.rsplit(".", 1)[0].encode()
    assert hmac.compare_digest(sig, hmac.new(pem, signing_input, hashlib.sha256).digest())
    # A verifier that only accepts RS256/ES256 refuses it; it is no valid RS256 token either.
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(token, idp.jwks_keys()[kid_of(idp, "RSA")], algorithms=["RS256", "ES256"], audience=AUD)


@pytest.mark.parametrize(
    "body,message",
    [
        ({"sub": "a", "alg": "HS512"}, "alg must be"),
        ({"sub": "a", "kid": "rsa-1"}, "no key"),  # the kids of old, names no key now
        ({"sub": "a", "alg": "ES256", "kid": "RSA"}, "cannot sign"),
        ({"aud": AUD}, "sub is required"),
        ({"sub": "a", "omit": "exp"}, "omit must be"),
        ({"sub": "a", "bogus": 1}, "unknown field"),
        ({"sub": "a", "ttl": "long"}, "ttl must be"),
        ([1, 2], "JSON object"),
    ],
)
def test_token_bad_requests(idp, body, message):
    if isinstance(body, dict) and body.get("kid") == "RSA":
        body = {**body, "kid": kid_of(idp, "RSA")}
    r = idp.post("/token", body)
    assert r.status_code == 400
    assert message in r.json()["message"]


def test_not_json_and_routes(idp):
    r = idp.http.post(idp.url + "/token", data=b"{nope", timeout=10)
    assert r.status_code == 400 and "not JSON" in r.json()["message"]
    assert idp.get("/nope").status_code == 404
    assert idp.get("/token").status_code == 405
    assert idp.post("/jwks.json", {}).status_code == 405
    # An unread body ends the connection instead of being parsed as the next request
    # (botocore POSTing to a wrong path did exactly that).
    s = requests.Session()
    s.trust_env = False
    r = s.post(idp.url + "/.sts", data=b"Action=AssumeRoleWithWebIdentity&x=1", timeout=10)
    assert r.status_code == 404 and r.headers["Connection"] == "close"
    assert s.get(idp.url + "/jwks.json", timeout=10).status_code == 200
    r = s.post(idp.url + "/token", data=b"x" * (64 * 1024 + 1), timeout=10)
    assert r.status_code == 400 and "larger than" in r.json()["message"]
    assert s.get(idp.url + "/jwks.json", timeout=10).status_code == 200


# --------------------------------------------------------------------------- rotation


def test_rotation_adds_key_and_new_tokens_use_it(fresh_idp):
    rsa1, ec1 = kid_of(fresh_idp, "RSA"), kid_of(fresh_idp, "EC")
    old = fresh_idp.mint(sub="alice")["token"]
    assert parts(old)[0]["kid"] == rsa1
    r = fresh_idp.post("/rotate")
    assert r.status_code == 200
    rsa2 = r.json()["kid"]
    assert rsa2 not in (rsa1, ec1)
    assert r.json() == {"kid": rsa2, "kids": [rsa1, rsa2, ec1]}
    jwks = fresh_idp.get("/jwks.json").json()["keys"]
    assert [k["kid"] for k in jwks] == [rsa1, rsa2, ec1]
    assert all(k["kid"] == rfc7638_thumbprint(k) for k in jwks)
    new = fresh_idp.mint(sub="alice")["token"]
    assert parts(new)[0]["kid"] == rsa2
    assert fresh_idp.verify(new)["sub"] == "alice"
    assert fresh_idp.verify(old)["sub"] == "alice"  # the old key is still served
    # Signed by the new key, not the old one.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(new, fresh_idp.jwks_keys()[rsa1], algorithms=["RS256"], audience=AUD)
    # An explicit kid still picks the old key; EC rotation works the same way.
    assert parts(fresh_idp.mint(sub="alice", kid=rsa1)["token"])[0]["kid"] == rsa1
    ec2 = fresh_idp.post("/rotate", {"kty": "EC"}).json()["kid"]
    assert ec2 not in (rsa1, rsa2, ec1)
    es = fresh_idp.mint(sub="alice", alg="ES256")["token"]
    assert parts(es)[0]["kid"] == ec2 and fresh_idp.verify(es)["sub"] == "alice"
    assert sorted(p.name for p in fresh_idp.state_dir.glob("*.pem")) == ["ec-1.pem", "ec-2.pem", "rsa-1.pem", "rsa-2.pem"]


# --------------------------------------------------------------------------- faults, stats, options


def test_control_faults_and_stats(fresh_idp):
    idp = fresh_idp
    assert idp.post("/stats", {"reset": True}).status_code == 200
    idp.get("/.well-known/openid-configuration")
    idp.get("/jwks.json")
    idp.get("/jwks.json")
    assert idp.get("/stats").json() == {"discovery": 1, "jwks": 2, "token": 0}

    assert idp.post("/control", {"discovery_issuer": "http://127.0.0.1:1", "jwks_status": 503,
                                 "jwks_uri": "https://example.invalid/jwks"}).status_code == 200
    doc = idp.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "http://127.0.0.1:1" and doc["jwks_uri"] == "https://example.invalid/jwks"
    assert idp.get("/jwks.json").status_code == 503

    idp.post("/control", {"jwks_padding": 300_000})
    r = idp.get("/jwks.json")
    assert len(r.content) > 300_000 and len(r.json()["keys"]) == 2

    idp.post("/control", {"jwks_delay": 0.5})
    t0 = time.monotonic()
    assert idp.get("/jwks.json").status_code == 200
    assert time.monotonic() - t0 >= 0.5

    assert idp.post("/control", {"nope": 1}).status_code == 400
    assert idp.post("/control", {}).json() == {}
    assert idp.get("/.well-known/openid-configuration").json()["issuer"] == idp.issuer
    assert idp.get("/stats").json()["jwks"] == 5


def test_issuer_override_with_path(tmp_path):
    server = Idp(tmp_path / "state", "--issuer", "http://localhost:1234/tenant/")
    try:
        assert server.issuer == "http://localhost:1234/tenant"
        # Served both below the issuer's path and at the root.
        for prefix in ("/tenant", ""):
            doc = server.get(prefix + "/.well-known/openid-configuration").json()
            assert doc == {**doc, "issuer": server.issuer, "jwks_uri": server.issuer + "/jwks.json"}
        assert server.mint(sub="x")["claims"]["iss"] == server.issuer
    finally:
        server.stop()


def test_quiet_by_default_and_clean_sigterm(tmp_path):
    server = Idp(tmp_path / "state")
    server.get("/jwks.json")
    server.mint(sub="alice")
    err = server.stop()
    assert server.proc.returncode == 0
    assert err == ""


def test_port_in_use_fails_clearly(idp, tmp_path):
    port = idp.url.rsplit(":", 1)[1]
    r = subprocess.run([sys.executable, str(IDP), "--port", port, "--state-dir", str(tmp_path / "s")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "cannot listen" in r.stderr


# --------------------------------------------------------------------------- scripts/dev-token


def run_dev_token(idp, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ODP_DEV_IDP"}
    return subprocess.run([str(DEV_TOKEN), *args, "--idp", idp.url], capture_output=True, text=True,
                          timeout=30, env=env)


def test_dev_token(idp):
    assert os.access(DEV_TOKEN, os.X_OK)
    r = run_dev_token(idp, "alice")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert r.stdout == token + "\n"
    c = idp.verify(token)
    assert c["sub"] == "alice" and c["aud"] == AUD and c["exp"] - c["iat"] == 600

    r = run_dev_token(idp, "ci", "--aud", AUD, "--aud", "other", "--claim", "repository=octo-org/octo-repo",
                      "--claim", "ref=refs/heads/main", "--claim-json", "n=3", "--alg", "ES256", "--ttl", "90")
    assert r.returncode == 0, r.stderr
    header, payload, _ = parts(r.stdout.strip())
    assert header["alg"] == "ES256" and header["kid"] == kid_of(idp, "EC")
    assert payload["aud"] == [AUD, "other"] and payload["repository"] == "octo-org/octo-repo"
    assert payload["ref"] == "refs/heads/main" and payload["n"] == 3 and payload["exp"] - payload["iat"] == 90

    r = run_dev_token(idp, "alice", "--omit", "exp", "--json")
    answer = json.loads(r.stdout)
    assert "exp" not in answer["claims"] and "exp" not in parts(answer["token"])[1]
    for alg, want in (("none", "none"), ("HS256-confused", "HS256")):
        r = run_dev_token(idp, "alice", "--alg", alg)
        assert r.returncode == 0 and parts(r.stdout.strip())[0]["alg"] == want


def test_dev_token_out_file(idp, tmp_path):
    out = tmp_path / "alice.jwt"
    r = run_dev_token(idp, "alice", "-o", str(out))
    assert r.returncode == 0 and r.stdout == ""
    token = out.read_text()
    assert "\n" not in token and idp.verify(token)["sub"] == "alice"  # botocore sends the file as is
    assert (out.stat().st_mode & 0o777) == 0o600


def test_dev_token_errors(idp, tmp_path):
    r = run_dev_token(idp, "alice", "--kid", "no-such-kid")
    assert r.returncode == 1 and "HTTP 400" in r.stderr and "no key" in r.stderr and r.stdout == ""
    r = subprocess.run([str(DEV_TOKEN), "alice", "--idp", "http://127.0.0.1:9"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "no dev IdP at http://127.0.0.1:9" in r.stderr
    r = subprocess.run([str(DEV_TOKEN), "alice", "--claim", "novalue"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
