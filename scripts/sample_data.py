#!/usr/bin/env python3
"""Generate the sample data tree that `make dev` seeds and the integration tests read.

    python3 scripts/sample_data.py OUT_DIR [--large-mib N]

Writes OUT_DIR/tree/<R2 key> for every object and OUT_DIR/manifest.json:
    {"version": ..., "bucket": ..., "objects": [{"key", "file", "size", "sha256",
     "content_type", "content_encoding"?, "cache_control"?, "custom_metadata"?}, ...]}
scripts/seed-r2.sh uploads exactly what the manifest lists; tests may read it for
expected bytes/sizes/hashes. Content is deterministic: the same script gives the
same bytes (the Parquet file too: pyarrow writes no timestamps).

Text objects (many/, nested/, odd/) contain their key relative to the product,
UTF-8, no newline: e.g. demo/public-data/odd/hello world.txt holds "odd/hello world.txt".

demo/wire-data/ holds objects for wire-level tests: enc/ text and binary content
types, some stored with a Content-Encoding (their bytes are what is stored, e.g.
gzip); k/ keys of 1002-1004 bytes of multi-byte characters, near S3's key limit.

--large-mib N adds demo/public-data/large/<N>mib.bin (never committed): every 8-byte
big-endian word holds its own byte offset, so any range can be checked from its offset.

Without pyarrow (e.g. system Python before `make tools`), cities.parquet is copied
from the committed scripts/fixtures/cities.parquet, which `--update-fixture` rewrites.
"""
import argparse
import csv
import hashlib
import io
import json
import shutil
import sys
from array import array
from pathlib import Path

BUCKET = "oidc-data-proxy-sample"
HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "cities.parquet"
# Any change to this file changes the version, so seeders re-seed.
VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

PUB = "demo/public-data/"
CITIES = [  # name, country, population, lat, lon
    ("Tokyo", "JP", 37400068, 35.6895, 139.6917),
    ("Delhi", "IN", 28514000, 28.7041, 77.1025),
    ("Shanghai", "CN", 25582000, 31.2304, 121.4737),
    ("São Paulo", "BR", 21650000, -23.5505, -46.6333),
    ("Mexico City", "MX", 21581000, 19.4326, -99.1332),
    ("Cairo", "EG", 20076000, 30.0444, 31.2357),
    ("Mumbai", "IN", 19980000, 19.0760, 72.8777),
    ("Beijing", "CN", 19618000, 39.9042, 116.4074),
    ("Dhaka", "BD", 19578000, 23.8103, 90.4125),
    ("Osaka", "JP", 19281000, 34.6937, 135.5023),
    ("New York", "US", 18819000, 40.7128, -74.0060),
    ("Karachi", "PK", 15400000, 24.8607, 67.0011),
    ("Buenos Aires", "AR", 14967000, -34.6037, -58.3816),
    ("Istanbul", "TR", 14751000, 41.0082, 28.9784),
    ("Lagos", "NG", 13463000, 6.5244, 3.3792),
    ("Paris", "FR", 10901000, 48.8566, 2.3522),
    ("London", "GB", 9046000, 51.5074, -0.1278),
    ("Nairobi", "KE", 4397000, -1.2921, 36.8219),
    ("Zürich", "CH", 421000, 47.3769, 8.5417),
    ("Reykjavík", "IS", 131000, 64.1466, -21.9426),
]
ODD = ["hello world.txt", "plus+sign.txt", "eq=ual.txt", "per%cent.txt",
       "unicodé-日本.txt", "amp&hash#q?.txt"]
TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet",
         ".geojson": "application/geo+json", ".txt": "text/plain; charset=utf-8",
         ".bin": "application/octet-stream"}
# Extra metadata on one object, so tests can check Cache-Control / x-amz-meta-* pass through.
EXTRA = {PUB + "cities.csv": {"cache_control": "public, max-age=60",
                              "custom_metadata": {"source": "oidc-data-proxy-sample"}}}

WIRE = "demo/wire-data/"
# Relative key lengths (bytes) of the k/ objects: with a product name of 20 characters
# (`{product}/` = 21 bytes) the keys clients see are 1023, 1024 and 1025 bytes long.
LONG_KEY_BYTES = (1002, 1003, 1004)


def long_key(n):
    """`k/`, then 2-, 3- and 4-byte characters in segments of at most 200 bytes (file
    names on disk), then `a`s up to exactly n bytes. Shorter ones are prefixes of longer ones."""
    head, seg = "k/", ""
    for c in "é日😀" * 400:
        if len((head + seg + c).encode()) > 980:
            break
        if len((seg + c).encode()) > 200:
            head, seg = head + seg + "/", ""
        seg += c
    head += seg + "/"
    return head + "a" * (n - len(head.encode()))


