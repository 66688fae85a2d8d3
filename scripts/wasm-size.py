#!/usr/bin/env python3
"""Code bytes of a wasm file by crate, from its name section (docs/BENCHMARKS.md "Worker size").

    cargo build --lib --profile profiling --target wasm32-unknown-unknown
    scripts/wasm-size.py target/wasm32-unknown-unknown/profiling/oidc_data_proxy.wasm [TOP] [REGEX]

Reads the rustc output (before wasm-bindgen and wasm-opt, which inline across crates), so a
function is counted where rustc emitted it; generic code counts in the crate that defines it
(`alloc`, `core`, `serde_json` ... instantiated for this crate's types). With REGEX: the TOP
largest functions whose name matches.
"""
import collections
import re
import sys
from pathlib import Path

# The name section and Rust demangling are read as `make profile` reads them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.profiler import demangle, uleb, wasm_names  # noqa: E402


def functions(data):
    """(name, body bytes) of every defined function."""
    i, imported, bodies = 8, 0, []
    while i < len(data):
        sid = data[i]
        size, i = uleb(data, i + 1)
        end = i + size
        if sid == 2:  # imports: function indices start after imported functions
            n, j = uleb(data, i)
            for _ in range(n):
                for _ in range(2):
                    ln, j = uleb(data, j)
                    j += ln
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = uleb(data, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags = data[j]
                    _, j = uleb(data, j + 1)
                    if flags & 1:
                        _, j = uleb(data, j)
                elif kind == 2:
                    flags = data[j]
                    _, j = uleb(data, j + 1)
                    if flags & 1:
                        _, j = uleb(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            n, j = uleb(data, i)
            for _ in range(n):
                ln, k = uleb(data, j)
                bodies.append(ln + k - j)
                j = k + ln
        i = end
    names = wasm_names(data)
    return [(demangle(names.get(imported + k, "?")), s) for k, s in enumerate(bodies)]


def crate(name):
    m = re.match(r"[<&*\s]*(?:mut |dyn )?([A-Za-z_][A-Za-z0-9_]*)", name)
    return m.group(1) if m else "?"


def main():
    fns = functions(open(sys.argv[1], "rb").read())
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    total = sum(s for _, s in fns)
    if len(sys.argv) > 3:
        pat = re.compile(sys.argv[3])
        sel = sorted(((s, n) for n, s in fns if pat.search(n)), reverse=True)
        print(f"{sum(s for s, _ in sel):9d} B in {len(sel)} functions matching")
        for s, n in sel[:top]:
            print(f"{s:9d} {n[:160]}")
        return
    by = collections.Counter()
    for n, s in fns:
        by[crate(n)] += s
    print(f"{total:9d} B of code in {len(fns)} functions")
    for c, s in by.most_common(top):
        print(f"{s:9d} {100 * s / total:5.1f}% {c}")


if __name__ == "__main__":
    main()
