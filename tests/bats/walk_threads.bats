#!/usr/bin/env bats
# Several walker threads for one job (fs/walk_par.c, ARCHITECTURE.md "Many
# files"): a directory operand sorted by path is listed by up to
# VYRE_WALK_THREADS threads. Per-file results equal grep -r -c -a; the
# helpers walk as the caller (a directory nobody may not list is a failed
# entry, its files unread); files_max and cancel stop every walker and
# leave no fd behind; order=walk shares the walk too and keeps grep -r's
# order (fs/many_order.c), whole and streamed.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	VYRE_WALK_THREADS=6 mount_vyrefs allow_other
	T="$(mktemp -d /tmp/vyre-walkt.XXXXXX)"
	export T
	chmod 755 "$T"
	# 3 levels, 6 x 5 x 4 directories, 1-9 files each: 0 bytes, 1 byte, no
	# final newline, 'vyre' lines here and there, one file over a 64 KiB pack
	/usr/bin/python3 - "$T/tree" <<-'PY'
	import os, random, sys
	r = random.Random(23)
	top = sys.argv[1]
	n = 0
	for a in range(6):
	    for b in range(5):
	        for c in range(4):
	            d = os.path.join(top, "a%d" % a, "b%d" % b, "c%d" % c)
	            os.makedirs(d)
	            for f in range(r.randint(1, 9)):
	                k = r.randint(0, 40)
	                body = "".join(r.choice(["vyre here\n", "plain\n", "x vyre vyre\n", "no\n"]) for _ in range(k))
	                if f == 0 and c == 0:
	                    body = ""
	                elif f == 1 and c == 1:
	                    body = "v"
	                elif f == 2 and c == 2:
	                    body = body.rstrip("\n") + "vyre"
	                elif f == 3 and c == 3 and b == 0:
	                    body = "vyre line\n" * 9000
	                open(os.path.join(d, "f%d" % f), "w").write(body)
	                n += 1
	        open(os.path.join(top, "a%d" % a, "b%d" % b, "top.txt"), "w").write("vyre\n" * (a + b))
	PY
	chmod -R a+rX "$T"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${T:?}"
}

# "RESULT PATH" lines as grep -c prints them ("PATH:RESULT"), in path order
files_as_grep() {
	sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$1/files" | LC_ALL=C sort
}

# daemon_fds: open fds of this file's daemon
daemon_fds() {
	ls "/proc/$(pgrep -n -f "vyrefs $MNT")/fd" | wc -l
}

@test "six walkers: per-file grep counts and count's newlines equal grep -r -c -a and wc -l" {
	local id
	job "scan path=$T/tree op=grep pattern=vyre" # submits, waits, state=done (common.bash)
	id=$JID
	[ "$(status_key "$id" files_failed)" = 0 ]
	echo "walkers=$(status_key "$id" walkers)" >&2
	# 120 directories below the first: helpers were started
	[ "$(status_key "$id" walkers)" -gt 1 ]
	diff <(files_as_grep "$id") <(LC_ALL=C grep -r -c -a vyre "$T/tree" | LC_ALL=C sort)
	[ "$(cat "$MNT/jobs/$id/result")" = "$(LC_ALL=C grep -r -h -a vyre "$T/tree" | wc -l)" ]
	job "scan path=$T/tree op=count"
	id=$JID
	[ "$(status_key "$id" files)" = "$(find "$T/tree" -type f | wc -l)" ]
	diff <(files_as_grep "$id") <(find "$T/tree" -type f -exec sh -c 'for f; do printf "%s:%s\n" "$f" "$(wc -l < "$f")"; done' _ {} + | LC_ALL=C sort)
}

