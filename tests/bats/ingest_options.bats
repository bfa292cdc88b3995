#!/usr/bin/env bats
# huge= and iowq= (README.md "Options"): status's ingest= names what the
# mount chose, a scan through a huge-page arena counts what wc counts, and
# values out of range fail the mount with a message.
load common

setup_file() {
	: # each test mounts with its own options
}

teardown_file() {
	:
}

teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
	unmount_vyrefs
}

@test "huge=1 iowq=4: status names both, and count equals wc -l" {
	grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null &&
		skip "THP is off on this machine"
	mount_vyrefs "kernel=relaunch,huge=1,iowq=4"
	local ingest
	ingest=$(sed -n 's/^ingest=//p' "$MNT/status")
	[[ "$ingest" == *host_import+thp+iowq4 ]]
	local f="$BATS_TEST_TMPDIR/lines"
	seq 1 300000 >"$f"
	[ "$(result_of "scan path=$f op=count chunk=64K")" = "$(wc -l <"$f")" ]
}

@test "without the options, ingest= names neither" {
	mount_vyrefs
	local ingest
	ingest=$(sed -n 's/^ingest=//p' "$MNT/status")
	[[ "$ingest" != *thp* && "$ingest" != *iowq* ]]
}

@test "huge=2 and iowq=0 fail the mount, naming the range" {
	local m="$BATS_TEST_TMPDIR/m"
	mkdir -p "$m"
	run -1 "$VYREFS" "$m" -o huge=2
	[[ "$output" == *"huge=2: must be a whole number from 0 to 1"* ]]
	run -1 "$VYREFS" "$m" -o iowq=0
	[[ "$output" == *"iowq=0: must be a whole number from 1 to 1024"* ]]
	run mountpoint -q "$m"
	[ "$status" -ne 0 ]
}
