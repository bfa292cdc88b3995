#!/usr/bin/env bats
# Hardening, round 2 (issue 21): what an unprivileged user of an
# allow_other mount must not be able to do through the many-file, grep and
# ctl surface. Each test names the item it holds to ("item N").
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	mount_vyrefs allow_other
	files_dir hard2
	mkdir -m 700 "$FILES/root"
	printf 'secret line one\nsecret line two\n' > "$FILES/root/secret"
	chmod 600 "$FILES/root/secret"
	seq 1 1000 > "$FILES/public"
	chmod 644 "$FILES/public"
	# a setuid-root program that closes an inherited fd while it runs as root
	if cc -O1 -o "$FILES/setuid_close" "$VYRE_ROOT/tests/helpers/setuid_close.c"; then
		chown root:root "$FILES/setuid_close"
		chmod 4755 "$FILES/setuid_close"
	fi
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

# the ids of every job whose descriptor names PATTERN (as root, who sees all)
jobs_naming() {
	local d
	for d in "$MNT"/jobs/[0-9]*; do
		[ -e "$d/descriptor" ] || continue
		grep -q -- "$1" "$d/descriptor" && basename "$d"
	done
	return 0
}

@test "item 1: a line left open by nobody is not submitted by a setuid program that inherits the fd" {
	[ -x "$FILES/setuid_close" ] || skip "no C compiler for the setuid helper"
	run "${NOBODY[@]}" "$FILES/setuid_close" 99
	[ "$status" -ne 77 ] || skip "setuid programs do not run setuid here (nosuid or no_new_privs)"
	# the writer leaves the line open and hands the fd to the setuid program
	# (a shell's "printf >&3" would end the line itself: it closes a dup)
	run "${NOBODY[@]}" timeout 20 /usr/bin/python3 -c '
import os, subprocess, sys
fd = os.open(sys.argv[1] + "/ctl", os.O_RDWR)
os.write(fd, ("scan path=%s op=count" % sys.argv[2]).encode())
subprocess.run([sys.argv[3], str(fd)], pass_fds=(fd,))
os.close(fd)' "$MNT" "$FILES/root/secret" "$FILES/setuid_close"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	run jobs_naming "$FILES/root/secret"
	[ -z "$output" ]
}

@test "item 1: the writer's own close still ends its line (echo -n)" {
	run "${NOBODY[@]}" timeout 20 bash -c 'echo -n "scan path=$2 op=count" > "$1/ctl"' _ "$MNT" "$FILES/public"
	[ "$status" -eq 0 ]
	run jobs_naming "$FILES/public"
	[ -n "$output" ]
	id=$(echo "$output" | tail -1)
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/result")" = "$(tr -cd '\n' < "$FILES/public" | wc -c)" ]
}

@test "item 1: a line begun by nobody and ended by root's write is refused, not run as root" {
	exec 8<>"$MNT/ctl"
	# nobody writes the start of a line into a descriptor root also holds, and keeps it open
	"${NOBODY[@]}" timeout 20 /usr/bin/python3 -c '
import os, sys, time
os.write(8, ("scan path=%s" % sys.argv[1]).encode())
time.sleep(3)' "$FILES/root/secret" &
	local writer=$!
	sleep 1
	run bash -c 'printf " op=count\n" >&8'
	wait "$writer" || true # a bare wait would also wait for bats's own timeout watcher
	exec 8>&-
	[ "$status" -ne 0 ]
	run jobs_naming "$FILES/root/secret"
	[ -z "$output" ]
}

