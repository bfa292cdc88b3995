#!/bin/bash
# tools/attack-latency.sh [N]: root's 4 KiB job, write(ctl) to answer
# (wait=1), N times (default 100) with the mount idle, then N times while
# nobody attacks it (issue 21's aim: <= 100 ms p99 while A attacks), each
# result checked against wc -l. The attacks, one after the other:
#   flood  3 files= jobs of nobody, each listing a 1 MiB file 2,000 times (item 7)
#   lines  nobody's grep lines=1 over a 64 MiB file where every line matches (item 8)
# Prints p50/p99/max per case. Needs root; mounts its own vyrefs.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
VYREFS=${VYREFS:-$PWD/build/fs/vyrefs}
T=$(mktemp -d /tmp/vyre-attack.XXXXXX)
chmod 755 "$T"
MNT=$T/mnt
mkdir "$MNT"
trap 'umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT
seq 1 200 | head -c 4096 >"$T/small"
head -c 1M /dev/urandom | base64 -w 76 >"$T/mib"
yes 'every line matches e' | head -c 64M >"$T/all"
for _ in $(seq 2000); do echo "$T/mib"; done >"$T/list"
chmod 644 "$T"/small "$T"/mib "$T"/all "$T"/list
"$VYREFS" "$MNT" -o allow_other || exit 1
WANT=$(wc -l <"$T/small")
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# root_jobs LABEL: N timed jobs; prints the percentiles
root_jobs() {
	local i id t0 t1 ms=() res
	for i in $(seq "$N"); do
		t0=$(date +%s%N)
		exec 7<>"$MNT/ctl"
		echo "scan path=$T/small op=count wait=1" >&7
		read -r id <&7
		exec 7>&-
		res=$(cat "$MNT/jobs/$id/result")
		t1=$(date +%s%N)
		[ "$res" = "$WANT" ] || echo "WRONG: $res, want $WANT" >&2
		ms+=($(((t1 - t0) / 1000)))
		rmdir "$MNT/jobs/$id" 2>/dev/null
	done
	printf '%s\n' "${ms[@]}" | sort -n | awk -v l="$1" '{ v[NR] = $1 } END {
		printf "| %-34s | %8.1f | %8.1f | %8.1f |\n", l, v[int(NR * 0.5)] / 1000,
			v[int(NR * 0.99)] / 1000, v[NR] / 1000 }'
}
# nobody_submit DESC: submits as nobody, prints the id
nobody_submit() {
	"${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "$2" >&7; read -r id <&7; echo $id' _ "$MNT" "$1"
}

echo "| case | p50 ms | p99 ms | max ms |"
echo "| --- | --- | --- | --- |"
root_jobs "idle"
ids=()
for _ in 1 2 3; do ids+=("$(nobody_submit "scan files=$T/list op=count")"); done
root_jobs "nobody's 3 x 2,000-file files= jobs"
for id in "${ids[@]}"; do "${NOBODY[@]}" bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$id/ctl" 2>/dev/null; done
id=$(nobody_submit "scan path=$T/all op=grep pattern=e lines=1")
root_jobs "nobody's grep lines=1, all match"
"${NOBODY[@]}" bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$id/ctl" 2>/dev/null
echo "(N=$N, $(grep -m1 '^device=' "$MNT/status"))"
