# tools/bench-common.sh: sourced by tools/bench-*.sh. A mount of one
# build's daemon for a bench run, a job's submission, and its fastest of
# REPS runs. bench_mount and bench_best need B (the build folder) and REPS
# set by the sourcing script; bench_submit only MNT.

# bench_mount NAME [OPTIONS]: mounts $B/fs/vyrefs (log=LOG and OPTIONS) on
# a fresh MNT under /tmp, unmounted when the script exits; PID the daemon's
bench_mount() {
	MNT=$(mktemp -d "/tmp/vyre-bench-$1.XXXXXX")
	LOG=$(mktemp "/tmp/vyre-bench-$1.log.XXXXXX")
	timeout 30 "$B/fs/vyrefs" "$MNT" -o "log=$LOG${2:+,$2}" || { cat "$LOG"; exit 1; }
	trap 'umount "$MNT"; rmdir "$MNT"' EXIT
	PID=$(pgrep -f -- "vyrefs $MNT" | head -1)
}

# calc EXPR: awk's arithmetic (the GPU machine has no bc)
calc() { awk "BEGIN { printf \"%.6f\\n\", $1 }"; }

# the daemon's CPU time in ms (lavapipe runs the shader on the daemon's own
# threads): steadier than wall time on a shared machine
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$PID/stat"; }

# bench_submit DESCRIPTOR: writes it to MNT/ctl, prints the job's id
bench_submit() {
	local id
	exec 7<>"$MNT/ctl"
	echo "$1" >&7
	read -r id <&7
	exec 7>&-
	echo "$id"
}

# bench_best DESCRIPTOR SECONDS: runs the job REPS times, each waited for
# at most SECONDS; id is the last run's, best its fastest elapsed_us, cbest
# its least daemon CPU ms, rr its reruns= (chunk passes run again)
bench_best() {
	local el c0 c
	best= cbest=
	for _ in $(seq "$REPS"); do
		c0=$(cpu_ms)
		id=$(bench_submit "$1")
		timeout "$2" cat "$MNT/jobs/$id/wait" >/dev/null
		el=$(sed -n 's/^elapsed_us=//p' "$MNT/jobs/$id/status")
		rr=$(sed -n 's/^reruns=//p' "$MNT/jobs/$id/status")
		c=$(($(cpu_ms) - c0))
		[ -z "$best" ] || [ "$el" -lt "$best" ] && best=$el
		[ -z "$cbest" ] || [ "$c" -lt "$cbest" ] && cbest=$c
	done
}
