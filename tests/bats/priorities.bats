#!/usr/bin/env bats
# priority=critical|high|normal|low|idle orders admission (README.md "Job
# descriptors"); a starvation counter lets lower levels progress.
load common

setup_file() {
	mount_vyrefs
	FILES="$(mktemp -d /tmp/vyre-prio.XXXXXX)"
	export FILES
	truncate -s 64G "$FILES/big"
	truncate -s 256M "$FILES/mid"
}

teardown_file() {
	for d in "$MNT"/jobs/[0-9]*; do echo cancel > "$d/ctl" 2>/dev/null || true; done
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

chunks_done() {
	sed -n 's/^chunks_done=//p' "$MNT/jobs/$1/status"
}

@test "priority= shows in the job's status and descriptor; normal by default; a bad level is refused" {
	local a b
	a=$(submit "scan path=$FILES/mid op=nop priority=low")
	b=$(submit "scan path=$FILES/mid op=nop")
	grep -qx priority=low "$MNT/jobs/$a/status"
	grep -qx priority=normal "$MNT/jobs/$b/status"
	[[ "$(cat "$MNT/jobs/$a/descriptor")" == *" priority=low"* ]]
	exec 7<>"$MNT/ctl"
	run bash -c 'echo "scan path=$1 op=nop priority=urgent" >&7' _ "$FILES/mid"
	read -r -t 5 answer <&7
	exec 7>&-
	[ "$status" -ne 0 ]
	[[ "$answer" == "error: priority=urgent: must be critical, high, normal, low or idle"* ]]
	wait_job "$a"
	wait_job "$b"
}

@test "on a loaded ring, jobs end in priority order: critical, high, normal, low" {
	local idle ids=() p
	idle=$(submit "scan path=$FILES/big op=count priority=idle")
	sleep 0.5 # the ring is full of the idle scan's chunks
	for p in low normal high critical; do
		ids+=("$(submit "scan path=$FILES/mid op=count chunk=1M priority=$p")")
	done
	local pids=()
	for i in 0 1 2 3; do
		(cat "$MNT/jobs/${ids[$i]}/wait" > /dev/null; date +%s%N > "$BATS_TEST_TMPDIR/end.$i") &
		pids+=($!)
	done
	wait "${pids[@]}" # not a bare wait: it would wait for bats's timeout watcher too
	local low normal high critical
	low=$(cat "$BATS_TEST_TMPDIR/end.0") normal=$(cat "$BATS_TEST_TMPDIR/end.1")
	high=$(cat "$BATS_TEST_TMPDIR/end.2") critical=$(cat "$BATS_TEST_TMPDIR/end.3")
	echo "ended (ns): critical $critical high $high normal $normal low $low" >&2
	[ "$critical" -lt "$high" ]
	[ "$high" -lt "$normal" ]
	[ "$normal" -lt "$low" ]
	for i in 0 1 2 3; do [ "$(cat "$MNT/jobs/${ids[$i]}/result")" = 0 ]; done
	echo cancel > "$MNT/jobs/$idle/ctl"
}

@test "an idle scan still progresses while normal jobs keep the ring busy" {
	local idle before after end
	idle=$(submit "scan path=$FILES/big op=count priority=idle")
	end=$((SECONDS + 6))
	(while [ $SECONDS -lt $end ]; do
		id=$(submit "scan path=$FILES/mid op=count chunk=1M") && cat "$MNT/jobs/$id/wait" > /dev/null
	done) &
	local stream=$!
	sleep 2
	before=$(chunks_done "$idle")
	sleep 3
	after=$(chunks_done "$idle")
	wait "$stream" || true
	echo "idle scan: $before -> $after chunks while normal jobs ran" >&2
	[ "$after" -gt "$before" ]
	echo cancel > "$MNT/jobs/$idle/ctl"
}
