"""deploy.yml's "Upload secrets" step, run as written (its `run:` script, extracted from the
YAML) with the real wrangler against a stub Cloudflare API on loopback
(CLOUDFLARE_API_BASE_URL): what `wrangler secret bulk` sends, on an existing Worker and on
a new account, and that the secrets file is gone afterwards."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from toolslib import REPO, clean_env

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "stub-api-token-not-a-secret"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIstub\n-----END PRIVATE KEY-----\n"


def upload_script() -> str:
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "deploy.yml").read_text())
    (step,) = [s for s in doc["jobs"]["deploy"]["steps"] if s.get("name", "").startswith("Upload secrets")]
    return step["run"]


class StubApi:
    """Just enough of api.cloudflare.com/client/v4 for `secret list` and `secret bulk`."""

    def __init__(self, worker_exists: bool, secrets: list[str], token: str = TOKEN):
        self.exists = worker_exists
        self.token = token
        self.secrets = list(secrets)
        self.calls: list[tuple[str, str, bytes]] = []
        api = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, status, result=None, errors=()):
                body = json.dumps({"success": status < 400, "errors": list(errors), "messages": [],
                                   "result": result}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                api.calls.append((self.command, self.path, body))
                if self.headers.get("authorization") != f"Bearer {api.token}":
                    return self._send(403, errors=[{"code": 10000, "message": "Authentication error"}])
                base = f"/client/v4/accounts/{ACCOUNT}/workers/scripts/oidc-data-proxy-staging"
                not_found = [{"code": 10007, "message": "workers.api.error.script_not_found"}]
                if self.command == "GET" and self.path == base + "/secrets":
                    if not api.exists:
                        return self._send(404, errors=not_found)
                    return self._send(200, [{"name": s, "type": "secret_text"} for s in api.secrets])
                if self.command == "PATCH" and self.path == base + "/secrets-bulk":
                    if not api.exists:
                        return self._send(404, errors=not_found)
                    return self._send(200, {})
                if self.command == "PUT" and self.path.startswith(base):
                    api.exists = True  # the draft Worker wrangler creates on a new account
                    return self._send(200, {"id": "oidc-data-proxy-staging"})
                return self._send(404, errors=[{"code": 7003, "message": f"stub: no route {self.path}"}])

            do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/client/v4"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def bulk_bodies(self) -> list[dict]:
        return [json.loads(b) for m, p, b in self.calls if m == "PATCH" and p.endswith("/secrets-bulk")]


def run_upload(api: StubApi, tmp_path: Path, **secrets: str) -> subprocess.CompletedProcess:
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = clean_env(RUNNER_TEMP=str(runner_temp), DEPLOY_ENV="staging", CLOUDFLARE_API_BASE_URL=api.url,
                    CLOUDFLARE_API_TOKEN=TOKEN, CLOUDFLARE_ACCOUNT_ID=ACCOUNT, WRANGLER_SEND_METRICS="false",
                    CI="true", NO_COLOR="1", **secrets)
    # GitHub runs `run:` with `bash -e {0}`.
    p = subprocess.run(["bash", "-e", "-c", upload_script()], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=180)
    assert list(runner_temp.iterdir()) == [], "the secrets directory was left behind"
    return p


@pytest.fixture
def stub_api(request):
    apis = []

    def make(exists: bool, secrets=(), **kw):
        a = StubApi(exists, secrets, **kw)
        apis.append(a)
        return a

    yield make
    for a in apis:
        a.close()


REQUIRED = {"OIDC_PROVIDER_KEY": PEM, "OIDC_PROVIDER_KID": "oidc-20261122-0a1b2c3d",
            "SESSION_TOKEN_KEY": "QgtguAkLSdSSX3yj5T+ad1WykPNiJS19eE1yn8a/gkc="}


def test_existing_worker_one_bulk_with_deletions(stub_api, tmp_path):
    api = stub_api(True, ["OIDC_PROVIDER_KEY", "OIDC_PROVIDER_KID", "SESSION_TOKEN_KEY", "OIDC_PROVIDER_KEY_PREVIOUS",
                          "OIDC_PROVIDER_KID_PREVIOUS"])
    p = run_upload(api, tmp_path, **REQUIRED, SESSION_TOKEN_KEY_PREVIOUS="cHJldmlvdXMtc2Vzc2lvbi1rZXktMzItYnl0ZXMhIQ==",
                   BACKEND_SECRETS='{"MIRROR_ACCESS_KEY_ID": "AKIASTUB"}')
    assert p.returncode == 0, p.stdout + p.stderr
    (body,) = api.bulk_bodies()
    secrets = body["secrets"]
    assert secrets["OIDC_PROVIDER_KEY"] == {"name": "OIDC_PROVIDER_KEY", "text": PEM, "type": "secret_text"}
    assert secrets["OIDC_PROVIDER_KID"]["text"] == REQUIRED["OIDC_PROVIDER_KID"]
    assert secrets["SESSION_TOKEN_KEY_PREVIOUS"]["type"] == "secret_text"
    assert secrets["MIRROR_ACCESS_KEY_ID"]["text"] == "AKIASTUB"
    # The rotation finished: the previous key and kid on the Worker are deleted...
    assert secrets["OIDC_PROVIDER_KEY_PREVIOUS"] is None and secrets["OIDC_PROVIDER_KID_PREVIOUS"] is None
    # ...and empty optional secrets the Worker does not have are left out.
    assert "CATALOG_CONNECTION_KEYS" not in secrets
    assert "CLOUDFLARE_API_TOKEN" not in secrets
    out = p.stdout + p.stderr
    assert "MIIstub" not in out and REQUIRED["SESSION_TOKEN_KEY"] not in out


def test_new_account_creates_the_worker(stub_api, tmp_path):
    api = stub_api(False)
    p = run_upload(api, tmp_path, **REQUIRED)
    assert p.returncode == 0, p.stdout + p.stderr
    methods = [m for m, _, _ in api.calls]
    # list (not found) -> bulk (not found) -> draft Worker -> bulk
    assert methods == ["GET", "PATCH", "PUT", "PATCH"], api.calls
    last = api.bulk_bodies()[-1]["secrets"]
    assert set(last) == set(REQUIRED), last  # nothing to delete on a new Worker


def test_refuses_without_a_required_secret(stub_api, tmp_path):
    api = stub_api(True, [])
    p = run_upload(api, tmp_path, **{**REQUIRED, "SESSION_TOKEN_KEY": ""})
    assert p.returncode != 0
    assert "SESSION_TOKEN_KEY is empty" in p.stderr
    assert api.calls == [], "the Cloudflare API was called although a secret is missing"


def test_api_errors_other_than_not_found_stop(stub_api, tmp_path):
    """A refused token fails the listing, which must stop the step (not read as "no Worker")."""
    api = stub_api(True, [], token="the-token-cloudflare-expects")
    p = run_upload(api, tmp_path, **REQUIRED)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "Authentication error" in p.stderr
    assert api.bulk_bodies() == []
