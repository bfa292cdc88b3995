#!/usr/bin/env bats
# Bad input gets a clear error and changes nothing (README.md "Job descriptors"): the write()
# fails with the table's errno (seen as the shell's write error text), a read
# on the same open ctl returns "error: ..." naming the bad token, no job is
# created, and the daemon still runs a good job right after.
load common

GPL=/usr/share/common-licenses/GPL-3

setup_file() {
	mount_vyrefs
	ODD="$(mktemp -d /tmp/vyre-odd.XXXXXX)"
	export ODD
	mkfifo "$ODD/fifo"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$ODD/sock"
	GOOD_WANT=$(tr -cd '\n' < "$GPL" | wc -c)
	export GOOD_WANT
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${ODD:?}"
}

job_count() {
	ls "$MNT/jobs" | grep -c '^[0-9][0-9]*$' || true
}

# good_job_runs: the daemon still takes and runs a job correctly
good_job_runs() {
	local got
	got=$(timeout 30 bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7
		read -r id <&7; exec 7>&-; cat "$1/jobs/$id/wait" >/dev/null; cat "$1/jobs/$id/result"' \
		_ "$MNT" "$GPL")
	[ "$got" = "$GOOD_WANT" ] || { echo "good job after the bad one: got <$got>" >&2; return 1; }
}

# refused ERRTEXT TOKEN FORMAT [ARG...]: the shell's printf of FORMAT ARG...
# into an open ctl fails with ERRTEXT, a read on that ctl says "error: ..."
# naming TOKEN (left in $answer), no job appears, and a good job still runs.
refused() {
	local errtext=$1 token=$2 before
	shift 2
	before=$(job_count)
	exec 7<>"$MNT/ctl"
	# timeout: a FIFO target must not block the write
	run timeout 5 bash -c 'printf "$@" >&7' _ "$@"
	read -r -t 5 answer <&7 || true
	exec 7>&-
	echo "write: status $status, <$output>; ctl: <$answer>" >&2
	[ "$status" -ne 124 ] || { echo "the write blocked" >&2; return 1; }
	[ "$status" -ne 0 ]
	[[ "$output" == *"write error: $errtext"* ]]
	[[ "$answer" == "error: "* ]]
	[[ "$answer" == *"$token"* ]] || { echo "error does not name <$token>" >&2; return 1; }
	[ "$(job_count)" = "$before" ] || { echo "a job was created" >&2; return 1; }
	good_job_runs
}

EINVAL="Invalid argument"

@test "unknown verb: EINVAL naming the verb" {
	refused "$EINVAL" "frob" '%s\n' "frob path=$GPL op=count"
}

@test "unknown key: EINVAL naming key=value" {
	refused "$EINVAL" "colour=red" '%s\n' "scan path=$GPL op=count colour=red"
}

@test "a key given twice: EINVAL naming the second" {
	refused "$EINVAL" "op=nop" '%s\n' "scan path=$GPL op=count op=nop"
}

@test "missing path=: EINVAL naming path=" {
	refused "$EINVAL" "path=" '%s\n' "scan op=count"
}

@test "missing op=: EINVAL naming op=" {
	refused "$EINVAL" "op=" '%s\n' "scan path=$GPL"
}

@test "a relative path: EINVAL naming it" {
	refused "$EINVAL" "path=usr/share/common-licenses/GPL-3" '%s\n' \
		"scan path=usr/share/common-licenses/GPL-3 op=count"
}

@test "unknown op: EINVAL naming it" {
	refused "$EINVAL" "op=grep" '%s\n' "scan path=$GPL op=grep"
}

@test "match without pattern=: EINVAL naming pattern=" {
	refused "$EINVAL" "pattern=" '%s\n' "scan path=$GPL op=match"
}

@test "chunk not a power of two: EINVAL naming it and a fix" {
	refused "$EINVAL" "chunk=3000" '%s\n' "scan path=$GPL op=count chunk=3000"
	[[ "$answer" == *"try chunk="* ]]
}

@test "chunk over 64M: EINVAL naming it" {
	refused "$EINVAL" "chunk=128M" '%s\n' "scan path=$GPL op=count chunk=128M"
}

@test "chunk under 4K: EINVAL naming it" {
	refused "$EINVAL" "chunk=2K" '%s\n' "scan path=$GPL op=count chunk=2K"
}

@test "chunk over the mount's arena chunk (8M > 4M): EINVAL naming chunk=8M as written" {
	refused "$EINVAL" "chunk=8M" '%s\n' "scan path=$GPL op=count chunk=8M"
}

@test "byte=0x100: EINVAL naming it" {
	refused "$EINVAL" "byte=0x100" '%s\n' "scan path=$GPL op=count byte=0x100"
}

@test "byte= on op=match: EINVAL naming byte=" {
	refused "$EINVAL" "byte=0x0a" '%s\n' "scan path=$GPL op=match pattern=GNU byte=0x0a"
}

@test "empty pattern: EINVAL naming it" {
	refused "$EINVAL" 'pattern=""' '%s\n' "scan path=$GPL op=match pattern=\"\""
}

@test "a 257-byte pattern: EINVAL naming it" {
	local p=$(printf 'a%.0s' $(seq 257))
	refused "$EINVAL" "pattern=aaaaaaaa" '%s\n' "scan path=$GPL op=match pattern=$p"
	[[ "$answer" == *256* ]]
}

@test "a 257-byte pattern of escapes: EINVAL" {
	local p=$(printf '\\x41%.0s' $(seq 257))
	refused "$EINVAL" 'pattern="\x41\x41' '%s\n' "scan path=$GPL op=match pattern=\"$p\""
}

@test "unterminated quote: EINVAL naming the value" {
	refused "$EINVAL" 'pattern="GNU' '%s\n' "scan path=$GPL op=match pattern=\"GNU"
}

@test "bad escape: EINVAL naming the escape" {
	refused "$EINVAL" '\q' '%s\n' "scan path=$GPL op=match pattern=\"a\\qb\""
}

@test "a short \\x escape: EINVAL" {
	refused "$EINVAL" 'pattern="\x4"' '%s\n' "scan path=$GPL op=match pattern=\"\\x4\""
}

@test "a NUL byte in the line: EINVAL naming the token holding it" {
	refused "$EINVAL" 'path=/x\x00' 'scan path=/x\0 op=count\n'
}

@test "negative offset: EINVAL naming it" {
	refused "$EINVAL" "offset=-1" '%s\n' "scan path=$GPL op=count offset=-1"
}

@test "a number over 64 bits: EINVAL naming it" {
	refused "$EINVAL" "length=99999999999999999999" '%s\n' \
		"scan path=$GPL op=count length=99999999999999999999"
}

@test "a suffix that overflows 64 bits: EINVAL naming it" {
	refused "$EINVAL" "offset=17179869184G" '%s\n' "scan path=$GPL op=count offset=17179869184G"
}

@test "offset+length over 64 bits: EINVAL" {
	refused "$EINVAL" "length=" '%s\n' \
		"scan path=$GPL op=count offset=18446744073709551615 length=1"
}

@test "not a number: EINVAL naming it" {
	refused "$EINVAL" "offset=12abc" '%s\n' "scan path=$GPL op=count offset=12abc"
}

@test "an unknown suffix: EINVAL naming it" {
	refused "$EINVAL" "length=4T" '%s\n' "scan path=$GPL op=count length=4T"
}

@test "direct=2: EINVAL naming it" {
	refused "$EINVAL" "direct=2" '%s\n' "scan path=$GPL op=count direct=2"
}

@test "a tenant with a slash: EINVAL naming it" {
	refused "$EINVAL" "tenant=a/b" '%s\n' "scan path=$GPL op=count tenant=a/b"
}

@test "a directory is no longer refused: it is a many-file job (many_files.bats)" {
	local id
	id=$(submit "scan path=/usr/share/common-licenses op=count")
	[[ "$id" =~ ^[0-9]+$ ]]
	wait_job "$id"
	[ "$(sed -n 's/^files=//p' "$MNT/jobs/$id/status")" -gt 1 ]
}

@test "a missing file: ENOENT naming the path" {
	refused "No such file or directory" "path=$ODD/missing" '%s\n' "scan path=$ODD/missing op=count"
}

@test "a path through a file: ENOENT" {
	refused "No such file or directory" "path=$GPL/x" '%s\n' "scan path=$GPL/x op=count"
}

@test "a FIFO: EINVAL at once, without blocking on the open" {
	refused "$EINVAL" "path=$ODD/fifo" '%s\n' "scan path=$ODD/fifo op=count"
}

@test "a socket: EINVAL naming the path" {
	refused "$EINVAL" "path=$ODD/sock" '%s\n' "scan path=$ODD/sock op=count"
}

@test "a character device: EINVAL naming the path" {
	refused "$EINVAL" "path=/dev/null" '%s\n' "scan path=/dev/null op=count"
}

@test "a line over 4 KiB in one write(): E2BIG, error: names the limit" {
	local pad=$(printf '%*s' 4100 '')
	printf 'scan path=%s op=count%s\n' "$GPL" "$pad" > "$BATS_TEST_TMPDIR/long"
	[ "$(head -1 "$BATS_TEST_TMPDIR/long" | wc -c)" -gt 4097 ]
	local before=$(job_count) answer
	exec 7<>"$MNT/ctl"
	# dd: the whole line in one write(), as a program would send it
	run timeout 5 bash -c 'dd if="$1" bs=64K status=none >&7' _ "$BATS_TEST_TMPDIR/long"
	read -r -t 5 answer <&7 || true
	exec 7>&-
	echo "write: status $status, <$output>; ctl: <$answer>" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"Argument list too long"* ]]
	[[ "$answer" == "error: "*4096* ]]
	[ "$(job_count)" = "$before" ]
	good_job_runs
}

