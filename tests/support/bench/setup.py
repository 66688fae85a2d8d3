"""What the benchmark runs against: a private copy of build/, local R2 and moto seeded with
the bench objects, the proxy (and a plain JS Worker) under `wrangler dev`, and the GET check
before and after every load."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from support.bench.common import (BENCH_OBJECTS, MANY, MOTO_BUCKET, PRODUCT_PREFIX, REGION, REPO, STS_AUDIENCE,
                                  STS_PRODUCT, STS_SUBJECT, body_bytes, log, sha)
from support.moto import start_moto as start_moto_server
from support.procs import HarnessError, Proc
from support.wrangler import R2_BUCKET, launch_wrangler, wait_ready, write_wrangler_config, wrangler_cmd


def snapshot_build(logs: Path) -> Path:
    """A private copy of build/: `wrangler dev` reloads (restarting workerd mid-run) when
    the files it bundled change, e.g. when someone rebuilds the Worker during the bench."""
    dst = logs / "build"
    shutil.copytree(REPO / "build", dst)
    if not (dst / "worker" / "shim.mjs").exists() or not (dst / "index_bg.wasm").exists():
        raise HarnessError("build/ changed while it was copied (a build running?): try again")
    return dst


def write_config(path: Path, main: Path, catalog: dict | None, vars_: dict[str, str], name: str,
                 secrets: dict[str, str] | None = None) -> Path:
    """The harness's wrangler config of a prebuilt entry module `main`; the R2 binding and
    STATIC_CATALOG only with a `catalog` (none for the HTTP catalog and the JS Workers).
    With `secrets` (a `.dev.vars` beside it), give the config a directory of its own."""
    return write_wrangler_config(path, catalog, vars_, secrets, name=name, main=main, r2=catalog is not None)


def wasm_size(build: Path) -> dict:
    wasm = build / "index_bg.wasm"
    raw = wasm.read_bytes()
    if shutil.which("gzip"):
        gz = len(subprocess.run(["gzip", "-9", "-n", "-c", str(wasm)], check=True, capture_output=True).stdout)
    else:
        gz = len(gzip.compress(raw, 9, mtime=0))
    return {"raw": len(raw), "gzip9": gz, "sha256": sha(raw)[:12]}


def seed_r2(env: dict[str, str], state: Path, logs: Path, fresh: bool, main: Path) -> None:
    """The sample tree via scripts/seed-r2.sh (idempotent), then the bench objects via
    `wrangler r2 object put --local` (skipped when a stamp in the state dir says they
    are there with the same content)."""
    if fresh and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(REPO / "scripts" / "seed-r2.sh"), "--persist-to", str(state), "--quiet"],
                       env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise HarnessError(f"seed-r2.sh failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    log(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "seed-r2 done")
    stamp = state / "bench-objects.json"
    want = {k: sha(body_bytes(k)) for k in BENCH_OBJECTS}
    try:
        have = json.loads(stamp.read_text())
    except (OSError, ValueError):
        have = {}
    if have == want:
        log(f"R2 bench objects already present ({', '.join(BENCH_OBJECTS)})")
        return
    # wrangler needs a config naming the bucket; the prebuilt worker is never started here.
    cfg = write_config(logs / "wrangler.r2put.json", main, {"backends": {}, "accounts": {}}, {}, "odp-bench-r2put")
    # One put at a time: concurrent puts into the same local state race (a `fetch failed`
    # from one of them was seen with four objects).
    for key in BENCH_OBJECTS:
        f = logs / Path(key).name
        f.write_bytes(body_bytes(key))
        cmd = [*wrangler_cmd(env), "r2", "object", "put", f"{R2_BUCKET}/{PRODUCT_PREFIX}{key}", "--file", str(f),
               "--content-type", "application/octet-stream", "--local", "--persist-to", str(state), "-c", str(cfg)]
        r = subprocess.run(cmd, env=env, cwd=logs, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise HarnessError(f"wrangler r2 object put {key} failed:\n{r.stdout}")
    stamp.write_text(json.dumps(want))
    log(f"R2 bench objects put in {time.monotonic() - t0:.1f} s")


def start_moto(logs: Path) -> tuple[Proc, str]:
    """moto's S3 server, auth off (anonymous requests allowed), with the bench objects and
    the 1200 `many/` keys under the same prefix as in R2."""
    moto = start_moto_server(logs / "moto.log", auth=False)
    try:
        s3 = moto.client("bench", "bench")
        # moto checks ACLs for unsigned requests: public-read on the bucket (listing) and objects.
        s3.create_bucket(Bucket=MOTO_BUCKET, ACL="public-read")
        for key in BENCH_OBJECTS:
            s3.put_object(Bucket=MOTO_BUCKET, Key=PRODUCT_PREFIX + key, Body=body_bytes(key),
                          ContentType="application/octet-stream", ACL="public-read")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: s3.put_object(Bucket=MOTO_BUCKET, Key=PRODUCT_PREFIX + k, Body=k.encode(),
                                                  ContentType="text/plain", ACL="public-read"), MANY))
    except Exception:
        moto.proc.stop()
        raise
    return moto.proc, moto.url


def catalog(moto_url: str | None, sts_issuer: str | None = None) -> dict:
    """The bench's catalog: local R2 as `demo`, moto (unless `moto_url` is None) as `mirror`."""
    cat: dict = {
        "backends": {"sample": {"type": "r2", "binding": "DATA"}},
        "accounts": {
            "demo": {"products": {
                "public-data": {"visibility": "public", "backend": "sample", "prefix": PRODUCT_PREFIX}}},
        },
    }
    if moto_url:
        # No access_key_id_var/secret_access_key_var: anonymous (unsigned) backend requests.
        cat["backends"]["moto"] = {"type": "s3", "endpoint": moto_url, "bucket": MOTO_BUCKET, "region": REGION}
        cat["accounts"]["mirror"] = {"products": {
            "public-data": {"visibility": "public", "backend": "moto", "prefix": PRODUCT_PREFIX}}}
    if sts_issuer:
        # Restricted, same R2 prefix (same bytes) as demo/public-data, readable only by a
        # session of STS_SUBJECT at the bench's dev IdP.
        cat["accounts"]["demo"]["products"][STS_PRODUCT] = {
            "visibility": "restricted", "backend": "sample", "prefix": PRODUCT_PREFIX,
            "grants": [{"issuer": sts_issuer, "subject": STS_SUBJECT}]}
    return cat


