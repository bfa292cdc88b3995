#!/bin/bash
# tools/bench-pset.sh BUILD FILE PATTERNS [CHUNK]: what per_pattern=1 costs
# (issue 26) on a literal set (fixed=1, Aho-Corasick), through a mount of
# BUILD's vyrefs, page cache warm, one markdown row per job: op=grep without
# and with per_pattern=1, each with and without lines=1, the fastest of REPS
# runs (default 3: the 2-core machine is shared) by elapsed_us and by the
# daemon's CPU time (lavapipe runs the shader on the daemon's threads),
# reruns= (chunk passes run again: the slot's records overflowed), then
# LC_ALL=C grep -c -F -f's time. jobs/N/patterns's sum of counts is
# printed; CHECK=1 also checks each count against grep -c -F -e, pattern by
# pattern (slow for large sets); VYRE_BENCH_OPTS adds mount options (chunk=4K:
# 1,024 records a slot, so dense sets rerun). E=1: the patterns are EREs
# (no fixed=1, grep -E: per_pattern=1 runs them on the DFA with accept
# sets, engine=dfa, printed). BENCHMARKS.md "per_pattern=1".
#   tools/bench-pset.sh build /tmp/data /tmp/pats 4M
set -uo pipefail
B=$1 F=$2 PATS=$3 C=${4:-4M} REPS=${REPS:-3}
FIX=" fixed=1" GM=-F
[ "${E:-0}" = 1 ] && FIX="" GM=-E
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
bench_mount pset "gpu_timeout=60000${VYRE_BENCH_OPTS:+,$VYRE_BENCH_OPTS}"
cat "$F" >/dev/null
job() { # EXTRA KEYS: one row, the fastest of REPS runs
	local id best cbest rr sum=
	bench_best "scan path=$F op=grep patterns=$PATS$FIX chunk=$C $1" 900
	# the mount reports size 0 for its files: read it
	[[ $1 == *per_pattern=1* ]] && sum=$(awk '{ s += $1 } END { print s }' "$MNT/jobs/$id/patterns")
	echo "($1: $(grep -E '^(engine|state)=' "$MNT/jobs/$id/status" | tr '\n' ' '))"
	printf '| `%s` | %s | %s | %.3f | %.2f | %s |\n' "chunk=$C $1" "$(cat "$MNT/jobs/$id/result")" \
		"${sum:--}" "$(calc "$best / 1000000")" "$(calc "$cbest / 1000")" "${rr:-?}"
	if [ "${CHECK:-0}" = 1 ] && [ -n "$sum" ]; then
		local i=0 p
		while IFS= read -r p; do
			echo "$(LC_ALL=C grep -c -a $GM -e "$p" "$F") $i"
			i=$((i + 1))
		done <"$PATS" | cmp -s - "$MNT/jobs/$id/patterns" && echo "(counts equal grep -c $GM -e)" ||
			echo "(counts DIFFER from grep -c $GM -e)"
	fi
}
echo "| job on $(basename "$F") ($(stat -c %s "$F") bytes), $(wc -l <"$PATS") patterns | result | sum of counts | s | daemon CPU s | reruns |"
echo "| --- | --- | --- | --- | --- | --- |"
job ""
job "per_pattern=1"
job "lines=1"
job "per_pattern=1 lines=1"
s=$(date +%s%N)
LC_ALL=C grep -c -a $GM -f "$PATS" "$F" >/dev/null
printf '| `LC_ALL=C grep -c -a %s -f` | | | %.3f | | |\n' "$GM" "$(calc "($(date +%s%N) - $s) / 1000000000")"
echo "(daemon log: $LOG)"
