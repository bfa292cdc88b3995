#!/usr/bin/env bats
# What a hostile user of an allow_other mount must not be able to do: read
# another user's file through the daemon's own fds, escape a chroot, read
# pseudo files with the daemon's privileges, hang the mount through itself,
# crowd other users out, or trip the parser's and listing's edges. Each
# test names the hardening item it holds to. None leaves a reader blocked
# in wait (so none depends on how many daemon threads there are).
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
STRANGER=(setpriv --reuid=54321 --regid=54321 --clear-groups)

setup_file() {
	mount_vyrefs allow_other,jobs_active=4,jobs_cap=3
	files_dir hard
	printf 'a\nb\nc\n' > "$FILES/public"
	chmod 644 "$FILES/public"
	mkdir -m 700 "$FILES/victim"
	# a victim's long job holds this open: 64 GiB, sparse
	truncate -s 64G "$FILES/victim/secret"
	chmod 600 "$FILES/victim/secret"
	truncate -s 64G "$FILES/big"
	chmod 644 "$FILES/big"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}


my_jobs() { # SETPRIV...: the job ids that user lists
	"$@" ls "$MNT/jobs" | grep -c '^[0-9][0-9]*$' || true
}

cancel_all() {
	for d in "$MNT"/jobs/[0-9]*; do
		echo cancel > "$d/ctl" 2>/dev/null || true
	done
}

@test "item 1: /proc/self/fd, /proc/thread-self/fd and /proc/<daemon>/fd never reach a victim's open file" {
	local vid pid before paths p i n
	vid=$(submit "scan path=$FILES/victim/secret op=count")
	[[ "$vid" =~ ^[0-9]+$ ]]
	pid=$(pgrep -f "vyrefs $MNT" | head -1)
	[ -n "$pid" ]
	# the daemon really holds the victim's file open now
	ls -l "/proc/$pid/fd" | grep -q "$FILES/victim/secret"
	before=$(my_jobs "${NOBODY[@]}")
	paths=(/proc/self/root$FILES/victim/secret)
	for n in $(seq 0 40); do
		paths+=(/proc/self/fd/$n /proc/thread-self/fd/$n /proc/$pid/fd/$n)
	done
	# one process of nobody's submits each path as submit_as would (open
	# ctl, write the line, read the answer) and prints "PATH<TAB>rc=N
	# ANSWER": a setpriv and a bash a path cost 67 s at load 10
	run "${NOBODY[@]}" timeout 120 bash -c 'cd /; m=$1; shift
		for p; do
			exec 7<>"$m/ctl" || exit 9
			printf "scan path=%s op=count\n" "$p" >&7 2>/dev/null; rc=$?
			a=; read -r -t 5 a <&7; exec 7>&-
			printf "%s\trc=%s %s\n" "$p" "$rc" "$a"
		done' _ "$MNT" "${paths[@]}"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "${#paths[@]}" ]
	for i in "${!paths[@]}"; do
		p=${paths[$i]}
		[[ "${lines[$i]}" == "$p"$'\t'"rc=1 error: path=$p: on procfs, a pseudo filesystem"* ]] ||
			{ echo "$p: ${lines[$i]}" >&2; return 1; }
	done
	[ "$(my_jobs "${NOBODY[@]}")" = "$before" ]
	echo cancel > "$MNT/jobs/$vid/ctl"
}

@test "item 2: listing jobs/ while jobs are submitted shows only job names" {
	local end=$((SECONDS + 8)) bad
	(while [ $SECONDS -lt $end ]; do
		for i in 1 2 3 4 5 6 7 8; do echo "scan path=$FILES/public op=count"; done > "$MNT/ctl" 2>/dev/null
	done) &
	local sub=$!
	while [ $SECONDS -lt $end ]; do
		bad=$(ls -a "$MNT/jobs" | grep -vxE '[0-9]+|latest|\.|\.\.' || true)
		[ -z "$bad" ] || { kill $sub; echo "bad names: $bad" >&2; return 1; }
		for f in "$MNT"/jobs/latest/failed "$MNT"/jobs/latest/status; do cat "$f" >/dev/null 2>&1 || true; done
	done
	wait $sub || true # its last write may have met the jobs_active limit
	for d in "$MNT"/jobs/[0-9]*; do cat "$d/wait" >/dev/null 2>&1 || true; done
	# the daemon is alive and right
	[ "$(result_of "scan path=$FILES/public op=count")" = 3 ]
}

