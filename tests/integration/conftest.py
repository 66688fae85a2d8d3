"""Session fixtures: moto (S3 with IAM auth on), local R2 seeded with the sample
tree, and the Worker under `wrangler dev` with a generated config.

Run (from the repo root, after `make build` and `scripts/install-tools.sh test`):
    . scripts/env.sh && "$ODP_VENV/bin/python" -m pytest tests/integration
"""

from __future__ import annotations

import hashlib
import random
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    EXTRAS_META, EXTRAS_META_BODY, EXTRAS_SSE_BODY, MOTO_BUCKET, REPO, HarnessError, Moto, Proc,
    StubS3, find_workerd, free_port, start_moto, tools_env, write_wrangler_config, wrangler_cmd,
)
import sample as sample_mod  # noqa: E402
from clients import Creds, boto3_client  # noqa: E402

PANIC_MARKERS = ("panicked at", "RuntimeError", "unreachable", "stack overflow", "Uncaught")

WRONG_SECRET = "this-is-not-the-secret-key-0000000000000"
LARGE_KEY = "extras/big/large.bin"
LARGE_SIZE = 256 * 1024 * 1024
MIB = 1024 * 1024


def _fail(e: Exception):
    pytest.fail(f"harness: {e}", pytrace=False)


# --------------------------------------------------------------------------- session tmp + logs


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("odp-itest")


@pytest.fixture(scope="session")
def sample(tmp_root) -> sample_mod.SampleTree:
    try:
        return sample_mod.generate(tmp_root / "sample")
    except HarnessError as e:
        _fail(e)


# --------------------------------------------------------------------------- moto


@dataclass
class MotoBackend:
    moto: Moto

    @property
    def url(self) -> str:
        return self.moto.url

    @property
    def creds(self) -> Creds:
        return Creds(self.moto.access_key_id, self.moto.secret_access_key)

    def client(self):
        return boto3_client(self.url, self.creds, max_pool_connections=16)




def moto_key_for(r2_key: str) -> str:
    """R2 `demo/<product>/<key>` -> moto `base/<product>/<key>`."""
    assert r2_key.startswith("demo/")
    return "base/" + r2_key[len("demo/"):]


@pytest.fixture(scope="session")
def moto(tmp_root, sample) -> MotoBackend:
    try:
        m = start_moto(tmp_root / "logs" / "moto.log")
    except Exception as e:  # noqa: BLE001
        _fail(e)
    backend = MotoBackend(m)
    try:
        s3 = backend.client()
        s3.create_bucket(Bucket=MOTO_BUCKET)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda kv: s3.put_object(Bucket=MOTO_BUCKET, Key=moto_key_for(kv[0]), Body=kv[1]),
                          sample.files.items()))
        s3.put_object(Bucket=MOTO_BUCKET, Key="extras/meta.txt", Body=EXTRAS_META_BODY, **EXTRAS_META)
        s3.put_object(Bucket=MOTO_BUCKET, Key="extras/sse.txt", Body=EXTRAS_SSE_BODY, ServerSideEncryption="AES256")
        # Auth must really be on, or the mirror/* tests would not check the proxy's SigV4.
        import requests

        probe = f"{m.url}/{MOTO_BUCKET}/base/public-data/cities.csv"
        unsigned = requests.get(probe, timeout=10)
        bad = boto3_client(m.url, Creds(m.access_key_id, WRONG_SECRET))
        try:
            bad.head_object(Bucket=MOTO_BUCKET, Key="base/public-data/cities.csv")
            bad_refused = False
        except Exception:  # noqa: BLE001
            bad_refused = True
        if unsigned.status_code != 403 or not bad_refused:
            raise HarnessError(f"moto does not enforce auth (unsigned -> {unsigned.status_code}, "
                               f"bad signature refused: {bad_refused})")
    except Exception:
        print(m.proc.tail())
        m.proc.stop()
        raise
    yield backend
    m.proc.stop()