@test "the helpers walk as the caller: a directory nobody cannot list fails EACCES, its files unread" {
	local id out
	mkdir -p "$T/priv/open/deep" "$T/priv/a1/closed/inner"
	echo vyre >"$T/priv/open/deep/f"
	echo vyre >"$T/priv/a1/closed/inner/secret"
	echo vyre >"$T/priv/a1/closed/secret2"
	for i in $(seq 20); do mkdir -p "$T/priv/w$i/x"; echo "vyre $i" >"$T/priv/w$i/x/f"; done
	chmod -R a+rX "$T/priv"
	chmod 700 "$T/priv/a1/closed"
	out=$(submit_as "${NOBODY[@]}" -- "scan path=$T/priv op=grep pattern=vyre")
	[[ "$out" == "rc=0 "* ]]
	id=${out#rc=0 }
	timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
	[ "$(status_key "$id" state)" = done ]
	grep -qx "$T/priv/a1/closed EACCES" "$MNT/jobs/$id/failed"
	run ! grep -q secret "$MNT/jobs/$id/files"
	[ "$(status_key "$id" files)" = 21 ]
	[ "$(status_key "$id" walkers)" -gt 1 ]
	[ "$(cat "$MNT/jobs/$id/result")" = 21 ]
	# the same walk as nobody's grep sees it
	diff <(files_as_grep "$id") <(cd / && "${NOBODY[@]}" env LC_ALL=C grep -r -c -a vyre "$T/priv" 2>/dev/null | LC_ALL=C sort)
}

@test "files_max stops every walker: the job fails naming the option, no fd left behind" {
	local m2 id before after st
	m2=$(mktemp -d /tmp/vyre-mnt.XXXXXX)
	VYRE_WALK_THREADS=6 "$VYREFS" "$m2" -o "log=$BATS_FILE_TMPDIR/m2.log,files_max=40"
	local pid
	pid=$(pgrep -n -f "vyrefs $m2")
	before=$(ls "/proc/$pid/fd" | wc -l)
	exec 7<>"$m2/ctl"
	echo "scan path=$T/tree op=count" >&7
	read -r id <&7
	exec 7>&-
	timeout 60 cat "$m2/jobs/$id/wait" >/dev/null
	st=$(cat "$m2/jobs/$id/status")
	after=$(ls "/proc/$pid/fd" | wc -l)
	local n
	n=$(wc -l <"$m2/jobs/$id/files")
	umount "$m2"
	rmdir "$m2"
	[[ "$st" == *"state=failed"* ]]
	[[ "$st" == *"files_max=N"* ]]
	[ "$n" -le 40 ]
	[ "$after" -le "$before" ]
}

@test "cancel during a walk by six: the job ends promptly, every walker gone, no fd left behind" {
	local id before after t0
	mkdir -p "$T/wide"
	/usr/bin/python3 -c '
import os, sys
for d in range(300):
    p = os.path.join(sys.argv[1], "d%d" % d, "e")
    os.makedirs(p)
    for f in range(30):
        open(os.path.join(p, "f%d" % f), "w").write("vyre\n" * 50)' "$T/wide"
	chmod -R a+rX "$T/wide"
	before=$(daemon_fds)
	id=$(submit "scan path=$T/wide op=grep pattern=vyre")
	sleep 0.3
	echo cancel >"$MNT/jobs/$id/ctl"
	t0=$(now_ms)
	timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
	echo "ended $(($(now_ms) - t0)) ms after the cancel: $(status_key "$id" state)" >&2
	[[ "$(status_key "$id" state)" =~ ^(cancelled|done)$ ]]
	[ "$(($(now_ms) - t0))" -lt 30000 ]
	[ "$(status_key "$id" walking)" = 0 ]
	after=$(daemon_fds)
	[ "$after" -le "$before" ]
	# the whole of it, uncancelled: 300 directories fill the queue (256),
	# so walkers also list subdirectories themselves, depth first
	job "scan path=$T/wide op=grep pattern=vyre"
	id=$JID
	[ "$(status_key "$id" files)" = 9000 ]
	diff <(files_as_grep "$id") <(LC_ALL=C grep -r -c -a vyre "$T/wide" | LC_ALL=C sort)
}

@test "globs and a files= list share their directories too: per-file counts equal grep -r -c -a" {
	local id
	job "scan path=$T/tree/a[0-2] op=grep pattern=vyre"
	id=$JID
	[ "$(status_key "$id" walkers)" -gt 1 ]
	diff <(files_as_grep "$id") <(LC_ALL=C grep -r -c -a vyre "$T/tree/a0" "$T/tree/a1" "$T/tree/a2" | LC_ALL=C sort)
	printf '%s\n' "$T/tree/a3" "$T/tree/a4/b1/c2/f0" "$T/tree/a5" >"$T/list"
	chmod 644 "$T/list"
	job "scan files=$T/list op=grep pattern=vyre"
	id=$JID
	diff <(files_as_grep "$id") <(LC_ALL=C grep -r -c -a vyre "$T/tree/a3" "$T/tree/a4/b1/c2/f0" "$T/tree/a5" | LC_ALL=C sort)
}

@test "order=walk shares its directories and keeps grep -r's order, streamed and whole" {
	local id i
	for i in 1 2 3; do
		job "scan path=$T/tree op=grep pattern=vyre order=walk lines=1"
		id=$JID
		echo "walkers=$(status_key "$id" walkers)" >&2
		[ "$(status_key "$id" walkers)" -gt 1 ]
		diff <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$id/files") <(LC_ALL=C grep -r -c -a vyre "$T/tree")
		diff <(cut -d: -f1,2 "$MNT/jobs/$id/lines") <(LC_ALL=C grep -r -n -a vyre "$T/tree" | cut -d: -f1,2)
	done
	# read while it runs: each read gives what is certain, in the same order
	id=$(submit "scan path=$T/tree op=grep pattern=vyre order=walk")
	diff <(timeout 60 sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$id/files") <(LC_ALL=C grep -r -c -a vyre "$T/tree")
	[ "$(status_key "$id" walkers)" -gt 1 ]
	# follow=1 keeps its set of directories entered on one walker
	job "scan path=$T/tree op=grep pattern=vyre order=walk follow=1"
	[ "$(status_key "$JID" walkers)" = 1 ]
	diff <(sed 's/^\([0-9]*\) \(.*\)$/\2:\1/' "$MNT/jobs/$JID/files") <(LC_ALL=C grep -R -c -a vyre "$T/tree")
}
