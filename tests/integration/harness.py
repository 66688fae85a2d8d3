"""Process plumbing for the integration suite: free ports, child processes with
captured logs, the moto S3 backend (with IAM auth on), the generated wrangler
config, finding workerd and sampling its RSS.

Everything listens on 127.0.0.1 only. Nothing here is a test; conftest.py wires
it into session fixtures.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_HINT = "run `bash scripts/install-tools.sh test` (tools in $ODP_TOOLS_DIR, default ~/.cache/oidc-data-proxy)"

R2_BUCKET = "oidc-data-proxy-sample"
MOTO_BUCKET = "mirror-bucket"
MOTO_REGION = "us-east-1"

# Objects of moto's `extras/` prefix (product mirror/extras), put there by conftest.
EXTRAS_META = {
    "Metadata": {"color": "blue", "owner": "itest"},
    "CacheControl": "max-age=123, public",
    "ContentDisposition": 'inline; filename="meta.txt"',
    "ContentLanguage": "de-CH",
    "ContentType": "text/x-itest; charset=utf-8",
    "ContentEncoding": "identity",
}
EXTRAS_META_BODY = b"object with metadata\n"
EXTRAS_SSE_BODY = b"encrypted at rest\n"
# Stored already gzip-compressed (Content-Encoding: gzip): must arrive byte-identical.
EXTRAS_GZIP_BODY = __import__("gzip").compress(b'{"stored": "compressed"}\n' * 50, mtime=0)


class HarnessError(RuntimeError):
    """A problem of the test environment (missing tool, process that would not start)."""


# --------------------------------------------------------------------------- env


def tools_env() -> dict[str, str]:
    """The environment `scripts/env.sh` sets up (PATH with the pinned tools first,
    WRANGLER, XDG_CONFIG_HOME, ...), on top of ours."""
    env_sh = REPO / "scripts" / "env.sh"
    if not env_sh.exists():
        raise HarnessError(f"{env_sh} is missing (tooling helper's piece)")
    out = subprocess.run(
        ["bash", "-c", f". {shlex.quote(str(env_sh))} && env -0"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    ).stdout
    env = {}
    for item in out.split(b"\0"):
        if b"=" in item:
            k, v = item.split(b"=", 1)
            env[k.decode()] = v.decode()
    return env


def venv_dir() -> Path:
    base = os.environ.get("ODP_TOOLS_DIR") or str(Path.home() / ".cache" / "oidc-data-proxy")
    return Path(base) / "venv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: "Proc | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise HarnessError(f"{proc.name} exited with {proc.popen.returncode}\n{proc.tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.25).close()
            return
        except OSError:
            time.sleep(0.1)
    raise HarnessError(f"port {port} not open after {timeout}s" + (f"\n{proc.tail()}" if proc else ""))


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @classmethod
    def start(cls, name: str, cmd: list[str], log_path: Path, env: dict[str, str], cwd: Path | None = None) -> "Proc":
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path, "ab")
        log.write(f"$ {shlex.join(cmd)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,  # own process group: stop() ends exactly this tree
        )
        log.close()
        return cls(name, popen, log_path)

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return f"({self.log_path} unreadable)"
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text.splitlines()[-lines:])

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def stop(self, timeout: float = 10) -> None:
        if self.popen.poll() is not None:
            return
        pgid = self.popen.pid  # start_new_session: the group id is our child's pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                return
            try:
                self.popen.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                continue


def _ppid_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # comm may contain spaces/parens: ppid is the 2nd field after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    tree = _ppid_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in tree.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def find_workerd(wrangler_pid: int, public_port: int | None = None) -> int:
    """The workerd process running the user Worker, among wrangler's descendants.

    wrangler 4 starts two: one serves the public port (its proxy worker, which
    forwards), the other runs the user Worker and the local R2 simulator and listens
    on a port of its own (`--socket-addr=entry=127.0.0.1:0`)."""
    found = [p for p in descendants(wrangler_pid) if comm(p) == "workerd"]
    if not found:
        raise HarnessError(f"no workerd process under wrangler pid {wrangler_pid}")
    if public_port is not None and len(found) > 1:
        def serves_public_port(pid: int) -> bool:
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                return False
            return f"--socket-addr=entry=127.0.0.1:{public_port}".encode() in args

        inner = [p for p in found if not serves_public_port(p)]
        if len(inner) == 1:
            return inner[0]
    return max(found, key=lambda p: rss_kib(p) or 0)


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            v = rss_kib(self.pid)
            if v is not None:
                self.samples.append(v)
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak(self) -> int:
        return max(self.samples) if self.samples else 0


# --------------------------------------------------------------------------- moto


@dataclass
class Moto:
    proc: Proc
    port: int
    access_key_id: str = ""
    secret_access_key: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, access_key_id: str | None = None, secret_access_key: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=MOTO_REGION,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                          max_pool_connections=16),
        )


S3_ALL_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def start_moto(log_path: Path, name: str = "moto", user: str = "oidc-data-proxy",
               policy: str = S3_ALL_POLICY) -> Moto:
    """moto's server with IAM auth enforced after the 3 bootstrap calls (CreateUser,
    CreateAccessKey, PutUserPolicy) that make `user` with `policy`, whose keys it returns."""
    import boto3

    port = free_port()
    env = os.environ.copy()
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(k, None)
    proc = Proc.start(name, [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                      log_path, env)
    try:
        wait_port(port, 30, proc)  # TCP only: an HTTP probe would use up an unauthenticated action
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name=MOTO_REGION,
                           aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        iam.put_user_policy(UserName=user, PolicyName="bootstrap", PolicyDocument=policy)
    except Exception:
        proc.stop()
        raise
    return Moto(proc, port, key["AccessKeyId"], key["SecretAccessKey"])


# --------------------------------------------------------------------------- wrangler


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
                          secrets: dict[str, str] | None = None) -> Path:
    """A wrangler JSON config running the prebuilt worker (no [build] step).

    `catalog` becomes STATIC_CATALOG (None: no STATIC_CATALOG, e.g. for the HTTP
    catalog). `secrets` go to a `.dev.vars` file beside the config (wrangler dev reads
    it from the config's directory and prints its values as "(hidden)", never in
    clear); one config per directory, then."""
    # ODP_ITEST_WORKER_MAIN: another entry module (only for developing this harness).
    shim = Path(os.environ.get("ODP_ITEST_WORKER_MAIN") or REPO / "build" / "worker" / "shim.mjs")
    if not shim.exists():
        raise HarnessError(f"{shim} is missing: run `make build` (or `bash scripts/build-worker.sh`) first")
    cfg = {
        "name": "oidc-data-proxy-itest",
        "main": str(shim),
        **compat_settings(),
        "r2_buckets": [{"binding": "DATA", "bucket_name": R2_BUCKET, "preview_bucket_name": R2_BUCKET}],
        "vars": {**({"STATIC_CATALOG": json.dumps(catalog)} if catalog is not None else {}), **vars_},
    }
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


# --------------------------------------------------------------------------- recording stub backend


@dataclass
class Recorded:
    method: str
    target: str  # request-target exactly as received (path + '?' + query)
    headers: dict


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (a free port) in a daemon thread; subclasses build the
    handler class and call `_serve` with it."""

    def _serve(self, handler) -> None:
        import http.server

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StubS3(LoopbackServer):
    """An anonymous S3-ish HTTP endpoint in a thread that records every request
    line exactly as it arrives on the wire. Objects: any key answers 200 with the
    body `stub:<request-target>`, plus backend-internal headers a proxy must drop.
    Listings: an empty ListBucketResult."""

    LEAKY = {
        "x-amz-id-2": "stub-host-id",
        "x-amz-request-id": "STUBREQUESTID",
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:1:key/stub",
        "set-cookie": "stub=1; Path=/",
        "x-amz-bucket-region": "us-east-1",
    }

    def __init__(self):
        import http.server

        self.requests: list[Recorded] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "StubS3/1.0"

            def log_message(self, *a):  # quiet
                pass

            def _answer(self, with_body: bool):
                stub.requests.append(Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                path, _, query = self.path.partition("?")
                if path.count("/") == 1 and ("list-type" in query or "prefix" in query or not query):
                    body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                            b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>stub-bucket</Name>'
                            b'<Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>'
                            b'<IsTruncated>false</IsTruncated></ListBucketResult>')
                    ctype = "application/xml"
                else:
                    body = b"stub:" + self.path.encode()
                    ctype = "text/plain"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
                self.send_header("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
                for k, v in StubS3.LEAKY.items():
                    self.send_header(k, v)
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

        self._serve(Handler)


# --------------------------------------------------------------------------- dev identity provider


@dataclass
class DevIdp:
    """`scripts/dev-idp.py`: an OIDC issuer on 127.0.0.1 that mints
    RS256/ES256 ID tokens on request. Its log (stdout+stderr) is `proc.log_path`."""

    proc: Proc
    port: int
    state_dir: Path
    issuer_url: str | None = None  # --issuer, when it is not `url` (e.g. a proxy in front)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.issuer_url or self.url

    def _post(self, path: str, body: dict | None = None) -> dict:
        import requests

        r = requests.post(self.url + path, json=body or {}, timeout=10)
        if r.status_code != 200:
            raise HarnessError(f"dev IdP {path} -> {r.status_code}: {r.text[:500]}")
        return r.json()

    def token(self, sub: str, aud: str | list[str] = "oidc-data-proxy", **kw) -> str:
        """POST /token: kw = alg, ttl, kid, claims, omit, iat, nbf, exp."""
        return self._post("/token", {"sub": sub, "aud": aud, **kw})["token"]

    def rotate(self) -> dict:
        return self._post("/rotate")

    def discovery(self) -> dict:
        import requests

        return requests.get(self.url + "/.well-known/openid-configuration", timeout=10).json()

    def jwks(self) -> dict:
        import requests

        return requests.get(self.discovery()["jwks_uri"], timeout=10).json()


def start_dev_idp(port: int, state_dir: Path, log_path: Path, python: str | None = None,
                  timeout: float = 30, issuer: str | None = None) -> DevIdp:
    import requests

    script = REPO / "scripts" / "dev-idp.py"
    if not script.exists():
        raise HarnessError(f"{script} is missing (the dev identity provider)")
    state_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env["PYTHONUNBUFFERED"] = "1"
    proc = Proc.start(f"dev-idp:{port}", [python or sys.executable, str(script), "--port", str(port),
                                           "--state-dir", str(state_dir), *(["--issuer", issuer] if issuer else [])],
                      log_path, env)
    idp = DevIdp(proc, port, state_dir, issuer)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise HarnessError(f"dev-idp.py exited with {proc.popen.returncode}\n{proc.tail()}")
        try:
            r = requests.get(idp.url + "/.well-known/openid-configuration", timeout=2)
            if r.status_code == 200:
                doc = r.json()
                if doc.get("issuer") != idp.issuer:
                    proc.stop()
                    raise HarnessError(f"dev IdP issuer {doc.get('issuer')!r} != {idp.issuer!r}")
                return idp
            last = f"{r.status_code} {r.text[:200]}"
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.1)
    proc.stop()
    raise HarnessError(f"dev IdP not ready after {timeout}s (last: {last})\n{proc.tail()}")


