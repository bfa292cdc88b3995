#!/usr/bin/env bats
# Hardening, round 2 (issue 21), items 2-5: sources that never answer
# (tests/helpers/hangfs) hold neither another user's ctl, nor the pump
# thread, nor every slot; reads fail at their deadline; -s does not hang
# on an overlay stacked on the mount. Split from hardening2.bats, whose
# other items need no hanging source.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	mount_vyrefs allow_other
	files_dir hard2h
	seq 1 1000 > "$FILES/public"
	chmod 644 "$FILES/public"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

HANGFS="${HANGFS:-$VYRE_ROOT/build/tests/hangfs}"

# start_hangfs SECONDS: a FUSE mount whose lookups under d/ and reads of f
# hang that long, or until release_hangfs or stop_hangfs; sets HMNT, HPID
start_hangfs() {
	HMNT="$(mktemp -d /tmp/vyre-hang.XXXXXX)"
	chmod 755 "$HMNT"
	"$HANGFS" "$HMNT" -f -o "allow_other,hang=$1" &
	HPID=$!
	for _ in $(seq 50); do mountpoint -q "$HMNT" && break; sleep 0.1; done
	mountpoint -q "$HMNT"
}

result_of_id() {
	wait_job "$1" && cat "$MNT/jobs/$1/result"
}

# release_hangfs: the hangs under way end now (a lookup ENOENT, a read EIO,
# as at their end); requests that come later hang afresh (hangfs.c: SIGUSR1)
release_hangfs() {
	kill -USR1 "$HPID"
}

# stop_hangfs: every hang ends first, and none to come hangs (SIGUSR2), so
# its exit waits for no hang (it did, up to the whole hang=, in every test)
stop_hangfs() {
	kill -USR2 "$HPID" 2>/dev/null || true
	kill "$HPID" 2>/dev/null || true
	umount -l "$HMNT" 2>/dev/null || true
	wait "$HPID" 2>/dev/null || true
	rmdir "$HMNT" 2>/dev/null || true
}

# hang_mount SECONDS [READ_TIMEOUT_MS]: hangfs (start_hangfs SECONDS) and a
# vyrefs of the test's own that reads FUSE sources, with that read deadline
# if given; the file's mount waits in OUTER and OUTER_LOG
hang_mount() {
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs "$1"
	OUTER=$MNT OUTER_LOG=$LOG
	if [ -n "${2:-}" ]; then
		VYRE_READ_TIMEOUT_MS=$2 mount_vyrefs allow_other,fuse_sources=1
	else
		mount_vyrefs allow_other,fuse_sources=1
	fi
}

# hang_unmount: the test's vyrefs unmounted (UM: how long it took, ms)
# while hangfs still hangs, then hangfs ended and the file's mount back;
# fails as the umount did, after the cleanup
hang_unmount() {
	local t0 rc=0
	t0=$(now_ms)
	timeout 60 umount "$MNT" || rc=$?
	UM=$(($(now_ms) - t0))
	stop_hangfs
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	return "$rc"
}

# user_ctl_free SETPRIV...: once a stuck lookup has returned (release_hangfs),
# the user's ctl takes a write again: submit_as until the answer is not
# EAGAIN, 5 s at most; the last answer in output
user_ctl_free() {
	local i
	for i in $(seq 50); do
		run submit_as "$@" -- "scan path=$FILES/public op=count"
		[[ "$output" == *"Resource temporarily unavailable"* ]] || return 0
		sleep 0.1
	done
}

# pack_list DIR LIST: DIR/1..3, 1,500 bytes each (a file and its 2,048
# bytes of room fill a 4 KiB packed chunk), and LIST naming them with
# hangfs's s second, all readable by nobody
pack_list() {
	local i
	mkdir -p "$1"
	for i in 1 2 3; do
		seq 1 1000 | sed "s/^/$i /" | head -c 1500 > "$1/$i"
	done
	chmod -R a+rX "$1"
	printf '%s\n' "$1/1" "$HMNT/s" "$1/2" "$1/3" > "$2"
	chmod 644 "$2"
}

# pack_want DIR: what files, then failed, of pack_list's job hold: wc's
# count of each file, and s failed ETIMEDOUT
pack_want() {
	local f
	for f in "$1"/[123]; do
		printf '%s %s\n' "$(tr -cd '\n' < "$f" | wc -c)" "$f"
	done
	echo --
	echo "$HMNT/s ETIMEDOUT"
}

