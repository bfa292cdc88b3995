#!/usr/bin/env bats
# op=grep through the mount selects the lines LC_ALL=C grep -a selects:
# result equals grep -c (with -v, -i, -F, -f FILE, -m N), jobs/N/lines
# equals grep -n -b | cut -d: -f1,2, on real text and on generated files
# with a line longer than a chunk and no final newline; bad grep
# descriptors fail naming the fix, and patterns= is read as the caller.
load common

GPL=/usr/share/common-licenses/GPL-3
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
EINVAL="Invalid argument"

setup_file() {
	mount_vyrefs allow_other
	G="$(mktemp -d /tmp/vyre-grep.XXXXXX)"
	export G
	chmod 755 "$G"
	printf 'GNU\nLicen[sc]e\nwarrant(y|ies)\n' > "$G/pats"
	chmod 644 "$G/pats"
	printf 'GNU\n' > "$G/secret_pats"
	chmod 600 "$G/secret_pats"
	mkdir "$G/dir"
	# 800 words of the text: a DFA far past what fits in shared memory
	python3 -c '
import random, sys
random.seed(3)
ws = sorted(set(x.strip(".,;:()\"") for x in open(sys.argv[1]).read().split() if len(x) > 5))
random.shuffle(ws)
open(sys.argv[2], "w").write("\n".join(ws[:800]) + "\n")' "$GPL" "$G/words"
	chmod 644 "$G/words"
	python3 - "$G/long" <<'PY'
import random, sys
random.seed(7)
out = bytearray()
for i in range(4000):
    n = random.randrange(0, 120)
    line = bytes(random.choice(b'abcdefo0123 \t\x00\xff') for _ in range(n))
    if random.random() < 0.2:
        line += b'needle'
    out += line + b'\n'
    if i == 2000:
        out += b'x' * 300000 + b'needle' + b'y' * 100 + b'\n'
out += b'last needle, no newline'
open(sys.argv[1], 'wb').write(out)
PY
	# 6 MB of real text (the licenses, then the C headers, again as needed):
	# pattern e selects 2 lines in 3, over 50,000 in one 4 MiB chunk
	python3 - "$G/text" <<'PY'
import glob, sys
names = sorted(glob.glob("/usr/share/common-licenses/*")) + sorted(glob.glob("/usr/include/*.h"))
parts = [open(n, "rb").read() for n in names if not n.endswith("/README")]
out = bytearray()
while len(out) < 6_000_000:
    for b in parts:
        out += b
out = out[:6_000_000]
open(sys.argv[1], "wb").write(out)
PY
	# 600,000 lines of one byte: more selected lines than a slot's records
	python3 -c 'import sys; open(sys.argv[1], "wb").write(b"x\n" * 600000)' "$G/ones"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${G:?}"
}

# grep_is DESCRIPTOR-KEYS -- GREP-ARGS: result equals grep -c with those args on FILE ($F)
grep_is() {
	local keys=() args=()
	while [ "$1" != -- ]; do keys+=("$1"); shift; done
	shift
	args=("$@")
	local want got
	want=$(LC_ALL=C grep -a -c "${args[@]}" "$F" || true)
	got=$(result_of "scan path=$F op=grep ${keys[*]}")
	echo "${keys[*]}: vyrefs <$got> grep <$want>" >&2
	[ "$got" = "$want" ]
}

@test "grep -c on GPL-3: literals, EREs, -v, -i, -F" {
	F=$GPL
	grep_is 'pattern=GNU' -- -E GNU
	grep_is 'pattern="^ *[0-9]+\\."' -- -E '^ *[0-9]+\.'  # the descriptor's \\ is the ERE's \
	grep_is 'pattern="(free|open) software$"' -- -E '(free|open) software$'
	grep_is 'pattern=licen[sc]e icase=1' -- -E -i 'licen[sc]e'
	grep_is 'pattern=the invert=1' -- -E -v the
	grep_is 'pattern=a.c fixed=1' -- -F a.c
	grep_is 'pattern="[[:upper:]]{3,}"' -- -E '[[:upper:]]{3,}'
	grep_is 'pattern=""' -- -E ''
}

