#!/usr/bin/env bats
# The file cache over trees (issue 25; pump/pfiles.c, pack.c, cache.c
# "packed"): a tree's small files, scanned packed many to a slot, stay in
# the cache each under its own identity, so a second count or grep over the
# tree reads nothing from disk (cached_bytes is every byte) and gives what
# wc and grep -r -c -a give; a file modified, appended to, truncated,
# renamed over or deleted between passes is read anew; a file a user cannot
# open never reaches that user, cached or not.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	# 64 KiB chunks: 300 files of up to 6 KiB pack into several slots
	mount_vyrefs "allow_other,chunk=64K,cache=16M"
	T="$(mktemp -d /tmp/vyre-cachetree.XXXXXX)"
	export T
	chmod 755 "$T"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${T:?}"
}

# mktree DIR N SEED: N files in a few directories, 0 to ~6 KiB of lines,
# "needle" on some
mktree() {
	/usr/bin/python3 - "$@" <<'PY'
import os, random, sys
top, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
for i in range(n):
    d = os.path.join(top, "d%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%03d" % i), "w") as f:
        for _ in range(r.randint(0, 120)):
            f.write(" ".join(r.choice(["alpha", "needle", "omega", "x"])
                             for _ in range(r.randint(0, 9))) + "\n")
PY
	chmod -R go+rX "$1"
}

# newer than the cache's 100 ms settle (cache.c): a file changed just now is
# not cached at all, so these tests wait to see the identity checks work
settle() {
	sleep 0.2
}

run_job() {
	JID=$(submit "$1")
	[[ "$JID" =~ ^[0-9]+$ ]] || { echo "submit: $JID" >&2; return 1; }
	wait_job "$JID"
	[ "$(jst state)" = done ]
}

jst() { sed -n "s/^$1=//p" "$MNT/jobs/$JID/status"; }

tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# py_counts DIR: "NEWLINES PATH" for every regular file under DIR
py_counts() {
	/usr/bin/python3 -c '
import os, sys
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p):
            print(open(p, "rb").read().count(b"\n"), p)' "$1"
}

# count_ok DIR: per-file newline counts equal wc's, the total their sum
count_ok() {
	run_job "scan path=$1 op=count byte=0x0a"
	diff <(LC_ALL=C sort -k2 "$MNT/jobs/$JID/files") <(py_counts "$1" | LC_ALL=C sort -k2)
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(py_counts "$1" | awk '{s += $1} END {print s}')" ]
}

# grep_ok DIR PATTERN: per-file counts equal LC_ALL=C grep -r -c -a's
grep_ok() {
	run_job "scan path=$1 op=grep pattern=$2"
	diff <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$JID/files" | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a -e "$2" "$1" | LC_ALL=C sort)
}

@test "a tree's second count and grep read every file from the cache, counts equal wc and grep -r -c" {
	local d="$T/a" bytes
	mktree "$d" 300 1
	settle
	bytes=$(tree_bytes "$d")
	count_ok "$d"
	[ "$(jst cached_bytes)" = 0 ]
	count_ok "$d"
	echo "second count: cached_bytes $(jst cached_bytes) of $bytes" >&2
	[ "$(jst cached_bytes)" = "$bytes" ]
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" -ge "$bytes" ]
	grep_ok "$d" needle
	[ "$(jst cached_bytes)" = "$bytes" ]
	grep_ok "$d" 'ne.*ga$'
	[ "$(jst cached_bytes)" = "$bytes" ]
	[ "$(sed -n 's/^vyrefs_cache_bytes //p' "$MNT/metrics")" -ge "$bytes" ]
}

# pp_ok DIR PATS: per_pattern=1's files ("RESULT INDEX:COUNT,... PATH") and
# patterns equal grep -r -c -a -E -e run pattern by pattern, joined by awk
pp_ok() {
	local p i=0 o=$BATS_TEST_TMPDIR
	run_job "scan path=$1 op=grep patterns=$2 per_pattern=1"
	while IFS= read -r p; do
		LC_ALL=C grep -r -c -a -E -e "$p" "$1" >"$o/p$i" || [ $? = 1 ]
		i=$((i + 1))
	done <"$2"
	LC_ALL=C grep -r -c -a -E -f "$2" "$1" >"$o/all" || [ $? = 1 ]
	awk -v n="$i" -v o="$o" 'BEGIN {
		for (k = 0; k < n; k++)
			while ((getline l <(o "/p" k)) > 0) {
				c = l; sub(/.*:/, "", c); f = l; sub(/:[0-9]+$/, "", f)
				cnt[f, k] = c; sum[k] += c
			}
		while ((getline l <(o "/all")) > 0) {
			c = l; sub(/.*:/, "", c); f = l; sub(/:[0-9]+$/, "", f)
			pc = ""
			for (k = 0; k < n; k++)
				if (cnt[f, k] != 0) pc = pc (pc == "" ? "" : ",") k ":" cnt[f, k]
			print c, (pc == "" ? "-" : pc), f > (o "/files")
		}
		for (k = 0; k < n; k++) print sum[k] + 0, k > (o "/patterns")
	}'
	diff <(LC_ALL=C sort -k3 "$MNT/jobs/$JID/files") <(LC_ALL=C sort -k3 "$o/files")
	diff "$MNT/jobs/$JID/patterns" "$o/patterns"
}

