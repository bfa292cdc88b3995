# SPDX-License-Identifier: MIT
"""tools/soak_ref.py - tools/soak's data and references: the quoting of
descriptor values and paths, the generated data (log-like text, a tree,
root-only files, symlinks, lists, pattern files), the patterns, and Ref,
the expected result of a job (Python, or LC_ALL=C grep -a for grep)."""

import argparse
import collections
import errno
import glob as globmod
import json
import os
import random
import re
import select
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNKS = [4096, 8192, 16384, 65536, 262144, 1 << 20, 4 << 20]
PRIOS = ["critical", "high", "normal", "low", "idle"]
KIB = 1024


# --------------------------------------------------------------------------
# descriptor text

SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,+=:@%")


def q_bytes(b, style):
    """A value for pattern=/path=: style 'hex' escapes everything unsafe as
    \\xHH, 'plain' only what must be (\\ " and controls), inside quotes."""
    out = []
    for c in b:
        if style == "hex" and c not in SAFE:
            out.append("\\x%02x" % c)
        elif c == 0x5C:
            out.append("\\\\")
        elif c == 0x22:
            out.append('\\"')
        elif c < 0x20 or c >= 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


def q_path(p):
    b = os.fsencode(p)
    if all(c in SAFE for c in b):
        return p
    return q_bytes(b, "plain")


def unescape_path(s):
    """jobs/N/files' escaping: \\\\, \\n, \\xHH."""
    b = os.fsencode(s)
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x5C and i + 1 < len(b):
            n = b[i + 1]
            if n == 0x5C:
                out.append(0x5C)
                i += 2
                continue
            if n == ord("n"):
                out.append(0x0A)
                i += 2
                continue
            if n == ord("t"):
                out.append(0x09)
                i += 2
                continue
            if n == ord("x") and i + 3 < len(b):
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
                continue
        out.append(c)
        i += 1
    return os.fsdecode(bytes(out))


def escape_list_path(p):
    """As jobs/N/files writes a path: \\\\, \\n, other control bytes \\xHH, the rest raw."""
    out = bytearray()
    for c in os.fsencode(p):
        if c == 0x5C:
            out += b"\\\\"
        elif c == 0x0A:
            out += b"\\n"
        elif c < 0x20 or c == 0x7F:
            out += b"\\x%02x" % c
        else:
            out.append(c)
    return out.decode("utf-8", "surrogateescape")


def parse_kv(text):
    st = {}
    for line in text.splitlines():
        if "=" not in line:
            continue
        k, v = line.split("=", 1)
        try:
            w = shlex.split(v)
            st[k] = w[0] if w else ""
        except ValueError:
            st[k] = v
    return st


# --------------------------------------------------------------------------
# data

WORDS = ("connection reset by peer timeout retry backend frontend cache miss hit "
         "request response user=root user=alice user=bob file=/var/log/app.log "
         "latency=12ms status=200 status=500 a.b abcde cdcde ababe (paren) [x] "
         "path\\to\\thing Timeout TIMEOUT error Error warn").split()
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]


def gen_lines(rng, n):
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.01:
            out.append(b"")
        elif r < 0.015:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))).replace(b"\n", b"."))
        elif r < 0.02:
            out.append(b"x" * rng.randrange(1, 300))
        else:
            ts = "2026-12-%02dT%02d:%02d:%02d.%03d" % (rng.randrange(1, 9), rng.randrange(24),
                                                     rng.randrange(60), rng.randrange(60),
                                                     rng.randrange(1000))
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(0, 12)))
            line = "%s host-%d app[%d]: %s id=%d %s" % (ts, rng.randrange(8), rng.randrange(99999),
                                                     rng.choice(LEVELS), rng.randrange(100000), words)
            if rng.random() < 0.02:
                line += "\r"
            out.append(line.encode())
    return out


