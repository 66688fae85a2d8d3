"""The AWS SDK for JavaScript v3 on Node 22 (tools dir): @aws-sdk/client-sts
AssumeRoleWithWebIdentityCommand against `/.sts` (the SDK POSTs to `/.sts/`), then
@aws-sdk/client-s3 (forcePathStyle; it signs `?x-id=GetObject`); and the SDK's own
web-identity credential provider, configured by environment only."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from support.clients import clean_env
from support.procs import INSTALL_HINT, tools_env
from support.sts import role_arn

pytestmark = pytest.mark.sts

SCRIPT = Path(__file__).resolve().parent / "js" / "sdk_sts_s3.mjs"
BUCKET, KEY = "demo", "restricted-data/secret.csv"


@pytest.fixture(scope="module")
def node_env() -> dict[str, str]:
    t = tools_env()
    node, mods = t.get("NODE22", ""), t.get("ODP_NODE_MODULES", "")
    for pkg in ("@aws-sdk/client-sts", "@aws-sdk/client-s3"):
        if not (Path(mods) / pkg / "package.json").exists():
            pytest.fail(f"npm {pkg} missing in {mods}; {INSTALL_HINT}", pytrace=False)
    if not Path(node).exists():
        pytest.fail(f"Node 22 missing ({node!r}); {INSTALL_HINT}", pytrace=False)
    env = clean_env()
    env.update({"NODE22": node, "ODP_NODE_MODULES": mods, "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return env


def run_js(env: dict[str, str], **kw) -> dict:
    e = {**env, "BUCKET": BUCKET, "KEY": KEY, **kw}
    r = subprocess.run([env["NODE22"], str(SCRIPT)], env=e, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    out = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert "fatal" not in out, out["fatal"]
    return out


def check_reads(out: dict, secret: bytes) -> None:
    assert out["get"] == {"status": 200, "base64": base64.b64encode(secret).decode(), "length": len(secret)}, out
    assert out["head"]["status"] == 200 and out["head"]["length"] == len(secret), out
    assert out["list"] == {"keys": [KEY]}, out
    assert out["other"]["error"]["status"] == 404 and out["other"]["error"]["code"] == "NoSuchBucket", out
    s3 = [r for r in out["requests"] if r["client"] == "s3"]
    assert s3 and all(r["signed"] for r in s3), out
    assert s3[0]["path"] == f"/{BUCKET}/{KEY}" and s3[0]["query"].get("x-id") == "GetObject", out


def test_js_sdk_exchange_and_read(sts_worker, idp, node_env, secret_bytes):
    out = run_js(node_env, MODE="exchange", ENDPOINT=sts_worker.url, TOKEN=idp.token("alice"),
                 ROLE_ARN=role_arn("_default"))
    assert out["sts"] and "error" not in out["sts"], out
    assert out["sts"]["subject"] == "alice" and out["sts"]["audience"] == "oidc-data-proxy" and out["sts"]["hasKeys"]
    assert out["sts"]["arn"].endswith("/_default/js-sdk"), out
    sts = [r for r in out["requests"] if r["client"] == "sts"]
    assert [(r["method"], r["path"], r["signed"]) for r in sts] == [("POST", "/.sts/", False)], sts
    check_reads(out, secret_bytes)


def test_js_sdk_exchange_error(sts_worker, idp, node_env):
    out = run_js(node_env, MODE="exchange", ENDPOINT=sts_worker.url, TOKEN=idp.token("alice", aud="nope"),
                 ROLE_ARN=role_arn("_default"))
    e = out["sts"]["error"]
    assert (e["status"], e["code"]) == (400, "InvalidIdentityToken"), out


def test_js_sdk_web_identity_provider(sts_worker, idp, node_env, secret_bytes, tmp_path):
    tok = tmp_path / "token.jwt"
    tok.write_text(idp.token("alice"))
    out = run_js(node_env, MODE="provider", ENDPOINT=sts_worker.url, AWS_WEB_IDENTITY_TOKEN_FILE=str(tok),
                 AWS_ROLE_ARN=role_arn("_default"), AWS_ROLE_SESSION_NAME="js-provider",
                 AWS_ENDPOINT_URL_STS=sts_worker.url + "/.sts", AWS_REGION="us-east-1")
    check_reads(out, secret_bytes)
