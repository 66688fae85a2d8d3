"""CPU profiles of the Worker (`make profile`, scripts/profile.py): V8's sampling profiler over
the DevTools protocol of `wrangler dev --inspector-port`, and a summary of the .cpuprofile it
returns (the format Chrome DevTools loads).

- `summarize(profile, names)`: self and total time per function, with wasm functions named from
  the wasm's name section (`wasm_names`) when the profile shows `wasm-function[N]`, and Rust
  symbols demangled (`demangle`).
- `sampled_cpu(profile, requests)`: the isolate's sampled CPU per request (non-idle samples).
  The profiler samples only the isolate it is attached to, so other isolates of the same workerd
  process (Miniflare's Cache API and R2 Workers, the dev proxy) are not in it.
- `Profiler`: Profiler.enable / setSamplingInterval / start / stop through a memprobe.Inspector.

Pure Python, no third-party package apart from the Inspector's aiohttp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# V8's pseudo-nodes: (idle) is the isolate waiting for work (workerd marks it idle between
# events); (root) holds the tree; (program) is native code outside any JS/wasm frame (workerd's
# C++ on the isolate's thread); (garbage collector) is V8's GC on that thread.
IDLE = "(idle)"
ROOT = "(root)"
PROGRAM = "(program)"
GC = "(garbage collector)"


# --------------------------------------------------------------------------- wasm name section


def uleb(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(b):
            raise ValueError("truncated LEB128")
        x = b[i]
        i += 1
        n |= (x & 0x7F) << shift
        if not x & 0x80:
            return n, i
        shift += 7


def wasm_names(wasm: bytes) -> dict[int, str]:
    """Function index -> name from the `name` custom section (subsection 1), {} without one. The
    indexes count imported functions first, as V8's `wasm-function[N]` does."""
    if wasm[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    i, out = 8, {}
    while i < len(wasm):
        sid, i = uleb(wasm, i)
        size, i = uleb(wasm, i)
        end = i + size
        if sid == 0:
            nlen, j = uleb(wasm, i)
            if wasm[j:j + nlen] == b"name":
                j += nlen
                while j < end:
                    sub, j = uleb(wasm, j)
                    slen, j = uleb(wasm, j)
                    if sub == 1:
                        k = j
                        count, k = uleb(wasm, k)
                        for _ in range(count):
                            idx, k = uleb(wasm, k)
                            ln, k = uleb(wasm, k)
                            out[idx] = wasm[k:k + ln].decode("utf-8", "replace")
                            k += ln
                    j += slen
        i = end
    return out


# --------------------------------------------------------------------------- Rust names

_ESCAPES = {"$SP$": "@", "$BP$": "*", "$RF$": "&", "$LT$": "<", "$GT$": ">", "$LP$": "(", "$RP$": ")",
            "$C$": ",", "$u7e$": "~", "$u20$": " ", "$u27$": "'", "$u5b$": "[", "$u5d$": "]",
            "$u7b$": "{", "$u7d$": "}", "$u3b$": ";", "$u2b$": "+", "$u22$": '"'}
_HASH = re.compile(r"::h[0-9a-f]{16}$")
_DISAMBIG = re.compile(r"\[[0-9a-f]{16}\]")  # v0 crate disambiguators: dlmalloc[e24a...]


def _unescape(seg: str) -> str:
    if seg.startswith("_$"):
        seg = seg[1:]
    seg = re.sub(r"\$(SP|BP|RF|LT|GT|LP|RP|C|u[0-9a-f]{2})\$", lambda m: _ESCAPES.get(m.group(0), m.group(0)), seg)
    return seg.replace("..", "::")


def demangle(name: str, keep_hash: bool = False) -> str:
    """A Rust legacy symbol (`_ZN3foo3barE`, also with a `$` prefix as V8 sometimes shows wasm
    names) as `foo::bar`, its `::h<16 hex>` hash dropped; names already demangled lose just the
    hash; anything else is returned as it is."""
    n = name[1:] if name.startswith("$") else name
    if n.startswith("_ZN") and n.endswith("E"):
        i, parts, body = 3, [], n[:-1]
        while i < len(body) and body[i].isdigit():
            j = i
            while body[j].isdigit():
                j += 1
            ln = int(body[i:j])
            parts.append(_unescape(body[j:j + ln]))
            i = j + ln
        if i == len(body) and parts:
            n = "::".join(parts)
    return n if keep_hash else _DISAMBIG.sub("", _HASH.sub("", n))


# --------------------------------------------------------------------------- summaries

_WASM_INDEX = re.compile(r"^(?:\$)?wasm-function\[(\d+)\]$")


def frame_name(call_frame: dict, names: dict[int, str] | None = None) -> str:
    """A readable name of a profile node's callFrame: wasm-function[N] resolved through `names`,
    Rust names demangled, JS functions as name (url:line), anonymous ones as (anonymous)."""
    fn = call_frame.get("functionName") or ""
    m = _WASM_INDEX.match(fn)
    if m and names and int(m.group(1)) in names:
        return demangle(names[int(m.group(1))])
    url = call_frame.get("url") or ""
    if url.startswith("wasm://") or fn.startswith("$") or fn.startswith("_ZN"):
        return demangle(fn)
    if fn.startswith("(") or not url:
        return fn or "(anonymous)"
    return f"{fn or '(anonymous)'} ({url.rsplit('/', 1)[-1]}:{call_frame.get('lineNumber', -1) + 1})"


@dataclass
class FnStat:
    name: str
    self_us: float = 0.0
    total_us: float = 0.0
    samples: int = 0


@dataclass
class Summary:
    duration_us: float  # endTime - startTime
    samples: int
    sampled_us: float  # time of all samples (sum of their durations)
    idle_us: float
    program_us: float
    gc_us: float
    fns: dict[str, FnStat] = field(default_factory=dict)

    @property
    def busy_us(self) -> float:
        """Sampled time the isolate was not idle (JS, wasm, workerd's native code, GC)."""
        return self.sampled_us - self.idle_us

    def top(self, n: int, by: str = "self") -> list[FnStat]:
        key = (lambda f: f.self_us) if by == "self" else (lambda f: f.total_us)
        skip = {IDLE, ROOT} if by == "self" else {IDLE, ROOT, PROGRAM, GC}
        return sorted((f for f in self.fns.values() if f.name not in skip), key=key, reverse=True)[:n]


def sample_durations(profile: dict) -> list[float]:
    """Microseconds each sample stands for: the gap to the next sample (as DevTools counts
    it); the last one gets the time to endTime, or the mean gap when that is not positive."""
    deltas = profile.get("timeDeltas") or []
    n = len(profile.get("samples") or [])
    if n == 0:
        return []
    t, times = profile["startTime"], []
    for d in deltas[:n]:
        t += d
        times.append(t)
    out = [max(0.0, float(times[i + 1] - times[i])) for i in range(n - 1)]
    last = profile["endTime"] - times[-1]
    mean = (times[-1] - times[0]) / (n - 1) if n > 1 else 0.0
    out.append(float(last) if last > 0 else mean)
    return out


def summarize(profile: dict, names: dict[int, str] | None = None) -> Summary:
    """Self and total time per function name (nodes of the same name merged: a function
    reached by several paths counts once per sample in its total, also when recursive)."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent: dict[int, int] = {}
    for n in profile["nodes"]:
        for c in n.get("children") or []:
            parent[c] = n["id"]
    label = {i: frame_name(n["callFrame"], names) for i, n in nodes.items()}
    stacks: dict[int, set[str]] = {}

    def stack(i: int) -> set[str]:
        if i not in stacks:
            s, j = set(), i
            while j is not None:
                s.add(label[j])
                j = parent.get(j)
            stacks[i] = s
        return stacks[i]

    durs = sample_durations(profile)
    s = Summary(duration_us=float(profile["endTime"] - profile["startTime"]), samples=len(durs),
                sampled_us=sum(durs), idle_us=0.0, program_us=0.0, gc_us=0.0)
    for node_id, d in zip(profile["samples"], durs):
        own = label[node_id]
        f = s.fns.setdefault(own, FnStat(own))
        f.self_us += d
        f.samples += 1
        for nm in stack(node_id):
            s.fns.setdefault(nm, FnStat(nm)).total_us += d
        if own == IDLE:
            s.idle_us += d
        elif own == PROGRAM:
            s.program_us += d
        elif own == GC:
            s.gc_us += d
    return s


def sampled_cpu(profile: dict, requests: int, names: dict[int, str] | None = None) -> dict:
    """The isolate's sampled CPU per request in ms: `busy` = every non-idle sample (JS, wasm,
    workerd's native code on the isolate's thread, GC), `js_wasm` = without (program) and GC.
    Only the isolate the profiler was attached to is counted."""
    if requests <= 0:
        raise ValueError("requests must be > 0")
    s = summarize(profile, names)
    busy = s.busy_us
    return {"requests": requests, "samples": s.samples, "duration_ms": s.duration_us / 1e3,
            "busy_ms_per_req": busy / 1e3 / requests,
            "js_wasm_ms_per_req": (busy - s.program_us - s.gc_us) / 1e3 / requests,
            "program_ms_per_req": s.program_us / 1e3 / requests, "gc_ms_per_req": s.gc_us / 1e3 / requests}


def render_top(s: Summary, n: int, by: str = "self", requests: int | None = None) -> str:
    """A Markdown table of the top `n` functions by self or total time."""
    busy = s.busy_us or 1.0
    per = " | µs/req" if requests else ""
    lines = [f"| # | function | {by} ms | % of busy{per} |", f"|--:|---|--:|--:|{'--:|' if requests else ''}"]
    for i, f in enumerate(s.top(n, by), 1):
        v = f.self_us if by == "self" else f.total_us
        name = f.name if len(f.name) <= 110 else f.name[:107] + "..."
        extra = f" | {v / requests:.1f}" if requests else ""
        lines.append(f"| {i} | `{name.replace('|', '/')}` | {v / 1e3:.2f} | {100 * v / busy:.1f}{extra} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the inspector side


class Profiler:
    """V8's CPU profiler of the isolate behind a memprobe.Inspector connection."""

    def __init__(self, inspector, interval_us: int = 100):
        self.ins, self.interval_us = inspector, interval_us

    def start(self) -> None:
        self.ins.call("Profiler.enable")
        self.ins.call("Profiler.setSamplingInterval", {"interval": self.interval_us})
        self.ins.call("Profiler.start")

    def stop(self) -> dict:
        prof = self.ins.call("Profiler.stop")["profile"]
        self.ins.call("Profiler.disable")
        return prof
