#!/bin/bash
# tools/bench-lines.sh BUILD FILE PATTERN [CHUNKS]: what lines=1 costs (issue 23
# items 5 and 6), through a mount of BUILD's vyrefs at its defaults, page
# cache warm, one markdown row per run: op=count, op=grep and op=grep lines=1
# at each chunk (default "4M 64K"), each job's elapsed_us (the fastest of
# REPS runs, default 3: the 2-core machine is shared) and reruns= (chunk
# passes run again: 0 unless a slot's records or open lines overflowed),
# then vyrectl grep -a -E -n against -c, and -n's output checked against
# LC_ALL=C grep -a -E -n (PATTERN is an ERE, as op=grep's pattern=).
# BENCHMARKS.md "Line records" has its numbers.
#   tools/bench-lines.sh build /tmp/text11m e
set -uo pipefail
B=$1 F=$2 P=$3 CHUNKS=${4:-4M 64K} REPS=${REPS:-3}
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bench_mount lines
cat "$F" >/dev/null
job() { # DESCRIPTOR: one row, the fastest of REPS runs
	local id best cbest rr
	bench_best "$1" 600
	printf '| `%s` | %s | %.3f | %.2f | %s |\n' "${1#scan path=$F }" \
		"$(cat "$MNT/jobs/$id/result")" "$(calc "$best / 1000000")" \
		"$(calc "$cbest / 1000")" "${rr:-?}"
}
echo "| job on $(basename "$F") ($(stat -c %s "$F") bytes) | result | s | daemon CPU s | reruns |"
echo "| --- | --- | --- | --- | --- |"
for c in $CHUNKS; do
	job "scan path=$F op=count chunk=$c"
	job "scan path=$F op=grep pattern=$P chunk=$c"
	job "scan path=$F op=grep pattern=$P lines=1 chunk=$c"
done
OUT=$(mktemp /tmp/vyre-bench-lines.out.XXXXXX)
for o in -c -n; do
	best=
	for _ in $(seq "$REPS"); do
		s=$(date +%s%N)
		VYRE_MOUNT=$MNT timeout 600 "$B/tools/vyrectl" grep -a -E $o "$P" "$F" >"$OUT"
		e=$((($(date +%s%N) - s) / 1000))
		[ -z "$best" ] || [ "$e" -lt "$best" ] && best=$e
	done
	printf '| `vyrectl grep -a -E %s %s` | | %.3f | | |\n' "$o" "$P" "$(calc "$best / 1000000")"
done
if cmp -s <(LC_ALL=C grep -a -E -n "$P" "$F") "$OUT"; then
	echo "(-n output equals LC_ALL=C grep -a -E -n)"
else
	echo "(-n output DIFFERS from LC_ALL=C grep -a -E -n)"
fi
rm -f "$OUT"
echo "(daemon log: $LOG)"
