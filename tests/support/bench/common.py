"""Constants and small helpers of the benchmark: the bench objects (same bytes in moto and
local R2), the STS product, logging."""

from __future__ import annotations

import hashlib
import os
import random
import time

from support.procs import REPO, tools_env  # noqa: F401  (REPO re-exported for the sections)


KIB, MIB = 1024, 1024 * 1024
MOTO_BUCKET = "bench-bucket"
REGION = "us-east-1"
PRODUCT_PREFIX = "demo/public-data/"  # same key layout in R2 and in moto
BENCH_OBJECTS = {"bench/obj-1k.bin": 1 * KIB, "bench/obj-64k.bin": 64 * KIB, "bench/obj-1m.bin": 1 * MIB}  # key relative to the product
MANY = [f"many/{i:05d}.txt" for i in range(1200)]  # as scripts/sample_data.py (content = key)
# STS (issue 3): a restricted product over the same R2 prefix as demo/public-data, granted to
# STS_SUBJECT of the bench's dev IdP; the signed GET reads STS_OBJECT through it, the anonymous
# GET the same object through demo/public-data.
STS_AUDIENCE = "oidc-data-proxy"
STS_SUBJECT = "alice"
STS_PRODUCT = "restricted-bench"
STS_OBJECT = "bench/obj-64k.bin"


def body_bytes(key: str) -> bytes:
    """Deterministic content of a bench object (same bytes in moto and R2)."""
    return random.Random(f"odp-bench:{key}").randbytes(BENCH_OBJECTS[key])


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def bench_env() -> dict[str, str]:
    """The tools' environment for a measured `wrangler dev`: no prompts, no metrics, and no
    local trace collector (`X_LOCAL_OBSERVABILITY=false`, unless set in our environment): it
    runs inside the Worker's workerd and adds 1–2 ms to every request; production has none."""
    env = tools_env()
    env.update(CI="true", WRANGLER_SEND_METRICS="false")
    env["X_LOCAL_OBSERVABILITY"] = os.environ.get("X_LOCAL_OBSERVABILITY", "false")
    return env
