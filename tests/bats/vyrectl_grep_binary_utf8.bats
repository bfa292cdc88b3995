#!/usr/bin/env bats
# vyrectl grep treats binary files and UTF-8 as GNU grep 3.8 does: a NUL in
# the first 96 KiB makes a file binary (its matches become "binary file
# matches" on stderr, its NULs line ends for -c), a NUL later hides the
# lines from its block on; in C.UTF-8 '.', brackets, classes, \w and -i
# match characters, an invalid line is skipped, and -a prints it all.
load common
load vyrectl_grep_common

setup() {
	cd "$IN_DIR"
}

@test "a NUL in the first 96 KiB: binary file matches on stderr, exit 0; -a prints the lines" {
	both 0 a bin.dat
	both 0 -n a bin.dat t.txt
	both 0 -a a bin.dat
	both 0 --binary-files=text -n a bin.dat
	both 0 -l a bin.dat t.txt
	both 1 zzqq bin.dat
	run -0 timeout 30 "$VYRECTL" -m "$MNT" grep a bin.dat
	[[ $output == *"bin.dat: binary file matches" ]]
	[[ ${#lines[@]} -eq 1 ]]
	run -0 timeout 30 "$VYRECTL" -m "$MNT" grep -q a bin.dat
	[[ -z $output ]]
}

@test "a binary file's NULs end lines for -c, -v and patterns, as grep's; not under -a" {
	both 0 -c 'a\|b' bin.dat
	both 0 -c -v a bin.dat
	both 1 -c 'a.b' bin.dat
	both 0 -c -a 'a.b' bin.dat
	both 0 -c '^b$' bin.dat
	both 0 -c -x b bin.dat
	IN=bin.dat both 0 -c 'a\|b'
}

@test "-I and --binary-files=without-match: a binary file matches nothing" {
	both 0 -I a bin.dat t.txt
	both 0 -I -c a bin.dat t.txt
	both 0 -I -l a bin.dat t.txt
	both 0 -I -L a bin.dat t.txt
	both 1 -I a bin.dat
	both 0 --binary-files=without-match -c a bin.dat t.txt
}

@test "a NUL past the first 96 KiB: the lines before it print, then binary file matches" {
	both 0 -n 'match' late.dat
	both 0 -n -A1 'match' late.dat t.txt
	both 0 -c 'match' late.dat
	both 0 -a -c 'match' late.dat
}

@test "-I and a NUL past the first 96 KiB: the lines before it print, but the file selected nothing (exit 1, no message), as grep 3.8" {
	both 1 -I match late.dat
	both 1 -I -n -H match late.dat t.txt
	both 0 -I -e match -e GPL late.dat t.txt
	both 1 -I -c match late.dat
	both 0 -I -c -m1 match late.dat
	# -c -m2 -I: grep reads past the NUL to the second match and counts 0;
	# vyrectl's count job says nothing of where that match is (vyrectl(1))
	both 0 -I -m1 -n match late.dat
	both 0 -I -l match late.dat
	both 1 -I -v -c zzqq late.dat
	run -1 timeout 30 "$VYRECTL" -m "$MNT" grep -I match late.dat
	[[ $output == "match a" ]]
}

@test "context after a binary file's hidden match gets grep's -- separator" {
	both 0 -n -A1 a bin.dat crlf.txt
	both 0 -n -C1 a bin.dat t.txt
}

@test "C.UTF-8: . and brackets match characters, invalid bytes match no ." {
	gnu_same C.UTF-8 0 -c '^.$' utf8.txt
	gnu_same C.UTF-8 0 -n '^..$' utf8.txt
	gnu_same C.UTF-8 0 -n -E '^.{3}$' utf8.txt
	gnu_same C.UTF-8 0 -n '^[^a]$' utf8.txt
	gnu_same C.UTF-8 0 -n '[éÉ]' utf8.txt
	gnu_same C.UTF-8 0 -n '^[^[:alpha:]]' utf8.txt
	gnu_same C.UTF-8 0 -n '[[:upper:]]' utf8.txt
	gnu_same C.UTF-8 0 -n '[[:alpha:]][[:alpha:]]' utf8.txt
	gnu_same C.UTF-8 0 -n '\w\w\w' utf8.txt
	gnu_same C.UTF-8 0 -n '\W' utf8.txt
	gnu_same C.UTF-8 0 -n -x '...' utf8.txt
	gnu_same C.UTF-8 0 -n '.' utf8.txt
	gnu_same C.UTF-8 1 -c -v '.' utf8.txt
	# the same in the C locale: bytes
	gnu_same C 0 -c '^.$' utf8.txt
	gnu_same C 0 -n '^..$' utf8.txt
	gnu_same C 0 -n '[éÉ]' utf8.txt
	gnu_same C 0 -n '[[:alpha:]][[:alpha:]]' utf8.txt
}

@test "C.UTF-8: -i folds non-ASCII letters, -w knows non-ASCII letters are word characters" {
	gnu_same C.UTF-8 0 -n -i 'é' utf8.txt
	gnu_same C.UTF-8 0 -n -i 'É' utf8.txt
	gnu_same C.UTF-8 0 -n -i 'σ' utf8.txt
	gnu_same C.UTF-8 0 -n -i -F 'CAFÉ' utf8.txt
	gnu_same C.UTF-8 0 -n -i '[à]' utf8.txt
	gnu_same C.UTF-8 0 -n -w 'a' utf8.txt
	gnu_same C.UTF-8 0 -n -w 'la' utf8.txt
	gnu_same C.UTF-8 0 -n -x -i 'éa' utf8.txt
	gnu_same C 0 -n -i 'é' utf8.txt
	gnu_same C 0 -n -w 'a' utf8.txt
	# bytes over 0x7f are non-word characters to -w in the C locale (in
	# C.UTF-8 the invalid ones: the next test)
	printf '\xdaself\nself\xda\n\xe9self\nselfé\n\x80self\nself\x80\nself\xe2\x80\nxself\n' \
		>"$BATS_TEST_TMPDIR/inv"
	gnu_same C 0 -c -w self "$BATS_TEST_TMPDIR/inv"
}

@test "C.UTF-8: -w takes bytes that are no valid character for word edges, as grep 3.8 (tools/vyrectl_grep_word.c)" {
	local f="$BATS_TEST_TMPDIR/edges" o
	# every kind of invalid byte before and after a word: lone leads, lone
	# continuations, truncated, overlong and surrogate sequences, four
	# continuations in a row, c0 c1 fe ff; and valid neighbours that are
	# word characters (é) or not (—), which must still decide
	printf '%b\n' 'abc\xffdef' '\xffabc' 'abc\xff' 'x\xc3\xa9\xa9abc' '\xc3abc' '\xa9abc' \
		'abc\xc3' 'abc\xe9\xa9' 'abcé' 'éabc' '—abc—' '\xe9\xa9abc' 'zz\xa9\xa9\xa9\xa9abc' \
		'\xf0\x9f\x98abc' 'abc\xf0\x9f\x98' '\xe0\x80abc\xe0\x80' '\xed\xa0abc\xed\xa0\x80' \
		'\xc0abc\xc1' '\xfeabc\xfe' 'é\xa9abc' 'abc\xe1\x80x' 'abc\xe1\x80\x80' '\xe1\x80\x80abc' \
		'a\xa9b é' 'naïve café' '\xf0\x90\x80\x80abc' >"$f"
	for o in -w -ow -vw -cw -nw -iw; do
		gnu_same_any C.UTF-8 -a $o abc "$f" || return 1
	done
	gnu_same_any C.UTF-8 -a -nw -e abc -e b -e é "$f"
	gnu_same_any C.UTF-8 -a -cw -E '[[:alpha:]]+' "$f"
	gnu_same_any C.UTF-8 -a -nw -F -e 'café' -e naïve "$f"
	gnu_same_any C.UTF-8 -nw abc "$f" # binary file matches
	# many -w patterns in one job: the edges wrap their alternation once
	grep -oE '[a-z]{5,}' gpl.txt | sort -u | head -300 >"$BATS_TEST_TMPDIR/words"
	gnu_same_any C.UTF-8 -cw -f "$BATS_TEST_TMPDIR/words" gpl.txt utf8.txt
}

@test "C.UTF-8: a line that is not UTF-8 is skipped and reported, as grep 3.8; -a prints it" {
	gnu_same C.UTF-8 0 -n 'a' utf8.txt
	gnu_same C.UTF-8 0 -c 'a' utf8.txt
	gnu_same C.UTF-8 0 -n -a 'a' utf8.txt
	gnu_same C 0 -n 'a' utf8.txt
	run -0 env LC_ALL=C.UTF-8 timeout 30 "$VYRECTL" -m "$MNT" grep -n a utf8.txt
	[[ $output == *"utf8.txt: binary file matches"* ]]
}

@test "C.UTF-8: a range with a non-ASCII end is an error, as glibc makes it for grep" {
	gnu_same C.UTF-8 2 '[é-ê]' utf8.txt
	gnu_same C.UTF-8 2 '[a-é]' utf8.txt
	gnu_same C 0 -c '[é-ê]' utf8.txt
}

# utf8_inputs: the generated mixed file (valid, invalid and both on a
# line) and generated EREs with '.', brackets, classes and letters whose
# -i counterparts are irregular (tests/helpers/utf8_patterns.py)
utf8_inputs() {
	local gen=$VYRE_ROOT/tests/helpers/utf8_patterns.py
	MIX="$BATS_FILE_TMPDIR/mixed.txt"
	PATS="$BATS_FILE_TMPDIR/pats.tsv"
	[[ -s $MIX ]] || timeout 30 /usr/bin/python3 "$gen" 11 0 input "$MIX"
	[[ -s $PATS ]] || timeout 30 /usr/bin/python3 "$gen" 11 "${VYRE_UTF8_PATTERNS:-30}" >"$PATS"
}

@test "utf8=1 on ctl: generated patterns select grep's lines on UTF-8, invalid and mixed lines, with and without icase=1" {
	utf8_inputs
	local p d i id want got n=0 bad=0
	while IFS=$'\t' read -r p d; do
		for i in "" " icase=1"; do
			n=$((n + 1))
			id=$(submit "scan path=$MIX op=grep pattern=\"$d\" utf8=1 lines=1$i")
			[[ $id =~ ^[0-9]+$ ]] || { echo "ctl refused '$p'$i: $id" >&2; bad=$((bad + 1)); continue; }
			wait_job "$id"
			want=$(LC_ALL=C.UTF-8 timeout 30 grep -a -n -b -E ${i:+-i} -- "$p" "$MIX" | cut -d: -f1,2)
			got=$(cat "$MNT/jobs/$id/lines")
			if [[ $got != "$want" ]]; then
				echo "pattern '$p'$i: jobs/$id/lines differ from LC_ALL=C.UTF-8 grep -a -n -b -E" >&2
				diff <(echo "$want") <(echo "$got") | head -5 >&2
				bad=$((bad + 1))
			fi
		done
	done <"$PATS"
	echo "$n cases, $bad differences" >&2
	[[ $n -ge 60 && $bad -eq 0 ]]
}

@test "utf8=1 on ctl: patterns= of many generated patterns, fixed=1 icase=1 literals, the key in jobs/N/descriptor" {
	utf8_inputs
	cut -f1 "$PATS" >"$BATS_TEST_TMPDIR/p"
	run -0 result_of "scan path=$MIX op=grep patterns=$BATS_TEST_TMPDIR/p utf8=1"
	[[ $output == "$(LC_ALL=C.UTF-8 grep -a -c -E -f "$BATS_TEST_TMPDIR/p" "$MIX")" ]]
	run -0 result_of "scan path=$MIX op=grep patterns=$BATS_TEST_TMPDIR/p utf8=1 icase=1 invert=1"
	[[ $output == "$(LC_ALL=C.UTF-8 grep -a -c -v -i -E -f "$BATS_TEST_TMPDIR/p" "$MIX")" ]]
	# -F -i: ſ for s, K for k (not the Kelvin sign), ı for i, ς for σ (dfa.c's folding)
	printf '%s\n' s ſ S K k $'\u212a' i I ı σ ς Σ É é ß ẞ ǅ µ Μ μ 'straſse' >"$BATS_TEST_TMPDIR/f"
	local w
	for w in s k $'\u212a' I ı Σ é ß ǅ μ STRASSE; do
		run -0 result_of "scan path=$BATS_TEST_TMPDIR/f op=grep pattern=\"$w\" fixed=1 icase=1 utf8=1"
		[[ $output == "$(LC_ALL=C.UTF-8 grep -c -F -i -- "$w" "$BATS_TEST_TMPDIR/f")" ]] ||
			{ echo "-F -i $w: $output" >&2; return 1; }
		run -0 result_of "scan path=$BATS_TEST_TMPDIR/f op=grep pattern=\"^$w\$\" icase=1 utf8=1"
		[[ $output == "$(LC_ALL=C.UTF-8 grep -c -x -i -- "$w" "$BATS_TEST_TMPDIR/f")" ]] ||
			{ echo "-x -i $w: $output" >&2; return 1; }
	done
	id=$(submit "scan path=$MIX op=grep pattern=. utf8=1")
	[[ $(cat "$MNT/jobs/$id/descriptor") == *" utf8=1"* ]]
	# without utf8=1 the same ctl counts bytes, as LC_ALL=C grep
	run -0 result_of "scan path=$MIX op=grep pattern=\"^.\$\""
	[[ $output == "$(LC_ALL=C grep -a -c '^.$' "$MIX")" ]]
	run ! bash -c "echo 'scan path=$MIX op=grep pattern=a utf8=2' >'$MNT/ctl'"
	run ! bash -c "echo 'scan path=$MIX op=count utf8=1' >'$MNT/ctl'"
}

@test "utf8=1 on ctl: a non-ASCII range end is refused at the write, naming the fix" {
	exec 7<>"$MNT/ctl"
	run ! bash -c "echo 'scan path=$IN_DIR/utf8.txt op=grep pattern=\"[é-ê]\" utf8=1' >&7"
	read -r -t 5 answer <&7 || true
	exec 7>&-
	[[ $answer == *"invalid collation character"*"list the characters"* ]]
}

@test "vyrectl grep in C.UTF-8: generated patterns print grep's lines (-a -n, -i, -c -v) on mixed input" {
	utf8_inputs
	local p n=0 bad=0
	while IFS=$'\t' read -r p _; do
		n=$((n + 1))
		case $((n % 4)) in
		0) gnu_same_any C.UTF-8 -a -n -E -e "$p" "$MIX" || bad=$((bad + 1)) ;;
		1) gnu_same_any C.UTF-8 -a -n -i -E -e "$p" "$MIX" || bad=$((bad + 1)) ;;
		2) gnu_same_any C.UTF-8 -c -v -E -e "$p" "$MIX" "$IN_DIR/utf8.txt" || bad=$((bad + 1)) ;;
		3) gnu_same_any C.UTF-8 -n -i -E -e "$p" "$IN_DIR/utf8.txt" || bad=$((bad + 1)) ;;
		esac
	done <"$PATS"
	echo "$n cases, $bad differences" >&2
	[[ $n -ge 30 && $bad -eq 0 ]]
}
