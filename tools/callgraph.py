#!/usr/bin/env python3
"""The file-level call graph of vyrefs, drawn from the code by the compiler.

gcc's -fcallgraph-info writes a .ci file beside each object: it names every
direct call and where caller and callee are defined. The build compiles with
it where gcc takes it (meson.build), so the .ci files of an up-to-date build
are read as they are (ninja first brings the objects up to date: the graph is
of the sources as they are now); a build without them (another compiler, a
build configured before) has each C file compiled again with the flag into a
temporary directory (nothing in the build changes). A call from a function
defined in a.c to one defined in b.c is an edge a.c -> b.c. Calls through
function pointers (ops tables, observers) are not edges: that is how a lower
layer reaches a higher one without depending on it.

  tools/callgraph.py [-C BUILD] [--dirs pump,fs] [--dot] [--edges]
                     [--layers FILE]...

Prints the call circles (strongly connected sets of more than one file) among
the files under --dirs and, with --layers, every call that goes up. Exits 1
when there is a circle or an upward call, 0 otherwise.

A layers file has one line per directory: "DIR: a.c > b.c c.c > d.c", files
left of a '>' may call files right of it, files in one group may call each
other only if that makes no circle, and a file not listed is unchecked.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "[^\\]*\\n([^:"]+):\d+:\d+"( shape : ellipse)?')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def compile_ci(entry, out):
    """Recompiles one translation unit with -fcallgraph-info into out/."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    cleaned, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MQ", "-MT"):
            skip = True
            continue
        if a in ("-MD", "-MMD"):
            continue
        cleaned.append(a)
    obj = os.path.join(out, entry["file"].replace("/", "_") + ".o")
    cleaned += ["-fcallgraph-info", "-o", obj, "-Wno-error"]
    r = subprocess.run(cleaned, cwd=entry["directory"], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("callgraph: %s failed:\n%s" % (entry["file"], r.stderr[-2000:]))
    return obj[:-2] + ".ci"


def built_ci(entries, build):
    """The build's own .ci files for entries ({src: .ci path}), or None when
    the build does not write them: each object is brought up to date first
    (ninja), so a .ci is of the source as it is now. Recompiling 94 files at
    -O2 -g took 23 s of CPU (BENCHMARKS.md "The suite's time, third pass")."""
    outs = {}
    for src, e in entries.items():
        args = shlex.split(e["command"]) if "command" in e else list(e["arguments"])
        if "-fcallgraph-info" not in args or "output" not in e or not e["output"].endswith(".o"):
            return None
        outs[src] = e["output"]
    r = subprocess.run(["ninja", "-C", build] + sorted(set(outs.values())),
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("callgraph: ninja -C %s failed:\n%s" % (build, r.stdout[-2000:] + r.stderr[-2000:]))
    cis = {}
    for src, out in outs.items():
        ci = os.path.join(entries[src]["directory"], out[:-2] + ".ci")
        if not os.path.exists(ci):
            return None
        cis[src] = ci
    return cis


def rel(path, root):
    p = os.path.normpath(path)
    return os.path.relpath(p, root) if os.path.isabs(p) else p


def parse(ci, root, build):
    """(defined: title -> file, edges: [(caller title, callee title)])"""
    defined, edges = {}, []
    with open(ci) as f:
        for line in f:
            m = NODE.search(line)
            if m:
                title, loc, ext = m.groups()
                if not ext:
                    loc = os.path.normpath(os.path.join(build, loc)) if not os.path.isabs(loc) else loc
                    defined[title] = rel(loc, root)
                continue
            m = EDGE.search(line)
            if m:
                edges.append(m.groups())
    return defined, edges


def sccs(graph):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def read_layers(path):
    """{dir: {file: rank}} from a layers file."""
    layers = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            d, spec = line.split(":", 1)
            ranks = {}
            for rank, group in enumerate(spec.split(">")):
                for name in group.split():
                    ranks[os.path.join(d.strip(), name)] = rank
            layers[d.strip()] = ranks
    return layers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-C", "--build", default="build")
    ap.add_argument("--dirs", default="pump,fs,tools,regex,abi")
    ap.add_argument("--dot", action="store_true", help="print the graph in Graphviz dot")
    ap.add_argument("--edges", action="store_true", help="print every file edge with one example call")
    ap.add_argument("--layers", action="append", default=[],
                    help="check that calls only go down (see the module doc); may be repeated")
    a = ap.parse_args()
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    build = os.path.abspath(a.build)
    dirs = tuple(d.strip().rstrip("/") + "/" for d in a.dirs.split(","))
    with open(os.path.join(build, "compile_commands.json")) as f:
        db = json.load(f)
    wanted = {}
    for e in db:
        src = rel(os.path.join(e["directory"], e["file"]), root)
        # one compile per source file (tools link some files into several binaries)
        if src.endswith(".c") and src.startswith(dirs) and src not in wanted:
            wanted[src] = e
    defined, calls = {}, []
    cis = built_ci(wanted, build)
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        if cis is None:
            cis = dict(zip(wanted, ex.map(lambda e: compile_ci(e, tmp), wanted.values())))
        for src in wanted:
            d, c = parse(cis[src], root, build)
            defined.update(d)
            calls.extend(c)
    graph, example = {}, {}
    for caller, callee in calls:
        src, dst = defined.get(caller), defined.get(callee)
        if not src or not dst or src == dst or not src.startswith(dirs) or not dst.startswith(dirs):
            continue
        graph.setdefault(src, set()).add(dst)
        example.setdefault((src, dst), "%s -> %s" % (caller.split(":")[-1], callee.split(":")[-1]))
    bad = 0
    if a.dot:
        print("digraph calls {\n  rankdir=TB; node [shape=box];")
        for s in sorted(graph):
            for d in sorted(graph[s]):
                print('  "%s" -> "%s";' % (s, d))
        print("}")
    if a.edges:
        for (s, d), ex_ in sorted(example.items()):
            print("%s -> %s   (%s)" % (s, d, ex_))
    for comp in sccs(graph):
        if len(comp) > 1:
            bad += 1
            print("circle: " + " ".join(comp))
            for s in comp:
                for d in sorted(graph.get(s, ())):
                    if d in comp:
                        print("    %s -> %s   (%s)" % (s, d, example[(s, d)]))
    for path in a.layers:
        for ranks in read_layers(path).values():
            for (s, d), ex_ in sorted(example.items()):
                if s in ranks and d in ranks and ranks[d] < ranks[s]:
                    bad += 1
                    print("upward call: %s -> %s   (%s)" % (s, d, ex_))
    if not a.dot:
        print("%d files, %d file edges, %d problems" % (len(wanted), len(example), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
