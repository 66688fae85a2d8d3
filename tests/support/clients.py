"""How each S3 client is pointed at an endpoint (path-style, plain HTTP on
127.0.0.1), anonymously (the proxy) or with static keys (moto directly).

The same helpers serve test_client_config.py (each client against moto, signed)
and the proxy tests, so a client misconfiguration shows up there first and a
proxy test failure is the proxy's.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.procs import INSTALL_HINT, venv_dir

REGION = "us-east-1"


@dataclass(frozen=True)
class Creds:
    access_key_id: str
    secret_access_key: str


def need(module: str):
    """Import a client library, or fail (never skip) naming the install step."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.fail(f"Python module {module!r} not importable ({e}); {INSTALL_HINT}", pytrace=False)


def need_exe(name: str, where: list[Path] | None = None) -> str:
    for d in where or []:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"executable {name!r} not found; {INSTALL_HINT}", pytrace=False)
    return found


def clean_env() -> dict[str, str]:
    """The environment minus anything that would give a client credentials or a
    profile of the user's (and minus AWS_CA_BUNDLE, which rclone chokes on)."""
    env = os.environ.copy()
    for k in list(env):
        if k.startswith("AWS_") or k.startswith("RCLONE_"):
            del env[k]
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


# --------------------------------------------------------------------------- boto3


def boto3_client(endpoint: str, creds: Creds | None = None, **cfg):
    boto3 = need("boto3")
    from botocore import UNSIGNED
    from botocore.config import Config

    kw = {}
    if creds is None:
        config = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                        retries={"max_attempts": 1}, **cfg)
    else:
        config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **cfg)
        kw = {"aws_access_key_id": creds.access_key_id, "aws_secret_access_key": creds.secret_access_key}
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, config=config, **kw)


# --------------------------------------------------------------------------- aws CLI


