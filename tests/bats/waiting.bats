#!/usr/bin/env bats
# Waiting holds no daemon thread (README.md "Files": wait): any number of
# readers blocked in jobs/N/wait leave status, ctl and cancel answering; a
# signal to a reader answers it at once; poll(2) on wait is readable exactly
# when the job has ended.
load common

NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

setup_file() {
	mount_vyrefs allow_other
	files_dir wait
	truncate -s 1T "$FILES/big" # sparse: a job that runs until cancelled (64G ended in ~130 s at lane B's load)
	chmod 644 "$FILES/big"
	printf 'a\nb\n' > "$FILES/small"
	chmod 644 "$FILES/small"
}

teardown_file() {
	pkill -f "$MNT/jobs/" 2>/dev/null || true
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

# no_d_state PID...: none of them is stuck in uninterruptible sleep (read
# with builtins: an awk a pid cost ~150 s for 1,000 pids on a loaded box)
no_d_state() {
	local p st
	for p in "$@"; do
		{ read -r st <"/proc/$p/stat"; } 2>/dev/null || continue
		st=${st##*) } # the state follows "(comm) "
		[ "${st%% *}" != D ] || { echo "pid $p is in D state" >&2; return 1; }
	done
}

# python3 -c "$READERS" N PATH: N processes, each blocked reading PATH,
# forked by one python (a bash fork and exec of cat a reader cost ~60 s for
# 1,000 on a loaded box); prints their pids once all have opened PATH (or one
# has ended), then reaps them as they end, so one that has ended is gone for
# kill -0
READERS='
import os, sys
n, path = int(sys.argv[1]), sys.argv[2]
r, w = os.pipe()
pids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            fd = os.open(path, os.O_RDONLY)
            os.write(w, b"o") # opened
            os.close(w)
            os.read(fd, 4096)
        finally:
            os._exit(0)
    pids.append(pid)
os.close(w)
opened = 0
while opened < n: # the opens go in parallel; the pipe ends early if a reader ended
    b = os.read(r, n)
    if not b:
        break
    opened += len(b)
print(" ".join(map(str, pids)), flush=True)
sys.stdout.close()
for _ in pids:
    os.wait()
'

# pids_of FILE: waits (up to 60 s) for readers' pid line in FILE, prints it
pids_of() {
	local i
	for i in $(seq 600); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		sleep 0.1
	done
	return 1
}

@test "1,000 readers blocked in wait, as root and nobody, leave status, ctl and cancel answering" {
	local id pids=() i
	id=$(submit "scan path=$FILES/big op=count")
	/usr/bin/python3 -c "$READERS" 500 "$MNT/jobs/$id/wait" >"$BATS_TEST_TMPDIR/root.pids" 2>/dev/null 3>&- &
	local nid
	nid=$("${NOBODY[@]}" bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7; read -r a <&7; echo $a' _ "$MNT" "$FILES/big")
	[[ "$nid" =~ ^[0-9]+$ ]]
	"${NOBODY[@]}" /usr/bin/python3 -c "$READERS" 500 "$MNT/jobs/$nid/wait" \
		>"$BATS_TEST_TMPDIR/nobody.pids" 2>/dev/null 3>&- &
	local rpids npids
	rpids=$(pids_of "$BATS_TEST_TMPDIR/root.pids")
	npids=$(pids_of "$BATS_TEST_TMPDIR/nobody.pids")
	pids=($rpids $npids)
	[ "${#pids[@]}" -eq 1000 ]
	sleep 2
	# every reader is still blocked (none was answered early)...
	local alive=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -ge 990 ]
	# ...and the daemon answers everything else (timeouts guard against a hang)
	run timeout 10 cat "$MNT/status"
	[ "$status" -eq 0 ]
	[[ "$output" == *"jobs_active="* ]]
	run timeout 10 bash -c 'exec 7<>"$1/ctl"; echo "scan path=$2 op=count" >&7; read -r a <&7; cat "$1/jobs/$a/wait" >/dev/null; cat "$1/jobs/$a/result"' \
		_ "$MNT" "$FILES/small"
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	run timeout 10 bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$id/ctl"
	[ "$status" -eq 0 ]
	# the cancel wakes root's 500 readers with the cancelled status
	run timeout 30 cat "$MNT/jobs/$id/wait"
	[[ "$output" == *"state=cancelled"* ]]
	# SIGKILL nobody's readers: none stays in D state, the daemon serves on
	"${NOBODY[@]}" kill -KILL $npids || true
	local left t
	for t in $(seq 100); do # up to 10 s for the last to be reaped
		left=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	no_d_state "${pids[@]}"
	echo "readers left: $left" >&2
	[ "$left" -eq 0 ]
	run timeout 10 cat "$MNT/jobs/$nid/status"
	[[ "$output" == *"state=running"* ]]
	echo cancel > "$MNT/jobs/$nid/ctl"
}

@test "^C interrupts a reader in wait at once; the job runs on" {
	local id
	id=$(submit "scan path=$FILES/big op=count")
	python3 - "$MNT/jobs/$id/wait" > "$BATS_TEST_TMPDIR/intr.out" <<-'EOF' &
		import os, signal, sys, time
		class Alarm(Exception):
		    pass
		def alarm(*a):
		    raise Alarm()
		signal.signal(signal.SIGALRM, alarm) # like ^C: the read is interrupted
		fd = os.open(sys.argv[1], os.O_RDONLY)
		signal.setitimer(signal.ITIMER_REAL, 0.5)
		t = time.monotonic()
		try:
		    os.read(fd, 4096)
		    print("read returned")
		except Alarm:
		    print("interrupted after %.1f s" % (time.monotonic() - t))
	EOF
	local py=$!
	run timeout 20 tail --pid="$py" -f /dev/null
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/intr.out" >&2
	[[ "$(cat "$BATS_TEST_TMPDIR/intr.out")" == "interrupted after "* ]]
	run timeout 5 cat "$MNT/jobs/$id/status"
	[[ "$output" == *"state=running"* ]]
	echo cancel > "$MNT/jobs/$id/ctl"
	run timeout 30 cat "$MNT/jobs/$id/wait"
	[[ "$output" == *"state=cancelled"* ]]
}

# poll_wait PATH MS: prints "readable" or "not readable" after poll(2) on an open wait
poll_wait() {
	python3 - "$1" "$2" <<-'EOF'
		import os, select, sys
		fd = os.open(sys.argv[1], os.O_RDONLY)
		p = select.poll()
		p.register(fd, select.POLLIN)
		ev = p.poll(int(sys.argv[2]))
		print("readable" if ev and ev[0][1] & select.POLLIN else "not readable")
		if ev:
		    print(os.read(fd, 4096).decode().splitlines()[1])
	EOF
}

@test "poll(2) on wait: not readable while the job runs, readable once it is done, failed or cancelled" {
	local id
	id=$(submit "scan path=$FILES/big op=count")
	run poll_wait "$MNT/jobs/$id/wait" 300
	[ "${lines[0]}" = "not readable" ]
	# a poller waiting when the job ends is woken
	poll_wait "$MNT/jobs/$id/wait" 20000 > "$BATS_TEST_TMPDIR/poll.out" &
	local pp=$!
	sleep 0.5
	echo cancel > "$MNT/jobs/$id/ctl"
	wait "$pp"
	[ "$(head -1 "$BATS_TEST_TMPDIR/poll.out")" = readable ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/poll.out")" = state=cancelled ]
	# a done job polls readable at once
	id=$(submit "scan path=$FILES/small op=count")
	wait_job "$id"
	run poll_wait "$MNT/jobs/$id/wait" 0
	[ "${lines[0]}" = readable ]
	[ "${lines[1]}" = state=done ]
}

@test "select(2) waits on several jobs with one thread" {
	local a b
	a=$(submit "scan path=$FILES/small op=count")
	b=$(submit "scan path=$FILES/big op=count")
	run timeout 30 python3 - "$MNT/jobs/$a/wait" "$MNT/jobs/$b/wait" <<-'EOF'
		import os, select, sys
		fds = {os.open(p, os.O_RDONLY): p for p in sys.argv[1:]}
		r, _, _ = select.select(list(fds), [], [], 20)
		print(len(r), fds[r[0]] if r else "-")
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = "1 $MNT/jobs/$a/wait" ]
	echo cancel > "$MNT/jobs/$b/ctl"
}

# ctl_wait DESCRIPTOR MS [cancel]: one open ctl, a wait=1 line written, poll(2)
# for MS (after cancelling the job when asked), then what a second write and
# the read answer; prints "readable|not readable", the write's errno, the answer
ctl_wait() {
	python3 - "$MNT" "$1" "$2" "${3:-}" <<-'EOF'
		import errno, os, select, sys
		mnt, desc, ms, cancel = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
		fd = os.open(mnt + "/ctl", os.O_RDWR)
		os.write(fd, (desc + "\n").encode())
		p = select.poll()
		p.register(fd, select.POLLIN)
		first = p.poll(200)
		print("readable" if first else "not readable")
		try:
		    os.write(fd, b"scan path=/etc/hostname op=count\n")
		    print("write ok")
		except OSError as e:
		    print("write " + errno.errorcode[e.errno])
		if cancel:
		    jid = open(mnt + "/jobs/latest/status").read().split("\n")[0].split("=")[1]
		    open(mnt + "/jobs/" + jid + "/ctl", "w").write("cancel\n")
		p.poll(ms)
		sys.stdout.write(os.read(fd, 65536).decode())
	EOF
}

@test "wait=1: the read back from the same open ctl comes when the job ends, its status after its id" {
	local id
	run -0 ctl_wait "scan path=$FILES/small op=count wait=1" 5000
	[ "${lines[0]}" = readable ]
	[ "${lines[1]}" = "write EBUSY" ] # the answer is pending until read
	[[ "${lines[2]}" =~ ^[0-9]+$ ]]
	id=${lines[2]}
	[ "${lines[3]}" = "id=$id" ]
	[[ "$output" == *$'\nstate=done\n'* ]]
	[ "$(cat "$MNT/jobs/$id/result")" = 2 ]
	# a running job: not readable, and answered cancelled once cancelled
	run -0 ctl_wait "scan path=$FILES/big op=count wait=1" 20000 cancel
	[ "${lines[0]}" = "not readable" ]
	[ "${lines[1]}" = "write EBUSY" ]
	[[ "$output" == *$'\nstate=cancelled\n'* ]]
	# the shell's way: exec 7<>ctl; echo >&7; read the id and status back
	exec 7<>"$MNT/ctl"
	echo "scan path=$FILES/small op=count wait=1" >&7
	run -0 timeout 10 head -3 <&7
	exec 7>&-
	[[ "${lines[0]}" =~ ^[0-9]+$ ]] && [ "${lines[1]}" = "id=${lines[0]}" ]
	[ "${lines[2]}" = state=done ]
}