def gen_text(rng, pool, size, edge=True):
    """size bytes of log text; "EDGE!" straddles every 4 KiB boundary."""
    parts = []
    n = 0
    while n < size:
        ln = rng.choice(pool) + b"\n"
        parts.append(ln)
        n += len(ln)
    b = bytearray(b"".join(parts)[:size])
    if edge:
        for k in range(4096, size - 3, 4096):
            if rng.random() < 0.7:
                b[k - 2:k + 3] = b"EDGE!"
    return bytes(b)


def make_data(top, seed):
    rng = random.Random(seed)
    pool = gen_lines(rng, 3000)
    d = os.path.join(top, "data")
    os.makedirs(d)
    os.chmod(top, 0o755)
    os.chmod(d, 0o755)

    def put(rel, data, mode=0o644):
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    big = []
    for edge in (4096, 65536, 262144, 1 << 20, 4 << 20):
        for delta in (-1, 0, 1):
            big.append(put("big/edge_%d%+d.log" % (edge, delta), gen_text(rng, pool, edge + delta)))
    big.append(put("big/edge_8M+1.log", gen_text(rng, pool, (8 << 20) + 1)))
    # a line longer than most chunks, then a file without the last newline
    ll = gen_text(rng, pool, 100000) + b"L" * 300000 + b"ERROR at the end of a long line\n" + \
        gen_text(rng, pool, 50000)
    big.append(put("big/longline.log", ll))
    big.append(put("big/nonl.log", gen_text(rng, pool, 70000).rstrip(b"\n") + b" ERROR no newline"))
    big.append(put("big/binary.dat", bytes(rng.randrange(256) for _ in range(70001))))
    big.append(put("big/crlf.log", gen_text(rng, pool, 20000).replace(b"\n", b"\r\n")))
    big.append(put("big/blank.log", b"\n" * 9000))
    big.append(put("big/empty.log", b""))
    big.append(put("big/one.log", b"\n"))
    big.append(put("big/x.log", b"x"))
    # a tree of small files (packed into shared slots) in nested folders
    tree = os.path.join(d, "tree")
    for i in range(90):
        sub = rng.choice(["a", "a/b", "a/b/c", "c", "d/e", "d/e/f", ""])
        size = rng.choice([0, 1, 57, 4095, 4096, 4097, 10000, 65535, 65536, 65537, rng.randrange(70000)])
        put(os.path.join("tree", sub, "f%03d.log" % i), gen_text(rng, pool, size))
    for name in ("sp ace.log", "col:on.log", "nl\nname.log", "tab\tx.log", "quote\"q.log",
                 "back\\slash.log", "uni-\xe9.log"):
        put(os.path.join("tree", "odd", name), gen_text(rng, pool, rng.randrange(1, 9000)))
    put("tree/private.log", gen_text(rng, pool, 5000), 0o600)
    put("tree/secret/s1.log", gen_text(rng, pool, 7000), 0o644)
    put("tree/secret/s2.log", gen_text(rng, pool, 9000), 0o644)
    os.chmod(os.path.join(tree, "secret"), 0o700)
    os.symlink("../big/edge_65536+1.log", os.path.join(tree, "link-file.log"))
    os.symlink("a/b", os.path.join(tree, "link-dir"))
    os.symlink("../..", os.path.join(tree, "d/e/loop"))
    os.symlink("nonexistent", os.path.join(tree, "dangling"))
    # root-only folder and file outside the tree
    put("secret/root-only.log", gen_text(rng, pool, 30000), 0o644)
    os.chmod(os.path.join(d, "secret"), 0o700)
    put("big/root-only.log", gen_text(rng, pool, 65537), 0o600)
    # lists (files=) and pattern files (patterns=)
    allf = sorted(big + [os.path.join(r, f) for r, _, fs in os.walk(tree) for f in fs
                         if os.path.isfile(os.path.join(r, f))
                         and not os.path.islink(os.path.join(r, f))])
    lists = []
    for i in range(4):
        sel = rng.sample(allf, rng.randrange(1, 25))
        if i == 1:
            sel.append(os.path.join(d, "missing.log"))
        if i == 2:
            sel.append(os.path.join(d, "big/root-only.log"))
        lists.append(put("lists/l%d" % i, "".join(escape_list_path(p) + "\n" for p in sel)
                         .encode("utf-8", "surrogateescape")))
    lists.append(put("lists/root-only", b"".join(os.fsencode(p) + b"\n" for p in allf[:5]), 0o600))
    pats = [put("pats/p0", b"ERROR\nWARN\n"), put("pats/p1", b"a.b\n[x]\n(paren)\n"),
            put("pats/p2", b"^2026-12-0[12]\nid=9[0-9]*$\nEDGE!\n"), put("pats/p3", b""),
            put("pats/root-only", b"ERROR\n", 0o600)]
    # per_pattern=1's sets: literals (Aho-Corasick with fixed=1), EREs (a DFA
    # with accept sets), and one no DFA holds (2^21 states: the bit-parallel
    # engine), with '$' and an empty-line pattern; slow on lavapipe, so the
    # client runs it on small targets only
    shift_pats = put("pats/p4", b"ERROR\n(a|b)*a(a|b){20}\nid=9[0-9]*$\n^$\n")
    for p in (os.path.join(d, x) for x in ("big", "tree", "lists", "pats")):
        os.chmod(p, 0o755)
    return {
        "data": d, "big": big, "tree": tree, "lists": lists, "pats": pats,
        "pset_pats": [pats[0], pats[1], pats[2], pats[4]], "shift_pats": shift_pats,
        "globs": [d + "/big/edge_6*", d + "/tree/*/f0[0-4]*.log", d + "/tree/[ac]",
                  d + "/big/*.dat", d + "/tree/no*match", d + "/tree/*/b/?", d + "/secret/*",
                  d + "/tree/odd/*"],
        "singles": big + [os.path.join(d, "tree/private.log"), os.path.join(d, "secret/root-only.log"),
                          os.path.join(d, "missing.log"), os.path.join(tree, "link-file.log"),
                          os.path.join(tree, "odd/sp ace.log"), os.path.join(tree, "odd/nl\nname.log")],
        "dirs": [tree, os.path.join(d, "big"), os.path.join(tree, "a"), os.path.join(tree, "d"),
                 os.path.join(tree, "odd"), os.path.join(tree, "secret"), os.path.join(d, "secret")],
    }


