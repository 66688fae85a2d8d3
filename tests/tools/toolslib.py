"""Helpers for the tests of the deploy and key tools in scripts/ (run: make tools-test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
FIXTURES = REPO / "tests" / "fixtures" / "oidc"

# Everything the tools read from the environment: cleared so the host's values never leak in.
TOOL_VARS = (
    "OIDC_PROVIDER_ISSUER", "OIDC_PROVIDER_KEY", "OIDC_PROVIDER_KID", "OIDC_PROVIDER_KEY_PREVIOUS",
    "OIDC_PROVIDER_KID_PREVIOUS", "OIDC_PROVIDER_ROTATED_AT", "SESSION_TOKEN_KEY", "SESSION_TOKEN_KEY_PREVIOUS",
    "SESSION_TOKEN_KEY_ROTATED_AT", "AUTH_ISSUER", "AUTH_AUDIENCE", "ROLES", "OIDC_ALLOW_LOOPBACK_ISSUERS",
    "CATALOG_URL", "CATALOG_CONNECTION_KEYS", "BACKEND_SECRETS", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID",
    "SMOKE_URL", "GITHUB_OUTPUT",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TOOL_VARS}
    env.update(extra)
    return env


def run(script: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs scripts/<script> with this interpreter (python scripts) or bash (.sh)."""
    path = SCRIPTS / script
    cmd = ["bash", str(path)] if script.endswith(".sh") else [sys.executable, str(path)]
    return subprocess.run([*cmd, *args], env=env if env is not None else clean_env(), cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=timeout)


def out(p: subprocess.CompletedProcess) -> str:
    return p.stdout + p.stderr
