# Shared by every .bats file: mount a fresh vyrefs for the file, unmount it
# (fd 3 is bats's own TAP stream: tests use fd 7 for the "exec 3<>ctl" pattern)
# afterwards and show the daemon's log if anything failed. Like libfuse's
# test/cases/lib/common.sh.

bats_require_minimum_version 1.5.0 # "run !" and "run -N" in the tests

VYRE_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
# VYREFS may name another build of the daemon (tools/run-tests.sh runs one
# file against the AddressSanitizer build)
VYREFS="${VYREFS:-$VYRE_ROOT/build/fs/vyrefs}"

# mount_vyrefs [extra -o options]
mount_vyrefs() {
	MNT="$(mktemp -d /tmp/vyre-mnt.XXXXXX)"
	LOG="$BATS_FILE_TMPDIR/vyrefs.log"
	export MNT LOG
	VYRE_VALIDATION=1 "$VYREFS" "$MNT" -o "log=$LOG${1:+,$1}"
}

unmount_vyrefs() {
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount "$MNT" || umount -l "$MNT"
	fi
	# the daemon exits after the unmount; give it a moment to release the GPU
	for _ in $(seq 50); do pgrep -f "vyrefs $MNT" >/dev/null || break; sleep 0.1; done
	rmdir "$MNT" 2>/dev/null || true
	if grep -q "validation error" "$LOG" 2>/dev/null; then
		echo "Vulkan validation errors in the daemon log:" >&2
		cat "$LOG" >&2
		return 1
	fi
	# a sanitizer build of the daemon (VYREFS) reports into its log
	if grep -qE "ERROR: AddressSanitizer|runtime error:" "$LOG" 2>/dev/null; then
		echo "sanitizer errors in the daemon log:" >&2
		cat "$LOG" >&2
		return 1
	fi
}

setup_file() {
	mount_vyrefs
}

teardown_file() {
	unmount_vyrefs
}

teardown() {
	unmount_second
	show_log_if_failed
}

# show_log_if_failed: the daemon's log ($LOG) after a test that failed
# teardown_own_mount: for files whose tests each mount their own $MNT
# (mnt helpers): unmounts and removes it if there, then shows the log of a
# failed test
teardown_own_mount() {
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount "$MNT" || umount -l "$MNT"
	fi
	[ -n "${MNT:-}" ] && rmdir "$MNT" 2>/dev/null
	show_log_if_failed
}

show_log_if_failed() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
}

# unmount_second: a test's second mount ($MNT2, if any) is unmounted and
# removed; the kernel's table says whether it is mounted (a stat of a hung
# daemon's mount would hang)
unmount_second() {
	[ -n "${MNT2:-}" ] || return 0
	if grep -qs " $MNT2 " /proc/self/mounts; then
		timeout 10 umount "$MNT2" || umount -l "$MNT2"
	fi
	rmdir "$MNT2" 2>/dev/null || true
}

# files_dir NAME: a fresh directory /tmp/vyre-NAME.XXXXXX that every user
# may enter, in FILES (exported); the file's teardown_file removes it
files_dir() {
	FILES="$(mktemp -d "/tmp/vyre-$1.XXXXXX")"
	export FILES
	chmod 755 "$FILES"
}

# random_lines FILE SEED N AT...: N lines of 0-90 random bytes of
# "abcERRxyz 01" (random.Random(SEED)), and after line i for each i in AT a
# line of 9000 x, ERR, 3000 y: longer than a 4K chunk, so grep continues it
# through slots of its own
random_lines() {
	/usr/bin/python3 - "$@" <<-'PY'
	import random, sys
	path, r, n = sys.argv[1], random.Random(int(sys.argv[2])), int(sys.argv[3])
	at = {int(a) for a in sys.argv[4:]}
	out = []
	for i in range(n):
	    out.append("".join(r.choice("abcERRxyz 01") for _ in range(r.randint(0, 90))))
	    if i in at:
	        out.append("x" * 9000 + "ERR" + "y" * 3000)
	open(path, "w").write("\n".join(out) + "\n")
	PY
}

# ms since the epoch
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# submit DESCRIPTOR: writes it to ctl and prints the new job's id
submit() {
	local id
	exec 7<>"$MNT/ctl"
	echo "$1" >&7 || { exec 7>&-; return 1; }
	read -r id <&7
	exec 7>&-
	echo "$id"
}

# wait_job ID: blocks until the job ends
wait_job() {
	cat "$MNT/jobs/$1/wait" >/dev/null
}

# status_key ID KEY: KEY's value in jobs/ID/status
status_key() {
	sed -n "s/^$2=//p" "$MNT/jobs/$1/status"
}

# job DESCRIPTOR [SECONDS]: submits and waits (at most 120 s); JID is the
# job; fails unless it ended done
job() {
	JID=$(submit "$1")
	timeout "${2:-120}" cat "$MNT/jobs/$JID/wait" >/dev/null
	[ "$(status_key "$JID" state)" = done ]
}

# pattern_ref PATS FILE [GREP OPTION]: grep -n -b -F -e (REF_MODE=-E: -E) run pattern by
# pattern, into $R.counts ("COUNT INDEX" per pattern: the lines it selects,
# as grep -c counts them) and $R.lines (LINE:OFFSET:INDEX, INDEX the first
# pattern matching the line): per_pattern=1's jobs/N/patterns and lines.
# Two processes a pattern: the suite stays lean.
pattern_ref() {
	local i=0 p
	R=$BATS_TEST_TMPDIR/ref
	: >"$R.all"
	while IFS= read -r p; do
		LC_ALL=C timeout 20 grep -n -b -a "${REF_MODE:--F}" ${3:+"$3"} -e "$p" "$2" |
			awk -F: -v i="$i" -v all="$R.all" '{ print $1 ":" $2 ":" i >>all; n++ }
				END { print n + 0, i }'
		i=$((i + 1))
	done <"$1" >"$R.counts"
	LC_ALL=C sort -t: -k1,1n -k3,3n "$R.all" | awk -F: '$1 != last { print; last = $1 }' >"$R.lines"
}

# result_of DESCRIPTOR: submits, waits, prints the result
result_of() {
	local id
	id=$(submit "$1") || return 1
	wait_job "$id"
	cat "$MNT/jobs/$id/result"
}

# submit_as SETPRIV... -- DESCRIPTOR: as that user, write DESCRIPTOR to ctl;
# prints "rc=N answer" (the write's status, the line read back)
submit_as() {
	local who=()
	while [ "$1" != -- ]; do who+=("$1"); shift; done
	shift
	"${who[@]}" bash -c 'cd /; exec 7<>"$1/ctl" || exit 9
		printf "%s\n" "$2" >&7; rc=$?; read -r -t 5 a <&7; echo "rc=$rc $a"' _ "$MNT" "$1" 2>&1
}

# the ids of every job whose descriptor names PATTERN (as root, who sees all)
jobs_naming() {
	local d
	for d in "$MNT"/jobs/[0-9]*; do
		[ -e "$d/descriptor" ] || continue
		grep -q -- "$1" "$d/descriptor" && basename "$d"
	done
	return 0
}
