#!/usr/bin/env bats
# Unmount or SIGTERM with scans in flight (README.md "Options"): stop admitting, finish
# or cancel in-flight chunks, release the GPU, exit 0, and nothing hangs.
# Every test has its own mount and daemon (run with -f, so its exit status
# can be read), and every step runs under a timeout.
load common

setup_file() {
	# a 64 GiB sparse file: a million 64K chunks, minutes of work on
	# lavapipe, so no scan of it can end on its own within the few seconds
	# an unmount is given (its holes read as zeros without disk I/O)
	SPARSE="$BATS_FILE_TMPDIR/sparse"
	export SPARSE
	truncate -s 64G "$SPARSE"
}

teardown_file() {
	:
}

setup() {
	UMNT="$(mktemp -d /tmp/vyre-unl.XXXXXX)"
	DOUT="$BATS_TEST_TMPDIR/daemon.out"
	DRC="$BATS_TEST_TMPDIR/daemon.rc"
	(
		VYRE_VALIDATION=1 "$VYREFS" -f "$UMNT" > "$DOUT" 2>&1
		echo $? > "$DRC"
	) 3>&- &
	for _ in $(seq 100); do
		grep -qs " $UMNT " /proc/self/mounts && break
		sleep 0.1
	done
	grep -qs " $UMNT " /proc/self/mounts
	DPID=$(pgrep -f "vyrefs -f $UMNT")
	READERS=""
}

teardown() {
	local p live=""
	# what a failed test left: readers, the daemon, the mount. A reader
	# blocked in the daemon only returns once the daemon answers or dies.
	for p in $READERS; do kill -0 "$p" 2>/dev/null && live+=" $p"; done
	if [ -n "$live" ] && kill -0 "${DPID:-0}" 2>/dev/null; then
		kill -KILL "$DPID"
	fi
	for p in $live; do gone_within 5 "$p" || kill -KILL "$p" 2>/dev/null || true; done
	if grep -qs " $UMNT " /proc/self/mounts; then
		timeout 5 umount "$UMNT" 2>/dev/null || umount -l "$UMNT" || true
	fi
	if kill -0 "${DPID:-0}" 2>/dev/null; then
		gone_within 5 "$DPID" 2>/dev/null || kill -KILL "$DPID" 2>/dev/null || true
	fi
	grep -qs " $UMNT " /proc/self/mounts && umount -l "$UMNT"
	rmdir "$UMNT" 2>/dev/null || true
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ]; then
		echo "--- daemon output" >&2
		tail -n 30 "$DOUT" >&2 || true
	fi
}

# start_long N: submits N long scans on UMNT, checks they run, prints their ids
start_long() {
	local i id
	for ((i = 0; i < $1; i++)); do
		exec 7<>"$UMNT/ctl"
		echo "scan path=$SPARSE op=count chunk=64K" >&7
		read -r -t 10 id <&7
		exec 7>&-
		st=$(cat "$UMNT/jobs/$id/status")
		[[ "$st" == *$'\n'state=running$'\n'* || "$st" == *$'\n'state=queued$'\n'* ]] ||
			{ echo "job $id is not running: $st" >&2; return 1; }
		echo "$id"
	done
}

# start_reader ID: a background reader blocked in jobs/ID/wait; its output,
# then "rc=N", go to $BATS_TEST_TMPDIR/reader.ID
start_reader() {
	(
		timeout 120 cat "$UMNT/jobs/$1/wait" > "$BATS_TEST_TMPDIR/reader.$1" 2>&1
		echo "rc=$?" >> "$BATS_TEST_TMPDIR/reader.$1"
	) 3>&- &
	READERS+=" $!"
	# give it time to block in the read
	sleep 0.5
	if grep -q '^rc=' "$BATS_TEST_TMPDIR/reader.$1"; then return 1; fi
}

# gone_within SECS PID: PID exits within SECS seconds
gone_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "pid $2 still alive after $1 s" >&2
	return 1
}

