"""Session fixtures: moto (S3 with IAM auth on), local R2 seeded with the sample
tree, and the Worker under `wrangler dev` with a generated config.

Run (from the repo root, after `make build` and `scripts/install-tools.sh test`):
    . scripts/env.sh && "$ODP_VENV/bin/python" -m pytest tests/integration
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import json

import pytest

# tests/ is on sys.path (pytest.ini's pythonpath): the shared harness is tests/support.
from support import sample as sample_mod
from support.clients import Creds, boto3_client
from support.moto import Moto, start_moto
from support.procs import REPO, HarnessError, Proc, find_workerd, fixed_port, free_port, tools_env
from support.sample import EXTRAS_GZIP_BODY, EXTRAS_META, EXTRAS_META_BODY, EXTRAS_SSE_BODY, MOTO_BUCKET
from support.servers import StubS3
from support.stubs import DevIdp, StubCatalog, start_dev_idp, start_stub_catalog
from support.wrangler import PANIC_MARKERS, copy_state, launch_worker, panics, runtime_noise, wait_ready, \
    wrangler_cmd

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
        s3.put_object(Bucket=MOTO_BUCKET, Key="extras/stored.json.gz", Body=EXTRAS_GZIP_BODY,
                      ContentEncoding="gzip", ContentType="application/json")
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


# --------------------------------------------------------------------------- STS settings
#
# The STS configuration (IdP issuers, roles, grants) is given to the Worker
# only when the session collected tests marked `sts` (or ODP_ITEST_STS=1): the foundation
# suite (`-m "not sts"`) runs the Worker exactly as before, so it stays green on a build
# without STS (whose catalog parser would refuse `grants`).

AUDIENCE = "oidc-data-proxy"
GHA_AUDIENCE = "sts.amazonaws.com"
GHA_ROLE = "gha-reader"
GHA_REPO = "octo-org/octo-repo"
ROT_ROLE = "rot-reader"  # trusts only the second ("rotating") IdP
DEAD_ROLE = "dead-idp"  # trusts an issuer where nothing listens
GHA_CEILING = "demo/restricted-data"
# A role whose ceiling hides most of the public data (test_listing.py): listings must not show it.
NESTED_ROLE = "nested-reader"
NESTED_CEILING = ["demo/public-data/nested/*", "mirror/signed/nested/*"]
PREFIX_ROLE = "prefix-reader"  # the main IdP's audience; ceiling: one folder of public data
PREFIX_CEILING = "demo/public-data/nested/*"
VAULT = "vault"  # an account of restricted products only (its existence must not leak)
# see test_sts_idp_faults.py; `proxied` is a FaultProxy (faultproxy.py) in front of a dev IdP,
# and so is each `proxied-<mode>`: one issuer per fault class, as the Worker remembers a
# failed fetch per issuer for a few seconds
PROXIED_FAULTS = ("refuse", "delay", "trickle", "garbage", "junk", "huge", "cut")
FAULTS = ("mismatch", "jwks500", "big", "slow", "down", "rekey", "proxied") + tuple(
    f"proxied-{m}" for m in PROXIED_FAULTS)


def new_session_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class StsSettings:
    idp_port: int  # the dev IdP: AUTH_ISSUER (`_default`) and gha-reader's issuer
    rot_idp_port: int  # a second trusted dev IdP, rotated by the IdP-rotation test only
    foreign_idp_port: int  # a third dev IdP that no role trusts
    dead_port: int  # trusted by role dead-idp; nothing listens there
    session_key: str = field(repr=False)  # SESSION_TOKEN_KEY of the main Worker ("K1")
    # dev IdPs with injected faults (test_sts_idp_faults.py), each trusted by role `fault-<name>`
    fault_ports: dict[str, int] = field(default_factory=lambda: {n: fixed_port() for n in FAULTS})

    @staticmethod
    def url(port: int) -> str:
        return f"http://127.0.0.1:{port}"

    @property
    def issuer(self) -> str:
        return self.url(self.idp_port)

    @property
    def rot_issuer(self) -> str:
        return self.url(self.rot_idp_port)

    @property
    def foreign_issuer(self) -> str:
        return self.url(self.foreign_idp_port)

    @property
    def dead_issuer(self) -> str:
        return self.url(self.dead_port)

    def roles(self) -> list[dict]:
        anyone = [[{"claim": "sub", "glob": "*"}]]
        return [
            # GitHub-Actions-shaped: one repository, its main branch, a prod* environment.
            {"name": GHA_ROLE, "issuers": [self.issuer], "audiences": [GHA_AUDIENCE],
             "bindings": [[{"claim": "repository", "equals": GHA_REPO},
                           {"claim": "ref", "equals": "refs/heads/main"},
                           {"claim": "environment", "glob": "prod*"}]],
             "ceiling": [GHA_CEILING], "max_duration": 3600, "pass_claims": ["repository"]},
            {"name": NESTED_ROLE, "issuers": [self.issuer], "audiences": [AUDIENCE],
             "bindings": anyone, "ceiling": NESTED_CEILING, "max_duration": 3600},
            {"name": ROT_ROLE, "issuers": [self.rot_issuer], "audiences": [AUDIENCE],
             "bindings": anyone, "ceiling": ["*"], "max_duration": 3600},
            {"name": DEAD_ROLE, "issuers": [self.dead_issuer], "audiences": [AUDIENCE],
             "bindings": anyone, "ceiling": ["*"], "max_duration": 3600},
            {"name": PREFIX_ROLE, "issuers": [self.issuer], "audiences": [AUDIENCE],
             "bindings": anyone, "ceiling": [PREFIX_CEILING], "max_duration": 3600},
        ] + [{"name": f"fault-{n}", "issuers": [self.url(p)], "audiences": [AUDIENCE], "bindings": anyone,
              "ceiling": ["*"], "max_duration": 3600} for n, p in self.fault_ports.items()]

    def grants(self) -> dict[str, list[dict]]:
        alice = {"issuer": self.issuer, "subject": "alice"}
        repo = {"issuer": self.issuer, "claim": "repository", "equals": GHA_REPO}
        return {
            "restricted-data": [alice, repo, {"issuer": self.rot_issuer, "subject": "alice"}],
            # same bytes, granted to alice only: the gha session has no grant (and no ceiling)
            "restricted-other": [alice],
            # same bytes, granted to alice and the repository, but outside gha-reader's ceiling
            "restricted-beyond": [alice, repo],
            # moto-backed restricted product (a signed session through an S3 backend)
            "hidden": [alice],
            # the only product of account `vault`: granted to alice and the repository
            # (the gha session has the grant but its ceiling stops at demo/restricted-data)
            "sealed": [alice, repo],
        }

    def worker_vars(self, session_key: str | None = None, previous: str | None = None,
                    audience: bool = True) -> tuple[dict[str, str], dict[str, str]]:
        """(vars, secrets) of an STS-enabled Worker."""
        vars_ = {"AUTH_ISSUER": self.issuer, "OIDC_ALLOW_LOOPBACK_ISSUERS": "true",
                 "ROLES": json.dumps(self.roles())}
        if audience:
            vars_["AUTH_AUDIENCE"] = AUDIENCE
        secrets = {}
        key = self.session_key if session_key is None else session_key
        if key:
            secrets["SESSION_TOKEN_KEY"] = key
        if previous:
            secrets["SESSION_TOKEN_KEY_PREVIOUS"] = previous
        return vars_, secrets


def sts_wanted(session) -> bool:
    flag = os.environ.get("ODP_ITEST_STS", "")
    if flag in ("0", "1"):
        return flag == "1"
    return any(item.get_closest_marker("sts") for item in session.items)


@pytest.fixture(scope="session")
def sts_settings(request) -> StsSettings | None:
    if not sts_wanted(request.session):
        return None
    return StsSettings(fixed_port(), fixed_port(), fixed_port(), fixed_port(), new_session_key())


def make_catalog(moto_url: str, stub_url: str, sts: StsSettings | None = None) -> dict:
    cat = _base_catalog(moto_url, stub_url)
    if sts is not None:
        demo = cat["accounts"]["demo"]["products"]
        restricted = dict(demo["restricted-data"])
        demo["restricted-other"] = dict(restricted)
        demo["restricted-beyond"] = dict(restricted)
        cat["accounts"][VAULT] = {"products": {"sealed": dict(restricted)}}
        for product, grants in sts.grants().items():
            account = {"hidden": "mirror", "sealed": VAULT}.get(product, "demo")
            cat["accounts"][account]["products"][product]["grants"] = grants
    return cat


def _base_catalog(moto_url: str, stub_url: str) -> dict:
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
            # The same objects (the sample's demo/wire-data/) on R2 and on moto, under a product
            # name shorter and one longer than their backend prefix (test_wire_*.py).
            "wire": {"products": {
                "r2": {"visibility": "public", "backend": "sample", "prefix": "demo/wire-data/"},
                "s3": {"visibility": "public", "backend": "mirror", "prefix": "base/wire-data/"},
                "r2-long-product-name": {"visibility": "public", "backend": "sample", "prefix": "demo/wire-data/"},
                "s3-long-product-name": {"visibility": "public", "backend": "mirror", "prefix": "base/wire-data/"},
            }},
        },
    }


@dataclass
class Worker:
    proc: Proc
    port: int
    moto: MotoBackend
    sts: StsSettings | None = None  # the STS configuration it runs with (None: foundation only)
    session_key: str | None = field(default=None, repr=False)  # its SESSION_TOKEN_KEY

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










_WORKER: list[Worker] = []
PROVIDER_ISSUER = "https://proxy.itest.example"
PROVIDER_KID = "itest-rsa-1"


@pytest.fixture(scope="session")
def worker(tmp_root, wrangler_env, r2_seeding, moto, r2_state, stub_backend, sts_settings) -> Worker:
    vars_ = {
        "MIRROR_ACCESS_KEY_ID": moto.creds.access_key_id,
        "MIRROR_SECRET_ACCESS_KEY": moto.creds.secret_access_key,
        "WRONG_ACCESS_KEY_ID": moto.creds.access_key_id,
        "WRONG_SECRET_ACCESS_KEY": WRONG_SECRET,
        "LOG_LEVEL": "info",
        # The proxy's own OIDC provider, with the public test key of tests/fixtures/oidc.
        "OIDC_PROVIDER_ISSUER": PROVIDER_ISSUER,
        "OIDC_PROVIDER_KID": PROVIDER_KID,
        "OIDC_PROVIDER_KEY": (REPO / "tests/fixtures/oidc/rsa-2048.pem").read_text(),
    }
    secrets: dict[str, str] = {}
    if sts_settings is not None:
        sv, secrets = sts_settings.worker_vars()
        vars_.update(sv)
        # before this Worker opens it: the extra (rotation) Workers get their own copy
        copy_state(r2_state, tmp_root / "state-extra")
    try:
        proc, port = launch_worker("wrangler", tmp_root, make_catalog(moto.url, stub_backend.url, sts_settings),
                                    vars_, secrets, r2_state, wrangler_env, tmp_root / "logs" / "wrangler.log")
    except HarnessError as e:
        _fail(e)
    w = Worker(proc, port, moto, sts_settings, secrets.get("SESSION_TOKEN_KEY"))
    try:
        wait_ready(w.url, proc, 90)
    except HarnessError as e:
        proc.stop()
        _fail(e)
    _WORKER.append(w)
    yield w
    _WORKER.remove(w)
    proc.stop()
    hits = panics(proc)
    assert not hits, "workerd log shows panics/uncaught errors during the session:\n" + "\n".join(hits[:20])


@dataclass
class WorkerFactory:
    """Starts more Worker instances with the main one's catalog and STS settings but other
    session keys (key rotation, STS disabled), each on its own port, with its own config
    dir, log and copy of the R2 state. All are stopped at the end of the session."""

    tmp_root: Path
    env: dict[str, str]
    moto: MotoBackend
    catalog: dict
    sts: StsSettings
    started: list[Worker]

    def start(self, *names_and_keys: tuple[str, dict]) -> list[Worker]:
        """start(("name", {"session_key": K2, "previous": K1, "audience": True}), ...):
        launches them in parallel, then waits until each is ready. A "vars" entry adds
        Worker variables (e.g. {"ISOLATE_STATS_EVERY": "1000"})."""
        launched = []
        for name, kw in names_and_keys:
            vars_, secrets = self.sts.worker_vars(**{k: v for k, v in kw.items() if k != "vars"})
            vars_["LOG_LEVEL"] = "info"
            vars_.update(kw.get("vars", {}))
            # One state copy per Worker: instances sharing a --persist-to dir collide on
            # its SQLite files (SQLITE_BUSY) when they start together.
            state = copy_state(self.tmp_root / "state-extra", self.tmp_root / f"state-{name}")
            proc, port = launch_worker(f"wrangler-{name}", self.tmp_root / "workers" / name, self.catalog,
                                        vars_, secrets, state, self.env,
                                        self.tmp_root / "logs" / f"wrangler-{name}.log")
            launched.append(Worker(proc, port, self.moto, self.sts, secrets.get("SESSION_TOKEN_KEY")))
        self.started.extend(launched)
        for w in launched:
            wait_ready(w.url, w.proc, 90)
        return launched


@pytest.fixture(scope="session")
def worker_factory(tmp_root, wrangler_env, worker, stub_backend) -> WorkerFactory:
    if worker.sts is None:
        _fail(HarnessError("worker_factory needs the STS settings (a test marked `sts`)"))
    f = WorkerFactory(tmp_root, wrangler_env, worker.moto, make_catalog(worker.moto.url, stub_backend.url, worker.sts),
                      worker.sts, [])
    yield f
    hits = []
    for w in f.started:
        w.proc.stop()
        hits += panics(w.proc)
    assert not hits, "extra workerd logs show panics/uncaught errors:\n" + "\n".join(hits[:20])


# --------------------------------------------------------------------------- dev identity providers


def _start_idp(name: str, port: int, tmp_root: Path, issuer: str | None = None) -> DevIdp:
    try:
        return start_dev_idp(port, tmp_root / "idp" / name, tmp_root / "logs" / f"idp-{name}.log", issuer=issuer)
    except HarnessError as e:
        _fail(e)


@pytest.fixture(scope="session")
def idp(tmp_root, sts_settings) -> DevIdp:
    """The dev IdP the Worker trusts (AUTH_ISSUER, gha-reader)."""
    if sts_settings is None:
        _fail(HarnessError("the idp fixture needs the STS settings (a test marked `sts`)"))
    i = _start_idp("main", sts_settings.idp_port, tmp_root)
    yield i
    i.proc.stop()


@pytest.fixture(scope="session")
def rot_idp(tmp_root, sts_settings) -> DevIdp:
    """A second trusted IdP (role rot-reader), for the IdP key rotation test."""
    i = _start_idp("rot", sts_settings.rot_idp_port, tmp_root)
    yield i
    i.proc.stop()


@pytest.fixture(scope="session")
def fault_idp(tmp_root, sts_settings):
    """fault_idp(name, faults) -> a dev IdP on the port of role `fault-<name>`, with the
    given /control faults set before the Worker ever asks it anything. `state` names its
    state dir (default `fault-<name>`): another one is another IdP on the same issuer."""
    import requests

    started: list[DevIdp] = []

    def start(name: str, faults: dict, state: str | None = None) -> DevIdp:
        i = _start_idp(state or f"fault-{name}", sts_settings.fault_ports[name], tmp_root)
        started.append(i)
        r = requests.post(i.url + "/control", json=faults, timeout=5)
        if r.status_code != 200:
            _fail(HarnessError(f"dev IdP /control refused {faults}: {r.status_code} {r.text[:300]}"))
        return i

    yield start
    for i in started:
        i.proc.stop()


@pytest.fixture(scope="session")
def foreign_idp(tmp_root, sts_settings) -> DevIdp:
    """A dev IdP that no role trusts."""
    i = _start_idp("foreign", sts_settings.foreign_idp_port, tmp_root)
    yield i
    i.proc.stop()


@pytest.fixture
def no_panic(worker):
    """Fails the test if the Worker's log gains a panic/uncaught error while it runs."""
    mark = worker.log_size()
    yield
    time.sleep(0.3)  # let wrangler flush the request's log lines
    new = worker.log_since(mark)
    hits = [ln for ln in new.splitlines() if any(m in ln for m in PANIC_MARKERS) and not runtime_noise(ln)]
    assert not hits, "workerd logged a panic/uncaught error:\n" + "\n".join(hits[:20])


