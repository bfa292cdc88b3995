#!/usr/bin/env bats
# A job's lifecycle from the shell (README.md "Files"): "echo cancel > jobs/N/ctl"
# ends a running job cancelled; jobs/N/wait blocks until the job ends and
# returns its status, and a signal interrupts it; rmdir removes a finished
# job, refuses a running one, and refuses another user's; "echo remove"
# cancels a job and removes it once it has ended, nobody waiting.
load common

GPL=/usr/share/common-licenses/GPL-3
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	mount_vyrefs allow_other
	# a 1 TiB sparse file: 16M chunks of 64K, most of an hour on lavapipe,
	# so a scan of it is still running whenever a test acts on it (libLLVM
	# at 4K chunks ends within a second here); its holes read as zeros
	SPARSE="$BATS_FILE_TMPDIR/sparse"
	export SPARSE
	truncate -s 1T "$SPARSE"
}

# own_mount: a private mount for a test that may bring its daemon down
own_mount() {
	MNT2="$(mktemp -d /tmp/vyre-mnt2.XXXXXX)"
	VYRE_VALIDATION=1 "$VYREFS" "$MNT2" -o "log=$BATS_TEST_TMPDIR/vyrefs2.log" > /dev/null
}

own_unmount() {
	[ -n "${MNT2:-}" ] || return 0
	echo cancel > "$MNT2/jobs/1/ctl" 2>/dev/null || true
	# a dead daemon's mount fails stat, so ask /proc, not mountpoint(1)
	if grep -qs " $MNT2 " /proc/self/mounts; then
		timeout 10 umount "$MNT2" || umount -l "$MNT2"
	fi
	for _ in $(seq 50); do pgrep -f "vyrefs $MNT2" > /dev/null || break; sleep 0.1; done
	rmdir "$MNT2" 2>/dev/null || true
}

teardown() {
	local id
	own_unmount
	# cancel whatever a failed test left running, so the next one starts idle
	for id in ${LONGJOBS:-}; do
		echo cancel > "$MNT/jobs/$id/ctl" 2>/dev/null || true
		timeout 10 cat "$MNT/jobs/$id/wait" > /dev/null 2>&1 || true
	done
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
}

# long_job [DESCRIPTOR]: submits a long scan (by default one that cannot end
# within a test), prints its id, checks it is running
long_job() {
	local id
	id=$(submit "${1:-scan path=$SPARSE op=count chunk=64K}") || return 1
	# one read of the status: queued may turn running between two
	local st
	st=$(cat "$MNT/jobs/$id/status")
	[[ "$st" == *$'\nstate=running\n'* || "$st" == *$'\nstate=queued\n'* ]] ||
		{ echo "job $id is not running: $st" >&2; return 1; }
	echo "$id"
}

state_of() {
	sed -n 's/^state=//p' "$MNT/jobs/$1/status"
}

@test "echo cancel to a running job's ctl ends it cancelled, short of its chunks" {
	local id=$(long_job)
	LONGJOBS=$id
	echo cancel > "$MNT/jobs/$id/ctl"
	run timeout 10 cat "$MNT/jobs/$id/wait"
	[ "$status" -eq 0 ]
	eval "$output"
	[ "$state" = cancelled ]
	[ "$chunks_done" -lt "$chunks" ]
	[ "$chunks" -eq $(($(stat -c %s "$SPARSE") / 65536)) ]
	# its slots come back
	eval "$(cat "$MNT/status")"
	[ "$jobs_active" = 0 ]
	[ "$slots_free" = "$slots" ]
}

@test "cancel on a finished job leaves it done, its result intact" {
	local id=$(submit "scan path=$GPL op=count")
	wait_job "$id"
	echo cancel > "$MNT/jobs/$id/ctl"
	[ "$(state_of "$id")" = done ]
	[ "$(cat "$MNT/jobs/$id/result")" = "$(tr -cd '\n' < "$GPL" | wc -c)" ]
}

@test "echo remove: a running job is cancelled and gone once it ended; a finished one at once" {
	local id=$(long_job) before after done_id st
	LONGJOBS=$id
	before=$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")
	# a reader parked on wait still gets the end: its open holds the job
	exec 8<"$MNT/jobs/$id/wait"
	echo remove > "$MNT/jobs/$id/ctl"
	st=$(timeout 10 cat <&8)
	exec 8<&-
	[[ "$st" == *$'\nstate=cancelled\n'* ]]
	for _ in $(seq 100); do
		if [ ! -e "$MNT/jobs/$id" ]; then break; fi
		sleep 0.1
	done
	[ ! -e "$MNT/jobs/$id" ]
	run ! grep -qx "$id" <<< "$(ls "$MNT/jobs")"
	after=$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")
	[ "$after" -eq $((before + 1)) ]
	# a finished job goes at once, still done (not counted cancelled)
	done_id=$(submit "scan path=$GPL op=count")
	wait_job "$done_id"
	echo remove > "$MNT/jobs/$done_id/ctl"
	[ ! -e "$MNT/jobs/$done_id" ]
	[ "$(sed -n 's/^jobs_cancelled=//p' "$MNT/status")" -eq "$after" ]
	# another user's job: refused, left running
	id=$(long_job)
	LONGJOBS="$LONGJOBS $id"
	run "${NOBODY[@]}" bash -c 'echo remove > "$1"' _ "$MNT/jobs/$id/ctl"
	[ "$status" -ne 0 ]
	[ "$(state_of "$id")" = running ]
}