@test "item 3: a daemon that is not root serves its own user only, even with allow_other" {
	[ -u /bin/fusermount3 ] || [ -u /usr/bin/fusermount3 ] || skip "fusermount3 is not setuid here"
	local m l conf_had
	m=$(mktemp -d /tmp/vyre-nr.XXXXXX)
	l=$(mktemp /tmp/vyre-nr-log.XXXXXX)
	chown nobody "$m" "$l"
	# what a user mount needs, as on a stock Debian: user_allow_other for
	# allow_other, and /dev/fuse open to all (this sandbox has it 0600)
	conf_had=$(grep -cx user_allow_other /etc/fuse.conf || true)
	[ "$conf_had" != 0 ] || echo user_allow_other >> /etc/fuse.conf
	local devmode=$(stat -c %a /dev/fuse)
	chmod 666 /dev/fuse
	# a small arena: a non-root daemon registers it within RLIMIT_MEMLOCK
	run "${NOBODY[@]}" env VYRE_VALIDATION=1 "$VYREFS" "$m" -o "allow_other,slots=4,chunk=64K,log=$l"
	chmod "$devmode" /dev/fuse
	[ "$conf_had" != 0 ] || sed -i '/^user_allow_other$/d' /etc/fuse.conf
	[ "$status" -eq 0 ] || { cat "$l" >&2; rmdir "$m"; return 1; }
	run "${STRANGER[@]}" bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' \
		_ "$m" "scan path=$FILES/public op=count"
	local stranger=$output
	run "${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' \
		_ "$m" "scan path=$FILES/public op=count"
	local own=$output
	umount "$m"
	rmdir "$m"
	rm -f "$l"
	echo "stranger: $stranger; owner: $own" >&2
	[[ "$stranger" == *"rc=1 error: this mount's daemon runs as uid $(id -u nobody) and cannot act for uid 54321"* ]]
	[[ "$own" =~ rc=0\ [0-9]+$ ]]
}

@test "item 5: a path on the mount itself is refused at once, also single-threaded (-s)" {
	local m l
	m=$(mktemp -d /tmp/vyre-s.XXXXXX)
	l="$BATS_TEST_TMPDIR/s.log"
	VYRE_VALIDATION=1 "$VYREFS" -s "$m" -o "log=$l"
	ln -s "$m/README" "$BATS_TEST_TMPDIR/to_mount"
	for p in "$m/README" "$m/jobs" "$m/status" "$BATS_TEST_TMPDIR/to_mount" "$m/../$(basename "$m")/ctl"; do
		run timeout 10 bash -c 'exec 7<>"$1/ctl"; printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' \
			_ "$m" "scan path=$p op=count"
		echo "$p: $status $output" >&2
		[ "$status" -ne 124 ] || { umount -l "$m"; return 1; }
		[[ "$output" == *"rc=1 error: path=$p: on this vyrefs mount"* ]] || { umount "$m"; return 1; }
	done
	# still serving, and it unmounts
	run timeout 10 cat "$m/epoch"
	[ "$status" -eq 0 ]
	timeout 20 umount "$m"
	rmdir "$m"
}

