#!/usr/bin/env bats
# Many files in one job (README.md "Many files"): path= a directory, a glob,
# or files= a list; per-file results in jobs/N/files equal grep -r -c -a and
# a Python walk; failed entries PATH ERRNO; the caller's permissions hold
# for every directory and file; cancel, changes and limits during the walk.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# files in the big tree; VYRE_MANY_FILES lowers it where CI time demands
BIG=${VYRE_MANY_FILES:-100000}

setup_file() {
	mount_vyrefs allow_other
	T="$(mktemp -d /tmp/vyre-many.XXXXXX)"
	export T
	chmod 755 "$T"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${T:?}"
}

# answer DESCRIPTOR: what a read of ctl gives after writing it (an id or "error: ...")
answer() {
	bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7 2>/dev/null; read -r a <&7; echo "$a"' \
		_ "$MNT" "$1"
}

# run_job DESCRIPTOR: submits, waits, sets JID
run_job() {
	JID=$(submit "$1")
	[[ "$JID" =~ ^[0-9]+$ ]] || { echo "submit: $JID" >&2; return 1; }
	wait_job "$JID"
}

# "RESULT PATH" lines as grep -c prints them ("PATH:RESULT"), in path order
files_as_grep() {
	sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$1/files" | LC_ALL=C sort
}

# py_walk DIR OP: the reference for count (newlines per file) and histogram
# (bytes per file, then the summed bins): os.walk, regular files, no symlinks
py_walk() {
	python3 - "$1" "$2" <<'EOF'
import os, sys, stat
top, op = sys.argv[1], sys.argv[2]
bins = [0] * 256
rows = []
for d, dirs, files in os.walk(top):
    for f in files:
        p = os.path.join(d, f)
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode):
            continue
        data = open(p, 'rb').read()
        if op == 'count':
            rows.append((p.encode('utf-8', 'surrogateescape'), data.count(b'\n')))
        else:
            rows.append((p.encode('utf-8', 'surrogateescape'), len(data)))
            for b in data:
                bins[b] += 1
rows.sort()
out = sys.stdout.buffer
for p, r in rows:
    out.write(b'%d %s\n' % (r, p))
if op == 'histogram':
    for i, n in enumerate(bins):
        out.write(b'bin 0x%02x %d\n' % (i, n))
EOF
}

@test "a directory: per-file counts and the total equal a Python walk (common-licenses)" {
	run_job "scan path=/usr/share/common-licenses op=count"
	[ "$(status_key "$JID" state)" = done ]
	diff <(py_walk /usr/share/common-licenses count) "$MNT/jobs/$JID/files"
	[ "$(cat "$MNT/jobs/$JID/result")" = "$(py_walk /usr/share/common-licenses count |
		awk '{s += $1} END {print s}')" ]
	local n=$(find /usr/share/common-licenses -type f | wc -l)
	[ "$(status_key "$JID" files)" = "$n" ]
	[ "$(status_key "$JID" files_done)" = "$n" ]
	[ "$(status_key "$JID" files_failed)" = 0 ]
	[ ! -s "$MNT/jobs/$JID/failed" ]
}

@test "grep -r: per-file counts equal LC_ALL=C grep -r -c -a (common-licenses, /usr/include/linux)" {
	for d in /usr/share/common-licenses /usr/include/linux; do
		run_job "scan path=$d op=grep pattern=\"(GNU|define)\""
		diff <(files_as_grep "$JID") <(LC_ALL=C grep -r -c -a -E '(GNU|define)' "$d" |
			LC_ALL=C sort)
		[ "$(cat "$MNT/jobs/$JID/result")" = "$(LC_ALL=C grep -r -h -c -a -E '(GNU|define)' "$d" |
			awk '{s += $1} END {print s}')" ]
	done
}

@test "grep -r on the Python standard library equals grep -r -c -a; count equals a Python walk" {
	# the system's python (Debian's /usr/lib/python3.*, ~1,400 files): a python3
	# first on PATH may be another build whose tree holds site-packages (716 MB,
	# 46,000 files under pyenv), which made this test minutes, not seconds
	local py=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
	run_job "scan path=$py op=grep pattern=\"^(import|from) \""
	diff <(files_as_grep "$JID") <(LC_ALL=C grep -r -c -a -E '^(import|from) ' "$py" |
		LC_ALL=C sort)
	run_job "scan path=$py op=count"
	diff <(py_walk "$py" count) "$MNT/jobs/$JID/files"
}

