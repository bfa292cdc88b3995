#!/usr/bin/env bats
# What an operator scrapes and scripts against (issue 27): metrics count
# jobs as jobs and pass the Prometheus text format's and OpenMetrics'
# rules (checked here by an independent parser of each, and by promtool and
# prometheus_client where installed); the series for a dead GPU, free
# slots, version and start time are there and true.
load common

# a test's own daemon (MNT2) goes even when the test failed
teardown() {
	unmount_second
	# the target a syslog test made for its bind mount (none was there)
	[ -z "${MADE_DEV_LOG:-}" ] || rm -f /dev/log
	[ -z "${LISTENER:-}" ] || kill "$LISTENER" 2>/dev/null || true
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		for l in "${LOG2:-}" "${LOG:-}"; do
			[ -f "$l" ] && { echo "--- $l" >&2; tail -n 50 "$l" >&2; }
		done
	fi
	return 0
}

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"

# check_exposition FORMAT FILE: FORMAT prom (text format 0.0.4, as promtool
# check metrics lints it) or om (OpenMetrics 1.0); prints what is wrong
check_exposition() {
	python3 - "$@" <<-'PY'
	import math, re, sys
	fmt, path = sys.argv[1], sys.argv[2]
	text = open(path, encoding="utf-8").read()
	NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
	LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
	TYPES = {"prom": {"counter", "gauge", "histogram", "summary", "untyped"},
	         "om": {"counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
	                "stateset", "unknown"}}[fmt]
	errs, fams, order, seen = [], {}, [], set()
	def fam_of(sample):
	    # the family a sample belongs to, by the format's suffix rules
	    for f in reversed(order):
	        t = fams[f]["type"]
	        ok = {"counter": ["_total", "_created"] if fmt == "om" else [""],
	              "gauge": [""], "untyped": [""], "unknown": [""],
	              "histogram": ["_bucket", "_sum", "_count", "_created"],
	              "summary": ["", "_sum", "_count", "_created"],
	              "info": ["_info"], "stateset": [""]}.get(t, [""])
	        if any(sample == f + s for s in ok):
	            return f
	    return None
	lines = text.split("\n")
	if fmt == "om":
	    if lines[-1] != "" or lines[-2] != "# EOF":
	        errs.append("OpenMetrics must end with '# EOF' and a newline")
	    lines = lines[:-2]
	elif lines[-1] != "":
	    errs.append("the last line has no newline")
	else:
	    lines = lines[:-1]
	current = None
	for n, line in enumerate(lines, 1):
	    if line.startswith("#"):
	        m = re.match(r"# (HELP|TYPE|UNIT) (\S+) ?(.*)$", line)
	        if not m:
	            if fmt == "om":
	                errs.append(f"{n}: OpenMetrics has no free comments: {line}")
	            continue
	        kind, name, rest = m.groups()
	        if fmt == "prom" and kind == "UNIT":
	            errs.append(f"{n}: UNIT is OpenMetrics only")
	            continue
	        if not NAME.match(name):
	            errs.append(f"{n}: bad metric name {name}")
	        f = fams.get(name)
	        if f is None:
	            if name in seen:
	                errs.append(f"{n}: {name}: metadata after its samples")
	            f = fams[name] = {"type": None, "help": None, "unit": None, "samples": 0}
	            order.append(name)
	        elif current != name:
	            errs.append(f"{n}: {name}: family not contiguous")
	        current = name
	        key = kind.lower()
	        if f[key] is not None:
	            errs.append(f"{n}: second {kind} for {name}")
	        if f["samples"]:
	            errs.append(f"{n}: {kind} of {name} after its samples")
	        f[key] = rest
	        if kind == "TYPE" and rest not in TYPES:
	            errs.append(f"{n}: {name}: unknown type {rest}")
	        if kind == "UNIT" and not name.endswith("_" + rest):
	            errs.append(f"{n}: {name}: the name must end in _{rest}")
	        continue
	    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)( \S+)?$", line)
	    if not m:
	        errs.append(f"{n}: not a sample: {line!r}")
	        continue
	    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
	    seen.add(name)
	    f = fam_of(name)
	    if f is None or fams[f]["type"] is None:
	        errs.append(f"{n}: {name}: no TYPE line before it")
	        continue
	    if f != current:
	        errs.append(f"{n}: {name}: family {f} not contiguous")
	    fams[f]["samples"] += 1
	    body = labels[1:-1]
	    pairs = LABEL.findall(body)
	    if body and ",".join(f'{k}="{v}"' for k, v in pairs) != body.rstrip(","):
	        errs.append(f"{n}: bad labels {labels}")
	    key = (name, tuple(sorted(pairs)))
	    if key in seen:
	        errs.append(f"{n}: duplicate series {line}")
	    seen.add(key)
	    try:
	        v = float(value)
	    except ValueError:
	        errs.append(f"{n}: bad value {value}")
	        continue
	    t = fams[f]["type"]
	    if t == "counter" and (v < 0 or math.isnan(v)):
	        errs.append(f"{n}: a counter below 0")
	    if name.endswith("_bucket") and "le" not in dict(pairs):
	        errs.append(f"{n}: a bucket without le")
	    fams[f].setdefault("series", []).append((name, dict(pairs), v))
	for name in order:
	    f = fams[name]
	    if f["help"] is None:
	        errs.append(f"{name}: no HELP")
	    if f["type"] is None:
	        errs.append(f"{name}: no TYPE")
	    if fmt == "prom" and f["type"] == "counter" and not name.endswith("_total"):
	        errs.append(f"{name}: a counter's name must end in _total (promtool lint)")
	    if fmt == "om" and f["type"] == "counter" and name.endswith("_total"):
	        errs.append(f"{name}: an OpenMetrics counter family is named without _total")
	    if f["type"] == "histogram":
	        s = f.get("series", [])
	        b = [(float(l["le"]), v) for nm, l, v in s if nm == name + "_bucket"]
	        cnt = [v for nm, l, v in s if nm == name + "_count"]
	        if not b or b[-1][0] != math.inf or not cnt or b[-1][1] != cnt[0]:
	            errs.append(f"{name}: no +Inf bucket equal to _count")
	        if any(b[i][1] > b[i + 1][1] or b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
	            errs.append(f"{name}: buckets not cumulative in le order")
	print("\n".join(errs))
	sys.exit(1 if errs else 0)
	PY
}