@test "per_pattern=1 packed, files from the cache beside files read from disk in one slot: each file's counts equal grep's" {
	local d="$T/pp"
	mktree "$d" 200 5
	printf 'needle\nalpha\nne.*ga$\nomega x\nzzz-none\nneedle\n' >"$T/pp.pats"
	settle
	pp_ok "$d" "$T/pp.pats"
	[ "$(jst cached_bytes)" = 0 ]
	# a third of the files get a new identity: read from disk, the rest from the cache
	find "$d" -name 'f*[0-2]' -exec touch {} +
	settle
	pp_ok "$d" "$T/pp.pats"
	echo "cached_bytes $(jst cached_bytes) of $(tree_bytes "$d"), reruns $(jst reruns)" >&2
	[ "$(jst cached_bytes)" -gt 0 ]
	[ "$(jst cached_bytes)" -lt "$(tree_bytes "$d")" ]
	[ "$(jst chunks)" -lt 50 ] # packed: 200 files in a few 64K chunks
}

# change DIR I: files I to I+4 (file i is d$((i % 7))/f$i) changed one
# way each; the first keeps its size and has its mtime put back (touch
# -d), so only ctime tells; and a file is made
change() {
	local d=$1 i=$2 m f
	f() { printf '%s/d%d/f%03d' "$d" $(($1 % 7)) "$1"; }
	m=$(stat -c %y "$(f "$i")")
	/usr/bin/python3 -c '
import sys
p = sys.argv[1]
b = open(p, "rb").read()
open(p, "r+b").write(b.replace(b"needle", b"noodle").replace(b"alpha", b"ALPHA"))' "$(f "$i")"
	touch -d "$m" "$(f "$i")"
	[ "$(stat -c %y "$(f "$i")")" = "$m" ]
	printf 'needle appended\nneedle\n' >> "$(f $((i + 1)))"
	truncate -s 17 "$(f $((i + 2)))"
	printf 'needle renamed over\n' > "$d/new"
	mv "$d/new" "$(f $((i + 3)))"
	rm "$(f $((i + 4)))"
	printf 'needle made\n' > "$d/d6/made$i"
}

@test "files modified, appended to, truncated, renamed over, deleted between passes: answers equal wc and grep" {
	local d="$T/b" bytes
	mktree "$d" 120 2
	settle
	count_ok "$d"
	grep_ok "$d" needle
	[ "$(jst cached_bytes)" = "$(tree_bytes "$d")" ]
	change "$d" 1
	# at once (changed within the settle: read, not cached) ...
	grep_ok "$d" needle
	count_ok "$d"
	settle
	# ... and once settled: the identity (ctime, size, inode) tells
	grep_ok "$d" needle
	count_ok "$d"
	change "$d" 8
	settle
	grep_ok "$d" needle
	grep_ok "$d" ALPHA
	count_ok "$d"
	# the new identities are cached in their turn
	count_ok "$d"
	[ "$(jst cached_bytes)" = "$(tree_bytes "$d")" ]
}

@test "two users: a file nobody cannot open is never nobody's, cached by root or not" {
	local d="$T/c" id bytes pub
	mktree "$d" 60 3
	printf 'needle secret\nneedle\n' > "$d/d0/secret"
	chmod 600 "$d/d0/secret"
	settle
	# root caches the whole tree, the secret too
	count_ok "$d"
	count_ok "$d"
	bytes=$(tree_bytes "$d")
	[ "$(jst cached_bytes)" = "$bytes" ]
	for pass in 1 2; do
		id=$("${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=grep pattern=needle" >&7
			read -r id <&7; echo $id' _ "$MNT" "$d")
		[[ "$id" =~ ^[0-9]+$ ]]
		"${NOBODY[@]}" cat "$MNT/jobs/$id/wait" >/dev/null
		[ "$("${NOBODY[@]}" cat "$MNT/jobs/$id/failed")" = "$d/d0/secret EACCES" ]
		[[ "$("${NOBODY[@]}" cat "$MNT/jobs/$id/files")" != *secret* ]]
		# every other file's count is grep's (what nobody can read: all but the secret)
		diff <("${NOBODY[@]}" sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$id/files" |
			LC_ALL=C sort) \
			<(LC_ALL=C grep -r -c -a needle "$d" | grep -v '/secret:' | LC_ALL=C sort)
		pub=$((bytes - $(stat -c %s "$d/d0/secret")))
		# its bytes from the cache are at most the files it opened
		[ "$("${NOBODY[@]}" sed -n 's/^cached_bytes=//p' "$MNT/jobs/$id/status")" -le "$pub" ]
		[ "$("${NOBODY[@]}" sed -n 's/^cached_bytes=//p' "$MNT/jobs/$id/status")" -gt 0 ]
	done
	# what nobody reads of the status tells nothing of what root cached
	[ "$("${NOBODY[@]}" sed -n 's/^cache_bytes=//p' "$MNT/status")" = 0 ]
}

@test "a tiny cache over a tree larger than it: evictions, every answer exact" {
	local d="$T/e" mnt=$MNT
	mktree "$d" 300 4
	settle
	MNT="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	VYRE_VALIDATION=1 "$VYREFS" "$MNT" -o "log=$BATS_TEST_TMPDIR/tiny.log,chunk=64K,cache=1M"
	for pass in 1 2; do
		count_ok "$d"
		grep_ok "$d" needle
		count_ok "$T/a"
	done
	echo "evictions $(sed -n 's/^cache_evictions=//p' "$MNT/status")" >&2
	[ "$(sed -n 's/^cache_evictions=//p' "$MNT/status")" -gt 0 ]
	[ "$(sed -n 's/^cache_bytes=//p' "$MNT/status")" -le "$(sed -n 's/^cache_capacity=//p' "$MNT/status")" ]
	umount "$MNT"
	rmdir "$MNT"
	MNT=$mnt
	run ! grep -E "validation error|ERROR: AddressSanitizer|runtime error:" "$BATS_TEST_TMPDIR/tiny.log"
}