# --------------------------------------------------------------------------- STS fixtures

SECRET_R2_KEY = "demo/restricted-data/secret.csv"


@pytest.fixture(scope="session")
def sts_worker(worker, idp) -> Worker:
    """The main Worker, with its STS configuration, and its trusted dev IdP running."""
    if worker.sts is None:
        _fail(HarnessError("the Worker runs without STS settings (ODP_ITEST_STS=0?)"))
    return worker


@pytest.fixture(scope="session")
def secret_bytes(sample) -> bytes:
    return sample.files[SECRET_R2_KEY]


@pytest.fixture(scope="session")
def extra_workers(worker_factory, sts_settings) -> dict[str, Worker]:
    """More Worker instances (started together, once per session):
    - `k2k1`: SESSION_TOKEN_KEY=K2, SESSION_TOKEN_KEY_PREVIOUS=K1 (K1 = the main Worker's key)
    - `k2`:   SESSION_TOKEN_KEY=K2 only
    - `nokey`: no SESSION_TOKEN_KEY (STS must answer 501)
    - `noaud`: no AUTH_AUDIENCE (STS must answer 501)"""
    k1, k2 = sts_settings.session_key, new_session_key()
    specs = [("k2k1", {"session_key": k2, "previous": k1}), ("k2", {"session_key": k2}),
             ("nokey", {"session_key": ""}), ("noaud", {"audience": False})]
    try:
        started = worker_factory.start(*specs)
    except HarnessError as e:
        _fail(e)
    return dict(zip([n for n, _ in specs], started))


