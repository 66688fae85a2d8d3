"""The edge cache (OBJECT_CACHE=on) in real workerd, its Cache API included, in front of
moto behind a recording proxy (support/recproxy.py) that counts backend requests and bytes:
DuckDB reading Parquet and GDAL reading a GeoPackage cold then warm, every ranged answer
byte-identical to moto's, an object replaced between reads never mixed, a product turned
restricted refused at once although its bytes are still cached, and a restricted product's
answers to its grantee never stored (looked up in Miniflare's Cache API storage itself), and
on the HTTP catalog a product switched to restricted under a running Worker refused to
anonymous callers at the next request, its bytes still in the cache.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
import requests

from conftest import CATALOG_BUCKET, PROVIDER_KEY_PEM, PROVIDER_KID, _fail, running_catalog_worker
from support.clients import duckdb_conn, gdal_options, need
from support.procs import HarnessError, free_port
from support.recproxy import RecordingProxy
from support.sample import MOTO_BUCKET
from support.sts import assume, signed_get
from support.stubs import start_dev_idp
from support.wrangler import launch_worker, panics, wait_ready

MIB = 1024 * 1024
PREFIX = "cache-test/"
BLOCK = MIB


def _catalog(endpoint: str, issuer: str, visibility: str = "public", generation: int = 0) -> dict:
    backend = {"type": "s3", "endpoint": endpoint, "bucket": MOTO_BUCKET, "region": "us-east-1",
               "access_key_id_var": "MIRROR_ACCESS_KEY_ID", "secret_access_key_var": "MIRROR_SECRET_ACCESS_KEY"}
    product = {"backend": "rec", "prefix": PREFIX, "cache": {"generation": generation}}
    return {
        "backends": {"rec": backend},
        "accounts": {"cache": {"products": {
            "pub": {**product, "visibility": visibility},
            "unl": {**product, "visibility": "unlisted"},
            # Metadata trusted for 2 s only.
            "short": {**product, "visibility": "public", "cache": {"generation": generation, "ttl_secs": 2}},
            # The same bytes, restricted to alice of the rig's dev IdP.
            "sec": {**product, "visibility": "restricted", "grants": [{"issuer": issuer, "subject": "alice"}]},
        }}},
    }


class CacheRig:
    def __init__(self, tmp_root, env, moto):
        self.tmp_root, self.env, self.moto = tmp_root, env, moto
        self.rec = RecordingProxy(int(moto.url.rsplit(":", 1)[1]))
        self.proc = None
        self.port = None
        self.starts = 0
        self.state = tmp_root / "state-edge-cache"
        self.session_key = base64.b64encode(os.urandom(32)).decode()
        try:
            self.idp = start_dev_idp(free_port(), tmp_root / "idp" / "edge-cache", tmp_root / "logs" / "idp-edge-cache.log")
        except HarnessError as e:
            self.rec.stop()
            _fail(e)

    def start(self, **catalog_kw) -> None:
        self.stop_worker()
        self.starts += 1
        vars_ = {
            "MIRROR_ACCESS_KEY_ID": self.moto.creds.access_key_id,
            "MIRROR_SECRET_ACCESS_KEY": self.moto.creds.secret_access_key,
            "OBJECT_CACHE": "on",
            "OBJECT_CACHE_BLOCK_BYTES": str(BLOCK),
            "OBJECT_CACHE_WHOLE_MAX_BYTES": str(256 << 10),
            "LOG_LEVEL": "info",
            "AUTH_ISSUER": self.idp.issuer,
            "AUTH_AUDIENCE": "oidc-data-proxy",
            "OIDC_ALLOW_LOOPBACK_ISSUERS": "true",
        }
        try:
            # The same state dir every time: the Cache API's entries outlive a restart.
            self.proc, self.port = launch_worker(
                "wrangler-edge-cache", self.tmp_root / "workers" / f"edge-cache-{self.starts}",
                _catalog(self.rec.url, self.idp.issuer, **catalog_kw), vars_,
                {"SESSION_TOKEN_KEY": self.session_key}, self.state, self.env,
                self.tmp_root / "logs" / f"wrangler-edge-cache-{self.starts}.log", port=self.port)
            wait_ready(self.url, self.proc, 90)
        except HarnessError as e:
            _fail(e)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop_worker(self) -> list[str]:
        hits = []
        if self.proc is not None:
            self.proc.stop()
            hits = panics(self.proc)
            self.proc = None
        return hits


@pytest.fixture(scope="module")
def rig(tmp_root, wrangler_env, moto):
    r = CacheRig(tmp_root, wrangler_env, moto)
    r.start()
    yield r
    hits = r.stop_worker()
    r.rec.stop()
    r.idp.proc.stop()
    assert not hits, "the edge-cache Worker's log shows panics:\n" + "\n".join(hits[:20])


def _put(moto, key: str, data: bytes) -> None:
    moto.client().put_object(Bucket=MOTO_BUCKET, Key=PREFIX + key, Body=data)


def _cost(records: list[dict]) -> tuple[int, int]:
    return len(records), sum(r["bytes"] for r in records)


@pytest.fixture(scope="module")
def parquet(moto):
    pa = need("pyarrow")
    pq = need("pyarrow.parquet")
    rnd = random.Random(13)
    n = 300_000
    table = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "group": pa.array([rnd.randrange(50) for _ in range(n)], pa.int32()),
        "value": pa.array([rnd.random() for _ in range(n)], pa.float64()),
        "label": pa.array([f"label-{rnd.randrange(10_000)}" for _ in range(n)]),
    })
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=30_000, compression="none")
    data = buf.getvalue()
    assert len(data) > 4 * BLOCK, len(data)
    _put(moto, "data.parquet", data)
    return table


def _duckdb_pass(url: str) -> list:
    con = duckdb_conn(url)  # a new database each time: nothing cached on the client
    try:
        return con.execute(
            "SELECT \"group\", count(*), sum(id), round(sum(value), 6), min(label) FROM read_parquet('s3://cache/pub/data.parquet') "
            "WHERE id % 7 = 0 GROUP BY ALL ORDER BY 1").fetchall()
    finally:
        con.close()


def test_duckdb_parquet_cold_then_warm(rig, parquet):
    mark = rig.rec.mark()
    cold = _duckdb_pass(rig.url)
    cold_cost = _cost(rig.rec.since(mark))
    mark = rig.rec.mark()
    warm = _duckdb_pass(rig.url)
    warm_cost = _cost(rig.rec.since(mark))
    assert cold == warm and len(cold) == 50
    assert sum(r[1] for r in cold) == (parquet.num_rows + 6) // 7
    assert cold_cost[0] > 0 and cold_cost[1] > 0
    assert warm_cost == (0, 0), f"warm pass reached the backend: {rig.rec.since(mark)}"
    print(f"duckdb parquet: cold {cold_cost}, warm {warm_cost} (requests, bytes)")


def test_gdal_geopackage_cold_then_warm(rig, tmp_path):
    pyogrio = need("pyogrio")
    pa = need("pyarrow")
    rnd = random.Random(7)
    n = 40_000
    wkb = [b"\x01\x01\x00\x00\x00" + pa.array([rnd.uniform(-180, 180), rnd.uniform(-90, 90)],
                                               pa.float64()).buffers()[1].to_pybytes() for _ in range(n)]
    table = pa.table({"name": [f"p{i}" for i in range(n)], "v": list(range(n)), "geometry": pa.array(wkb, pa.binary())})
    local = tmp_path / "points.gpkg"
    pyogrio.write_arrow(table, str(local), layer="points", driver="GPKG", geometry_name="geometry",
                        geometry_type="Point", crs="EPSG:4326")
    data = local.read_bytes()
    assert len(data) > 2 * BLOCK, len(data)
    _put(rig.moto, "points.gpkg", data)
    _, want = pyogrio.read_arrow(str(local))

    def read() -> object:
        # Only the GeoPackage itself: no side-car probes (.aux, -wal) nor directory listings.
        opts = {**gdal_options(rig.url), "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".gpkg",
                "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
        pyogrio.set_gdal_config_options(opts)
        try:
            return pyogrio.read_arrow("/vsis3/cache/pub/points.gpkg", bbox=(-20, -20, 40, 40))[1]
        finally:
            pyogrio.set_gdal_config_options({k: None for k in opts})

    # GDAL also probes for side-car files (.aux, -wal, -journal): missing objects and
    # listings are never cached; only the reads of the GeoPackage itself count here.
    def own(records: list[dict]) -> list[dict]:
        return [x for x in records if x["path"].endswith("/points.gpkg")]

    mark = rig.rec.mark()
    cold = read()
    cold_cost = _cost(own(rig.rec.since(mark)))
    mark = rig.rec.mark()
    warm = read()
    warm_cost = _cost(own(rig.rec.since(mark)))
    _, local_sel = pyogrio.read_arrow(str(local), bbox=(-20, -20, 40, 40))
    assert cold.num_rows == local_sel.num_rows > 0 and cold.equals(warm)
    assert want.num_rows == n
    assert warm_cost == (0, 0), f"warm pass reached the backend: {own(rig.rec.since(mark))}"
    print(f"gdal gpkg: cold {cold_cost}, warm {warm_cost} (requests, bytes)")


RANGES = [None, "bytes=0-0", "bytes=0-99", "bytes=1048570-1048600", "bytes=3000000-", "bytes=-10",
          "bytes=-4000000", "bytes=1048576-2097151", "bytes=100-3500000", "bytes=3145727-3145727",
          "bytes=99999999-", "bytes=5-1"]
HEADERS = ["etag", "content-length", "content-range", "last-modified", "content-type", "accept-ranges"]


def test_answers_are_byte_identical_to_moto(rig):
    data = random.Random(3).randbytes(3 * MIB + 777)
    _put(rig.moto, "ident.bin", data)
    s3 = rig.moto.client()
    for rnd in ("cold", "warm"):
        for method in ("GET", "HEAD"):
            for rng in RANGES:
                h = {"Range": rng} if rng else {}
                got = requests.request(method, f"{rig.url}/cache/pub/ident.bin", headers=h, timeout=30)
                kw = {"Range": rng} if rng else {}
                try:
                    want = (s3.get_object if method == "GET" else s3.head_object)(
                        Bucket=MOTO_BUCKET, Key=PREFIX + "ident.bin", **kw)
                    status = want["ResponseMetadata"]["HTTPStatusCode"]
                    wh = want["ResponseMetadata"]["HTTPHeaders"]
                    body = want["Body"].read() if method == "GET" else b""
                except s3.exceptions.ClientError as e:  # 416
                    status, wh, body = int(e.response["ResponseMetadata"]["HTTPStatusCode"]), {}, None
                what = f"{rnd} {method} {rng}"
                assert got.status_code == status, what
                if body is None:
                    continue
                assert got.content == body, what
                for name in HEADERS:
                    assert got.headers.get(name) == wh.get(name), f"{what}: {name}"


def test_a_miss_is_one_backend_request(rig):
    data = random.Random(17).randbytes(3 * MIB + 99)
    for key in ("miss.bin", "miss-cond.bin", "miss-suffix.bin", "miss-head.bin"):
        _put(rig.moto, key, data)

    def sent(mark: int, key: str) -> list[tuple]:
        return [(x["method"], x["range"], x["status"], x["bytes"]) for x in rig.rec.since(mark)
                if x["path"].endswith("/" + key)]

    # Cold: the block the range overlaps, in one GET; its answer gave the metadata (no HEAD).
    mark = rig.rec.mark()
    r = requests.get(f"{rig.url}/cache/pub/miss.bin", headers={"Range": "bytes=1048600-1048700"}, timeout=30)
    assert r.status_code == 206 and r.content == data[1048600:1048701]
    assert r.headers["content-range"] == f"bytes 1048600-1048700/{len(data)}"
    assert sent(mark, "miss.bin") == [("GET", "bytes=1048576-2097151", 206, MIB)]
    mark = rig.rec.mark()
    r = requests.get(f"{rig.url}/cache/pub/miss.bin", headers={"Range": "bytes=2000000-2000009"}, timeout=30)
    assert r.content == data[2000000:2000010]
    assert sent(mark, "miss.bin") == [], "the block and the metadata were not cached"

    # A cold conditional that fails is moto's own 304, without a body fetched.
    etag = requests.head(f"{rig.url}/cache/unl/miss-cond.bin", timeout=30).headers["etag"]
    mark = rig.rec.mark()
    r = requests.get(f"{rig.url}/cache/pub/miss-cond.bin", headers={"Range": "bytes=0-99", "If-None-Match": etag},
                     timeout=30)
    assert r.status_code == 304 and r.headers["etag"] == etag and not r.content
    assert sent(mark, "miss-cond.bin") == [("GET", "bytes=0-1048575", 304, 0)]

    # A cold suffix goes as a suffix; the size comes from its Content-Range.
    mark = rig.rec.mark()
    r = requests.get(f"{rig.url}/cache/pub/miss-suffix.bin", headers={"Range": "bytes=-10"}, timeout=30)
    assert r.status_code == 206 and r.content == data[-10:]
    assert r.headers["content-range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"
    assert sent(mark, "miss-suffix.bin") == [("GET", "bytes=-10", 206, 10)]

    # A cold HEAD is one HEAD.
    mark = rig.rec.mark()
    r = requests.head(f"{rig.url}/cache/pub/miss-head.bin", timeout=30)
    assert r.status_code == 200 and r.headers["content-length"] == str(len(data))
    assert [x[0] for x in sent(mark, "miss-head.bin")] == ["HEAD"]


def test_concurrent_cold_reads_share_one_backend_request(rig):
    from concurrent.futures import ThreadPoolExecutor

    small = random.Random(19).randbytes(100_000)  # whole (under 256 KiB): the teed path
    big = random.Random(23).randbytes(2 * MIB + 5)  # block 1 read exactly: teed; block 0 in part: spliced
    _put(rig.moto, "together.bin", small)
    _put(rig.moto, "together-big.bin", big)
    cases = [("together.bin", None, small), ("together-big.bin", f"bytes={MIB}-{2 * MIB - 1}", big[MIB:2 * MIB]),
             ("together-big.bin", "bytes=10-20000", big[10:20001])]
    for key, rng, want in cases:
        mark = rig.rec.mark()

        def get(_):
            return requests.get(f"{rig.url}/cache/pub/{key}", headers={"Range": rng} if rng else {}, timeout=30)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(get, range(6)))
        assert all(a.status_code in (200, 206) and a.content == want for a in answers), (key, rng)
        assert all(a.headers["content-length"] == str(len(want)) for a in answers)
        got = [x for x in rig.rec.since(mark) if x["path"].endswith("/" + key)]
        assert len(got) == 1, (key, rng, got)
        mark = rig.rec.mark()
        assert get(0).content == want
        assert not [x for x in rig.rec.since(mark) if x["path"].endswith("/" + key)], "not stored"


def test_past_the_ttl_a_head_revalidates_and_the_blocks_are_reused(rig):
    data = random.Random(29).randbytes(2 * MIB + 1)
    _put(rig.moto, "short.bin", data)
    url = f"{rig.url}/cache/short/short.bin"
    assert requests.get(url, headers={"Range": "bytes=0-99"}, timeout=30).content == data[:100]
    time.sleep(2.5)
    mark = rig.rec.mark()
    r = requests.get(url, headers={"Range": "bytes=1000-2000"}, timeout=30)
    assert r.status_code == 206 and r.content == data[1000:2001]
    sent = [(x["method"], x["range"]) for x in rig.rec.since(mark) if x["path"].endswith("/short.bin")]
    assert sent == [("HEAD", None)], sent


def test_replaced_object_never_yields_mixed_bytes(rig):
    v1 = bytes(range(256)) * (12 * 1024)  # 3 MiB
    v2 = bytes(255 - b for b in v1)
    _put(rig.moto, "replaced.bin", v1)
    url = f"{rig.url}/cache/pub/replaced.bin"
    r = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    assert r.content == v1[:100]
    _put(rig.moto, "replaced.bin", v2)
    mark = rig.rec.mark()
    # Block 0 is cached (v1); block 1 is fetched pinned to v1's ETag: moto answers 412 and
    # the read starts over on v2, whole.
    r = requests.get(url, headers={"Range": "bytes=1000000-1100000"}, timeout=30)
    assert r.status_code == 206
    assert r.content in (v1[1_000_000:1_100_001], v2[1_000_000:1_100_001]), "mixed versions"
    assert r.content == v2[1_000_000:1_100_001]
    assert any(x["status"] == 412 for x in rig.rec.since(mark)), rig.rec.since(mark)
    for rng in ("bytes=0-99", "bytes=2097000-2098000"):
        r = requests.get(url, headers={"Range": rng}, timeout=30)
        a, b = (int(x) for x in rng.removeprefix("bytes=").split("-"))
        assert r.content == v2[a:b + 1], rng


def test_log_line_says_hit_and_backend_bytes(rig):
    _put(rig.moto, "logged.bin", b"x" * 5000)
    off = rig.proc.log_size()
    url = f"{rig.url}/cache/pub/logged.bin"
    for _ in range(2):
        r = requests.get(url, timeout=30)
        assert r.status_code == 200
        # What a downstream cache may do: share it, for at most the TTL (capped at 60 s).
        assert r.headers.get("cache-control") == "public, max-age=60, no-transform", r.headers
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [ln for ln in rig.proc.log_since(off).splitlines()
                 if '"msg":"request"' in ln and '"route":"object"' in ln]
        if len(lines) >= 2:
            break
        time.sleep(0.2)
    assert '"cache":"miss"' in lines[0] and '"backend_bytes":5000' in lines[0], lines[0]
    assert '"cache":"hit"' in lines[1] and '"backend_bytes":0' in lines[1], lines[1]


def test_product_turned_restricted_is_refused_at_once(rig):
    data = b"public for now " * 100
    _put(rig.moto, "turning.txt", data)
    url = f"{rig.url}/cache/pub/turning.txt"
    assert requests.get(url, timeout=30).content == data
    assert requests.get(url, timeout=30).content == data
    try:
        rig.start(visibility="restricted")  # same Cache API state: the bytes are still cached
        mark = rig.rec.mark()
        r = requests.get(url, timeout=30)
        assert r.status_code == 404 and b"NoSuchBucket" in r.content
        assert all("turning" not in x["path"] for x in rig.rec.since(mark)), "the backend was asked"
        assert requests.get(f"{rig.url}/cache/unl/turning.txt", timeout=30).content == data
    finally:
        rig.start()


def _hex(s: str) -> str:
    return s.encode().hex()


def cache_keys(state: Path) -> list[str]:
    """Every key in Miniflare's Cache API storage under the Worker's --persist-to (one SQLite
    database per cache, table _mf_entries)."""
    keys: list[str] = []
    dbs = sorted((state / "v3" / "cache").rglob("*.sqlite"))
    assert dbs, f"no Cache API storage under {state}"
    for db in dbs:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            keys += [k for (k,) in con.execute("SELECT key FROM _mf_entries")]
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise
        finally:
            con.close()
    return keys


def test_restricted_answers_never_enter_the_cache(rig):
    data = random.Random(11).randbytes(2 * MIB + 4321)  # blocked (above the whole-object size)
    small = b"restricted but small " * 50  # kept whole, were it cacheable
    _put(rig.moto, "secret.bin", data)
    _put(rig.moto, "secret.txt", small)
    creds = assume(rig.url, rig.idp.token("alice"))
    unfetched = []
    reads = [("secret.bin", {"Range": "bytes=1000-1048999"}, data[1000:1049000]),
             ("secret.bin", {}, data), ("secret.txt", {}, small), ("secret.txt", {"Range": "bytes=-7"}, small[-7:])]
    for key, headers, want in reads:
        for n in range(2):
            mark = rig.rec.mark()
            r = signed_get(rig.url, f"/cache/sec/{key}", creds, headers=headers)
            assert r.status in (200, 206) and r.body == want, r
            cc = r.h("cache-control") or ""
            assert "public" not in cc, f"a restricted answer tells downstream caches to share it: {r}"
            # Every read, the second too, goes to the backend: nothing was kept.
            if not [x for x in rig.rec.since(mark) if x["path"].endswith(key)]:
                unfetched.append(f"read {n + 1} of {key} {headers}")
    # The anonymous caller gets nothing, whatever is cached.
    assert requests.get(f"{rig.url}/cache/sec/secret.txt", timeout=30).status_code == 404
    # The same objects through the public product do enter the cache (the check below can fail).
    for key in ("secret.bin", "secret.txt"):
        assert requests.get(f"{rig.url}/cache/pub/{key}", headers={"Range": "bytes=0-9"}, timeout=30).status_code == 206
    acct = _hex("cache")
    deadline = time.monotonic() + 10
    while True:  # the cache writes finish after the answers (waitUntil)
        keys = cache_keys(rig.state)
        pub = [k for k in keys if f"/{acct}/{_hex('pub')}/{_hex(PREFIX + 'secret.')}" in k]
        if len(pub) >= 4 or time.monotonic() > deadline:  # meta + entry of each object
            break
        time.sleep(0.3)
    assert len(pub) >= 4, f"the public reads were not stored: {keys}"
    sec = [k for k in keys if f"/{_hex('sec')}/" in k or _hex("secret") in k and f"/{_hex('pub')}/" not in k]
    assert not sec, f"restricted entries in the Cache API: {sec}"
    assert not unfetched, f"restricted reads answered without the backend: {unfetched}"


@pytest.fixture(scope="module")
def cat_rig(tmp_root, wrangler_env, moto):
    """A Worker on the HTTP catalog (CATALOG_CACHE=off: it asks the stub at every request) with
    the edge cache on, its stub serving a copy of tests/fixtures/catalog that the test edits."""
    fixtures = tmp_root / "catalog-fixtures-edge-cache"
    shutil.rmtree(fixtures, ignore_errors=True)
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "catalog", fixtures)
    yield from running_catalog_worker(
        "edge-cache-catalog", tmp_root, wrangler_env, moto, kid=PROVIDER_KID, key_pem=PROVIDER_KEY_PEM.read_text(),
        fixtures=fixtures, extra_vars={"OBJECT_CACHE": "on", "CATALOG_CACHE": "off"})


def test_http_catalog_switch_to_restricted_is_refused_at_once(cat_rig, tmp_root, moto):
    fixtures = tmp_root / "catalog-fixtures-edge-cache"
    product_file = fixtures / "products" / "acme" / "turning.json"
    doc = json.loads((fixtures / "products" / "acme" / "public-data.json").read_text())
    doc["product_id"] = "turning"
    doc["metadata"]["mirrors"]["acme-s3-main"]["prefix"] = "acme/turning/"
    product_file.write_text(json.dumps(doc))
    data = random.Random(5).randbytes(3000)
    s3 = moto.client()
    try:
        s3.create_bucket(Bucket=CATALOG_BUCKET)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    s3.put_object(Bucket=CATALOG_BUCKET, Key="base/acme/turning/data.bin", Body=data)
    url = f"{cat_rig.url}/acme/turning/data.bin"
    off = cat_rig.worker.proc.log_size()
    for _ in range(2):
        r = requests.get(url, timeout=30)
        assert r.status_code == 200 and r.content == data, r.text[:300]
    lines = []
    deadline = time.monotonic() + 10
    while len(lines) < 2 and time.monotonic() < deadline:
        lines = [ln for ln in cat_rig.worker.proc.log_since(off).splitlines()
                 if '"msg":"request"' in ln and '"route":"object"' in ln]
        time.sleep(0.2)
    assert len(lines) == 2 and '"cache":"hit"' in lines[1], lines
    ours = f"/{_hex('acme')}/{_hex('turning')}/"
    assert [k for k in cache_keys(tmp_root / "state-edge-cache-catalog") if ours in k], "nothing was cached"

    doc["visibility"] = "restricted"  # no permissions file: nobody may read it
    product_file.write_text(json.dumps(doc))
    for rng in (None, "bytes=0-99"):
        r = requests.get(url, headers={"Range": rng} if rng else {}, timeout=30)
        assert r.status_code == 404 and b"NoSuchBucket" in r.content, (rng, r.status_code, r.text[:300])
        assert data[:100] not in r.content
    r = requests.head(url, timeout=30)
    assert r.status_code == 404
    # Refused although its bytes are still cached.
    assert [k for k in cache_keys(tmp_root / "state-edge-cache-catalog") if ours in k]