@test "a job's ctl takes only cancel and remove" {
	local id=$(submit "scan path=$GPL op=count")
	run bash -c 'echo stop > "$1"' _ "$MNT/jobs/$id/ctl"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	wait_job "$id"
	[ "$(state_of "$id")" = done ]
}

@test "wait blocks while the job runs and returns its final status" {
	# 1 GiB of holes in 64K chunks: seconds of work, then done
	local id=$(long_job "scan path=$SPARSE op=count byte=0 length=1G chunk=64K")
	LONGJOBS=$id
	run timeout 120 cat "$MNT/jobs/$id/wait"
	[ "$status" -eq 0 ]
	# what wait returned is the end state, with every chunk in
	eval "$output"
	[ "$state" = done ]
	[ "$chunks" -eq 16384 ]
	[ "$chunks_done" -eq "$chunks" ]
	[ "$bytes_done" -eq $((1 << 30)) ]
	# and it was returned only once the job was done: the status agrees
	[ "$(state_of "$id")" = done ]
	# a hole is all zero bytes
	[ "$(cat "$MNT/jobs/$id/result")" -eq $((1 << 30)) ]
}

@test "wait stays blocked while the job runs, and returns once it is cancelled" {
	local id=$(long_job)
	LONGJOBS=$id
	(timeout 60 cat "$MNT/jobs/$id/wait" > "$BATS_TEST_TMPDIR/wait.out"
		echo "rc=$?" >> "$BATS_TEST_TMPDIR/wait.out") 3>&- &
	local reader=$!
	sleep 1
	# still blocked, nothing returned, the job still running
	kill -0 "$reader"
	[ ! -s "$BATS_TEST_TMPDIR/wait.out" ]
	[ "$(state_of "$id")" = running ]
	echo cancel > "$MNT/jobs/$id/ctl"
	for _ in $(seq 50); do kill -0 "$reader" 2>/dev/null || break; sleep 0.1; done
	run ! kill -0 "$reader"
	cat "$BATS_TEST_TMPDIR/wait.out" >&2
	grep -qx 'state=cancelled' "$BATS_TEST_TMPDIR/wait.out"
	grep -qx 'rc=0' "$BATS_TEST_TMPDIR/wait.out"
}

@test "wait is interruptible: SIGINT ends the read within 3 s, the daemon and job run on" {
	# on its own mount: if the interrupt brings the daemon down, the other
	# tests still have theirs
	own_mount
	local id
	exec 7<>"$MNT2/ctl"
	echo "scan path=$SPARSE op=count chunk=64K" >&7
	read -r id <&7
	exec 7>&-
	[ "$id" = 1 ]
	local t0=$SECONDS
	run timeout -s INT 1 cat "$MNT2/jobs/$id/wait"
	local took=$((SECONDS - t0))
	echo "wait: status $status after ${took}s" >&2
	[ "$status" -eq 124 ]
	[ "$took" -le 3 ]
	# the daemon still serves, and interrupting a reader did not cancel the job
	run timeout 5 cat "$MNT2/jobs/$id/status"
	echo "status after the interrupt: $output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n'state=running$'\n'* ]]
	pgrep -f "vyrefs $MNT2" > /dev/null
}

@test "rmdir refuses a running job with EBUSY, then removes it once it ended" {
	local id=$(long_job)
	LONGJOBS=$id
	run rmdir "$MNT/jobs/$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Device or resource busy"* ]]
	[ -d "$MNT/jobs/$id" ]
	echo cancel > "$MNT/jobs/$id/ctl"
	timeout 10 cat "$MNT/jobs/$id/wait" > /dev/null
	rmdir "$MNT/jobs/$id"
	[ ! -e "$MNT/jobs/$id" ]
}

@test "rmdir removes a finished job: gone from ls, its files ENOENT" {
	local keep=$(submit "scan path=$GPL op=nop")
	local id=$(submit "scan path=$GPL op=count")
	wait_job "$keep"
	wait_job "$id"
	[ "$(readlink "$MNT/jobs/latest")" = "$id" ]
	rmdir "$MNT/jobs/$id"
	run ! grep -qx "$id" <<< "$(ls "$MNT/jobs")"
	run cat "$MNT/jobs/$id/status"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	# a second rmdir: ENOENT; latest falls back to the user's previous job
	run rmdir "$MNT/jobs/$id"
	[[ "$output" == *"No such file or directory"* ]]
	[ "$(readlink "$MNT/jobs/latest")" = "$keep" ]
	# the other job is untouched
	[ "$(cat "$MNT/jobs/$keep/result")" = 1 ]
}

@test "a user cannot rmdir another user's job" {
	local id=$(submit "scan path=$GPL op=count")
	wait_job "$id"
	run "${NOBODY[@]}" rmdir "$MNT/jobs/$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* || "$output" == *"Permission denied"* || "$output" == *"No such file or directory"* ]]
	[ -d "$MNT/jobs/$id" ]
	[ "$(cat "$MNT/jobs/$id/result")" = "$(tr -cd '\n' < "$GPL" | wc -c)" ]
}

@test "a user rmdirs its own finished job" {
	run "${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7
		read -r id <&7; cat "$1/jobs/$id/wait" > /dev/null && rmdir "$1/jobs/$id" && echo "$id"' \
		_ "$MNT" "$GPL"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9]+$ ]]
	[ ! -e "$MNT/jobs/$output" ]
}