# daemon_threads: where each of the daemon's threads sleeps, for the log
daemon_threads() {
	local t
	for t in /proc/"$DPID"/task/*; do
		echo "thread $(cat "$t/comm" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)"
	done
	if command -v gdb > /dev/null; then
		# the project's frames only: libfuse, fs/ and pump/
		timeout 20 gdb -p "$DPID" -batch -ex 'thread apply all bt' 2>/dev/null |
			grep -E '^Thread|fuse|\.\./(fs|pump)/' | cut -c1-160
	fi
}

# daemon_exited_0 SECS: the daemon exits within SECS seconds, with status 0
daemon_exited_0() {
	gone_within "$1" "$DPID" || { daemon_threads >&2; return 1; }
	for _ in $(seq 50); do [ -s "$DRC" ] && break; sleep 0.1; done
	echo "daemon exit status: $(cat "$DRC")" >&2
	[ "$(cat "$DRC")" = 0 ]
	run ! pgrep -f "vyrefs -f $UMNT"
	run ! grep -qs " $UMNT " /proc/self/mounts
}

@test "umount with long scans in flight returns within 5 s, leaves no slot out, the daemon exits 0" {
	start_long 3
	local t0=$SECONDS
	timeout 5 umount "$UMNT"
	echo "umount took $((SECONDS - t0)) s" >&2
	daemon_exited_0 10
	# the in-flight chunks were finished or cancelled, none left out on
	# the device ("N slots still out 5 s after stop; leaving them")
	run ! grep 'error:' "$DOUT"
}

@test "fusermount3 -u with long scans in flight returns within 5 s and the daemon exits 0" {
	start_long 3
	timeout 5 fusermount3 -u "$UMNT"
	daemon_exited_0 10
}

@test "a fresh mount after an unmount under load serves a job" {
	start_long 2
	timeout 5 umount "$UMNT"
	daemon_exited_0 10
	rmdir "$UMNT"
	rm -f "$DRC"
	setup
	exec 7<>"$UMNT/ctl"
	echo "scan path=/etc/services op=count" >&7
	read -r -t 10 id <&7
	exec 7>&-
	[ "$(timeout 30 cat "$UMNT/jobs/$id/wait" | grep '^state=')" = state=done ]
	[ "$(cat "$UMNT/jobs/$id/result")" = "$(tr -cd '\n' < /etc/services | wc -c)" ]
	timeout 5 umount "$UMNT"
	daemon_exited_0 10
}

@test "umount with a reader blocked in wait: busy at once, the mount still serves; cancel frees it" {
	local ids=($(start_long 3))
	start_reader "${ids[0]}"
	# an open file keeps a mount busy (the kernel's rule): umount must say
	# so at once, not hang
	run timeout 5 umount "$UMNT"
	echo "umount: status $status <$output>" >&2
	[ "$status" -ne 124 ]
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *busy* ]]
		# nothing changed: the jobs run, the reader waits
		timeout 5 cat "$UMNT/status" > /dev/null
		grep -qx 'state=running' "$UMNT/jobs/${ids[1]}/status"
		run ! grep -q '^rc=' "$BATS_TEST_TMPDIR/reader.${ids[0]}"
		# cancelling the job ends the reader's wait with the cancelled status
		echo cancel > "$UMNT/jobs/${ids[0]}/ctl"
		gone_within 5 "${READERS# }"
		grep -qx 'state=cancelled' "$BATS_TEST_TMPDIR/reader.${ids[0]}"
		grep -qx 'rc=0' "$BATS_TEST_TMPDIR/reader.${ids[0]}"
		timeout 5 umount "$UMNT"
	fi
	daemon_exited_0 10
}

@test "SIGTERM with scans in flight and a reader blocked in wait: the reader returns, the daemon exits 0 within 5 s" {
	local ids=($(start_long 3))
	start_reader "${ids[0]}"
	kill -TERM "$DPID"
	# stop admitting, finish or cancel in-flight chunks, exit 0;
	# the reader must not hang until its scan would have ended
	gone_within 5 "${READERS# }"
	cat "$BATS_TEST_TMPDIR/reader.${ids[0]}" >&2
	daemon_exited_0 5
}

@test "SIGTERM with scans in flight and no reader: the daemon exits 0 within 5 s" {
	start_long 3
	kill -TERM "$DPID"
	daemon_exited_0 5
}
