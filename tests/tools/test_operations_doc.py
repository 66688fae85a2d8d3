"""docs/OPERATIONS.md stays in step with the tools it tells operators to run."""

from __future__ import annotations

import re

from toolslib import REPO, SCRIPTS

DOC = (REPO / "docs" / "OPERATIONS.md").read_text()


def test_every_script_named_exists():
    named = set(re.findall(r"scripts/[\w.-]+", DOC))
    assert named
    for s in named:
        assert (REPO / s).exists(), f"docs/OPERATIONS.md names {s}, which does not exist"


def test_every_option_used_exists():
    for script in ("deploy-config.py", "check-keys", "smoke-test.py", "gen-oidc-key", "gen-session-key"):
        text = (SCRIPTS / script).read_text()
        for line in re.findall(rf"scripts/{re.escape(script)}[^\n`|]*", DOC):
            for opt in re.findall(r"(?<![\w-])--[a-z][a-z-]+", line):
                assert f'"{opt}"' in text, f"{script} has no option {opt} (docs/OPERATIONS.md: {line.strip()})"


def test_every_secret_of_wrangler_toml_is_documented():
    header = (REPO / "wrangler.toml").read_text().split("name = ")[0]
    for name in re.findall(r"^#\s+([A-Z][A-Z0-9_]{3,})\s", header, re.M):
        assert name in DOC, f"{name} (wrangler.toml's secrets) is not in docs/OPERATIONS.md"


def test_sections():
    for title in ("Deploy to a new Cloudflare account", "Rotate the OIDC signing key", "Rotate the session key",
                  "What to alert on", "Federated backend credentials"):
        assert re.search(rf"^## \d+\. {re.escape(title)}", DOC, re.M), title
