"""A real browser (STS JSON answers, SigV4, CORS): headless Debian chromium driven by
playwright-core loads a page from ANOTHER loopback origin, which exchanges an ID token at
`/.sts` (Accept: application/json), then reads the restricted object with an
aws4fetch-signed fetch (Authorization + x-amz-* headers: a CORS preflight) and with a
presigned URL (aws4fetch signQuery). The page returns what it saw to the test."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from support.clients import clean_env
from support.procs import INSTALL_HINT, tools_env
from support.sts import json_lines

pytestmark = pytest.mark.sts

HERE = Path(__file__).resolve().parent / "js"
KEY = "restricted-data/secret.csv"
CHROMIUM = os.environ.get("ODP_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser_env() -> dict[str, str]:
    t = tools_env()
    mods = Path(t.get("ODP_NODE_MODULES", ""))
    for pkg in ("playwright-core", "aws4fetch"):
        if not (mods / pkg / "package.json").exists():
            pytest.fail(f"npm {pkg} missing in {mods}; {INSTALL_HINT}", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing (Debian package chromium); {INSTALL_HINT}", pytrace=False)
    env = clean_env()
    env.update({"NODE22": t["NODE22"], "ODP_NODE_MODULES": str(mods), "CHROMIUM": CHROMIUM})
    return env


@pytest.fixture(scope="module")
def page_origin(browser_env):
    """A static server on its own loopback port: the page and aws4fetch's ESM bundle."""
    files = {
        "/index.html": ((HERE / "page" / "index.html").read_bytes(), "text/html; charset=utf-8"),
        "/aws4fetch.esm.js": ((Path(browser_env["ODP_NODE_MODULES"]) / "aws4fetch" / "dist" / "aws4fetch.esm.mjs")
                              .read_bytes(), "text/javascript; charset=utf-8"),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            found = files.get(self.path.split("?")[0])
            if found is None:
                self.send_error(404)
                return
            body, ctype = found
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def run_page(env: dict, page_url: str, params: dict, screenshot: Path | None = None) -> dict:
    e = {**env, "PAGE_URL": page_url, "PARAMS": json.dumps(params)}
    if screenshot:
        e["SCREENSHOT"] = str(screenshot)
    r = subprocess.run([env["NODE22"], str(HERE / "browser_run.mjs")], env=e, capture_output=True, timeout=180)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-3000:]
    out = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert "fatal" not in out, out["fatal"]
    assert not out["pageErrors"], out
    return out


def test_browser_exchange_signed_fetch_and_presigned(sts_worker, idp, browser_env, page_origin, secret_bytes,
                                                     tmp_path):
    assert page_origin != sts_worker.url
    mark = sts_worker.log_size()
    out = run_page(browser_env, page_origin + "/index.html",
                   {"worker": sts_worker.url, "token": idp.token("alice"), "role": "_default", "key": KEY},
                   tmp_path / "browser.png")
    res = out["result"]
    detail = json.dumps(out, indent=1)[:6000]
    secret = secret_bytes.decode()

    sts = res["sts"]
    assert sts.get("status") == 200 and sts.get("hasCreds") and sts.get("subject") == "alice", detail
    assert "no-store" in (sts.get("cacheControl") or ""), detail
    assert (sts.get("contentType") or "").startswith("application/json"), detail
    assert res["stsPreflighted"] == {"status": 200, "hasCreds": True}, detail

    signed = res["signed"]
    assert signed.get("status") == 200 and signed.get("body") == secret, detail
    assert signed.get("requestId") and signed.get("etag"), detail  # exposed headers
    rng = res["signedRange"]
    assert rng.get("status") == 206 and rng.get("body") == secret[:4], detail
    assert rng.get("contentRange") == f"bytes 0-3/{len(secret_bytes)}", detail
    assert res["signedHead"].get("status") == 200, detail
    assert res["signedHead"].get("contentLength") == str(len(secret_bytes)), detail

    pre = res["presigned"]
    assert pre.get("hasToken") and pre.get("hasSignature"), detail
    assert pre.get("status") == 200 and pre.get("body") == secret, detail

    bad = res["badSecret"]
    assert bad.get("status") == 403 and "<Code>SignatureDoesNotMatch</Code>" in (bad.get("body") or ""), detail
    ids = [res[k].get("requestId") for k in ("signed", "signedRange", "signedHead", "presigned", "badSecret")]
    assert all(ids) and len(set(ids)) == len(ids), detail  # each fetch reached the Worker (no browser cache)
    anon = res["anonymous"]
    assert anon.get("status") == 404 and "<Code>NoSuchBucket</Code>" in (anon.get("body") or ""), detail
    # (Chromium reports a HEAD whose empty body nobody read as "net::ERR_ABORTED": not a failure)
    assert not [f for f in out["failedRequests"] if "ERR_ABORTED" not in f], detail
    # (the 403/404 fetches above log "Failed to load resource" by design; anything else is not expected)
    assert not [c for c in out["console"] if c.startswith("error") and "Failed to load resource" not in c], detail

    # The browser really preflighted the signed GET and the SDK-like STS POST (the Worker saw OPTIONS).
    import time

    time.sleep(0.5)
    seen = [(o.get("method"), o.get("status")) for o in json_lines(sts_worker.log_since(mark))
            if o.get("msg") == "request" and o.get("method") == "OPTIONS"]
    assert len(seen) >= 2 and all(s in (200, 204) for _, s in seen), seen


def test_browser_refused_token(sts_worker, idp, browser_env, page_origin):
    """An STS error reaches the page as JSON (CORS headers on errors too)."""
    out = run_page(browser_env, page_origin + "/index.html",
                   {"worker": sts_worker.url, "token": idp.token("alice", aud="wrong"), "role": "_default",
                    "key": KEY})
    sts = out["result"]["sts"]
    assert sts.get("status") == 400 and sts.get("error") == "InvalidIdentityToken", out
    assert not sts.get("hasCreds"), out
