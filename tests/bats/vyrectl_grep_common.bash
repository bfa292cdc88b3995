# Shared by the vyrectl_grep_*.bats files that compare vyrectl grep with GNU
# grep: the runner gnu_same (and both), make_inputs, and the files' mount
# (setup_file; common.bash's teardown_file unmounts it), loaded after common.


VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"

# gnu_same LOCALE WANT ARGS...: GNU grep ARGS, under LC_ALL=LOCALE, exits
# WANT; vyrectl grep ARGS prints the same bytes on standard output and
# exits the same. Standard input is $IN (default /dev/null); each command
# is bounded by timeout.
gnu_same() {
	local loc=$1 want=$2
	shift 2
	gnu_grep "$loc" "$@"
	if [[ $GS -ne $want ]]; then
		echo "LC_ALL=$loc grep $*: exit $GS, the test wants $want" >&2
		return 1
	fi
	vyrectl_as_grep "$loc" "$@"
}

# gnu_grep LOCALE ARGS...: GNU grep's answer in $BATS_TEST_TMPDIR/g.out,
# its exit in GS
gnu_grep() {
	local loc=$1
	shift
	GS=0
	LC_ALL=$loc timeout 60 grep "$@" <"${IN:-/dev/null}" >"$BATS_TEST_TMPDIR/g.out" \
		2>"$BATS_TEST_TMPDIR/g.err" || GS=$?
}

# vyrectl_as_grep LOCALE ARGS...: vyrectl grep ARGS prints what gnu_grep
# left in g.out and exits GS
vyrectl_as_grep() {
	local loc=$1 d=$BATS_TEST_TMPDIR vs=0
	shift
	LC_ALL=$loc timeout 60 "$VYRECTL" -m "$MNT" grep "$@" <"${IN:-/dev/null}" \
		>"$d/v.out" 2>"$d/v.err" || vs=$?
	if [[ $vs -ne $GS ]] || ! cmp -s "$d/g.out" "$d/v.out"; then
		echo "LC_ALL=$loc vyrectl grep $*: exit $vs, grep's $GS (< grep, > vyrectl):" >&2
		diff -a "$d/g.out" "$d/v.out" | head -20 | cut -c1-200 >&2
		head -5 "$d/v.err" >&2
		return 1
	fi
}

# both WANT ARGS...: gnu_same in the C locale and in C.UTF-8
both() {
	gnu_same C "$@"
	gnu_same C.UTF-8 "$@"
}

# make_inputs DIR: small files of every shape grep meets: text, a real
# license, CRLF, no final newline, empty, NULs early and late, UTF-8
# with an invalid line
make_inputs() {
	mkdir -p "$1"
	cp /usr/share/common-licenses/GPL-3 "$1/gpl.txt"
	printf '%s\n' 'a|b' ab a 'GPL(v3)' GPLv3 '*star' 'x^y' 'a$b' '{1}a' aa like lice '' \
		'abc ababc' 'xx xxx' the 'The end' '12 34' 'free fre' 'word-word word_word' \
		$'\ttab' >"$1/t.txt"
	printf 'one\r\ntwo a\r\n\r\nthree\r\n' >"$1/crlf.txt"
	printf 'last a line\nno newline a' >"$1/nonl.txt"
	: >"$1/empty.txt"
	printf 'a\0b\nab\n' >"$1/bin.dat"
	{
		echo 'match a'
		head -c 100000 /dev/zero | tr '\0' y
		printf '\nmatch\0 a\nmatch a\n'
	} >"$1/late.dat"
	printf 'é\nÉ\nb\n\xff\xfe a\nnaïve café\nΣσς\n日本語\n—a\néa\nÀ la\n' >"$1/utf8.txt"
}

# mount_with_inputs: the file's mount, and make_inputs in IN_DIR (exported)
mount_with_inputs() {
	mount_vyrefs
	IN_DIR="$BATS_FILE_TMPDIR/in"
	make_inputs "$IN_DIR"
	export IN_DIR
}

# a file that needs more than the mount and the inputs defines its own
setup_file() {
	mount_with_inputs
}

# gnu_same_any LOCALE ARGS...: gnu_same with whatever exit grep gives (grep
# runs once: a second run for its exit alone was ~40% of a matrix case)
gnu_same_any() {
	local loc=$1
	shift
	gnu_grep "$loc" "$@"
	vyrectl_as_grep "$loc" "$@"
}
