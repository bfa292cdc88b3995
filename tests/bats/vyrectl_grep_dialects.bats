#!/usr/bin/env bats
# vyrectl grep reads patterns as GNU grep 3.8 does: BRE by default (-G),
# rewritten into the daemon's ERE client-side (\| \+ \? \{ \} \( \) are
# the operators, | + ? { } ( ) literals, a leading * literal, ^ and $
# anchors only at the edges), -E and -F; -e repeated, -f FILE, --, a
# pattern with newlines. What no DFA can run (back-references, -P) is
# refused with a message that says why and exit 2.
load common
load vyrectl_grep_common

setup() {
	cd "$IN_DIR"
}

@test "BRE: | ( ) + ? { } are literals, \\| \\( \\) \\+ \\? \\{ \\} operators" {
	both 0 -n 'a|b' t.txt
	both 0 -n 'GPL(v3)' t.txt
	both 0 -n 'GPL\(v3\)' t.txt
	both 0 -n 'a\|b' t.txt
	both 0 -n 'a\+' t.txt
	both 0 -n 'ab\?c' t.txt
	both 0 -n 'x\{2\}' t.txt
	both 0 -n 'x\{2,\}' t.txt
	both 0 -n 'a\{,1\}b' t.txt
	both 0 -n '\(ab\)*c' t.txt
	both 0 -n '{1}a' t.txt
	both 1 -n 'a+' t.txt
}

@test "BRE: * is literal where an expression starts; ^ and \$ anchor only at the edges" {
	both 0 -n '*star' t.txt
	both 0 -n '^*star' t.txt
	both 0 -n '\(*star\)' t.txt
	both 0 -n 'a\|*star' t.txt
	both 0 -n 'x^y' t.txt
	both 0 -n 'a$b' t.txt
	both 0 -n 'e$' t.txt
	both 1 -n 'a\(^b\)' t.txt
	both 1 -n 'a\(b$\)c' t.txt
	both 0 -n '\{1\}a' t.txt
	both 0 -n 'a**' t.txt
	both 0 -n '[*]star' t.txt
	both 0 -n '[]a]' t.txt
	both 0 -n '[^]a]' t.txt
	both 0 -c '\.' gpl.txt
}

@test "ERE under -E; a lone ) is a literal as in grep; -F takes every byte literally" {
	both 0 -n -E 'a|b' t.txt
	both 0 -n -E 'GPL(v3)' t.txt
	both 0 -n -E 'GPL\(v3\)' t.txt
	both 0 -n -E 'v3)' t.txt
	both 0 -n -E '(ab)+c' t.txt
	both 0 -n -E 'x{2}' t.txt
	both 0 -n -F 'a|b' t.txt
	both 0 -n -F 'GPL(v3)' t.txt
	both 0 -n -F '*star' t.txt
	both 0 -n -F 'a$b' t.txt
	both 0 -n -F -x 'a$b' t.txt
	both 0 -n -F -w 'word' t.txt
	both 0 -n -G 'a\|b' t.txt
}

@test "-e repeated, -f FILE, -f -, --, and a pattern with newlines are sets of patterns" {
	both 0 -n -e 'a|b' -e GPL t.txt
	both 0 -n -E -e 'x{2}' -e '^the' t.txt
	printf 'a|b\n\\(v3\\)\n' >"$BATS_TEST_TMPDIR/pats"
	both 0 -n -f "$BATS_TEST_TMPDIR/pats" t.txt
	both 0 -n -f "$BATS_TEST_TMPDIR/pats" -e free t.txt
	IN="$BATS_TEST_TMPDIR/pats" both 0 -n -f - t.txt
	both 0 -n -- -word t.txt gpl.txt
	both 0 -c $'GPL\nfree' t.txt
	# a trailing newline adds the empty pattern, which matches every line
	both 0 -c $'GPL\n' t.txt
	# no pattern at all selects nothing, and reads nothing; with -v, every line
	both 1 -c -f /dev/null t.txt
	both 0 -c -v -f /dev/null t.txt
	both 1 -f /dev/null /nonexistent
}

@test "-x and -w wrap each pattern as grep does, with grep's word rule" {
	both 0 -n -x 'a' t.txt
	both 0 -n -x -e a -e ab t.txt
	both 0 -n -x 'a\|ab' t.txt
	both 0 -n -w 'word' t.txt
	both 0 -n -w 'word_word' t.txt
	both 0 -n -w 'ab' t.txt
	both 0 -n -w 'x*' t.txt
	both 0 -n -w '' t.txt
	both 0 -n -x '' t.txt
	both 0 -n -xw 'a' t.txt
	both 0 -n -w -E 'a|b' t.txt
	both 0 -n -w -i 'THE' t.txt gpl.txt
	both 0 -c -w 'is' gpl.txt
	both 0 -c -w -v 'the' gpl.txt
}

# refused COMMAND...: exits 2 with a one-line message naming why, submits nothing
refused() {
	local before
	before=$(ls "$MNT/jobs" | wc -l)
	run -2 timeout 30 "$VYRECTL" -m "$MNT" grep "$@"
	[[ $(ls "$MNT/jobs" | wc -l) -eq $before ]]
}

@test "back-references and -P are refused with exit 2 and why, nothing submitted" {
	refused '\(a\)\1' t.txt
	[[ $output == *"back-references"*"DFA"* ]]
	refused -E '(a)\1' t.txt
	[[ $output == *"back-references"* ]]
	refused -e ok -e '\(x\)\2' t.txt
	refused -P 'a(?=b)' t.txt
	[[ $output == *"-P"*"DFA"* ]]
	# a \1 in brackets is no back-reference
	both 0 -c '[\1]}a' t.txt gpl.txt
}

@test "bad command lines exit 2 as grep's do: conflicting matchers, bad counts, bad patterns" {
	both 2 -E -F a t.txt
	both 2 -F -G a t.txt
	both 0 -E -E 'a|b' t.txt
	both 2 -m x a t.txt
	both 2 -A x a t.txt
	both 2 'a\' t.txt
	both 2 'a\{1' t.txt
	both 2 'a\)' t.txt
	both 2 '\(a' t.txt
	both 2 -E '(a' t.txt
	both 2 --binary-files=nope a t.txt
	both 1 -d nope a t.txt
	both 2
	# grep 3.8 prints its --help and exits 0 here; vyrectl says what is wrong
	run -2 timeout 30 "$VYRECTL" -m "$MNT" grep --color=sometimes a t.txt
	[[ $output == *"invalid argument 'sometimes' for '--color'"* ]]
	run -2 timeout 30 "$VYRECTL" -m "$MNT" grep -z a t.txt
}
