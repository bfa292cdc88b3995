#!/usr/bin/env bats
# trace=1 and vyrectl replay (issue 27 item 5): a traced job's jobs/N/trace
# lists every slot it published with its result words, and those words
# agree with independent references (wc, grep, python); vyrectl replay runs
# the same slots again (here on lavapipe, as a GPU's trace would be) and
# finds every result equal, or names the slot whose result differs.
load common

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"

setup_file() {
	mount_vyrefs allow_other # nobody's replay is refused
	DATA="$BATS_FILE_TMPDIR/data.txt"
	export DATA
	# short lines, and two lines longer than a 4K chunk: grep continues
	# those through slots of their own (kind=opread) and reruns chunks
	random_lines "$DATA" 27 2500 700 1800
}

# trace_of DESCRIPTOR: submits it with trace=1, waits, copies its trace to $T
trace_of() {
	ID=$(submit "$1 trace=1")
	wait_job "$ID"
	T="$BATS_TEST_TMPDIR/trace.$ID"
	cp "$MNT/jobs/$ID/trace" "$T"
}

# field KEY: KEY's values of the data records (fences left out), one a line
field() {
	grep '^rec ' "$T" | grep -v ' kind=fence ' | grep -o " $1=[^ ]*" | cut -d= -f2
}

# sum: the numbers on stdin, one a line, added
sum() {
	awk '{ s += $1 } END { print s + 0 }'
}

# replay_equal: vyrectl replay finds every traced slot's result again
replay_equal() {
	local n
	n=$(grep '^rec ' "$T" | grep -vc ' kind=fence ')
	run timeout 120 "$VYRECTL" -m "$MNT" replay "$T"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *": $n slots equal, 0 differ"* ]]
}

@test "trace: versioned header, one record per slot, every slot done" {
	trace_of "scan path=$DATA op=count chunk=4K"
	[ "$(head -1 "$T")" = "vyrefs-trace 1" ]
	grep -q "^descriptor scan path=$DATA op=count .* trace=1$" "$T"
	read -r _ n _ dropped < <(grep '^records ' "$T")
	[ "$dropped" = 0 ]
	[ "$(grep -c '^rec ' "$T")" -eq "$n" ]
	# every chunk of the file, and its fence
	chunks=$(( ($(stat -c %s "$DATA") + 4095) / 4096 ))
	[ "$(field kind | grep -c chunk)" -eq "$chunks" ]
	[ "$(grep -c ' kind=fence ' "$T")" -eq 1 ]
	[ -z "$(field status | grep -v '^3$')" ]
	# the chunks tile the file: offsets 0, 4096, ... and lengths to its size
	[ "$(field off | python3 -c 'import sys; print(sorted(map(int, sys.stdin)) == list(range(0, '"$chunks"' * 4096, 4096)))')" = True ]
	[ "$(field len | sum)" -eq "$(stat -c %s "$DATA")" ]
	# times: publish before done, in ns from the submit
	grep '^rec ' "$T" | grep -o 'publish_ns=[0-9]* .* done_ns=[0-9]*' |
		sed 's/publish_ns=\([0-9]*\) .* done_ns=\([0-9]*\)/\1 \2/' |
		while read -r p d; do [ "$p" -le "$d" ]; done
}

@test "count: per-chunk results sum to tr|wc, and replay finds each again" {
	trace_of "scan path=$DATA op=count chunk=4K"
	[ "$(field result | sum)" -eq "$(tr -cd '\n' <"$DATA" | wc -c)" ]
	replay_equal
}

@test "match: per-chunk results sum to python's overlapping count, replay equal" {
	trace_of "scan path=$DATA op=match pattern=ERR chunk=4K"
	want=$(python3 -c 'import re,sys; print(len(re.findall("(?=ERR)", open(sys.argv[1]).read())))' "$DATA")
	[ "$(field result | sum)" -eq "$want" ]
	replay_equal
}

@test "grep: each chunk's newline count sums to wc -l; continuations replayed too" {
	trace_of "scan path=$DATA op=grep pattern=ERR chunk=4K"
	# the first pass of each chunk (arg0=0x0, not a continuation) counts its '\n'
	nl=$(grep '^rec ' "$T" | grep ' kind=chunk ' | grep ' arg0=0x0 ' | grep -o ' nl=[0-9]*' |
		cut -d= -f2 | sum)
	[ "$nl" -eq "$(wc -l <"$DATA")" ]
	# the long lines ran on in slots of their own
	[ "$(field kind | grep -c opread)" -ge 2 ]
	[ -n "$(grep ' kind=opread ' "$T" | grep ' cont=')" ]
	# and the job's result is grep's
	[ "$(cat "$MNT/jobs/$ID/result")" = "$(LC_ALL=C grep -a -c ERR "$DATA")" ]
	replay_equal
}

@test "histogram: bins hashed per slot, replay equal" {
	trace_of "scan path=$DATA op=histogram chunk=4K"
	[ "$(field bins | wc -l)" -eq "$(field kind | wc -l)" ]
	replay_equal
}

@test "replay: a tampered result is named, and replay exits 1" {
	trace_of "scan path=$DATA op=grep pattern=ERR chunk=4K"
	rec=$(grep '^rec ' "$T" | grep ' kind=chunk ' | sed -n 3p | cut -d' ' -f2)
	old=$(grep "^rec $rec " "$T" | grep -o ' result=[0-9]*' | cut -d= -f2)
	sed -i "/^rec $rec /s/ result=$old / result=$((old + 1)) /" "$T"
	run timeout 120 "$VYRECTL" -m "$MNT" replay "$T"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rec $rec (chunk off="*"result=$((old + 1)) in the trace, result=$old replayed"* ]]
	[[ "$output" == *" 1 differ"* ]]
}

@test "replay: a file changed since the trace is reported, exit 1" {
	cp "$DATA" "$BATS_TEST_TMPDIR/copy.txt"
	trace_of "scan path=$BATS_TEST_TMPDIR/copy.txt op=count chunk=4K"
	printf 'Z' | dd of="$BATS_TEST_TMPDIR/copy.txt" bs=1 seek=5000 conv=notrunc status=none
	run timeout 120 "$VYRECTL" -m "$MNT" replay "$T"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"rec 1 (chunk off=4096 len=4096): the file's bytes differ"* ]]
}

@test "trace: an untraced job has none; trace=1 is one file's; replay is root's" {
	id=$(submit "scan path=$DATA op=count")
	wait_job "$id"
	run cat "$MNT/jobs/$id/trace"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No data available"* ]]
	run bash -c "echo 'scan path=$BATS_FILE_TMPDIR op=count trace=1' > $MNT/ctl"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid argument"* ]]
	trace_of "scan path=$DATA op=count chunk=4K"
	run submit_as timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"scan path=$DATA op=count chunk=4K replay=$T"
	echo "$output"
	# refused EPERM before the trace or the file is opened
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"rc=1 error: replay=$T: only root may replay a trace"* ]]
}
