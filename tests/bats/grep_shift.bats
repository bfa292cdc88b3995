#!/usr/bin/env bats
# Patterns no DFA holds run on the bit-parallel engine on the GPU (issue
# 26; shaders/ops/grep_shift.glsl) and select what LC_ALL=C grep -a -E
# selects: a{3000}, .{20000} and (ab|cd){3000} on lines that match them
# (3,000+ a's, 6,000-byte abcd runs, 20,000-byte lines: longer than a
# lane's budget, so open lines are continued and hand their state vector
# from hop to hop; with chunk=4K longer than a chunk too) and on real
# files, 300 generated EREs (exception edges), -c, -v, -n -b, -m, -i,
# UTF-8 and many files. status says engine=shift. Only what breaks the
# engine's bounds fails E2BIG, naming the pattern.
load common

GPL=/usr/share/common-licenses/GPL-3

setup_file() {
	[ -r "$GPL" ] || skip "no $GPL"
	# a cold shader cache compiles the megakernel at the first dispatch
	mount_vyrefs gpu_timeout=60000
	S="$(mktemp -d /tmp/vyre-shift.XXXXXX)"
	export S
	python3 - "$S" "$GPL" <<'PY'
import random, re, sys
d, gpl = sys.argv[1], sys.argv[2]
random.seed(2026)
pr = bytes(range(32, 127))
def short(out, n):
    for _ in range(n):
        out += bytes(random.choice(b"abcdx ") for _ in range(random.randrange(0, 90))) + b"\n"
# a{3000}: runs of a's just over, at and under 3,000, inside other bytes
out = bytearray()
short(out, 20)
for n in (3000, 3001, 2999, 3100):
    out += b"x" * random.randrange(0, 5) + b"a" * n + b"y\n"
    short(out, 10)
out += b"a" * 3000  # the last line, no final newline
open(d + "/a.dat", "wb").write(bytes(out))
# (ab|cd){3000}: 3,000 pairs, 2,999, and 3,000 broken in the middle
out = bytearray()
short(out, 15)
for n, brk in ((3000, False), (2999, False), (3000, True), (3001, False)):
    pairs = [random.choice([b"ab", b"cd"]) for _ in range(n)]
    if brk:
        pairs[1500] = b"ac"
    out += b"z" + b"".join(pairs) + b"\n"
    short(out, 5)
open(d + "/abcd.dat", "wb").write(bytes(out))
# .{20000}: 20,000 bytes and 19,999
out = bytearray()
short(out, 20)
out += bytes(random.choice(pr) for _ in range(20000)) + b"\n"
short(out, 20)
out += bytes(random.choice(pr) for _ in range(19999)) + b"\n"
short(out, 5)
open(d + "/dot.dat", "wb").write(bytes(out))
# 300 EREs from the GPL's words, alternatives of different lengths
words = sorted(set(re.findall(rb"[A-Za-z]{3,12}", open(gpl, "rb").read())))
pats = []
for i in range(300):
    w, v = random.choice(words), random.choice(words)
    pats.append([b"(%s|%s) [a-z]{2,4}" % (w, v), b"%s[0-9]+%s" % (w, v[:3]),
                 b"(%s|%s|%s%s)+ " % (w, v, v, w), b"[A-Z]%s: [0-9]{1,3}" % w[1:],
                 b"%s.{0,12}%s" % (w, v)][i % 5])
open(d + "/ere300.pats", "wb").write(b"\n".join(pats) + b"\n")
PY
	# a slice of real logs and headers, whole lines
	if [ -r /var/log/dpkg.log ]; then
		head -c 40000 /var/log/dpkg.log | sed '$d' >"$S/dpkg.log"
	fi
	mkdir "$S/tree"
	cp "$GPL" "$S/tree/"
	cp "$S/a.dat" "$S/abcd.dat" "$S/tree/"
	[ -r /usr/include/stdio.h ] && cp /usr/include/stdio.h "$S/tree/"
	return 0
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${S:?}"
}

# job DESCRIPTOR: common.bash's, with 300 s, and run on the shift engine
job() {
	JID=$(submit "$1")
	timeout 300 cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = done ]
	[ "$(status_key "$JID" engine)" = shift ]
}

# same FILE ERE [descriptor extras]: one job with lines=1, whose result
# (-c) and lines (-n -b) equal grep's
same() {
	local f=$1 p=$2
	shift 2
	job "scan path=$f op=grep pattern=\"$p\" lines=1 $*"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E -- "$p" "$f")" ]
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -n -b -a -E -- "$p" "$f" | cut -d: -f1,2)
}

@test "a{3000}, (ab|cd){3000}, .{20000} on lines that match them equal grep -c and -n -b" {
	same "$S/a.dat" 'a{3000}'
	[ "$(cat "$MNT/jobs/$JID/result")" -ge 4 ] # the data has matches
	same "$S/abcd.dat" '(ab|cd){3000}'
	[ "$(cat "$MNT/jobs/$JID/result")" -ge 2 ]
	same "$S/dot.dat" '.{20000}'
	[ "$(cat "$MNT/jobs/$JID/result")" -eq 1 ]
}

