"""Reads wrangler.toml the way wrangler resolves an environment (for the few things the
deploy scripts need: name, vars, bindings, routes). Standard library (Python >= 3.11)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WRANGLER_TOML = REPO / "wrangler.toml"

# Hosts reserved for documentation (RFC 2606 / 6761): a value on one is a placeholder.
PLACEHOLDER = re.compile(r"(^|[./@])example\.(com|net|org)\b|\.example\b|REPLACE[-_ ]?ME|CHANGE[-_ ]?ME",
                         re.IGNORECASE)


class ConfigError(ValueError):
    pass


def load(path: Path | str = WRANGLER_TOML) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def envs(cfg: dict) -> list[str]:
    return sorted((cfg.get("env") or {}).keys())


def resolve(cfg: dict, env: str | None) -> dict:
    """The effective settings of `env` (None = top level). Like wrangler: `vars`, `r2_buckets`
    and the other bindings are not inherited; name, build, compatibility_date, routes,
    workers_dev and observability are."""
    if not env:
        return dict(cfg, name=cfg.get("name"))
    sections = cfg.get("env") or {}
    if env not in sections:
        raise ConfigError(f"wrangler.toml has no [env.{env}] (environments: {', '.join(envs(cfg)) or 'none'})")
    e = sections[env]
    out = {k: v for k, v in cfg.items() if k in ("main", "compatibility_date", "build", "routes", "route",
                                                 "workers_dev", "observability")}
    out.update(e)
    out["name"] = e.get("name") or f"{cfg.get('name')}-{env}"
    for k in ("vars", "r2_buckets"):
        out[k] = e.get(k, {} if k == "vars" else [])
    return out


def vars_of(cfg: dict, env: str | None) -> dict[str, str]:
    return {k: str(v) for k, v in (resolve(cfg, env).get("vars") or {}).items()}


def placeholders(resolved: dict) -> list[str]:
    """`where: value` of every var or route still on a documentation host."""
    found = []
    for k, v in (resolved.get("vars") or {}).items():
        if isinstance(v, str) and PLACEHOLDER.search(v):
            found.append(f"vars.{k} = {v!r}")
    routes = resolved.get("routes") or ([resolved["route"]] if resolved.get("route") else [])
    for r in routes:
        pattern = r.get("pattern", "") if isinstance(r, dict) else str(r)
        zone = r.get("zone_name", "") if isinstance(r, dict) else ""
        if PLACEHOLDER.search(pattern) or PLACEHOLDER.search(zone):
            found.append(f"route {pattern!r}")
    return found
