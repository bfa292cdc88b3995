#!/usr/bin/env bats
# A tree's files are scanned as single files are (issue 23 items 2, 3):
# per-file results of a many-file job equal GNU grep -r -c -a and wc -l
# for edge sizes (0 and 1 byte, no final newline, exactly a chunk, a chunk
# plus one, lines across chunk edges) and real trees; a big file inside a
# tree takes the chunks a one-file job takes and spreads over both units
# as one does (SPEC §10 "Units"); the walk's io_uring batches
# (fs/walk_batch.c) and one open at a time (VYRE_WALK_SYNC=1) agree.
# Small chunks (16K) make "big" a few chunks.
load common

OPTS="slots=8,chunk=16K"

setup_file() {
	mount_vyrefs "allow_other,device=0:0,$OPTS"
	T="$(mktemp -d /tmp/vyre-tree.XXXXXX)"
	export T
	chmod 755 "$T"
	python3 - "$T/edge" <<'PY'
import os, random, sys
top = sys.argv[1]
random.seed(23)
os.makedirs(os.path.join(top, 'sub', 'deeper'))
def put(name, data):
    with open(os.path.join(top, name), 'wb') as f:
        f.write(data)
C = 16384
put('empty', b'')
put('one', b'x')
put('newline', b'\n')
put('nonl', b'abc needle')
put('exact', (b'needle' + b'a' * 57 + b'\n') * (C // 64))
put('exact1', (b'needle' + b'a' * 57 + b'\n') * (C // 64) + b'n')
put('exact1nl', b'b' * C + b'\n')
# lines of every length up to several chunks, needles at and across edges
def lines(n, seed):
    r = random.Random(seed)
    out = bytearray()
    while len(out) < n:
        k = r.choice([0, 1, 7, 80, 4000, C - 1, C, C + 1, 3 * C])
        line = bytearray(r.choice(b'abcdef \t\x00\xff') for _ in range(k))
        if r.random() < 0.5:
            p = r.randrange(0, k + 1)
            line[p:p] = b'needle'
        out += line + b'\n'
    return bytes(out[:n])
put('big5', lines(5 * C + 7, 1))
put('sub/big9', lines(9 * C, 2))
put('sub/deeper/long', b'z' * (C - 3) + b'needle' + b'z' * (2 * C))  # no newline
for i in range(60):
    put('sub/s%02d' % i, lines(i * 37, 100 + i))
PY
	# one file of 64 chunks, alone in its tree
	mkdir "$T/one"
	python3 -c 'import sys; sys.stdout.buffer.write((b"needle and hay\n" * 70000)[:64 * 16384])' \
		>"$T/one/f"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${T:?}"
}

# job DESCRIPTOR [MOUNT]: runs it (state must be done), sets JID
job() {
	local m=${2:-$MNT}
	exec 7<>"$m/ctl"
	echo "$1" >&7 || { exec 7>&-; return 1; }
	read -r JID <&7
	exec 7>&-
	[[ "$JID" =~ ^[0-9]+$ ]] || { echo "submit: $JID" >&2; return 1; }
	cat "$m/jobs/$JID/wait" >/dev/null
	grep -q '^state=done' "$m/jobs/$JID/status" || { cat "$m/jobs/$JID/status" >&2; return 1; }
}

# per_file MOUNT ID: "PATH:RESULT" lines in byte order, as grep -r -c prints them
per_file() {
	sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$1/jobs/$2/files" | LC_ALL=C sort
}

# ref_grep DIR PATTERN / ref_lines DIR: the references, "PATH:N" in byte order
ref_grep() { LC_ALL=C grep -r -c -a -- "$2" "$1" | LC_ALL=C sort; }
# (wc -l per file: newlines; regular files only, symlinks not followed, as the walk)
ref_lines() {
	python3 - "$1" <<'PY' | LC_ALL=C sort
import os, stat, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        if stat.S_ISREG(os.lstat(p).st_mode):
            sys.stdout.buffer.write(p.encode('utf-8', 'surrogateescape') + b':%d\n' % open(p, 'rb').read().count(b'\n'))
PY
}

@test "edge sizes in a tree: per-file grep counts equal grep -r -c -a, count equals wc -l (chunk 16K and 4K)" {
	local c want
	for c in 16K 4K; do
		job "scan path=$T/edge op=grep pattern=needle chunk=$c"
		want=$(ref_grep "$T/edge" needle)
		[ "$(per_file "$MNT" "$JID")" = "$want" ]
		job "scan path=$T/edge op=count chunk=$c"
		want=$(ref_lines "$T/edge")
		[ "$(per_file "$MNT" "$JID")" = "$want" ]
		[ "$(status_key "$JID" files)" = "$(find "$T/edge" -type f | wc -l)" ]
	done
}

@test "lines=1 packs: records equal grep -r -n -b -a, each file's in the pack; only a file whose records pass its share runs again alone, also with order=walk and invert=1" {
	local d c ref py
	py=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
	ref=$BATS_TEST_TMPDIR/ref
	for d in "$T/edge" /usr/include/linux "$py/json"; do
		[ -d "$d" ] || skip "$d is missing"
		for c in 16K 4K; do
			job "scan path=$d op=grep pattern=needle|(struct|def)[[:space:]][a-z_]+ lines=1 chunk=$c"
			LC_ALL=C grep -r -n -b -a -E 'needle|(struct|def)[[:space:]][a-z_]+' "$d" |
				awk -F: '{ print $1 ":" $2 ":" $3 }' | LC_ALL=C sort >"$ref"
			diff <(LC_ALL=C sort "$MNT/jobs/$JID/lines") "$ref"
			[ "$(per_file "$MNT" "$JID")" = "$(LC_ALL=C grep -r -c -a -E 'needle|(struct|def)[[:space:]][a-z_]+' "$d" | LC_ALL=C sort)" ]
		done
	done
	# 60 small files, 3 with selected lines: the packed pass counts them
	# all and writes their records in each file's share of the slot's
	# (shaders/ops/grep_packed.glsl): nothing runs again
	mkdir -p "$T/few"
	for i in $(seq 60); do printf 'plain %d\nline\n' "$i" >"$T/few/f$i"; done
	printf 'a\nneedle 1\n' >"$T/few/f7"
	printf 'needle\nneedle\n' >"$T/few/f30"
	printf 'x needle' >"$T/few/f59"
	job "scan path=$T/few op=grep pattern=needle lines=1"
	[ "$(status_key "$JID" reruns)" = 0 ]
	diff <(LC_ALL=C sort "$MNT/jobs/$JID/lines") \
		<(LC_ALL=C grep -r -n -b -a needle "$T/few" | awk -F: '{ print $1 ":" $2 ":" $3 }' | LC_ALL=C sort)
	# order=walk (what vyrectl grep -rn streams) packs too, records in
	# grep -r's order; and a real tree in its order
	job "scan path=$T/few op=grep pattern=needle lines=1 order=walk"
	[ "$(status_key "$JID" reruns)" = 0 ]
	diff "$MNT/jobs/$JID/lines" \
		<(LC_ALL=C grep -r -n -b -a needle "$T/few" | awk -F: '{ print $1 ":" $2 ":" $3 }')
	job "scan path=/usr/include/linux op=grep pattern=needle|(struct|def)[[:space:]][a-z_]+ lines=1 order=walk"
	[ "$(status_key "$JID" reruns)" -lt "$(status_key "$JID" files)" ]
	diff "$MNT/jobs/$JID/lines" \
		<(LC_ALL=C grep -r -n -b -a -E 'needle|(struct|def)[[:space:]][a-z_]+' /usr/include/linux |
			awk -F: '{ print $1 ":" $2 ":" $3 }')
	job "scan path=$T/few op=grep pattern=qqqq lines=1"
	[ "$(status_key "$JID" reruns)" = 0 ]
	[ ! -s "$MNT/jobs/$JID/lines" ]
	# a file of 300 selected lines passes its share (a 16K slot's 1,024
	# records over its files: 64 at most): it alone runs again, with
	# continuations, and the job's records are the same
	for i in $(seq 300); do echo "needle $i"; done >"$T/few/f31"
	for w in path walk; do
		job "scan path=$T/few op=grep pattern=needle lines=1 order=$w"
		[ "$(status_key "$JID" reruns)" = 1 ]
		diff <(LC_ALL=C sort "$MNT/jobs/$JID/lines") \
			<(LC_ALL=C grep -r -n -b -a needle "$T/few" | awk -F: '{ print $1 ":" $2 ":" $3 }' | LC_ALL=C sort)
	done
	rm "$T/few/f31"
	# invert=1 selects lines in nearly every file: packed too, each file's
	# records in its share or the file run again alone
	job "scan path=$T/edge op=grep pattern=needle invert=1 lines=1"
	diff <(LC_ALL=C sort "$MNT/jobs/$JID/lines") \
		<(LC_ALL=C grep -r -n -b -a -v needle "$T/edge" | awk -F: '{ print $1 ":" $2 ":" $3 }' | LC_ALL=C sort)
	job "scan path=$T/few op=grep pattern=needle invert=1 lines=1"
	[ "$(status_key "$JID" reruns)" = 0 ]
	diff <(LC_ALL=C sort "$MNT/jobs/$JID/lines") \
		<(LC_ALL=C grep -r -n -b -a -v needle "$T/few" | awk -F: '{ print $1 ":" $2 ":" $3 }' | LC_ALL=C sort)
}

@test "a big file in a tree: the chunks of a one-file job, spread over both units, the same count" {
	local f=$T/one/f size chunks one_chunks b0 b1 a0 a1
	size=$(stat -c %s "$f")
	chunks=$(((size + 16383) / 16384))
	job "scan path=$f op=grep pattern=needle"
	one_chunks=$(status_key "$JID" chunks)
	[ "$one_chunks" = "$chunks" ]
	b0=$(sed -n 's/^vyrefs_unit_bytes_total{unit="0"} //p' "$MNT/metrics")
	b1=$(sed -n 's/^vyrefs_unit_bytes_total{unit="1"} //p' "$MNT/metrics")
	job "scan path=$T/one op=grep pattern=needle"
	a0=$(sed -n 's/^vyrefs_unit_bytes_total{unit="0"} //p' "$MNT/metrics")
	a1=$(sed -n 's/^vyrefs_unit_bytes_total{unit="1"} //p' "$MNT/metrics")
	[ "$(status_key "$JID" chunks)" = "$chunks" ]
	[ "$(per_file "$MNT" "$JID")" = "$(ref_grep "$T/one" needle)" ]
	# both units scanned part of the one file, together all of it
	[ "$((a0 - b0))" -gt 0 ] && [ "$((a1 - b1))" -gt 0 ]
	[ "$((a0 - b0 + a1 - b1))" = "$size" ]
}

@test "real trees: /usr/include and the Python standard library, per file, against grep -r -c -a and wc -l" {
	local d py want
	py=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
	for d in /usr/include/linux "$py/json" "$py/email"; do
		[ -d "$d" ] || skip "$d is missing"
		job "scan path=$d op=grep pattern=(struct|def) chunk=4K"
		want=$(LC_ALL=C grep -r -c -a -E '(struct|def)' "$d" | LC_ALL=C sort)
		[ "$(per_file "$MNT" "$JID")" = "$want" ]
	done
	[ -d /usr/include ] || skip "/usr/include is missing"
	job "scan path=/usr/include op=count"
	[ "$(per_file "$MNT" "$JID")" = "$(ref_lines /usr/include)" ]
}

@test "as nobody, one open at a time (VYRE_WALK_SYNC=1) and the io_uring batches list the same files, counts and EACCES" {
	local m2 a b
	m2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	VYRE_WALK_SYNC=1 "$VYREFS" "$m2" -o "log=$BATS_FILE_TMPDIR/m2.log,allow_other,$OPTS"
	mkdir -p "$T/perm/closed"
	echo needle >"$T/perm/closed/x"
	echo needle >"$T/perm/shut"
	echo needle >"$T/perm/open"
	chmod 000 "$T/perm/closed" "$T/perm/shut"
	ln -sf /etc/shadow "$T/perm/link"
	chmod 755 "$T" "$T/perm"
	run -0 setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c '
		for m in "$1" "$2"; do
			exec 7<>"$m/ctl"
			echo "scan path=$3 op=grep pattern=needle" >&7
			read -r id <&7
			exec 7>&-
			cat "$m/jobs/$id/wait" >/dev/null
			echo "== $(sed -n "s/^state=//p" "$m/jobs/$id/status")"
			LC_ALL=C sort "$m/jobs/$id/files"; LC_ALL=C sort "$m/jobs/$id/failed"
		done' _ "$MNT" "$m2" "$T"
	umount "$m2"
	rmdir "$m2"
	a=$(printf '%s\n' "$output" | awk '/^== /{ n++ } n == 1')
	b=$(printf '%s\n' "$output" | awk '/^== /{ n++ } n == 2')
	[ -n "$a" ] && [ "$a" = "$b" ]
	[ "$(printf '%s\n' "$a" | head -1)" = "== done" ]
	[[ "$a" == *"$T/perm/shut EACCES"* ]]
	[[ "$a" == *"$T/perm/closed EACCES"* ]]
	[[ "$a" == *"1 $T/perm/open"* ]]
	[[ "$a" != *"$T/perm/link"* ]]
	[[ "$a" == *"$T/edge/sub/big9"* ]]
}

@test "a file that grows under its scan is failed ESTALE, checked on the fd that was read" {
	local d=$T/grow i st done=0
	mkdir -p "$d"
	for i in 1 2 3; do
		head -c $((i * 16 << 20)) /dev/zero | tr '\0' 'a' >"$d/f"
		exec 7<>"$MNT/ctl"
		echo "scan path=$d op=grep pattern=needle" >&7
		read -r JID <&7
		exec 7>&-
		# the walk opened it (files=1), the scan has not ended: grow it now
		for _ in $(seq 200); do [ "$(status_key "$JID" files)" = 1 ] && break; sleep 0.01; done
		st=$(status_key "$JID" state)
		echo more >>"$d/f"
		cat "$MNT/jobs/$JID/wait" >/dev/null
		[ "$st" = running ] || continue # ended before the append: a bigger file
		[ "$(cat "$MNT/jobs/$JID/failed")" = "$d/f ESTALE" ]
		[ ! -s "$MNT/jobs/$JID/files" ]
		done=1
		break
	done
	[ "$done" = 1 ]
}
