#!/usr/bin/env bats
# A GPU that stops answering (ARCHITECTURE.md "When the GPU stops answering";
# README.md "Options", gpu_timeout=): with VYRE_FAULT_GPU_STALL_AFTER=N in the
# daemon's environment it launches the megakernel N times, then never again,
# so the chunks it publishes are never done. After gpu_timeout the unit is
# dead: a job's wait returns within seconds, state=failed, its chunks
# ETIMEDOUT in failed; a new job is refused with ETIMEDOUT; unmount completes
# and the daemon exits.
load common

CHUNK=65536
NCHUNKS=12 # more than the 4 slots: some chunks are never admitted

setup_file() {
	VYRE_FAULT_GPU_STALL_AFTER=0 mount_vyrefs "kernel=relaunch,gpu_timeout=1500,slots=4"
	DATA="$BATS_FILE_TMPDIR/data"
	export DATA
	head -c $((NCHUNKS * CHUNK - 100)) /dev/urandom > "$DATA"
}

# a test's own daemon (MNT2, PID2) goes even when the test failed
teardown() {
	unmount_second
	if [ -n "${PID2:-}" ] && kill -0 "$PID2" 2>/dev/null; then
		kill "$PID2"
	fi
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG2:-/nonexistent}" ]; then
		echo "--- its daemon's log" >&2
		tail -n 50 "$LOG2" >&2
	elif [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
}

@test "a count job on a GPU that never completes ends failed, every chunk ETIMEDOUT" {
	local t0 ms k want=""
	t0=$(now_ms)
	id=$(submit "scan path=$DATA op=count chunk=64K")
	run timeout 10 cat "$MNT/jobs/$id/wait"
	ms=$(($(now_ms) - t0))
	echo "wait returned after $ms ms: $output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"state=failed"* ]]
	# not before the bound, and soon after it
	[ "$ms" -ge 1400 ]
	[ "$ms" -lt 6000 ]
	for ((k = 0; k < NCHUNKS; k++)); do
		want+="$k ETIMEDOUT $((k * CHUNK))"$'\n'
	done
	got="$(sort -n "$MNT/jobs/$id/failed")"$'\n'
	[ "$got" = "$want" ] || { echo "failed: got <$got> want <$want>" >&2; return 1; }
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = failed ]
	[ "$chunks" -eq "$NCHUNKS" ]
	[ "$chunks_failed" -eq "$NCHUNKS" ]
	[ "$chunks_done" -eq 0 ]
	[ "$bytes_done" -eq 0 ]
	[[ "$error" == *"$NCHUNKS of $NCHUNKS chunks failed"* ]]
}

@test "the global status shows the dead unit with every slot back" {
	eval "$(cat "$MNT/status")"
	[ "$gpu_dead" -eq 1 ]
	[ "$slots_free" -eq "$slots" ]
	[ "$jobs_active" -eq 0 ]
	[ "$jobs_failed" -eq 1 ]
	[ "$chunks_failed" -eq "$NCHUNKS" ]
	[ "$launches" -eq 0 ]
}

@test "the daemon log says once which device, how long, and what to do" {
	[ "$(grep -c 'no GPU progress for' "$LOG")" -eq 1 ]
	line=$(grep 'no GPU progress for' "$LOG")
	eval "$(cat "$MNT/status")"
	[[ "$line" == *"$device"* ]]
	[[ "$line" == *"gpu_timeout=1500"* ]]
	[[ "$line" == *"ETIMEDOUT"* ]]
	[[ "$line" == *"remount"* ]]
}

@test "a new job on the dead unit is refused with ETIMEDOUT" {
	run bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7; rc=$?
		read -r -t 5 a <&7; echo "rc=$rc $a"' _ "$MNT" "$DATA"
	echo "$output" >&2
	[[ "$output" == *"Connection timed out"* ]] # the write's errno, ETIMEDOUT
	[[ "$output" == *"rc=1 error: the GPU stopped answering"* ]]
	# no job was made of it
	[ "$(ls "$MNT/jobs" | grep -c '^[0-9]')" -eq 1 ]
}

@test "unmount of the dead unit completes and the daemon exits" {
	pid=$(pgrep -f "vyrefs $MNT")
	[ -n "$pid" ]
	run timeout 15 umount "$MNT"
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	# it did not have to give up on slots or on a hung kernel
	run grep -E "still out|hung" "$LOG"
	[ "$status" -eq 1 ]
}

@test "grep on a GPU that stalls mid-way ends failed; the daemon exits 0" {
	local text id failed rc
	MNT2="$(mktemp -d /tmp/vyre-mnt2.XXXXXX)"
	LOG2="$BATS_TEST_TMPDIR/vyrefs2.log"
	text="$BATS_TEST_TMPDIR/text"
	base64 -w 76 < "$DATA" > "$text"
	# in the foreground, so its exit status is ours to read
	VYRE_FAULT_GPU_STALL_AFTER=2 "$VYREFS" -f "$MNT2" \
		-o kernel=relaunch,gpu_timeout=1500,slots=4 2> "$LOG2" &
	PID2=$!
	for _ in $(seq 100); do grep -qs " $MNT2 " /proc/self/mounts && break; sleep 0.1; done
	exec 7<>"$MNT2/ctl"
	echo "scan path=$text op=grep pattern=AB chunk=64K" >&7
	read -r id <&7
	exec 7>&-
	run timeout 10 cat "$MNT2/jobs/$id/wait"
	eval "$(cat "$MNT2/jobs/$id/status")"
	failed=$(cat "$MNT2/jobs/$id/failed")
	timeout 15 umount "$MNT2"
	for _ in $(seq 100); do kill -0 "$PID2" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$PID2"
	[ "$status" -ne 0 ]
	wait "$PID2" && rc=0 || rc=$?
	echo "state=$state chunks=$chunks done=$chunks_done failed=$chunks_failed rc=$rc" >&2
	echo "failed: $failed" >&2
	[ "$state" = failed ]
	[ "$(grep -c 'no GPU progress for' "$LOG2")" -eq 1 ]
	# each chunk done before the stall or failed after it, none otherwise
	[ "$chunks_done" -ge 1 ]
	[ "$chunks_failed" -ge 1 ]
	[ $((chunks_done + chunks_failed)) -eq "$chunks" ]
	[ "$(grep -c . <<< "$failed")" -eq "$chunks_failed" ]
	while read -r k err off; do
		[ "$err" = ETIMEDOUT ] && [ "$off" -eq $((k * CHUNK)) ] ||
			{ echo "bad failed line: $k $err $off" >&2; return 1; }
	done <<< "$failed"
	[ "$rc" -eq 0 ]
}