@test "item 3/4: files on a FUSE mount are refused by default, before anything in it is looked up" {
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs 20
	local t0=$SECONDS
	run "${NOBODY[@]}" timeout 15 bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	local took=$((SECONDS - t0))
	run2=$output
	run "${NOBODY[@]}" timeout 15 bash -c 'echo "scan path=$1/f op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	stop_hangfs
	echo "$run2 / $output (in $took s)" >&2
	[[ "$run2" == *"Invalid argument"* ]]
	[[ "$output" == *"Invalid argument"* ]]
	[ "$took" -lt 10 ]
}

@test "item 2/4: a write that hangs holds only its own user's ctl (fuse_sources=1)" {
	hang_mount 20
	# nobody's submit looks up a name in a directory that never answers
	"${NOBODY[@]}" timeout 30 bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT" 2>/dev/null &
	local hung=$!
	sleep 1
	local t0=$(date +%s%N) id res
	# (before per-user ctl inodes, this waited for the hang to end: 20 s)
	id=$(submit "scan path=$FILES/public op=count")
	res=$(result_of_id "$id")
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "root's job beside a hung submit: id=$id result=$res in $ms ms" >&2
	stop_hangfs
	wait "$hung" || true
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	[ "$res" = 1000 ]
	[ "$ms" -lt 10000 ]
}

@test "item 2/4: a ctl write stuck in a lookup is answered EINTR on SIGKILL; the user's next write fails EAGAIN until the lookup returns" {
	local t0 ms k out2 id res
	hang_mount 12
	# before INTERRUPT was handled the writer sat in D state until the lookup
	# returned, SIGKILL or not (the kernel waits for the daemon's answer)
	t0=$(now_ms)
	run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'echo "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	k=$(($(now_ms) - t0))
	# the lookup still waits: the user's next write is refused at once, not queued behind it
	t0=$(now_ms)
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
	out2=$output
	local ms2=$(($(now_ms) - t0))
	# root is not held
	t0=$(now_ms)
	id=$(submit "scan path=$FILES/public op=count")
	res=$(result_of_id "$id")
	ms=$(($(now_ms) - t0))
	# once the lookup has returned, nobody may write again, and nothing of the killed write ran
	release_hangfs
	user_ctl_free "${NOBODY[@]}"
	local out3=$output named
	named=$(jobs_naming "$HMNT")
	stop_hangfs
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	echo "killed writer returned after $k ms; nobody's next write in $ms2 ms: $out2; root's job in $ms ms: $res; after the lookup: $out3" >&2
	[ "$k" -lt 4000 ]
	[[ "$out2" == *"Resource temporarily unavailable"* ]]
	[ "$ms2" -lt 1000 ]
	[ "$res" = 1000 ]
	[ "$ms" -lt 3000 ]
	[[ "$out3" =~ ^rc=0\ [0-9]+$ ]]
	[ -z "$named" ]
}

# ctl_line_ended_by_stuck HOW: nobody leaves a line open whose lookup hangs
# 12 s and ends it by HOW (close: echo -n's FLUSH; read: a read of ctl),
# killed after 1 s; checks as the write's test above does
ctl_line_ended_by_stuck() {
	local t0 ms k out2 ms2 out3 id res named
	hang_mount 12
	# before, the close or read sat in D state until the lookup returned
	t0=$(now_ms)
	if [ "$1" = close ]; then
		run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'echo -n "scan path=$1/d/x op=count" > "$2/ctl"' _ "$HMNT" "$MNT"
	else
		run timeout -s KILL 1 "${NOBODY[@]}" bash -c 'exec 7<>"$2/ctl"; printf "scan path=%s/d/x op=count" "$1" >&7; read -r a <&7' _ "$HMNT" "$MNT"
	fi
	k=$(($(now_ms) - t0))
	t0=$(now_ms)
	run submit_as timeout 5 "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
	out2=$output
	ms2=$(($(now_ms) - t0))
	t0=$(now_ms)
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	id=${BASH_REMATCH[1]}
	timeout 20 cat "$MNT/jobs/$id/wait" >/dev/null
	res=$(timeout 5 cat "$MNT/jobs/$id/result")
	ms=$(($(now_ms) - t0))
	release_hangfs
	user_ctl_free timeout 10 "${NOBODY[@]}"
	out3=$output
	named=$(jobs_naming "$HMNT")
	hang_unmount
	local um=$UM
	echo "killed $1 returned after $k ms; nobody's next write in $ms2 ms: $out2; root's job in $ms ms: $res; after the lookup: $out3; unmount $um ms" >&2
	[ "$k" -lt 4000 ]
	[[ "$out2" == *"Resource temporarily unavailable"* ]]
	[ "$ms2" -lt 1000 ]
	[ "$res" = "$(wc -l < "$FILES/public")" ]
	[ "$ms" -lt 3000 ]
	[[ "$out3" =~ ^rc=0\ [0-9]+$ ]]
	[ -z "$named" ]
	[ "$um" -lt 30000 ]
}