@test "patterns=FILE equals grep -f FILE, also with 800 fixed words" {
	F=$GPL
	grep_is "patterns=$G/pats" -- -E -f "$G/pats"
	grep_is "patterns=$G/pats invert=1" -- -E -v -f "$G/pats"
	grep_is "patterns=$G/words fixed=1" -- -F -f "$G/words"
	grep_is "patterns=$G/words fixed=1 icase=1 chunk=4K" -- -F -i -f "$G/words"
	local id
	id=$(submit "scan path=$GPL op=grep patterns=$G/words fixed=1 invert=1 lines=1")
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") \
		<(LC_ALL=C grep -a -n -b -v -F -f "$G/words" "$GPL" | cut -d: -f1,2)
}

@test "lines=1: jobs/N/lines equals grep -n -b | cut -d: -f1,2" {
	local id
	id=$(submit "scan path=$GPL op=grep pattern=\"GNU (General|Lesser)\" lines=1")
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") \
		<(LC_ALL=C grep -a -n -b -E 'GNU (General|Lesser)' "$GPL" | cut -d: -f1,2)
	[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -a -c -E 'GNU (General|Lesser)' "$GPL")" ]
}

@test "max=N: the first N selected lines, like grep -m N" {
	local id
	id=$(submit "scan path=$GPL op=grep pattern=the lines=1 max=5 chunk=4K")
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/result")" = 5 ]
	diff <(cat "$MNT/jobs/$id/lines") \
		<(LC_ALL=C grep -a -n -b -m 5 the "$GPL" | cut -d: -f1,2)
}

@test "a 300 KB line over 4K chunks, NUL and high bytes, no final newline" {
	F=$G/long
	grep_is 'pattern=needle chunk=4K' -- -E needle
	grep_is 'pattern=needle invert=1 chunk=64K' -- -E -v needle
	grep_is 'pattern="e{2}d" chunk=4K' -- -E 'e{2}d'
	local id
	id=$(submit "scan path=$G/long op=grep pattern=needle lines=1 chunk=4K")
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") <(LC_ALL=C grep -a -n -b needle "$G/long" | cut -d: -f1,2)
}

# reruns_of ID: the job's reruns= (chunk passes run again); mount_reruns: the mount's
reruns_of() { sed -n 's/^reruns=//p' "$MNT/jobs/$1/status"; }
mount_reruns() { sed -n 's/^reruns=//p' "$MNT/status"; }

@test "lines=1 at chunk=4M on 6 MB of text, pattern e: grep -n -b's lines, no chunk run twice" {
	local id before
	before=$(mount_reruns)
	id=$(submit "scan path=$G/text op=grep pattern=e lines=1 chunk=4M")
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") <(LC_ALL=C grep -a -n -b e "$G/text" | cut -d: -f1,2)
	[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -a -c e "$G/text")" ]
	echo "reruns: job <$(reruns_of "$id")>, mount <$before> -> <$(mount_reruns)>" >&2
	[ "$(reruns_of "$id")" = 0 ]
	[ "$(mount_reruns)" = "$before" ]
	grep -qx "vyrefs_chunk_reruns_total $before" "$MNT/metrics"
}

@test "lines=1 with more selected lines than a slot holds (600,000 1-byte lines): still exact, counted as reruns" {
	local id want
	id=$(submit "scan path=$G/ones op=grep pattern=y invert=1 lines=1 chunk=4M")
	wait_job "$id"
	diff <(cat "$MNT/jobs/$id/lines") <(LC_ALL=C grep -a -n -b -v y "$G/ones" | cut -d: -f1,2)
	want=$(LC_ALL=C grep -a -c -v y "$G/ones")
	[ "$want" = 600000 ]
	[ "$(cat "$MNT/jobs/$id/result")" = "$want" ]
	# 262,144 records a slot at this mount's 32 slots of 4 MiB (ring.c ring_rec_max)
	echo "reruns: <$(reruns_of "$id")>" >&2
	[ "$(reruns_of "$id")" -ge 2 ]
	[ "$(mount_reruns)" -ge "$(reruns_of "$id")" ]
}