@test "histogram over a tree: the summed bins and bytes per file equal a Python walk" {
	run_job "scan path=/usr/share/common-licenses op=histogram"
	py_walk /usr/share/common-licenses histogram > "$T/hist.ref"
	diff <(grep -v '^bin ' "$T/hist.ref") "$MNT/jobs/$JID/files"
	diff <(sed -n 's/^bin //p' "$T/hist.ref") "$MNT/jobs/$JID/result"
}

@test "lines=1: PATH:LINE:OFFSET per selected line, as grep -r -n -b" {
	run_job "scan path=/usr/share/common-licenses op=grep pattern=warranty lines=1"
	diff "$MNT/jobs/$JID/lines" <(LC_ALL=C grep -r -n -b -a warranty /usr/share/common-licenses |
		cut -d: -f1-3 | LC_ALL=C sort -t: -k1,1 -k2,2n)
}

@test "matches never span two files; line numbers restart per file" {
	mkdir -p "$T/span"
	# 16 bytes: in a packed slot b's bytes follow a's with no gap
	printf 'xxxxxxxxxxxxxabc' > "$T/span/a" # no newline: "abc" + "def" is not one line
	printf 'def\nabc\n' > "$T/span/b"
	printf 'x' > "$T/span/c"              # a short file: the pad after it is not its
	run_job "scan path=$T/span op=match pattern=cd"
	[ "$(cat "$MNT/jobs/$JID/result")" = 0 ]
	[ "$(cat "$MNT/jobs/$JID/files")" = "0 $T/span/a
0 $T/span/b
0 $T/span/c" ]
	run_job "scan path=$T/span op=match pattern=abc"
	[ "$(cat "$MNT/jobs/$JID/files")" = "1 $T/span/a
1 $T/span/b
0 $T/span/c" ]
	run_job "scan path=$T/span op=count byte=0"
	[ "$(cat "$MNT/jobs/$JID/result")" = 0 ]
	rm "$T/span/c"
	run_job "scan path=$T/span op=grep pattern=abc lines=1"
	[ "$(cat "$MNT/jobs/$JID/lines")" = "$T/span/a:1:0
$T/span/b:2:4" ]
}

@test "a glob expands like the shell's, directories in it scanned recursively" {
	run_job "scan path=/usr/share/common-licenses/*GPL* op=count"
	local want=$(for f in /usr/share/common-licenses/*GPL*; do
		printf '%s %s\n' "$(tr -cd '\n' < "$f" | wc -c)" "$f"; done | LC_ALL=C sort -k2)
	[ "$(cat "$MNT/jobs/$JID/files")" = "$want" ]
	mkdir -p "$T/g/one/sub" "$T/g/two" "$T/g/.hidden"
	echo x > "$T/g/one/sub/f"
	echo y > "$T/g/two/f"
	echo z > "$T/g/.hidden/f"
	run_job "scan path=$T/g/* op=count"
	diff <(cut -d' ' -f2- "$MNT/jobs/$JID/files") <(find $T/g/* -type f | LC_ALL=C sort)
	run_job "scan path=$T/g/*/f op=count"
	diff <(cut -d' ' -f2- "$MNT/jobs/$JID/files") <(printf '%s\n' $T/g/*/f)
	# no match: the path as written, which does not exist
	run_job "scan path=$T/g/nothing* op=count"
	[ "$(cat "$MNT/jobs/$JID/failed")" = "$T/g/nothing* ENOENT" ]
	[ "$(status_key "$JID" state)" = done ]
}

@test "files= lists one path a line: blanks, quotes, newlines and backslashes in names" {
	local d="$T/names"
	mkdir -p "$d"
	printf 'a\n' > "$d/with blank"
	printf 'a\nb\n' > "$d/quote\"d'"
	printf 'a\nb\nc\n' > "$d/new
line"
	printf 'x\n' > "$d/back\\slash"
	printf '1\n' > "$d/tab	bed"
	# the list escapes as jobs/N/files does: \\ \n \xHH
	printf '%s\n' "$d/with blank" "$d/quote\"d'" "$d/new\\nline" "$d/back\\\\slash" \
		"$d/tab\\x09bed" "$d/missing" "relative/path" > "$T/list"
	run_job "scan files=$T/list op=count"
	[ "$(status_key "$JID" state)" = done ]
	[ "$(cat "$MNT/jobs/$JID/files")" = "1 $d/back\\\\slash
3 $d/new\\nline
2 $d/quote\"d'
1 $d/tab\\x09bed
1 $d/with blank" ]
	[ "$(cat "$MNT/jobs/$JID/failed")" = "$d/missing ENOENT
relative/path EINVAL" ]
	[ "$(status_key "$JID" files_failed)" = 2 ]
	# files= round-trips: the paths of jobs/N/files are a list again
	cut -d' ' -f2- "$MNT/jobs/$JID/files" > "$T/list2"
	run_job "scan files=$T/list2 op=count"
	[ "$(cat "$MNT/jobs/$JID/result")" = 8 ]
	# a directory of such names, walked: escaped alike
	run_job "scan path=$d op=count"
	[ "$(wc -l < "$MNT/jobs/$JID/files")" = 5 ]
	grep -qxF "3 $d/new\\nline" "$MNT/jobs/$JID/files"
}

@test "files= and path= exclude each other; a missing list fails the write" {
	run answer "scan path=/usr files=/x op=count"
	[[ "$output" == *"files= and path= exclude each other"* ]]
	run answer "scan files=$T/no-such-list op=count"
	[[ "$output" == *"files=$T/no-such-list: no such file"* ]]
}

@test "as nobody: a 0700 directory is not entered (EACCES), symlinks skipped; follow=1 gets EACCES" {
	local d="$T/perm"
	mkdir -p "$d/open" "$d/closed"
	echo pub > "$d/open/pub"
	echo hidden > "$d/closed/inside"
	chmod 700 "$d/closed"
	ln -s /etc/shadow "$d/open/shadow"
	ln -s "$d/open/pub" "$d/open/publink"
	chmod -R go+rX "$d/open"
	chmod 755 "$d"
	local out
	out=$("${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7
		read -r id <&7; echo $id' _ "$MNT" "$d")
	[[ "$out" =~ ^[0-9]+$ ]]
	"${NOBODY[@]}" cat "$MNT/jobs/$out/wait" > /dev/null
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/files")" = "1 $d/open/pub" ]
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/failed")" = "$d/closed EACCES" ]
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/status" | sed -n 's/^state=//p')" = done ]
	# nothing below the closed directory is named anywhere
	[[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/files" "$MNT/jobs/$out/failed")" != *inside* ]]
	out=$("${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count follow=1" >&7
		read -r id <&7; echo $id' _ "$MNT" "$d")
	"${NOBODY[@]}" cat "$MNT/jobs/$out/wait" > /dev/null
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/files")" = "1 $d/open/pub
1 $d/open/publink" ]
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/failed")" = "$d/closed EACCES
$d/open/shadow EACCES" ]
	# root, by contrast, reads it all
	run_job "scan path=$d op=count follow=1"
	grep -q " $d/closed/inside$" "$MNT/jobs/$JID/files"
	grep -q " $d/open/shadow$" "$MNT/jobs/$JID/files"
}

@test "as nobody: a glob does not list a directory nobody cannot read" {
	local d="$T/permglob"
	mkdir -p "$d/closed"
	echo a > "$d/closed/secret1"
	chmod 711 "$d/closed" # searchable, not listable
	out=$("${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2/closed/* op=count" >&7
		read -r id <&7; echo $id' _ "$MNT" "$d")
	"${NOBODY[@]}" cat "$MNT/jobs/$out/wait" > /dev/null
	[ -z "$("${NOBODY[@]}" cat "$MNT/jobs/$out/files")" ]
	[[ "$("${NOBODY[@]}" cat "$MNT/jobs/$out/failed")" != *secret1* ]]
}

@test "follow=1: a symlink loop ends, reported ELOOP; follow=0 never enters a link" {
	local d="$T/loop"
	mkdir -p "$d/a/b"
	echo 1 > "$d/a/b/f"
	ln -s "$d/a" "$d/a/b/up"   # b/up -> a: an ancestor
	ln -s loopy "$d/loopy"     # a link to itself
	run_job "scan path=$d op=count follow=1"
	[ "$(status_key "$JID" state)" = done ]
	[ "$(cat "$MNT/jobs/$JID/files")" = "1 $d/a/b/f" ]
	[ "$(cat "$MNT/jobs/$JID/failed")" = "$d/a/b/up ELOOP
$d/loopy ELOOP" ]
	run_job "scan path=$d op=count"
	[ "$(cat "$MNT/jobs/$JID/files")" = "1 $d/a/b/f" ]
	[ ! -s "$MNT/jobs/$JID/failed" ]
}

make_big_tree() {
	[ -d "$T/big" ] && return 0
	python3 - "$T/big" "$BIG" <<'EOF'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
line = b'a small file line with ERROR in it\n'
for i in range(n):
    d = os.path.join(top, 'd%03d' % (i % 1000))
    if i < 1000:
        os.makedirs(d)
    with open(os.path.join(d, 'f%06d' % i), 'wb') as f:
        f.write((line * 120)[:4096 - (i % 7)])
EOF
}

@test "$BIG small files in one job: every file counted, the total right" {
	make_big_tree
	local t0=$(date +%s%N)
	run_job "scan path=$T/big op=count"
	local t1=$(date +%s%N)
	[ "$(status_key "$JID" state)" = done ]
	[ "$(status_key "$JID" files)" = "$BIG" ]
	[ "$(status_key "$JID" files_done)" = "$BIG" ]
	[ "$(wc -l < "$MNT/jobs/$JID/files")" = "$BIG" ]
	local want=$(python3 -c 'import sys
n = int(sys.argv[1])
print(sum((4096 - i % 7) // 35 for i in range(n)))' "$BIG")
	[ "$(cat "$MNT/jobs/$JID/result")" = "$want" ]
	echo "# $BIG files: $(( (t1 - t0) / 1000000 )) ms, $(( BIG * 1000000000 / (t1 - t0) )) files/s" >&3
}

@test "progress shows while the walk goes on; cancel mid-walk ends it with no fd or slot left" {
	make_big_tree
	local pid=$(pgrep -f "vyrefs $MNT" | head -1)
	local fds0=$(ls /proc/$pid/fd | wc -l)
	JID=$(submit "scan path=$T/big op=grep pattern=ERROR")
	local done=0
	for _ in $(seq 200); do
		done=$(status_key "$JID" files_done)
		[ "$done" -gt 0 ] && break
		sleep 0.05
	done
	[ "$done" -gt 0 ]
	[ "$(status_key "$JID" state)" = running ]
	run rmdir "$MNT/jobs/$JID"
	[ "$status" -ne 0 ] # EBUSY while it runs
	echo cancel > "$MNT/jobs/$JID/ctl"
	timeout 30 cat "$MNT/jobs/$JID/wait" > /dev/null
	[ "$(status_key "$JID" state)" = cancelled ]
	[ "$(status_key "$JID" files)" -lt "$BIG" ]
	# every file it lists was counted right: 117 lines hold ERROR in each
	awk '$1 != 117 { bad = 1 } END { exit bad }' "$MNT/jobs/$JID/files"
	rmdir "$MNT/jobs/$JID"
	sleep 0.5
	[ "$(ls /proc/$pid/fd | wc -l)" -le "$fds0" ]
	[ "$(sed -n 's/^slots_free=//p' "$MNT/status")" = "$(sed -n 's/^slots=//p' "$MNT/status")" ]
}

@test "a tree changed during the walk: the job ends done, changed files reported, nothing crashes" {
	local d="$T/churn"
	mkdir -p "$d"
	for i in $(seq 300); do printf 'x\ny\n' > "$d/f$i"; done
	# the churn (rounds of: remove a third, append to a third, write a third
	# into n0..n19) runs from before the submit until the job has ended (the
	# stop file), in one python: 20 rounds of forked rm and mkdir took ~200 s
	# on a loaded box and went on long after the job
	/usr/bin/python3 - "$d" 3>&- <<-'EOF' &
		import os, sys
		d = sys.argv[1]
		for r in range(100000):
		    if os.path.exists(d + ".stop"):
		        break
		    for i in range(1, 301):
		        p = "%s/f%d" % (d, i)
		        if i % 3 == 0:
		            try:
		                os.remove(p)
		            except FileNotFoundError:
		                pass
		        elif i % 3 == 1:
		            with open(p, "ab") as f:
		                f.write(b"x\ny\nz\n")
		        else:
		            # written beside the tree and renamed in: a file opened
		            # between open(O_TRUNC) and write would rightly count 0
		            os.makedirs("%s/n%d" % (d, r % 20), exist_ok=True)
		            with open(d + ".tmp", "wb") as f:
		                f.write(b"q\n")
		            os.replace(d + ".tmp", "%s/n%d/g%d" % (d, r % 20, i))
		    if r == 0:
		        open(d + ".started", "w").close()
	EOF
	local churn=$!
	for _ in $(seq 300); do [ -e "$d.started" ] && break; sleep 0.1; done
	[ -e "$d.started" ]
	run_job "scan path=$d op=count"
	touch "$d.stop"
	timeout 60 tail --pid="$churn" -f /dev/null
	[ "$(status_key "$JID" state)" = done ]
	# each result is a whole number of the lines written; failures name a reason
	awk '{ if ($1 < 1) bad = 1 } END { exit bad }' "$MNT/jobs/$JID/files"
	[ -z "$(grep -vE ' (ENOENT|ESTALE)$' "$MNT/jobs/$JID/failed")" ]
	# the daemon still answers
	[ "$(result_of "scan path=/usr/share/common-licenses/GPL-3 op=count")" = 674 ]
}

@test "files_max=: past it the walk stops with an error that names the option" {
	local m2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	"$VYREFS" "$m2" -o "log=$BATS_FILE_TMPDIR/m2.log,files_max=5"
	exec 7<>"$m2/ctl"
	echo "scan path=/usr/share/common-licenses op=count" >&7
	read -r id <&7
	exec 7>&-
	cat "$m2/jobs/$id/wait" > /dev/null
	local st=$(sed -n 's/^state=//p' "$m2/jobs/$id/status")
	local err=$(sed -n 's/^error=//p' "$m2/jobs/$id/status")
	local n=$(wc -l < "$m2/jobs/$id/files")
	umount "$m2"
	rmdir "$m2"
	[ "$st" = failed ]
	[[ "$err" == *"more than 5 files"*"files_max=N"* ]]
	[ "$n" -le 5 ]
}

@test "wait ends only after the walk and every file; a one-file job keeps its old files" {
	run_job "scan path=/usr/include/linux op=count"
	[ "$(status_key "$JID" files_done)" = "$(status_key "$JID" files)" ]
	run_job "scan path=/usr/share/common-licenses/GPL-3 op=count"
	[ "$(cat "$MNT/jobs/$JID/files")" = "674 /usr/share/common-licenses/GPL-3" ]
	[ "$(status_key "$JID" files)" = 1 ]
}

@test "unmount during two walks: the walks stop, the daemon exits promptly" {
	make_big_tree
	local m2=$(mktemp -d /tmp/vyre-mnt.XXXXXX) id
	"$VYREFS" "$m2" -o "log=$BATS_FILE_TMPDIR/m3.log"
	for op in "grep pattern=ERROR" count; do
		exec 7<>"$m2/ctl"
		echo "scan path=$T/big op=$op" >&7
		read -r id <&7
		exec 7>&-
	done
	sleep 0.5
	umount "$m2"
	local gone=0
	for _ in $(seq 150); do
		pgrep -f "vyrefs $m2" >/dev/null || { gone=1; break; }
		sleep 0.1
	done
	rmdir "$m2"
	[ "$gone" = 1 ]
}

@test "offset= and length= apply to each file of a tree; grep max= stops each file, none is ESTALE" {
	local d="$T/ranges" f want
	mkdir -p "$d/sub"
	seq 1 100000 > "$d/big"          # unpacked
	seq 1 300 > "$d/small"           # packed when whole
	printf 'x\n' > "$d/sub/tiny"
	for f in "$d/big" "$d/small" "$d/sub/tiny"; do chmod 644 "$f"; done
	# count of '\n' in bytes [4, 4+70000) of each file
	want=$(/usr/bin/python3 -c '
import sys
print(sum(open(p, "rb").read()[4:70004].count(b"\n") for p in sys.argv[1:]))' "$d/big" "$d/small" "$d/sub/tiny")
	run_job "scan path=$d op=count offset=4 length=70000"
	[ "$(status_key "$JID" state)" = done ]
	[ "$(cat "$MNT/jobs/$JID/result")" = "$want" ]
	[ -z "$(cat "$MNT/jobs/$JID/failed")" ]
	# grep -m 50 -c per file, summed
	want=$(LC_ALL=C grep -r -a -c -m 50 1 "$d" | awk -F: '{s += $NF} END {print s}')
	run_job "scan path=$d op=grep pattern=1 max=50"
	[ "$(status_key "$JID" state)" = done ]
	[ -z "$(cat "$MNT/jobs/$JID/failed")" ]
	[ "$(cat "$MNT/jobs/$JID/result")" = "$want" ]
}
