#!/usr/bin/env bats
# per_pattern=1 where a chunk's set records overflow its slot (issue 26): a
# mount of 4K chunks has 1,024 records a slot, and the resume tile 512, so
# the GPL's 400 commonest words run each chunk several times from the
# cut (reruns=). Each line must still count once per pattern: counts and
# first patterns against grep -n -b -F -e, pattern by pattern.
load common

GPL=/usr/share/common-licenses/GPL-3

setup_file() {
	[ -r "$GPL" ] || skip "no $GPL"
	mount_vyrefs chunk=4K,gpu_timeout=60000
	P="$(mktemp -d /tmp/vyre-ppr.XXXXXX)"
	export P
	{
		tr -cs 'A-Za-z' '\n' <"$GPL" | LC_ALL=C sort | uniq -c | LC_ALL=C sort -k1,1nr -k2 |
			awk '{ print $2 }' | head -400
		printf 'e\nt\n \nth\n'
	} >"$P/pats"
	# a line matching 560 patterns, more than the 511 set records a pass
	# gives a line there: it goes open at the cap and continuations take the rest
	seq -f 'w%03gx' 0 599 >"$P/many.pats"
	{
		echo "a w001x b"
		seq -f 'w%03gx' 0 559 | tr '\n' ' '
		echo
		echo "w001x w599x w001x"
	} >"$P/many.dat"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${P:?}"
}

@test "400 words on GPL-3 in 4K chunks: reruns from the record cut count each line once per pattern" {
	local id
	id=$(submit "scan path=$GPL op=grep patterns=$P/pats fixed=1 per_pattern=1 lines=1")
	timeout 120 cat "$MNT/jobs/$id/wait" >/dev/null
	grep -qx state=done "$MNT/jobs/$id/status"
	[ "$(sed -n 's/^reruns=//p' "$MNT/jobs/$id/status")" -gt 0 ] # the cut was exercised
	pattern_ref "$P/pats" "$GPL"
	diff "$MNT/jobs/$id/patterns" "$R.counts"
	diff "$MNT/jobs/$id/lines" "$R.lines"
}

@test "a line matching 560 patterns, past the 511 a pass gives it: continuations record the rest" {
	local id
	id=$(submit "scan path=$P/many.dat op=grep patterns=$P/many.pats fixed=1 per_pattern=1 lines=1")
	timeout 120 cat "$MNT/jobs/$id/wait" >/dev/null
	grep -qx state=done "$MNT/jobs/$id/status"
	pattern_ref "$P/many.pats" "$P/many.dat"
	diff "$MNT/jobs/$id/patterns" "$R.counts"
	diff "$MNT/jobs/$id/lines" "$R.lines"
}
