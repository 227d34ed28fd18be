#!/usr/bin/env python3
"""Fails when the files of a crate import each other in a circle.

Reads every `crates/*/src` (and `tests/*` folders) as text: an edge A -> B
is any `crate::`, `super::`, `self::` or child-module path in A (braced
groups expanded, comments and strings ignored) that resolves to the file of
module B. A file may use its ancestors (the modules that declare it, up to
the crate root): that is the folder's face, not a circle. Every other edge
counts, and a strongly connected group of two or more files is a circle.

    python3 .ci/import-circles.py          # exit 0: none; exit 1: lists them
    python3 .ci/import-circles.py -v       # also every file's edges
"""
import os
import re
import sys


def strip(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def group(text, i):
    """The paths of the braced group opening at text[i], as segment lists."""
    depth, j, cur, items = 0, i, "", []
    while j < len(text):
        c = text[j]
        if c == "{":
            depth += 1
            if depth > 1:
                cur += c
        elif c == "}":
            depth -= 1
            if depth == 0:
                items.append(cur)
                break
            cur += c
        elif c == "," and depth == 1:
            items.append(cur)
            cur = ""
        else:
            cur += c
        j += 1
    paths = []
    for item in (it.strip() for it in items):
        m = re.match(r"([A-Za-z_]\w*(?:\s*::\s*[A-Za-z_]\w*)*)(\s*::\s*\{)?", item)
        if not m:
            continue
        segs = [s.strip() for s in m.group(1).split("::")]
        if m.group(2):
            paths += [segs + sub for sub in group(item, item.index("{", m.start(2)))]
        else:
            paths.append(segs)
    return paths


def crate_graph(src):
    files = {}
    for d, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(d, name)
                parts = os.path.relpath(path, src)[:-3].split("/")
                if parts[-1] in ("mod", "lib", "main"):
                    parts = parts[:-1]
                files[path] = tuple(parts)
    modules = {m: p for p, m in files.items()}

    def resolve(segs):
        for n in range(len(segs), -1, -1):
            if tuple(segs[:n]) in modules:
                return modules[tuple(segs[:n])]
        return None

    edges = {}
    for path, here in files.items():
        text = strip(open(path, encoding="utf-8").read())
        children = set(re.findall(r"^\s*(?:pub(?:\([a-z ]+\))?\s+)?mod\s+(\w+)\s*;", text, flags=re.M))
        inline = []
        for m in re.finditer(r"\bmod\s+(\w+)\s*\{", text):
            depth, j = 0, m.end() - 1
            while j < len(text):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            inline.append((m.start(), j, m.group(1)))
        heads = "|".join(["crate", "super", "self"] + sorted(children))
        pattern = re.compile(r"(?<![\w:])((?:%s)(?:\s*::\s*\w+)*)\s*::\s*(\{)?" % heads)
        ancestors = {files[p] for p in files if here[: len(files[p])] == files[p] and files[p] != here}
        targets = set()
        for m in pattern.finditer(text):
            segs = [s.strip() for s in m.group(1).split("::")]
            if m.group(2):
                paths = [segs + sub for sub in group(text, m.end() - 1)]
            else:
                name = re.match(r"\s*(\w+)", text[m.end():])
                paths = [segs + [name.group(1)]] if name else [segs]
            base = list(here) + [n for (a, b, n) in inline if a < m.start() < b]
            for segs in paths:
                if segs[0] == "crate":
                    full = segs[1:]
                elif segs[0] in ("super", "self"):
                    at, k = list(base), 0
                    while k < len(segs) and segs[k] in ("super", "self"):
                        if segs[k] == "super":
                            at = at[:-1]
                        k += 1
                    full = at + segs[k:]
                else:
                    full = list(here) + segs
                target = resolve(full)
                if target and target != path and files[target] not in ancestors:
                    targets.add(target)
        edges[path] = targets
    return edges


def circles(edges):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    roots = []
    for crate in sorted(os.listdir(os.path.join(root, "crates"))):
        base = os.path.join(root, "crates", crate)
        roots.append(os.path.join(base, "src"))
        tests = os.path.join(base, "tests")
        if os.path.isdir(tests):
            roots += [os.path.join(tests, d) for d in sorted(os.listdir(tests)) if os.path.isdir(os.path.join(tests, d))]
    total_files = total_edges = 0
    found = []
    for src in roots:
        edges = crate_graph(src)
        total_files += len(edges)
        total_edges += sum(len(t) for t in edges.values())
        if "-v" in sys.argv:
            for f in sorted(edges):
                print(os.path.relpath(f, root), "->", ", ".join(sorted(os.path.relpath(t, root) for t in edges[f])))
        found += circles(edges)
    for comp in found:
        print("circle:", " <-> ".join(os.path.relpath(f, root) for f in comp))
    print(f"{total_files} files, {total_edges} import edges, {len(found)} circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
