#!/usr/bin/env bats
load common

GPL=/usr/share/common-licenses/GPL-3
LLVM=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1

@test "echo a job and read its id back on the same open ctl" {
	exec 7<>"$MNT/ctl"
	echo "scan path=$GPL op=count" >&7
	read -r id <&7
	exec 7>&-
	[[ "$id" =~ ^[0-9]+$ ]]
	[ -d "$MNT/jobs/$id" ]
}

@test "count on GPL-3 equals tr -cd '\\n' | wc -c" {
	want=$(tr -cd '\n' < "$GPL" | wc -c)
	got=$(result_of "scan path=$GPL op=count")
	[ "$got" = "$want" ]
}

@test "count on libLLVM-15 (117 MB) in many chunks equals tr | wc -c" {
	want=$(tr -cd '\n' < "$LLVM" | wc -c)
	id=$(submit "scan path=$LLVM op=count chunk=1M")
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/result")" = "$want" ]
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = done ]
	[ "$chunks" -eq 112 ]
	[ "$chunks_done" -eq 112 ]
	[ "$bytes_done" -eq "$(stat -c %s "$LLVM")" ]
}

@test "byte= counts another byte" {
	want=$(tr -cd 'e' < "$GPL" | wc -c)
	[ "$(result_of "scan path=$GPL op=count byte=0x65")" = "$want" ]
	want=$(tr -cd '\000' < "$LLVM" | wc -c)
	[ "$(result_of "scan path=$LLVM op=count byte=0 chunk=4M")" = "$want" ]
}

@test "an unknown key fails the write with EINVAL, leaves error: to read, creates no job" {
	before=$(ls "$MNT/jobs" | wc -l)
	exec 7<>"$MNT/ctl"
	run bash -c "echo 'scan path=$GPL op=count frobnicate=1' >&7" 
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	read -r line <&7
	exec 7>&-
	[[ "$line" == "error: "*frobnicate* ]]
	[ "$(ls "$MNT/jobs" | wc -l)" = "$before" ]
}
