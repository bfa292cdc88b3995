#!/usr/bin/env bats
# The file cache (-o cache=SIZE, issue 25; ARCHITECTURE.md "The file
# cache"): a second scan of an unchanged file reads its chunks from the
# cache and gives what GNU grep, wc and Python give; any change of the file
# (append, truncate, a same-size rewrite with its mtime put back, a rename
# over it, delete and recreate) is seen; a tiny cache evicts and stays
# exact; the cache is below the permission checks; drop-cache is root's.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	# 64 KiB chunks: a few hundred KiB cross many chunk edges
	mount_vyrefs "allow_other,chunk=64K,cache=16M"
	files_dir cache
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

teardown() {
	[ -n "${SAVED_MNT:-}" ] && MNT=$SAVED_MNT
	unmount_second
	show_log_if_failed
}

# mklog FILE LINES SEED: lines of words, "needle" in some, a few lines
# longer than a chunk (their '\n' lies chunks away from their start)
mklog() {
	/usr/bin/python3 - "$@" <<'EOF'
import random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
with open(path, "w") as f:
    for i in range(n):
        if i % 997 == 500:
            f.write("long " + "x" * r.randint(70000, 150000) + (" needle" if i % 2 else "") + "\n")
            continue
        w = " ".join(r.choice(["alpha", "beta", "gamma", "delta", "needle", "omega"])
                     for _ in range(r.randint(0, 12)))
        f.write("%d %s\n" % (i, w))
EOF
}

# The cache takes a file only once its ctime is over 100 ms old (cache.c:
# a later change must move it); a test that wants a hit waits that long.
settle() {
	sleep 0.2
}

# job DESCRIPTOR: submits it and waits; sets ID
job() {
	ID=$(submit "$1") || return 1
	[[ "$ID" =~ ^[0-9]+$ ]] || { echo "submit: $ID" >&2; return 1; }
	wait_job "$ID"
}

jst() { sed -n "s/^$2=//p" "$MNT/jobs/$1/status"; }
gst() { sed -n "s/^$1=//p" "$MNT/status"; }

# count_is FILE: a newline count job's result is wc -l's; sets ID
count_is() {
	job "scan path=$1 op=count byte=0x0a"
	[ "$(jst "$ID" state)" = done ]
	[ "$(cat "$MNT/jobs/$ID/result")" = "$(wc -l < "$1")" ]
}

# grep_is FILE PATTERN: grep's count is GNU grep's; sets ID
grep_is() {
	job "scan path=$1 op=grep pattern=$2"
	[ "$(jst "$ID" state)" = done ]
	[ "$(cat "$MNT/jobs/$ID/result")" = "$(LC_ALL=C grep -c -a -e "$2" "$1")" ]
}

# cached_all FILE: the last job read every byte of FILE from the cache
cached_all() {
	[ "$(jst "$ID" cached_bytes)" = "$(stat -c %s "$1")" ]
}

@test "a second scan reads the cache: count and grep equal wc and grep -c, cached_bytes is the size" {
	local f="$FILES/log1" h0
	mklog "$f" 20000 1
	settle
	h0=$(gst cache_hits)
	count_is "$f"
	[ "$(jst "$ID" cached_bytes)" = 0 ]
	count_is "$f"
	cached_all "$f"
	[ "$(gst cache_hits)" -gt "$h0" ]
	[ "$(gst cache_bytes)" -ge "$(stat -c %s "$f")" ]
	# grep reads a tail window past each chunk that count did not keep:
	# its first pass reads (and keeps) the chunks again, its second hits
	grep_is "$f" needle
	grep_is "$f" needle
	cached_all "$f"
	grep_is "$f" 'gamma.*delta$'
	cached_all "$f"
	count_is "$f"
	cached_all "$f"
}

