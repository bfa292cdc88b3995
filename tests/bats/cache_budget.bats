#!/usr/bin/env bats
# The file cache under device memory pressure (issue 25; pump/budget.c,
# pump/cache_block.c): when the memory budget leaves less than the margin
# free, the cache gives its blocks back one by one while jobs run, and
# makes them again once the room is back; no job fails or differs. lavapipe reports no budget of its own, so the
# pressure is injected: VYRE_FAULT_BUDGET=FILE makes the budget the number
# FILE holds (none while FILE is absent).
load common

setup_file() {
	FILES="$(mktemp -d /tmp/vyre-cachebudget.XXXXXX)"
	export FILES
	# 10 files to cache and 10 fresh ones, 128-512 KiB of text each
	/usr/bin/python3 -c '
import random, sys
words = ["alpha", "needle", "omega", "beta", "haystack"]
for i in range(20):
    r = random.Random(100 + i)
    size = r.randint(128 << 10, 512 << 10)
    with open("%s/%s%d" % (sys.argv[1], "c" if i < 10 else "f", i % 10), "w") as f:
        n = 0
        while n < size:
            line = "%d %s\n" % (n, " ".join(r.choice(words) for _ in range(r.randint(0, 12))))
            f.write(line)
            n += len(line)' "$FILES"
	sleep 0.2 # the cache takes a file whose ctime is over 100 ms old (cache.c)
}

teardown_file() {
	rm -rf "${FILES:?}"
}

teardown() {
	teardown_own_mount
}

# mnt OPTS: a mount of this test's own, its budget read from $BUDGET
mnt() {
	MNT="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	LOG="$BATS_TEST_TMPDIR/vyrefs.log"
	BUDGET="$BATS_TEST_TMPDIR/budget"
	rm -f "$BUDGET"
	VYRE_FAULT_BUDGET="$BUDGET" VYRE_VALIDATION=1 "$VYREFS" "$MNT" -o "log=$LOG,$1"
}

umnt() {
	umount "$MNT"
	rmdir "$MNT"
	MNT=
	run ! grep -E "validation error|ERROR: AddressSanitizer|runtime error:" "$LOG"
}

gst() { sed -n "s/^$1=//p" "$MNT/status"; }

# jobs20: 20 jobs at once, count and grep by turns, over the cached files
# and the fresh ones; every result equals wc -l's or GNU grep's
jobs20() {
	local i f ids=() want=()
	for i in $(seq 0 19); do
		if [ $((i % 2)) = 0 ]; then f="$FILES/c$((i / 2))"; else f="$FILES/f$((i / 2))"; fi
		if [ $((i % 4)) -lt 2 ]; then
			ids+=("$(submit "scan path=$f op=count byte=0x0a")")
			want+=("$(wc -l < "$f")")
		else
			ids+=("$(submit "scan path=$f op=grep pattern=needle")")
			want+=("$(LC_ALL=C grep -c -a needle "$f")")
		fi
		[[ "${ids[$i]}" =~ ^[0-9]+$ ]]
		# the pressure comes while the jobs run
		[ "$i" != 4 ] || [ -z "${PRESSURE:-}" ] || echo "$PRESSURE" > "$BUDGET"
	done
	for i in $(seq 0 19); do
		wait_job "${ids[$i]}"
		[ "$(sed -n 's/^state=//p' "$MNT/jobs/${ids[$i]}/status")" = done ]
		[ "$(cat "$MNT/jobs/${ids[$i]}/result")" = "${want[$i]}" ]
	done
}

# warm: every cached file counted once, so the next jobs read it from the cache
warm() {
	local i id
	for i in $(seq 0 9); do
		id=$(submit "scan path=$FILES/c$i op=count byte=0x0a")
		wait_job "$id"
		[ "$(cat "$MNT/jobs/$id/result")" = "$(wc -l < "$FILES/c$i")" ]
	done
	[ "$(gst cache_bytes)" -gt 0 ]
}

# until_status KEY TEST VALUE: waits up to 10 s for status KEY to pass
until_status() {
	local n
	for n in $(seq 100); do
		[ "$(gst "$1")" "$2" "$3" ] && return 0
		sleep 0.1
	done
	echo "status $1=$(gst "$1"), wanted $2 $3" >&2
	return 1
}

# count_twice FILE: two newline counts equal wc -l's, the second from the cache
count_twice() {
	local id pass h
	for pass in 1 2; do
		h=$(gst cache_hits)
		id=$(submit "scan path=$1 op=count byte=0x0a")
		wait_job "$id"
		[ "$(cat "$MNT/jobs/$id/result")" = "$(wc -l < "$1")" ]
	done
	[ "$(gst cache_hits)" -gt "$h" ]
	[ "$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$id/status")" = "$(stat -c %s "$1")" ]
}

@test "memory pressure mid-run gives blocks back, as many as it asks, and takes them again after; 20 jobs over cached and fresh files stay exact" {
	mnt cache=4M,chunk=256K
	cap=$(gst cache_capacity)
	echo "cache_capacity $cap" >&2
	[ "$cap" -ge $((4 << 20)) ]
	[ "$(gst cache_shrinks)" = 0 ]
	margin=$(sed -n 's/.*margin=\([0-9]*\) bytes beyond usage=\([0-9]*\).*/\1/p' "$LOG")
	usage=$(sed -n 's/.*margin=\([0-9]*\) bytes beyond usage=\([0-9]*\).*/\2/p' "$LOG")
	[[ "$margin" =~ ^[0-9]+$ && "$usage" =~ ^[0-9]+$ ]]
	warm
	# the budget leaves 4.5 blocks less than the margin: five blocks go, no more
	PRESSURE=$((usage + margin - cap / 16 * 9 / 2)) jobs20
	until_status cache_shrinks = 5
	until_status cache_capacity = $((cap / 16 * 11))
	sleep 0.6 # two budget reads more: no further block goes
	[ "$(gst cache_shrinks)" = 5 ]
	[ "$(gst cache_capacity)" = $((cap / 16 * 11)) ]
	grep -q "another process needs the memory): the file cache gives block 11 (" "$LOG"
	# what is left still caches
	count_twice "$FILES/c3"
	# the budget leaves nothing: every block goes
	PRESSURE=0 jobs20
	until_status cache_capacity = 0
	[ "$(gst cache_shrinks)" = 16 ] # one block a chunk at this size
	[ "$(gst cache_bytes)" = 0 ]
	grep -q "file cache block 0 freed" "$LOG"
	# without a cache every job still runs, and reads its files
	PRESSURE= jobs20
	grep -q "^vyrefs_cache_capacity_bytes 0$" "$MNT/metrics.prom"
	grep -q "^vyrefs_cache_shrinks_total 16$" "$MNT/metrics.prom"
	# vyrectl cache shows a cache that gave everything back, and says why
	run "$VYRE_ROOT/build/tools/vyrectl" -m "$MNT" cache
	[ "$status" -eq 0 ]
	[[ "$output" == *"cache_capacity=0"*"cache_shrinks=16"* ]]
	[[ "$output" == *"gave all its device memory back"* ]]
	# the pressure gone, the blocks are made again (2 s after the last
	# shrink), and they cache
	echo $((1 << 50)) > "$BUDGET"
	until_status cache_capacity = "$cap"
	grep -q "the file cache makes block 15 (" "$LOG"
	count_twice "$FILES/c5"
	umnt
}