def target_bytes(m):
    """Roughly how many bytes each target scans (followed symlinks and all), as root."""
    def walk(p):
        if os.path.isdir(p):
            return sum(walk(os.path.join(p, n)) for n in os.listdir(p)
                       if not os.path.islink(os.path.join(p, n)))
        return os.path.getsize(p) if os.path.isfile(p) else 0
    out = {}
    for p in m["singles"] + m["dirs"]:
        out[p] = walk(p)
    for g in m["globs"]:
        out[g] = sum(walk(x) for x in globmod.glob(g))
    for ls in m["lists"]:
        with open(ls, "rb") as f:
            out[ls] = sum(walk(unescape_path(x)) for x in
                          f.read().decode("utf-8", "surrogateescape").splitlines() if x)
    return out


MATCH_PATS = [b"EDGE!", b"ERROR", b"\n", b"\n\n", b"aa", b"xx", b"ERROR id=", b"id=1", b"\x00",
              b"\xff", b"\r\n", b"ab", b"abab", b"zz-never-there", b"E", b"LLLL" * 16,
              b"user=root " + b"x" * 0, b"DGE!\n", b"L" * 256]
GREP_PATS = ["ERROR", "WARN|ERROR", "^2026-12-0[1-3]", "id=[0-9]{4} ", "[Tt]imeout", "(ab|cd)+e",
             "^$", "", "\\.log", "[[:digit:]]{5}", "user=[a-z]+ ", "EDGE!", ".{200}",
             "^[^ ]* [^ ]* [^ ]* ERROR", "x$", "[[:space:]]$", "a\\.b", "\\(paren\\)", "\\\\",
             "\xff", "ERROR at the end", "L{1000}", "status=(2|5)00", "^.{0,5}$", "[^[:print:]]",
             "E+D?G*E!", "(retry|miss) (hit|cache)"]
