#!/usr/bin/env bats
# Streaming (README "Streaming", issue 23 item 4): jobs/N/lines and
# jobs/N/files of a running job give what is final so far, appended as it
# becomes final, block (or EAGAIN, or poll) at its end until more comes,
# and EOF only once the job has ended; vyrectl grep prints as results come
# and a closed pipe cancels its job. The long job is eiofs's data file,
# its 64 KiB chunk k due (k + 1) * 120 ms after the job's open of it (25
# chunks: about 3 s, eiofs.c); its twin clean is the same bytes at full
# speed, for the references.
load common

EIOFS="${EIOFS:-$VYRE_ROOT/build/tests/eiofs}"
VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
CHUNK=65536
SIZE=$((24 * CHUNK + 1234))

setup_file() {
	[ -x "$EIOFS" ] || skip "no eiofs helper (build the tests)"
	# eiofs is a FUSE filesystem; 64 KiB chunks: lines are final chunk by chunk
	mount_vyrefs allow_other,fuse_sources=1,chunk=64K
	EMNT="$(mktemp -d /tmp/vyre-stream-eio.XXXXXX)"
	# a job that runs for ever, for readers that must stay parked (16 s)
	EMNT2="$(mktemp -d /tmp/vyre-stream-eio2.XXXXXX)"
	FILES="$(mktemp -d /tmp/vyre-stream.XXXXXX)"
	chmod 755 "$FILES"
	export EMNT EMNT2 FILES
	"$EIOFS" "$EMNT" -o "size=$SIZE,seed=5,slow=120,allow_other"
	"$EIOFS" "$EMNT2" -o "size=1M,seed=6,slow=1000,allow_other"
}

teardown_file() {
	unmount_vyrefs
	for m in "${EMNT:-}" "${EMNT2:-}"; do
		if [ -n "$m" ] && mountpoint -q "$m"; then
			umount "$m" || umount -l "$m"
		fi
		rmdir "$m" 2>/dev/null || true
	done
	rm -rf "${FILES:?}"
}

# reader.py MNT ID FILE [nonblock]: reads jobs/ID/FILE to EOF, noting the
# job's state after each read; prints "EARLY_BYTES EOF_STATE EAGAINS
# EARLY_AFTER_POLL" and writes what it read to $BATS_TEST_TMPDIR/got
reader() {
	timeout 60 /usr/bin/python3 - "$@" "$BATS_TEST_TMPDIR/got" <<'PY'
import os, select, sys
mnt, jid, name, nonblock, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
def state():
    for l in open("%s/jobs/%s/status" % (mnt, jid)):
        if l.startswith("state="):
            return l.strip()[6:]
fd = os.open("%s/jobs/%s/%s" % (mnt, jid, name), os.O_RDONLY | (os.O_NONBLOCK if nonblock else 0))
got, early, eagain, after_poll, polled = b"", 0, 0, 0, False
while True:
    try:
        b = os.read(fd, 4096)
    except BlockingIOError:
        eagain += 1
        p = select.poll()
        p.register(fd, select.POLLIN)
        assert p.poll(30000), "poll: not readable in 30 s"
        polled = True
        continue
    st = state()
    if not b:
        break
    got += b
    if st == "running":
        early = len(got)
        if polled:
            after_poll += 1
    polled = False
open(out, "wb").write(got)
print(early, st, eagain, after_poll)
PY
}

# submit_eio DESCRIPTOR-REST: a job over the slow file, its id
submit_slow() {
	submit "scan path=$EMNT/data $1"
}

@test "a reader of a running job's lines sees them before the end, a prefix of the final file, EOF only at the end" {
	local id early st
	id=$(submit_slow "op=grep pattern=ab lines=1 chunk=64K")
	run -0 reader "$MNT" "$id" lines 0
	echo "$output" >&2
	read -r early st _ <<<"$output"
	# lines came while the job ran, and EOF only once it had ended
	[ "$early" -gt 0 ]
	[ "$st" = done ]
	LC_ALL=C grep -a -n -b ab "$EMNT/clean" | cut -d: -f1,2 >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
	# what was read while it ran is what the ended job's file holds
	cmp "$MNT/jobs/$id/lines" "$BATS_TEST_TMPDIR/want"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/want")" -gt 1000 ]
}

@test "O_NONBLOCK at the end of what is final gets EAGAIN; poll(2) says when more has come" {
	local id early st eagain after
	id=$(submit_slow "op=grep pattern=ab lines=1 chunk=64K")
	run -0 reader "$MNT" "$id" lines 1
	echo "$output" >&2
	read -r early st eagain after <<<"$output"
	[ "$st" = done ]
	[ "$eagain" -gt 0 ]
	[ "$after" -gt 0 ] # poll woke it for lines while the job still ran
	LC_ALL=C grep -a -n -b ab "$EMNT/clean" | cut -d: -f1,2 | cmp "$BATS_TEST_TMPDIR/got" -
}

