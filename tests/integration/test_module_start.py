"""The configuration is parsed when the Worker's module is evaluated, not in the isolate's
first request (src/edge/warm.rs): a configuration warning reaches the log before any request
has been sent, and only once. What needs randomness, which the runtime refuses at module
evaluation, still gets it: the isolate's id in its stats line."""

from __future__ import annotations

import re
import time

from support.sts import json_lines
from support.wrangler import launch_worker, wait_ready

BAD_LEVEL = "chatty"


def warnings_in(text: str) -> list[dict]:
    return [o for o in json_lines(text) if o.get("msg") == "configuration" and BAD_LEVEL in o.get("reason", "")]


def test_configuration_is_parsed_before_the_first_request(tmp_root, wrangler_env):
    catalog = {"backends": {"sample": {"type": "r2", "binding": "DATA"}},
               "accounts": {"demo": {"products": {
                   "p": {"visibility": "public", "backend": "sample", "prefix": "demo/p/"}}}}}
    # A bad LOG_LEVEL is not fatal: the Worker serves at `info` and warns once.
    vars_ = {"LOG_LEVEL": BAD_LEVEL, "ISOLATE_STATS_EVERY": "1"}
    proc, port = launch_worker("wrangler-module-start", tmp_root / "workers" / "module-start", catalog, vars_, {},
                               tmp_root / "state-module-start", wrangler_env,
                               tmp_root / "logs" / "wrangler-module-start.log")
    try:
        deadline = time.monotonic() + 45
        found: list[dict] = []
        while not found and time.monotonic() < deadline and proc.popen.poll() is None:
            time.sleep(0.2)
            found = warnings_in(proc.log_since(0))
        assert found, "no configuration warning before any request\n" + proc.tail()
        wait_ready(f"http://127.0.0.1:{port}", proc, 60)
        time.sleep(1)  # the request lines of wait_ready's GETs reach the log
        log = proc.log_since(0)
        assert len(warnings_in(log)) == 1, proc.tail()
        assert '"msg":"request"' in log.replace(" ", ""), proc.tail()
        ids = set(re.findall(r'"isolate":"([^"]*)"', log))
        assert len(ids) == 1, proc.tail()
        (isolate,) = ids
        assert re.fullmatch(r"[0-9a-f]{8}", isolate) and isolate != "00000000", isolate
    finally:
        proc.stop()