@pytest.fixture(scope="session")
def large_object(moto) -> dict:
    """A 256 MiB object of a deterministic pattern, put into moto by multipart
    upload (never on disk, never committed). Returns key, size, sha256."""
    base = random.Random(20261122).randbytes(MIB)
    part_mib = 16
    s3 = moto.client()
    digest = hashlib.sha256()
    up = s3.create_multipart_upload(Bucket=MOTO_BUCKET, Key=LARGE_KEY, ContentType="application/octet-stream")
    parts = []
    for n in range(LARGE_SIZE // (part_mib * MIB)):
        chunk = b"".join(struct.pack(">Q", i) + base[8:] for i in range(n * part_mib, (n + 1) * part_mib))
        digest.update(chunk)
        r = s3.upload_part(Bucket=MOTO_BUCKET, Key=LARGE_KEY, UploadId=up["UploadId"], PartNumber=n + 1, Body=chunk)
        parts.append({"PartNumber": n + 1, "ETag": r["ETag"]})
    s3.complete_multipart_upload(Bucket=MOTO_BUCKET, Key=LARGE_KEY, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})
    return {"key": LARGE_KEY, "size": LARGE_SIZE, "sha256": digest.hexdigest()}


# --------------------------------------------------------------------------- local R2


@pytest.fixture(scope="session")
def wrangler_env() -> dict[str, str]:
    try:
        env = tools_env()
        wrangler_cmd(env)
    except HarnessError as e:
        _fail(e)
    env["CI"] = "true"
    env["WRANGLER_SEND_METRICS"] = "false"
    return env


R2_LARGE_MIB = 256
R2_LARGE_KEY = f"large/{R2_LARGE_MIB}mib.bin"  # relative to demo/public-data


@pytest.fixture(scope="session")
def r2_seeding(tmp_root, wrangler_env) -> Proc:
    """Starts `scripts/seed-r2.sh` (about 20 s, mostly the 256 MiB object) so that it
    runs while moto is seeded; r2_state waits for it."""
    script = REPO / "scripts" / "seed-r2.sh"
    if not script.exists():
        _fail(HarnessError(f"{script} is missing (local R2 seeding)"))
    cmd = ["bash", str(script), "--persist-to", str(tmp_root / "state"), "--large-mib", str(R2_LARGE_MIB)]
    p = Proc.start("seed-r2", cmd, tmp_root / "logs" / "seed-r2.log", wrangler_env, cwd=tmp_root)
    yield p
    p.stop()


@pytest.fixture(scope="session")
def r2_state(tmp_root, sample, r2_seeding) -> Path:
    """A --persist-to dir whose local R2 bucket holds the sample tree plus a
    generated 256 MiB object (demo/public-data/large/256mib.bin, every 8-byte
    big-endian word = its offset), seeded by `scripts/seed-r2.sh`."""
    try:
        rc = r2_seeding.popen.wait(600)
    except Exception:
        r2_seeding.stop()
        raise
    if rc != 0:
        _fail(HarnessError(f"seeding local R2 failed ({rc})\n{r2_seeding.tail()}"))
    sample.public_extra_sizes[R2_LARGE_KEY] = R2_LARGE_MIB * MIB
    return tmp_root / "state"


