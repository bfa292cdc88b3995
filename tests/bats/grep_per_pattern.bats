#!/usr/bin/env bats
# per_pattern=1 (issue 26): jobs/N/patterns lists "COUNT INDEX" for each
# pattern in file order, COUNT the lines it selects (a line counted once per
# pattern it matches), equal to LC_ALL=C grep -c -a -F -e PATTERN (-i with
# icase=1) run pattern by pattern; with lines=1 each record is
# LINE:OFFSET:INDEX, INDEX the first pattern in file order that matches the
# line, as grep -n -b -F -e run pattern by pattern says. Literal sets run on
# Aho-Corasick, EREs without '$' on a DFA whose states carry accept sets
# (regex/regex_pdfa.c, laid out as Aho-Corasick with every state dense);
# the GPU records the accept sets each line enters and the host counts
# patterns (pump/ops/grep_pcount.c).
load common

GPL=/usr/share/common-licenses/GPL-3

setup_file() {
	[ -r "$GPL" ] || skip "no $GPL"
	# a cold shader cache compiles the megakernel at the first dispatch
	mount_vyrefs gpu_timeout=60000
	P="$(mktemp -d /tmp/vyre-pp.XXXXXX)"
	export P
	/usr/bin/python3 - "$P" "$GPL" <<'PY'
import random, sys, glob
d, gpl = sys.argv[1], sys.argv[2]
random.seed(2626)
text = open(gpl, "rb").read()
words = sorted(set(w.strip(b".,;:()\"'") for w in text.split()) - {b""})
# words, duplicates, prefixes of each other, the empty pattern, overlaps on one line
pats = random.sample(words, 60)
pats += [b"License", b"Licens", b"Lic", b"License", b"the", b"he", b"e t", b"th", b"",
         b"GNU General Public License", b"General", b"eral Pub", b"zzzz-not-there",
         b"program", b"Program", b"the", b"copy", b"cop", b"opy"]
random.shuffle(pats)
open(d + "/gpl.pats", "wb").write(b"\n".join(pats) + b"\n")
# C headers: identifiers, some repeated
hs = sorted(glob.glob("/usr/include/*.h"))[:60]
blob = b"".join(open(h, "rb").read() for h in hs)
open(d + "/headers.dat", "wb").write(blob)
toks = sorted(set(t for t in blob.replace(b"(", b" ").replace(b")", b" ").replace(b";", b" ")
                  .replace(b",", b" ").split() if 3 <= len(t) <= 20))
hp = random.sample(toks, 80) + [b"define", b"def", b"efine", b"#define", b"int", b"in", b"include"]
open(d + "/headers.pats", "wb").write(b"\n".join(hp) + b"\n")
# one line matching 560 patterns (grep_per_pattern_reruns.bats runs it where
# that is more than a pass gives a line)
# (past the per-line cap: the line goes open, continuations take the rest),
# one long line crossing 4K chunks, matches on both sides of each chunk edge
many = [b"w%03dx" % i for i in range(600)]
open(d + "/many.pats", "wb").write(b"\n".join(many) + b"\n")
out = bytearray()
for i in range(400):
    k = random.randrange(0, 6)
    out += b" ".join(random.choice(many) for _ in range(k)) + b" filler" * random.randrange(0, 30) + b"\n"
    if i == 100:
        out += b" ".join(many[:560]) + b"\n"
    if i == 200:
        out += b"q" * 9000 + b" ".join(many[:40]) + b"r" * 9000 + many[599] + b"\n"
open(d + "/many.dat", "wb").write(bytes(out))
# EREs (a DFA with accept sets, regex/regex_pdfa.c): classes, '^', '$'
# (end-of-line sets), bounded repeats, alternatives, the empty pattern,
# duplicates, prefixes
ws = random.sample(sorted(set(w for w in words if w.isalpha() and 3 <= len(w) <= 12)), 36)
ere = []
for i, w in enumerate(ws):
    v = ws[(i * 7 + 3) % len(ws)]
    ere.append([w + b" [a-z]+",
                b"[" + w[:1].upper() + w[:1].lower() + b"]" + w[1:],
                b"^ *" + w,
                w[:3] + b"[a-z]?" + v[-2:],
                b"(" + w + b"|" + v + b")s?[,.]",
                w + b"[[:punct:]]"][i % 6])
ere += [b"", b"the", b"th", b"the", b"(^|[^a-z])a[^a-z]", b"[0-9]+", b"L.*L", b"GNU.{0,6}Lic",
        b"^ |[.]  ", b"x*", b"zzz-not-there", b"(GPL|LGPL)-?[23]?",
        b"^$|^ ", b"[a-z]+,$", b"^[A-Z ]+$", b"(^|[^a-z])the([^a-z]|$)", b"[0-9]$"]
random.shuffle(ere)
open(d + "/gpl_ere.pats", "wb").write(b"\n".join(ere) + b"\n")
PY
	printf 'install\nstatus\nhalf-installed\ninstalled\nconfigure\nlib\n:amd64\nstartup\n' >"$P/dpkg.pats"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${P:?}"
}

