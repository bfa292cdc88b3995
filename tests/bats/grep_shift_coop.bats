#!/usr/bin/env bats
# The bit-parallel engine's GPU path on lavapipe (VYRE_SHIFT_COOP=1, tests
# only: pump/ops/grep.c grep_coop): a tile pass gives each line part of
# its lane's budget, a line that costs more is listed open from its start,
# and its continuation runs it on all 256 lanes of the workgroup, each
# owning every 256th live word of the vector (shaders/ops/grep_shift.glsl
# shc_run). Checked against LC_ALL=C grep -a -E: lines that fill the vector
# (3,000 a's, 6,000-byte abcd runs) beside short ones,
# counts, -n -b records, invert=1, lines longer than a chunk (the vector
# handed from hop to hop between cooperative runs) and many files.
# grep_shift.bats runs the same engine without it, and .{20000} and 300
# EREs with exception edges: lavapipe steps a cooperative byte through
# all 32 of its lane groups on one core, so this file keeps few long lines.
# On lavapipe a chunk pass gives a line half its lane's 8,192 units, a
# byte costing 8 times its steps, so every long line here is handed on.
load common

setup_file() {
	export VYRE_SHIFT_COOP=1
	# a cold shader cache compiles the megakernel at the first dispatch
	mount_vyrefs gpu_timeout=60000
	S="$(mktemp -d /tmp/vyre-shcoop.XXXXXX)"
	export S
	python3 - "$S" <<'PY'
import random, sys
d = sys.argv[1]
random.seed(2612)
def short(out, n):
    for _ in range(n):
        out += bytes(random.choice(b"abcdx ") for _ in range(random.randrange(0, 90))) + b"\n"
out = bytearray()
short(out, 30)
for n in (3000, 2999):
    out += b"x" * random.randrange(0, 5) + b"a" * n + b"y\n"
    short(out, 8)
for n, brk in ((3000, False), (3000, True)):
    pairs = [random.choice([b"ab", b"cd"]) for _ in range(n)]
    if brk:
        pairs[1500] = b"ac"
    out += b"z" + b"".join(pairs) + b"\n"
    short(out, 8)
out += b"a" * 3000  # the last line, no final newline
open(d + "/mix.dat", "wb").write(bytes(out))
PY
	mkdir "$S/tree"
	head -c 9000 "$S/mix.dat" >"$S/tree/head.dat"
	tail -c 7000 "$S/mix.dat" >"$S/tree/tail.dat"
	printf 'short\nab\n' >"$S/tree/small.dat"
	return 0
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${S:?}"
}

# same FILE ERE [descriptor extras]: one job with lines=1 on the shift
# engine, whose result (-c) and lines (-n -b) equal grep's
same() {
	local f=$1 p=$2
	shift 2
	JID=$(submit "scan path=$f op=grep pattern=\"$p\" lines=1 $*")
	timeout 300 cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = done ]
	[ "$(status_key "$JID" engine)" = shift ]
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E -- "$p" "$f")" ]
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -n -b -a -E -- "$p" "$f" | cut -d: -f1,2)
}

@test "cooperative runs: a{3000}, (ab|cd){3000} and a set with optional parts equal grep -c, -n -b" {
	same "$S/mix.dat" 'a{3000}|(ab|cd){3000}|(a|b)?c{2}d|x.?y|^$'
	[ "$(cat "$MNT/jobs/$JID/result")" -ge 4 ] # the data has matches
}

@test "cooperative runs: lines longer than a chunk hand the vector on (chunk=4K), invert=1" {
	local p='(ab|cd){3000}|a{3000}'
	JID=$(submit "scan path=$S/mix.dat op=grep pattern=\"$p\" lines=1 invert=1 chunk=4K")
	timeout 300 cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = done ]
	[ "$(status_key "$JID" engine)" = shift ]
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -v -a -E "$p" "$S/mix.dat")" ]
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -v -n -b -a -E "$p" "$S/mix.dat" | cut -d: -f1,2)
}

@test "cooperative runs: many files equal grep -r -c" {
	JID=$(submit "scan path=$S/tree op=grep pattern=\"a{3000}|(ab|cd){3000}|short\"")
	timeout 300 cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = done ]
	[ "$(status_key "$JID" engine)" = shift ]
	diff <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$JID/files" | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a -E 'a{3000}|(ab|cd){3000}|short' "$S/tree" | LC_ALL=C sort)
}