@test "eiofs's slow data times each open's reads from that open, whatever order they come in" {
	# the jobs above rest on it: a scan's offset-0 read may reach eiofs after
	# its others (io_uring's workers), and those must not come early
	run -0 timeout 30 /usr/bin/python3 -c '
import os, sys, time
data, clean = sys.argv[1] + "/data", sys.argv[1] + "/clean"
a = os.open(data, os.O_RDONLY)
os.pread(a, 4096, 0)  # one open read its offset 0 ...
time.sleep(0.3)       # ... its chunk 1 came due meanwhile (240 ms)
t = time.monotonic()
b = os.open(data, os.O_RDONLY)
got = os.pread(b, 4096, 65536)  # another open: its chunk 1 before its offset 0
ms = (time.monotonic() - t) * 1000
ref = os.pread(os.open(clean, os.O_RDONLY), 4096, 65536)
print("%d %s" % (ms, got == ref and len(got) == 4096))' "$EMNT"
	echo "$output" >&2
	read -r ms same <<<"$output"
	[ "$same" = True ]
	# due 2 * 120 ms after b's open, timed from before it
	[ "$ms" -ge 239 ]
}

@test "order=walk: a many-file job's files and lines stream in the order listed; order=path only at the end" {
	local id early st n want=""
	printf 'ab one\nno\nab two\n' >"$FILES/a"
	printf 'xx\nab\n' >"$FILES/b"
	printf 'ab last\n' >"$FILES/c"
	printf '%s\n' "$FILES/b" "$FILES/a" "$EMNT/data" "$FILES/c" >"$FILES/list"
	for f in "$FILES/b" "$FILES/a" "$EMNT/data" "$FILES/c"; do
		n=$(LC_ALL=C grep -a -c ab "${f/%data/clean}")
		want+="$n $f"$'\n'
	done
	id=$(submit "scan files=$FILES/list op=grep pattern=ab order=walk")
	grep -q ' order=walk' "$MNT/jobs/$id/descriptor"
	# the first read blocks only for b and a: it returns while data is read
	run -0 timeout 30 /usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1] + "/files", os.O_RDONLY)
b = os.read(fd, 65536)
st = [l for l in open(sys.argv[1] + "/status") if l.startswith("state=")][0].strip()
print(st, b.decode().replace("\n", "|"))' "$MNT/jobs/$id"
	echo "$output" >&2
	[[ "$output" == "state=running "* ]]
	[[ "$output" == *"$FILES/b|"* ]]
	[[ "$output" != *"$EMNT/data"* ]]
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/files")" = "${want%$'\n'}" ]
	# lines: PATH:LINE:OFFSET in the same order, as grep -n -b over the same list
	id=$(submit "scan files=$FILES/list op=grep pattern=ab order=walk lines=1")
	run -0 reader "$MNT" "$id" lines 0
	read -r early st _ <<<"$output"
	[ "$early" -gt 0 ]
	[ "$st" = done ]
	for f in "$FILES/b" "$FILES/a" "$EMNT/clean" "$FILES/c"; do
		LC_ALL=C grep -a -n -b ab "$f" | cut -d: -f1,2 | sed "s|^|${f/%clean/data}:|"
	done | cmp "$BATS_TEST_TMPDIR/got" -
	# path order: nothing is final before the end, then the files sorted
	id=$(submit "scan files=$FILES/list op=grep pattern=ab")
	run -0 reader "$MNT" "$id" files 0
	read -r early st _ <<<"$output"
	[ "$early" -eq 0 ]
	[ "$st" = done ]
	printf '%s' "$want" | LC_ALL=C sort -k2 | cmp "$BATS_TEST_TMPDIR/got" -
}

@test "vyrectl grep | head -1 prints the first line at once, dies of SIGPIPE and cancels its job" {
	local before after njobs
	# 3,000,000 selected lines: records for seconds at 64 KiB chunks
	seq -f 'ab %g' 1 3000000 >"$FILES/big"
	before=$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")
	njobs=$(ls "$MNT/jobs" | wc -l)
	run -0 timeout 60 bash -c '"$1" -m "$2" grep -n ab "$3" | head -1; echo "status=${PIPESTATUS[0]}"' \
		_ "$VYRECTL" "$MNT" "$FILES/big"
	[ "${lines[0]}" = "1:ab 1" ]
	[ "${lines[1]}" = status=141 ]
	# its job ends cancelled, not done, and is removed by the daemon at its
	# end (echo remove): vyrectl did not wait for it
	for _ in $(seq 100); do
		if [ "$(ls "$MNT/jobs" | wc -l)" -eq "$njobs" ]; then break; fi
		sleep 0.1
	done
	[ "$(ls "$MNT/jobs" | wc -l)" -eq "$njobs" ]
	after=$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")
	[ "$after" -eq $((before + 1)) ]
	rm -f "$FILES/big"
}

