"""scripts/deploy-check.sh (`make deploy-check`): offline dry-run bundles per environment.

`make test` runs it on the real wrangler.toml right before this suite; here: it fails on an
unknown environment and on a configuration wrangler rejects, and it never rebuilds."""

from __future__ import annotations

import re

import pytest

from toolslib import REPO, out, run

SHIM = REPO / "build" / "worker" / "shim.mjs"
pytestmark = pytest.mark.skipif(not SHIM.exists(), reason="needs build/ (make build)")


def standalone_config(tmp_path, main: str) -> str:
    """The repository's wrangler.toml, usable from another directory (absolute paths)."""
    text = (REPO / "wrangler.toml").read_text()
    text = text.replace('main = "build/worker/shim.mjs"', f'main = "{main}"')
    text = text.replace('command = "bash scripts/build-worker.sh"', f'command = "bash {REPO}/scripts/build-worker.sh"')
    p = tmp_path / "wrangler.toml"
    p.write_text(text)
    return str(p)


def test_one_environment_bundles_without_rebuilding(tmp_path):
    wasm = REPO / "build" / "index_bg.wasm"
    before = wasm.stat().st_mtime_ns if wasm.exists() else None
    p = run("deploy-check.sh", "--config", standalone_config(tmp_path, str(SHIM)), "staging")
    assert p.returncode == 0, out(p)
    assert re.search(r"deploy-check: staging ok \(\d+ s, .*\): 6 vars, bundle \d+ KiB", p.stdout), out(p)
    assert "default ok" not in p.stdout and "production ok" not in p.stdout
    if before is not None:
        assert wasm.stat().st_mtime_ns == before, "deploy-check rebuilt the Worker"


def test_failures_are_reported_per_environment(tmp_path):
    """A configuration wrangler rejects (its entry point is missing), and an unknown environment."""
    p = run("deploy-check.sh", "--config", standalone_config(tmp_path, str(tmp_path / "missing.mjs")),
            "production", "nope")
    assert p.returncode == 1, out(p)
    assert "production FAILED" in p.stderr and "missing.mjs" in p.stderr, out(p)
    assert "nope FAILED" in p.stderr and 'No environment found in configuration with name "nope"' in p.stderr


def test_lint_failure_stops_before_wrangler(tmp_path):
    cfg = standalone_config(tmp_path, str(SHIM))
    text = open(cfg).read().replace('bucket_name = "oidc-data-proxy-production"', 'bucket_name = "oidc-data-proxy-staging"')
    open(cfg, "w").write(text)
    p = run("deploy-check.sh", "--config", cfg)
    assert p.returncode == 1 and "give each environment its own" in p.stderr, out(p)
    assert "ok (" not in p.stdout