# --------------------------------------------------------------------------- federation

@pytest.fixture(scope="session")
def fed_moto(tmp_root):
    """A moto of its own for web-identity backends (test_federation.py, test_faults.py):
    IAM auth on, role `fed-reader` trusting the proxy's issuer for stub_sts.FED_TRUSTED,
    FED_BUCKET holding FED_OBJECTS. Yields (moto, role ARN)."""
    from support.stub_sts import FED_BUCKET, FED_OBJECTS, FED_OTHER_BUCKET, FED_TRUSTED, start_fed_moto

    issuer_host = PROVIDER_ISSUER.split("://", 1)[1]
    try:
        moto, role_arn = start_fed_moto(tmp_root / "logs" / "moto-fed.log", issuer_host, FED_TRUSTED)
    except Exception as e:  # noqa: BLE001
        _fail(HarnessError(f"moto for the federation tests: {e!r}"))
    s3 = moto.client()
    s3.create_bucket(Bucket=FED_BUCKET)
    s3.create_bucket(Bucket=FED_OTHER_BUCKET)
    for k, v in FED_OBJECTS.items():
        s3.put_object(Bucket=FED_BUCKET, Key=k, Body=v)
    s3.put_object(Bucket=FED_OTHER_BUCKET, Key="data/hello.txt", Body=b"not for the role\n")
    yield moto, role_arn
    moto.proc.stop()