@test "GPL-3: counts per pattern (duplicates, prefixes, empty, overlaps) equal grep -c -F -e, pattern by pattern" {
	job "scan path=$GPL op=grep patterns=$P/gpl.pats fixed=1 per_pattern=1"
	[ "$(status_key "$JID" engine)" = ac ]
	pattern_ref "$P/gpl.pats" "$GPL"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	# the job's result is still grep -c -F -f's
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -F -f "$P/gpl.pats" "$GPL")" ]
}

@test "GPL-3 icase=1 in 4K chunks with lines=1: counts equal grep -c -i, records name the first pattern" {
	job "scan path=$GPL op=grep patterns=$P/gpl.pats fixed=1 icase=1 per_pattern=1 lines=1 chunk=4K"
	pattern_ref "$P/gpl.pats" "$GPL" -i
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "C headers: counts and first patterns equal grep's, in 64K chunks" {
	F=$P/headers.dat
	job "scan path=$F op=grep patterns=$P/headers.pats fixed=1 per_pattern=1 lines=1 chunk=64K"
	pattern_ref "$P/headers.pats" "$F"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "dpkg.log: counts per pattern equal grep's" {
	F=/var/log/dpkg.log
	[ -r "$F" ] || skip "no $F"
	job "scan path=$F op=grep patterns=$P/dpkg.pats per_pattern=1 lines=1"
	[ "$(status_key "$JID" engine)" = ac ] # EREs without operators are literals
	pattern_ref "$P/dpkg.pats" "$F"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "a line matching 560 patterns, and one crossing 4K chunks: each pattern once per line" {
	F=$P/many.dat
	job "scan path=$F op=grep patterns=$P/many.pats fixed=1 per_pattern=1 lines=1 chunk=4K"
	pattern_ref "$P/many.pats" "$F"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "EREs on a DFA with accept sets: counts equal grep -c -E -e pattern by pattern, records name the first" {
	job "scan path=$GPL op=grep patterns=$P/gpl_ere.pats per_pattern=1 lines=1"
	[ "$(status_key "$JID" engine)" = dfa ]
	REF_MODE=-E pattern_ref "$P/gpl_ere.pats" "$GPL"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E -f "$P/gpl_ere.pats" "$GPL")" ]
	# a last line without '\n' ends at the file's end: its '$' patterns count
	printf 'a 1\nxyz,\n\nTHE END\nlast 9' >"$P/noeol.dat"
	job "scan path=$P/noeol.dat op=grep patterns=$P/gpl_ere.pats per_pattern=1 lines=1"
	REF_MODE=-E pattern_ref "$P/gpl_ere.pats" "$P/noeol.dat"
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
	# icase=1 in 4K chunks: lines cross chunks, sets come from continuations too
	job "scan path=$GPL op=grep patterns=$P/gpl_ere.pats per_pattern=1 icase=1 chunk=4K lines=1"
	REF_MODE=-E pattern_ref "$P/gpl_ere.pats" "$GPL" -i
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "EREs no DFA holds run on the bit-parallel engine: counts and first patterns equal grep's, whole and in 4K chunks" {
	# (a|b)*a(a|b){20} has 2^21 DFA states: no DFA with accept sets holds
	# the set, so it runs on Shift-And (grep_shift.glsl), which records
	# each pattern whose last position a byte sets; '' and x* match every
	# line (recorded at its start), ^$ an empty line, '$' patterns at the end
	printf 'ab+c$\n(a|b)*a(a|b){20}\nthe\n\nx*\n^$\n[0-9]$\nGNU.{0,6}Lic\n' >"$P/sh.pats"
	/usr/bin/python3 - "$P/sh.dat" "$GPL" <<'PY'
import random, sys
random.seed(26)
out = [open(sys.argv[2], "rb").read()]
for i in range(600):
    out.append(bytes(random.choice(b"aab") for _ in range(random.randrange(0, 40))) +
               random.choice([b"", b" c", b"9", b"abc"]) + b"\n")
out.append(b"\nabababababababababababababababababababab tail 7")  # no final newline
open(sys.argv[1], "wb").write(b"".join(out))
PY
	REF_MODE=-E pattern_ref "$P/sh.pats" "$P/sh.dat"
	for ch in 4M 4K; do
		job "scan path=$P/sh.dat op=grep patterns=$P/sh.pats per_pattern=1 lines=1 chunk=$ch"
		[ "$(status_key "$JID" engine)" = shift ]
		diff "$MNT/jobs/$JID/patterns" "$R.counts"
		diff "$MNT/jobs/$JID/lines" "$R.lines"
		[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -c -a -E -f "$P/sh.pats" "$P/sh.dat")" ]
	done
	# 560 patterns on one line: more records than a tile pass gives a line,
	# so it runs on in continuations (the vector saved above their records)
	{ cat "$P/many.pats"; echo '(a|b)*a(a|b){20}'; } >"$P/many_sh.pats"
	REF_MODE=-E pattern_ref "$P/many_sh.pats" "$P/many.dat"
	job "scan path=$P/many.dat op=grep patterns=$P/many_sh.pats per_pattern=1 lines=1 chunk=4K"
	[ "$(status_key "$JID" engine)" = shift ]
	diff "$MNT/jobs/$JID/patterns" "$R.counts"
	diff "$MNT/jobs/$JID/lines" "$R.lines"
}

@test "per_pattern=1 refuses what it cannot count, naming the fix" {
	# on the bit-parallel engine a line's end may take one record per '$'
	# position: past 256 the room kept for it (pump.h PUMP_SHIFT_PSET_FIXED_MAX)
	{ echo '(a|b)*a(a|b){20}'; for i in $(seq 1 300); do echo "y$i[0-9]\$"; done; } >"$P/eol.pats"
	JID=$(submit "scan path=$GPL op=grep patterns=$P/eol.pats per_pattern=1")
	timeout 60 cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = failed ]
	grep -q "^error='patterns=$P/eol.pats: pattern 301: with per_pattern=1 the bit-parallel engine records at most 256 patterns .*per_pattern=0) (E2BIG)'$" \
		"$MNT/jobs/$JID/status"
	run ! submit "scan path=$GPL op=grep pattern=GNU per_pattern=1 invert=1"
	run ! submit "scan path=$GPL op=grep pattern=GNU per_pattern=1 max=3"
	run ! submit "scan path=$GPL op=count per_pattern=1"
}

@test "many files: per_pattern=1's files line is RESULT INDEX:COUNT,... PATH, each count grep -c -E -e's for that file; patterns their sums" {
	D=$P/tree
	mkdir -p "$D/sub"
	cp "$GPL" "$D/gpl"
	head -c 30000 "$P/headers.dat" >"$D/sub/headers"
	printf 'nothing here\n' >"$D/sub/none"
	: >"$D/empty"
	printf 'the\n[Ll]icense\n^ *[0-9]+\\.\nGNU.{0,6}Lic\nint\n#(define|include)\nzzz-not-there\nthe\n' >"$P/tree.pats"
	job "scan path=$D op=grep patterns=$P/tree.pats per_pattern=1 lines=1"
	[ "$(status_key "$JID" engine)" = dfa ]
	local f p i c pc res
	declare -a sum
	: >"$BATS_TEST_TMPDIR/files"
	: >"$BATS_TEST_TMPDIR/lines"
	while IFS= read -r f; do
		pc= i=0
		while IFS= read -r p; do
			c=$(LC_ALL=C grep -c -a -E -e "$p" "$f" || true)
			[ "$c" = 0 ] || pc="${pc:+$pc,}$i:$c"
			sum[i]=$((${sum[i]:-0} + c))
			i=$((i + 1))
		done <"$P/tree.pats"
		res=$(LC_ALL=C grep -c -a -E -f "$P/tree.pats" "$f" || true)
		printf '%s %s %s\n' "$res" "${pc:--}" "$f" >>"$BATS_TEST_TMPDIR/files"
		REF_MODE=-E pattern_ref "$P/tree.pats" "$f"
		sed "s|^|$f:|" "$R.lines" >>"$BATS_TEST_TMPDIR/lines"
	done < <(find "$D" -type f | LC_ALL=C sort)
	diff "$MNT/jobs/$JID/files" "$BATS_TEST_TMPDIR/files"
	diff "$MNT/jobs/$JID/lines" "$BATS_TEST_TMPDIR/lines"
	diff "$MNT/jobs/$JID/patterns" <(for i in "${!sum[@]}"; do echo "${sum[i]} $i"; done)
}

@test "many small files packed: per_pattern=1's counts per file equal grep -c -E -e's, with lines=1 too (0 bytes, no final newline, a chunk's size; records past a file's share run it alone)" {
	D=$P/small
	/usr/bin/python3 - "$D" "$GPL" <<'PY'
import os, random, sys
d, gpl = sys.argv[1], sys.argv[2]
random.seed(2627)
lines = open(gpl, "rb").read().split(b"\n")
os.makedirs(d + "/sub")
for i in range(160):
    k = random.randrange(0, 60) if i % 9 else 0  # every 9th: 0 bytes
    a = random.randrange(0, len(lines) - k)
    b = b"\n".join(lines[a:a + k])
    if k and i % 3:
        b += b"\n"  # the rest end without one
    open("%s/%s/f%03d" % (d, "sub" if i % 2 else ".", i), "wb").write(b)
# 52,000 set records (every line enters the empty pattern's), past a
# file's share of a slot's (16,384 at most at the mount's 4M slots), so it
# runs again alone
open(d + "/sets", "wb").write(b"the GNU  Lic int\n" * 500 + b"\n" * 50000)
# exactly a chunk (64K): too big to pack, run alone beside the packs
big = b"\n".join(lines) * 2
open(d + "/chunk", "wb").write(big[:65536])
PY
	printf 'the\n[Ll]icense\n^ *[0-9]+\\.\nGNU.{0,6}Lic\nint\n#(define|include)\nzzz-not-there\nthe\n\n' >"$P/small.pats"
	job "scan path=$D op=grep patterns=$P/small.pats per_pattern=1 chunk=64K"
	[ "$(status_key "$JID" engine)" = dfa ]
	[ "$(status_key "$JID" files_done)" = 162 ]
	# packed: ~25 files a 64K chunk, where unpacked each non-empty file is a chunk
	[ "$(status_key "$JID" chunks)" -lt 30 ]
	# "sets" passed its share of the records: it ran again alone (the
	# last pattern is the empty one)
	[ "$(status_key "$JID" reruns)" -gt 0 ]
	# grep -r -c a pattern (and the whole set), joined per file by awk: lean
	local p i=0 T=$BATS_TEST_TMPDIR
	while IFS= read -r p; do
		LC_ALL=C grep -r -c -a -E -e "$p" "$D" >"$T/p$i" || [ $? = 1 ] # 1: no file matched
		i=$((i + 1))
	done <"$P/small.pats"
	LC_ALL=C grep -r -c -a -E -f "$P/small.pats" "$D" >"$T/all" || [ $? = 1 ]
	find "$D" -type f | LC_ALL=C sort >"$T/list"
	[ "$(wc -l <"$T/list")" = 162 ]
	# each "PATH:COUNT" split at the last ':' (the paths have none)
	awk -v n="$i" -v T="$T" 'BEGIN {
		for (k = 0; k < n; k++)
			while ((getline l <(T "/p" k)) > 0) {
				c = l; sub(/.*:/, "", c); f = l; sub(/:[0-9]+$/, "", f)
				cnt[f, k] = c; sum[k] += c; seen[f, k] = 1
			}
		while ((getline l <(T "/all")) > 0) {
			c = l; sub(/.*:/, "", c); f = l; sub(/:[0-9]+$/, "", f); res[f] = c
		}
		while ((getline f <(T "/list")) > 0) {
			pc = ""
			for (k = 0; k < n; k++) {
				if (!((f, k) in seen) || !(f in res)) { print "missing " f > "/dev/stderr"; exit 1 }
				if (cnt[f, k] != 0) pc = pc (pc == "" ? "" : ",") k ":" cnt[f, k]
			}
			print res[f], (pc == "" ? "-" : pc), f > (T "/files")
		}
		for (k = 0; k < n; k++) print sum[k], k > (T "/patterns")
	}'
	diff "$MNT/jobs/$JID/files" "$T/files"
	diff "$MNT/jobs/$JID/patterns" "$T/patterns"
	# with lines=1 still packed: each file's set and line records share
	# its part of the slot's records; PATH:LINE:OFFSET:INDEX, INDEX the
	# first pattern (grep -r -n -b -e run pattern by pattern)
	job "scan path=$D op=grep patterns=$P/small.pats per_pattern=1 lines=1 chunk=64K"
	[ "$(status_key "$JID" chunks)" -lt 30 ]
	diff "$MNT/jobs/$JID/files" "$T/files"
	diff "$MNT/jobs/$JID/patterns" "$T/patterns"
	i=0
	while IFS= read -r p; do
		LC_ALL=C grep -r -n -b -a -E -e "$p" "$D" | awk -F: -v i="$i" '{ print $1 ":" $2 ":" $3 ":" i }'
		i=$((i + 1))
	done <"$P/small.pats" | LC_ALL=C sort -t: -k1,1 -k2,2n -k4,4n |
		awk -F: '$1 ":" $2 != last { print; last = $1 ":" $2 }' >"$T/lines"
	diff <(LC_ALL=C sort -t: -k1,1 -k2,2n "$MNT/jobs/$JID/lines") "$T/lines"
}

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"

@test "vyrectl grep -F|-E -f FILE --count-per-pattern prints COUNT<TAB>PATTERN as grep -c -e does, pattern by pattern" {
	run -0 env LC_ALL=C timeout 120 "$VYRECTL" -m "$MNT" grep -F -f "$P/gpl.pats" --count-per-pattern "$GPL"
	diff <(printf '%s\n' "$output") <(while IFS= read -r p; do
		printf '%s\t%s\n' "$(LC_ALL=C grep -c -a -F -e "$p" "$GPL")" "$p"
	done <"$P/gpl.pats")
	# two files: each line named as grep -c names them; -i folds case
	run -0 env LC_ALL=C timeout 120 "$VYRECTL" -m "$MNT" grep -i -F -f "$P/dpkg.pats" --count-per-pattern "$GPL" "$P/headers.dat"
	diff <(printf '%s\n' "$output") <(for f in "$GPL" "$P/headers.dat"; do
		while IFS= read -r p; do
			printf '%s:%s\t%s\n' "$f" "$(LC_ALL=C grep -c -a -i -F -e "$p" "$f")" "$p"
		done <"$P/dpkg.pats"
	done)
	# a UTF-8 locale sends utf8=1: literals still run on Aho-Corasick
	run -0 env LC_ALL=C.UTF-8 timeout 120 "$VYRECTL" -m "$MNT" grep -F -e GNU -e Licens -e GNU --count-per-pattern "$GPL"
	[ "$output" = "$(printf '%s\tGNU\n%s\tLicens\n%s\tGNU' "$(LC_ALL=C grep -c -a -F -e GNU "$GPL")" \
		"$(LC_ALL=C grep -c -a -F -e Licens "$GPL")" "$(LC_ALL=C grep -c -a -F -e GNU "$GPL")")" ]
	# EREs: the daemon's DFA with accept sets
	run -0 env LC_ALL=C timeout 120 "$VYRECTL" -m "$MNT" grep -E -f "$P/gpl_ere.pats" --count-per-pattern "$GPL"
	diff <(printf '%s\n' "$output") <(while IFS= read -r p; do
		printf '%s\t%s\n' "$(LC_ALL=C grep -c -a -E -e "$p" "$GPL")" "$p"
	done <"$P/gpl_ere.pats")
	run -2 env LC_ALL=C timeout 60 "$VYRECTL" -m "$MNT" grep -c -F -e GNU --count-per-pattern "$GPL"
	[[ "$output" == *"--count-per-pattern cannot be used with -c"* ]]
}

@test "vyrectl grep --json --pattern-index -F: each match carries its first pattern's index" {
	run -0 env LC_ALL=C timeout 120 "$VYRECTL" -m "$MNT" grep --json --pattern-index -F -f "$P/gpl.pats" "$GPL"
	diff <(printf '%s\n' "$output" | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m["type"] == "match":
        d = m["data"]
        print("%d:%d:%d" % (d["line_number"], d["absolute_offset"], d["pattern"]))') \
		<(pattern_ref "$P/gpl.pats" "$GPL" && cat "$R.lines")
}

@test "vyrectl grep --json without --pattern-index stays ripgrep's (no pattern key); --pattern-index needs --json" {
	run -0 env LC_ALL=C timeout 120 "$VYRECTL" -m "$MNT" grep --json -F -e GNU -e License "$GPL"
	[[ "$output" == *'"type":"match"'* && "$output" != *'"pattern"'* ]]
	run -2 env LC_ALL=C timeout 60 "$VYRECTL" -m "$MNT" grep --pattern-index -F -e GNU "$GPL"
	[[ "$output" == *"--pattern-index needs --json"* ]]
}
