#!/bin/bash
# tools/bench-cache.sh - the file cache's second pass (issue 25, BENCHMARKS.md
# "The file cache"): one SIZE file of base64 lines, page cache warm, scanned
# PASSES times by each op through a mount with cache= on. The first pass of
# each op reads the file over PCIe and fills the cache; the later ones read
# device memory. Prints, per pass, the job's elapsed_us, GB/s and
# cached_bytes (from jobs/N/status), and rg's time for the same count where
# rg is on PATH. Every result is checked against the first pass's and
# against GNU grep / wc once: a wrong answer exits 1.
#
#   tools/bench-cache.sh [SIZE] [PASSES]     (default 8G 3; SIZE in G or M)
#   tools/bench-cache.sh tree N SIZE [PASSES] (a tree of N files of SIZE, in
#                                              K or M: its small files packed)
#
# The tree form prints the same per pass, GB/s over the tree's bytes, and
# checks each file's count against grep -r -c -a / a per-file wc.
#
# VYREFS names the daemon (default build/fs/vyrefs), VYRE_BENCH_DIR the data
# folder (default /var/tmp/vb), CACHE the cache= size (default: SIZE + 1/8),
# OPTS more -o options (e.g. kernel=persistent).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
cd "$(dirname "$0")/.."
TREE=
if [ "${1:-}" = tree ]; then
	TREE=${2:?tree N SIZE [PASSES]}
	SIZE=${3:?tree N SIZE [PASSES]}
	PASSES=${4:-3}
else
	SIZE=${1:-8G}
	PASSES=${2:-3}
fi
case $SIZE in
*G) BYTES=$((${SIZE%G} << 30)) ;;
*M) BYTES=$((${SIZE%M} << 20)) ;;
*K) BYTES=$((${SIZE%K} << 10)) ;;
*) echo "SIZE: e.g. 8G, 256M or 4K" >&2; exit 2 ;;
esac
[ -n "$TREE" ] && FILE_BYTES=$BYTES && BYTES=$((BYTES * TREE))
VYREFS=${VYREFS:-build/fs/vyrefs}
DIR=${VYRE_BENCH_DIR:-/var/tmp/vb}
CACHE=${CACHE:-$(((BYTES + BYTES / 8) >> 20))M}
mkdir -p "$DIR"
F=$DIR/cache-$SIZE.b64
[ -n "$TREE" ] && F=$DIR/cache-tree-$TREE-$SIZE
if [ -n "$TREE" ] && [ ! -f "$F.done" ]; then
	echo "making $F ($TREE files of $SIZE of base64 lines, 1,000 a folder)"
	rm -rf "$F"
	/usr/bin/python3 - "$F" "$TREE" "$FILE_BYTES" <<'PY' || exit 1
