"""`oidc-data-proxy verify` (the native binary, built here with cargo) against real issuers:
the dev IdP (scripts/dev-idp.py, which also forges the hostile tokens and serves the hostile
documents) and the proxy's own OIDC provider in workerd, whose minted tokens the catalog
stub captures. Exit codes: 0 valid, 1 invalid (one stderr line naming the check), 2 usage or
network error.

Run: . scripts/env.sh && ODP_SKIP_BUILD=1 "$ODP_VENV/bin/pytest" tests/integration/test_verify_cli.py -q
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import PROVIDER_KEY_PEM
from support.httpraw import raw
from support.procs import REPO, HarnessError, free_port
from support.sts import tamper_payload
from support.stubs import start_dev_idp, start_stub_catalog
from support.wrangler import launch_worker, panics, wait_ready

pytestmark = pytest.mark.oidc

AUD = "oidc-data-proxy"


@pytest.fixture(scope="session")
def verify_bin() -> Path:
    """The binary, built (debug) by cargo here: `make test` needs no separate step."""
    out = subprocess.run(
        ["cargo", "build", "--quiet", "--bin", "oidc-data-proxy", "--message-format=json-render-diagnostics"],
        cwd=REPO, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        pytest.fail(f"cargo build --bin oidc-data-proxy failed:\n{out.stderr[-3000:]}", pytrace=False)
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg["target"]["name"] == "oidc-data-proxy":
            return Path(msg["executable"])
    pytest.fail("cargo build printed no oidc-data-proxy executable", pytrace=False)


@pytest.fixture(scope="module")
def vidp(tmp_root):
    """A dev IdP of this module's own (its faults are set and cleared here)."""
    try:
        i = start_dev_idp(free_port(), tmp_root / "idp" / "verify", tmp_root / "logs" / "idp-verify.log")
    except HarnessError as e:
        pytest.fail(f"harness: {e}", pytrace=False)
    yield i
    i.proc.stop()


@pytest.fixture
def faults(vidp):
    """faults({...}) sets the dev IdP's /control faults; cleared after the test."""
    def put(f: dict) -> None:
        requests.post(vidp.url + "/control", json=f, timeout=5).raise_for_status()
    yield put
    put({})


