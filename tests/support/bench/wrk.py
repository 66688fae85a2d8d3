"""wrk runs: one JSON summary line per run from a Lua `done` hook, scripts that send
prebuilt requests in turn, and a measured run (checks before and after, CPU per role,
repeated while other processes were busy)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from support.bench.common import log
from support.bench.cpu import CpuMeter
from support.bench.report import ms
from support.bench.setup import check_get
from support.procs import HarnessError, Proc


WRK_LUA = r"""
-- Prints one JSON line with wrk's own summary (latencies in microseconds). No response()
-- hook on purpose: defining one makes wrk copy every body into Lua, which would cost the
-- load generator CPU that the server shares. Non-2xx: errors.status (wrk counts status > 399).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_max_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99)))
end
"""


def run_wrk(url: str, threads: int, conns: int, duration: int, lua: Path, timeout_s: int = 5) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", f"--timeout={timeout_s}s", "-s", str(lua), url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    m = re.search(r"^WRK_JSON (\{.*\})$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise HarnessError(f"wrk failed ({r.returncode}): {shlex.join(cmd)}\n{r.stdout}\n{r.stderr}")
    res = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["cmd"] = shlex.join(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", f"--timeout={timeout_s}s",
                             "-s", lua.name, url])
    return res


ROTATE_LUA = r"""
-- Prebuilt requests (each complete, with its own SigV4 headers for the signed run), sent in
-- turn: wrk calls request() for every request and sends the string as it is.
local reqs = {
%s
}
local i = 0
request = function()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
"""


def lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n") + '"'


def rotating_lua(path: Path, url: str, header_sets: list[dict]) -> Path:
    """A wrk script sending GET `url` with each header set in turn (plus WRK_LUA's summary)."""
    u = urlsplit(url)
    reqs = []
    for hs in header_sets:
        lines = [f"GET {u.path} HTTP/1.1", f"Host: {u.netloc}"]
        lines += [f"{k}: {v}" for k, v in hs.items() if k.lower() != "host"]
        reqs.append("\r\n".join(lines) + "\r\n\r\n")
    path.write_text(ROTATE_LUA % ",\n".join(lua_str(r) for r in reqs) + WRK_LUA)
    return path


class Measure:
    """Measured wrk runs of one bench: `args` gives the wrk threads and the budget of repeats
    (--repeat-busy) shared by every run; `lua` is the default script (WRK_LUA)."""

    def __init__(self, args, lua: Path):
        self.args, self.lua = args, lua
        self.repeats_left = args.repeat_busy

    def __call__(self, url: str, size: int, h: str | None, what: str, conns: int, duration: int, warmup: int,
                 meter: CpuMeter, moto: Proc | None = None, script: Path | None = None, check=None) -> dict:
        """One wrk run; while other processes took > 0.3 core during it, run it again (from a
        budget of --repeat-busy repeats for the whole bench) and keep the cleanest. `script`: another
        wrk Lua script (default bench.lua); `check(what)`: another before/after check."""
        best, attempts = None, 0
        while True:
            res = self.once(url, size, h, what, conns, duration, warmup, meter, moto, script, check)
            attempts += 1
            res["repeats"] = attempts - 1
            if best is None or res["cpu"]["other"] / res["cpu"]["wall"] < best["cpu"]["other"] / best["cpu"]["wall"]:
                best = res
            if best["cpu"]["other"] / best["cpu"]["wall"] <= 0.3 or self.repeats_left <= 0:
                best["repeats"] = attempts - 1
                return best
            self.repeats_left -= 1
            log(f"  other processes were busy: measuring again ({self.repeats_left} repeats left)")
            time.sleep(2)

    def once(self, url: str, size: int, h: str | None, what: str, conns: int, duration: int, warmup: int,
             meter: CpuMeter, moto: Proc | None = None, script: Path | None = None, check=None) -> dict:
        script = script or self.lua
        check = check or (lambda w: check_get(url, h, w))
        check(what)
        if warmup:
            run_wrk(url, min(self.args.threads, conns), conns, warmup, script)
        moto_log0 = moto.log_size() if moto else 0
        before = meter.snap()
        res = run_wrk(url, min(self.args.threads, conns), conns, duration, script)
        res["cpu"] = CpuMeter.delta(before, meter.snap())
        res["moto_requests"] = len(re.findall(r'"(?:GET|HEAD) ', moto.log_since(moto_log0))) if moto else 0
        check(what + " (after)")
        res["size"] = size
        errs = {k: res[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout") if res[k]}
        if errs or res["requests"] == 0:
            raise HarnessError(f"{what}: {res['requests']} requests, errors {errs}\n{res['cmd']}")
        if res["bytes"] / res["requests"] < size:
            raise HarnessError(f"{what}: {res['bytes'] / res['requests']:.0f} bytes per response < {size}")
        c = res["cpu"]
        log(f"{what:36} c{conns}: {res['rps']:7.1f} req/s  p50 {ms(res['p50_us']):>7} ms  "
            f"p99 {ms(res['p99_us']):>7} ms  ({res['requests']} req; machine busy "
            f"{c['busy'] / max(c['total'], 1e-9):.0%}, other {c['other'] / max(c['wall'], 1e-9):.2f} cores)")
        return res
