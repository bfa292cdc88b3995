#!/bin/bash
# tools/bench-grep-probe.sh [SIZE] - where op=grep's time goes on one big file
# (issue 23 item 6: grep at count's rate). One SIZE file of base64 lines
# (page cache warm) through one mount per kernel mode (MODES, default
# "relaunch persistent"; mount chunk MCHUNK, default 16M): op=count, then
# op=grep for a rare literal, a dense literal and [A-Za-z]{30}, at each
# per-job chunk= of CHUNKS (default "1M 4M 16M"), without and with lines=1.
# Prints per job GB/s (elapsed_us) and the CPU seconds the daemon's
# threads spent, by thread name, so a host-side bound (the pump thread
# busy the whole job) shows apart from a GPU-side one (threads idle).
# Every count is checked against wc -l / LC_ALL=C grep -c -a: WRONG on a
# difference. VYREFS names the daemon (default build/fs/vyrefs),
# VYRE_BENCH_DIR the data folder (default /var/tmp/vb).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
cd "$(dirname "$0")/.."
SIZE=${1:-4G}
VYREFS=${VYREFS:-build/fs/vyrefs}
DIR=${VYRE_BENCH_DIR:-/var/tmp/vb}
mkdir -p "$DIR"
F=$DIR/probe-$SIZE.b64
BYTES=$(numfmt --from=iec "$SIZE")
if [ "$(stat -c %s "$F" 2>/dev/null)" != "$BYTES" ]; then
	head -c $((BYTES / 4 * 3)) /dev/urandom | base64 -w 76 | awk 'NR % 14000 == 0 { print "vyre " $0; next } { print }' >"$F.tmp" &&
		truncate -s "$BYTES" "$F.tmp" && mv "$F.tmp" "$F" || exit 1
fi
cat "$F" >/dev/null
declare -A want
want[count]=$(wc -l <"$F")
want[vyre]=$(LC_ALL=C grep -c -a vyre "$F")
want[e]=$(LC_ALL=C grep -c -a e "$F")
want['[A-Za-z]{30}']=$(LC_ALL=C grep -c -a -E '[A-Za-z]{30}' "$F")
hz=$(getconf CLK_TCK)
# thread CPU ticks of PID, "name=ticks" per thread name (summed)
tcpu() { for t in /proc/$1/task/*; do awk '{ n = $2; gsub(/[()]/, "", n); print n, $14 + $15 }' "$t/stat"; done |
	awk '{ s[$1] += $2 } END { for (n in s) print n, s[n] }' | LC_ALL=C sort; }
for k in ${MODES:-relaunch persistent}; do
	MNT=$(mktemp -d /tmp/vyre-probe.XXXXXX)
	"$VYREFS" "$MNT" -o "log=$DIR/probe-$k.log,kernel=$k,chunk=${MCHUNK:-16M}" || continue
	PID=$(pgrep -f -- "vyrefs $MNT" | head -1)
	echo "## $k: $(grep -E '^(device|kernel_mode|chunk|units)=' "$MNT/status" | tr '\n' ' ')"
	for c in ${CHUNKS:-1M 4M 16M}; do
		for p in count vyre e '[A-Za-z]{30}'; do
			for l in 0 1; do
				[ "$p" = count ] && [ $l = 1 ] && continue
				if [ "$p" = count ]; then d="op=count byte=0x0a"; else d="op=grep pattern=$p lines=$l"; fi
				tcpu "$PID" >/tmp/probe-cpu0
				id=$(bench_submit "scan path=$F $d chunk=$c")
				timeout 120 cat "$MNT/jobs/$id/wait" >/dev/null || { echo "cancel" >"$MNT/jobs/$id/ctl"; echo "$k $c $p lines=$l: past 120 s, cancelled"; sleep 1; }
				tcpu "$PID" >/tmp/probe-cpu1
				got=$(timeout 10 head -1 "$MNT/jobs/$id/result")
				us=$(sed -n 's/^elapsed_us=//p' "$MNT/jobs/$id/status")
				cpu=$(join /tmp/probe-cpu0 /tmp/probe-cpu1 | awk -v hz="$hz" '$3 > $2 { printf "%s %.2f ", $1, ($3 - $2) / hz }')
				printf '%-10s chunk=%-3s %-14s lines=%d %7.2f GB/s  cpu_s: %s%s\n' "$k" "$c" "$p" "$l" \
					"$(awk -v b="$BYTES" -v t="${us:-0}" 'BEGIN { if (t > 0) print b / t / 1000; else print 0 }')" "$cpu" \
					"$([ "$got" = "${want[$p]}" ] || echo " WRONG (got $got want ${want[$p]})")"
				rmdir "$MNT/jobs/$id" 2>/dev/null
			done
		done
	done
	umount "$MNT"; rmdir "$MNT"
done