@test "grep lines=1 and invert=1 from the cache: lines across chunk edges and longer than a chunk" {
	local f="$FILES/log2"
	mklog "$f" 15000 2
	settle
	for pass in 1 2; do
		job "scan path=$f op=grep pattern=needle lines=1"
		diff "$MNT/jobs/$ID/lines" <(LC_ALL=C grep -a -n -b needle "$f" | cut -d: -f1,2)
		[ "$(cat "$MNT/jobs/$ID/result")" = "$(LC_ALL=C grep -c -a needle "$f")" ]
	done
	cached_all "$f"
	job "scan path=$f op=grep pattern=needle invert=1"
	[ "$(cat "$MNT/jobs/$ID/result")" = "$(LC_ALL=C grep -c -a -v needle "$f")" ]
	cached_all "$f"
}

@test "match and histogram from the cache equal Python's" {
	local f="$FILES/log3" want id
	mklog "$f" 8000 3
	settle
	want=$(/usr/bin/python3 -c 'import re,sys; print(len(re.findall(b"(?=ta d)", open(sys.argv[1],"rb").read())))' "$f")
	for pass in 1 2; do
		job "scan path=$f op=match pattern=\"ta d\""
		[ "$(cat "$MNT/jobs/$ID/result")" = "$want" ]
	done
	cached_all "$f"
	want=$(/usr/bin/python3 -c '
import collections, sys
c = collections.Counter(open(sys.argv[1], "rb").read())
print("\n".join("0x%02x %d" % (b, c[b]) for b in range(256)))' "$f")
	for pass in 1 2; do
		job "scan path=$f op=histogram"
		[ "$(cat "$MNT/jobs/$ID/result")" = "$want" ]
	done
	cached_all "$f"
}

@test "20 jobs at once over three files, twice: every result exact, the second round from the cache" {
	local i f h round ids=() want=()
	for i in 0 1 2; do
		mklog "$FILES/many$i" 4000 $((20 + i))
	done
	settle
	for round in 1 2; do
		h=$(gst cache_hits)
		ids=()
		want=()
		for i in $(seq 0 19); do
			f="$FILES/many$((i % 3))"
			if [ $((i % 2)) = 0 ]; then
				ids+=("$(submit "scan path=$f op=count byte=0x0a")")
				want+=("$(wc -l < "$f")")
			else
				ids+=("$(submit "scan path=$f op=grep pattern=needle")")
				want+=("$(LC_ALL=C grep -c -a needle "$f")")
			fi
		done
		for i in $(seq 0 19); do
			wait_job "${ids[$i]}"
			[ "$(cat "$MNT/jobs/${ids[$i]}/result")" = "${want[$i]}" ]
		done
	done
	# round 2 read chunks round 1 left (which ones depends on the order the
	# jobs ran in: a chunk another slot reads is not refilled meanwhile)
	[ "$(gst cache_hits)" -gt "$h" ]
}

# cache_then FILE: two scans, the second all from the cache
cache_then() {
	grep_is "$1" needle
	grep_is "$1" needle
	cached_all "$1"
}

@test "an append is read: the cached prefix is not trusted" {
	local f="$FILES/app"
	mklog "$f" 6000 4
	settle
	cache_then "$f"
	mklog "$f.more" 300 5
	cat "$f.more" >> "$f"
	grep_is "$f" needle
	count_is "$f"
	settle
	cache_then "$f" # the new identity is cached in its turn
}

@test "a truncate is read, and so is the same size written back with other bytes" {
	local f="$FILES/trunc" size
	mklog "$f" 6000 6
	settle
	cache_then "$f"
	size=$(stat -c %s "$f")
	truncate -s $((size / 2)) "$f"
	grep_is "$f" needle
	count_is "$f"
	settle
	cache_then "$f"
	# back to the old size, the second half other bytes than were cached
	mklog "$f.more" 6000 16
	head -c $((size - size / 2)) "$f.more" >> "$f"
	[ "$(stat -c %s "$f")" = "$size" ]
	grep_is "$f" needle
	count_is "$f"
}

@test "a same-size rewrite with its mtime put back (touch -d) is read: ctime moved" {
	local f="$FILES/rewrite" mtime size before
	mklog "$f" 6000 7
	settle
	cache_then "$f"
	mtime=$(stat -c %y "$f")
	size=$(stat -c %s "$f")
	before=$(LC_ALL=C grep -c needle "$f")
	# same bytes but every "needle" becomes "noodle": same size, other counts
	/usr/bin/python3 -c '
import sys
p = sys.argv[1]
d = open(p, "rb").read().replace(b"needle", b"noodle")
with open(p, "r+b") as f:
    f.write(d)' "$f"
	touch -d "$mtime" "$f"
	[ "$(stat -c %y "$f")" = "$mtime" ]
	[ "$(stat -c %s "$f")" = "$size" ]
	[ "$(LC_ALL=C grep -c needle "$f")" = 0 ]
	[ "$before" -gt 0 ]
	grep_is "$f" needle
	[ "$(cat "$MNT/jobs/$ID/result")" = 0 ]
	grep_is "$f" noodle
}

@test "a file renamed over the cached one is read" {
	local f="$FILES/ren"
	mklog "$f" 6000 8
	settle
	cache_then "$f"
	mklog "$f.new" 6000 9
	mv "$f.new" "$f"
	grep_is "$f" needle
	count_is "$f"
}

@test "a file deleted and made again (same size) is read" {
	local f="$FILES/del" size
	mklog "$f" 6000 10
	settle
	cache_then "$f"
	size=$(stat -c %s "$f")
	rm "$f"
	head -c "$size" /dev/urandom | tr -c 'a-z\n' 'needl\n' > "$f"
	[ "$(stat -c %s "$f")" = "$size" ]
	grep_is "$f" needle
	count_is "$f"
}

# mount2 LOGNAME OPTS: a second mount for one test; MNT names it until unmount2
mount2() {
	MNT2="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	LOG2="$BATS_FILE_TMPDIR/$1.log"
	VYRE_VALIDATION=1 "$VYREFS" "$MNT2" -o "log=$LOG2,$2"
	SAVED_MNT=$MNT
	MNT=$MNT2
}

unmount2() {
	MNT=$SAVED_MNT
	umount "$MNT2"
	rmdir "$MNT2"
	MNT2=
	if grep -qE "validation error|ERROR: AddressSanitizer|runtime error:" "$LOG2"; then
		cat "$LOG2" >&2
		return 1
	fi
}

@test "a file changed while a job reads it: later scans give its new bytes" {
	local f="$FILES/mid" id
	mklog "$f" 30000 18
	settle
	id=$(submit "scan path=$f op=grep pattern=needle")
	# same size, every needle a noodle, while the job runs (its chunks
	# read after this are the new bytes: none may be kept as the old file's)
	/usr/bin/python3 -c '
import sys
p = sys.argv[1]
d = open(p, "rb").read().replace(b"needle", b"noodle")
with open(p, "r+b") as f:
    f.write(d)' "$f"
	wait_job "$id"
	grep_is "$f" needle
	[ "$(cat "$MNT/jobs/$ID/result")" = 0 ]
	settle
	grep_is "$f" needle
	grep_is "$f" noodle
	cached_all "$f"
}

@test "a job spread over two units reads each unit's cache" {
	local f="$FILES/spread" pass
	mklog "$f" 60000 17 # ~3 MB: 48 chunks of 64K, spans of 16 on 2 units
	settle
	mount2 units "device=0:0,chunk=64K,cache=8M"
	for pass in 1 2 3; do
		count_is "$f"
		grep_is "$f" needle
		echo "pass $pass: cached_bytes $(jst "$ID" cached_bytes) of $(stat -c %s "$f")" >&2
	done
	[ "$(jst "$ID" cached_bytes)" -gt 0 ]
	[ "$(gst unit0_chunks_done)" -gt 0 ]
	[ "$(gst unit1_chunks_done)" -gt 0 ]
	unmount2
}

@test "a tiny cache evicts by chunk and stays exact" {
	local f="$FILES/big" g="$FILES/big2" ev
	mklog "$f" 30000 11
	mklog "$g" 3000 12
	settle
	mount2 tiny "chunk=64K,cache=1M"
	for pass in 1 2 3; do
		count_is "$f"
		grep_is "$g" needle
		grep_is "$f" needle
	done
	ev=$(gst cache_evictions)
	echo "evictions: $ev, cache_bytes $(gst cache_bytes) of $(gst cache_capacity)" >&2
	[ "$ev" -gt 0 ]
	# a file larger than the cache keeps the chunks that fit (cache.c,
	# cache_take): its later passes read those from the cache
	count_is "$f"
	[ "$(jst "$ID" cached_bytes)" -gt 0 ]
	[ "$(jst "$ID" cached_bytes)" -lt "$(stat -c %s "$f")" ]
	[ "$(gst cache_bytes)" -le "$(gst cache_capacity)" ]
	unmount2
}

@test "the cache is below the permission checks: nobody gets EACCES, never root's cached bytes" {
	local f="$FILES/secret" p="$FILES/public" a
	mklog "$f" 3000 13
	chmod 600 "$f"
	mklog "$p" 3000 14
	chmod 644 "$p"
	settle
	cache_then "$f"
	[ "$(gst cache_bytes)" -gt 0 ]
	run submit_as "${NOBODY[@]}" -- "scan path=$f op=grep pattern=needle"
	echo "$output"
	[[ "$output" != *"rc=0 "[0-9]* ]]
	[[ "$output" == *"ermission denied"* ]]
	# what nobody reads tells nothing of what root cached
	[ "$("${NOBODY[@]}" sed -n 's/^cache_bytes=//p' "$MNT/status")" = 0 ]
	[ "$("${NOBODY[@]}" sed -n 's/^cache_hits=//p' "$MNT/status")" = 0 ]
	[ "$("${NOBODY[@]}" sed -n 's/^vyrefs_cache_bytes //p' "$MNT/metrics")" = 0 ]
	# nobody's own file: cached for nobody too
	for pass in 1 2; do
		run submit_as "${NOBODY[@]}" -- "scan path=$p op=grep pattern=needle"
		[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
		a=${BASH_REMATCH[1]}
		"${NOBODY[@]}" cat "$MNT/jobs/$a/wait" >/dev/null
		[ "$("${NOBODY[@]}" cat "$MNT/jobs/$a/result")" = "$(LC_ALL=C grep -c needle "$p")" ]
	done
	[ "$("${NOBODY[@]}" sed -n 's/^cached_bytes=//p' "$MNT/jobs/$a/status")" = "$(stat -c %s "$p")" ]
	[ "$("${NOBODY[@]}" sed -n 's/^cache_hits=//p' "$MNT/status")" -gt 0 ]
}

@test "drop-cache: root's; nobody gets EPERM; afterwards the file is read again, exactly" {
	local f="$FILES/drop"
	mklog "$f" 3000 15
	settle
	cache_then "$f"
	run submit_as "${NOBODY[@]}" -- "drop-cache"
	echo "$output"
	[[ "$output" == *"rc=1 error: drop-cache is root"* ]]
	[ "$(gst cache_bytes)" -gt 0 ]
	run bash -c 'exec 7<>"$1/ctl"; echo drop-cache >&7 || exit 1; read -r a <&7; echo "$a"' _ "$MNT"
	[ "$status" -eq 0 ]
	[ "$output" = dropped ]
	[ "$(gst cache_bytes)" = 0 ]
	grep_is "$f" needle
	[ "$(jst "$ID" cached_bytes)" = 0 ]
	grep_is "$f" needle
	cached_all "$f"
}