@test "item 6: per-user limits: a flood gets EAGAIN, others still get the ring and keep their jobs" {
	local ids=() i out rid before_root
	for i in 1 2 3 4; do
		run submit_as "${NOBODY[@]}" -- "scan path=$FILES/big op=count"
		[[ "$output" =~ rc=0\ ([0-9]+)$ ]] || { echo "$output" >&2; return 1; }
		ids+=("${BASH_REMATCH[1]}")
	done
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/big op=count"
	echo "$output" >&2
	[[ "$output" == *"Resource temporarily unavailable"* ]]
	[[ "$output" == *"rc=1 error: uid $(id -u nobody) has 4 jobs queued or running"*"jobs_active"* ]]
	# root's small job is admitted and finishes beside nobody's four huge ones
	rid=$(submit "scan path=$FILES/public op=count")
	run timeout 60 cat "$MNT/jobs/$rid/wait"
	[ "$status" -eq 0 ]
	[[ "$output" == *"state=done"* ]]
	[ "$(cat "$MNT/jobs/$rid/result")" = 3 ]
	for i in "${ids[@]}"; do echo cancel > "$MNT/jobs/$i/ctl"; done
	for i in "${ids[@]}"; do timeout 60 cat "$MNT/jobs/$i/wait" >/dev/null; done
	# nobody's many finished jobs reap nobody's own, never root's
	before_root=$(ls "$MNT/jobs" | grep -c '^[0-9]' || true)
	for i in $(seq 8); do
		run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
		[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
		"${NOBODY[@]}" cat "$MNT/jobs/${BASH_REMATCH[1]}/wait" >/dev/null
	done
	[ -d "$MNT/jobs/$rid" ]
	[ "$(my_jobs "${NOBODY[@]}")" -le 4 ] # jobs_cap=3 ended, plus one that may still be ending
}

@test "item 7: pseudo files are refused with EINVAL and a message, for root and nobody" {
	local cfg
	cfg=$(ls /sys/bus/pci/devices/*/config 2>/dev/null | head -1 || true)
	for p in /proc/cpuinfo /proc/self/status ${cfg:+"$cfg"} /sys/kernel/mm/transparent_hugepage/enabled; do
		[ -e "$p" ] || continue
		run submit_as "${NOBODY[@]}" -- "scan path=$p op=count"
		[[ "$output" == *"write error: Invalid argument"* ]]
		[[ "$output" == *"rc=1 error: path=$p: on "*"a pseudo filesystem"* ]]
		run submit_as env -- "scan path=$p op=count"
		[[ "$output" == *"rc=1 error: path=$p: on "*"a pseudo filesystem"* ]]
	done
}

@test "item 8: a chrooted caller's paths resolve in its own root" {
	local root="$BATS_TEST_TMPDIR/jail"
	mkdir -p "$root/etc" "$root/data"
	printf 'one\ntwo\n' > "$root/etc/services"
	ln -s /etc/services "$root/data/abs_link"
	ln -s ../../../../etc/services "$root/data/rel_link"
	local ids
	ids=$(python3 - "$MNT" "$root" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1] + "/ctl", os.O_RDWR)
		os.chroot(sys.argv[2]); os.chdir("/")
		out = []
		for p in ("/etc/services", "/../../../etc/services", "/data/abs_link", "/data/rel_link"):
		    os.write(fd, ("scan path=%s op=count\n" % p).encode())
		    out.append(os.read(fd, 512).decode().strip())
		print(" ".join(out))
	EOF
	)
	echo "ids: $ids" >&2
	for id in $ids; do
		[[ "$id" =~ ^[0-9]+$ ]]
		wait_job "$id"
		[ "$(cat "$MNT/jobs/$id/result")" = 2 ]
	done
	[ "$(wc -w <<< "$ids")" = 4 ]
}

@test "item 9: the rest of an overlong line is dropped, not submitted" {
	local before after
	before=$(ls "$MNT/jobs" | grep -c '^[0-9]' || true)
	run python3 - "$MNT" "$FILES/public" <<-'EOF'
		import os, sys
		fd = os.open(sys.argv[1] + "/ctl", os.O_RDWR)
		try:
		    os.write(fd, b"x" * 5000)
		    print("no error")
		except OSError as e:
		    print("first:", e.errno)
		n = os.write(fd, ("scan path=%s op=count\n" % sys.argv[2]).encode())
		print("rest:", n, os.read(fd, 200).decode().strip() or "(no new answer)")
		os.write(fd, ("scan path=%s op=count\n" % sys.argv[2]).encode())
		print("next:", os.read(fd, 200).decode().strip())
	EOF
	echo "$output" >&2
	[[ "${lines[0]}" == "first: 7" ]] # E2BIG
	# the rest of the line is taken (48 bytes) and makes no job: the answer
	# is still the overlong line's error
	[[ "${lines[1]}" == "rest: 48 error: a line of over 4096 bytes"* ]]
	[[ "${lines[2]}" =~ ^next:\ [0-9]+$ ]]
	after=$(ls "$MNT/jobs" | grep -c '^[0-9]' || true)
	[ "$after" -le $((before + 1)) ]
	[ "$(readlink "$MNT/jobs/latest")" = "${lines[2]#next: }" ]
}

@test "item 9: blank lines, also of blanks and tabs, are skipped" {
	exec 7<>"$MNT/ctl"
	run bash -c 'printf "   \n\t\n \t \nscan path=%s op=count\n\n" "$1" >&7' _ "$FILES/public"
	read -r -t 5 a <&7
	exec 7>&-
	[ "$status" -eq 0 ]
	[[ "$a" =~ ^[0-9]+$ ]]
	wait_job "$a"
	[ "$(cat "$MNT/jobs/$a/result")" = 3 ]
}

@test "item 9: log= refuses a planted symlink and an unopenable log fails the mount at once" {
	local m shared victim
	m=$(mktemp -d /tmp/vyre-log.XXXXXX)
	shared="$BATS_TEST_TMPDIR/shared"
	mkdir -m 1777 "$shared"
	victim="$BATS_TEST_TMPDIR/victim"
	printf 'keep\n' > "$victim"
	ln -s "$victim" "$shared/vyrefs.log"
	run timeout 20 "$VYREFS" "$m" -o "log=$shared/vyrefs.log"
	echo "$output" >&2
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
	[[ "$output" == *"log=$shared/vyrefs.log"*"symlink"* ]]
	[ "$(cat "$victim")" = keep ]
	run mountpoint -q "$m"
	[ "$status" -ne 0 ]
	# through a pipe: the caller's $(...) returns, the daemon does not hold it
	run timeout 20 bash -c 'out=$("$1" "$2" -o log=/nonexistent/dir/log 2>&1); echo "rc=$? $out"' _ "$VYREFS" "$m"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == "rc=1 "*"log=/nonexistent/dir/log: No such file or directory"* ]]
	# a new log is created 0600
	VYRE_VALIDATION=1 "$VYREFS" "$m" -o "log=$shared/new.log"
	[ "$(stat -c %a "$shared/new.log")" = 600 ]
	umount "$m"
	rmdir "$m"
}

@test "item 9: out-of-range numeric options fail the mount, naming the option" {
	local m o
	m=$(mktemp -d /tmp/vyre-opt.XXXXXX)
	for o in slots=0 slots=99999 slots=abc direct=2 async=7 jobs_cap=-1 jobs_cap=0 jobs_active=0 \
		 jobs_active=1x; do
		run timeout 20 "$VYREFS" "$m" -o "$o"
		echo "$o: $status $output" >&2
		[ "$status" -ne 0 ]
		[[ "$output" == *"vyrefs: ${o%%=*}=${o#*=}: must be a whole number from"* ]]
		run mountpoint -q "$m"
		[ "$status" -ne 0 ]
	done
	rmdir "$m"
}

@test "item 9: a second vyrefs on a mountpoint vyrefs holds is refused" {
	run timeout 20 "$VYREFS" "$MNT"
	echo "$output" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"vyrefs is already mounted there (umount $MNT first)"* ]]
	# the first mount is untouched
	[ "$(result_of "scan path=$FILES/public op=count")" = 3 ]
}

@test "item 9: jobs/ lists only the caller's own jobs unless the caller is root" {
	local rid nid
	rid=$(submit "scan path=$FILES/public op=count")
	run submit_as "${NOBODY[@]}" -- "scan path=$FILES/public op=count"
	[[ "$output" =~ rc=0\ ([0-9]+)$ ]]
	nid=${BASH_REMATCH[1]}
	run "${NOBODY[@]}" ls "$MNT/jobs"
	[[ "$output" == *"$nid"* ]]
	[[ "$output" != *"$rid"* ]]
	run "${STRANGER[@]}" ls "$MNT/jobs"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$rid"* && "$output" != *"$nid"* ]]
	run ls "$MNT/jobs"
	[[ "$output" == *"$rid"* && "$output" == *"$nid"* ]]
}