# --------------------------------------------------------------------------- catalog API stub


@dataclass
class StubCatalog:
    """`tests/integration/stub_catalog.py` in its own process (see its docstring): the
    catalog API, verifying every bearer token against one JWKS URL."""

    proc: Proc
    url: str
    jwks_url: str
    issuer: str
    audience: str

    def records(self) -> list[dict]:
        """Every /api/ request since the last clear(), oldest first."""
        import requests

        return requests.get(self.url + "/_requests", timeout=10).json()

    def clear(self) -> None:
        import requests

        requests.delete(self.url + "/_requests", timeout=10).raise_for_status()


def start_stub_catalog(jwks_url: str, issuer: str, audience: str, s3_endpoint: str, log_path: Path,
                       slow_secs: float = 10.0, port: int = 0, timeout: float = 30) -> StubCatalog:
    """Starts the stub on 127.0.0.1:`port` (0: any free one) and waits for its readiness line
    (`stub-catalog ready url=...`) in its log. It fetches the JWKS lazily, on the first
    token, so the proxy it trusts may start after it."""
    script = REPO / "tests" / "integration" / "stub_catalog.py"
    env = os.environ.copy()
    env["PYTHONUNBUFFERED"] = "1"
    mark = log_path.stat().st_size if log_path.exists() else 0
    proc = Proc.start("stub-catalog", [sys.executable, str(script), "--port", str(port), "--jwks-url", jwks_url,
                                       "--issuer", issuer, "--audience", audience, "--s3-endpoint", s3_endpoint,
                                       "--slow-secs", str(slow_secs), "-v"], log_path, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in proc.log_since(mark).splitlines():
            if line.startswith("stub-catalog ready url="):
                return StubCatalog(proc, line.split("url=", 1)[1].strip(), jwks_url, issuer, audience)
        if proc.popen.poll() is not None:
            raise HarnessError(f"stub_catalog.py exited with {proc.popen.returncode}\n{proc.tail()}")
        time.sleep(0.05)
    proc.stop()
    raise HarnessError(f"stub_catalog.py not ready after {timeout}s\n{proc.tail()}")
