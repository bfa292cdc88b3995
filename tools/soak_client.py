# SPDX-License-Identifier: MIT
"""tools/soak_client.py - one soak client (a process, as root or as
nobody): picks a random job, submits it one of several ways (plain, wait=1,
cancelled, its reader killed, ...), and checks what ended against Ref."""

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

from soak_ref import *  # noqa: F401,F403 (the data, quoting, Ref, short, first_diff)


# --------------------------------------------------------------------------
# the client

class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def read_to_eof(fd):
    """What fd gives until EOF, as text (a wait answer, a wait=1 reply)."""
    out = b""
    while True:
        b = os.read(fd, 65536)
        if not b:
            return out.decode("utf-8", "replace")
        out += b


class Client:
    def __init__(self, a):
        self.a = a
        self.m = json.load(open(a.manifest))
        self.mnt = a.mount
        self.rng = random.Random(a.seed)
        self.ref = Ref()
        self.uid = os.getuid()
        self.who = "root" if self.uid == 0 else "nobody"
        self.end = time.monotonic() + a.seconds
        self.mine = []
        signal.signal(signal.SIGALRM, on_alarm)

    def emit(self, kind, outcome, **detail):
        if outcome in ("error", "hang"):
            self.errored = True
        rec = {"who": self.who, "kind": kind, "o": outcome}
        rec.update(detail)
        sys.stdout.write(json.dumps(rec) + "\n")
        sys.stdout.flush()

    # every FUSE call is under an alarm: a hung daemon makes it an error, not a hang
    def guard(self, secs, fn, *args):
        signal.alarm(secs)
        try:
            return fn(*args)
        finally:
            signal.alarm(0)

    def readfile(self, path):
        def rd():
            fd = os.open(path, os.O_RDONLY)
            try:
                chunks = []
                while True:
                    b = os.read(fd, 1 << 20)
                    if not b:
                        return b"".join(chunks)
                    chunks.append(b)
            finally:
                os.close(fd)
        return self.guard(60, rd)

    def submit(self, lines, wait1=False):
        """Writes the lines in one write; returns (ids, None, None) or (None, (errno, answer),
        None). With wait1, returns ([id], None, the final status read back from ctl)."""
        def go():
            fd = os.open(os.path.join(self.mnt, "ctl"), os.O_RDWR)
            try:
                try:
                    os.write(fd, ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
                except OSError as e:
                    try:
                        ans = os.read(fd, 4096).decode("utf-8", "replace").strip()
                    except OSError:
                        ans = ""
                    return None, (e.errno, ans), None
                if wait1:
                    p = select.poll()
                    p.register(fd, select.POLLIN)
                    if not p.poll(self.a.job_timeout * 1000):
                        return None, (errno.ETIMEDOUT, "wait=1 answer not readable"), None
                    text = read_to_eof(fd)
                    first, _, rest = text.partition("\n")
                    return [first.strip()], None, rest
                ans = os.read(fd, 4096).decode("utf-8", "replace")
                return ans.split(), None, None
            finally:
                os.close(fd)
        return self.guard(self.a.job_timeout + 30, go)

    def wait(self, jid):
        def go():
            fd = os.open(os.path.join(self.mnt, "jobs", jid, "wait"), os.O_RDONLY)
            try:
                if self.rng.random() < 0.5:
                    p = select.poll()
                    p.register(fd, select.POLLIN)
                    if not p.poll(self.a.job_timeout * 1000):
                        raise Timeout()
                return read_to_eof(fd)
            finally:
                os.close(fd)
        return self.guard(self.a.job_timeout, go)

    # ---- picking a job

    def pick_job(self):
        r = self.rng
        m = self.m
        ops = self.a.ops
        op = r.choice(ops)
        job = {"op": op, "offset": 0, "length": None, "lines": False, "follow": False}
        tt = r.random()
        if tt < 0.45:
            job["ttype"] = "file"
            job["target"] = r.choice(m["singles"])
        elif tt < 0.65:
            job["ttype"] = "tree"
            job["target"] = r.choice(m["dirs"])
        elif tt < 0.8:
            job["ttype"] = "glob"
            job["target"] = r.choice(m["globs"])
        else:
            job["ttype"] = "list"
            job["target"] = r.choice(m["lists"])
        toks = ["scan"]
        if job["ttype"] == "list":
            toks.append("files=" + q_path(job["target"]))
        elif job["ttype"] == "glob":
            toks.append("path=" + job["target"])
        else:
            toks.append("path=" + q_path(job["target"]))
        toks.append("op=" + op)
        chunk = None
        if r.random() < 0.6:
            chunk = r.choice(CHUNKS)
            toks.append("chunk=%s" % r.choice([str(chunk), "%dK" % (chunk // 1024), hex(chunk)]))
        job["chunk_eff"] = chunk or self.a.mount_chunk
        if job["ttype"] == "file" or self.a.tree_ranges:
            if r.random() < 0.35:
                size = 0
                try:
                    size = os.stat(job["target"]).st_size
                except OSError:
                    pass
                c = job["chunk_eff"]
                offs = [0, 1, 4095, 4096, 4097, c - 1, c, c + 1, size // 2, max(size - 1, 0), size,
                        size + 10]
                lens = [1, 5, 100, 4095, 4096, 4097, c - 1, c, c + 1, 65536, 1 << 20, size, 2 * size + 1]
                job["offset"] = r.choice(offs)
                toks.append("offset=%d" % job["offset"])
                if r.random() < 0.8:
                    job["length"] = r.choice(lens)
                    toks.append("length=%d" % job["length"])
        if r.random() < 0.1 and job["offset"] % 4096 == 0:
            toks.append("direct=1")
            job["direct"] = True
        if r.random() < 0.3:
            # high and critical are root's (submit.c): nobody lowers only
            toks.append("priority=" + r.choice(PRIOS if self.uid == 0 else PRIOS[2:]))
        if r.random() < 0.1:
            toks.append("tenant=t%d" % r.randrange(5))
        if job["ttype"] != "file" and r.random() < 0.25:
            toks.append("follow=1")
            job["follow"] = True
        # order=walk: packs that start small, reruns in their pack's place
        # (fs/many.c); files in the walk's order (verify)
        if job["ttype"] != "file" and r.random() < 0.3:
            toks.append("order=walk")
            job["walk"] = True
        okey = op
        if op == "count":
            b = 0x0A
            if r.random() < 0.5:
                b = r.choice([0x00, 0x20, 0xFF, ord("E"), 0x0D, 0x0A])
                toks.append("byte=" + r.choice([str(b), "0x%02x" % b]))
            job["byte"] = b
            okey = "count%d" % b
        elif op == "match":
            pb = r.choice(MATCH_PATS)
            job["pattern_b"] = pb
            toks.append("pattern=" + q_bytes(pb, r.choice(["hex", "plain"])))
            okey = "match" + pb.hex()
        elif op == "grep":
            kind = r.random()
            if kind < 0.18:
                job["patterns"] = r.choice(m["pats"])
                # per_pattern=1: a count per pattern, every engine (soak_ref.py
                # make_data); the bit-parallel engine's set on small targets only
                if r.random() < 0.5:
                    job["pset"] = True
                    small = m["bytes"].get(job["target"], 1 << 40) <= 300000
                    job["patterns"] = r.choice(m["pset_pats"] + ([m["shift_pats"]] if small else []))
                    toks.append("per_pattern=1")
                toks.append("patterns=" + job["patterns"])
                if r.random() < 0.3:
                    toks.append("fixed=1")
                    job["fixed"] = True
            elif kind < 0.28:
                job["pattern_s"] = r.choice(FIXED_PATS)
                toks.append("fixed=1")
                job["fixed"] = True
            elif kind < 0.38:
                job["pattern_s"] = r.choice(ICASE_PATS)
                toks.append("icase=1")
                job["icase"] = True
            else:
                job["pattern_s"] = r.choice(GREP_PATS)
            if "pattern_s" in job:
                pb = job["pattern_s"].encode("latin-1")
                toks.append("pattern=" + q_bytes(pb, r.choice(["hex", "plain"])))
            if r.random() < 0.15 and not job.get("icase"):
                toks.append("icase=1")
                job["icase"] = True
            # per_pattern=1 counts every selected line: no invert=1, no max=
            if r.random() < 0.2 and not job.get("pset"):
                toks.append("invert=1")
                job["invert"] = True
            if r.random() < 0.2 and not job.get("pset"):
                job["max"] = r.choice([1, 2, 7, 100, 5000])
                toks.append("max=%d" % job["max"])
            # lines=1 costs the daemon ~0.3 ms a selected line on lavapipe: --lines-max-bytes
            # keeps it off big targets where a run must stay short
            if r.random() < 0.3 and m["bytes"].get(job["target"], 0) <= self.a.lines_max_bytes:
                toks.append("lines=1")
                job["lines"] = True
            okey = json.dumps([job.get(k) for k in ("patterns", "pattern_s", "fixed", "icase",
                                                     "invert", "max", "lines", "pset")])
        elif op == "nop":
            okey = "nop%d" % job["chunk_eff"]
        job["okey"] = okey
        rest = toks[1:]
        r.shuffle(rest)  # keys come in any order; "scan" is optional
        job["desc"] = " ".join((["scan"] if r.random() < 0.8 else []) + rest)
        job["kind"] = "%s/%s" % (op + ("-pp" if job.get("pset") else ""),
                                 job["ttype"] + ("-range" if job["offset"] or job["length"] is not None else ""))
        return job

    # ---- checking one finished job

    def expect_single(self, job):
        """('ok', result, lines) or ('deny', errno_name)."""
        why = self.denial(job)
        if why:
            return ("deny", why)
        res, lines = self.ref.one(job["target"], job)
        return ("ok", res, lines)

    def verify(self, job, jid, st):
        """Compares a done job against the reference; returns a list of problems."""
        d = os.path.join(self.mnt, "jobs", jid)
        got = self.readfile(os.path.join(d, "result")).decode("utf-8", "replace")
        probs = []
        op = job["op"]

        def norm_total(v):
            if op == "histogram":
                return "".join("0x%02x %d\n" % (i, v[i]) for i in range(256))
            return "%d" % v

        if job["ttype"] == "file":
            exp = self.expect_single(job)
            if exp[0] != "ok":
                return ["job ran (%s) but the caller cannot open the file (%s): it returned data"
                        % (st.get("state"), exp[1])]
            res, lines = exp[1], exp[2]
            if got.strip() != norm_total(res).strip():
                probs.append("result: expected %s got %s" % (short(norm_total(res)), short(got)))
            if job.get("pset"):
                counts, lines = self.ref.pset(job["target"], job)
                probs += self.check_patterns(d, counts)
            if job["lines"]:
                gl = self.readfile(os.path.join(d, "lines")).decode("utf-8", "replace").split()
                if gl != lines:
                    probs.append("lines: expected %d lines got %d; first difference: %s"
                                 % (len(lines), len(gl), first_diff(lines, gl)))
            return probs
        files, failed = self.ref.targets(job)
        total = [0] * 256 if op == "histogram" else 0
        exp_files = {}
        exp_lines = []
        exp_pc, psum = {}, None  # per_pattern=1: each file's "INDEX:COUNT,...", their sums
        for p in files:
            res, lines = self.ref.one(p, job)
            if job.get("pset"):
                counts, lines = self.ref.pset(p, job)
                exp_pc[p] = ",".join("%d:%d" % (i, c) for i, c in enumerate(counts) if c) or "-"
                psum = [a + b for a, b in zip(psum or [0] * len(counts), counts)]
            if op == "histogram":
                total = [a + b for a, b in zip(total, res)]
                exp_files[p] = sum(res)
            else:
                total += res
                exp_files[p] = res
            if job["lines"]:
                exp_lines += ["%s:%s" % (escape_list_path(p), x) for x in lines]
        if got.strip() != norm_total(total).strip():
            probs.append("total: expected %s got %s" % (short(norm_total(total)), short(got)))
        gf = {}
        gorder = []
        gpc = {}
        for ln in self.readfile(os.path.join(d, "files")).decode("utf-8", "surrogateescape").split("\n"):
            if ln:
                r_, _, p = ln.partition(" ")
                if job.get("pset"):  # "RESULT INDEX:COUNT,...|- PATH"
                    pc, _, p = p.partition(" ")
                    gpc[unescape_path(p)] = pc
                gf[unescape_path(p)] = int(r_)
                gorder.append(unescape_path(p))
        if job.get("pset"):
            if gpc != exp_pc:
                diff = ["%s: expected %s got %s" % (p, exp_pc.get(p), gpc.get(p))
                        for p in sorted(set(gpc) | set(exp_pc)) if gpc.get(p) != exp_pc.get(p)]
                probs.append("files' pattern counts: %d differ: %s" % (len(diff), "; ".join(diff[:3])))
            if psum is None:  # no file: every pattern's count is 0
                psum = [0] * len(self.ref.pset_patterns(job["patterns"]))
            probs += self.check_patterns(d, psum)
        if job.get("walk") and not job["follow"]:
            # grep -r's order: each directory's entries as readdir lists them
            self.ref.listing = True
            try:
                walked = self.ref.targets(job)[0]
            finally:
                self.ref.listing = False
            want = [p for p in walked if p in gf]
            seen = [p for p in gorder if p in set(walked)]
            if seen != want:
                probs.append("order=walk: files not in the walk's order; first difference: %s"
                             % first_diff(want, seen))
        if op == "nop":
            # a packed small file (up to 64 KiB, sharing a slot) counts 0 chunks, and the
            # total is the files' sum
            for p, v in list(gf.items()):
                if p in exp_files and v == 0 and os.path.getsize(p) <= 65536:
                    exp_files[p] = 0
            if got.strip() == str(sum(gf.values())):
                probs = [x for x in probs if not x.startswith("total:")]
            elif not any(x.startswith("total:") for x in probs):
                probs.append("total: %s is not the sum of the files' %d" % (got.strip(), sum(gf.values())))
        if gf != exp_files:
            diff = ["%s: expected %s got %s" % (p, exp_files.get(p, "(absent)"), gf.get(p, "(absent)"))
                    for p in sorted(set(gf) | set(exp_files)) if gf.get(p) != exp_files.get(p)]
            probs.append("files: %d expected, %d got; %d differ: %s"
                         % (len(exp_files), len(gf), len(diff), "; ".join(diff[:4])))
        gfail = {}
        for ln in self.readfile(os.path.join(d, "failed")).decode("utf-8", "surrogateescape").split("\n"):
            if ln:
                p, _, e = ln.rpartition(" ")
                gfail[unescape_path(p)] = e
        if gfail != failed:
            probs.append("failed: expected %s got %s" % (sorted(failed.items())[:6],
                                                          sorted(gfail.items())[:6]))
        # a path the caller did not name, inside a folder it cannot list, must never show
        secret = [p for p in list(gf) + list(gfail) if self.uid and "/secret/" in p
                  and p not in failed and p not in exp_files]
        if secret:
            probs.append("LEAK: a root-only folder's contents named to uid %d: %s" % (self.uid, secret[:3]))
        if job["lines"]:
            gl = self.readfile(os.path.join(d, "lines")).decode("utf-8", "surrogateescape").split("\n")
            gl = [x for x in gl if x]
            if sorted(gl) != sorted(exp_lines):
                probs.append("lines: expected %d got %d; first difference: %s"
                             % (len(exp_lines), len(gl), first_diff(sorted(exp_lines), sorted(gl))))
        return probs

    def check_patterns(self, d, counts):
        """per_pattern=1: jobs/N/patterns against counts, a line "COUNT INDEX" each."""
        want = "".join("%d %d\n" % (c, i) for i, c in enumerate(counts))
        got = self.readfile(os.path.join(d, "patterns")).decode("utf-8", "replace")
        if got != want:
            return ["patterns: expected %s got %s" % (short(want), short(got))]
        return []

    # ---- scenarios

    def run_one(self):
        r = self.rng.random()
        if r < 0.06:
            return self.peek_others()
        job = self.pick_job()
        self.cur = job["desc"]
        mode = "plain"
        if r < 0.2:
            mode = "wait1"
        elif r < 0.28:
            mode = "cancel"
        elif r < 0.36:
            mode = "killreader"
        elif r < 0.44:
            mode = "batch"
        if mode == "wait1":
            job["desc"] += " wait=1"
        jobs = [job]
        if mode == "batch":
            jobs += [self.pick_job() for _ in range(self.rng.randrange(1, 4))]
        t0 = time.monotonic()
        try:
            ids, err, w1 = self.submit([j["desc"] for j in jobs], wait1=(mode == "wait1"))
        except Timeout:
            self.emit(job["kind"], "hang", what="ctl write/read", desc=job["desc"])
            return
        except OSError as e:
            self.emit(job["kind"], "error", what="ctl: " + errno.errorcode.get(e.errno, str(e.errno)),
                      desc=job["desc"])
            return
        if err is not None:
            # the lines before the bad one stand: their ids come back before the error
            got = [x for x in err[1].split("\n") if x.strip().isdigit()]
            for i, x in enumerate(got[:len(jobs) - 1]):
                self.finish(jobs[i], x.strip(), "plain", t0)
            self.submit_failed(jobs[len(got):], (err[0], err[1].split("\n")[-1]))
            return
        if mode == "wait1":
            st = parse_kv(w1)
            if st.get("id") != ids[0] or st.get("state") not in ("done", "failed", "cancelled"):
                self.emit(job["kind"], "wrong", desc=job["desc"],
                          problems=["wait=1 answer is not the ended job's status: %r"
                                    % (ids[0] + "\n" + w1[:300])])
                return
        for i, j in enumerate(jobs):
            if i >= len(ids):
                self.emit(j["kind"], "error", what="no id for line", desc=j["desc"], got=ids)
                continue
            self.finish(j, ids[i], mode, t0)

    def submit_failed(self, jobs, err):
        en, ans = err
        ename = errno.errorcode.get(en, str(en))
        # the first line a user may not submit decides the errno
        for j in jobs:
            why = self.denial(j)
            if why:
                if why == ename:
                    self.emit(j["kind"], "denied_ok")
                else:
                    self.emit(j["kind"], "wrong", desc=j["desc"],
                              problems=["submit: expected %s got %s (%s)" % (why, ename, ans)])
                return
        kind = jobs[0]["kind"]
        if ename == "EAGAIN":
            self.emit(kind, "eagain")
            return
        self.emit(kind, "error", what="submit " + ename + ": " + ans[:80], desc=[j["desc"] for j in jobs],
                  answer=ans)

    def denial(self, job):
        """The errno a submit of job must fail with for this user, or None: the list, the
        file or the folder operand it cannot open, then the patterns file it cannot read,
        in the daemon's order (fs/submit.c: fs_submit_open, then fs_grep_load)."""
        paths = []
        if job["ttype"] == "list" or job["ttype"] in ("file", "tree"):
            paths.append(job["target"])
        if job.get("patterns"):
            paths.append(job["patterns"])
        for path in paths:
            try:
                os.close(os.open(path, os.O_RDONLY))
            except OSError as e:
                return errno.errorcode[e.errno]
        return None

    def finish(self, job, jid, mode, t0):
        kind = job["kind"]
        why = self.denial(job)
        if why:
            self.emit(kind, "wrong", desc=job["desc"], id=jid,
                      problems=["submit succeeded (id %s) though the caller gets %s opening the "
                                "target: must be refused" % (jid, why)])
            return
        try:
            if mode == "cancel":
                time.sleep(self.rng.random() * 0.03)
                try:
                    self.guard(30, self.write_cancel, jid)
                except OSError as e:
                    pass  # already ended: EINVAL or similar; the job is checked below
            elif mode == "killreader":
                rdr = subprocess.Popen(["cat", os.path.join(self.mnt, "jobs", jid, "wait")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(self.rng.random() * 0.02)
                rdr.kill()
                try:
                    rdr.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.emit(kind, "hang", what="a SIGKILLed reader of wait did not die in 10 s",
                              desc=job["desc"], id=jid)
                    return
            st = parse_kv(self.wait(jid))
        except Timeout:
            self.emit(kind, "hang", what="wait on job %s over %d s" % (jid, self.a.job_timeout),
                      desc=job["desc"], id=jid)
            return
        except OSError as e:
            self.emit(kind, "error", what="wait " + errno.errorcode.get(e.errno, str(e.errno)),
                      desc=job["desc"], id=jid)
            return
        state = st.get("state")
        try:  # the daemon's own submit-to-end time: a batch's later jobs wait on our checks
            ms = int(st.get("elapsed_us", "")) // 1000
        except ValueError:
            ms = int((time.monotonic() - t0) * 1000)
        if state == "cancelled" and mode == "cancel":
            self.emit(kind, "cancelled", ms=ms)
            self.cleanup(jid)
            return
        if state != "done":
            self.emit(kind, "wrong" if state == "cancelled" else "error", desc=job["desc"], id=jid,
                      what="state=%s error=%s" % (state, st.get("error")),
                      problems=["ended %s (%s) without a cancel" % (state, st.get("error"))])
            return
        try:
            probs = self.verify(job, jid, st)
        except Timeout:
            self.emit(kind, "hang", what="reading results of %s" % jid, desc=job["desc"])
            return
        except OSError as e:
            self.emit(kind, "error", what="read results: %s" % e, desc=job["desc"], id=jid)
            return
        if probs:
            self.emit(kind, "wrong", desc=job["desc"], id=jid, problems=probs, mode=mode)
        else:
            self.emit(kind, "ok", ms=ms, mode=mode, desc=job["desc"])
        self.cleanup(jid)

    def write_cancel(self, jid):
        fd = os.open(os.path.join(self.mnt, "jobs", jid, "ctl"), os.O_WRONLY)
        try:
            os.write(fd, b"cancel\n")
        finally:
            os.close(fd)

    def cleanup(self, jid):
        self.mine.append(jid)
        if self.rng.random() < 0.7:
            try:
                self.guard(30, os.rmdir, os.path.join(self.mnt, "jobs", jid))
            except (OSError, Timeout):
                pass

    def peek_others(self):
        """Another user's job must not be readable: nobody tries ids near its own."""
        if not self.mine:
            return
        base = int(self.rng.choice(self.mine))
        probed = 0
        for jid in (str(base + k) for k in range(-6, 7)):
            p = os.path.join(self.mnt, "jobs", jid)
            try:
                st = self.guard(30, os.stat, p)
            except (OSError, Timeout):
                continue
            if st.st_uid == self.uid or self.uid == 0:
                continue
            probed += 1
            # another user's job is invisible (tree.c): ENOENT, no owner or time on show
            self.emit("peek/other-user", "wrong", id=jid,
                      problems=["uid %d could stat job %s of uid %d" % (self.uid, jid, st.st_uid)])
            try:
                data = self.readfile(os.path.join(p, "result"))
                self.emit("peek/other-user", "wrong", id=jid,
                          problems=["uid %d read job %s of uid %d: %r" % (self.uid, jid, st.st_uid,
                                                                          data[:40])])
                return
            except (OSError, Timeout):
                pass
        if probed:
            self.emit("peek/other-user", "ok")

    def mount_gone(self):
        """After an error: a mount whose daemon is gone answers ENOTCONN; stop then."""
        try:
            self.guard(30, os.statvfs, self.mnt)
            return False
        except OSError as e:
            return e.errno in (errno.ENOTCONN, errno.ECONNABORTED)
        except Timeout:
            return False

    def loop(self):
        while time.monotonic() < self.end:
            self.errored = False
            if self.a.stop_file and os.path.exists(self.a.stop_file):
                return
            try:
                self.run_one()
            except Timeout:
                self.emit("internal", "hang", what="alarm outside a guarded call")
            except Exception as e:  # the soak's own bug: say so, go on
                import traceback
                self.emit("internal", "error", what="%s: %s" % (type(e).__name__, e),
                          tb=traceback.format_exc()[-800:], desc=getattr(self, "cur", None))
            if self.errored and self.mount_gone():
                self.emit("internal", "error", what="the mount is gone (ENOTCONN): client stops")
                return
