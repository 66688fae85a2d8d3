"""The stub servers the tests and the benchmark start as processes of their own: the dev
identity provider (scripts/dev-idp.py) and the catalog API stub (stub_catalog.py), each
with a small client for what a test asks of it."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.procs import REPO, HarnessError, Proc


@dataclass
class DevIdp:
    """`scripts/dev-idp.py`: an OIDC issuer on 127.0.0.1 that mints
    RS256/ES256 ID tokens on request. Its log (stdout+stderr) is `proc.log_path`."""

    proc: Proc
    port: int
    state_dir: Path
    issuer_url: str | None = None  # --issuer, when it is not `url` (e.g. a proxy in front)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.issuer_url or self.url

    def _post(self, path: str, body: dict | None = None) -> dict:
        import requests

        r = requests.post(self.url + path, json=body or {}, timeout=10)
        if r.status_code != 200:
            raise HarnessError(f"dev IdP {path} -> {r.status_code}: {r.text[:500]}")
        return r.json()

    def token(self, sub: str, aud: str | list[str] = "oidc-data-proxy", **kw) -> str:
        """POST /token: kw = alg, ttl, kid, claims, omit, iat, nbf, exp."""
        return self._post("/token", {"sub": sub, "aud": aud, **kw})["token"]

    def rotate(self) -> dict:
        return self._post("/rotate")

    def discovery(self) -> dict:
        import requests

        return requests.get(self.url + "/.well-known/openid-configuration", timeout=10).json()

    def jwks(self) -> dict:
        import requests

        return requests.get(self.discovery()["jwks_uri"], timeout=10).json()


def start_dev_idp(port: int, state_dir: Path, log_path: Path, python: str | None = None,
                  timeout: float = 30, issuer: str | None = None) -> DevIdp:
    import requests

    script = REPO / "scripts" / "dev-idp.py"
    if not script.exists():
        raise HarnessError(f"{script} is missing (the dev identity provider)")
    state_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env["PYTHONUNBUFFERED"] = "1"
    proc = Proc.start(f"dev-idp:{port}", [python or sys.executable, str(script), "--port", str(port),
                                           "--state-dir", str(state_dir), *(["--issuer", issuer] if issuer else [])],
                      log_path, env)
    idp = DevIdp(proc, port, state_dir, issuer)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise HarnessError(f"dev-idp.py exited with {proc.popen.returncode}\n{proc.tail()}")
        try:
            r = requests.get(idp.url + "/.well-known/openid-configuration", timeout=2)
            if r.status_code == 200:
                doc = r.json()
                if doc.get("issuer") != idp.issuer:
                    proc.stop()
                    raise HarnessError(f"dev IdP issuer {doc.get('issuer')!r} != {idp.issuer!r}")
                return idp
            last = f"{r.status_code} {r.text[:200]}"
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.1)
    proc.stop()
    raise HarnessError(f"dev IdP not ready after {timeout}s (last: {last})\n{proc.tail()}")


# --------------------------------------------------------------------------- catalog API stub


@dataclass
class StubCatalog:
    """`tests/support/stub_catalog.py` in its own process (see its docstring): the
    catalog API, verifying every bearer token against one JWKS URL."""

    proc: Proc
    url: str
    jwks_url: str
    issuer: str
    audience: str

    def records(self) -> list[dict]:
        """Every /api/ request since the last clear(), oldest first."""
        import requests

        return requests.get(self.url + "/_requests", timeout=10).json()

    def clear(self) -> None:
        import requests

        requests.delete(self.url + "/_requests", timeout=10).raise_for_status()


def start_stub_catalog(jwks_url: str, issuer: str, audience: str, s3_endpoint: str, log_path: Path,
                       slow_secs: float = 10.0, port: int = 0, timeout: float = 30,
                       fixtures: Path | None = None) -> StubCatalog:
    """Starts the stub on 127.0.0.1:`port` (0: any free one) and waits for its readiness line
    (`stub-catalog ready url=...`) in its log. It fetches the JWKS lazily, on the first
    token, so the proxy it trusts may start after it. `fixtures`: another fixture dir (the
    stub reads its files at every call, so a test may change the catalog under it)."""
    script = REPO / "tests" / "support" / "stub_catalog.py"
    env = os.environ.copy()
    env["PYTHONUNBUFFERED"] = "1"
    mark = log_path.stat().st_size if log_path.exists() else 0
    proc = Proc.start("stub-catalog", [sys.executable, str(script), "--port", str(port), "--jwks-url", jwks_url,
                                       "--issuer", issuer, "--audience", audience, "--s3-endpoint", s3_endpoint,
                                       "--slow-secs", str(slow_secs), "-v",
                                       *(["--fixtures", str(fixtures)] if fixtures else [])], log_path, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in proc.log_since(mark).splitlines():
            if line.startswith("stub-catalog ready url="):
                return StubCatalog(proc, line.split("url=", 1)[1].strip(), jwks_url, issuer, audience)
        if proc.popen.poll() is not None:
            raise HarnessError(f"stub_catalog.py exited with {proc.popen.returncode}\n{proc.tail()}")
        time.sleep(0.05)
    proc.stop()
    raise HarnessError(f"stub_catalog.py not ready after {timeout}s\n{proc.tail()}")
