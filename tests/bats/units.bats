#!/usr/bin/env bats
# Two units on one device (device=0:0, SPEC §10 "Units"): a job's spans run
# on both, and every op's result equals one unit's (a second mount with
# device=0) and the independent reference (GNU grep, Python, tr); status and
# metrics show both units scanning; a unit that cannot open fails the mount
# naming it. Small slots and chunks make a small real file many spans.
load common

GPL=/usr/share/common-licenses/GPL-3
BIN=/usr/bin/bash
OPTS="slots=8,chunk=64K"

setup_file() {
	mount_vyrefs "device=0:0,$OPTS"
	ONE="$(mktemp -d /tmp/vyre-one.XXXXXX)"
	ONELOG="$BATS_FILE_TMPDIR/one.log"
	export ONE ONELOG
	"$VYREFS" "$ONE" -o "log=$ONELOG,device=0,$OPTS"
	U="$(mktemp -d /tmp/vyre-units.XXXXXX)"
	export U
	chmod 755 "$U"
	# lines longer than a span (4 chunks of 16K here) and lines that end
	# exactly at span edges: grep's open lines cross from one unit's span
	# into the other's
	python3 - "$U/long" <<'PY'
import random, sys
random.seed(11)
out = bytearray()
for i in range(300):
    n = random.choice([0, 5, 80, 16383, 70000, 200000])
    line = bytearray(random.choice(b'abcdef \t\x00\xff') for _ in range(n))
    if random.random() < 0.4:
        p = random.randrange(0, n + 1)
        line[p:p] = b'needle'
    out += line + b'\n'
out += b'tail needle, no newline'
open(sys.argv[1], 'wb').write(out)
PY
	mkdir "$U/tree"
	[ ! -r "$GPL" ] || for i in $(seq 40); do head -c $((i * 3001)) "$GPL" > "$U/tree/f$i"; done
	cp "$BIN" "$U/tree/big"
}

teardown_file() {
	unmount_vyrefs
	if [ -n "${ONE:-}" ] && mountpoint -q "$ONE"; then
		umount "$ONE" || umount -l "$ONE"
	fi
	rmdir "$ONE" 2>/dev/null || true
	rm -rf "${U:?}"
}

# the dead-unit test's own mount goes even when the test failed
teardown() {
	if [ -n "${DEADM:-}" ]; then
		mountpoint -q "$DEADM" && { timeout 10 umount "$DEADM" || umount -l "$DEADM"; }
		rmdir "$DEADM" 2>/dev/null || true
	fi
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
}

need_gpl() {
	[ -r "$GPL" ] || skip "$GPL is missing (Debian's base-files has it)"
}

# on MOUNT DESCRIPTOR: the job's result on that mount (FILE=result|lines|files|failed via $WHAT)
on() {
	local m=$1 id
	exec 8<>"$m/ctl"
	echo "$2" >&8 || { exec 8>&-; return 1; }
	read -r id <&8
	exec 8>&-
	cat "$m/jobs/$id/wait" >/dev/null
	grep -q '^state=done' "$m/jobs/$id/status" || { cat "$m/jobs/$id/status" >&2; return 1; }
	cat "$m/jobs/$id/${WHAT:-result}"
}

# same DESCRIPTOR: prints the two-unit result after checking it equals one unit's
same() {
	local two one
	two=$(on "$MNT" "$1") || return 1
	one=$(on "$ONE" "$1") || return 1
	[ "$two" = "$one" ] || { echo "two units <${two:0:300}> one unit <${one:0:300}>" >&2; return 1; }
	printf '%s\n' "$two"
}

@test "status: units=2, each unit's device, mode and ingest" {
	eval "$(cat "$MNT/status")"
	[ "$units" = 2 ]
	[ -n "$unit0_device" ] && [ "$unit0_device" = "$unit1_device" ]
	[ "$unit0_kernel_mode" = "$kernel_mode" ]
	[ -n "$unit1_ingest" ]
	[ -n "$unit0_cpus" ]
	eval "$(cat "$ONE/status")"
	[ "$units" = 1 ]
}