# refused ERRTEXT TOKEN DESCRIPTOR: the write fails with ERRTEXT, ctl says error: naming TOKEN
refused() {
	local errtext=$1 token=$2 answer
	exec 7<>"$MNT/ctl"
	run bash -c 'printf "%s\n" "$1" >&7' _ "$3"
	read -r -t 5 answer <&7 || true
	exec 7>&-
	echo "write: status $status, <$output>; ctl: <$answer>" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"write error: $errtext"* ]]
	[[ "$answer" == "error: "* ]]
	[[ "$answer" == *"$token"* ]]
}

@test "bad EREs fail EINVAL with the compiler's message" {
	refused "$EINVAL" "pattern=(ab:" "scan path=$GPL op=grep pattern=(ab"
	refused "$EINVAL" "pattern=[z-a]" "scan path=$GPL op=grep pattern=[z-a]"
	refused "$EINVAL" "pattern=a{3,1}" "scan path=$GPL op=grep pattern=a{3,1}"
	refused "$EINVAL" "pattern=[[:bogus:]]" "scan path=$GPL op=grep pattern=[[:bogus:]]"
}

@test "bad grep keys fail EINVAL naming the fix" {
	refused "$EINVAL" "patterns=pats: must be an absolute path" "scan path=$GPL op=grep patterns=pats"
	refused "$EINVAL" "exclude each other" "scan path=$GPL op=grep pattern=a patterns=$G/pats"
	refused "$EINVAL" "invert= is for: grep" "scan path=$GPL op=count invert=1"
	refused "$EINVAL" "missing pattern= or patterns=" "scan path=$GPL op=grep lines=1"
	refused "No such file or directory" "patterns=$G/nope: no such file" \
		"scan path=$GPL op=grep patterns=$G/nope"
	refused "Is a directory" "patterns=$G/dir: is a directory" \
		"scan path=$GPL op=grep patterns=$G/dir"
}

@test "patterns= is read as the caller: nobody gets EACCES for a 0600 file" {
	run "${NOBODY[@]}" bash -c 'cd /; exec 7<>"$1/ctl" || exit 9
		printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' _ "$MNT" \
		"scan path=$GPL op=grep patterns=$G/secret_pats"
	echo "$output" >&2
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"patterns=$G/secret_pats: permission denied"* ]]
}

@test "ops, README and metrics list grep" {
	grep -q '^grep 0x104 ' "$MNT/ops"
	grep -q 'grep ' "$MNT/README"
	grep -q 'vyrefs_gpu_slots_total{op="grep"}' "$MNT/metrics"
}

@test "a single-quoted pattern, as in echo \"... pattern='ERROR.*timeout'\", is taken literally" {
	local id want
	echo "scan path=$GPL op=grep pattern='GNU.*Public Licen[sc]e' lines=1" > "$MNT/ctl"
	id=$(sed -n 's/^id=//p' "$MNT/jobs/latest/status")
	wait_job "$id"
	want=$(LC_ALL=C grep -a -c 'GNU.*Public Licen[sc]e' "$GPL")
	[ "$want" -gt 0 ]
	[ "$(cat "$MNT/jobs/$id/result")" = "$want" ]
	[ "$(cat "$MNT/jobs/$id/descriptor")" = "scan path=$GPL op=grep offset=0 length=eof pattern=\"GNU.*Public Licen[sc]e\" lines=1" ]
	# a backslash inside single quotes is the pattern's, not an escape
	id=$(submit "scan path=$GPL op=grep pattern='\\.$'")
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -a -c '\.$' "$GPL")" ]
}
