"""The profile summary of `make profile` (tests/support/profiler.py) on a hand-made .cpuprofile
and a hand-made wasm name section: names resolved and demangled, self/total time per function
(recursion counted once), idle time kept out of the per-request CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.profiler import demangle, render_top, sampled_cpu, summarize, wasm_names  # noqa: E402


def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name_section(names: dict[int, str]) -> bytes:
    """A wasm module holding a type section (to be skipped) and a `name` custom section."""
    fn = leb(len(names)) + b"".join(leb(i) + leb(len(s.encode())) + s.encode() for i, s in names.items())
    module_name = b"\x00" + leb(4) + b"mod!"  # subsection 0 (module name), skipped
    body = leb(4) + b"name" + module_name + b"\x01" + leb(len(fn)) + fn
    types = b"\x01" + leb(4) + b"\x01\x60\x00\x00"
    return b"\0asm\x01\0\0\0" + types + b"\x00" + leb(len(body)) + body


# Index 200 needs a two-byte LEB128; the mangled name has an escaped generic and a hash.
NAMES = {3: "_ZN15oidc_data_proxy7listing6render17h0123456789abcdefE",
         200: "_ZN4core3ptr42drop_in_place$LT$alloc..string..String$GT$17hfedcba9876543210E",
         7: "oidc_data_proxy::sigv4::verify::h00112233aabbccdd"}


def test_wasm_names_and_demangling():
    names = wasm_names(name_section(NAMES))
    assert names == NAMES
    assert demangle(names[3]) == "oidc_data_proxy::listing::render"
    assert demangle(names[200]) == "core::ptr::drop_in_place<alloc::string::String>"
    assert demangle(names[7]) == "oidc_data_proxy::sigv4::verify"
    assert demangle("$" + names[3]) == "oidc_data_proxy::listing::render"
    assert demangle("fetch") == "fetch"
    with pytest.raises(ValueError):
        wasm_names(b"\x7fELF" + b"\0" * 8)


def node(i: int, name: str, children: list[int], url: str = "wasm://wasm/abc") -> dict:
    return {"id": i, "callFrame": {"functionName": name, "url": url, "scriptId": "1", "lineNumber": 0,
                                   "columnNumber": 0}, "hitCount": 0, "children": children}


def synthetic() -> dict:
    """(root) -> fetch (JS) -> render (wasm-function[3]) -> render (recursive) -> drop (wasm-function[200]);
    (root) -> (idle), (program), (garbage collector).
    Samples (node, gap to the next one in µs): idle 100, fetch 45, render 30, render' 20, drop 40,
    drop 40, program 10, gc 10, idle (last, 60 to endTime)."""
    nodes = [node(1, "(root)", [2, 6, 7, 8], ""), node(2, "fetch", [3], "file:///w/shim.mjs"),
             node(3, "wasm-function[3]", [4]), node(4, "wasm-function[3]", [5]), node(5, "wasm-function[200]", []),
             node(6, "(idle)", [], ""), node(7, "(program)", [], ""), node(8, "(garbage collector)", [], "")]
    samples = [6, 2, 3, 4, 5, 5, 7, 8, 6]
    gaps = [100, 45, 30, 20, 40, 40, 10, 10]
    start = 1_000
    deltas, t = [5], start + 5  # first sample 5 µs after startTime
    for g in gaps:
        deltas.append(g)
        t += g
    return {"nodes": nodes, "startTime": start, "endTime": t + 60, "samples": samples, "timeDeltas": deltas}


def test_self_and_total_time():
    names = wasm_names(name_section(NAMES))
    s = summarize(synthetic(), names)
    f = s.fns
    render, drop = "oidc_data_proxy::listing::render", "core::ptr::drop_in_place<alloc::string::String>"
    assert f[render].self_us == 50  # 30 + 20: both nodes of the recursion merged
    assert f[render].total_us == 130  # 30 + 20 + 40 + 40, each sample once despite the recursion
    assert f[drop].self_us == 80 and f[drop].total_us == 80
    assert f["fetch (shim.mjs:1)"].self_us == 45 and f["fetch (shim.mjs:1)"].total_us == 175
    assert s.idle_us == 160 and s.program_us == 10 and s.gc_us == 10
    assert s.busy_us == 195  # everything but the two idle samples
    assert [x.name for x in s.top(2)] == [drop, render]
    assert [x.name for x in s.top(3, by="total")] == ["fetch (shim.mjs:1)", render, drop]
    table = render_top(s, 2, requests=4)
    assert f"`{drop}` | 0.08 | 41.0 | 20.0" in table
    # Without the name section the index stays visible rather than a wrong name.
    assert "wasm-function[3]" in summarize(synthetic()).fns


def test_sampled_cpu_per_request():
    cpu = sampled_cpu(synthetic(), 4)
    assert cpu["busy_ms_per_req"] == pytest.approx(0.195 / 4)
    assert cpu["js_wasm_ms_per_req"] == pytest.approx(0.175 / 4)
    assert cpu["samples"] == 9
    with pytest.raises(ValueError):
        sampled_cpu(synthetic(), 0)