ICASE_PATS = ["error", "timeout|warn", "ERROR at", "[a-c]bc"]
FIXED_PATS = ["a.b", "[x]", "(paren)", "ERROR", "user=root", "path\\to", ""]


# --------------------------------------------------------------------------
# references (as the calling user: the kernel's permission checks decide)

class Ref:
    def __init__(self):
        self.cache = {}
        self.datac = {}
        self.listing = False  # walk in readdir's order, not sorted (order=walk)

    def read(self, path, off, length):
        key = (path, off, length)
        if key not in self.datac:
            if len(self.datac) > 64:
                self.datac.clear()
            with open(path, "rb") as f:
                f.seek(off)
                self.datac[key] = f.read(length) if length is not None else f.read()
        return self.datac[key]

    def one(self, path, job):
        """The expected result of job over one readable file: (result, lines)."""
        off, length = job["offset"], job["length"]
        key = (path, off, length, job["okey"])
        if key in self.cache:
            return self.cache[key]
        if len(self.cache) > 20000:
            self.cache.clear()
        op = job["op"]
        lines = None
        if op == "grep":
            res, lines = self.grep(path, job, off, length)
        else:
            data = self.read(path, off, length)
            if op == "count":
                res = data.count(bytes([job["byte"]]))
            elif op == "match":
                pat = job["pattern_b"]
                res, i = 0, data.find(pat)
                while i >= 0:
                    res += 1
                    i = data.find(pat, i + 1)
            elif op == "histogram":
                c = collections.Counter(data)
                res = [c.get(i, 0) for i in range(256)]
            elif op == "nop":
                res = (len(data) + job["chunk_eff"] - 1) // job["chunk_eff"]
        self.cache[key] = (res, lines)
        return res, lines

    def grep(self, path, job, off, length):
        cmd = ["grep", "-a"]
        if job["lines"]:
            cmd += ["-n", "-b"]
        else:
            cmd += ["-c"]
        cmd += ["-F"] if job.get("fixed") else ["-E"]
        if job.get("icase"):
            cmd.append("-i")
        if job.get("invert"):
            cmd.append("-v")
        if job.get("max"):
            cmd += ["-m", str(job["max"])]
        if job.get("patterns"):
            cmd += ["-f", job["patterns"]]
        else:
            cmd += ["-e", job["pattern_s"].encode("latin-1")]  # the bytes, not their UTF-8
        env = dict(os.environ, LC_ALL="C")
        if off == 0 and length is None:
            cmd += ["--", path]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               timeout=120)
        else:
            data = self.read(path, off, length)
            p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, timeout=120)
        if p.returncode not in (0, 1):
            raise RuntimeError("reference grep failed: %s: %s" % (cmd, p.stderr[:200]))
        if not job["lines"]:
            # GNU grep -c prints nothing at all for an empty -f file
            return int(p.stdout or b"0"), None
        out = []
        for ln in p.stdout.split(b"\n"):
            if not ln:
                continue
            a, b, _ = ln.split(b":", 2)
            out.append("%d:%d" % (int(a), int(b) + off))
        return len(out), out

    @staticmethod
    def pset_patterns(path):
        """A patterns= file's patterns, one a line (a last '\\n' ends the last)."""
        with open(path, "rb") as f:
            pats = f.read().split(b"\n")
        if pats and pats[-1] == b"":
            pats.pop()
        return pats

    def pset(self, path, job):
        """per_pattern=1 over one readable file: (counts, lines), counts[i] the lines
        pattern i selects (grep -c -e run pattern by pattern), lines "LINE:OFFSET:INDEX"
        of each selected line, INDEX the first pattern that selects it."""
        off, length = job["offset"], job["length"]
        key = ("pset", path, off, length, job["okey"])
        if key in self.cache:
            return self.cache[key]
        pats = self.pset_patterns(job["patterns"])
        cmd = ["grep", "-a", "-n", "-b", "-F" if job.get("fixed") else "-E"]
        if job.get("icase"):
            cmd.append("-i")
        env = dict(os.environ, LC_ALL="C")
        data = None if off == 0 and length is None else self.read(path, off, length)
        counts, first = [], {}
        for i, pat in enumerate(pats):
            c = cmd + ["-e", pat] + (["--", path] if data is None else [])
            p = subprocess.run(c, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, timeout=120)
            if p.returncode not in (0, 1):
                raise RuntimeError("reference grep failed: %s: %s" % (c, p.stderr[:200]))
            n = 0
            for ln in p.stdout.split(b"\n"):
                if not ln:
                    continue
                a, b, _ = ln.split(b":", 2)
                first.setdefault(int(a), (int(b) + off, i))
                n += 1
            counts.append(n)
        lines = ["%d:%d:%d" % (k, first[k][0], first[k][1]) for k in sorted(first)]
        self.cache[key] = (counts, lines)
        return counts, lines

    # what a many-file job over these operands should scan, as this user
    def walk(self, top, follow, files, failed, anc):
        try:
            st = os.stat(top)
            names = os.listdir(top)  # readdir's order: order=walk's (listing)
            if not self.listing:
                names = sorted(names)
        except OSError as e:
            failed[top] = errno.errorcode[e.errno]
            return
        anc = anc | {(st.st_dev, st.st_ino)}
        for n in names:
            p = os.path.join(top, n)
            try:
                lst = os.lstat(p)
            except OSError as e:
                failed[p] = errno.errorcode[e.errno]
                continue
            if stat.S_ISLNK(lst.st_mode):
                if not follow:
                    continue
                try:
                    lst = os.stat(p)
                except OSError as e:
                    failed[p] = errno.errorcode[e.errno]
                    continue
            if stat.S_ISDIR(lst.st_mode):
                if (lst.st_dev, lst.st_ino) in anc:
                    failed[p] = "ELOOP"
                    continue
                self.walk(p, follow, files, failed, anc)
            elif stat.S_ISREG(lst.st_mode):
                self.openable(p, files, failed)

    @staticmethod
    def openable(p, files, failed):
        try:
            fd = os.open(p, os.O_RDONLY)
            os.close(fd)
            files.append(p)
        except OSError as e:
            failed[p] = errno.errorcode[e.errno]

    def operand(self, p, follow, files, failed):
        try:
            st = os.stat(p)
        except OSError as e:
            failed[p] = errno.errorcode[e.errno]
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(p, follow, files, failed, frozenset())
        elif stat.S_ISREG(st.st_mode):
            self.openable(p, files, failed)

    def targets(self, job):
        files, failed = [], {}
        t = job["ttype"]
        if t == "tree":
            self.operand(job["target"], job["follow"], files, failed)
        elif t == "glob":
            m = sorted(globmod.glob(job["target"]), key=os.fsencode)
            if not m:  # the path as written: ENOENT, or EACCES below a closed folder
                try:
                    os.stat(job["target"])
                    failed[job["target"]] = "ENOENT"
                except OSError as e:
                    failed[job["target"]] = errno.errorcode[e.errno]
            for p in m:
                self.operand(p, job["follow"], files, failed)
        elif t == "list":
            with open(job["target"], "rb") as f:
                for ln in f.read().decode("utf-8", "surrogateescape").splitlines():
                    if ln:
                        self.operand(unescape_path(ln), job["follow"], files, failed)
        return files, failed


def short(s, n=160):
    s = str(s).replace("\n", "|")
    return s if len(s) <= n else s[:n] + "..."


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "#%d expected %s got %s" % (i, x, y)
    if len(a) != len(b):
        return "#%d expected %s got %s" % (min(len(a), len(b)), a[len(b)] if len(a) > len(b) else "(end)",
                                           b[len(a)] if len(b) > len(a) else "(end)")
    return "none"