@test "lines longer than a chunk: the state vector crosses chunks and hops (chunk=4K)" {
	same "$S/a.dat" 'a{3000}' chunk=4K
	job "scan path=$S/abcd.dat op=grep pattern=\"(ab|cd){3000}|x\" chunk=4K"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E '(ab|cd){3000}|x' "$S/abcd.dat")" ]
}

@test "real files: the three with a word, and 300 generated EREs (exception edges)" {
	same "$GPL" 'a{3000}|GNU|.{20000}|^$|(ab|cd){3000}'
	for f in /usr/include/stdio.h "$S/dpkg.log"; do
		[ -r "$f" ] || continue
		job "scan path=$f op=grep pattern=\"a{3000}|install|FILE|^$|(ab|cd){3000}\""
		[ "$(cat "$MNT/jobs/$JID/result")" = \
			"$(LC_ALL=C grep -c -a -E 'a{3000}|install|FILE|^$|(ab|cd){3000}' "$f")" ]
	done
	job "scan path=$GPL op=grep patterns=$S/ere300.pats lines=1"
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -n -b -a -E -f "$S/ere300.pats" "$GPL" | cut -d: -f1,2)
	[ "$(wc -l <"$MNT/jobs/$JID/lines")" -gt 100 ]
	if [ -r "$S/dpkg.log" ]; then
		job "scan path=$S/dpkg.log op=grep patterns=$S/ere300.pats"
		[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E -f "$S/ere300.pats" "$S/dpkg.log")" ]
	fi
}

@test "invert=1, max=N, icase=1 and utf8=1 on the bit-parallel engine" {
	job "scan path=$S/a.dat op=grep pattern=a{3000} invert=1"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -v -a -E 'a{3000}' "$S/a.dat")" ]
	job "scan path=$GPL op=grep pattern=\"a{3000}|the\" lines=1 max=7 chunk=4K"
	[ "$(cat "$MNT/jobs/$JID/result")" = 7 ]
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -n -b -a -m 7 -E 'a{3000}|the' "$GPL" | cut -d: -f1,2)
	job "scan path=$S/a.dat op=grep pattern=A{3000}|X icase=1"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -i -a -E 'A{3000}|X' "$S/a.dat")" ]
	locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || skip "no C.UTF-8 locale"
	# é is two bytes: 3,000 of them match (é|ab){3000} only as characters
	printf 'é%.0s' $(seq 3000) >"$S/u.dat"
	printf '\nab\n%s\nx\xa9\n' "$(printf 'é%.0s' $(seq 2999))" >>"$S/u.dat"
	job "scan path=$S/u.dat op=grep pattern=\"(é|ab){3000}|b|x.\" utf8=1 lines=1"
	diff "$MNT/jobs/$JID/lines" \
		<(LC_ALL=C.UTF-8 grep -n -b -a -E '(é|ab){3000}|b|x.' "$S/u.dat" | cut -d: -f1,2)
}

@test "many files run unpacked on the bit-parallel engine and equal grep -r -c" {
	job "scan path=$S/tree op=grep pattern=\"a{3000}|(ab|cd){3000}|GNU\""
	diff <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$JID/files" | LC_ALL=C sort) \
		<(LC_ALL=C grep -r -c -a -E 'a{3000}|(ab|cd){3000}|GNU' "$S/tree" | LC_ALL=C sort)
}

@test "past the engine's bounds: E2BIG naming the pattern, and nothing runs" {
	id=$(submit "scan path=$GPL op=grep pattern=a{30000}b{30000}c{10000}")
	timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
	[ "$(status_key "$id" state)" = failed ]
	grep -q "^error='pattern=a{30000}b{30000}c{10000}: .*65536 positions.*(E2BIG)'$" \
		"$MNT/jobs/$id/status"
}

@test "a byte past a CPU device's loop cap: the compile refuses it E2BIG naming the pattern" {
	# (.?){300}: edges of 300 distances, most of them exceptions, so one
	# byte may cost more than lavapipe runs in one go (pump.h
	# PUMP_SHIFT_CPU_COST_MAX); a GPU runs it. The third pattern is one no
	# DFA holds (2^20 subsets), which sends the set to this engine.
	printf 'GNU\nx(.?){300}y\n[ab]*a[ab]{20}\n' >"$S/cap.pats"
	id=$(submit "scan path=$GPL op=grep patterns=$S/cap.pats")
	timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
	grep -E '^(state|error|engine)=' "$MNT/jobs/$id/status" >&2
	if grep -q '^device=.*llvmpipe' "$MNT/status"; then
		[ "$(status_key "$id" state)" = failed ]
		grep -q "^error='patterns=$S/cap.pats: pattern 2: a byte may cost the bit-parallel engine [0-9]* steps, more than the 40000 a CPU device .*(E2BIG)'$" \
			"$MNT/jobs/$id/status"
		# it never ran: no chunk failed, and it has no result
		[ -z "$(cat "$MNT/jobs/$id/failed")" ]
		run cat "$MNT/jobs/$id/result"
		[ "$status" -ne 0 ]
	else
		[ "$(status_key "$id" state)" = done ]
		[ "$(status_key "$id" engine)" = shift ]
		[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -c -a -E -f "$S/cap.pats" "$GPL")" ]
	fi
}
