#!/usr/bin/env bats
# vyrectl over a tree: grep -r / -R print per-file results as GNU grep -r
# does (sorted by path: grep's own order is the directory's), one job per
# directory operand; scan --wait DIR prints PATH:RESULT per file.
load common

VYRECTL="$VYRE_ROOT/build/tools/vyrectl"
LIC=/usr/share/common-licenses

vyrectl() {
	"$VYRECTL" -m "$MNT" "$@"
}

setup_file() {
	mount_vyrefs
	T="$(mktemp -d /tmp/vyre-tree.XXXXXX)"
	export T
	mkdir -p "$T/d/sub"
	printf 'ERROR one\nok\nERROR two\n' > "$T/d/a"
	printf 'ok\n' > "$T/d/sub/b"
	printf 'ERROR x\n' > "$T/target"
	ln -s "$T/target" "$T/d/link"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${T:?}"
}

# by path, then line number: grep -r's order is readdir's
sorted() {
	LC_ALL=C sort -t: -k1,1 -k2,2n
}

@test "grep -r -c prints PATH:COUNT for every file, as grep -r -c -a" {
	diff <(vyrectl grep -r -c GNU "$LIC" | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a GNU "$LIC" | LC_ALL=C sort)
	diff <(vyrectl grep -r -c -E '^(import|from) ' /usr/lib/python3.11/json | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a -E '^(import|from) ' /usr/lib/python3.11/json | LC_ALL=C sort)
}

@test "grep -r -n prints PATH:LINE:text as grep -r -n -a, -b too" {
	diff <(vyrectl grep -r -n warranty "$LIC") <(LC_ALL=C grep -r -n -a warranty "$LIC")
	diff <(vyrectl grep -r -n -b -i 'free software' "$LIC") \
		<(LC_ALL=C grep -r -n -b -a -i 'free software' "$LIC")
	diff <(vyrectl grep -r -h ERROR "$T/d") <(LC_ALL=C grep -r -h -a ERROR "$T/d")
}

@test "grep -r skips symlinks below the directory, -R follows them" {
	[ "$(vyrectl grep -r -c ERROR "$T/d" | LC_ALL=C sort)" = "$T/d/a:2
$T/d/sub/b:0" ]
	[ "$(vyrectl grep -R -c ERROR "$T/d" | LC_ALL=C sort)" = "$T/d/a:2
$T/d/link:1
$T/d/sub/b:0" ]
	diff <(vyrectl grep -R -c ERROR "$T/d" | LC_ALL=C sort) \
		<(LC_ALL=C grep -R -c -a ERROR "$T/d" | LC_ALL=C sort)
}

@test "scan --wait DIR prints PATH:RESULT per file, as grep -r -c '' counts lines" {
	diff <(vyrectl scan --op=count --wait "$LIC" | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a '' "$LIC" | LC_ALL=C sort)
	# a file is still its one result
	[ "$(vyrectl scan --op=count --wait "$LIC/GPL-3")" = 674 ]
}