def wire_objects():
    """(key, bytes, metadata) of demo/wire-data/."""
    import gzip

    text = "".join(f"line {i}: plain text that compresses well\n" for i in range(100)).encode()
    table = cities_csv(CITIES * 20)
    blob = hashlib.sha256(b"blob").digest() * 128
    data = json.dumps([{"i": i, "name": "item"} for i in range(100)]).encode()
    yield WIRE + "enc/plain.txt", text, {"content_type": "text/plain; charset=utf-8"}
    yield WIRE + "enc/table.csv", table, {"content_type": "text/csv"}
    yield WIRE + "enc/blob.bin", blob, {"content_type": "application/octet-stream"}
    yield WIRE + "enc/data.json", data, {"content_type": "application/json"}
    yield WIRE + "enc/stored.json.gz", gzip.compress(data, mtime=0), {
        "content_type": "application/json", "content_encoding": "gzip"}
    yield WIRE + "enc/stored.csv.gz", gzip.compress(table, mtime=0), {
        "content_type": "text/csv", "content_encoding": "gzip"}
    # Not brotli at all: bytes that any attempt to decode would break.
    yield WIRE + "enc/opaque.br", blob[:200], {"content_type": "application/octet-stream", "content_encoding": "br"}
    for n in LONG_KEY_BYTES:
        yield WIRE + long_key(n), f"{n}-byte key".encode(), {"content_type": "text/csv"}


def cities_csv(rows=CITIES):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "country", "population", "lat", "lon"])
    w.writerows(rows)
    return buf.getvalue().encode()


def cities_parquet():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    cols = list(zip(*CITIES))
    table = pa.table({"name": pa.array(cols[0], pa.string()), "country": pa.array(cols[1], pa.string()),
                      "population": pa.array(cols[2], pa.int64()), "lat": pa.array(cols[3], pa.float64()),
                      "lon": pa.array(cols[4], pa.float64())})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def cities_geojson():
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
              "properties": {"name": n, "country": c, "population": p}} for n, c, p, lat, lon in CITIES]
    return json.dumps({"type": "FeatureCollection", "features": feats},
                      ensure_ascii=False, indent=1).encode() + b"\n"


def objects():
    """(key, bytes) for every small object, in a stable order."""
    parquet = cities_parquet()
    if parquet is None:
        parquet = FIXTURE.read_bytes()
    yield PUB + "cities.csv", cities_csv()
    yield PUB + "cities.parquet", parquet
    yield PUB + "cities.geojson", cities_geojson()
    for i in range(1200):
        yield PUB + f"many/{i:05d}.txt", f"many/{i:05d}.txt".encode()
    yield PUB + "nested/a/b/c.txt", b"nested/a/b/c.txt"
    for name in ODD:
        yield PUB + "odd/" + name, ("odd/" + name).encode()
    yield "demo/unlisted-data/hidden.csv", cities_csv(CITIES[:3])
    yield "demo/restricted-data/secret.csv", b"id,secret\n1,only-for-granted-principals\n"
    for key, data, _ in wire_objects():
        yield key, data


WIRE_META = {key: meta for key, _, meta in wire_objects()}


def write_large(path: Path, mib: int):
    words = 1024 * 1024 // 8
    with open(path, "wb") as f:
        for m in range(mib):
            a = array("Q", range(m * words * 8, (m + 1) * words * 8, 8))
            if sys.byteorder == "little":
                a.byteswap()
            f.write(a.tobytes())


def entry(key, path: Path, data=None):
    e = {"key": key, "file": str(path), "size": path.stat().st_size,
         "content_type": TYPES.get(Path(key).suffix, "application/octet-stream")}
    if data is not None:
        e["sha256"] = hashlib.sha256(data).hexdigest()
    e.update(EXTRA.get(key, {}))
    e.update(WIRE_META.get(key, {}))
    return e


def generate(out: Path, large_mib=0):
    tree = out / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    manifest = {"version": VERSION, "bucket": BUCKET, "objects": []}
    for key, data in objects():
        p = tree / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        manifest["objects"].append(entry(key, p, data))
    if large_mib:
        key = PUB + f"large/{large_mib}mib.bin"
        p = tree / key
        p.parent.mkdir(parents=True, exist_ok=True)
        write_large(p, large_mib)
        manifest["objects"].append(entry(key, p))  # no sha256: too slow for big files, use offsets
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?", type=Path, help="folder to write tree/ and manifest.json into")
    ap.add_argument("--large-mib", type=int, default=0, metavar="N", help="also write a generated N MiB object")
    ap.add_argument("--version", action="store_true", help="print the sample version and exit")
    ap.add_argument("--update-fixture", action="store_true",
                    help="rewrite scripts/fixtures/cities.parquet with pyarrow and exit")
    a = ap.parse_args()
    if a.version:
        print(VERSION)
    elif a.update_fixture:
        data = cities_parquet()
        if data is None:
            sys.exit("pyarrow is required for --update-fixture (use the venv: make tools)")
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_bytes(data)
        print(f"wrote {FIXTURE} ({len(data)} bytes)")
    elif a.out_dir:
        m = generate(a.out_dir, a.large_mib)
        print(f"{len(m['objects'])} objects, version {m['version']}, in {a.out_dir}")
    else:
        ap.error("OUT_DIR is required")


if __name__ == "__main__":
    main()