@test "count, match and histogram over many spans equal one unit and Python" {
	local got
	got=$(same "scan path=$BIN op=count chunk=16K")
	[ "$got" = "$(tr -cd '\n' < "$BIN" | wc -c)" ]
	got=$(same "scan path=$BIN op=count byte=0 chunk=4K")
	[ "$got" = "$(python3 -c 'import sys; print(open(sys.argv[1],"rb").read().count(0))' "$BIN")" ]
	# ELF bytes that straddle chunk and span edges: the tail window crosses
	got=$(same "scan path=$BIN op=match pattern=\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00 chunk=4K")
	[ "$got" = "$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(sum(1 for i in range(len(d) - 7) if d[i:i + 8] == bytes(8)))' "$BIN")" ]
	got=$(same "scan path=$BIN op=histogram chunk=16K")
	[ "$got" = "$(python3 -c '
import sys, collections
c = collections.Counter(open(sys.argv[1], "rb").read())
print("\n".join("0x%02x %d" % (b, c[b]) for b in range(256)))' "$BIN")" ]
	# the ended jobs, kept in the table, hold no fd of the file
	local pid
	pid=$(pgrep -f "vyrefs $MNT" | head -1)
	[ -n "$pid" ]
	run ! bash -c 'ls -l "/proc/$1/fd" | grep -F -- "$2"' _ "$pid" "$BIN"
}

@test "grep lines=1 across units equals GNU grep, on real text and on lines longer than a span" {
	need_gpl
	local f want
	for f in "$GPL" "$U/long"; do
		WHAT=lines run -0 same "scan path=$f op=grep pattern='(GNU|needle)' lines=1 chunk=16K"
		want=$(LC_ALL=C grep -a -n -b -E '(GNU|needle)' "$f" | cut -d: -f1,2)
		[ "$output" = "$want" ]
		run -0 same "scan path=$f op=grep pattern=needle invert=1 chunk=16K"
		[ "$output" = "$(LC_ALL=C grep -a -v -c needle "$f")" ]
		WHAT=lines run -0 same "scan path=$f op=grep pattern=e icase=1 max=7 lines=1 chunk=16K"
		[ "$output" = "$(LC_ALL=C grep -a -i -m7 -n -b e "$f" | cut -d: -f1,2)" ]
	done
	# a range: LINE counts from its first byte, OFFSET is the file's
	WHAT=lines run -0 same "scan path=$U/long op=grep pattern=needle lines=1 offset=65536 length=3000000 chunk=16K"
	want=$(dd if="$U/long" bs=65536 skip=1 status=none | head -c 3000000 |
		LC_ALL=C grep -a -n -b needle | awk -F: '{ print $1 ":" $2 + 65536 }')
	[ "$output" = "$want" ]
}

@test "a many-file job over both units equals one unit and grep -r -c" {
	need_gpl
	local want
	WHAT=files run -0 same "scan path=$U/tree op=grep pattern=GNU chunk=16K"
	want=$(cd "$U/tree" && LC_ALL=C grep -a -r -c GNU . | sed "s|^\./\(.*\):\([0-9]*\)$|\2 $U/tree/\1|" | LC_ALL=C sort -k2)
	[ "$(printf '%s\n' "$output" | LC_ALL=C sort -k2)" = "$want" ]
	run -0 same "scan path=$U/tree op=count chunk=16K"
	[ "$output" = "$(cat "$U"/tree/* | tr -cd '\n' | wc -c)" ]
}

@test "metrics: both units scanned, per-unit series carry unit=\"K\"" {
	on "$MNT" "scan path=$BIN op=count chunk=16K" >/dev/null
	local b0 b1
	b0=$(sed -n 's/^vyrefs_unit_bytes_total{unit="0"} //p' "$MNT/metrics")
	b1=$(sed -n 's/^vyrefs_unit_bytes_total{unit="1"} //p' "$MNT/metrics")
	[[ "$b0" =~ ^[0-9]+$ && "$b1" =~ ^[0-9]+$ ]]
	[ "$b0" -gt 0 ] && [ "$b1" -gt 0 ]
	eval "$(cat "$MNT/status")"
	[ "$unit0_chunks_done" -gt 0 ] && [ "$unit1_chunks_done" -gt 0 ]
	[ $((unit0_bytes_scanned + unit1_bytes_scanned)) -eq "$bytes_scanned" ]
}

@test "cancel: a spread job ends cancelled on both units and the mount serves on" {
	need_gpl
	local id
	id=$(submit "scan path=$U/long op=grep pattern='a.*b.*c.*needle' chunk=16K")
	echo cancel > "$MNT/jobs/$id/ctl"
	wait_job "$id"
	eval "$(cat "$MNT/jobs/$id/status")"
	[[ "$state" == cancelled || "$state" == done ]]
	eval "$(cat "$MNT/status")"
	[ "$unit0_jobs_active" -eq 0 ] && [ "$unit1_jobs_active" -eq 0 ]
	[ "$(on "$MNT" "scan path=$GPL op=count chunk=4K")" = "$(wc -l < "$GPL")" ]
}

@test "a unit that cannot open (device=0:99) fails the mount, naming it" {
	local m
	m="$(mktemp -d /tmp/vyre-bad.XXXXXX)"
	run "$VYREFS" "$m" -o "log=$BATS_TEST_TMPDIR/bad.log,device=0:99"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unit 1 (device=99) did not open"* ]]
	run "$VYREFS" "$m" -o "device=0::0"
	rmdir "$m"
	[ "$status" -ne 0 ]
	[[ "$output" == *"entry is empty"* ]]
}

@test "a unit whose GPU stops answering fails its chunks ETIMEDOUT; the other unit finishes the job, and the next" {
	local m log id
	m="$(mktemp -d /tmp/vyre-dead.XXXXXX)"
	DEADM=$m
	log="$BATS_TEST_TMPDIR/dead.log"
	# unit 1 never launches its kernel (fault injection): its first spans hang
	VYRE_FAULT_GPU_STALL_AFTER=0 VYRE_FAULT_GPU_STALL_UNIT=1 \
		"$VYREFS" "$m" -o "log=$log,device=0:0,kernel=relaunch,gpu_timeout=1500,$OPTS"
	id=$(MNT=$m submit "scan path=$BIN op=count chunk=16K")
	run timeout 20 cat "$m/jobs/$id/wait"
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$state" = failed ]
	[ "$chunks_failed" -gt 0 ] && [ "$chunks_done" -gt 0 ]
	[ $((chunks_done + chunks_failed)) -eq "$chunks" ]
	# every failed chunk timed out; the result counts exactly the others
	run ! grep -v ' ETIMEDOUT ' "$m/jobs/$id/failed"
	[ "$(cat "$m/jobs/$id/result")" = "$(python3 - "$BIN" "$m/jobs/$id/failed" <<-'PY'
		import sys
		d = open(sys.argv[1], "rb").read()
		bad = {int(l.split()[0]) for l in open(sys.argv[2])}
		print(sum(d[k * 16384:(k + 1) * 16384].count(b"\n")
			  for k in range((len(d) + 16383) // 16384) if k not in bad))
	PY
	)" ]
	eval "$(cat "$m/status")"
	[ "$unit1_dead" = 1 ] && [ "$unit0_dead" = 0 ] && [ "$gpu_dead" = 1 ]
	# the next job runs on the unit that answers
	id=$(MNT=$m submit "scan path=$BIN op=count chunk=16K")
	run timeout 20 cat "$m/jobs/$id/wait"
	[[ "$output" == *$'\nstate=done\n'* ]]
	[ "$(cat "$m/jobs/$id/result")" = "$(tr -cd '\n' < "$BIN" | wc -c)" ]
	timeout 20 umount "$m"
}
