"""Processes of the integration suite, the benchmark and the load tools: free ports, child
processes in their own process groups with captured logs, the environment of
`scripts/env.sh`, finding workerd under wrangler and sampling its RSS.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import random
import shlex
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_HINT = "run `bash scripts/install-tools.sh test` (tools in $ODP_TOOLS_DIR, default ~/.cache/oidc-data-proxy)"

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


_FIXED: set[int] = set()


def fixed_port() -> int:
    """A free port for a server that binds it much later, at a port fixed in advance (a
    Worker's configuration names it for the whole session). Below the kernel's ephemeral
    range: a free_port() port is one the kernel may hand out again in the meantime, to a
    port-0 bind or as an outgoing connection's source port, and the server's bind then failed
    with EADDRINUSE (seen once in a full run, test_sts_idp_faults). Falls back to free_port()
    when nothing below that range is free."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    span = range(max(1024, low - 12000), low)
    for port in random.sample(span, min(len(span), 200)):
        if port in _FIXED:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _FIXED.add(port)
        return port
    return free_port()


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