# --------------------------------------------------------------------------- HTTP catalog (issue 4)
#
# A Worker of its own with CATALOG_URL = the catalog stub (stub_catalog.py, fixtures in
# tests/fixtures/catalog), its OIDC provider signing the stub's bearer tokens, STS trusting
# a dev IdP of its own, and the data of the stub's S3 connection `acme-s3` in moto's bucket
# `catalog-data` under `base/acme/{product}/`, read with moto's keys (CATALOG_CONNECTION_KEYS).

CATALOG_BUCKET = "catalog-data"  # tests/fixtures/catalog/data-connections/acme-s3.json
CATALOG_CONNECTION = "acme-s3"
CATALOG_ACCOUNT = "acme"
CATALOG_TIMEOUT_MS = 1500
CATALOG_SLOW_SECS = 4.0  # the stub's `slow`: well past CATALOG_TIMEOUT_MS
CATALOG_SEEDED = ("public-data", "unlisted-data", "restricted-data", "disabled-data")
PROVIDER_KEY_PEM = REPO / "tests/fixtures/oidc/rsa-2048.pem"


@dataclass
class CatalogData:
    """Objects of the catalog's products in moto, by their key below the account:
    `{product}/{key}` -> bytes (each carries a per-session nonce)."""

    objects: dict[str, bytes]

    def of(self, product: str) -> dict[str, bytes]:
        return {k.split("/", 1)[1]: v for k, v in self.objects.items() if k.startswith(product + "/")}


