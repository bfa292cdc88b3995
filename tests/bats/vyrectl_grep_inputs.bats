#!/usr/bin/env bats
# vyrectl grep takes the inputs grep takes and names them as grep does:
# standard input and "-" (with --label), /proc and /sys files and
# /dev/null (which the daemon refuses: a private copy is scanned), -r
# trees named as given ("./a.txt", "sub/b.txt"), --include, --exclude,
# --exclude-dir, -d; and it exits as grep: 0, 1, 2, 0 for -q after an
# error, death by SIGPIPE with nothing left behind.
load common
load vyrectl_grep_common

setup_file() {
	mount_with_inputs
	# a tree whose every directory holds one file, so that grep's
	# directory order and vyrectl's path order agree
	TREE="$BATS_FILE_TMPDIR/tree"
	mkdir -p "$TREE/sub/deeper" "$TREE/skip.d"
	printf 'hello top\nbye\n' >"$TREE/top.txt"
	printf 'hello sub\n' >"$TREE/sub/b.c"
	printf 'hello deep\nhello again\n' >"$TREE/sub/deeper/c.txt"
	printf 'hello skipped\n' >"$TREE/skip.d/d.txt"
	export IN_DIR TREE
}

setup() {
	cd "$IN_DIR"
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
}

teardown() {
	# every private copy and pattern file is gone, whatever happened
	if [[ -d ${TMPDIR:-} ]] && [[ -n $(ls -A "$TMPDIR") ]]; then
		echo "left in TMPDIR: $(ls -A "$TMPDIR")" >&2
		return 1
	fi
}

# sorted_same LOCALE WANT ARGS...: as gnu_same, the lines in any order
# (grep -r walks directories in their order, vyrectl in path order)
sorted_same() {
	local loc=$1 want=$2 d=$BATS_TEST_TMPDIR gs vs
	shift 2
	LC_ALL=$loc timeout 60 grep "$@" </dev/null 2>/dev/null | LC_ALL=C sort >"$d/g.out"
	gs=${PIPESTATUS[0]}
	[[ $gs -eq $want ]] || { echo "grep $*: exit $gs, the test wants $want" >&2; return 1; }
	LC_ALL=$loc timeout 60 "$VYRECTL" -m "$MNT" grep "$@" </dev/null 2>"$d/v.err" |
		LC_ALL=C sort >"$d/v.out"
	vs=${PIPESTATUS[0]}
	if [[ $vs -ne $gs ]] || ! cmp -s "$d/g.out" "$d/v.out"; then
		echo "vyrectl grep $*: exit $vs, grep's $gs (< grep, > vyrectl):" >&2
		diff -a "$d/g.out" "$d/v.out" | head -20 >&2
		cat "$d/v.err" >&2
		return 1
	fi
	[[ $want -ne 0 || -s $d/g.out ]]
}

@test "standard input, '-' and --label: a private copy is scanned, named as grep names it" {
	IN=t.txt both 0 -n 'a|b'
	IN=t.txt both 0 -n 'a\|b' -
	IN=t.txt both 0 -c a - crlf.txt
	IN=t.txt both 0 -H a
	IN=t.txt both 0 --label=piped -H -n a - nonl.txt
	IN=bin.dat both 0 -c 'a\|b'
	IN=bin.dat both 0 'a'
	IN=empty.txt both 1 a
	run -0 bash -c 'printf "one\ntwo\n" | "$1" -m "$2" grep -n tw' _ "$VYRECTL" "$MNT"
	[[ $output == "2:two" ]]
}

