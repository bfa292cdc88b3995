#!/usr/bin/env bats
# vyrectl grep --count-matches prints, as -c prints its counts, the number
# of matches of each FILE (not of lines): what GNU grep -o prints, counted
# by wc -l, and Python's re.findall on random text; -v counts selected
# lines (as ripgrep's --count-matches -v); -r trees list every file, a
# file without a match as 0, in grep -r -c's order; -l, -L and -q win.
load common
load vyrectl_grep_common

setup_file() {
	mount_with_inputs
	# random words of a small alphabet: matches overlap, repeat and touch
	python3 -c '
import random
r = random.Random(24)
with open("'"$IN_DIR"'/random.txt", "w") as f:
    for _ in range(3000):
        f.write(" ".join("".join(r.choice("abc") for _ in range(r.randint(1, 6)))
                         for _ in range(r.randint(0, 12))) + "\n")'
	export IN_DIR
}

setup() {
	cd "$IN_DIR"
}

# counts_same LOCALE ARGS... -- FILE...: vyrectl grep --count-matches ARGS
# FILE... prints each FILE's count of grep -o ARGS FILE | wc -l, as -c
# prints counts (FILE: prefixes for several), and exits as grep -c does
counts_same() {
	local loc=$1 d=$BATS_TEST_TMPDIR args=() files=() f n gs=0 vs=0
	shift
	while [[ $1 != -- ]]; do args+=("$1"); shift; done
	shift
	files=("$@")
	: >"$d/want"
	for f in "${files[@]}"; do
		n=$(LC_ALL=$loc timeout 60 grep -a -o "${args[@]}" "$f" | wc -l)
		if ((${#files[@]} > 1)); then echo "$f:$n"; else echo "$n"; fi >>"$d/want"
	done
	LC_ALL=$loc timeout 60 grep -c "${args[@]}" "${files[@]}" >/dev/null || gs=$?
	LC_ALL=$loc timeout 60 "$VYRECTL" -m "$MNT" grep --count-matches -a "${args[@]}" "${files[@]}" \
		</dev/null >"$d/got" 2>"$d/err" || vs=$?
	if [[ $vs -ne $gs ]] || ! cmp -s "$d/want" "$d/got"; then
		echo "LC_ALL=$loc vyrectl grep --count-matches ${args[*]} ${files[*]}: exit $vs, grep -c's $gs (< grep -o | wc -l, > vyrectl):" >&2
		diff "$d/want" "$d/got" | head -10 >&2
		head -3 "$d/err" >&2
		return 1
	fi
}

@test "--count-matches counts what grep -o prints, over patterns, dialects and options, in C and C.UTF-8" {
	local args loc
	local files=(gpl.txt t.txt crlf.txt nonl.txt empty.txt utf8.txt random.txt)
	for loc in C C.UTF-8; do
		while IFS= read -r args; do
			eval "counts_same $loc $args -- \"\${files[@]}\""
			eval "counts_same $loc $args -- gpl.txt"
		done <<'EOF'
-e a
-e the
-i -e the
-w -e the
-x -e ab
-E -e 'ab|ba'
-E -e '(ab)+'
-E -e 'a*'
-e 'x*'
-F -e a -e ab -e abc
-F -e '*star' -e 'a|b'
-G -e 'a\{2\}'
-e 'é' -e 'É'
-i -e 'é'
-E -e '[[:upper:]][a-z]+'
-m3 -e the
EOF
	done
}

@test "--count-matches agrees with Python's re.findall on random words" {
	local p want got
	for p in a ab abc ba cab 'a[bc]' 'b+'; do
		want=$(python3 -c 'import re,sys; print(len(re.findall(sys.argv[1], open("random.txt").read())))' "$p")
		got=$(timeout 60 "$VYRECTL" -m "$MNT" grep -E --count-matches "$p" random.txt)
		[[ $got == "$want" ]] || { echo "$p: vyrectl $got, python $want" >&2; return 1; }
	done
}

@test "--count-matches -v counts the selected lines, as grep -v -c; -l, -L and -q win over it, as over -c" {
	both 0 -v -c a t.txt gpl.txt
	local d=$BATS_TEST_TMPDIR
	timeout 60 "$VYRECTL" -m "$MNT" grep --count-matches -v a t.txt gpl.txt >"$d/v"
	LC_ALL=C timeout 60 grep -v -c a t.txt gpl.txt >"$d/g"
	cmp "$d/g" "$d/v"
	local o
	for o in -l -L -q; do
		gnu_same C 0 "$o" the gpl.txt t.txt empty.txt
		d=$BATS_TEST_TMPDIR
		timeout 60 "$VYRECTL" -m "$MNT" grep --count-matches "$o" the gpl.txt t.txt empty.txt >"$d/cm" || true
		cmp "$d/g.out" "$d/cm"
	done
}

@test "--count-matches -r lists every file of the tree in grep -r -c's order, 0 for a file without a match" {
	local d=$BATS_TEST_TMPDIR f n
	mkdir -p "$d/tree/sub"
	printf 'aa a\nb\n' >"$d/tree/one.txt"
	printf 'b\n' >"$d/tree/none.txt"
	printf 'a a a\n' >"$d/tree/sub/three.txt"
	cd "$d"
	LC_ALL=C timeout 60 grep -r -c a tree >"$d/gc"
	: >"$d/want"
	while IFS=: read -r f n; do
		echo "$f:$(grep -o a "$f" | wc -l)" >>"$d/want"
	done <"$d/gc"
	timeout 60 "$VYRECTL" -m "$MNT" grep -r --count-matches a tree >"$d/got"
	diff "$d/want" "$d/got"
	grep -qx 'tree/none.txt:0' "$d/got"
}