import base64, os, sys
top, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
src = base64.encodebytes(os.urandom(size * 3 // 4 * 64 + 64)) # 76-byte lines
for i in range(n):
    d = os.path.join(top, "d%d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(src[(i % 64) * size:(i % 64) * size + size]) # a different slice each
PY
	sleep 1 # the cache takes files whose ctime is settled
	touch "$F.done"
elif [ -z "$TREE" ] && [ "$(stat -c %s "$F" 2>/dev/null)" != "$BYTES" ]; then
	echo "making $F ($SIZE of base64 lines)"
	head -c $((BYTES / 4 * 3)) /dev/urandom | base64 -w 76 > "$F.tmp" &&
		truncate -s "$BYTES" "$F.tmp" && mv "$F.tmp" "$F" || exit 1
	sleep 1 # the cache takes files whose ctime is settled
fi
# page cache warm: the first pass measures PCIe, not the disk
if [ -n "$TREE" ]; then find "$F" -type f -exec cat {} + > /dev/null; else cat "$F" > /dev/null; fi
MNT=$(mktemp -d /tmp/vyre-bench-cache.XXXXXX)
LOG=$DIR/bench-cache-vyrefs.log
"$VYREFS" "$MNT" -o "log=$LOG,cache=$CACHE${OPTS:+,$OPTS}" || exit 1
trap 'umount "$MNT"; rmdir "$MNT"' EXIT
grep -E '^(device|kernel_mode|ingest|chunk|cache_capacity)=' "$MNT/status" | tr '\n' ' '
echo

bad=0
# run NAME DESCRIPTOR REFERENCE: PASSES jobs, each checked
run() {
	local name=$1 desc=$2 want=$3 id us got cached
	for p in $(seq "$PASSES"); do
		id=$(bench_submit "$desc")
		cat "$MNT/jobs/$id/wait" > /dev/null
		got=$(cat "$MNT/jobs/$id/result")
		us=$(sed -n 's/^elapsed_us=//p' "$MNT/jobs/$id/status")
		cached=$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$id/status")
		printf '%-22s pass %d: %9d us %8.1f GB/s cached_bytes=%d result=%s%s\n' "$name" "$p" \
			"$us" "$(awk -v b="$BYTES" -v t="$us" 'BEGIN { print b / t / 1000 }')" "$cached" "$got" \
			"$([ "$got" = "$want" ] || echo "  WRONG (want $want)")"
		[ "$got" = "$want" ] || bad=1
		# a tree: each file's count is the reference's too (FILES: "PATH:N" sorted)
		if [ -n "$TREE" ] && ! diff -q <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' \
			"$MNT/jobs/$id/files" | LC_ALL=C sort) "$FILES" > /dev/null; then
			echo "  WRONG per-file counts" && bad=1
		fi
	done
}

if [ -n "$TREE" ]; then
	# F is a tree: the per-file references, and the totals
	FILES=$DIR/bench-cache-files.ref
	tree_ref() { # PATTERN: grep -r -c -a's lines; "" counts newlines
		if [ -z "$1" ]; then
			find "$F" -type f -exec wc -l {} + | grep -v ' total$' |
				awk '{print $2 ":" $1}' | LC_ALL=C sort
		else
			LC_ALL=C grep -r -c -a $2 -e "$1" "$F" | LC_ALL=C sort
		fi
	}
	tree_run() { # NAME DESCRIPTOR PATTERN [GREP FLAGS]
		tree_ref "$3" "${4:-}" > "$FILES"
		run "$1" "$2" "$(awk -F: '{s += $NF} END {print s}' "$FILES")"
	}
	tree_run count "scan path=$F op=count byte=0x0a" ""
	tree_run "grep vyre" "scan path=$F op=grep pattern=vyre" vyre
	tree_run "grep [A-Za-z]{30}" "scan path=$F op=grep pattern=[A-Za-z]{30}" '[A-Za-z]{30}' -E
	if command -v rg > /dev/null; then
		t0=$(date +%s%N)
		rg -c -j16 -e '[A-Za-z]{30}' "$F" > /dev/null
		t1=$(date +%s%N)
		printf 'rg -c -j16 %-16s %9d us %8.1f GB/s\n' '[A-Za-z]{30}' $(((t1 - t0) / 1000)) \
			"$(awk -v b="$BYTES" -v t=$((t1 - t0)) 'BEGIN { print b / t }')"
	fi
	grep -E '^cache_' "$MNT/status" | tr '\n' ' '
	echo
	exit $bad
fi

t0=$(date +%s%N)
nl=$(wc -l < "$F")
t1=$(date +%s%N)
echo "wc -l: $(((t1 - t0) / 1000000)) ms"
run count "scan path=$F op=count byte=0x0a" "$nl"
want=$(LC_ALL=C grep -c -a vyre "$F")
run "grep vyre" "scan path=$F op=grep pattern=vyre" "$want"
want=$(LC_ALL=C grep -c -a -E '[A-Za-z]{30}' "$F")
run "grep [A-Za-z]{30}" "scan path=$F op=grep pattern=[A-Za-z]{30}" "$want"
# 1,000 literals of 8 bytes taken from the file (each matches somewhere)
P=$DIR/cache-$SIZE.pat
[ -s "$P" ] || head -c 16M "$F" | tr -d '\n' | fold -w 8 | awk 'NR % 1500 == 7 && n++ < 1000' > "$P"
want=$(LC_ALL=C grep -c -a -F -f "$P" "$F")
run "grep 1,000 literals" "scan path=$F op=grep patterns=$P fixed=1" "$want"
if command -v rg > /dev/null; then
	for pat in vyre '[A-Za-z]{30}'; do
		t0=$(date +%s%N)
		rg -c -j16 -e "$pat" "$F" > /dev/null
		t1=$(date +%s%N)
		printf 'rg -c %-16s %9d us %8.1f GB/s\n' "$pat" $(((t1 - t0) / 1000)) \
			"$(awk -v b="$BYTES" -v t=$((t1 - t0)) 'BEGIN { print b / t }')"
	done
fi
grep -E '^cache_' "$MNT/status" | tr '\n' ' '
echo
exit $bad
