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

ESC = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$C$": ",", "$SP$": "@",
       "$u20$": " ", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u7b$": "{", "$u7d$": "}"}


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def demangle(s):
    """Legacy Rust mangling (`_ZN...E`) well enough to group by path; v0 names kept as is."""
    m = re.match(r"^_ZN(.*)E$", s)
    if not m:
        return s
    b, parts, i = m.group(1), [], 0
    while i < len(b):
        j = i
        while j < len(b) and b[j].isdigit():
            j += 1
        if j == i:
            break
        n = int(b[i:j])
        parts.append(b[j:j + n])
        i = j + n
    if parts and re.match(r"h[0-9a-f]{16}$", parts[-1]):
        parts.pop()
    out = []
    for p in parts:
        p = p[1:] if p.startswith("_$") else p
        for k, v in ESC.items():
            p = p.replace(k, v)
        out.append(p.replace("..", "::"))
    return "::".join(out)


def functions(data):
    """(name, body bytes) of every defined function."""
    i, imported, bodies, names = 8, 0, [], {}
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        end = i + size
        if sid == 2:  # imports: function indices start after imported functions
            n, j = leb(data, i)
            for _ in range(n):
                for _ in range(2):
                    ln, j = leb(data, j)
                    j += ln
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:
                    flags = data[j]
                    _, j = leb(data, j + 1)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            n, j = leb(data, i)
            for _ in range(n):
                ln, k = leb(data, j)
                bodies.append(ln + k - j)
                j = k + ln
        elif sid == 0:
            ln, j = leb(data, i)
            if data[j:j + ln] == b"name":
                j += ln
                while j < end:
                    sub = data[j]
                    ssize, j = leb(data, j + 1)
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            idx, k = leb(data, k)
                            ln, k = leb(data, k)
                            names[idx] = data[k:k + ln].decode("utf8", "replace")
                            k += ln
                    j += ssize
        i = end
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
