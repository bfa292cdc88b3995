#!/usr/bin/env bats
# vyrectl cache [drop] (tools/vyrectl_cache.c): what it prints is what the
# mount's status file says to the same caller, its hit ratio is Python's
# hits / (hits + misses), "cache drop" empties the cache for root (and a
# scan after it still equals wc -l), and is refused with exit 1 and a line
# naming root for anyone else; a mount without cache= says so, exit 1.
load common

VYRECTL="$VYRE_ROOT/build/tools/vyrectl"
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	mount_vyrefs "allow_other,chunk=64K,cache=16M"
	files_dir cachecli
	# ~400 KB of lines over several 64K chunks
	/usr/bin/python3 -c '
import random, sys
r = random.Random(7)
with open(sys.argv[1], "w") as f:
    for i in range(40000):
        f.write("%d %s\n" % (i, " ".join(r.choice(["a", "bb", "needle"]) for _ in range(r.randint(0, 4)))))
' "$FILES/log"
	chmod 644 "$FILES/log"
	# the cache takes a file only once its ctime is over 100 ms old (cache.bats: settle)
	sleep 0.2
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

# teardown: common.bash's (MNT2 unmounted, the log shown after a failure)

# count_is: a newline count of the log equals wc -l; sets ID
count_is() {
	ID=$(submit "scan path=$FILES/log op=count byte=0x0a")
	[[ "$ID" =~ ^[0-9]+$ ]]
	wait_job "$ID"
	[ "$(cat "$MNT/jobs/$ID/result")" = "$(wc -l <"$FILES/log")" ]
}

# same_as_status STATUS_TEXT CACHE_OUTPUT: every cache_* key of status has
# the same value in vyrectl's output, the ratio is Python's, nothing else
same_as_status() {
	local k v want
	for k in cache_capacity cache_bytes cache_hits cache_misses cache_evictions cache_shrinks; do
		want=$(sed -n "s/^$k=//p" <<<"$1")
		v=$(sed -n "s/^$k=//p" <<<"$2")
		[[ "$want" =~ ^[0-9]+$ ]] || { echo "status: $k=$want" >&2; return 1; }
		[ "$v" = "$want" ] || { echo "$k: vyrectl $v, status $want" >&2; return 1; }
	done
	want=$(/usr/bin/python3 -c '
import sys
h, m = int(sys.argv[1]), int(sys.argv[2])
print("%.3f" % (h / (h + m)) if h + m else "")' \
		"$(sed -n 's/^cache_hits=//p' <<<"$1")" "$(sed -n 's/^cache_misses=//p' <<<"$1")")
	[ "$(grep -c '^cache_hit_ratio=' <<<"$2")" = 1 ]
	[ "$(sed -n 's/^cache_hit_ratio=//p' <<<"$2")" = "$want" ]
	[ "$(wc -l <<<"$2")" = 7 ]
}

@test "vyrectl cache after a second scan: status's cache keys, the hit ratio, eval-able" {
	local st
	count_is
	count_is
	count_is # hits are twice the misses now: a ratio of misses would show
	# the later scans read every byte from the cache
	[ "$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$ID/status")" = "$(stat -c %s "$FILES/log")" ]
	run "$VYRECTL" -m "$MNT" cache
	[ "$status" -eq 0 ]
	st=$(cat "$MNT/status") # no job runs: the counters stand still
	echo "$output"
	same_as_status "$st" "$output"
	[ "$(sed -n 's/^cache_hits=//p' <<<"$output")" -gt "$(sed -n 's/^cache_misses=//p' <<<"$output")" ]
	[ "$(sed -n 's/^cache_misses=//p' <<<"$output")" -gt 0 ]
	[ "$(sed -n 's/^cache_bytes=//p' <<<"$output")" -ge "$(stat -c %s "$FILES/log")" ]
	# key=value lines a shell may eval
	eval "$output"
	[ "$cache_capacity" = "$(sed -n 's/^cache_capacity=//p' <<<"$st")" ]
	# VYRE_MOUNT names the mount as for the other commands
	VYRE_MOUNT="$MNT" run "$VYRECTL" cache
	[ "$status" -eq 0 ]
	same_as_status "$(cat "$MNT/status")" "$output"
}

@test "as nobody: cache shows what status shows nobody; cache drop exits 1 naming root and keeps the cache" {
	local before
	count_is
	count_is
	before=$(sed -n 's/^cache_bytes=//p' "$MNT/status")
	[ "$before" -gt 0 ]
	run "${NOBODY[@]}" "$VYRECTL" -m "$MNT" cache
	[ "$status" -eq 0 ]
	same_as_status "$("${NOBODY[@]}" cat "$MNT/status")" "$output"
	# root's cached bytes are not nobody's to see
	[ "$(sed -n 's/^cache_bytes=//p' <<<"$output")" = 0 ]
	run "${NOBODY[@]}" "$VYRECTL" -m "$MNT" cache drop
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"root"* ]]
	[[ "$output" != *dropped* ]]
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" = "$before" ]
}

@test "vyrectl cache drop as root: prints dropped, cache_bytes 0, the next scan equals wc -l and reads the file" {
	count_is
	count_is
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" -gt 0 ]
	run "$VYRECTL" -m "$MNT" cache drop
	[ "$status" -eq 0 ]
	[ "$output" = dropped ]
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" = 0 ]
	run "$VYRECTL" -m "$MNT" cache
	[ "$status" -eq 0 ]
	grep -qx 'cache_bytes=0' <<<"$output"
	count_is
	[ "$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$ID/status")" = 0 ]
	count_is
	[ "$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$ID/status")" = "$(stat -c %s "$FILES/log")" ]
}

@test "a bad cache command is a usage error (2) and drops nothing" {
	local before
	count_is
	count_is
	before=$(sed -n 's/^cache_bytes=//p' "$MNT/status")
	[ "$before" -gt 0 ]
	run "$VYRECTL" -m "$MNT" cache empty
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a cache command"* ]]
	run "$VYRECTL" -m "$MNT" cache drop now
	[ "$status" -eq 2 ]
	[[ "$output" == *"one argument too many"* ]]
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" = "$before" ]
}

@test "a mount without cache= says so: cache and cache drop exit 1" {
	MNT2="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	VYRE_VALIDATION=1 "$VYREFS" "$MNT2" -o "log=$BATS_FILE_TMPDIR/nocache.log"
	[ "$(sed -n 's/^cache_capacity=//p' "$MNT2/status")" = 0 ]
	run "$VYRECTL" -m "$MNT2" cache
	[ "$status" -eq 1 ]
	[[ "$output" == *"no file cache"*"cache=SIZE"* ]]
	run "$VYRECTL" -m "$MNT2" cache drop
	[ "$status" -eq 1 ]
	[[ "$output" == *"no file cache"* ]]
	[[ "$output" != *dropped* ]]
	umount "$MNT2"
	rmdir "$MNT2"
	MNT2=
	run ! grep -qE "validation error|ERROR: AddressSanitizer|runtime error:" \
		"$BATS_FILE_TMPDIR/nocache.log"
}
