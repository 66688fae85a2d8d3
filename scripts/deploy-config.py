#!/usr/bin/env python3
"""wrangler.toml and secrets for deploys (make deploy-check, .github/workflows/deploy.yml).

    scripts/deploy-config.py lint
        Checks wrangler.toml: a local default needing no secrets; staging and production with
        their own R2 bucket, observability on, an https issuer, no secret among the vars.
    scripts/deploy-config.py show --env production [--ready] [--github-output]
        The environment's Worker name, issuer and smoke-test URL (SMOKE_URL, else the issuer).
        --ready: fail while a var or route is still a placeholder (an example.com host).
    scripts/deploy-config.py secrets --env production --check [--require-cloudflare]
        Fail (listing names, never values) when a required secret is empty.
    scripts/deploy-config.py secrets --env production --only NAME,NAME --out DIR/secrets.json
        Just those secrets (a rotation step by hand, docs/OPERATIONS.md): the set ones uploaded,
        the empty ones deleted (null).
    scripts/deploy-config.py secrets --env production --out DIR/secrets.json [--existing list.json]
        The `wrangler secret bulk` file, built from environment variables (never from the
        command line), created with mode 600: the required secrets, the optional ones that
        are set, `null` (= delete) for the optional ones that are empty but exist on the
        Worker (`--existing`: the output of `wrangler secret list`), and BACKEND_SECRETS, a
        JSON object of further secrets (backend keys: {"MIRROR_ACCESS_KEY_ID": "...", ...};
        a null value deletes one).

Secrets: required OIDC_PROVIDER_KEY, OIDC_PROVIDER_KID, SESSION_TOKEN_KEY; optional
OIDC_PROVIDER_KEY_PREVIOUS, OIDC_PROVIDER_KID_PREVIOUS, SESSION_TOKEN_KEY_PREVIOUS,
CATALOG_CONNECTION_KEYS (see wrangler.toml's comment block). Standard library, Python >= 3.11.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import odp_wrangler as W  # noqa: E402

REQUIRED = ("OIDC_PROVIDER_KEY", "OIDC_PROVIDER_KID", "SESSION_TOKEN_KEY")
OPTIONAL = ("OIDC_PROVIDER_KEY_PREVIOUS", "OIDC_PROVIDER_KID_PREVIOUS", "SESSION_TOKEN_KEY_PREVIOUS",
            "CATALOG_CONNECTION_KEYS")
CLOUDFLARE = ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID")
SECRET_NAMES = REQUIRED + OPTIONAL
EXTRA = "BACKEND_SECRETS"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
LOG_LEVELS = ("error", "warn", "info", "debug")
REQUIRED_ENVS = ("staging", "production")


def fail(msg: str, code: int = 1) -> int:
    print(f"deploy-config: {msg}", file=sys.stderr)
    return code


def set_(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


# --------------------------------------------------------------------------- lint


def lint(cfg: dict) -> list[str]:
    problems: list[str] = []
    if not (cfg.get("build") or {}).get("command"):
        problems.append("[build] command is missing (wrangler would deploy a stale or missing build/)")
    names = [None, *W.envs(cfg)]
    for env in REQUIRED_ENVS:
        if env not in names:
            problems.append(f"[env.{env}] is missing")
    buckets: dict[str, str] = {}
    for env in names:
        where = f"[env.{env}]" if env else "top level"
        try:
            r = W.resolve(cfg, env)
        except W.ConfigError as e:
            problems.append(str(e))
            continue
        vars_ = r.get("vars") or {}
        for k in vars_:
            if k in SECRET_NAMES or k in CLOUDFLARE or k.endswith("_SECRET_ACCESS_KEY"):
                problems.append(f"{where}: {k} is a secret, not a var (wrangler secret bulk; it would clash)")
        level = str(vars_.get("LOG_LEVEL", "info"))
        if level not in LOG_LEVELS:
            problems.append(f"{where}: LOG_LEVEL {level!r} is not one of {'|'.join(LOG_LEVELS)}")
        if "ROLES" in vars_:
            try:
                roles = json.loads(str(vars_["ROLES"]))
                if not isinstance(roles, list):
                    raise ValueError("not an array")
            except ValueError as e:
                problems.append(f"{where}: ROLES is not a JSON array ({e})")
        data = [b for b in r.get("r2_buckets") or [] if b.get("binding") == "DATA"]
        if not data or not data[0].get("bucket_name"):
            problems.append(f"{where}: no R2 binding DATA with a bucket_name (the static catalog reads it)")
        else:
            b = data[0]["bucket_name"]
            if b in buckets:
                problems.append(f"{where}: R2 bucket {b!r} is also {buckets[b]}'s: give each environment its own")
            buckets[b] = where
        if not (r.get("observability") or {}).get("enabled"):
            problems.append(f"{where}: observability is not enabled (no Workers Logs to alert on)")
        if env is None:
            # The local default must run with no secrets at all (make dev, wrangler dev).
            for k in ("CATALOG_URL", "OIDC_PROVIDER_ISSUER", "AUTH_ISSUER"):
                if k in vars_:
                    problems.append(f"top level: {k} would need secrets or services; keep the local default self-contained")
            continue
        iss = str(vars_.get("OIDC_PROVIDER_ISSUER", ""))
        if not re.fullmatch(r"https://[^/?#@\s]+/?", iss):
            problems.append(f"{where}: OIDC_PROVIDER_ISSUER must be the https origin the Worker is served at, "
                            f"got {iss!r}")
        if vars_.get("AUTH_ISSUER") and not str(vars_.get("AUTH_AUDIENCE", "")).strip():
            problems.append(f"{where}: AUTH_ISSUER without AUTH_AUDIENCE leaves the STS off (501)")
        if not (r.get("routes") or r.get("route")) and not r.get("workers_dev", True):
            problems.append(f"{where}: neither routes nor workers_dev: the Worker would be unreachable")
    return problems


def cmd_lint(args) -> int:
    try:
        cfg = W.load(args.config)
    except (OSError, ValueError) as e:
        return fail(f"{args.config}: {e}")
    problems = lint(cfg)
    for p in problems:
        print(f"deploy-config: {p}", file=sys.stderr)
    if problems:
        return 1
    envs = ", ".join(["(top level)", *W.envs(cfg)])
    print(f"deploy-config: {args.config} ok ({envs})")
    for env in W.envs(cfg):
        ph = W.placeholders(W.resolve(cfg, env))
        if ph:
            print(f"deploy-config: [env.{env}] placeholders to replace before deploying: {'; '.join(ph)}")
    return 0


# --------------------------------------------------------------------------- show


def cmd_show(args) -> int:
    try:
        cfg = W.load(args.config)
        r = W.resolve(cfg, args.env)
    except (OSError, ValueError) as e:
        return fail(str(e))
    issuer = str((r.get("vars") or {}).get("OIDC_PROVIDER_ISSUER", "")).rstrip("/")
    smoke = (os.environ.get("SMOKE_URL", "").strip() or issuer).rstrip("/")
    out = {"name": r["name"], "issuer": issuer, "smoke_url": smoke}
    for k, v in out.items():
        print(f"{k}={v}")
    if args.github_output:
        path = os.environ.get("GITHUB_OUTPUT")
        if not path:
            return fail("--github-output: GITHUB_OUTPUT is not set")
        with open(path, "a", encoding="utf-8") as f:
            for k, v in out.items():
                if "\n" in v:
                    return fail(f"{k} contains a newline")
                f.write(f"{k}={v}\n")
    if args.ready:
        problems = W.placeholders(r)
        if not issuer:
            problems.append("vars.OIDC_PROVIDER_ISSUER is not set")
        if not smoke.startswith("https://"):
            problems.append(f"smoke-test URL {smoke!r} is not https")
        if problems:
            for p in problems:
                print(f"deploy-config: [env.{args.env}] not ready: {p}", file=sys.stderr)
            return fail(f"replace the placeholders in wrangler.toml [env.{args.env}] first (docs/OPERATIONS.md)")
    return 0


# --------------------------------------------------------------------------- secrets


def collect_only(names: list[str], env_vars: dict[str, str]) -> tuple[dict[str, str | None], list[str]]:
    """Just these secrets (a rotation step by hand): set ones uploaded, empty ones deleted;
    a required secret can not be deleted this way."""
    doc: dict[str, str | None] = {}
    problems = []
    for n in names:
        if not NAME.match(n) or n in CLOUDFLARE or n == EXTRA:
            problems.append(f"--only: {n!r} is not a secret this tool uploads")
        elif n in REQUIRED and not set_(n):
            problems.append(f"{n} is empty (a required secret is replaced, never deleted)")
        elif n in env_vars:
            problems.append(f"{n} is a var in wrangler.toml, not a secret")
        else:
            doc[n] = os.environ[n] if set_(n) else None
    return doc, problems


def collect(env_vars: dict[str, str], existing: set[str] | None) -> tuple[dict[str, str | None], list[str]]:
    """The secret bulk document and the list of problems (names only)."""
    problems = [f"{n} is empty" for n in REQUIRED if not set_(n)]
    doc: dict[str, str | None] = {n: os.environ[n] for n in REQUIRED if set_(n)}
    for n in OPTIONAL:
        if set_(n):
            doc[n] = os.environ[n]
        elif existing is None or n in existing:
            doc[n] = None
    extra = os.environ.get(EXTRA, "").strip()
    if extra:
        try:
            more = json.loads(extra)
        except ValueError:
            more = None
        if not isinstance(more, dict):
            problems.append(f"{EXTRA} is not a JSON object of NAME: value")
            more = {}
        for k, v in more.items():
            if not NAME.match(k):
                problems.append(f"{EXTRA}: {k!r} is not a valid binding name")
            elif k in SECRET_NAMES or k in CLOUDFLARE or k == EXTRA:
                problems.append(f"{EXTRA}: {k} is managed on its own, not through {EXTRA}")
            elif v is not None and not isinstance(v, str):
                problems.append(f"{EXTRA}: the value of {k} must be a string (or null to delete it)")
            elif v is None and existing is not None and k not in existing:
                continue
            else:
                doc[k] = v
    for k, v in doc.items():
        if v is not None and k in env_vars:
            problems.append(f"{k} is both a var in wrangler.toml and a secret: remove one")
    if set_("CATALOG_URL") or "CATALOG_URL" in env_vars:
        if not set_("CATALOG_CONNECTION_KEYS"):
            print("deploy-config: note: CATALOG_URL is set and CATALOG_CONNECTION_KEYS is empty: "
                  "only data connections that need no keys will be readable", file=sys.stderr)
    return doc, problems


def read_existing(path: str) -> set[str]:
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        return set()
    items = json.loads(text)
    if not isinstance(items, list):
        raise ValueError("not a JSON array")
    return {i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)}


def cmd_secrets(args) -> int:
    try:
        cfg = W.load(args.config)
        env_vars = W.vars_of(cfg, args.env)
    except (OSError, ValueError) as e:
        return fail(str(e))
    existing = None
    if args.existing:
        try:
            existing = read_existing(args.existing)
        except (OSError, ValueError, KeyError) as e:
            return fail(f"--existing {args.existing}: {e}")
    if args.only:
        doc, problems = collect_only([n.strip() for n in args.only.split(",") if n.strip()], env_vars)
    else:
        doc, problems = collect(env_vars, existing)
    if args.require_cloudflare:
        problems = [f"{n} is empty" for n in CLOUDFLARE if not set_(n)] + problems
    if problems:
        for p in problems:
            print(f"deploy-config: {p}", file=sys.stderr)
        return fail(f"refusing to deploy [env.{args.env}]: {len(problems)} problem(s) with its secrets")
    sets = sorted(k for k, v in doc.items() if v is not None)
    deletes = sorted(k for k, v in doc.items() if v is None)
    summary = f"set {', '.join(sets)}" + (f"; delete {', '.join(deletes)}" if deletes else "")
    if args.check:
        print(f"deploy-config: secrets for [env.{args.env}] present ({summary}; values not shown)")
        return 0
    if not args.out:
        return fail("secrets: --out FILE or --check is needed")
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return fail(f"{args.out} exists: refusing to overwrite a secrets file")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    print(f"deploy-config: wrote {args.out} (mode 600): {summary}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--config", default=str(W.WRANGLER_TOML), help="wrangler.toml to read")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("lint")
    s = sub.add_parser("show")
    s.add_argument("--env", required=True)
    s.add_argument("--ready", action="store_true")
    s.add_argument("--github-output", action="store_true")
    s = sub.add_parser("secrets")
    s.add_argument("--env", required=True)
    s.add_argument("--check", action="store_true")
    s.add_argument("--require-cloudflare", action="store_true")
    s.add_argument("--out")
    s.add_argument("--existing", help="`wrangler secret list` output: delete only secrets that exist")
    s.add_argument("--only", help="NAME,NAME...: just these secrets (set = upload, empty = delete)")
    args = ap.parse_args(argv)
    return {"lint": cmd_lint, "show": cmd_show, "secrets": cmd_secrets}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