def offset_pattern_sha256(size: int) -> str:
    """sha256 of the seeder's large object: 8-byte big-endian words holding their own offset."""
    from array import array

    digest, words = hashlib.sha256(), MIB // 8
    for m in range(size // MIB):
        a = array("Q", range(m * MIB, (m + 1) * MIB, 8))
        if sys.byteorder == "little":
            a.byteswap()
        digest.update(a.tobytes())
    assert words * 8 == MIB
    return digest.hexdigest()


@pytest.fixture(scope="session")
def r2_large_object(r2_state) -> dict:
    size = R2_LARGE_MIB * MIB
    return {"key": R2_LARGE_KEY, "size": size, "sha256": offset_pattern_sha256(size)}


# --------------------------------------------------------------------------- the Worker


@pytest.fixture(scope="session")
def stub_backend() -> StubS3:
    s = StubS3()
    yield s
    s.stop()


def make_catalog(moto_url: str, stub_url: str) -> dict:
    mirror = {"type": "s3", "endpoint": moto_url, "bucket": MOTO_BUCKET, "region": "us-east-1"}
    return {
        "backends": {
            "sample": {"type": "r2", "binding": "DATA"},
            "mirror": {**mirror, "access_key_id_var": "MIRROR_ACCESS_KEY_ID",
                       "secret_access_key_var": "MIRROR_SECRET_ACCESS_KEY"},
            "mirror-wrong": {**mirror, "access_key_id_var": "WRONG_ACCESS_KEY_ID",
                             "secret_access_key_var": "WRONG_SECRET_ACCESS_KEY"},
            # anonymous (unsigned) S3 backend: the recording stub
            "stub": {"type": "s3", "endpoint": stub_url, "bucket": "stub-bucket", "region": "us-east-1"},
        },
        "accounts": {
            "demo": {"products": {
                "public-data": {"visibility": "public", "backend": "sample", "prefix": "demo/public-data/"},
                "unlisted-data": {"visibility": "unlisted", "backend": "sample", "prefix": "demo/unlisted-data/"},
                "restricted-data": {"visibility": "restricted", "backend": "sample",
                                    "prefix": "demo/restricted-data/"},
            }},
            "mirror": {"products": {
                "signed": {"visibility": "public", "backend": "mirror", "prefix": "base/public-data/"},
                "wrongkey": {"visibility": "public", "backend": "mirror-wrong", "prefix": "base/public-data/"},
                "extras": {"visibility": "public", "backend": "mirror", "prefix": "extras/"},
                "hidden": {"visibility": "restricted", "backend": "mirror", "prefix": "base/restricted-data/"},
            }},
            "stub": {"products": {
                "p": {"visibility": "public", "backend": "stub", "prefix": "allowed/"},
            }},
        },
    }


@dataclass
class Worker:
    proc: Proc
    port: int
    moto: MotoBackend

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workerd_pid(self) -> int:
        return find_workerd(self.proc.popen.pid, self.port)

    def s3(self, **cfg):
        """boto3, anonymous (UNSIGNED), path-style, against the proxy."""
        return boto3_client(self.url, None, **cfg)

    def log_size(self) -> int:
        return self.proc.log_size()

    def log_since(self, offset: int) -> str:
        return self.proc.log_since(offset)


def _wait_ready(url: str, proc: Proc, timeout: float) -> None:
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


_WORKER: list[Worker] = []


@pytest.fixture(scope="session")
def worker(tmp_root, wrangler_env, r2_seeding, moto, r2_state, stub_backend) -> Worker:
    try:
        cmd = wrangler_cmd(wrangler_env)
        cfg = write_wrangler_config(
            tmp_root / "wrangler.itest.json",
            make_catalog(moto.url, stub_backend.url),
            {
                "MIRROR_ACCESS_KEY_ID": moto.creds.access_key_id,
                "MIRROR_SECRET_ACCESS_KEY": moto.creds.secret_access_key,
                "WRONG_ACCESS_KEY_ID": moto.creds.access_key_id,
                "WRONG_SECRET_ACCESS_KEY": WRONG_SECRET,
                "LOG_LEVEL": "info",
            },
        )
    except HarnessError as e:
        _fail(e)
    port, inspector = free_port(), free_port()
    proc = Proc.start(
        "wrangler",
        [*cmd, "dev", "-c", str(cfg), "--ip", "127.0.0.1", "--port", str(port),
         "--inspector-port", str(inspector), "--persist-to", str(r2_state),
         "--show-interactive-dev-session=false"],
        tmp_root / "logs" / "wrangler.log",
        wrangler_env,
        cwd=tmp_root,
    )
    w = Worker(proc, port, moto)
    try:
        _wait_ready(w.url, proc, 90)
    except HarnessError as e:
        proc.stop()
        _fail(e)
    _WORKER.append(w)
    yield w
    _WORKER.remove(w)
    proc.stop()
    log = proc.log_since(0)
    hits = [ln for ln in log.splitlines() if any(m in ln for m in PANIC_MARKERS)]
    assert not hits, "workerd log shows panics/uncaught errors during the session:\n" + "\n".join(hits[:20])


@pytest.fixture
def no_panic(worker):
    """Fails the test if the Worker's log gains a panic/uncaught error while it runs."""
    mark = worker.log_size()
    yield
    time.sleep(0.3)  # let wrangler flush the request's log lines
    new = worker.log_since(mark)
    hits = [ln for ln in new.splitlines() if any(m in ln for m in PANIC_MARKERS)]
    assert not hits, "workerd logged a panic/uncaught error:\n" + "\n".join(hits[:20])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed and _WORKER:
        rep.sections.append(("wrangler log (tail)", _WORKER[0].proc.tail(40)))
