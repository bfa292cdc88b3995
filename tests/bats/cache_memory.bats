#!/usr/bin/env bats
# The file cache's size (-o cache=SIZE, issue 25; pump/unit.c
# pump_cache_open): SIZE counts whole chunks (cache=8M at chunk=4M holds
# two, in a little more device memory: each cache slot is an arena region);
# a cap larger than the device, or device memory refused (an injected
# VK_ERROR_OUT_OF_DEVICE_MEMORY), shrinks the cache, down to none, and
# never fails the mount or a job.
load common

setup_file() {
	FILES="$(mktemp -d /tmp/vyre-cachemem.XXXXXX)"
	export FILES
	# 8 MiB: two 4 MiB chunks, newlines counted by wc
	/usr/bin/python3 -c '
import random, sys
r = random.Random(5)
with open(sys.argv[1], "w") as f:
    n = 0
    while n < 8 << 20:
        line = "%d %s\n" % (n, " ".join(r.choice(["alpha", "needle", "omega"]) for _ in range(r.randint(0, 9))))
        line = line[: (8 << 20) - n]
        f.write(line)
        n += len(line)' "$FILES/f8"
	sleep 0.2 # the cache takes a file whose ctime is over 100 ms old (cache.c)
}

teardown_file() {
	rm -rf "${FILES:?}"
}

teardown() {
	teardown_own_mount
}

# mnt OPTS [ENV=VALUE...]: a mount of this test's own
mnt() {
	local opts=$1
	shift
	MNT="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	LOG="$BATS_TEST_TMPDIR/vyrefs.log"
	env "$@" VYRE_VALIDATION=1 "$VYREFS" "$MNT" -o "log=$LOG,$opts"
}

umnt() {
	umount "$MNT"
	rmdir "$MNT"
	MNT=
	run ! grep -E "validation error|ERROR: AddressSanitizer|runtime error:" "$LOG"
}

gst() { sed -n "s/^$1=//p" "$MNT/status"; }

# twice: two newline counts of f8 equal wc -l; sets ID to the second
twice() {
	local pass
	for pass in 1 2; do
		ID=$(submit "scan path=$FILES/f8 op=count byte=0x0a")
		[[ "$ID" =~ ^[0-9]+$ ]]
		wait_job "$ID"
		[ "$(sed -n 's/^state=//p' "$MNT/jobs/$ID/status")" = done ]
		[ "$(cat "$MNT/jobs/$ID/result")" = "$(wc -l < "$FILES/f8")" ]
	done
}

cached() { sed -n 's/^cached_bytes=//p' "$MNT/jobs/$ID/status"; }

@test "cache=8M at chunk=4M holds two chunks: an 8 MiB file's second pass is all cached" {
	mnt cache=8M
	echo "cache_capacity $(gst cache_capacity)" >&2
	[ "$(gst cache_capacity)" -ge $((8 << 20)) ]
	[ "$(gst cache_capacity)" -lt $((9 << 20)) ]
	twice
	[ "$(cached)" = $((8 << 20)) ]
	umnt
}

@test "a cap larger than the device: the mount runs with what the device has" {
	mnt cache=512G
	echo "cache_capacity $(gst cache_capacity)" >&2
	[ "$(gst cache_capacity)" -gt 0 ]
	[ "$(gst cache_capacity)" -lt $((512 << 30)) ]
	twice
	[ "$(cached)" = $((8 << 20)) ]
	grep -q "more than the device's" "$LOG"
	umnt
}

@test "device memory refused three times: the cache halves each time and stays exact" {
	mnt cache=64M VYRE_FAULT_CACHE_ALLOC=3
	# 16 chunks, 8, 4 refused: 2 given
	[ "$(grep -c 'device memory unavailable' "$LOG")" = 3 ]
	[ "$(gst cache_capacity)" -ge $((8 << 20)) ]
	[ "$(gst cache_capacity)" -lt $((9 << 20)) ]
	twice
	[ "$(cached)" = $((8 << 20)) ]
	umnt
}

@test "device memory refused every time: no cache, the jobs run" {
	mnt cache=64M VYRE_FAULT_CACHE_ALLOC=1000
	grep -q "running without" "$LOG"
	[ "$(gst cache_capacity)" = 0 ]
	twice
	[ "$(cached)" = 0 ]
	umnt
}
