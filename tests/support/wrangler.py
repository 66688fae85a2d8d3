"""`wrangler dev` of the prebuilt Worker: its generated config (and `.dev.vars`), its launch
on free ports, readiness, private copies of a `--persist-to` state, and the panic lines of
its log. Used by the integration suite, the benchmark and the soak/load runs."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import time
import tomllib
from pathlib import Path

from support.procs import INSTALL_HINT, REPO, HarnessError, Proc, free_port

R2_BUCKET = "oidc-data-proxy-sample"
PANIC_MARKERS = ("panicked at", "RuntimeError", "unreachable", "stack overflow", "Uncaught")
# workerd's own complaint when a CONNECT request arrives: it looks for a connect()
# handler, which a fetch-only Worker does not export, so none of our code runs.
RUNTIME_NOISE = ("Handler does not export a connect() function",)


def compat_settings() -> dict:
    """compatibility_date (and flags) of the project's wrangler.toml."""
    path = REPO / "wrangler.toml"
    if not path.exists():
        raise HarnessError(f"{path} is missing (tooling helper's piece)")
    cfg = tomllib.loads(path.read_text())
    out = {"compatibility_date": cfg["compatibility_date"]}
    if cfg.get("compatibility_flags"):
        out["compatibility_flags"] = cfg["compatibility_flags"]
    return out


def dev_vars_line(name: str, value: str) -> str:
    """One `.dev.vars` line. wrangler parses it with dotenv, which keeps a single-quoted
    value literally but unescapes only \\n and \\r in a double-quoted one (a JSON value's
    `\\"` would stay a backslash and a quote): JSON goes single-quoted, PEM keys
    double-quoted with \\n."""
    if "'" not in value and "\n" not in value and "\r" not in value:
        return f"{name}='{value}'\n"
    if '"' in value or "\\" in value:
        raise HarnessError(f"{name}: value not representable in .dev.vars")
    return f"{name}={json.dumps(value)}\n"


def write_wrangler_config(path: Path, catalog: dict | None, vars_: dict[str, str],
                          secrets: dict[str, str] | None = None, *, name: str = "oidc-data-proxy-itest",
                          main: Path | None = None, r2: bool = True) -> Path:
    """A wrangler JSON config running a prebuilt entry module (no [build] step): `main`,
    default the Worker of build/.

    `catalog` becomes STATIC_CATALOG (None: no STATIC_CATALOG, e.g. for the HTTP
    catalog). `r2`: the DATA binding of the local R2 bucket. `secrets` go to a `.dev.vars`
    file beside the config (wrangler dev reads it from the config's directory and prints
    its values as "(hidden)", never in clear); one config per directory, then."""
    # ODP_ITEST_WORKER_MAIN: another entry module (only for developing this harness).
    shim = main or Path(os.environ.get("ODP_ITEST_WORKER_MAIN") or REPO / "build" / "worker" / "shim.mjs")
    if not shim.exists():
        raise HarnessError(f"{shim} is missing: run `make build` (or `bash scripts/build-worker.sh`) first")
    cfg = {
        "name": name,
        "main": str(shim),
        **compat_settings(),
        **({"r2_buckets": [{"binding": "DATA", "bucket_name": R2_BUCKET, "preview_bucket_name": R2_BUCKET}]}
           if r2 else {}),
        "vars": {**({"STATIC_CATALOG": json.dumps(catalog)} if catalog is not None else {}), **vars_},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg, indent=2))
    dev_vars = path.parent / ".dev.vars"
    if secrets:
        dev_vars.write_text("".join(dev_vars_line(k, v) for k, v in secrets.items()))
        dev_vars.chmod(0o600)
    elif dev_vars.exists():
        dev_vars.unlink()
    return path


def wrangler_cmd(env: dict[str, str]) -> list[str]:
    w = env.get("WRANGLER", "")
    parts = shlex.split(w)
    if not parts or not all(Path(p).exists() for p in parts):
        raise HarnessError(f"wrangler not installed (WRANGLER={w!r}): {INSTALL_HINT}")
    return parts


def launch_wrangler(env: dict[str, str], cfg: Path, persist_to: Path, log_path: Path, name: str,
                    port: int | None = None, cwd: Path | None = None) -> tuple[Proc, int]:
    """`wrangler dev -c cfg` on 127.0.0.1:`port` (default: a free one), with an inspector port
    of its own; not yet ready (see wait_ready)."""
    port, inspector = port or free_port(), free_port()
    proc = Proc.start(
        name,
        [*wrangler_cmd(env), "dev", "-c", str(cfg), "--ip", "127.0.0.1", "--port", str(port),
         "--inspector-port", str(inspector), "--persist-to", str(persist_to),
         "--show-interactive-dev-session=false"],
        log_path,
        env,
        cwd=cwd or cfg.parent,
    )
    return proc, port


def launch_worker(name: str, cfg_dir: Path, catalog: dict | None, vars_: dict[str, str], secrets: dict[str, str],
                  persist_to: Path, env: dict[str, str], log_path: Path, port: int | None = None) -> tuple[Proc, int]:
    """Writes the config (+ .dev.vars) into its own dir and starts `wrangler dev` on `port`
    (default: a free one); not yet ready. `catalog` None: no STATIC_CATALOG."""
    wrangler_cmd(env)  # a missing wrangler is reported before anything is written
    cfg = write_wrangler_config(cfg_dir / "wrangler.itest.json", catalog, vars_, secrets)
    return launch_wrangler(env, cfg, persist_to, log_path, name, port)


def wait_ready(url: str, proc: Proc, timeout: float) -> None:
    """Until `GET /` answers 200 (the Worker is loaded); HarnessError when wrangler exits or
    the time is up (the caller stops it)."""
    import requests

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise HarnessError(f"wrangler dev exited with {proc.popen.returncode}\n{proc.tail()}")
        try:
            r = requests.get(url + "/", timeout=2)
            if r.status_code == 200:
                return
            last = f"{r.status_code} {r.text[:200]}"
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.2)
    raise HarnessError(f"wrangler dev not ready after {timeout}s (last: {last})\n{proc.tail()}")


def copy_state(src: Path, dst: Path) -> Path:
    """A private copy of a wrangler --persist-to dir for another Worker instance: small
    files (sqlite) copied, big blobs hard-linked (R2 blobs are immutable)."""
    if dst.exists():
        return dst
    for root, _dirs, files in os.walk(src):
        out = dst / Path(root).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            p = Path(root) / f
            if p.stat().st_size > 1 << 20:
                os.link(p, out / f)
            else:
                shutil.copy2(p, out / f)
    return dst


def runtime_noise(line: str) -> bool:
    return any(n in line for n in RUNTIME_NOISE)


def panics(proc: Proc) -> list[str]:
    """The lines of a Worker's log that show a panic or an uncaught error."""
    return [ln for ln in proc.log_since(0).splitlines()
            if any(m in ln for m in PANIC_MARKERS) and not runtime_noise(ln)]
