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
#
# VYREFS names the daemon (default build/fs/vyrefs), VYRE_BENCH_DIR the data
# folder (default /var/tmp/vb), CACHE the cache= size (default: SIZE + 1/8),
# OPTS more -o options (e.g. kernel=persistent).
set -uo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-8G}
PASSES=${2:-3}
case $SIZE in
*G) BYTES=$((${SIZE%G} << 30)) ;;
*M) BYTES=$((${SIZE%M} << 20)) ;;
*) echo "SIZE: e.g. 8G or 256M" >&2; exit 2 ;;
esac
VYREFS=${VYREFS:-build/fs/vyrefs}
DIR=${VYRE_BENCH_DIR:-/var/tmp/vb}
CACHE=${CACHE:-$(((BYTES + BYTES / 8) >> 20))M}
mkdir -p "$DIR"
F=$DIR/cache-$SIZE.b64
if [ "$(stat -c %s "$F" 2>/dev/null)" != "$BYTES" ]; then
	echo "making $F ($SIZE of base64 lines)"
	head -c $((BYTES / 4 * 3)) /dev/urandom | base64 -w 76 > "$F.tmp" &&
		truncate -s "$BYTES" "$F.tmp" && mv "$F.tmp" "$F" || exit 1
	sleep 1 # the cache takes files whose ctime is settled
fi
cat "$F" > /dev/null # page cache warm: the first pass measures PCIe, not the disk
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
		exec 7<>"$MNT/ctl"
		echo "$desc" >&7
		read -r id <&7
		exec 7>&-
		cat "$MNT/jobs/$id/wait" > /dev/null
		got=$(cat "$MNT/jobs/$id/result")
		us=$(sed -n 's/^elapsed_us=//p' "$MNT/jobs/$id/status")
		cached=$(sed -n 's/^cached_bytes=//p' "$MNT/jobs/$id/status")
		printf '%-22s pass %d: %9d us %8.1f GB/s cached_bytes=%d result=%s%s\n' "$name" "$p" \
			"$us" "$(awk -v b="$BYTES" -v t="$us" 'BEGIN { print b / t / 1000 }')" "$cached" "$got" \
			"$([ "$got" = "$want" ] || echo "  WRONG (want $want)")"
		[ "$got" = "$want" ] || bad=1
	done
}

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
