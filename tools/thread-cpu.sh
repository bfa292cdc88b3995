#!/bin/bash
# tools/thread-cpu.sh PID CMD...: runs CMD and prints, for each thread name
# of process PID, the CPU seconds (user+system) its threads used while CMD
# ran, and the wall time: which thread of the daemon binds a job where perf
# is not to be had (the GPU machine has none). Threads of one name (io-wq
# workers, lavapipe's or the driver's) are summed; io_uring's io-wq workers
# show as iou-wrk. Threads that ended during CMD (a tree job's vyre-walk)
# are the process's CPU less its live threads': "(ended threads)".
#   tools/thread-cpu.sh "$(pgrep -n vyrefs)" cat /mnt/vyre/jobs/7/wait
set -uo pipefail
pid=$1
shift
hz=$(getconf CLK_TCK)
snap() { # name ticks, one line a thread
	local t
	for t in /proc/"$pid"/task/*; do
		# comm may hold spaces: the fields after the ')' are counted from there
		local s name rest
		s=$(cat "$t/stat" 2>/dev/null) || continue
		name=${s#*(}
		name=${name%)*}
		rest=${s##*) }
		set -- $rest
		name=${name// /_}
		echo "${t##*/} ${name%-[0-9]*} $((${12} + ${13}))"
	done
	local p
	p=$(cat /proc/"$pid"/stat) && set -- ${p##*) } && echo "process (ended_threads) $((${12} + ${13}))"
}
before=$(snap)
t0=$(date +%s%N)
"$@"
rc=$?
t1=$(date +%s%N)
after=$(snap)
awk -v hz="$hz" -v wall="$(((t1 - t0) / 1000))" '
	NR == FNR { b[$1] = $3; next }
	$1 == "process" { total = $3 - b[$1]; next }
	{ d = $3 - ($1 in b ? b[$1] : 0); cpu[$2] += d; n[$2]++; live += d }
	END {
		printf "wall %.3f s\n", wall / 1e6
		cpu["(ended_threads)"] = total - live; n["(ended_threads)"] = 0
		for (k in cpu) if (cpu[k] > 0) printf "%-16s %3d thread(s) %8.3f s CPU (%.0f%% of wall)\n", k, n[k], cpu[k] / hz, 100 * cpu[k] / hz / (wall / 1e6)
	}' <(echo "$before") <(echo "$after") | sort -k4 -rn
exit $rc
