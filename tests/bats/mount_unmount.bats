#!/usr/bin/env bats
load common

@test "mounting shows the control files" {
	for f in README ctl status epoch ops metrics jobs; do
		[ -e "$MNT/$f" ]
	done
	run stat -c %a "$MNT/ctl"
	[ "$output" = 666 ]
}

@test "a second mount unmounts cleanly and its daemon exits" {
	local m2
	m2=$(mktemp -d)
	VYRE_VALIDATION=1 "$VYREFS" "$m2"
	mountpoint -q "$m2"
	pgrep -f "vyrefs $m2"
	umount "$m2"
	for _ in $(seq 100); do pgrep -f "vyrefs $m2" >/dev/null || break; sleep 0.1; done
	run ! pgrep -f "vyrefs $m2"
	run ! mountpoint -q "$m2"
	rmdir "$m2"
}