@pytest.fixture(scope="session")
def catalog_data(moto) -> CatalogData:
    nonce = os.urandom(8).hex()
    objects = {}
    for product in CATALOG_SEEDED:
        objects[f"{product}/readme.txt"] = f"{CATALOG_ACCOUNT}/{product} readme {nonce}\n".encode()
        objects[f"{product}/nested/rows.csv"] = f"id,product,nonce\n1,{product},{nonce}\n".encode()
    s3 = moto.client()
    s3.create_bucket(Bucket=CATALOG_BUCKET)
    for key, body in objects.items():
        s3.put_object(Bucket=CATALOG_BUCKET, Key=f"base/{CATALOG_ACCOUNT}/{key}", Body=body)
    return CatalogData(objects)


@dataclass
class CatalogWorker:
    """A Worker on the HTTP catalog, and the stub it calls."""

    worker: Worker
    stub: StubCatalog
    kid: str | None  # OIDC_PROVIDER_KID
    key_pem: str | None = field(repr=False)  # OIDC_PROVIDER_KEY
    audience: str  # the aud its tokens must carry (what the stub checks)
    idp: DevIdp | None = None  # AUTH_ISSUER of its STS

    @property
    def url(self) -> str:
        return self.worker.url


def _launch_catalog_worker(name: str, tmp_root: Path, env: dict[str, str], moto: MotoBackend, *, kid: str | None,
                           key_pem: str | None, previous: tuple[str, str] | None = None, idp: DevIdp | None = None,
                           audience: str | None = None, extra_vars: dict[str, str] | None = None,
                           front=None, fixtures: Path | None = None) -> CatalogWorker:
    """Starts the stub, then the Worker calling it (not yet ready: see _wait_catalog_worker).
    The Worker's port is picked first: the stub verifies tokens against its JWKS.
    `kid`/`key_pem` None: no OIDC provider at all (OIDC_PROVIDER_* unset).
    `audience` None: no CATALOG_AUDIENCE (the default, CATALOG_URL without its trailing '/').
    `previous`: (kid, PEM) of OIDC_PROVIDER_KID_PREVIOUS / OIDC_PROVIDER_KEY_PREVIOUS.
    `front`: a FaultProxy (faultproxy.py) that CATALOG_URL names instead of the stub; it
    is pointed at the stub here. `fixtures`: the stub's fixture dir (default tests/fixtures/catalog)."""
    port, stub_port = free_port(), free_port()
    if front is not None:
        front.upstream = stub_port
    # the trailing '/' is not part of the default aud
    catalog_url = f"http://127.0.0.1:{front.port if front is not None else stub_port}/"
    expected_aud = audience or catalog_url.rstrip("/")
    stub = start_stub_catalog(f"http://127.0.0.1:{port}/.well-known/jwks.json", PROVIDER_ISSUER, expected_aud,
                              moto.url, tmp_root / "logs" / f"stub-catalog-{name}.log",
                              slow_secs=CATALOG_SLOW_SECS, port=stub_port, fixtures=fixtures)
    vars_ = {
        "CATALOG_URL": catalog_url,
        "CATALOG_TIMEOUT_MS": str(CATALOG_TIMEOUT_MS),
        "OIDC_ALLOW_LOOPBACK_ISSUERS": "true",
        "LOG_LEVEL": "info",
        **(extra_vars or {}),
    }
    secrets = {
        "CATALOG_CONNECTION_KEYS": json.dumps({CATALOG_CONNECTION: {
            "access_key_id": moto.creds.access_key_id, "secret_access_key": moto.creds.secret_access_key}}),
    }
    if kid is not None and key_pem is not None:
        vars_.update(OIDC_PROVIDER_ISSUER=PROVIDER_ISSUER, OIDC_PROVIDER_KID=kid)
        secrets["OIDC_PROVIDER_KEY"] = key_pem
    if audience:
        vars_["CATALOG_AUDIENCE"] = audience
    if previous:
        vars_["OIDC_PROVIDER_KID_PREVIOUS"] = previous[0]
        secrets["OIDC_PROVIDER_KEY_PREVIOUS"] = previous[1]
    if idp is not None:
        vars_.update(AUTH_ISSUER=idp.issuer, AUTH_AUDIENCE=AUDIENCE)
        secrets["SESSION_TOKEN_KEY"] = new_session_key()
    try:
        # An empty state dir of its own: no R2 data (every product is in moto), no SQLite sharing.
        proc, port = launch_worker(f"wrangler-{name}", tmp_root / "workers" / name, None, vars_, secrets,
                                    tmp_root / f"state-{name}", env, tmp_root / "logs" / f"wrangler-{name}.log",
                                    port=port)
    except Exception:
        stub.proc.stop()
        raise
    worker = Worker(proc, port, moto, None, secrets.get("SESSION_TOKEN_KEY"))
    return CatalogWorker(worker, stub, kid, key_pem, expected_aud, idp)


