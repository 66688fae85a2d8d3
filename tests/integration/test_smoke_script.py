"""scripts/smoke-test.py (what .github/workflows/deploy.yml runs after a deploy) against the
real Worker in workerd: it passes on the configured issuer and kid, and fails red otherwise."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import PROVIDER_ISSUER, PROVIDER_KID
from support.procs import REPO

SCRIPT = REPO / "scripts" / "smoke-test.py"


def smoke(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--url", url, "--timeout", "10", *args],
                          capture_output=True, text=True, timeout=120)


def cargo_version() -> str:
    m = re.search(r'^version = "([^"]+)"', (REPO / "Cargo.toml").read_text(), re.M)
    assert m
    return m.group(1)


def test_smoke_script_passes_on_the_worker(worker):
    p = smoke(worker.url, "--issuer", PROVIDER_ISSUER, "--expect-kid", PROVIDER_KID,
              "--expect-version", cargo_version())
    assert p.returncode == 0, p.stdout + p.stderr
    assert "smoke-test: 3 passed, 0 failed" in p.stdout
    assert f"kid {PROVIDER_KID}" in p.stdout


def test_smoke_script_fails_red_on_the_worker(worker):
    # Another issuer than the one the Worker was configured with: both documents disagree.
    p = smoke(worker.url, "--issuer", "https://other.itest.example")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 passed, 2 failed" in p.stdout, p.stdout
    # A kid that is not published (e.g. a rotation that did not reach the Worker).
    p = smoke(worker.url, "--issuer", PROVIDER_ISSUER, "--expect-kid", "not-deployed")
    assert p.returncode == 1 and "not published" in p.stdout, p.stdout