@test "a line of exactly 4096 bytes is accepted" {
	local head="scan path=$GPL op=count"
	local line="$head$(printf '%*s' $((4096 - ${#head})) '')"
	[ "${#line}" -eq 4096 ]
	printf '%s\n' "$line" > "$BATS_TEST_TMPDIR/max"
	exec 7<>"$MNT/ctl"
	run timeout 5 bash -c 'dd if="$1" bs=64K status=none >&7' _ "$BATS_TEST_TMPDIR/max"
	read -r -t 5 jid <&7 || true
	exec 7>&-
	[ "$status" -eq 0 ]
	[[ "$jid" =~ ^[0-9]+$ ]]
	wait_job "$jid"
	[ "$(cat "$MNT/jobs/$jid/result")" = "$GOOD_WANT" ]
}

@test "a line over 4 KiB echoed by the shell is refused with E2BIG, not split into jobs" {
	# bash writes through a 4096-byte stdio buffer (st_blksize), so one
	# echo of a long line reaches ctl as several write()s; each half here
	# would be a valid descriptor on its own
	local head="scan path=$GPL op=count"
	local line="$head$(printf '%*s' $((4096 - ${#head})) '') scan path=$GPL op=nop"
	[ "${#line}" -gt 4096 ]
	local before=$(job_count)
	exec 7<>"$MNT/ctl"
	run timeout 5 bash -c 'echo "$1" >&7' _ "$line"
	exec 7>&-
	echo "echo: status $status, <$output>; jobs before $before, after $(job_count)" >&2
	[ "$(job_count)" = "$before" ]
	[ "$status" -ne 0 ]
	[[ "$output" == *"Argument list too long"* ]]
}