def mint(idp, **req) -> str:
    req.setdefault("sub", "alice")
    req.setdefault("claims", {})
    req["claims"].setdefault("jti", uuid.uuid4().hex)
    r = requests.post(idp.url + "/token", json=req, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def run(bin_: Path, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    e = {**os.environ, **(env or {})}
    return subprocess.run([str(bin_), "verify", *args], capture_output=True, text=True, timeout=timeout, env=e)


def verify(bin_: Path, issuer: str, token: str, *extra: str, aud: str = AUD) -> subprocess.CompletedProcess:
    return run(bin_, "--issuer", issuer, "--aud", aud, "--allow-http-loopback", "--token", token, *extra)


def invalid(r: subprocess.CompletedProcess, check: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stdout == "", r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"oidc-data-proxy verify: invalid: {check}:"), r.stderr


def error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stdout == "", r.stdout
    assert all(w in r.stderr for w in words), r.stderr


def stats(idp) -> dict:
    return requests.get(idp.url + "/stats", timeout=5).json()


# --------------------------------------------------------------------------- the dev IdP


def test_valid_tokens_print_their_claims(verify_bin, vidp):
    for alg in ("RS256", "ES256"):
        token = mint(vidp, alg=alg, claims={"repository": "octo-org/octo-repo", "ref": "refs/heads/main"})
        r = verify(verify_bin, vidp.issuer, token, "--claim", "repository=octo-org/octo-repo",
                   "--claim-glob", "ref=refs/heads/*", "--max-age", "60")
        assert r.returncode == 0, r.stderr
        claims = json.loads(r.stdout)
        assert (claims["iss"], claims["sub"], claims["aud"]) == (vidp.issuer, "alice", AUD), claims
        assert r.stderr == ""


def test_token_from_a_file_or_the_environment(verify_bin, vidp, tmp_path):
    token = mint(vidp)
    f = tmp_path / "token.jwt"
    f.write_text(token + "\n")
    base = ["--issuer", vidp.issuer, "--aud", AUD, "--allow-http-loopback"]
    assert run(verify_bin, *base, "--token-file", str(f)).returncode == 0
    assert run(verify_bin, *base, "--token-env", "ODP_T", env={"ODP_T": token}).returncode == 0
    error(run(verify_bin, *base, "--token-env", "ODP_UNSET_TOKEN_VAR"), "ODP_UNSET_TOKEN_VAR", "not set")
    error(run(verify_bin, *base, "--token-file", str(tmp_path / "absent")), "absent")
    # Two sources, none, a missing --aud: usage errors.
    error(run(verify_bin, *base, "--token", token, "--token-file", str(f)))
    error(run(verify_bin, *base))
    error(run(verify_bin, "--issuer", vidp.issuer, "--allow-http-loopback", "--token", token))


def test_claim_and_age_checks_name_the_claim(verify_bin, vidp):
    token = mint(vidp, claims={"repository": "octo-org/octo-repo"})
    r = verify(verify_bin, vidp.issuer, token, "--claim", "repository=octo-org/other")
    invalid(r, "claim")
    assert "repository" in r.stderr and "octo-org/octo-repo" in r.stderr
    invalid(verify(verify_bin, vidp.issuer, token, "--claim-glob", "environment=prod*"), "claim")
    old = mint(vidp, iat=int(time.time()) - 600)
    invalid(verify(verify_bin, vidp.issuer, old, "--max-age", "300"), "max_age")


def test_jti_is_required_unless_waived(verify_bin, vidp):
    r = requests.post(vidp.url + "/token", json={"sub": "alice"}, timeout=10)
    token = r.json()["token"]
    invalid(verify(verify_bin, vidp.issuer, token), "missing_jti")
    assert verify(verify_bin, vidp.issuer, token, "--allow-missing-jti").returncode == 0


def test_issuer_mismatch_is_refused_before_any_fetch(verify_bin, vidp, foreign_vidp):
    before = stats(vidp)["discovery"]
    # Signed by the real issuer's key, but naming another issuer; and a token of another issuer.
    for token in (mint(vidp, iss="https://evil.example"), mint(foreign_vidp)):
        r = verify(verify_bin, vidp.issuer, token)
        invalid(r, "wrong_issuer")
    # A token naming the foreign issuer, checked against it: its own keys, not ours, decide.
    assert verify(verify_bin, foreign_vidp.issuer, mint(foreign_vidp)).returncode == 0
    assert stats(vidp)["discovery"] == before, "the pinned issuer was contacted for a mismatched token"


@pytest.fixture(scope="module")
def foreign_vidp(tmp_root):
    i = start_dev_idp(free_port(), tmp_root / "idp" / "verify-foreign", tmp_root / "logs" / "idp-verify-foreign.log")
    yield i
    i.proc.stop()


@pytest.mark.parametrize("req,check", [
    ({"alg": "none"}, "unsupported_alg"),
    ({"alg": "HS256-confused"}, "unsupported_alg"),
    ({"ttl": -120}, "expired"),
    ({"nbf": int(time.time()) + 3600}, "not_yet_valid"),
    ({"aud": "another-client"}, "wrong_audience"),
    ({"header": {"kid": "rotated-away"}}, "unknown_kid"),
    ({"omit": ["exp"]}, "missing_exp"),
])
def test_hostile_tokens(verify_bin, vidp, req, check):
    invalid(verify(verify_bin, vidp.issuer, mint(vidp, **req)), check)


def test_tampered_and_huge_tokens(verify_bin, vidp, tmp_path):
    token = mint(vidp)
    invalid(verify(verify_bin, vidp.issuer, tamper_payload(token, sub="mallory")), "bad_signature")
    huge = tmp_path / "huge.jwt"
    huge.write_text("a" * (8 << 20))
    r = run(verify_bin, "--issuer", vidp.issuer, "--aud", AUD, "--allow-http-loopback", "--token-file", str(huge))
    invalid(r, "malformed")


@pytest.mark.parametrize("fault,words", [
    ({"discovery_issuer": "https://evil.example"}, ("discovery", "does not equal")),
    ({"jwks_padding": 300_000}, ("jwks", "larger than")),
    ({"discovery_status": 302}, ("discovery", "HTTP 302")),
    ({"jwks_status": 500}, ("jwks", "HTTP 500")),
])
def test_hostile_documents_are_errors(verify_bin, vidp, faults, fault, words):
    faults(fault)
    error(verify(verify_bin, vidp.issuer, mint(vidp)), *words)


def test_discovery_cannot_send_us_elsewhere(verify_bin, vidp, faults):
    """Keys over http must be on the issuer's own origin (https ones may be anywhere)."""
    elsewhere = f"http://127.0.0.1:{free_port()}/jwks.json"
    faults({"jwks_uri": elsewhere})
    before = stats(vidp)["jwks"]
    error(verify(verify_bin, vidp.issuer, mint(vidp)), "discovery", "another origin")
    faults({"jwks_uri": "http://10.0.0.1/jwks.json"})
    error(verify(verify_bin, vidp.issuer, mint(vidp)), "discovery", "not an allowed URL")
    assert stats(vidp)["jwks"] == before


def test_slow_and_dead_issuers_time_out(verify_bin, vidp, faults):
    faults({"discovery_delay": 5})
    t0 = time.monotonic()
    error(verify(verify_bin, vidp.issuer, mint(vidp), "--timeout", "1"), "discovery")
    assert time.monotonic() - t0 < 4
    dead = f"http://127.0.0.1:{free_port()}"
    token = mint(vidp, iss=dead)
    error(verify(verify_bin, dead, token), "discovery")


def test_http_issuers_need_the_loopback_flag(verify_bin, vidp):
    token = mint(vidp)
    error(run(verify_bin, "--issuer", vidp.issuer, "--aud", AUD, "--token", token), "--allow-http-loopback")
    error(verify(verify_bin, "http://10.0.0.1:8788", token), "--issuer")


# --------------------------------------------------------------------------- the proxy's own tokens, in workerd

PROXY_KID = "verify-rsa-1"


@pytest.fixture(scope="module")
def minting_worker(tmp_root, wrangler_env):
    """A Worker whose OIDC provider issuer is its own loopback origin (so discovery and JWKS
    are really fetched from workerd), calling a catalog stub that records every token it mints."""
    port, stub_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{port}"
    catalog = f"http://127.0.0.1:{stub_port}"
    logs = tmp_root / "logs"
    stub = start_stub_catalog(f"{issuer}/.well-known/jwks.json", issuer, catalog, "http://127.0.0.1:9",
                              logs / "stub-catalog-verify.log", port=stub_port)
    vars_ = {"CATALOG_URL": catalog, "OIDC_ALLOW_LOOPBACK_ISSUERS": "true", "LOG_LEVEL": "info",
             "OIDC_PROVIDER_ISSUER": issuer, "OIDC_PROVIDER_KID": PROXY_KID}
    secrets = {"OIDC_PROVIDER_KEY": PROVIDER_KEY_PEM.read_text()}
    try:
        proc, _ = launch_worker("wrangler-verify", tmp_root / "workers" / "verify", None, vars_, secrets,
                                 tmp_root / "state-verify", wrangler_env, logs / "wrangler-verify.log", port=port)
    except Exception:
        stub.proc.stop()
        raise
    try:
        wait_ready(issuer, proc, 90)
    except HarnessError as e:
        proc.stop()
        stub.proc.stop()
        pytest.fail(f"harness: {e}", pytrace=False)
    yield issuer, catalog, stub
    proc.stop()
    stub.proc.stop()
    hits = panics(proc)
    assert not hits, "\n".join(hits[:20])


def minted(worker_url: str, stub) -> str:
    """A token the Worker really sent to the catalog (for an unknown product, never cached)."""
    stub.clear()
    name = f"v-{uuid.uuid4().hex[:12]}"
    raw(worker_url, "GET", f"/acme/{name}/x")
    recs = [r for r in stub.records() if name in r["path"] and r.get("token")]
    assert recs, stub.records()
    return recs[0]["token"]


def test_the_proxys_own_tokens_verify_against_its_jwks_in_workerd(verify_bin, minting_worker):
    issuer, catalog, stub = minting_worker
    token = minted(issuer, stub)
    r = verify(verify_bin, issuer, token, "--claim", "sub=anonymous", "--max-age", "120", aud=catalog)
    assert r.returncode == 0, r.stderr
    claims = json.loads(r.stdout)
    assert claims["iss"] == issuer and claims["aud"] == catalog and claims["jti"], claims
    # The same token refused where it must be.
    invalid(verify(verify_bin, issuer, token, aud="https://another-catalog.example"), "wrong_audience")
    invalid(verify(verify_bin, issuer, tamper_payload(token, sub="alice"), aud=catalog), "bad_signature")
    invalid(verify(verify_bin, issuer, token, "--claim", "sub=alice", aud=catalog), "claim")
    # Pinned to another issuer, the proxy's token is refused without contacting anything.
    other = f"http://127.0.0.1:{free_port()}"
    invalid(verify(verify_bin, other, token, aud=catalog), "wrong_issuer")
