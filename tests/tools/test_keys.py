"""scripts/gen-oidc-key, scripts/gen-session-key and scripts/check-keys.

Generated keys are checked with `cryptography` (not with the scripts' own parser); check-keys
is driven through every rule of the Worker's key configuration and the rotation age check.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from toolslib import FIXTURES, clean_env, out, run

NOW = "2026-11-22T12:00:00Z"


# --------------------------------------------------------------------------- gen-oidc-key


def rfc7638(pub: rsa.RSAPublicKey) -> bytes:
    nums = pub.public_numbers()

    def b64(i: int) -> str:
        return base64.urlsafe_b64encode(i.to_bytes((i.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    canon = json.dumps({"e": b64(nums.e), "kty": "RSA", "n": b64(nums.n)}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canon.encode()).digest()


@pytest.fixture(scope="module")
def oidc_key(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("keys") / "oidc.pem"
    p = run("gen-oidc-key", "-o", str(path))
    assert p.returncode == 0, out(p)
    return path, p.stdout.strip()


def test_oidc_key_is_pkcs8_rsa_2048_mode_600(oidc_key):
    path, kid = oidc_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n"), "PKCS#8, not PKCS#1"
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    # The kid: prefix, date, first 4 bytes of the RFC 7638 thumbprint in hex.
    m = re.fullmatch(r"oidc-(\d{8})-([0-9a-f]{8})", kid)
    assert m, kid
    assert m.group(2) == rfc7638(key.public_key())[:4].hex()


def test_oidc_key_stdout_bits_and_prefix():
    p = run("gen-oidc-key", "--bits", "3072", "--kid-prefix", "prod")
    assert p.returncode == 0, out(p)
    key = serialization.load_pem_private_key(p.stdout.encode(), password=None)
    assert key.key_size == 3072
    assert re.search(r"kid suggestion prod-\d{8}-[0-9a-f]{8}", p.stderr), p.stderr


@pytest.mark.parametrize("bits", ["1024", "4608"])
def test_oidc_key_refuses_sizes_the_worker_refuses(bits):
    p = run("gen-oidc-key", "--bits", bits)
    assert p.returncode == 1 and "2048..4096" in p.stderr, out(p)
    assert "PRIVATE KEY" not in p.stdout


def test_oidc_key_never_overwrites(oidc_key):
    path, _ = oidc_key
    before = path.read_text()
    p = run("gen-oidc-key", "-o", str(path))
    assert p.returncode == 1 and "exists" in p.stderr
    assert path.read_text() == before


# --------------------------------------------------------------------------- gen-session-key


def test_session_key_format_matches_dev_vars(tmp_path):
    p = run("gen-session-key")
    assert p.returncode == 0, out(p)
    key = p.stdout.strip()
    raw = base64.b64decode(key, validate=True)  # standard alphabet, padded: openssl rand -base64 32
    assert len(raw) == 32 and len(key) == 44
    assert f"key id {hashlib.sha256(raw).digest()[:4].hex()}" in p.stderr
    p2 = run("gen-session-key")
    assert p2.stdout.strip() != key


def test_session_key_file(tmp_path):
    f = tmp_path / "session.key"
    p = run("gen-session-key", "-o", str(f))
    assert p.returncode == 0, out(p)
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    raw = base64.b64decode(f.read_text().strip(), validate=True)
    assert p.stdout.strip() == hashlib.sha256(raw).digest()[:4].hex()
    assert run("gen-session-key", "-o", str(f)).returncode == 1


# --------------------------------------------------------------------------- check-keys


@pytest.fixture(scope="module")
def keys(oidc_key, tmp_path_factory):
    """Two OIDC keys with kids and two session keys."""
    path, kid = oidc_key
    other = tmp_path_factory.mktemp("keys2") / "oidc2.pem"
    p = run("gen-oidc-key", "-o", str(other), "--kid-prefix", "next")
    assert p.returncode == 0, out(p)
    return {
        "pem": path.read_text(), "kid": kid, "pem2": other.read_text(), "kid2": p.stdout.strip(),
        "s1": run("gen-session-key").stdout.strip(), "s2": run("gen-session-key").stdout.strip(),
    }


def check(*args: str, **env: str):
    p = run("check-keys", "--now", NOW, *args, env=clean_env(**env))
    text = out(p)
    for secret_line in ("MII", "PRIVATE KEY"):
        assert secret_line not in text, "key material in the output"
    return p.returncode, text


def base(keys, **more) -> dict[str, str]:
    env = {"OIDC_PROVIDER_KEY": keys["pem"], "OIDC_PROVIDER_KID": keys["kid"], "SESSION_TOKEN_KEY": keys["s1"],
           "OIDC_PROVIDER_ISSUER": "https://data.example.org", "AUTH_ISSUER": "https://login.example.org",
           "AUTH_AUDIENCE": "proxy"}
    env.update(more)
    return env


def test_clean_configuration(keys):
    rc, text = check(**base(keys))
    assert rc == 0, text
    assert "0 error(s), 0 warning(s)" in text
    assert "longest session: 12 h (the _default role)" in text
    for k in ("s1",):
        assert keys[k] not in text


def test_equal_kids_are_an_error(keys):
    rc, text = check(**base(keys, OIDC_PROVIDER_KEY_PREVIOUS=keys["pem2"], OIDC_PROVIDER_KID_PREVIOUS=keys["kid"],
                            OIDC_PROVIDER_ROTATED_AT="2026-11-22T11:00:00Z"))
    assert rc == 1 and "OIDC_PROVIDER_KID_PREVIOUS equals OIDC_PROVIDER_KID" in text, text


@pytest.mark.parametrize("half", ["OIDC_PROVIDER_KEY_PREVIOUS", "OIDC_PROVIDER_KID_PREVIOUS"])
def test_previous_key_and_kid_go_together(keys, half):
    value = keys["pem2"] if half.startswith("OIDC_PROVIDER_KEY") else keys["kid2"]
    rc, text = check(**base(keys, **{half: value}))
    assert rc == 1, text
    missing = "OIDC_PROVIDER_KID_PREVIOUS" if half == "OIDC_PROVIDER_KEY_PREVIOUS" else "OIDC_PROVIDER_KEY_PREVIOUS"
    assert f"{missing} is missing" in text, text


def test_rotation_in_progress_then_overdue(keys):
    env = base(keys, OIDC_PROVIDER_KEY_PREVIOUS=keys["pem2"], OIDC_PROVIDER_KID_PREVIOUS=keys["kid2"],
               SESSION_TOKEN_KEY_PREVIOUS=keys["s2"])
    # 2 h ago: within the 12 h of the _default role.
    rc, text = check(**env, OIDC_PROVIDER_ROTATED_AT="2026-11-22T10:00:00Z",
                     SESSION_TOKEN_KEY_ROTATED_AT="2026-11-22T10:00:00Z")
    assert rc == 0 and "0 warning(s)" in text, text
    assert "remove it after 12 h" in text
    # 13 h ago: both previous keys have outlived the longest session.
    rc, text = check(**env, OIDC_PROVIDER_ROTATED_AT="2026-11-21T23:00:00Z", SESSION_TOKEN_KEY_ROTATED_AT="1795302000")
    assert rc == 0, text
    assert text.count("has outlived the longest session") == 2, text
    rc, _ = check("--strict", **env, OIDC_PROVIDER_ROTATED_AT="2026-11-21T23:00:00Z",
                  SESSION_TOKEN_KEY_ROTATED_AT="1795302000")
    assert rc == 1


def test_longest_session_from_roles(keys):
    roles = json.dumps([{"name": "ci", "issuers": ["https://i"], "audiences": ["a"], "ceiling": ["*"],
                         "max_duration": 3600},
                        {"name": "batch", "issuers": ["https://i"], "audiences": ["a"], "ceiling": ["*"],
                         "max_duration": 7200}])
    env = base(keys, SESSION_TOKEN_KEY_PREVIOUS=keys["s2"], SESSION_TOKEN_KEY_ROTATED_AT="2026-11-22T09:00:00Z",
               ROLES=roles)
    del env["AUTH_ISSUER"]
    rc, text = check("--only", "session", **env)
    assert "longest session: 2 h (role 'batch')" in text, text
    assert "SESSION_TOKEN_KEY_PREVIOUS has outlived the longest session: set 3 h ago" in text, text
    rc, text = check("--only", "session", "--max-session", "43200", **env)
    assert "outlived" not in text, text


def test_previous_without_rotation_time_warns(keys):
    rc, text = check(**base(keys, SESSION_TOKEN_KEY_PREVIOUS=keys["s2"]))
    assert rc == 0 and "SESSION_TOKEN_KEY_ROTATED_AT is not" in text, text


def test_session_key_rules(keys):
    rc, text = check("--only", "session", **base(keys, SESSION_TOKEN_KEY="c2hvcnQ="))
    assert rc == 1 and "decodes to 5 bytes, expected 32" in text, text
    rc, text = check("--only", "session", **base(keys, SESSION_TOKEN_KEY="not base64 at all!"))
    assert rc == 1 and "not valid base64" in text, text
    rc, text = check("--only", "session", **base(keys, SESSION_TOKEN_KEY_PREVIOUS=keys["s1"]))
    assert rc == 0 and "equals SESSION_TOKEN_KEY" in text, text
    env = base(keys, SESSION_TOKEN_KEY_PREVIOUS=keys["s1"])
    del env["SESSION_TOKEN_KEY"]
    rc, text = check("--only", "session", **env)
    assert rc == 1 and "SESSION_TOKEN_KEY is not" in text, text
    # URL-safe alphabet without padding is accepted, as the Worker does.
    urlsafe = base64.urlsafe_b64encode(base64.b64decode(keys["s1"])).rstrip(b"=").decode()
    rc, text = check("--only", "session", **base(keys, SESSION_TOKEN_KEY=urlsafe))
    assert rc == 0, text


@pytest.mark.parametrize("fixture,reason", [
    ("rsa-1024.pem", "1024-bit RSA key"),
    ("rsa-4608.pem", "4608-bit RSA key"),
    ("p256.pem", "not an RSA key"),
])
def test_oidc_keys_the_worker_refuses(keys, fixture, reason):
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_KEY=(FIXTURES / fixture).read_text()))
    assert rc == 1 and reason in text, text


def test_pkcs1_and_one_line_pem(keys, tmp_path):
    import subprocess

    pkcs1 = subprocess.run(["openssl", "rsa", "-traditional"], input=keys["pem"], capture_output=True,
                           text=True, check=True).stdout
    if "BEGIN RSA PRIVATE KEY" not in pkcs1:  # OpenSSL 1.1.1 writes PKCS#1 without -traditional
        pytest.skip("openssl did not write PKCS#1")
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_KEY=pkcs1))
    assert rc == 1 and "PKCS#1" in text and "openssl pkcs8 -topk8" in text, text
    one_line = keys["pem"].strip().replace("\n", "\\n")
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_KEY=one_line))
    assert rc == 0, text


def test_issuer_and_kid_rules(keys):
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_ISSUER="https://data.example.org/path"))
    assert rc == 1 and "https origin without a path" in text, text
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_KID="has space"))
    assert rc == 1 and "printable ASCII" in text, text
    rc, text = check("--only", "oidc", **base(keys, OIDC_PROVIDER_KEY_PREVIOUS=keys["pem"],
                                              OIDC_PROVIDER_KID_PREVIOUS=keys["kid2"],
                                              OIDC_PROVIDER_ROTATED_AT=NOW))
    assert rc == 0 and "same key as OIDC_PROVIDER_KEY" in text, text


def test_env_file_and_wrangler_env(tmp_path):
    """The dev keys scripts/dev-vars.sh writes pass; wrangler.toml's vars give the longest session."""
    import subprocess

    dv = tmp_path / "dev.vars"
    subprocess.run(["bash", "scripts/dev-vars.sh", str(dv)], check=True, capture_output=True,
                   cwd=Path(__file__).resolve().parents[2])
    rc, text = check("--env-file", str(dv))
    assert rc == 0 and "0 error(s), 0 warning(s)" in text, text
    rc, text = check("--wrangler-env", "production")
    assert "longest session: 12 h (the _default role)" in text, text
    assert "OIDC_PROVIDER_KEY/KID are not set" in text
    rc, text = check("--wrangler-env", "nope")
    assert rc == 2 and "no [env.nope]" in text, text


def test_github_annotations(keys):
    rc, text = check("--github", **base(keys, SESSION_TOKEN_KEY_PREVIOUS=keys["s2"]))
    assert "::warning title=check-keys::SESSION_TOKEN_KEY_PREVIOUS is set" in text, text