@test "vyrectl grep -rn streams a tree in grep -r's order, equal to grep -rn -a" {
	mkdir -p "$FILES/tree/sub" "$FILES/tree/other"
	for k in $(seq 1 40); do
		printf 'line %d ab\nnothing\nab again %d\n' "$k" "$k" >"$FILES/tree/sub/f$k"
		printf 'ab %d\n' "$k" >"$FILES/tree/other/g$k"
	done
	printf 'top ab\n' >"$FILES/tree/top"
	run -0 timeout 60 "$VYRECTL" -m "$MNT" grep -rn ab "$FILES/tree"
	diff <(echo "$output") <(LC_ALL=C grep -rn -a ab "$FILES/tree")
	run -0 timeout 60 "$VYRECTL" -m "$MNT" grep -rc ab "$FILES/tree"
	diff <(echo "$output") <(LC_ALL=C grep -rc -a ab "$FILES/tree")
}

@test "nobody cannot open root's running job's lines; nobody's parked reads are bounded and interruptible, root's still stream" {
	local rid lid nid pid early st
	lid=$(submit "scan path=$EMNT2/data op=grep pattern=ab lines=1 chunk=64K")
	run "${NOBODY[@]}" cat "$MNT/jobs/$lid/lines"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file"* ]]
	# nobody's own job, selecting nothing: every read of its lines parks until the end
	run -0 submit_as "${NOBODY[@]}" -- "scan path=$EMNT2/data op=grep pattern=qqqqqqqq lines=1 chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	nid=${BASH_REMATCH[1]}
	"${NOBODY[@]}" /usr/bin/python3 -c '
import os, sys, threading, time, errno, signal
signal.alarm(60)
path, n = sys.argv[1], int(sys.argv[2])
res = []
def one():
    fd = os.open(path, os.O_RDONLY)
    try:
        res.append(len(os.read(fd, 4096)))
    except OSError as e:
        res.append(errno.errorcode[e.errno])
ts = [threading.Thread(target=one, daemon=True) for _ in range(n)]
[t.start() for t in ts]
time.sleep(1.5)
print(len([r for r in res if r == "EAGAIN"]), len(res), flush=True)
time.sleep(60)' "$MNT/jobs/$nid/lines" 264 >"$BATS_TEST_TMPDIR/flood" &
	pid=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/flood" ] && break; sleep 0.1; done
	# past 256 parked reads a read fails EAGAIN; the others wait
	[ "$(cat "$BATS_TEST_TMPDIR/flood")" = "8 8" ]
	# SIGKILL answers nobody's parked reads at once and gives their places back
	kill -KILL "$pid"
	wait "$pid" || true
	run -0 "${NOBODY[@]}" timeout 10 /usr/bin/python3 -c '
import os, sys, threading, time
fd = os.open(sys.argv[1], os.O_RDONLY)
r = []
t = threading.Thread(target=lambda: r.append(os.read(fd, 4096)), daemon=True)
t.start(); t.join(0.5)
print("parked" if t.is_alive() else "answered %r" % r)' "$MNT/jobs/$nid/lines"
	echo "$output" >&2
	[ "$output" = parked ]
	# root's reader streams beside them
	rid=$(submit_slow "op=grep pattern=ab lines=1 chunk=64K")
	run -0 reader "$MNT" "$rid" lines 0
	read -r early st _ <<<"$output"
	[ "$early" -gt 0 ]
	LC_ALL=C grep -a -n -b ab "$EMNT/clean" | cut -d: -f1,2 | cmp "$BATS_TEST_TMPDIR/got" -
	echo cancel >"$MNT/jobs/$nid/ctl"
	echo cancel >"$MNT/jobs/$lid/ctl"
	wait_job "$lid"
	wait_job "$nid"
	[ -z "$(cat "$MNT/jobs/$nid/lines")" ]
}

@test "SIGTERM answers a parked stream read (ENOTCONN) and the daemon exits" {
	local m l id rpid dpid out="$BATS_TEST_TMPDIR/term"
	m=$(mktemp -d /tmp/vyre-stream-term.XXXXXX)
	l="$BATS_TEST_TMPDIR/term.log"
	VYRE_VALIDATION=1 "$VYREFS" "$m" -o "log=$l,fuse_sources=1"
	id=$(bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=grep pattern=qqqqqqqq lines=1 chunk=64K" >&7; read -r id <&7; echo "$id"' \
		_ "$m" "$EMNT/data")
	timeout 30 /usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    print("read %d" % len(os.read(fd, 4096)))
except OSError as e:
    print(os.strerror(e.errno))' "$m/jobs/$id/lines" >"$out" 2>&1 &
	rpid=$!
	sleep 0.5
	dpid=$(pgrep -f "vyrefs $m" | head -1)
	kill -TERM "$dpid"
	for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$dpid"
	[ "$status" -ne 0 ]
	wait "$rpid" || true
	umount -l "$m" 2>/dev/null || true
	rmdir "$m"
	echo "reader: $(cat "$out")" >&2
	# answered ENOTCONN, or ECONNABORTED when the unmount beat the answer:
	# an error either way, never a short file's EOF
	grep -qxE 'Transport endpoint is not connected|Software caused connection abort' "$out"
}
