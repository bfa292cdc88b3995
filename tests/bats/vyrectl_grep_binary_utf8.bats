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
	# C.UTF-8 grep also counts invalid bytes so; vyrectl does not: vyrectl(1))
	printf '\xdaself\nself\xda\n\xe9self\nselfé\n\x80self\nself\x80\nself\xe2\x80\nxself\n' \
		>"$BATS_TEST_TMPDIR/inv"
	gnu_same C 0 -c -w self "$BATS_TEST_TMPDIR/inv"
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