@test "item 2/4: a close (echo -n) whose line's lookup is stuck is answered EINTR on SIGKILL; the user's next write fails EAGAIN until it returns" {
	ctl_line_ended_by_stuck close
}

@test "item 2/4: a read of ctl that ends a line whose lookup is stuck is answered EINTR on SIGKILL; the user's next write fails EAGAIN until it returns" {
	ctl_line_ended_by_stuck read
}

@test "item 3: reads from a source that never answers hold neither the pump thread nor every slot (fuse_sources=1)" {
	local a id t0 ms all=() waits=() max=0 w i st
	hang_mount 10
	# 256 chunks of 4 KiB, every read hangs 10 s: a 4 KiB read of a FUSE file
	# was a plain pread on the pump thread, which then served no one
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=4K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	sleep 1
	for i in 1 2 3; do
		t0=$(now_ms)
		id=$(submit "scan path=$FILES/public op=count")
		timeout 60 cat "$MNT/jobs/$id/wait" >/dev/null
		ms=$(($(now_ms) - t0))
		w=$(($(sed -n 's/^read_us=//p' "$MNT/jobs/$id/status") / 1000))
		all+=("$ms")
		waits+=("$w")
		[ "$ms" -gt "$max" ] && max=$ms
		[ "$(cat "$MNT/jobs/$id/result")" = "$(wc -l < "$FILES/public")" ]
	done
	st=$(grep -E '^(state|chunks_done)=' "$MNT/jobs/$a/status" | tr '\n' ' ')
	echo cancel > "$MNT/jobs/$a/ctl"
	stop_hangfs
	timeout 60 cat "$MNT/jobs/$a/wait" >/dev/null
	t0=$(now_ms)
	timeout 60 umount "$MNT"
	local um=$(($(now_ms) - t0))
	unmount_vyrefs
	MNT=$OUTER LOG=$OUTER_LOG
	echo "root's jobs beside nobody's hanging reads ($st): ${all[*]} ms, read after ${waits[*]} ms; unmount ${um} ms" >&2
	[ "$max" -lt 3000 ]
}