def _wait_catalog_worker(cw: CatalogWorker) -> CatalogWorker:
    try:
        wait_ready(cw.url, cw.worker.proc, 90)
    except HarnessError as e:
        _stop_catalog_worker(cw)
        _fail(e)
    return cw


def _stop_catalog_worker(cw: CatalogWorker) -> list[str]:
    """Stops both; returns the Worker's panic lines."""
    cw.worker.proc.stop()
    cw.stub.proc.stop()
    return panics(cw.worker.proc)


_LOG_TAILS: dict[str, list[Proc]] = {}  # fixture name -> processes whose log a failure shows


@pytest.fixture(scope="session")
def catalog_idp(tmp_root) -> DevIdp:
    """The dev IdP the HTTP-catalog Worker's STS trusts (AUTH_ISSUER)."""
    i = _start_idp("catalog", free_port(), tmp_root)
    yield i
    i.proc.stop()


@pytest.fixture(scope="session")
def catalog_worker(tmp_root, wrangler_env, moto, catalog_data, catalog_idp) -> CatalogWorker:
    """The Worker on the HTTP catalog: key tests/fixtures/oidc/rsa-2048.pem (kid as the
    main Worker's), CATALOG_TIMEOUT_MS=1500, no CATALOG_AUDIENCE."""
    yield from running_catalog_worker("catalog", tmp_root, wrangler_env, moto, kid=PROVIDER_KID,
                                      key_pem=PROVIDER_KEY_PEM.read_text(), idp=catalog_idp)


def running_catalog_worker(name: str, tmp_root: Path, env: dict[str, str], moto: MotoBackend, **kw):
    """For a fixture to `yield from`: a ready HTTP-catalog Worker and its stub (arguments as
    _launch_catalog_worker's), their log tails shown on failure, stopped afterwards, and
    their logs checked for panics."""
    try:
        cw = _launch_catalog_worker(name, tmp_root, env, moto, **kw)
    except HarnessError as e:
        _fail(e)
    _wait_catalog_worker(cw)
    _LOG_TAILS[name] = [cw.worker.proc, cw.stub.proc]
    yield cw
    _LOG_TAILS.pop(name, None)
    hits = _stop_catalog_worker(cw)
    assert not hits, f"the {name} Worker's log shows panics/uncaught errors:\n" + "\n".join(hits[:20])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        tails = [p for name, procs in _LOG_TAILS.items() if name in item.fixturenames for p in procs]
        for p in tails:
            rep.sections.append((f"{p.name} log (tail)", p.tail(40)))
        if _WORKER and not tails:
            rep.sections.append(("wrangler log (tail)", _WORKER[0].proc.tail(40)))
