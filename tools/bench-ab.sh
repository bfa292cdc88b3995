#!/bin/bash
# tools/bench-ab.sh A_VYREFS B_VYREFS [ROUNDS]: two builds of the daemon side
# by side in one run (issue 22: a restructure must stay within noise), the
# rounds alternating A, B, A, B so drift hits both. Each round mounts the
# build, runs count and grep on one big file, count and grep over a tree of
# 20,000 x 4 KiB files, and a 4 KiB job's write-to-answer time, then
# unmounts. Every result is checked against wc -l / LC_ALL=C grep -c -a; a
# mismatch prints WRONG. Prints one line per case: A's and B's best, B/A.
#   VYRE_BENCH_DIR (default /var/tmp/vyre-ab), BIG (default 2G)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
A=$1 B=$2 ROUNDS=${3:-3}
D=${VYRE_BENCH_DIR:-/var/tmp/vyre-ab}
BIG=${BIG:-2G} N=${N:-20000}
mkdir -p "$D/tree"
F=$D/big
if [ ! -s "$F" ]; then
	# text lines with a rare literal: base64 of urandom, 'vyre' every ~1 MiB
	head -c "$(numfmt --from=iec "$BIG")" /dev/urandom | base64 -w 76 |
		awk 'NR % 14000 == 0 { print "vyre " $0; next } { print }' >"$F"
fi
if [ ! -e "$D/tree/$((N - 1))" ]; then
	# one process, not 40,000 (the device's start budget is short)
	python3 - "$D/tree" "$N" <<'PY'
import base64, os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    b = base64.encodebytes(os.urandom(3000)).replace(b"\n", b"")
    body = b"".join(b[k:k + 76] + b"\n" for k in range(0, len(b), 76))
    if i % 97 == 0:
        body += b"vyre %d\n" % i
    open(f"{d}/{i}", "wb").write(body)
PY
fi
cat "$F" >/dev/null
find "$D/tree" -type f -exec cat {} + >/dev/null
SZ=$(stat -c %s "$F")
W_COUNT=$(wc -l <"$F")
W_GREP=$(LC_ALL=C grep -c -a vyre "$F")
W_TCOUNT=$(cat "$D"/tree/* | wc -l)
W_TGREP=$(LC_ALL=C grep -r -c -a vyre "$D/tree" | awk -F: '{ s += $NF } END { print s }')
MNT=$(mktemp -d /tmp/vyre-ab.XXXXXX)
declare -A best
now() { date +%s%N; }
# job DESC: submits, waits; prints "ns result"
job() {
	local id t0 t1
	t0=$(now)
	id=$(bench_submit "$1")
	cat "$MNT/jobs/$id/wait" >/dev/null
	t1=$(now)
	echo "$((t1 - t0)) $(cat "$MNT/jobs/$id/result" | awk '{ s += ($1 ~ /^[0-9]+$/) ? $1 : 0 } END { print s }')"
}
# case NAME BUILD WANT DESC: one timed job, best kept
case_() {
	local name=$1 b=$2 want=$3 r ns res
	r=$(job "$4")
	ns=${r% *} res=${r#* }
	[ "$res" = "$want" ] || echo "WRONG $b $name: $res, want $want" >&2
	local k="$name|$b"
	if [ -z "${best[$k]:-}" ] || [ "$ns" -lt "${best[$k]}" ]; then best[$k]=$ns; fi
}
for r in $(seq 1 "$ROUNDS"); do
	for b in A B; do
		bin=$A
		[ "$b" = B ] && bin=$B
		"$bin" "$MNT" -o log="$D/vyrefs-$b.log" || { echo "mount of $b failed"; exit 1; }
		case_ "count $BIG" "$b" "$W_COUNT" "scan path=$F op=count"
		case_ "grep vyre $BIG" "$b" "$W_GREP" "scan path=$F op=grep pattern=vyre"
		case_ "tree count ${N} x 4K" "$b" "$W_TCOUNT" "scan path=$D/tree op=count"
		case_ "tree grep ${N} x 4K" "$b" "$W_TGREP" "scan path=$D/tree op=grep pattern=vyre"
		for i in 1 2 3 4 5; do case_ "4 KiB job" "$b" "$(wc -l <"$D/tree/7")" "scan path=$D/tree/7 op=count wait=1"; done
		umount "$MNT"
		sleep 0.5
	done
done
rmdir "$MNT"
printf '| %-22s | %12s | %12s | %6s |\n' case "A best ms" "B best ms" "B/A"
for name in "count $BIG" "grep vyre $BIG" "tree count ${N} x 4K" "tree grep ${N} x 4K" "4 KiB job"; do
	a=${best["$name|A"]} b=${best["$name|B"]}
	printf '| %-22s | %12.3f | %12.3f | %6.3f |\n' "$name" "$(calc "$a / 1000000")" \
		"$(calc "$b / 1000000")" "$(calc "$b / $a")"
done
echo "(big file $SZ bytes: count A $(calc "$SZ / ${best["count $BIG|A"]}" | cut -c1-6) GB/s)"