def aws_cli(endpoint: str, args: list[str], tmp: Path, creds: Creds | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    aws = need_exe("aws", [venv_dir() / "bin"])
    env = clean_env()
    env.update({
        "AWS_CONFIG_FILE": str(tmp / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "aws-credentials"),
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    })
    (tmp / "aws-config").write_text("[default]\ns3 =\n    addressing_style = path\n")
    cmd = [aws, "--endpoint-url", endpoint]
    if creds is None:
        cmd.append("--no-sign-request")
    else:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = creds.access_key_id, creds.secret_access_key
    r = subprocess.run(cmd + args, env=env, capture_output=True, timeout=120)
    if check and r.returncode != 0:
        pytest.fail(f"aws {' '.join(args)} exited {r.returncode}\nstdout: {r.stdout.decode(errors='replace')}\n"
                    f"stderr: {r.stderr.decode(errors='replace')}", pytrace=False)
    return r


# --------------------------------------------------------------------------- rclone


def rclone(endpoint: str, args: list[str], tmp: Path, creds: Creds | None = None,
           check: bool = True) -> subprocess.CompletedProcess:
    """rclone with remote `p:` configured from the environment only."""
    exe = need_exe("rclone")
    env = clean_env()  # no AWS_CA_BUNDLE: rclone fails with LoadCustomCABundleError on it
    conf = tmp / "rclone.conf"
    conf.touch()
    env.update({
        "RCLONE_CONFIG": str(conf),
        "RCLONE_CONFIG_P_TYPE": "s3",
        "RCLONE_CONFIG_P_PROVIDER": "Other",
        "RCLONE_CONFIG_P_ENDPOINT": endpoint,
        "RCLONE_CONFIG_P_REGION": REGION,
        "RCLONE_CONFIG_P_FORCE_PATH_STYLE": "true",
        "RCLONE_CONFIG_P_ENV_AUTH": "false",
    })
    if creds is not None:
        env["RCLONE_CONFIG_P_ACCESS_KEY_ID"] = creds.access_key_id
        env["RCLONE_CONFIG_P_SECRET_ACCESS_KEY"] = creds.secret_access_key
    r = subprocess.run([exe, "--retries", "1", "--low-level-retries", "1", *args],
                       env=env, capture_output=True, timeout=180)
    if check and r.returncode != 0:
        pytest.fail(f"rclone {' '.join(args)} exited {r.returncode}\nstdout: {r.stdout.decode(errors='replace')}\n"
                    f"stderr: {r.stderr.decode(errors='replace')[-4000:]}", pytrace=False)
    return r


# --------------------------------------------------------------------------- DuckDB


def duckdb_conn(endpoint: str, creds: Creds | None = None):
    duckdb = need("duckdb")
    need("duckdb_extension_httpfs")
    import duckdb_extension_httpfs

    ext = Path(duckdb_extension_httpfs.__path__[0]) / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not ext.exists():
        pytest.fail(f"{ext} missing (duckdb-extension-httpfs must match duckdb {duckdb.__version__}); {INSTALL_HINT}",
                    pytrace=False)
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    con.execute(f"LOAD '{ext}'")
    host = endpoint.removeprefix("http://")
    con.execute(f"SET s3_endpoint='{host}'")
    con.execute("SET s3_url_style='path'")
    con.execute("SET s3_use_ssl=false")
    con.execute(f"SET s3_region='{REGION}'")
    if creds is not None:
        con.execute(f"SET s3_access_key_id='{creds.access_key_id}'")
        con.execute(f"SET s3_secret_access_key='{creds.secret_access_key}'")
    return con


# --------------------------------------------------------------------------- GDAL (pyogrio)


def gdal_options(endpoint: str, creds: Creds | None = None) -> dict:
    opts = {
        "AWS_S3_ENDPOINT": endpoint.removeprefix("http://"),
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
        "AWS_REGION": REGION,
        "CPL_VSIL_CURL_NON_CACHED": "/vsis3/",
        "GDAL_HTTP_MAX_RETRY": "0",
    }
    if creds is None:
        opts.update({"AWS_NO_SIGN_REQUEST": "YES", "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    else:
        opts.update({"AWS_NO_SIGN_REQUEST": "NO", "AWS_ACCESS_KEY_ID": creds.access_key_id,
                     "AWS_SECRET_ACCESS_KEY": creds.secret_access_key})
    return opts


def gdal_read(path: str, endpoint: str, creds: Creds | None = None):
    """(meta, pyarrow.Table) of a vector dataset read through GDAL's /vsis3/."""
    pyogrio = need("pyogrio")
    need("pyarrow")
    opts = gdal_options(endpoint, creds)
    pyogrio.set_gdal_config_options(opts)
    try:
        return pyogrio.read_arrow(path)
    finally:
        pyogrio.set_gdal_config_options({k: None for k in opts})


# --------------------------------------------------------------------------- fsspec / polars / obstore


def s3fs_fs(endpoint: str, creds: Creds | None = None):
    s3fs = need("s3fs")
    kw = {"anon": True} if creds is None else {"key": creds.access_key_id, "secret": creds.secret_access_key}
    return s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": endpoint, "region_name": REGION},
        config_kwargs={"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}},
        skip_instance_cache=True,
        use_listings_cache=False,
        **kw,
    )


def object_store_options(endpoint: str, creds: Creds | None = None) -> dict[str, str]:
    """object_store (Rust) options, as polars' storage_options take them."""
    opts = {
        "aws_endpoint_url": endpoint,
        "aws_region": REGION,
        "aws_allow_http": "true",
        "aws_virtual_hosted_style_request": "false",
    }
    if creds is None:
        opts["aws_skip_signature"] = "true"
    else:
        opts["aws_access_key_id"] = creds.access_key_id
        opts["aws_secret_access_key"] = creds.secret_access_key
    return opts


def obstore_store(endpoint: str, bucket: str, creds: Creds | None = None):
    need("obstore")
    from obstore.store import S3Store

    kw = dict(endpoint=endpoint, region=REGION, virtual_hosted_style_request=False,
              client_options={"allow_http": True})
    if creds is None:
        kw["skip_signature"] = True
    else:
        kw["access_key_id"] = creds.access_key_id
        kw["secret_access_key"] = creds.secret_access_key
    return S3Store(bucket, **kw)
