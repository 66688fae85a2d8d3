"""CPU time of the benchmark's processes, from /proc: per role of a `wrangler dev` tree
(Worker workerd, dev-proxy workerd, Node), our waited-for children (wrk) and the rest of
the machine (`other`)."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

from support.bench.common import log
from support.procs import HarnessError, comm, descendants


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """utime+stime of a process (all its threads), in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, summed over all cores."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = f[3] + f[4]
    total = sum(f[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return (total - idle) / CLK_TCK, total / CLK_TCK


def wrangler_tree(root: int, entry_port: int) -> dict[str, list[int]]:
    """Processes of one `wrangler dev`, by role: the workerd that listens on the entry port
    is wrangler's dev proxy (ProxyWorker), the other workerd runs the Worker and local R2;
    node (wrangler's CLI, 2 processes) and esbuild are the rest."""
    roles: dict[str, list[int]] = {"workerd": [], "devproxy": [], "node": [root]}
    for pid in descendants(root):
        c = comm(pid)
        if c == "workerd":
            key = "devproxy" if f"--socket-addr=entry=127.0.0.1:{entry_port} " in cmdline(pid) + " " else "workerd"
            roles[key].append(pid)
        else:
            roles["node"].append(pid)
    return roles


class CpuMeter:
    """CPU seconds per role (sum over its processes), our waited-for children (wrk), and
    the machine: `other` = machine busy minus all of those (other people's processes).
    `wrangler` = (root pid, entry port) of a `wrangler dev`, whose tree is looked up at
    every snapshot; a run during which wrangler replaced its workerd fails."""

    def __init__(self, wrangler: tuple[int, int] | None = None, extra: dict[str, list[int]] | None = None):
        self.wrangler, self.extra = wrangler, extra or {}

    def snap(self) -> dict:
        roles = dict(self.extra)
        if self.wrangler:
            roles.update(wrangler_tree(*self.wrangler))
        out: dict = {name: sum(cpu_s(p) for p in pids) for name, pids in roles.items()}
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["wrk"] = ru.ru_utime + ru.ru_stime
        out["busy"], out["total"] = machine_cpu()
        out["wall"] = time.monotonic()
        out["_workerd"] = sorted(roles.get("workerd", []) + roles.get("devproxy", []))
        return out

    @staticmethod
    def delta(a: dict, b: dict) -> dict[str, float]:
        if a["_workerd"] != b["_workerd"]:
            raise HarnessError(f"wrangler dev replaced its workerd processes during a run ({a['_workerd']} -> "
                               f"{b['_workerd']}): it reloads when its inputs change")
        d = {k: b[k] - a[k] for k in a if not k.startswith("_")}
        ours = sum(v for k, v in d.items() if k not in ("busy", "total", "wall"))
        d["other"] = max(0.0, d["busy"] - ours)
        return d


def task_cpu_ns(pid: int) -> tuple[int, frozenset]:
    """CPU time of a process in nanoseconds (sum over its threads of /proc/PID/task/TID/schedstat's
    first field, the scheduler's sum_exec_runtime) and its thread ids. /proc/PID/stat counts in
    clock ticks (10 ms here), too coarse for one request."""
    total, tids = 0, []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(Path(f"/proc/{pid}/task/{t}/schedstat").read_text().split()[0])
                tids.append(t)
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total, frozenset(tids)


def thread_cpu_ns(pid: int) -> dict[str, int]:
    """CPU nanoseconds per thread of a process (/proc/PID/task/TID/schedstat, first field)."""
    out: dict[str, int] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tids:
        try:
            out[t] = int(Path(f"/proc/{pid}/task/{t}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def wait_quiet(meter: CpuMeter, wait_s: int, notes: list[str]) -> float:
    """The share of the machine other processes use (over 2 s); while above 25 %, wait up to
    `wait_s` for it to drop. A machine still busy gets a note."""

    def other_share() -> float:
        before = meter.snap()
        time.sleep(2)
        d = CpuMeter.delta(before, meter.snap())
        return d["other"] / max(d["total"], 1e-9)

    background = other_share()
    waited = 0.0
    while background > 0.25 and waited < wait_s:
        log(f"other processes keep {background:.0%} of the machine busy: waiting for quiet "
            f"({waited:.0f}/{wait_s} s)")
        time.sleep(3)
        waited += 3 + 2
        background = other_share()
    if background > 0.25:
        notes.append(f"The machine was not idle: other processes used {background:.0%} of it when the loads "
                     f"started (after waiting up to {wait_s} s for quiet); see `other` per run.")
    return background