@test "item 20.10: a threaded client submits from 8 threads at once" {
	run timeout 60 "${NOBODY[@]}" /usr/bin/python3 - "$MNT" "$FILES/public" <<'PY'
import os, sys, threading
mnt, path = sys.argv[1], sys.argv[2]
ids, errs = [], []
def one():
    try:
        fd = os.open(mnt + "/ctl", os.O_RDWR)
        os.write(fd, ("scan path=%s op=count\n" % path).encode())
        ids.append(int(os.read(fd, 64).decode().strip()))
        os.close(fd)
    except Exception as e:
        errs.append(repr(e))
ts = [threading.Thread(target=one) for _ in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
for i in ids:
    r = open("%s/jobs/%d/wait" % (mnt, i)).read()
    assert "state=done" in r, r
    assert open("%s/jobs/%d/result" % (mnt, i)).read().strip() == "1000"
print(len(ids), errs)
sys.exit(0 if len(ids) == 8 and not errs else 1)
PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "item 20.4: reading jobs/N/lines while a lines=1 job runs returns whole records, then all of them" {
	local f="$FILES/alllines" id n=0
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(400000):
        f.write("match line %07d padding padding padding\n" % i)' "$f"
	id=$(submit "scan path=$f op=grep pattern=match lines=1 chunk=64K")
	# read while it runs: every record is LINE:OFFSET, never garbage past the end
	while [ "$(sed -n 's/^state=//p' "$MNT/jobs/$id/status")" = running ] && [ $n -lt 400 ]; do
		run ! grep -qvE '^[0-9]+:[0-9]+$' "$MNT/jobs/$id/lines"
		n=$((n + 1))
	done
	echo "read lines $n times while it ran" >&2
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") <(LC_ALL=C grep -a -n -b match "$f" | cut -d: -f1,2)
}

# the daemon serving this file's mount
daemon_pid() {
	pgrep -f "vyrefs $MNT" | head -1
}

@test "item 14 (20.6): ended many-file jobs hold no fd of the caller's root" {
	local pid ids=() id before after
	mkdir -p "$FILES/tree/a"
	seq 1 100 > "$FILES/tree/a/x"
	seq 1 50 > "$FILES/tree/y"
	pid=$(daemon_pid)
	before=$(find /proc/"$pid"/fd -lname / 2>/dev/null | wc -l)
	for _ in $(seq 20); do
		ids+=("$(submit "scan path=$FILES/tree op=count")")
	done
	for id in "${ids[@]}"; do
		wait_job "$id"
		[ "$(cat "$MNT/jobs/$id/result")" = 150 ]
	done
	after=$(find /proc/"$pid"/fd -lname / 2>/dev/null | wc -l)
	echo "fds on / before $before, after 20 ended tree jobs $after" >&2
	[ "$after" -le "$before" ]
}

@test "item 11: a newline in a path forges no status key; eval still gives the path back" {
	local d="$FILES/inj" f
	mkdir -p "$d"
	f="$d/x"$'\n'"state=failed"$'\n'"uid=0"$'\n'"y"
	printf 'a\nb\n' > "$f"
	local q=${f//$'\n'/\\n}
	id=$(submit "scan path=\"$q\" op=count")
	wait_job "$id"
	cat "$MNT/jobs/$id/status" >&2
	[ "$(grep -c '^state=' "$MNT/jobs/$id/status")" -eq 1 ]
	[ "$(grep -c '^uid=' "$MNT/jobs/$id/status")" -le 1 ]
	grep -qx 'state=done' "$MNT/jobs/$id/status"
	[ "$(grep -c '^state=' "$MNT/jobs/$id/wait")" -eq 1 ]
	unset path
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$path" = "$f" ]
	[ "$state" = done ]
	# vyrectl's parser sees the one state too
	run "$VYRE_ROOT/build/tools/vyrectl" -m "$MNT" wait "$id"
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

@test "item 12: stat of another user's job shows neither its owner nor its submit time" {
	local id
	id=$(submit "scan path=$FILES/public op=count")
	wait_job "$id"
	stat "$MNT/jobs/$id" >/dev/null # root's own: there, and cached for root now
	run "${NOBODY[@]}" stat -c '%u %Y' "$MNT/jobs/$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run "${NOBODY[@]}" stat -c '%u %Y' "$MNT/jobs/$id/status"
	[ "$status" -ne 0 ]
}

HANGFS="${HANGFS:-$VYRE_ROOT/build/tests/hangfs}"

# start_hangfs SECONDS: a FUSE mount whose lookups under d/ and reads of f
# hang that long, or until release_hangfs or stop_hangfs; sets HMNT, HPID
start_hangfs() {
	HMNT="$(mktemp -d /tmp/vyre-hang.XXXXXX)"
	chmod 755 "$HMNT"
	"$HANGFS" "$HMNT" -f -o "allow_other,hang=$1" &
	HPID=$!
	for _ in $(seq 50); do mountpoint -q "$HMNT" && break; sleep 0.1; done
	mountpoint -q "$HMNT"
}

result_of_id() {
	wait_job "$1" && cat "$MNT/jobs/$1/result"
}

# release_hangfs: the hangs under way end now (a lookup ENOENT, a read EIO,
# as at their end); requests that come later hang afresh (hangfs.c: SIGUSR1)
release_hangfs() {
	kill -USR1 "$HPID"
}

# stop_hangfs: every hang ends first, and none to come hangs (SIGUSR2), so
# its exit waits for no hang (it did, up to the whole hang=, in every test)
stop_hangfs() {
	kill -USR2 "$HPID" 2>/dev/null || true
	kill "$HPID" 2>/dev/null || true
	umount -l "$HMNT" 2>/dev/null || true
	wait "$HPID" 2>/dev/null || true
	rmdir "$HMNT" 2>/dev/null || true
}

# hang_mount SECONDS [READ_TIMEOUT_MS]: hangfs (start_hangfs SECONDS) and a
# vyrefs of the test's own that reads FUSE sources, with that read deadline
# if given; the file's mount waits in OUTER and OUTER_LOG
hang_mount() {
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs "$1"
	OUTER=$MNT OUTER_LOG=$LOG
	if [ -n "${2:-}" ]; then
		VYRE_READ_TIMEOUT_MS=$2 mount_vyrefs allow_other,fuse_sources=1
	else
		mount_vyrefs allow_other,fuse_sources=1
	fi
}

# hang_unmount: the test's vyrefs unmounted (UM: how long it took, ms)
# while hangfs still hangs, then hangfs ended and the file's mount back;
# fails as the umount did, after the cleanup
hang_unmount() {
	local t0 rc=0
	t0=$(now_ms)
	timeout 60 umount "$MNT" || rc=$?
	UM=$(($(now_ms) - t0))
	stop_hangfs
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	return "$rc"
}

# user_ctl_free SETPRIV...: once a stuck lookup has returned (release_hangfs),
# the user's ctl takes a write again: submit_as until the answer is not
# EAGAIN, 5 s at most; the last answer in output
user_ctl_free() {
	local i
	for i in $(seq 50); do
		run submit_as "$@" -- "scan path=$FILES/public op=count"
		[[ "$output" == *"Resource temporarily unavailable"* ]] || return 0
		sleep 0.1
	done
}

# pack_list DIR LIST: DIR/1..3, 1,500 bytes each (a file and its 2,048
# bytes of room fill a 4 KiB packed chunk), and LIST naming them with
# hangfs's s second, all readable by nobody
pack_list() {
	local i
	mkdir -p "$1"
	for i in 1 2 3; do
		seq 1 1000 | sed "s/^/$i /" | head -c 1500 > "$1/$i"
	done
	chmod -R a+rX "$1"
	printf '%s\n' "$1/1" "$HMNT/s" "$1/2" "$1/3" > "$2"
	chmod 644 "$2"
}

# pack_want DIR: what files, then failed, of pack_list's job hold: wc's
# count of each file, and s failed ETIMEDOUT
pack_want() {
	local f
	for f in "$1"/[123]; do
		printf '%s %s\n' "$(tr -cd '\n' < "$f" | wc -c)" "$f"
	done
	echo --
	echo "$HMNT/s ETIMEDOUT"
}

@test "item 3/4: files on a FUSE mount are refused by default, before anything in it is looked up" {
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs 20
	local t0=$SECONDS
	run "${NOBODY[@]}" timeout 15 bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	local took=$((SECONDS - t0))
	run2=$output
	run "${NOBODY[@]}" timeout 15 bash -c 'echo "scan path=$1/f op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	stop_hangfs
	echo "$run2 / $output (in $took s)" >&2
	[[ "$run2" == *"Invalid argument"* ]]
	[[ "$output" == *"Invalid argument"* ]]
	[ "$took" -lt 10 ]
}

@test "item 2/4: a write that hangs holds only its own user's ctl (fuse_sources=1)" {
	hang_mount 20
	# nobody's submit looks up a name in a directory that never answers
	"${NOBODY[@]}" timeout 30 bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT" 2>/dev/null &
	local hung=$!
	sleep 1
	local t0=$(date +%s%N) id res
	# (before per-user ctl inodes, this waited for the hang to end: 20 s)
	id=$(submit "scan path=$FILES/public op=count")
	res=$(result_of_id "$id")
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "root's job beside a hung submit: id=$id result=$res in $ms ms" >&2
	stop_hangfs
	wait "$hung" || true
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	[ "$res" = 1000 ]
	[ "$ms" -lt 10000 ]
}

@test "item 2/4: a ctl write stuck in a lookup is answered EINTR on SIGKILL; the user's next write fails EAGAIN until the lookup returns" {
	local t0 ms k out2 id res
	hang_mount 12
	# before INTERRUPT was handled the writer sat in D state until the lookup
	# returned, SIGKILL or not (the kernel waits for the daemon's answer)
	t0=$(now_ms)
	run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	k=$(($(now_ms) - t0))
	# the lookup still waits: the user's next write is refused at once, not queued behind it
	t0=$(now_ms)
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
	out2=$output
	local ms2=$(($(now_ms) - t0))
	# root is not held
	t0=$(now_ms)
	id=$(submit "scan path=$FILES/public op=count")
	res=$(result_of_id "$id")
	ms=$(($(now_ms) - t0))
	# once the lookup has returned, nobody may write again, and nothing of the killed write ran
	release_hangfs
	user_ctl_free "${NOBODY[@]}"
	local out3=$output named
	named=$(jobs_naming "$HMNT")
	stop_hangfs
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	echo "killed writer returned after $k ms; nobody's next write in $ms2 ms: $out2; root's job in $ms ms: $res; after the lookup: $out3" >&2
	[ "$k" -lt 4000 ]
	[[ "$out2" == *"Resource temporarily unavailable"* ]]
	[ "$ms2" -lt 1000 ]
	[ "$res" = 1000 ]
	[ "$ms" -lt 3000 ]
	[[ "$out3" =~ ^rc=0\ [0-9]+$ ]]
	[ -z "$named" ]
}

# ctl_line_ended_by_stuck HOW: nobody leaves a line open whose lookup hangs
# 12 s and ends it by HOW (close: echo -n's FLUSH; read: a read of ctl),
# killed after 1 s; checks as the write's test above does
ctl_line_ended_by_stuck() {
	local t0 ms k out2 ms2 out3 id res named
	hang_mount 12
	# before, the close or read sat in D state until the lookup returned
	t0=$(now_ms)
	if [ "$1" = close ]; then
		run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'echo -n "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	else
		run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'exec 7<>"$2/ctl"; printf "scan path=%s/d/x op=count" "$1" >&7; read -r a <&7' _ "$HMNT" "$MNT"
	fi
	k=$(($(now_ms) - t0))
	t0=$(now_ms)
	run submit_as timeout 5 "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
	out2=$output
	ms2=$(($(now_ms) - t0))
	t0=$(now_ms)
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	id=${BASH_REMATCH[1]}
	timeout 20 cat "$MNT/jobs/$id/wait" >/dev/null
	res=$(timeout 5 cat "$MNT/jobs/$id/result")
	ms=$(($(now_ms) - t0))
	release_hangfs
	user_ctl_free timeout 10 "${NOBODY[@]}"
	out3=$output
	named=$(jobs_naming "$HMNT")
	hang_unmount
	local um=$UM
	echo "killed $1 returned after $k ms; nobody's next write in $ms2 ms: $out2; root's job in $ms ms: $res; after the lookup: $out3; unmount $um ms" >&2
	[ "$k" -lt 4000 ]
	[[ "$out2" == *"Resource temporarily unavailable"* ]]
	[ "$ms2" -lt 1000 ]
	[ "$res" = "$(wc -l < "$FILES/public")" ]
	[ "$ms" -lt 3000 ]
	[[ "$out3" =~ ^rc=0\ [0-9]+$ ]]
	[ -z "$named" ]
	[ "$um" -lt 30000 ]
}

@test "item 2/4: a close (echo -n) whose line's lookup is stuck is answered EINTR on SIGKILL; the user's next write fails EAGAIN until it returns" {
	ctl_line_ended_by_stuck close
}

@test "item 2/4: a read of ctl that ends a line whose lookup is stuck is answered EINTR on SIGKILL; the user's next write fails EAGAIN until it returns" {
	ctl_line_ended_by_stuck read
}

@test "item 3: reads from a source that never answers hold neither the pump thread nor every slot (fuse_sources=1)" {
	local a id t0 ms all=() waits=() max=0 w i st
	hang_mount 10
	# 256 chunks of 4 KiB, every read hangs 10 s: a 4 KiB read of a FUSE file
	# was a plain pread on the pump thread, which then served no one
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=4K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	sleep 1
	for i in 1 2 3; do
		t0=$(now_ms)
		id=$(submit "scan path=$FILES/public op=count")
		timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
		ms=$(($(now_ms) - t0))
		w=$(($(sed -n 's/^read_us=//p' "$MNT/jobs/$id/status") / 1000))
		all+=("$ms")
		waits+=("$w")
		[ "$ms" -gt "$max" ] && max=$ms
		[ "$(cat "$MNT/jobs/$id/result")" = "$(wc -l < "$FILES/public")" ]
	done
	st=$(grep -E '^(state|chunks_done)=' "$MNT/jobs/$a/status" | tr '\n' ' ')
	echo cancel > "$MNT/jobs/$a/ctl"
	stop_hangfs
	timeout 60 cat "$MNT/jobs/$a/wait" >/dev/null
	t0=$(now_ms)
	timeout 60 umount "$MNT"
	local um=$(($(now_ms) - t0))
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	echo "root's jobs beside nobody's hanging reads ($st): ${all[*]} ms, read after ${waits[*]} ms; unmount ${um} ms" >&2
	[ "$max" -lt 3000 ]
}

@test "item 3: a read that never answers fails ETIMEDOUT at its deadline; cancel and rmdir answer; unmount finishes" {
	local a b st t0 ms want got um rm
	hang_mount 15 2000
	# 16 chunks of 64 KiB whose reads answer after 15 s (past the 10 s the
	# job may take: the deadline is 2 s): before deadlines the job ran (and
	# cancel, rmdir, unmount waited) until they did
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(cat "$MNT/jobs/$a/failed")
	want=$(for k in $(seq 0 15); do echo "$k ETIMEDOUT $((k * 65536))"; done)
	# those reads, abandoned, end now as they would at 15 s: they held
	# hangfs's threads, and the next job's open waited for them
	release_hangfs
	# a cancelled job whose reads hang ends at once too, and goes
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	b=${BASH_REMATCH[1]}
	sleep 0.5
	t0=$(now_ms)
	"${NOBODY[@]}" bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$b/ctl"
	local bst=$(timeout 20 cat "$MNT/jobs/$b/wait" | sed -n 's/^state=//p')
	local cms=$(($(now_ms) - t0))
	"${NOBODY[@]}" rmdir "$MNT/jobs/$b" && rm=ok || rm=failed
	# the slots those reads still hold leave root room
	[ "$(result_of "scan path=$FILES/public op=count")" = 1000 ]
	hang_unmount
	um=$UM
	echo "hanging job ended in $ms ms: $(grep -E '^(state|chunks_failed)=' <<<"$st" | tr '\n' ' '); cancelled one ended $bst in $cms ms, rmdir $rm; unmount $um ms" >&2
	grep -qx 'state=failed' <<<"$st"
	[ "$got" = "$want" ]
	[ "$ms" -lt 10000 ]
	[ "$bst" = cancelled ]
	[ "$cms" -lt 5000 ]
	[ "$rm" = ok ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a grep continuation read that never answers fails at its deadline; the job ends" {
	local a st t0 ms got res ref um
	hang_mount 15 2000
	# g: chunk 0's read (it starts below 64 KiB) answers; its last line runs
	# on past the tail window, and grep's reads of it, like chunk 1's, hang
	# 15 s (past the 10 s the job may take). Before continuation reads had
	# deadlines the job waited for them (and then for each smaller retry:
	# the hang again apiece).
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/g op=grep pattern=matchme chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/failed")
	res=$(timeout 5 cat "$MNT/jobs/$a/result" 2>&1)
	# the same bytes, made here: the lines chunk 0 holds whole
	ref=$(yes matchme | head -c 32768 | grep -c matchme)
	# root's job is not held by the slots those reads keep
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null
	local rootres=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result")
	hang_unmount
	um=$UM
	echo "grep job ended in $ms ms: $(grep -E '^(state|chunks_failed)=' <<<"$st" | tr '\n' ' '); failed: $got; result: $res (ref $ref); unmount $um ms" >&2
	grep -qx 'state=failed' <<<"$st"
	[ "$got" = "1 ETIMEDOUT 65536" ]
	[ "$res" = "$ref" ]
	[ "$rootres" = "$(wc -l < "$FILES/public")" ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a packed file whose read never answers fails ETIMEDOUT at its deadline; its job's other files are counted" {
	local a st t0 ms list="$FILES/pack.list" got want um
	hang_mount 40 2000
	# hangfs's s (1,000 bytes) hangs 40 s; the 1,500-byte files beside it
	# make each file a 4 KiB packed chunk of its own (2,048 bytes of room).
	# Before, its read had no deadline (the job waited 40 s), and it was
	# issued inline, on the pump thread, which then served no one
	pack_list "$FILES/pk" "$list"
	run submit_as "${NOBODY[@]}" -- "scan files=$list op=count chunk=4K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	# root's job while s's read is out, well before its deadline
	sleep 0.3
	local r0=$(now_ms) rootres rms
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null
	rootres=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result")
	rms=$(($(now_ms) - r0))
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/files"; echo --; timeout 5 cat "$MNT/jobs/$a/failed")
	want=$(pack_want "$FILES/pk")
	hang_unmount
	um=$UM
	echo "packed job ended in $ms ms: $(grep -E '^(state|files|files_failed)=' <<<"$st" | tr '\n' ' '); files, failed: $got; root's job beside it in $rms ms; unmount $um ms" >&2
	grep -qx 'files_failed=1' <<<"$st"
	[ "$got" = "$want" ]
	[ "$rootres" = "$(wc -l < "$FILES/public")" ]
	[ "$rms" -lt 1500 ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a packed file whose read never answers fails alone; the files packed in its chunk are counted" {
	local a st t0 ms list="$FILES/pack1.list" got want um
	hang_mount 40 1000
	# chunk=64K: the four files share one packed chunk, hangfs's s (whose
	# read hangs 40 s) among them. Before, all four failed ETIMEDOUT with it
	pack_list "$FILES/pk1" "$list"
	run submit_as "${NOBODY[@]}" -- "scan files=$list op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/files"; echo --; timeout 5 cat "$MNT/jobs/$a/failed")
	want=$(pack_want "$FILES/pk1")
	hang_unmount
	um=$UM
	echo "packed job ended in $ms ms: $(grep -E '^(state|files|files_failed)=' <<<"$st" | tr '\n' ' '); files, failed: $got; unmount $um ms" >&2
	grep -qx 'files_failed=1' <<<"$st"
	[ "$got" = "$want" ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: once a job whose reads hang ends, its file's close holds no one's jobs" {
	local a st t0 rms res um
	hang_mount 30 1000
	# 16 reads of f hang 30 s and fill hangfs's threads, so the FLUSH of
	# the file's close waits for them: closed on the pump thread, it held
	# every user's jobs until then
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	st=$(timeout 20 cat "$MNT/jobs/$a/wait" | sed -n 's/^state=//p')
	t0=$(now_ms)
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null || true
	res=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result") || true
	rms=$(($(now_ms) - t0))
	hang_unmount || true
	um=$UM
	echo "hanging job ended $st; root's job after it in $rms ms; unmount $um ms" >&2
	[ "$st" = failed ]
	[ "$res" = "$(wc -l < "$FILES/public")" ]
	[ "$rms" -lt 3000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a slot abandoned at a read's deadline gives its job back at unmount (LeakSanitizer)" {
	ldd "$VYREFS" | grep -q libasan || skip "VYREFS is not an AddressSanitizer build"
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs 60
	local m l id st gone=no
	m=$(mktemp -d /tmp/vyre-lsan.XXXXXX)
	l="$BATS_TEST_TMPDIR/lsan.log"
	# the reads of f hang 60 s, past the 1 s deadline and the unmount: the
	# slots they hold, abandoned, kept their job's reference for good. Two
	# reads: hangfs keeps threads to answer the job's FLUSH (a close on the
	# pump thread) and the daemon exits while they hang
	LSAN_OPTIONS=suppressions=$VYRE_ROOT/tests/lsan.supp ASAN_OPTIONS=detect_leaks=1 \
		VYRE_READ_TIMEOUT_MS=1000 VYRE_VALIDATION=1 "$VYREFS" "$m" -o "log=$l,fuse_sources=1"
	id=$(timeout 20 bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count chunk=512K" >&7; read -r id <&7; echo "$id"' \
		_ "$m" "$HMNT/f")
	st=$(timeout 20 cat "$m/jobs/$id/wait" | sed -n 's/^state=//p')
	timeout 40 umount "$m" || umount -l "$m"
	# the daemon must be gone before hangfs is, whose end answers the reads
	for _ in $(seq 150); do pgrep -f "vyrefs $m" >/dev/null || { gone=yes; break; }; sleep 0.2; done
	stop_hangfs
	rmdir "$m"
	echo "job $id ended $st; daemon gone before the reads returned: $gone" >&2
	[ "$st" = failed ]
	[ "$gone" = yes ]
	run grep -E -A12 "ERROR: LeakSanitizer|SUMMARY: AddressSanitizer" "$l"
	echo "$output" >&2
	[ "$status" -ne 0 ]
}

@test "item 5: -s does not hang on a path that reaches the mount through an overlay stacked on it" {
	local m l o
	m=$(mktemp -d /tmp/vyre-s2.XXXXXX)
	o=$(mktemp -d /tmp/vyre-ovl.XXXXXX)
	l="$BATS_TEST_TMPDIR/s.log"
	VYRE_VALIDATION=1 "$VYREFS" -s "$m" -o "log=$l"
	mkdir "$o/upper" "$o/work" "$o/merged"
	if ! mount -t overlay overlay -o "lowerdir=$m,upperdir=$o/upper,workdir=$o/work" "$o/merged"; then
		umount "$m"
		rm -rf "$m" "$o"
		skip "no overlayfs here"
	fi
	run timeout 20 bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' \
		_ "$m" "scan path=$o/merged/README op=count"
	echo "$status $output" >&2
	local first=$status answer=$output
	# still serving, and it unmounts
	run timeout 10 cat "$m/epoch"
	local epoch=$status
	umount -l "$o/merged" || true
	timeout 20 umount "$m" || umount -l "$m"
	rm -rf "$o"
	rmdir "$m" 2>/dev/null || true
	[ "$first" -ne 124 ]
	[[ "$answer" == *"rc=1 error: path=$o/merged/README: the walk did not finish"* ]]
	[ "$epoch" -eq 0 ]
}

@test "item 9: only root (or priority_group=) may raise a job above normal" {
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count priority=critical"
	[[ "$output" == *"rc=1 error: priority=critical: only root may raise a job above normal"* ]]
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count priority=high"
	[[ "$output" == *"rc=1 error: priority=high: only root"* ]]
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count priority=low"
	[[ "$output" =~ ^rc=0\ [0-9]+$ ]]
	id=$(submit "scan path=$FILES/public op=count priority=critical")
	wait_job "$id"
	# a mount that names a group lets its members raise
	local outer=$MNT outer_log=$LOG
	mount_vyrefs allow_other,priority_group=nogroup
	run submit_as setpriv --reuid=nobody --regid=nogroup --clear-groups -- "scan path=$FILES/public op=count priority=critical"
	local member=$output
	run submit_as setpriv --reuid=54321 --regid=54321 --clear-groups -- "scan path=$FILES/public op=count priority=high"
	local other=$output
	unmount_vyrefs
	MNT=$outer LOG=$outer_log
	echo "member: $member / other: $other" >&2
	[[ "$member" =~ ^rc=0\ [0-9]+$ ]]
	[[ "$other" == *"rc=1 error: priority=high: only root and members of the mount's priority_group"* ]]
}

@test "item 10: follow=1 over a symlink DAG ends, bounded by files_max; a diamond is scanned by both paths, as grep -R" {
	local d="$FILES/dag" i id outer=$MNT outer_log=$LOG
	mkdir -p "$d/l0"
	for i in $(seq 0 22); do
		mkdir -p "$d/l$((i + 1))"
		ln -s "$d/l$((i + 1))" "$d/l$i/a"
		ln -s "$d/l$((i + 1))" "$d/l$i/b"
	done
	printf 'x\n' > "$d/l23/f"
	mount_vyrefs allow_other,files_max=2000
	id=$(submit "scan path=$d/l0 op=count follow=1")
	run timeout 120 cat "$MNT/jobs/$id/wait"
	local st=$output rc=$status
	# a diamond: two links to one directory, its file found by both paths
	mkdir -p "$d/dia/real"
	printf 'y\n' > "$d/dia/real/g"
	ln -s "$d/dia/real" "$d/dia/link"
	id=$(submit "scan path=$d/dia op=count follow=1")
	wait_job "$id"
	local dia=$(cat "$MNT/jobs/$id/result") want=$(LC_ALL=C grep -R -c y "$d/dia" | awk -F: '{s += $NF} END {print s}')
	unmount_vyrefs
	MNT=$outer LOG=$outer_log
	echo "$st" | grep -E '^(state|error)=' >&2
	[ "$rc" -eq 0 ]
	[[ "$st" == *"state=failed"* ]]
	[[ "$st" == *"error="*"files_max"* ]]
	[ "$dia" = "$want" ]
	[ "$dia" = 2 ]
}

@test "item 6: failed entries count against files_max; the walk stops there" {
	local outer=$MNT outer_log=$LOG list="$FILES/missing.list" id
	mount_vyrefs allow_other,files_max=1000
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("/nonexistent/%d\n" % i)' "$list"
	chmod 644 "$list"
	id=$(submit "scan files=$list op=count")
	run timeout 60 cat "$MNT/jobs/$id/wait"
	local st=$output nfail
	nfail=$(wc -l < "$MNT/jobs/$id/failed")
	unmount_vyrefs
	MNT=$outer LOG=$outer_log
	echo "$st" | grep -E '^(state|files|files_failed|error)=' >&2
	echo "failed lines: $nfail" >&2
	[[ "$st" == *"state=failed"* ]]
	[[ "$st" == *"more than 1000 files"* ]]
	[ "$nfail" -le 1000 ]
}

@test "item 6: many opens of an ended job's failed file share one render" {
	local list="$FILES/missing2.list" id pid before after i fds=()
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        f.write("/nonexistent/directory/for/a/longer/path/%d\n" % i)' "$list"
	id=$(submit "scan files=$list op=count")
	timeout 120 cat "$MNT/jobs/$id/wait" >/dev/null
	local size=$(wc -c < "$MNT/jobs/$id/failed")
	pid=$(daemon_pid)
	before=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
	for i in $(seq 40); do
		exec {fd}<"$MNT/jobs/$id/failed"
		fds+=("$fd")
	done
	after=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
	# every open reads the whole list
	local got=$(wc -c <&"${fds[39]}")
	for fd in "${fds[@]}"; do exec {fd}<&-; done
	echo "failed is $size bytes; daemon RSS $before -> $after KiB with 40 opens" >&2
	[ "$got" -eq "$size" ]
	[ $((after - before)) -lt $((size * 8 / 1024)) ]
}

@test "item 2: a regex bomb's job fails E2BIG with the compiler's message in its status" {
	local t0=$SECONDS id st
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=grep pattern=\"((^|){1000}){1000}a[ab]{12}\$\""
	local took=$((SECONDS - t0))
	echo "$output (in $took s)" >&2
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	id=${BASH_REMATCH[1]}
	[ "$took" -lt 30 ]
	st=$(timeout 60 cat "$MNT/jobs/$id/wait")
	echo "$st" | grep -E '^(state|error)=' >&2
	grep -qx 'state=failed' <<<"$st"
	# past the DFA's NFA states and the bit-parallel engine's follow edges (fs/grep.c)
	grep -q "^error='pattern=((^|){1000}){1000}a\[ab\]{12}\$: .*follow edges.*(E2BIG)'$" <<<"$st"
	# it never ran: no chunk failed, and it has no result (README: EINVAL), not a 0
	[ -z "$(cat "$MNT/jobs/$id/failed")" ]
	run cat "$MNT/jobs/$id/result"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	# the bomb that simplifies compiles and answers exactly
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=grep pattern=\"((|){1000}){1000}1[01]{2}\$\""
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	id=${BASH_REMATCH[1]}
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -c -a -E '1[01]{2}$' "$FILES/public")" ]
}

@test "item 2: patterns compile off the ctl write: nobody's costly patterns return at once, root's jobs answer beside them" {
	# each takes the DFA compiler's whole work budget (about 0.3 s of CPU),
	# then goes to the bit-parallel engine (issue 26), which holds it
	local bomb='(x.*(.?){300}(d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z)Y|a[ab]{11}$)'
	local out="$BATS_TEST_TMPDIR/bombs" i id t0 ms max=0 res want wantb all=()
	# nobody writes 8 of them on one descriptor, timing each write to its id
	timeout 60 "${NOBODY[@]}" /usr/bin/python3 - "$MNT" "$FILES/public" "$bomb" > "$out" <<'PY' &
import os, sys, time
mnt, path, bomb = sys.argv[1:4]
fd = os.open(mnt + "/ctl", os.O_RDWR)
for _ in range(8):
    t0 = time.monotonic()
    os.write(fd, ('scan path=%s op=grep pattern="%s"\n' % (path, bomb)).encode())
    ans = os.pread(fd, 64, 0).decode().strip()
    print(ans, int((time.monotonic() - t0) * 1000), flush=True)
PY
	local bombs=$!
	sleep 0.3
	# meanwhile root submits, and waits for each answer
	want=$(LC_ALL=C grep -c -a -E '^9+$' "$FILES/public")
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		id=$(submit "scan path=$FILES/public op=grep pattern=\"^9+\$\"")
		res=$(timeout 20 cat "$MNT/jobs/$id/wait" >/dev/null && cat "$MNT/jobs/$id/result")
		ms=$(($(now_ms) - t0))
		all+=("$ms")
		[ "$ms" -gt "$max" ] && max=$ms
		[ "$res" = "$want" ]
	done
	wait "$bombs"
	echo "root's grep jobs beside nobody's 8 budget-long compiles, submit to result: ${all[*]} ms (max $max)" >&2
	echo "nobody's writes, id and ms each: $(tr '\n' ' ' < "$out")" >&2
	[ "$(wc -l < "$out")" -eq 8 ]
	wantb=$(LC_ALL=C grep -c -a -E "$bomb" "$FILES/public" || true) # 0: exit 1
	while read -r id ms; do
		[[ "$id" =~ ^[0-9]+$ ]]
		[ "$ms" -lt 150 ]
		st=$(timeout 120 cat "$MNT/jobs/$id/wait")
		if grep -q '^device=.*llvmpipe' "$MNT/status"; then
			# a CPU device refuses a set one byte of which could pass
			# lavapipe's loop cap (ARCHITECTURE.md "Pattern sets"), at
			# compile, naming the pattern
			grep -qx 'state=failed' <<<"$st"
			grep -q "^error='pattern=.*: pattern 1: a byte may cost the bit-parallel engine .*(E2BIG)'$" <<<"$st"
		else
			grep -qx 'state=done' <<<"$st"
			grep -qx 'engine=shift' <<<"$st"
			[ "$(cat "$MNT/jobs/$id/result")" = "$wantb" ]
		fi
	done < "$out"
	# Queued behind nobody's compiles (8 x ~0.3 s of CPU, slower under
	# load), root's first jobs would wait seconds; beside them, on 2 loaded
	# cores, one job can still take ~1 s (CI, load 8+: 203 268 369 1064
	# 469 ms): the median stays under 1 s and none reaches 2 s
	[ "$(printf '%s\n' "${all[@]}" | sort -n | sed -n 3p)" -lt 1000 ]
	[ "$max" -lt 2000 ]
}

@test "item 8: one user's grep lines=1 over a file where every line matches leaves slots for root's job" {
	local f="$FILES/allmatch" id a t0 ms all=() waits=() max=0 maxwait=0 i w
	# 32 chunks of 1 MiB, each rerun ~30 times (1024 records a pass), and
	# their open lines' continuations took every slot that came free: the
	# ring stayed full for ~30 s on lavapipe and root's 4 KiB job waited
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"match line padding padding paddi\n" * (32 * 1024 * 1024 // 34))' "$f"
	chmod 644 "$f"
	run submit_as "${NOBODY[@]}" -- "scan path=$f op=grep pattern=match lines=1 chunk=1M"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	# until nobody's job holds all it may
	for i in $(seq 100); do
		[ "$(sed -n 's/^slots_free=//p' "$MNT/status")" -le 2 ] && break
		sleep 0.1
	done
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		id=$(submit "scan path=$FILES/public op=count")
		timeout 120 cat "$MNT/jobs/$id/wait" >/dev/null
		ms=$(($(now_ms) - t0))
		# from submit to its one read done: how long it waited for a slot
		w=$(($(sed -n 's/^read_us=//p' "$MNT/jobs/$id/status") / 1000))
		all+=("$ms")
		waits+=("$w")
		[ "$ms" -gt "$max" ] && max=$ms
		[ "$w" -gt "$maxwait" ] && maxwait=$w
		[ "$(cat "$MNT/jobs/$id/result")" = "$(wc -l < "$FILES/public")" ]
	done
	local st=$(grep -E '^(state|chunks_done)=' "$MNT/jobs/$a/status" | tr '\n' ' ')
	# nobody's job is exact all the same
	timeout 300 cat "$MNT/jobs/$a/wait" >/dev/null
	echo "root's count jobs beside nobody's lines=1 job ($st): ${all[*]} ms; waited for a slot ${waits[*]} ms" >&2
	diff <(cat "$MNT/jobs/$a/lines") <(LC_ALL=C grep -a -n -b match "$f" | cut -d: -f1,2) >/dev/null
	[ "$maxwait" -lt 500 ]
	[ "$max" -lt 10000 ]
}

# bytes_scanned in status and vyrefs_bytes_total in metrics, as SETPRIV... reads them
bytes_seen() {
	echo "$("$@" sed -n 's/^bytes_scanned=//p' "$MNT/status") $("$@" sed -n 's/^vyrefs_bytes_total //p' "$MNT/metrics")"
}

# the GPU slots of op class count the reader of metrics sees
count_slots_seen() {
	"$@" sed -n 's/^vyrefs_gpu_slots_total{op="count"} //p' "$MNT/metrics"
}

# scans_seen SEEN NAME EXTRA: what SEEN (bytes_seen or count_slots_seen) gives
# nobody and root (N0, R0) before root counts FILE, 1234567 random bytes
# written to root's 0700 $FILES/root/NAME, with descriptor keys EXTRA; after
# it (N1, R1); and nobody after nobody's own count of public with EXTRA (N2).
# SIZE and PSIZE: the two files' sizes.
scans_seen() {
	local seen=$1 f="$FILES/root/$2" extra=$3 id
	head -c 1234567 /dev/urandom > "$f"
	SIZE=$(stat -c %s "$f")
	PSIZE=$(stat -c %s "$FILES/public")
	N0=$($seen "${NOBODY[@]}")
	R0=$($seen env)
	id=$(submit "scan path=$f op=count$extra")
	wait_job "$id"
	N1=$($seen "${NOBODY[@]}")
	R1=$($seen env)
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count$extra"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]] || { echo "nobody's submit: $output" >&2; return 1; }
	wait_job "${BASH_REMATCH[1]}"
	N2=$($seen "${NOBODY[@]}")
}

@test "item 13: another user's scan moves neither bytes_scanned nor vyrefs_bytes_total in what nobody reads" {
	scans_seen bytes_seen sized ""
	echo "root's $SIZE-byte scan: nobody saw $N0 -> $N1, root $R0 -> $R1; nobody's own $PSIZE bytes: $N1 -> $N2" >&2
	[ "$N1" = "$N0" ]
	[ $((${R1% *} - ${R0% *})) -eq "$SIZE" ]
	[ $((${R1#* } - ${R0#* })) -eq "$SIZE" ]
	[ $((${N2% *} - ${N1% *})) -eq "$PSIZE" ]
	[ $((${N2#* } - ${N1#* })) -eq "$PSIZE" ]
}

@test "item 13: another user's scan moves no vyrefs_gpu_slots_total in what nobody reads" {
	# one slot per 4 KiB chunk: before, nobody read the file's size off this
	scans_seen count_slots_seen sized4k " chunk=4K"
	echo "root's $SIZE-byte scan in 4K chunks: nobody saw count slots $N0 -> $N1, root $R0 -> $R1; nobody's own $PSIZE bytes: $N1 -> $N2" >&2
	[ -n "$N0" ]
	[ "$N1" = "$N0" ]
	[ $((R1 - R0)) -eq $(((SIZE + 4095) / 4096)) ]
	[ $((N2 - N1)) -eq $(((PSIZE + 4095) / 4096)) ]
}

@test "item 15: a user's tenant= labels are its own and cannot flood the metrics" {
	local i out id nobody_uid
	nobody_uid=$(id -u nobody)
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count tenant=0"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	id=${BASH_REMATCH[1]}
	wait_job "$id"
	grep -qx "tenant=$nobody_uid:0" "$MNT/jobs/$id/status"
	for i in $(seq 20); do
		run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count tenant=flood$i"
		[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
		wait_job "${BASH_REMATCH[1]}"
	done
	out=$(grep '^vyrefs_tenant_bytes_total' "$MNT/metrics")
	echo "$out" >&2
	[ "$(grep -c "tenant=\"$nobody_uid:" <<<"$out")" -le 8 ]
	grep -q "tenant=\"$nobody_uid:(other)\"" <<<"$out"
}

@test "item 20.7: SIGTERM with parked readers leaves nothing of ours to LeakSanitizer" {
	ldd "$VYREFS" | grep -q libasan || skip "VYREFS is not an AddressSanitizer build"
	local m l id
	m=$(mktemp -d /tmp/vyre-lsan.XXXXXX)
	l="$BATS_TEST_TMPDIR/lsan.log"
	truncate -s 8G "$BATS_TEST_TMPDIR/sparse"
	LSAN_OPTIONS=suppressions=$VYRE_ROOT/tests/lsan.supp ASAN_OPTIONS=detect_leaks=1 \
		VYRE_VALIDATION=1 "$VYREFS" "$m" -o "log=$l,slots=2"
	id=$(bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count chunk=4K" >&7; read -r id <&7; echo "$id"' \
		_ "$m" "$BATS_TEST_TMPDIR/sparse")
	local readers=()
	for _ in 1 2 3; do
		timeout 60 cat "$m/jobs/$id/wait" >/dev/null 2>&1 &
		readers+=($!)
	done
	# and files held open, rendered, with no release to come
	exec {held1}<"$m/jobs/$id/status" {held2}<"$m/README"
	sleep 1
	pkill -TERM -f "vyrefs $m"
	for _ in $(seq 100); do pgrep -f "vyrefs $m" >/dev/null || break; sleep 0.2; done
	exec {held1}<&- {held2}<&-
	umount -l "$m" 2>/dev/null || true
	rmdir "$m"
	wait "${readers[@]}" || true
	run grep -E "ERROR: LeakSanitizer|SUMMARY: AddressSanitizer" "$l"
	echo "$output" >&2
	[ "$status" -ne 0 ]
}

@test "item 7: one user's files= jobs hold at most about 2048 of the daemon's fds together; root's job still runs" {
	local f="$FILES/small" list="$FILES/dup.list" pid base max=0 ids=() i n id t0 ms
	seq 1 5000 > "$f"
	chmod 644 "$f"
	for i in $(seq 1500); do echo "$f"; done > "$list"
	chmod 644 "$list"
	pid=$(daemon_pid)
	base=$(ls /proc/"$pid"/fd | wc -l)
	for i in 1 2 3; do
		run submit_as "${NOBODY[@]}" -- "scan files=$list op=count chunk=4K"
		[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
		ids+=("${BASH_REMATCH[1]}")
	done
	t0=$(date +%s%N)
	id=$(submit "scan path=$FILES/public op=count")
	wait_job "$id"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$(cat "$MNT/jobs/$id/result")" = 1000 ]
	for _ in $(seq 600); do
		n=$(ls /proc/"$pid"/fd | wc -l)
		[ "$n" -gt "$max" ] && max=$n
		grep -q '^state=running' "$MNT/jobs/${ids[2]}/status" || break
		sleep 0.05
	done
	for id in "${ids[@]}"; do
		timeout 300 cat "$MNT/jobs/$id/wait" >/dev/null
		[ "$(cat "$MNT/jobs/$id/result")" = $((1500 * 5000)) ]
	done
	echo "daemon fds: $base at rest, at most $max beside 3 x 1,500-file jobs; root's job in $ms ms" >&2
	[ $((max - base)) -le 2100 ]
}