# metric FILE SERIES: the value of one series, as written
metric() {
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}

@test "metrics.prom passes the Prometheus text format's rules: HELP and TYPE on every family, counters named _total" {
	# something in every family, the tenant ones included (root reads them)
	result_of "scan path=/etc/services op=count" >/dev/null
	run check_exposition prom "$MNT/metrics.prom"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	# every family of the OpenMetrics file is in it too
	om=$(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$MNT/metrics" | sort)
	prom=$(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$MNT/metrics.prom" | sed 's/_total$//; s/^vyrefs_build_info$/vyrefs_build/' | sort)
	[ "$om" = "$prom" ]
	[ "$(echo "$om" | wc -l)" -ge 20 ]
}

@test "metrics passes OpenMetrics' rules: # EOF last, counter families without _total, UNIT a suffix" {
	run check_exposition om "$MNT/metrics"
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

@test "promtool check metrics is clean on metrics.prom" {
	local promtool=${PROMTOOL:-$(command -v promtool || true)}
	[ -n "$promtool" ] || skip "promtool not installed (Debian: apt-get install prometheus)"
	run "$promtool" check metrics < "$MNT/metrics.prom"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "prometheus_client's parsers read both files, the same families and values" {
	/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
		skip "prometheus_client not installed (Debian: apt-get install python3-prometheus-client)"
	run /usr/bin/python3 - "$MNT/metrics" "$MNT/metrics.prom" <<-'PY'
	import sys
	from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
	from prometheus_client.parser import text_string_to_metric_families as prom
	a = {s.name: s.value for f in om(open(sys.argv[1]).read()) for s in f.samples if not s.labels}
	b = {s.name: s.value for f in prom(open(sys.argv[2]).read()) for s in f.samples if not s.labels}
	# the two reads a moment apart: the counters that cannot move meanwhile
	for k in ("vyrefs_build_info", "vyrefs_start_time_seconds"):
	    assert a.get(k) == b.get(k), (k, a.get(k), b.get(k))
	print(len(a), len(b))
	PY
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

@test "a job over 14 files moves jobs by 1 (metrics, status, histogram) and files by 14" {
	local d="$BATS_TEST_TMPDIR/tree" f=0 n
	mkdir -p "$d/sub"
	for i in $(seq 1 7); do seq 1 "$i" > "$d/f$i"; seq 1 "$i" > "$d/sub/g$i"; done
	n=$(find "$d" -type f | wc -l)
	[ "$n" -eq 14 ]
	local jobs0 hist0 files0 done0
	jobs0=$(metric "$MNT/metrics" 'vyrefs_jobs_total{state="done"}')
	hist0=$(metric "$MNT/metrics" vyrefs_job_duration_seconds_count)
	files0=$(metric "$MNT/metrics" vyrefs_files_total)
	done0=$(sed -n 's/^jobs_done=//p' "$MNT/status")
	# grep lines=1 runs one pump job per file (count and grep without
	# lines=1 pack them into one): the lines holding a 1, by an independent count
	[ "$(result_of "scan path=$d op=grep pattern=1 lines=1")" = "$(cat "$d"/f* "$d"/sub/g* | grep -c 1)" ]
	[ "$(metric "$MNT/metrics" vyrefs_job_duration_seconds_count)" = $((hist0 + 1)) ]
	[ "$(metric "$MNT/metrics" 'vyrefs_jobs_total{state="done"}')" = $((jobs0 + 1)) ]
	[ "$(sed -n 's/^jobs_done=//p' "$MNT/status")" = $((done0 + 1)) ]
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_jobs_total{state="done"}')" = $((jobs0 + 1)) ]
	[ "$(metric "$MNT/metrics.prom" vyrefs_files_total)" = $((files0 + n)) ]
	[ "$(sed -n 's/^jobs_active=//p' "$MNT/status")" = 0 ]
	[ "$(metric "$MNT/metrics.prom" vyrefs_jobs_active)" = 0 ]
}

@test "jobs by state add up to the duration histogram's count: a cancelled job counts as cancelled" {
	local big="$BATS_TEST_TMPDIR/big" c0 id
	truncate -s 1G "$big"
	c0=$(metric "$MNT/metrics.prom" 'vyrefs_jobs_total{state="cancelled"}')
	id=$(submit "scan path=$big op=count byte=0 chunk=64K")
	echo cancel > "$MNT/jobs/$id/ctl"
	wait_job "$id"
	[ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = cancelled ]
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_jobs_total{state="cancelled"}')" = $((c0 + 1)) ]
	[ "$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")" = $((c0 + 1)) ]
	python3 - "$MNT/metrics.prom" <<-'PY'
	import re, sys
	t = open(sys.argv[1]).read()
	jobs = sum(int(v) for v in re.findall(r'^vyrefs_jobs_total\{state="\w+"\} (\d+)$', t, re.M))
	count = int(re.search(r"^vyrefs_job_duration_seconds_count (\d+)$", t, re.M).group(1))
	assert jobs == count, (jobs, count)
	PY
}

@test "build_info is vyrefs --version's, start_time is now less uptime, gpu_dead and slots_free per unit match status" {
	local v now start up
	v=$("$VYREFS" --version | awk '{ print $2 }')
	[ "$(metric "$MNT/metrics.prom" "vyrefs_build_info{version=\"$v\"}")" = 1 ]
	grep -qx "vyrefs_build_info{version=\"$v\"} 1" "$MNT/metrics"
	now=$(date +%s)
	start=$(metric "$MNT/metrics.prom" vyrefs_start_time_seconds)
	up=$(sed -n 's/^uptime_s=//p' "$MNT/status")
	[ $((now - up - start)) -ge -2 ]
	[ $((now - up - start)) -le 2 ]
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_gpu_dead{unit="0"}')" = "$(sed -n 's/^unit0_dead=//p' "$MNT/status")" ]
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_gpu_dead{unit="0"}')" = 0 ]
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_slots{unit="0"}')" = "$(sed -n 's/^slots=//p' "$MNT/status")" ]
	# nothing runs: every slot is free
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_slots_free{unit="0"}')" = "$(sed -n 's/^slots=//p' "$MNT/status")" ]
}

@test "a GPU given up on shows vyrefs_gpu_dead{unit=\"0\"} 1 and its job failed, as status's gpu_dead" {
	MNT2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	LOG2="$BATS_TEST_TMPDIR/vyrefs2.log"
	VYRE_FAULT_GPU_STALL_AFTER=0 "$VYREFS" "$MNT2" -o "log=$LOG2,kernel=relaunch,gpu_timeout=1000,slots=4"
	local data="$BATS_TEST_TMPDIR/data" id
	head -c 300000 /dev/urandom > "$data"
	[ "$(metric "$MNT2/metrics.prom" 'vyrefs_gpu_dead{unit="0"}')" = 0 ]
	exec 7<>"$MNT2/ctl"
	echo "scan path=$data op=count chunk=64K" >&7
	read -r id <&7
	exec 7>&-
	run timeout 20 cat "$MNT2/jobs/$id/wait"
	[[ "$output" == *"state=failed"* ]]
	[ "$(sed -n 's/^gpu_dead=//p' "$MNT2/status")" = 1 ]
	[ "$(metric "$MNT2/metrics.prom" 'vyrefs_gpu_dead{unit="0"}')" = 1 ]
	grep -qx 'vyrefs_gpu_dead{unit="0"} 1' "$MNT2/metrics"
	[ "$(metric "$MNT2/metrics.prom" 'vyrefs_jobs_total{state="failed"}')" = 1 ]
	[ "$(metric "$MNT2/metrics.prom" 'vyrefs_files_failed_total')" = 1 ]
	# nothing was read: no result, the chunks' errno instead of a 0
	run cat "$MNT2/jobs/$id/result"
	[ "$status" -ne 0 ]
	[[ "$output" == *"timed out"* ]]
}

@test "cat result of a running job waits for its end and prints the true count, never a running 0" {
	local big="$BATS_TEST_TMPDIR/holes" id t0 got
	# 256 MiB of holes in 64K chunks: seconds of work on lavapipe
	truncate -s 256M "$big"
	id=$(submit "scan path=$big op=count byte=0 chunk=64K")
	got=$(timeout 120 cat "$MNT/jobs/$id/result")
	# a hole is all zero bytes: every byte counts
	[ "$got" = $((256 << 20)) ]
	[ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = done ]
	# the README's own example: latest, read at once
	echo "scan path=/etc/services op=count" > "$MNT/ctl"
	[ "$(cat "$MNT/jobs/latest/result")" = "$(tr -cd '\n' < /etc/services | wc -c)" ]
}

@test "a non-blocking open of a running job's result fails EAGAIN; once ended it reads" {
	local big="$BATS_TEST_TMPDIR/holes" id
	truncate -s 256M "$big"
	id=$(submit "scan path=$big op=count byte=0 chunk=64K")
	run python3 -c '
import errno, os, sys
try:
    os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
except OSError as e:
    print(errno.errorcode[e.errno]); sys.exit(0)
print("opened"); sys.exit(1)' "$MNT/jobs/$id/result"
	echo "$output" >&2
	if [ "$output" = opened ]; then
		# a device fast enough to end 256 MiB before the open: no race to test
		[ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = done ]
		skip "the job ended before the open"
	fi
	[ "$status" -eq 0 ]
	[ "$output" = EAGAIN ]
	wait_job "$id"
	run python3 -c 'import os, sys; print(os.read(os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK), 99).decode().strip())' "$MNT/jobs/$id/result"
	[ "$output" = $((256 << 20)) ]
}

@test "a cancelled job's result fails ECANCELED, also for a reader that waited" {
	local big="$BATS_TEST_TMPDIR/holes" id pid
	truncate -s 1G "$big"
	id=$(submit "scan path=$big op=count byte=0 chunk=64K")
	cat "$MNT/jobs/$id/result" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 0.5
	echo cancel > "$MNT/jobs/$id/ctl"
	# `run wait` waited in a subshell, where the reader is no child: it
	# returned at once and the checks below raced the cancel (CI saw
	# state=running, no ECANCELED yet)
	local rc=0
	timeout 60 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	# what the reader got, for a failure's log
	echo "reader rc=$rc out=$(cat "$BATS_TEST_TMPDIR/out") err=$(cat "$BATS_TEST_TMPDIR/err")" >&2
	grep -E '^(state|error|chunks_done)=' "$MNT/jobs/$id/status" >&2
	[ "$rc" -ne 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	grep -q "Operation canceled" "$BATS_TEST_TMPDIR/err"
	[ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = cancelled ]
	run cat "$MNT/jobs/$id/result"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation canceled"* ]]
	# a many-file job cancelled at once: no 0 either
	id=$(submit "scan path=/usr/share op=count")
	echo cancel > "$MNT/jobs/$id/ctl"
	wait_job "$id"
	if [ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = cancelled ]; then
		run cat "$MNT/jobs/$id/result"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Operation canceled"* ]]
	fi
}

@test "a mount that works prints nothing; its pump line is in the log" {
	MNT2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	LOG2="$BATS_TEST_TMPDIR/vyrefs2.log"
	run "$VYREFS" "$MNT2" -o "log=$LOG2"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	grep -q '^vyrefs: pump: .*kernel=' "$LOG2"
	mountpoint -q "$MNT2"
}

@test "a bad option fails the mount before the GPU opens, said on the terminal" {
	MNT2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	LOG2="$BATS_TEST_TMPDIR/vyrefs2.log"
	local o
	for o in bogus=1 kernel=fast chunk=3000 slots=0; do
		run "$VYREFS" "$MNT2" -o "log=$LOG2,$o"
		echo "$o: $output" >&2
		[ "$status" -ne 0 ]
		[[ "$output" == *"${o%%=*}"* ]]
		# the GPU was never opened: no pump line anywhere, nothing mounted
		[[ "$output" != *"pump:"* ]]
		run ! grep -q "pump:" "$LOG2"
		run ! mountpoint -q "$MNT2"
	done
}

# syslog_listener SOCKET OUT: a datagram socket at SOCKET writing each
# message received to OUT, one a line; sets LISTENER
syslog_listener() {
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
open(sys.argv[3], "w").close()
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")' "$1" "$2" "$2.ready" &
	LISTENER=$!
	for _ in $(seq 50); do [ -e "$2.ready" ] && return 0; sleep 0.1; done
	return 1
}

@test "without log= the daemon's messages go to syslog (LOG_DAEMON, ident vyrefs), errors also to the terminal" {
	local sock="$BATS_TEST_TMPDIR/log.sock" got="$BATS_TEST_TMPDIR/syslog"
	syslog_listener "$sock" "$got"
	# /dev/log is our socket only in a mount namespace of this test's own,
	# so the machine's syslog (if any) sees nothing; a bind needs a target
	if [ ! -e /dev/log ]; then
		touch /dev/log
		MADE_DEV_LOG=1
	fi
	run unshare -m --propagation private bash -c '
		mount --bind "$1" /dev/log || exit 9
		m=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
		"$2" "$m" || exit 8
		echo "mounted"
		exec 7<>"$m/ctl"; echo "scan path=/etc/services op=count" >&7; read -r id <&7; exec 7>&-
		cat "$m/jobs/$id/wait" >/dev/null
		umount "$m"
		for _ in $(seq 50); do pgrep -f "vyrefs $m" >/dev/null || break; sleep 0.1; done
		"$2" "$m" -o device=no-such-device; echo "rc=$?"
		rmdir "$m"' _ "$sock" "$VYREFS"
	echo "$output" >&2
	cat "$got" >&2
	[ "${lines[0]}" = mounted ] # and nothing before it: a mount prints nothing
	[[ "$output" == *"device=no-such-device"* ]]
	[[ "$output" == *"rc=1"* ]]
	# facility daemon (3 << 3) + info (6) = 30, + err (3) = 27
	grep -qE '^<30>.*vyrefs\[[0-9]+\]: pump: .*kernel=' "$got"
	grep -qE '^<27>.*vyrefs\[[0-9]+\]: error: .*device=no-such-device' "$got"
}

# quickstart_tree DIR: the quick start in DIR with deps.sh and build.sh that
# only say they ran, and build/fs/vyrefs this suite's daemon
quickstart_tree() {
	mkdir -p "$1/tools" "$1/build/fs"
	cp "$VYRE_ROOT/tools/quickstart.sh" "$1/tools/"
	printf '#!/bin/sh\ntouch "%s/$(basename "$0").ran"\n' "$1" > "$1/tools/deps.sh"
	cp "$1/tools/deps.sh" "$1/tools/build.sh"
	chmod +x "$1/tools/deps.sh" "$1/tools/build.sh"
	ln -s "$VYREFS" "$1/build/fs/vyrefs"
}

@test "quickstart leaves a mount that is not vyrefs alone, before installing anything, and names VYRE_MOUNT" {
	local t="$BATS_TEST_TMPDIR/qs"
	quickstart_tree "$t"
	MNT2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	mount -t tmpfs -o size=1M vyre-test "$MNT2"
	echo canary > "$MNT2/canary"
	VYRE_MOUNT=$MNT2 run "$t/tools/quickstart.sh"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[[ "$output" == *"not vyrefs"* && "$output" == *"VYRE_MOUNT="* ]]
	[ "$(findmnt -n -o FSTYPE --mountpoint "$MNT2")" = tmpfs ]
	[ "$(cat "$MNT2/canary")" = canary ]
	[ ! -e "$t/deps.sh.ran" ]
	[ ! -e "$t/build.sh.ran" ]
}

@test "quickstart replaces a vyrefs mount of an earlier run and counts as wc -l does" {
	local t="$BATS_TEST_TMPDIR/qs" f="$BATS_TEST_TMPDIR/lines"
	quickstart_tree "$t"
	seq 1 12345 > "$f"
	MNT2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	"$VYREFS" "$MNT2" -o "log=$BATS_TEST_TMPDIR/old.log"
	VYRE_MOUNT=$MNT2 VYRE_LOG="$BATS_TEST_TMPDIR/qs.log" run "$t/tools/quickstart.sh" "$f"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"vyrefs (GPU): $(wc -l < "$f")"* ]]
	[ -e "$t/deps.sh.ran" ]
	# one vyrefs mount there, the new one (its log is the new log)
	[ "$(findmnt -n -o FSTYPE --mountpoint "$MNT2" | wc -l)" -eq 1 ]
	grep -q "pump:" "$BATS_TEST_TMPDIR/qs.log"
}

# section FILE START END: FILE's lines from the first matching START to the
# next matching END (man source or markdown)
section() {
	awk -v s="$2" -v e="$3" '$0 ~ s { on = 1; print; next } on && $0 ~ e { exit } on' "$1"
}

@test "docs name every descriptor key, mount option, op and status key the code has" {
	local man="$VYRE_ROOT/fs/vyrefs.1" readme="$VYRE_ROOT/README.md" missing="" k
	local keys opts ops
	# the code's tables: descriptor.c's keys, main.c's -o options, the ops file
	keys=$(sed -n 's/.*\[DESC_KEY_[A-Z0-9_]*\] = {\.name = "\([a-z0-9_]*\)".*/\1/p' "$VYRE_ROOT/fs/descriptor.c")
	opts=$(sed -n 's/^\tOPT("\([a-z_]*\)=%s".*/\1/p' "$VYRE_ROOT/fs/main.c")
	ops=$(awk '{ print $1 }' "$MNT/ops")
	[ "$(echo "$keys" | wc -l)" -ge 19 ]
	[ "$(echo "$opts" | wc -l)" -ge 13 ]
	[ "$(echo "$ops" | wc -l)" -ge 5 ]
	for k in $keys; do
		section "$readme" '^## Job descriptors' '^## ' | grep -q "\`$k[\`=]" || missing+=" README.md:key:$k"
		section "$man" '^\.SH DESCRIPTOR' '^\.SH ' | grep -q "\b$k=" || missing+=" vyrefs.1:key:$k"
		grep -q "\b$k=" "$MNT/README" || missing+=" MNT/README:key:$k"
	done
	for k in $opts; do
		"$VYREFS" --help | grep -q -- "-o $k=" || missing+=" --help:option:$k"
		section "$readme" '^## Options' '^## ' | grep -q "^| \`$k=" || missing+=" README.md:option:$k"
		grep -q -- "-o $k=" "$man" || missing+=" vyrefs.1:option:$k"
	done
	for k in $ops; do
		grep -q "^| \`$k\` |" "$readme" || missing+=" README.md:op:$k"
		section "$man" '^\.SH OPS' '^\.SH ' | grep -qx "\.B $k" || missing+=" vyrefs.1:op:$k"
		grep -q "^  $k " "$MNT/README" || missing+=" MNT/README:op:$k"
		"$VYRECTL" --help | grep -- "--op OP" | grep -qw "$k" || missing+=" vyrectl--help:op:$k"
	done
	"$VYRECTL" --help | grep -q "^  grep " || missing+=" vyrectl--help:grep"
	# status keys, as a finished job and the global status show them
	id=$(submit "scan path=/etc/services op=count")
	wait_job "$id"
	for k in $(sed 's/=.*//' "$MNT/jobs/$id/status"); do
		grep -q "^| \`jobs/N/status\` |.*\b$k\b" "$readme" || missing+=" README.md:job-status:$k"
		section "$man" '^\.IR jobs/ N /status' '^\.TP' | grep -q "\b$k\b" || missing+=" vyrefs.1:job-status:$k"
	done
	for k in $(sed 's/=.*//; /^unit[0-9]/d' "$MNT/status"); do
		section "$man" '^The global state as key=value' '^\.TP' | grep -q "\b$k\b" || missing+=" vyrefs.1:status:$k"
	done
	# examples run on Debian 12 as it is installed: no /var/log/syslog
	run ! grep -n "/var/log/syslog" "$readme" "$man" "$MNT/README"
	run ! grep -q "/var/log/syslog" <<< "$("$VYREFS" --help)"
	echo "missing:$missing" >&2
	[ -z "$missing" ]
}

@test "a grep job whose pattern fails to compile counts once as failed, and leaves jobs_active at 0" {
	local f0 id
	f0=$(metric "$MNT/metrics.prom" 'vyrefs_jobs_total{state="failed"}')
	# accepted by the write, refused by the compiler on its worker: too large
	id=$(submit "scan path=/etc/services op=grep pattern=\"(a|b|c){1,1000}{1,1000}\"") || skip "refused at submit on this build"
	wait_job "$id"
	if [ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" != failed ]; then
		skip "this pattern compiled here"
	fi
	[ "$(metric "$MNT/metrics.prom" 'vyrefs_jobs_total{state="failed"}')" = $((f0 + 1)) ]
	[ "$(metric "$MNT/metrics.prom" vyrefs_jobs_active)" = 0 ]
	[ "$(sed -n 's/^jobs_active=//p' "$MNT/status")" = 0 ]
	# it never ran: no result, not a 0
	run cat "$MNT/jobs/$id/result"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
}

@test "poll(2) on a running job's result: not readable until the job ends, then the true count" {
	local big="$BATS_TEST_TMPDIR/holes" id
	truncate -s 256M "$big"
	id=$(submit "scan path=$big op=count byte=0 chunk=64K")
	run python3 - "$MNT/jobs/$id/result" "$MNT/jobs/$id/status" <<-'PY'
	import os, select, sys, time
	fd = os.open(sys.argv[1], os.O_RDONLY)
	p = select.poll()
	p.register(fd, select.POLLIN)
	early = p.poll(0)
	state = [l for l in open(sys.argv[2]).read().split("\n") if l.startswith("state=")][0]
	t0 = time.time()
	ready = p.poll(120000)
	print(early == [] or state == "state=done", ready == [(fd, select.POLLIN)], os.read(fd, 99).decode().strip())
	PY
	echo "$output" >&2
	[ "$output" = "True True $((256 << 20))" ]
}