@test "multi-line write with line 2 bad: line 1's job stands, line 3's is not created" {
	printf '%s\n' "scan path=$GPL op=count" "scan path=$GPL op=bogus" \
		"scan path=$GPL op=nop" > "$BATS_TEST_TMPDIR/three"
	local before=$(job_count)
	exec 7<>"$MNT/ctl"
	# one write() holding all three lines
	run timeout 5 bash -c 'dd if="$1" bs=64K status=none >&7' _ "$BATS_TEST_TMPDIR/three"
	local answer=$(timeout 5 cat <&7)
	exec 7>&-
	echo "write: status $status, <$output>; ctl: <$answer>" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"$EINVAL"* ]]
	local first=$(sed -n 1p <<< "$answer")
	[[ "$first" =~ ^[0-9]+$ ]]
	[[ "$(sed -n 2p <<< "$answer")" == "error: "*"op=bogus"* ]]
	[ "$(wc -l <<< "$answer")" -eq 2 ]
	[ "$(job_count)" = $((before + 1)) ]
	grep -q 'op=count' "$MNT/jobs/$first/descriptor"
	wait_job "$first"
	[ "$(cat "$MNT/jobs/$first/result")" = "$GOOD_WANT" ]
	# nothing after line 1's job
	[ -z "$(ls "$MNT/jobs" | grep -E '^[0-9]+$' | awk -v f="$first" '$1 > f')" ]
}

@test "multi-line write of good lines: one id per line, in order" {
	printf '%s\n' "scan path=$GPL op=count" "" "scan path=$GPL op=nop" \
		"scan path=$GPL op=count byte=0x20" > "$BATS_TEST_TMPDIR/good"
	exec 7<>"$MNT/ctl"
	run timeout 5 bash -c 'dd if="$1" bs=64K status=none >&7' _ "$BATS_TEST_TMPDIR/good"
	local answer=$(timeout 5 cat <&7)
	exec 7>&-
	[ "$status" -eq 0 ]
	mapfile -t ids <<< "$answer"
	[ "${#ids[@]}" -eq 3 ]
	[ "${ids[1]}" -gt "${ids[0]}" ]
	[ "${ids[2]}" -gt "${ids[1]}" ]
	for i in 0 1 2; do wait_job "${ids[$i]}"; done
	[ "$(cat "$MNT/jobs/${ids[0]}/result")" = "$GOOD_WANT" ]
	[ "$(cat "$MNT/jobs/${ids[1]}/result")" = 1 ]
	[ "$(cat "$MNT/jobs/${ids[2]}/result")" = "$(tr -cd ' ' < "$GPL" | wc -c)" ]
}
