#!/usr/bin/env bats
# vyrectl(1) drives the mount through its files only: scan (and --wait),
# status, wait, cancel. Its answers are checked against tr, python3, the
# daemon's own ctl answer and the job files.
load common

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"
GPL=/usr/share/common-licenses/GPL-3
LLVM=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1

vyrectl() {
	"$VYRECTL" -m "$MNT" "$@"
}

# py_data FILE PATTERN...: writes 300 KB of random bytes from a small
# alphabet to FILE, then prints each pattern's overlapping occurrences in it,
# one a line, by a find loop advancing by 1 (one python3: it starts slowly)
py_data() {
	python3 -c '
import random, sys
random.seed(7)
data = bytes(random.choices(b"abn \"\\\n", k=300000))
open(sys.argv[1], "wb").write(data)
for pat in sys.argv[2:]:
    pat = pat.encode()
    n, i = 0, data.find(pat)
    while i >= 0:
        n, i = n + 1, data.find(pat, i + 1)
    print(n)' "$@"
}

@test "scan --wait prints the count tr -cd '\\n' | wc -c gives" {
	want=$(tr -cd '\n' < "$GPL" | wc -c)
	run vyrectl scan "$GPL" --op count --wait
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "patterns and paths with blanks, quotes, backslashes and newlines arrive as given" {
	dir="$BATS_TEST_TMPDIR/a dir"
	mkdir -p "$dir"
	f="$dir/say \"hi\" \\ to me"
	# '\n' is a backslash and an n, not a newline: the file holds both
	pats=('a "' '" "' 'b\" a' $'a\n"' '\n' '\"')
	mapfile -t want < <(py_data "$f" "${pats[@]}")
	[ "${#want[@]}" -eq "${#pats[@]}" ]
	for i in "${!pats[@]}"; do
		got=$(vyrectl scan "$f" --op match --pattern "${pats[i]}" --chunk 4K --wait)
		[ "$got" = "${want[i]}" ] ||
			{ echo "pattern <${pats[i]}>: got $got, want ${want[i]}" >&2; return 1; }
		[ "${want[i]}" -gt 0 ]
	done
	eval "$(vyrectl status latest)"
	[ "$path" = "$f" ]
	[ "$state" = done ]
}

@test "a relative path is taken from the current directory" {
	want=$(tr -cd '\n' < "$GPL" | wc -c)
	cd "$(dirname "$GPL")"
	run vyrectl scan "$(basename "$GPL")" --op count --wait
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "--chunk 3000 prints the daemon's error, exits 1 and creates no job" {
	exec 7<>"$MNT/ctl"
	echo "scan path=$GPL op=count chunk=3000" >&7 2>/dev/null || true
	read -r want <&7
	exec 7>&-
	[[ "$want" == "error: chunk=3000: "* ]]
	before=$(ls "$MNT/jobs" | wc -l)
	run vyrectl scan "$GPL" --op count --chunk 3000
	[ "$status" -eq 1 ]
	[ "$output" = "$want" ]
	[ "$(ls "$MNT/jobs" | wc -l)" = "$before" ]
}

@test "a value with a blank or a newline is refused before it could make another token or job" {
	before=$(ls "$MNT/jobs" | wc -l)
	run vyrectl scan "$GPL" --op count --tenant $'a\nscan path=/etc/passwd op=nop'
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tenant: a value cannot hold blanks"* ]]
	[ "$(ls "$MNT/jobs" | wc -l)" = "$before" ]
}

@test "status ID and status print key=value lines a shell evals" {
	jid=$(vyrectl scan "$GPL" --op count --tenant batch.1)
	[[ "$jid" =~ ^[0-9]+$ ]]
	[ "$(vyrectl wait "$jid")" = "$(tr -cd '\n' < "$GPL" | wc -c)" ]
	eval "$(vyrectl status "$jid")"
	[ "$id" = "$jid" ]
	[ "$state" = done ]
	[ "$op" = count ]
	[ "$path" = "$GPL" ]
	[ "$tenant" = batch.1 ]
	[ "$bytes_done" -eq "$(stat -c %s "$GPL")" ]
	[ -z "$error" ]
	eval "$(vyrectl status)"
	[ -n "$device" ]
	[ "$jobs_done" -ge 1 ]
	[ "$bytes_scanned" -ge "$(stat -c %s "$GPL")" ]
}

@test "status and wait refuse an id that is not a job number" {
	run vyrectl status ../../etc
	[ "$status" -eq 2 ]
	run vyrectl wait 0
	[ "$status" -eq 2 ]
	run vyrectl status 999999999
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such file or directory (no such job"* ]]
}

@test "cancel stops a long job; wait then exits 1 and prints no result" {
	jid=$(vyrectl scan "$LLVM" --op count --chunk 16K)
	run vyrectl cancel "$jid"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run vyrectl wait "$jid"
	[ "$status" -eq 1 ]
	[ "$output" = "vyrectl: job $jid was cancelled" ]
	eval "$(cat "$MNT/jobs/$jid/status")"
	[ "$state" = cancelled ]
	[ "$chunks_done" -lt "$chunks" ]
	run vyrectl cancel "$jid" # an ended job: nothing to do, no error
	[ "$status" -eq 0 ]
}

@test "with stderr not a terminal nothing but the result is printed" {
	want=$(tr -cd '\n' < "$LLVM" | wc -c)
	vyrectl scan "$LLVM" --op count --chunk 1M --wait \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$want" ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "on a terminal a progress bar is drawn, then cleared before the result" {
	command -v script >/dev/null || skip "script(1) is not installed"
	want=$(tr -cd '\n' < "$LLVM" | wc -c)
	run script -qec "'$VYRECTL' -m '$MNT' scan '$LLVM' --op count --chunk 64K --wait" \
		/dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *" of 117.3 MB "*" GB/s"* ]]
	[[ "$output" == *$'\r\e[K'"$want"$'\r'* ]]
}

# fake_mount DIR STATUS: a directory laid out as a mount with one ended job 1
# whose status and wait are STATUS and whose result is 7 (vyrectl reads only
# files, so its parser is tested here against exactly these bytes)
fake_mount() {
	mkdir -p "$1/jobs/1"
	: > "$1/ctl"
	printf '%s' "$2" > "$1/jobs/1/status"
	printf '%s' "$2" > "$1/jobs/1/wait"
	echo 7 > "$1/jobs/1/result"
}

@test "vyrectl unquotes status before splitting it into lines: a quoted newline forges no state" {
	local fake="$BATS_TEST_TMPDIR/fake" st
	# valid sh: a single-quoted value holding newlines and a forged key
	st=$'id=1\nstate=done\nop=count\npath=\'/tmp/x\nstate=failed\nerror=forged\ny\'\nerror=\'\'\n'
	fake_mount "$fake" "$st"
	# the reference: what sh's eval makes of the same bytes
	[ "$(state=; eval "$st"; echo "$state")" = done ]
	run "$VYRECTL" -m "$fake" wait 1
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
	# $'...' and '\'' too, and a line with no key is skipped
	st=$'junk\nid=1\npath=$\'/x\\nstate=failed\'\nstate=\'do\'ne\nerror=\'it\'\\\'\'s\'\n'
	[ "$(state=; eval "$st"; echo "$state")" = done ]
	fake_mount "$fake" "$st"
	run "$VYRECTL" -m "$fake" wait 1
	[ "$status" -eq 0 ]
	[ "$output" = 7 ]
	# and a failed state is still seen, with its error unquoted
	st=$'id=1\npath=\'a\nb\'\nstate=failed\nerror=\'it\'\\\'\'s 1 of 2\'\n'
	fake_mount "$fake" "$st"
	run "$VYRECTL" -m "$fake" wait 1
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[[ "$output" == *"job 1 failed: it's 1 of 2"* ]]
}

@test "a job that failed before reading anything: wait exits 1 with its error, and prints no 0" {
	run "$VYRECTL" -m "$MNT" scan "$GPL" --op grep --pattern '(a|b|c){1,1000}{1,1000}' --wait
	echo "$output" >&2
	[ "$status" -eq 1 ]
	# too large for the DFA and for the bit-parallel engine (fs/grep.c)
	[[ "$output" == *"failed: "*"pattern="*"positions"*"(E2BIG)"* ]]
	run ! grep -qx 0 <<< "$output"
}
