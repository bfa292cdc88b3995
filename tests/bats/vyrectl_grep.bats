#!/usr/bin/env bats
# vyrectl grep prints what LC_ALL=C grep -a prints with the same arguments
# (run as LC_ALL=C vyrectl grep -a), byte for byte, and exits as it does: on files nobody here wrote (the GPL,
# every license text, Python's standard library, libLLVM's bytes), for
# literals, -i, -v, -F, EREs, anchors, -m, -e sets, -f sets of 1,000 words,
# -n, -b, -c and several files. The reference is GNU grep itself.
load common

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"
HS_GREP="$VYRE_ROOT/build/tools/hs_grep"
GPL=/usr/share/common-licenses/GPL-3
LLVM=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1

setup_file() {
	mount_vyrefs
	# Python's standard library, concatenated: 4-5 MB of text with long
	# lines, tabs, quotes and a few bytes over 0x7f
	PY="$BATS_FILE_TMPDIR/stdlib.py"
	cat /usr/lib/python3*/*.py >"$PY"
	# 1,000 distinct words of the file itself, every 7th of the sorted list
	WORDS="$BATS_FILE_TMPDIR/words"
	grep -a -o -E '[A-Za-z_]{4,}' "$PY" | LC_ALL=C sort -u | awk 'NR % 7 == 0' |
		head -1000 >"$WORDS"
	export PY WORDS
}

teardown_file() {
	unmount_vyrefs
}

vyrectl() {
	"$VYRECTL" -m "$MNT" "$@"
}

# to FILE CMD...: runs CMD with its standard output in FILE (for run)
to() {
	local f=$1
	shift
	"$@" >"$f"
}

# same_as_grep WANT ARGS...: LC_ALL=C grep -a ARGS exits WANT, and
# LC_ALL=C vyrectl grep -a ARGS prints the same bytes and exits the same
same_as_grep() {
	local want=$1 d=$BATS_TEST_TMPDIR gs
	shift
	run to "$d/grep.out" env LC_ALL=C grep -a "$@"
	gs=$status
	[[ $gs -eq $want ]] || { echo "grep -a $* exits $gs, the test wants $want" >&2; return 1; }
	run to "$d/vyrectl.out" env LC_ALL=C "$VYRECTL" -m "$MNT" grep -a "$@"
	if [[ $status -ne $gs ]]; then
		echo "vyrectl grep $*: exit $status, grep's $gs; it said: $output" >&2
		return 1
	fi
	run diff -a "$d/grep.out" "$d/vyrectl.out"
	if [[ $status -ne 0 ]]; then
		echo "vyrectl grep $*: differs from grep -a (< grep, > vyrectl):" >&2
		head -20 <<<"$output" >&2
		return 1
	fi
	if [[ $want -eq 0 && ! -s $d/grep.out ]]; then
		echo "grep -a $* printed nothing: a case that cannot fail" >&2
		return 1
	fi
}

@test "literals, -i, -v and -F on GPL-3 print the lines grep -a prints" {
	same_as_grep 0 -E Foundation "$GPL"
	same_as_grep 0 -E -i 'free software' "$GPL"
	same_as_grep 0 -E -v e "$GPL"
	same_as_grep 0 -F 'GNU General' "$GPL"
	same_as_grep 0 -F -i gnu "$GPL"
	same_as_grep 0 -F -v -i license "$GPL"
	same_as_grep 0 -F '(C)' "$GPL"
	same_as_grep 0 -E '.' "$GPL"
}

@test "EREs with alternation, classes, repetition and anchors select grep -E's lines" {
	same_as_grep 0 -E '^import (os|sys|re)$' "$PY"
	same_as_grep 0 -E '^def [a-z_]+\(' "$PY"
	same_as_grep 0 -E '[[:digit:]]{4,}' "$PY"
	same_as_grep 0 -E '^[[:space:]]*#' "$PY"
	same_as_grep 0 -E '(class|def) [A-Z][A-Za-z0-9]*' "$PY"
	same_as_grep 0 -E 'raise [A-Z][a-z]+(Error|Exception)' "$PY"
	same_as_grep 0 -E '[^ -~]' "$PY"
	same_as_grep 0 -E '^$' "$PY"
	same_as_grep 0 -E '^.{79}$' "$PY"
	same_as_grep 0 -E 'self\.[a-z_]+ = None$' "$PY"
	same_as_grep 0 -E '[A-Za-z]{30}' "$PY"
	same_as_grep 0 -E '(ab|cd)+e?f' "$PY"
	same_as_grep 0 -E -i '^(FROM|IMPORT) [a-z]+' "$PY"
	same_as_grep 0 -E '[[:upper:]]{3}[[:punct:]]' "$PY"
	same_as_grep 0 -E 'x*y+z?' "$PY"
}

@test "-n, -b and -n -b prefix LINE: and OFFSET: as grep does" {
	same_as_grep 0 -n -E License "$GPL"
	same_as_grep 0 -b -E License "$GPL"
	same_as_grep 0 -n -b -i -E warranty "$GPL"
	same_as_grep 0 -n -b -E '^class [A-Z]' "$PY"
	same_as_grep 0 -n -b -v -E '[a-z]' "$PY"
}

@test "-c counts the selected lines, with -v, -i and -m" {
	same_as_grep 0 -c -E GNU "$GPL"
	same_as_grep 0 -c -v -E GNU "$GPL"
	same_as_grep 0 -c -i -F gnu "$GPL"
	same_as_grep 0 -c -m 5 -E the "$GPL"
	same_as_grep 0 -c -E 'def |class ' "$PY"
}

@test "-m 5 stops after five selected lines, with -n -b and with -v" {
	same_as_grep 0 -m 5 -E the "$GPL"
	same_as_grep 0 -m 5 -n -b -E 'import' "$PY"
	same_as_grep 0 -m 5 -v -E the "$GPL"
	same_as_grep 1 -m 0 -E the "$GPL"
}

@test "-e a -e b is a set, through a 0600 file of the caller's that is gone afterwards" {
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir "$TMPDIR"
	same_as_grep 0 -E -e GNU -e 'Free [A-Z][a-z]+' "$GPL"
	same_as_grep 0 -n -F -e 'import os' -e 'import sys' -e '"""' "$PY"
	same_as_grep 0 -c -i -E -e '^def ' -e '^class ' "$PY"
	# grep takes a pattern with a newline as two patterns
	same_as_grep 0 -E $'GNU\nFoundation' "$GPL"
	[[ -z "$(ls -A "$TMPDIR")" ]]
}

@test "-f a file of 1,000 words of the file selects grep -f's lines" {
	[[ $(wc -l <"$WORDS") -eq 1000 ]]
	same_as_grep 0 -F -f "$WORDS" "$PY"
	same_as_grep 0 -c -F -f "$WORDS" "$PY"
	same_as_grep 0 -c -E -f "$WORDS" "$PY"
	same_as_grep 0 -n -b -i -F -f "$WORDS" "$PY"
	same_as_grep 0 -c -v -F -f "$WORDS" "$PY"
	same_as_grep 0 -c -F -f "$WORDS" -e 'GNU' "$PY" "$GPL"
}

@test "several files get FILE: prefixes; -h drops them and -H adds them for one" {
	lic=(/usr/share/common-licenses/*)
	[[ ${#lic[@]} -gt 5 ]]
	same_as_grep 0 -E 'GNU|Apache' "${lic[@]}"
	same_as_grep 0 -n -b -E 'warranty' "${lic[@]}"
	same_as_grep 0 -c -F -i 'copyright' "${lic[@]}"
	same_as_grep 0 -h -n -E 'GNU' "${lic[@]}"
	same_as_grep 0 -H -E 'GNU' "$GPL"
	same_as_grep 0 -H -c -E 'GNU' "$GPL"
	same_as_grep 0 -c -m 5 -E 'the' "$GPL" "$PY" "$GPL"
}

@test "libLLVM's bytes: lines of a binary print as grep -a prints them" {
	local bin="$BATS_TEST_TMPDIR/libLLVM.60-100M"
	[[ -r $LLVM ]] || skip "$LLVM is not installed"
	# three passes over its bytes 60 to 100 MiB (ten 4 MiB chunks; every
	# 'llvm::' line of the file and 25 of its 26 'X86...' lines are there):
	# over the whole 117 MB, at ~12 MB/s on lavapipe (BENCHMARKS.md), this
	# was the file's slowest test by far (161 s of 275 at load 10)
	dd if="$LLVM" of="$bin" bs=1M skip=60 count=40 status=none
	[[ $(stat -c %s "$bin") -eq $((40 << 20)) ]]
	same_as_grep 0 -c -F 'llvm::' "$bin"
	same_as_grep 0 -c -v -E '[a-z]' "$bin"
	same_as_grep 0 -n -b -m 50 -E 'X86[A-Z][a-z]+' "$bin"
}

@test "a pattern that matches nothing exits 1 and prints nothing (with -c, zeros)" {
	same_as_grep 1 -E 'zzqqxx_nowhere' "$GPL"
	same_as_grep 1 -F 'zzqqxx_nowhere' "$GPL" "$PY"
	same_as_grep 1 -c -E 'zzqqxx_nowhere' "$GPL" "$PY"
	same_as_grep 1 -v -E '' "$GPL"
}

@test "a missing file or a directory exits 2 with grep's message; the other files still print" {
	same_as_grep 2 -E GNU "$GPL" /nonexistent/file
	same_as_grep 2 -c -E GNU /nonexistent/file "$GPL" /usr/share
	run vyrectl grep -E GNU /nonexistent/file
	[[ $status -eq 2 ]]
	[[ $output == "vyrectl grep: /nonexistent/file: No such file or directory" ]]
}

@test "a pattern the daemon refuses exits 2 with its error: line and leaves no job" {
	before=$(ls "$MNT/jobs" | wc -l)
	run vyrectl grep -E 'a(b' "$GPL" "$PY"
	[[ $status -eq 2 ]]
	[[ $output == "error: "* ]]
	[[ $(wc -l <<<"$output") -eq 1 ]]
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

@test "patterns with blanks, quotes, backslashes, high bytes, or over 256 bytes arrive as given" {
	long=$(head -60 "$WORDS" | paste -sd '|')
	[[ ${#long} -gt 256 ]]
	same_as_grep 0 -E "$long" "$PY"
	same_as_grep 0 -F -e "$long" -e "$(sed -n 200p "$PY")" "$PY"
	same_as_grep 0 -F '\n' "$PY"
	same_as_grep 0 -F '"\\"' "$PY"
	same_as_grep 0 -F "'\"'" "$PY"
	same_as_grep 0 -E 'print\("' "$PY"
	same_as_grep 0 -E $'\t' "$PY"
	same_as_grep 0 -F ')  # ' "$PY" "$GPL"
	same_as_grep 0 -E $'[\x80-\xff]' "$PY"
}

@test "a relative FILE is taken from the current directory and printed as given" {
	cd "$(dirname "$GPL")"
	same_as_grep 0 -E GNU GPL-3 LGPL-3
	same_as_grep 0 -c -E GNU ./GPL-3
}

@test "a FILE whose name holds a backslash is that file, not the glob it spells" {
	# the daemon reads a backslash in path= as a glob escape: a\b would match ab
	d=$BATS_TEST_TMPDIR
	printf 'one GNU\n' >"$d/a\\b"
	printf 'GNU\nGNU\nGNU\n' >"$d/ab"
	same_as_grep 0 -c GNU "$d/a\\b"
	same_as_grep 0 -n GNU "$d/a\\b" "$d/ab"
}

@test "grep leaves no job behind" {
	before=$(ls "$MNT/jobs" | wc -l)
	run vyrectl grep -c -E GNU "$GPL" "$PY"
	[[ $status -eq 0 ]]
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

@test "usage errors exit 2 before anything is submitted" {
	before=$(ls "$MNT/jobs" | wc -l)
	run vyrectl grep -E -F GNU "$GPL"
	[[ $status -eq 2 ]]
	[[ $output == *"conflicting matchers"* ]]
	run vyrectl grep
	[[ $status -eq 2 ]]
	[[ $output == *"Try 'vyrectl grep --help'"* ]]
	run vyrectl grep -m x GNU "$GPL"
	[[ $status -eq 2 ]]
	run vyrectl grep -P GNU "$GPL"
	[[ $status -eq 2 ]]
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

# hs_same THREADS ARGS... FILE: hs_grep -t THREADS ARGS prints the count
# LC_ALL=C grep -a -c -E ARGS (-F ARGS with -F) prints, and exits as it does
hs_same() {
	local t=$1 m=-E want ws
	shift
	[[ " $* " == *" -F "* ]] && m=-F
	run env LC_ALL=C grep -a -c "$m" "$@"
	want=$output ws=$status
	run "$HS_GREP" -t "$t" "$@"
	if [[ $status -ne $ws || $output != "$want" ]]; then
		echo "hs_grep -t $t $*: $output (exit $status), grep -c: $want (exit $ws)" >&2
		return 1
	fi
}

# hs_grep, the Hyperscan peer of tools/bench, is only worth its numbers if
# it counts what grep -c counts
@test "hs_grep counts the lines grep -c counts, on 1 and on 3 threads" {
	[[ -x $HS_GREP ]] || skip "hs_grep was not built (libhs was not found)"
	for t in 1 3; do
		for f in "$GPL" "$PY"; do
			hs_same "$t" -e Foundation "$f"
			hs_same "$t" -i -e 'free software' "$f"
			hs_same "$t" -F -e GNU "$f"
			hs_same "$t" -e '^[[:space:]]*#' "$f"
			hs_same "$t" -e '[A-Za-z]{30}' "$f"
			hs_same "$t" -e '(class|def) [A-Z]' "$f"
			hs_same "$t" -e '^$' "$f"
			hs_same "$t" -v -e 'e' "$f"
			hs_same "$t" -e 'zzqqxx_nowhere' "$f"
			hs_same "$t" -F -f "$WORDS" "$f"
		done
	done
	[[ -r $LLVM ]] || return 0
	hs_same 2 -F -e 'llvm::' "$LLVM"
	hs_same 2 -e 'LLVM_[A-Z]+' "$LLVM"
}
