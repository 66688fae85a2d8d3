"""scripts/deploy-config.py: the wrangler.toml lint, the readiness check deploy.yml runs,
and the `wrangler secret bulk` file it builds from environment variables."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib

import pytest

from toolslib import REPO, SCRIPTS, clean_env, out, run

sys.path.insert(0, str(SCRIPTS))
import odp_wrangler as W  # noqa: E402

READY = """
name = "odp"
main = "build/worker/shim.mjs"
compatibility_date = "2026-11-01"
[build]
command = "bash scripts/build-worker.sh"
[[r2_buckets]]
binding = "DATA"
bucket_name = "sample"
[vars]
LOG_LEVEL = "info"
[observability]
enabled = true

[env.staging]
workers_dev = true
[env.staging.observability]
enabled = true
[[env.staging.r2_buckets]]
binding = "DATA"
bucket_name = "odp-staging"
[env.staging.vars]
OIDC_PROVIDER_ISSUER = "https://odp-staging.acme.workers.dev"
AUTH_ISSUER = "https://login.acme.org"
AUTH_AUDIENCE = "odp"

[env.production]
routes = [{ pattern = "data.acme.org", custom_domain = true }]
[env.production.observability]
enabled = true
[[env.production.r2_buckets]]
binding = "DATA"
bucket_name = "odp-production"
[env.production.vars]
OIDC_PROVIDER_ISSUER = "https://data.acme.org"
"""


def cfg_file(tmp_path, text: str = READY, name: str = "wrangler.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def dc(*args: str, env: dict | None = None):
    return run("deploy-config.py", *args, env=env)


# --------------------------------------------------------------------------- the real file


def test_repository_wrangler_toml_lints_clean():
    p = dc("lint")
    assert p.returncode == 0, out(p)
    assert "(top level), production, staging" in p.stdout
    # Its environments are placeholders until an operator fills them in.
    assert "[env.production] placeholders" in p.stdout


def test_repository_local_default_needs_no_secrets():
    cfg = tomllib.loads((REPO / "wrangler.toml").read_text())
    top = W.resolve(cfg, None)
    assert set(top["vars"]) <= {"LOG_LEVEL", "CORS_ALLOWED_ORIGINS", "S3_REGION", "STATIC_CATALOG"}
    assert top["r2_buckets"][0]["preview_bucket_name"] == "oidc-data-proxy-sample"
    for env in ("staging", "production"):
        r = W.resolve(cfg, env)
        assert r["name"] == f"oidc-data-proxy-{env}"
        assert r["observability"]["enabled"] is True
        assert r["build"]["command"] == "bash scripts/build-worker.sh"  # inherited


def test_repository_environments_are_not_ready_to_deploy():
    """deploy.yml must refuse the placeholders as shipped."""
    for env in ("staging", "production"):
        p = dc("show", "--env", env, "--ready")
        assert p.returncode == 1, out(p)
        assert "example.com" in p.stderr and "not ready" in p.stderr


# --------------------------------------------------------------------------- lint


@pytest.mark.parametrize("edit,problem", [
    (lambda t: t.replace('[env.production]\n', '[env.prod]\n').replace("env.production.", "env.prod."),
     "[env.production] is missing"),
    (lambda t: t.replace('bucket_name = "odp-production"', 'bucket_name = "odp-staging"'),
     "give each environment its own"),
    (lambda t: t.replace('[env.production.observability]\nenabled = true', '[env.production.observability]\nenabled = false'),
     "[env.production]: observability is not enabled"),
    (lambda t: t + 'SESSION_TOKEN_KEY = "oops"\n', "SESSION_TOKEN_KEY is a secret, not a var"),
    (lambda t: t.replace('"https://data.acme.org"\n', '"https://data.acme.org/proxy"\n'),
     "OIDC_PROVIDER_ISSUER must be the https origin"),
    (lambda t: t.replace('AUTH_AUDIENCE = "odp"\n', ''), "AUTH_ISSUER without AUTH_AUDIENCE"),
    (lambda t: t.replace('[vars]\nLOG_LEVEL = "info"', '[vars]\nLOG_LEVEL = "loud"'), "LOG_LEVEL 'loud'"),
    (lambda t: t.replace('[vars]\n', '[vars]\nAUTH_ISSUER = "https://x"\n'), "keep the local default self-contained"),
    (lambda t: t.replace('[[env.staging.r2_buckets]]\nbinding = "DATA"', '[[env.staging.r2_buckets]]\nbinding = "OTHER"'),
     "[env.staging]: no R2 binding DATA"),
    (lambda t: t.replace('[build]\ncommand = "bash scripts/build-worker.sh"\n', ''), "[build] command is missing"),
])
def test_lint_finds(tmp_path, edit, problem):
    assert dc("--config", cfg_file(tmp_path), "lint").returncode == 0
    p = dc("--config", cfg_file(tmp_path, edit(READY), "broken.toml"), "lint")
    assert p.returncode == 1 and problem in p.stderr, out(p)


# --------------------------------------------------------------------------- show


def test_show_ready_and_github_output(tmp_path):
    gh = tmp_path / "gh_output"
    p = dc("--config", cfg_file(tmp_path), "show", "--env", "production", "--ready", "--github-output",
           env=clean_env(GITHUB_OUTPUT=str(gh)))
    assert p.returncode == 0, out(p)
    assert gh.read_text() == ("name=odp-production\nissuer=https://data.acme.org\n"
                              "smoke_url=https://data.acme.org\n")
    p = dc("--config", cfg_file(tmp_path), "show", "--env", "staging", "--ready",
           env=clean_env(SMOKE_URL="https://odp-staging.acme.workers.dev/"))
    assert p.returncode == 0 and "smoke_url=https://odp-staging.acme.workers.dev\n" in p.stdout, out(p)
    p = dc("--config", cfg_file(tmp_path), "show", "--env", "staging", "--ready",
           env=clean_env(SMOKE_URL="http://insecure.acme.org"))
    assert p.returncode == 1 and "not https" in p.stderr


def test_show_refuses_placeholder_routes(tmp_path):
    text = READY.replace('pattern = "data.acme.org"', 'pattern = "data.example.com"')
    p = dc("--config", cfg_file(tmp_path, text), "show", "--env", "production", "--ready")
    assert p.returncode == 1 and "route 'data.example.com'" in p.stderr, out(p)


# --------------------------------------------------------------------------- secrets

SECRETS = {
    "OIDC_PROVIDER_KEY": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    "OIDC_PROVIDER_KID": "oidc-20261122-0a1b2c3d",
    "SESSION_TOKEN_KEY": "k" * 43 + "=",
}
CF = {"CLOUDFLARE_API_TOKEN": "cf-token-value", "CLOUDFLARE_ACCOUNT_ID": "0123456789abcdef"}


@pytest.mark.parametrize("missing", [*SECRETS, *CF])
def test_check_refuses_each_empty_required_secret(tmp_path, missing):
    env = clean_env(**SECRETS, **CF)
    env[missing] = "  "
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--check", "--require-cloudflare",
           env=env)
    assert p.returncode == 1, out(p)
    assert f"{missing} is empty" in p.stderr and "refusing to deploy" in p.stderr
    for v in [*SECRETS.values(), *CF.values()]:
        assert v.strip() not in out(p), "a secret value was printed"


def test_check_passes_without_printing_values(tmp_path):
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--check", "--require-cloudflare",
           env=clean_env(**SECRETS, **CF))
    assert p.returncode == 0, out(p)
    for v in [*SECRETS.values(), *CF.values()]:
        assert v.strip() not in out(p)


def test_bulk_file(tmp_path):
    target = tmp_path / "secrets.json"
    env = clean_env(**SECRETS, **CF, SESSION_TOKEN_KEY_PREVIOUS="p" * 43 + "=",
                    BACKEND_SECRETS=json.dumps({"MIRROR_ACCESS_KEY_ID": "AKIA1", "MIRROR_SECRET_ACCESS_KEY": "s3cr3t",
                                                "GONE_KEY": None, "NEVER_EXISTED": None}))
    existing = tmp_path / "existing.json"
    existing.write_text(json.dumps([{"name": "OIDC_PROVIDER_KEY_PREVIOUS", "type": "secret_text"},
                                    {"name": "GONE_KEY", "type": "secret_text"}]))
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--existing", str(existing),
           "--out", str(target), env=env)
    assert p.returncode == 0, out(p)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    doc = json.loads(target.read_text())
    assert doc == {
        **SECRETS,
        "SESSION_TOKEN_KEY_PREVIOUS": "p" * 43 + "=",
        "OIDC_PROVIDER_KEY_PREVIOUS": None,  # empty now, exists on the Worker: deleted
        "MIRROR_ACCESS_KEY_ID": "AKIA1",
        "MIRROR_SECRET_ACCESS_KEY": "s3cr3t",
        "GONE_KEY": None,
    }
    # Cloudflare credentials are for wrangler, never uploaded to the Worker.
    assert "CLOUDFLARE_API_TOKEN" not in doc
    assert "s3cr3t" not in out(p) and "AKIA1" not in out(p)
    # Never overwrites (a stale file must not be uploaded by mistake).
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--out", str(target), env=env)
    assert p.returncode == 1 and "exists" in p.stderr


def test_bulk_file_without_existing_deletes_every_empty_optional(tmp_path):
    target = tmp_path / "s.json"
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "staging", "--out", str(target),
           env=clean_env(**SECRETS))
    assert p.returncode == 0, out(p)
    doc = json.loads(target.read_text())
    assert {k for k, v in doc.items() if v is None} == {
        "OIDC_PROVIDER_KEY_PREVIOUS", "OIDC_PROVIDER_KID_PREVIOUS", "SESSION_TOKEN_KEY_PREVIOUS",
        "CATALOG_CONNECTION_KEYS"}


@pytest.mark.parametrize("extra,problem", [
    ("[1, 2]", "not a JSON object"),
    ("{not json", "not a JSON object"),
    ('{"bad-name": "x"}', "not a valid binding name"),
    ('{"SESSION_TOKEN_KEY": "x"}', "managed on its own"),
    ('{"N": 5}', "must be a string"),
    ('{"AUTH_AUDIENCE": "x"}', "both a var in wrangler.toml and a secret"),
])
def test_bulk_file_refuses(tmp_path, extra, problem):
    target = tmp_path / "s.json"
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "staging", "--out", str(target),
           env=clean_env(**SECRETS, BACKEND_SECRETS=extra))
    assert p.returncode == 1 and problem in p.stderr, out(p)
    assert not target.exists()


def test_no_secret_value_on_the_command_line():
    """The workflow passes secrets only through env: deploy-config takes no value argument."""
    text = (SCRIPTS / "deploy-config.py").read_text()
    assert "sys.argv" not in text and "os.environ" in text
    assert os.access(SCRIPTS / "deploy-config.py", os.X_OK)


def test_only_some_secrets(tmp_path):
    """A rotation step by hand: just the previous key and kid; empty ones are deleted."""
    target = tmp_path / "s.json"
    p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--only",
           "OIDC_PROVIDER_KEY_PREVIOUS,OIDC_PROVIDER_KID_PREVIOUS,SESSION_TOKEN_KEY_PREVIOUS", "--out", str(target),
           env=clean_env(OIDC_PROVIDER_KEY_PREVIOUS="pem", OIDC_PROVIDER_KID_PREVIOUS="kid-2"))
    assert p.returncode == 0, out(p)
    assert json.loads(target.read_text()) == {"OIDC_PROVIDER_KEY_PREVIOUS": "pem", "OIDC_PROVIDER_KID_PREVIOUS": "kid-2",
                                              "SESSION_TOKEN_KEY_PREVIOUS": None}
    for names, problem in [("SESSION_TOKEN_KEY", "never deleted"), ("CLOUDFLARE_API_TOKEN", "not a secret this tool"),
                           ("OIDC_PROVIDER_ISSUER", "is a var in wrangler.toml")]:
        t = tmp_path / f"{names}.json"
        p = dc("--config", cfg_file(tmp_path), "secrets", "--env", "production", "--only", names, "--out", str(t))
        assert p.returncode == 1 and problem in p.stderr, out(p)
        assert not t.exists()