@test "item 3: a read that never answers fails ETIMEDOUT at its deadline; cancel and rmdir answer; unmount finishes" {
	local a b st t0 ms want got um rm
	hang_mount 15 2000
	# 16 chunks of 64 KiB whose reads answer after 15 s (past the 10 s the
	# job may take: the deadline is 2 s): before deadlines the job ran (and
	# cancel, rmdir, unmount waited) until they did
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(cat "$MNT/jobs/$a/failed")
	want=$(for k in $(seq 0 15); do echo "$k ETIMEDOUT $((k * 65536))"; done)
	# those reads, abandoned, end now as they would at 15 s: they held
	# hangfs's threads, and the next job's open waited for them
	release_hangfs
	# a cancelled job whose reads hang ends at once too, and goes
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	b=${BASH_REMATCH[1]}
	sleep 0.5
	t0=$(now_ms)
	"${NOBODY[@]}" bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$b/ctl"
	local bst=$(timeout 20 cat "$MNT/jobs/$b/wait" | sed -n 's/^state=//p')
	local cms=$(($(now_ms) - t0))
	"${NOBODY[@]}" rmdir "$MNT/jobs/$b" && rm=ok || rm=failed
	# the slots those reads still hold leave root room
	[ "$(result_of "scan path=$FILES/public op=count")" = 1000 ]
	hang_unmount
	um=$UM
	echo "hanging job ended in $ms ms: $(grep -E '^(state|chunks_failed)=' <<<"$st" | tr '\n' ' '); cancelled one ended $bst in $cms ms, rmdir $rm; unmount $um ms" >&2
	grep -qx 'state=failed' <<<"$st"
	[ "$got" = "$want" ]
	[ "$ms" -lt 10000 ]
	[ "$bst" = cancelled ]
	[ "$cms" -lt 5000 ]
	[ "$rm" = ok ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a grep continuation read that never answers fails at its deadline; the job ends" {
	local a st t0 ms got res ref um
	hang_mount 15 2000
	# g: chunk 0's read (it starts below 64 KiB) answers; its last line runs
	# on past the tail window, and grep's reads of it, like chunk 1's, hang
	# 15 s (past the 10 s the job may take). Before continuation reads had
	# deadlines the job waited for them (and then for each smaller retry:
	# the hang again apiece).
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/g op=grep pattern=matchme chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/failed")
	res=$(timeout 5 cat "$MNT/jobs/$a/result" 2>&1)
	# the same bytes, made here: the lines chunk 0 holds whole
	ref=$(yes matchme | head -c 32768 | grep -c matchme)
	# root's job is not held by the slots those reads keep
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null
	local rootres=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result")
	hang_unmount
	um=$UM
	echo "grep job ended in $ms ms: $(grep -E '^(state|chunks_failed)=' <<<"$st" | tr '\n' ' '); failed: $got; result: $res (ref $ref); unmount $um ms" >&2
	grep -qx 'state=failed' <<<"$st"
	[ "$got" = "1 ETIMEDOUT 65536" ]
	[ "$res" = "$ref" ]
	[ "$rootres" = "$(wc -l < "$FILES/public")" ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a packed file whose read never answers fails ETIMEDOUT at its deadline; its job's other files are counted" {
	local a st t0 ms list="$FILES/pack.list" got want um
	hang_mount 40 2000
	# hangfs's s (1,000 bytes) hangs 40 s; the 1,500-byte files beside it
	# make each file a 4 KiB packed chunk of its own (2,048 bytes of room).
	# Before, its read had no deadline (the job waited 40 s), and it was
	# issued inline, on the pump thread, which then served no one
	pack_list "$FILES/pk" "$list"
	run submit_as "${NOBODY[@]}" -- "scan files=$list op=count chunk=4K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	# root's job while s's read is out, well before its deadline
	sleep 0.3
	local r0=$(now_ms) rootres rms
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null
	rootres=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result")
	rms=$(($(now_ms) - r0))
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/files"; echo --; timeout 5 cat "$MNT/jobs/$a/failed")
	want=$(pack_want "$FILES/pk")
	hang_unmount
	um=$UM
	echo "packed job ended in $ms ms: $(grep -E '^(state|files|files_failed)=' <<<"$st" | tr '\n' ' '); files, failed: $got; root's job beside it in $rms ms; unmount $um ms" >&2
	grep -qx 'files_failed=1' <<<"$st"
	[ "$got" = "$want" ]
	[ "$rootres" = "$(wc -l < "$FILES/public")" ]
	[ "$rms" -lt 1500 ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a packed file whose read never answers fails alone; the files packed in its chunk are counted" {
	local a st t0 ms list="$FILES/pack1.list" got want um
	hang_mount 40 1000
	# chunk=64K: the four files share one packed chunk, hangfs's s (whose
	# read hangs 40 s) among them. Before, all four failed ETIMEDOUT with it
	pack_list "$FILES/pk1" "$list"
	run submit_as "${NOBODY[@]}" -- "scan files=$list op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	t0=$(now_ms)
	st=$(timeout 20 cat "$MNT/jobs/$a/wait")
	ms=$(($(now_ms) - t0))
	got=$(timeout 5 cat "$MNT/jobs/$a/files"; echo --; timeout 5 cat "$MNT/jobs/$a/failed")
	want=$(pack_want "$FILES/pk1")
	hang_unmount
	um=$UM
	echo "packed job ended in $ms ms: $(grep -E '^(state|files|files_failed)=' <<<"$st" | tr '\n' ' '); files, failed: $got; unmount $um ms" >&2
	grep -qx 'files_failed=1' <<<"$st"
	[ "$got" = "$want" ]
	[ "$ms" -lt 10000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: once a job whose reads hang ends, its file's close holds no one's jobs" {
	local a st t0 rms res um
	hang_mount 30 1000
	# 16 reads of f hang 30 s and fill hangfs's threads, so the FLUSH of
	# the file's close waits for them: closed on the pump thread, it held
	# every user's jobs until then
	run submit_as "${NOBODY[@]}" -- "scan path=$HMNT/f op=count chunk=64K"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	a=${BASH_REMATCH[1]}
	st=$(timeout 20 cat "$MNT/jobs/$a/wait" | sed -n 's/^state=//p')
	t0=$(now_ms)
	run submit_as timeout 10 -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	timeout 20 cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null || true
	res=$(timeout 5 cat "$MNT/jobs/${BASH_REMATCH[1]}/result") || true
	rms=$(($(now_ms) - t0))
	hang_unmount || true
	um=$UM
	echo "hanging job ended $st; root's job after it in $rms ms; unmount $um ms" >&2
	[ "$st" = failed ]
	[ "$res" = "$(wc -l < "$FILES/public")" ]
	[ "$rms" -lt 3000 ]
	[ "$um" -lt 30000 ]
}

@test "item 3: a slot abandoned at a read's deadline gives its job back at unmount (LeakSanitizer)" {
	ldd "$VYREFS" | grep -q libasan || skip "VYREFS is not an AddressSanitizer build"
	[ -x "$HANGFS" ] || skip "no hangfs helper (build the tests)"
	start_hangfs 60
	local m l id st gone=no
	m=$(mktemp -d /tmp/vyre-lsan.XXXXXX)
	l="$BATS_TEST_TMPDIR/lsan.log"
	# the reads of f hang 60 s, past the 1 s deadline and the unmount: the
	# slots they hold, abandoned, kept their job's reference for good. Two
	# reads: hangfs keeps threads to answer the job's FLUSH (a close on the
	# pump thread) and the daemon exits while they hang
	LSAN_OPTIONS=suppressions=$VYRE_ROOT/tests/lsan.supp ASAN_OPTIONS=detect_leaks=1 \
		VYRE_READ_TIMEOUT_MS=1000 VYRE_VALIDATION=1 "$VYREFS" "$m" -o "log=$l,fuse_sources=1"
	id=$(timeout 20 bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count chunk=512K" >&7; read -r id <&7; echo "$id"' \
		_ "$m" "$HMNT/f")
	st=$(timeout 20 cat "$m/jobs/$id/wait" | sed -n 's/^state=//p')
	timeout 40 umount "$m" || umount -l "$m"
	# the daemon must be gone before hangfs is, whose end answers the reads
	for _ in $(seq 150); do pgrep -f "vyrefs $m" >/dev/null || { gone=yes; break; }; sleep 0.2; done
	stop_hangfs
	rmdir "$m"
	echo "job $id ended $st; daemon gone before the reads returned: $gone" >&2
	[ "$st" = failed ]
	[ "$gone" = yes ]
	run grep -E -A12 "ERROR: LeakSanitizer|SUMMARY: AddressSanitizer" "$l"
	echo "$output" >&2
	[ "$status" -ne 0 ]
}

@test "item 5: -s does not hang on a path that reaches the mount through an overlay stacked on it" {
	local m l o
	m=$(mktemp -d /tmp/vyre-s2.XXXXXX)
	o=$(mktemp -d /tmp/vyre-ovl.XXXXXX)
	l="$BATS_TEST_TMPDIR/s.log"
	VYRE_VALIDATION=1 "$VYREFS" -s "$m" -o "log=$l"
	mkdir "$o/upper" "$o/work" "$o/merged"
	if ! mount -t overlay overlay -o "lowerdir=$m,upperdir=$o/upper,workdir=$o/work" "$o/merged"; then
		umount "$m"
		rm -rf "$m" "$o"
		skip "no overlayfs here"
	fi
	run timeout 20 bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' \
		_ "$m" "scan path=$o/merged/README op=count"
	echo "$status $output" >&2
	local first=$status answer=$output
	# still serving, and it unmounts
	run timeout 10 cat "$m/epoch"
	local epoch=$status
	umount -l "$o/merged" || true
	timeout 20 umount "$m" || umount -l "$m"
	rm -rf "$o"
	rmdir "$m" 2>/dev/null || true
	[ "$first" -ne 124 ]
	[[ "$answer" == *"rc=1 error: path=$o/merged/README: the walk did not finish"* ]]
	[ "$epoch" -eq 0 ]
}