@test "pseudo files, /dev/null and pipes, which the daemon refuses, are searched through a copy" {
	both 0 -c Linux /proc/version
	both 0 -H Linux /proc/version t.txt
	both 1 -c x /dev/null
	both 0 -c '' /proc/sys/kernel/ostype
	run -0 timeout 30 "$VYRECTL" -m "$MNT" grep -c -E '^(MemTotal|MemFree):' /proc/meminfo
	[[ $output == 2 ]]
	run -0 timeout 30 "$VYRECTL" -m "$MNT" grep -H hello <(printf 'hello\n') t.txt
	[[ $output == /dev/fd/*:hello ]]
	both 2 -c x /nonexistent /dev/null
}

@test "-r names files as given: ./a, dir/a, no operand: a; -H only below a directory" {
	cd "$TREE"
	sorted_same C 0 -r hello .
	sorted_same C 0 -rn hello
	sorted_same C 0 -r hello sub
	sorted_same C 0 -r hello sub/
	sorted_same C 0 -r hello sub//
	sorted_same C 0 -r hello top.txt
	sorted_same C 0 -r hello top.txt sub
	sorted_same C 0 -rh hello .
	sorted_same C 0 -rc hello .
	sorted_same C 0 -rl hello .
	sorted_same C 0 -rL bye .
	sorted_same C 0 -rZl hello sub/deeper
	sorted_same C 0 -R hello "$TREE"
	sorted_same C 0 -d recurse hello .
	sorted_same C 2 -r hello . /nonexistent
	cd sub
	sorted_same C 0 -r hello ..
	sorted_same C 0 -rn hello ../top.txt deeper
}

@test "-r prints a tree in grep's order: each directory's entries in readdir order, preorder" {
	local d="$BATS_TEST_TMPDIR/order"
	mkdir -p "$d/dz" "$d/da"
	for n in zeta alpha mid b a c; do
		echo "hit $n" >"$d/$n"
	done
	echo "hit dz" >"$d/dz/f"
	echo "hit da" >"$d/da/g"
	echo "hit da2" >"$d/da/a"
	cd "$d"
	both 0 -r hit
	both 0 -rn hit .
	both 0 -rc hit
	both 0 -rl hit .
	both 1 -rL zzqq .
	both 0 -rZl hit .
	both 0 -r -A1 hit .
	both 0 -r --include='[abc]' hit .
	both 0 -r hit "$d"
}

@test "--include, --exclude, --exclude-from and --exclude-dir filter -r as grep" {
	cd "$TREE"
	sorted_same C 0 -r --include='*.txt' hello .
	sorted_same C 0 -r --include='*.c' hello
	sorted_same C 0 -r --exclude='*.txt' hello .
	sorted_same C 0 -r --exclude-dir=skip.d hello .
	sorted_same C 0 -r --exclude-dir='s*' hello .
	sorted_same C 0 -r --exclude-dir=deeper -c hello .
	sorted_same C 0 -rl --include='*.txt' --exclude='top*' hello .
	printf '*.c\ntop*\n' >"$BATS_TEST_TMPDIR/ex"
	sorted_same C 0 -r --exclude-from="$BATS_TEST_TMPDIR/ex" hello .
	sorted_same C 1 -r --include='*.none' hello .
	sorted_same C 0 --exclude='*.c' hello top.txt sub/b.c
	sorted_same C 0 --include='*.c' hello top.txt sub/b.c
}

@test "directories without -r: an error, or skipped with -d skip; -s keeps quiet" {
	both 2 a "$TREE" t.txt
	both 2 -c a "$TREE" t.txt
	both 0 -d skip a "$TREE" t.txt
	both 2 -s a /nonexistent t.txt
	run -2 timeout 30 "$VYRECTL" -m "$MNT" grep -s a /nonexistent t.txt
	[[ $output != *nonexistent* ]]
	run -2 timeout 30 "$VYRECTL" -m "$MNT" grep a /nonexistent
	[[ $output == *"/nonexistent: No such file or directory"* ]]
}

@test "exit status: 0 selected, 1 none, 2 an error even with a match, 0 for -q once a line is selected" {
	both 0 a t.txt
	both 1 zzqq t.txt
	both 2 a t.txt /nonexistent
	both 2 zzqq t.txt /nonexistent
	both 0 -q a /nonexistent t.txt
	both 0 -q a t.txt /nonexistent
	both 2 -q zzqq /nonexistent t.txt
	both 0 -s -q a /nonexistent t.txt
	# grep 3.8's -L exits on whether a line was selected, not on what it listed
	both 0 -L a t.txt
	both 1 -L zzqq t.txt
	both 1 -m 0 a t.txt
	both 0 -m -1 a t.txt
}

@test "-q answers at the first selected line and leaves no job; no job is ever left" {
	local before
	before=$(ls "$MNT/jobs" | wc -l)
	run -0 timeout 60 "$VYRECTL" -m "$MNT" grep -q GNU gpl.txt t.txt crlf.txt gpl.txt
	[[ -z $output ]]
	run -0 timeout 60 "$VYRECTL" -m "$MNT" grep -c GNU gpl.txt t.txt
	run -1 timeout 60 "$VYRECTL" -m "$MNT" grep zzqq gpl.txt t.txt
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

@test "a reader that goes away (| head -1) ends vyrectl by SIGPIPE, its jobs cancelled, its files removed" {
	local before
	seq 1 300000 >"$BATS_TEST_TMPDIR/big"
	before=$(ls "$MNT/jobs" | wc -l)
	run -0 timeout 120 bash -c '"$1" -m "$2" grep 1 "$3" "$3" - <"$3" | head -1
		echo "status=${PIPESTATUS[0]}"' _ "$VYRECTL" "$MNT" "$BATS_TEST_TMPDIR/big"
	[[ ${lines[0]} == "$BATS_TEST_TMPDIR/big:1" ]]
	[[ ${lines[1]} == status=141 ]]
	# GNU grep does the same
	run -0 timeout 60 bash -c 'grep 1 "$1" "$1" | head -1; echo "status=${PIPESTATUS[0]}"' \
		_ "$BATS_TEST_TMPDIR/big"
	[[ ${lines[1]} == status=141 ]]
	for _ in $(seq 50); do
		[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]] && break
		sleep 0.1
	done
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

@test "files before standard input or a FIFO are printed before it is read, as grep prints them" {
	local d=$BATS_TEST_TMPDIR pid n
	mkfifo "$d/fifo"
	# nobody writes to the FIFO until t.txt's lines are out: opening it waits
	timeout 120 "$VYRECTL" -m "$MNT" grep -H GPL t.txt "$d/fifo" >"$d/v.out" 2>"$d/v.err" &
	pid=$!
	for n in $(seq 300); do
		grep -q '^t.txt:GPL' "$d/v.out" && break
		sleep 0.1
	done
	run grep -c '^t.txt:' "$d/v.out"
	echo 'GPL from the fifo' >"$d/fifo"
	wait "$pid"
	[[ $output == "$(grep -c GPL t.txt)" ]]
	echo 'GPL from the fifo' | grep -H GPL t.txt - | sed "s|(standard input)|$d/fifo|" >"$d/g.out"
	cmp "$d/g.out" "$d/v.out"
}