def start_wrangler(env: dict[str, str], cfg: Path, state: Path, logs: Path, name: str,
                   port: int | None = None) -> tuple[Proc, str]:
    """`wrangler dev` of a generated config (prebuilt worker, no [build] step); ready once
    `GET /` answers 200. `port`: chosen beforehand (when the config must name the URL)."""
    proc, port = launch_wrangler(env, cfg, state, logs / f"{name}.log", name, port, cwd=logs)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, 90)
    except HarnessError:
        proc.stop()
        raise
    return proc, url


def start_worker(env: dict[str, str], build: Path, moto_url: str | None, state: Path, logs: Path, log_level: str,
                 name: str = "wrangler", sts_issuer: str | None = None) -> tuple[Proc, str]:
    """The proxy; with `sts_issuer`, STS on: `_default` trusts that issuer
    (loopback allowed) for STS_AUDIENCE, a fresh random SESSION_TOKEN_KEY (in .dev.vars), and
    the restricted product of catalog(). Each config in a directory of its own (.dev.vars)."""
    vars_ = {"LOG_LEVEL": log_level}
    secrets = None
    if sts_issuer:
        vars_.update({"AUTH_ISSUER": sts_issuer, "AUTH_AUDIENCE": STS_AUDIENCE, "OIDC_ALLOW_LOOPBACK_ISSUERS": "true"})
        secrets = {"SESSION_TOKEN_KEY": base64.b64encode(os.urandom(32)).decode()}
    cfg = write_config(logs / name / "wrangler.json", build / "worker" / "shim.mjs", catalog(moto_url, sts_issuer),
                       vars_, "odp-bench", secrets)
    return start_wrangler(env, cfg, state, logs, name)


RUST_FLOOR = REPO / "target" / "rust-floor"  # scripts/build-rust-floor.sh


def start_rust_floor(env: dict[str, str], state: Path, logs: Path, name: str, vars_: dict[str, str],
                     r2: bool = False) -> tuple[Proc, str]:
    """The bench's Rust floor (tests/support/bench/rust_floor: the floor's paths in a minimal
    Worker built the proxy's way), with `vars_` (BACKEND, LIST_BACKEND, PREFIX, DOCS)."""
    shim = RUST_FLOOR / "worker" / "shim.mjs"
    if not shim.exists():
        raise HarnessError(f"{shim} is missing: run `bash scripts/build-rust-floor.sh` first")
    cfg = write_wrangler_config(logs / name / "wrangler.json", None, vars_, name=f"odp-bench-{name}", main=shim, r2=r2)
    return start_wrangler(env, cfg, state, logs, name)


HELLO_JS = """export default {
  fetch() {
    return new Response('{"name":"hello"}', { headers: { "content-type": "application/json" } });
  },
};
"""


def start_hello(env: dict[str, str], state: Path, logs: Path) -> tuple[Proc, str]:
    """A plain JS Worker answering every request with a constant (the runtime's floor)."""
    (logs / "hello.mjs").write_text(HELLO_JS)
    cfg = write_config(logs / "hello.json", logs / "hello.mjs", None, {}, "odp-bench-hello")
    return start_wrangler(env, cfg, state, logs, "hello")


PASS_JS = """export default {
  // A proxy's floor: the same backend object, no checks, the Range header passed on.
  async fetch(req, env) {
    const u = new URL(req.url);
    if (u.pathname === "/") return new Response("ready");  // the harness's readiness probe
    const range = req.headers.get("range");
    return fetch(env.BACKEND + u.pathname, { headers: range ? { range } : {} });
  },
};
"""


def start_passthrough(env: dict[str, str], state: Path, logs: Path, backend: str) -> tuple[Proc, str]:
    """A plain JS Worker fetching `backend` + the request's path and streaming the answer."""
    (logs / "pass.mjs").write_text(PASS_JS)
    cfg = write_config(logs / "pass.json", logs / "pass.mjs", None, {"BACKEND": backend}, "odp-bench-pass")
    return start_wrangler(env, cfg, state, logs, "pass")


# --------------------------------------------------------------------------- checks


def check_get(url: str, expect_sha: str | None, what: str, headers: dict | None = None) -> requests.Response:
    """One GET before/after each load: must be 200 with the expected bytes."""
    r = requests.get(url, headers=headers, timeout=10)
    if r.status_code != 200:
        raise HarnessError(f"{what}: GET {url} -> {r.status_code}\n{r.headers}\n{r.text[:500]}")
    if expect_sha is not None and sha(r.content) != expect_sha:
        raise HarnessError(f"{what}: GET {url} -> 200 but {len(r.content)} bytes with the wrong sha256")
    return r
