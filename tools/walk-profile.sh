#!/bin/bash
# tools/walk-profile.sh LABEL TREE [DESCRIPTOR-EXTRA [ENV=VALUE...]]: one op=count job over
# TREE on a fresh mount under `perf record`, then the CPU per file of each
# daemon thread split by the system call or function it was in
# (tools/perf-thread-split.py; BENCHMARKS.md "The walk"). Run from the repo
# root as root; the perf data stays in /tmp/walkprof-LABEL.perf.
set -u
label=$1 tree=$2 extra=${3:-}; shift $(($# < 3 ? $# : 3))
M=$(mktemp -d /tmp/vyre-walkprof.XXXXXX)
env "$@" "${VYREFS:-$PWD/build/fs/vyrefs}" "$M" -o "log=/tmp/walkprof-$label.log"
pid=$(pgrep -f "vyrefs $M" | head -1)
perf record -q -F 1999 -g -p "$pid" -o "/tmp/walkprof-$label.perf" 2>/dev/null &
pp=$!
sleep 1
t0=$(date +%s.%N)
exec 7<>"$M/ctl"; echo "scan path=$tree op=count $extra" >&7; read -r id <&7; exec 7>&-
cat "$M/jobs/$id/wait" >/dev/null
t1=$(date +%s.%N)
grep -E "^(state|files|files_failed|walk_us|elapsed_us|result)=" "$M/jobs/$id/status" | tr '\n' ' '; echo
kill -INT $pp; sleep 2
umount "$M"; rmdir "$M"
echo "$label wall $(echo "$t1 - $t0" | bc) s"
perf report -i "/tmp/walkprof-$label.perf" --no-children --sort comm --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -8
perf report -i "/tmp/walkprof-$label.perf" --no-children --sort comm --stdio 2>/dev/null | grep -m1 "Samples\|Event count"
python3 "$(dirname "$0")/perf-thread-split.py" "/tmp/walkprof-$label.perf" 1999 "$(find "$tree" -type f | wc -l)"
