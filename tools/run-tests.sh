#!/bin/bash
# The README's second command: install what is missing, build, run every
# test (C tests on the real shader under the validation layer, bats tests
# of the mounted filesystem, the fuzzers for a bounded time, the sanitizer
# builds, a soak of the ASan daemon, the release and Debian build types)
# and end with one line "N passed, N failed".
#
# It cannot hang: every step runs under a time limit (lim), a step that runs
# out of time is a failed check and the run goes on, and after each step any
# vyrefs this run mounted and left behind is unmounted and its daemon ended
# (reap_mounts). A sanitizer report aborts at once (abort_on_error=1: no
# exit-time handler that could deadlock it), the limit's SIGKILL is the
# fallback.
set -uo pipefail
cd "$(dirname "$0")/.."
# every daemon this run starts inherits this: reap_mounts finds them by it
VYRE_RUN_ID="run-tests.$$.$(date +%s%N)"
export VYRE_RUN_ID
pass=0 fail=0
T0=$SECONDS
: >"${TMPDIR:-/tmp}/vyre-times.$$"
# took NAME SINCE: one line of the time ledger printed at the end (the suite's
# aim is 15 minutes on an idle 2-core box: the ledger says where they go),
# with when the step began: a nice 19 step's seconds are mostly waiting for
# the CPU the lanes leave idle, so what bounds the run is which step ends
# last, not which took longest
took() {
	printf '%5ds  %s (at %ds)\n' "$((SECONDS - $2))" "$1" "$(($2 - T0))" \
		>>"${TMPDIR:-/tmp}/vyre-times.$$"
}
# cpu_busy: the machine's CPU time spent (all processes, not idle or
# waiting for I/O, not stolen by the host) since boot, in centiseconds (USER_HZ 100)
cpu_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
CPU0=$(cpu_busy)

# lim SECONDS CMD...: CMD under timeout (TERM, then KILL 15 s later); says so
# when it ran out of time (exit 124, or 137 when it needed the KILL).
lim() {
	local s=$1 rc
	shift
	# a nice 19 step (lane C, the ASan build) may wait for CPU until its
	# lane is waited for: its limit counts from its start (LIM_MIN)
	[ "$s" -ge "${LIM_MIN:-0}" ] || s=$LIM_MIN
	timeout -k 15 "$s" "$@"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "!!! timed out after ${s}s: $*" >&2
	fi
	return "$rc"
}

# The vyrefs mounts (mount point, major:minor) in /proc/self/mountinfo: read
# from the kernel's table, never by stat on the mount (a hung daemon would
# hang the stat).
vyre_mounts() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
	       if ($(i + 1) == "fuse.vyrefs") print $5, $3 }' /proc/self/mountinfo |
		sed 's/\\040/ /g'
}

# Unmounts a vyrefs mount whose daemon may be hung or gone: umount, else abort
# its FUSE connection and detach it.
unmount_hard() {
	local mnt=$1 dev=$2
	timeout -k 5 20 umount "$mnt" 2>/dev/null && return 0
	echo 1 >"/sys/fs/fuse/connections/${dev#*:}/abort" 2>/dev/null
	timeout -k 5 20 umount -l "$mnt" 2>/dev/null
}

# After each step: a daemon of this run still running is unmounted and ended
# (by its pid); a vyrefs mount left with no daemon behind it (one that
# crashed) is detached. Mounts of other runs with a live daemon are left alone.
reap_mounts() {
	local pid mnt dev arg found=0 live=" "
	for pid in $(pgrep -x vyrefs); do
		live="$live$pid "
		tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "VYRE_RUN_ID=$VYRE_RUN_ID" ||
			continue
		while read -r mnt dev; do
			while IFS= read -r arg; do
				if [ "$arg" = "$mnt" ]; then
					echo "!!! left mounted by this run: $mnt (daemon $pid): unmounting" >&2
					unmount_hard "$mnt" "$dev"
					found=1
				fi
			done < <(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline")
		done < <(vyre_mounts)
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "!!! daemon $pid of this run still running: killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			found=1
		fi
	done
	# a mount whose daemon is gone answers ENOTCONN: detach it
	while read -r mnt dev; do
		case "$mnt" in /tmp/vyre-*) ;; *) continue ;; esac
		if timeout -k 2 5 stat -t "$mnt" 2>&1 >/dev/null | grep -q "not connected"; then
			echo "!!! dead vyrefs mount $mnt: detaching it" >&2
			unmount_hard "$mnt" "$dev"
		fi
	done < <(vyre_mounts)
	return "$found"
}

# One result line per extra check, counted like the tests above; the check's
# function runs its commands under lim.
check() {
	local name=$1 t=$SECONDS
	shift
	if "$@"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "not ok $name"
		fail=$((fail + 1))
	fi
	reap_mounts
	took "$name" "$t"
}

t=$SECONDS
lim 1800 tools/deps.sh || exit 1
took deps "$t"
t=$SECONDS
lim 1800 tools/build.sh || exit 1
took build "$t"
export VYRE_VALIDATION=1

# The bats files run in two lanes that take them from one list, slowest
# first, each lane the next file no lane has begun (mkdir claims it, which
# is atomic), so the lanes end within about one file of each other however
# the files' times change as tests are added. Lane B (its own VYRE_RUN_ID and
# log, counted at the end, so each lane's reap_mounts ends only its own
# daemons) starts after the build; the main lane joins once the C tests are
# done. After the list, lane B runs the fuzzers, the main lane the ASan
# tests and the soak. Beside them, at nice 19, lane C (the call graph, the
# release and Debian builds) and the ASan build use what CPU the two lanes
# leave idle (lane_c says why).
# Two lanes, one file each at a time: as before, a file runs beside at most
# one other step. The whole run took 1,000 s on 2026-12-06 with hardening2,
# waiting and many_files alone in lane B (603 s) and the rest in the main
# lane (986 s).
# The slowest bats files of the last full run (CI's ledger on 9994510,
# 2026-12-07 07:30), slowest first; install after grep_per_pattern: its
# package is built beside the lanes (VYRE_PKG_BUILT), the rest of it took
# about 60 s, and coming later gives that build the time it needs;
# a file not named here comes after them, in name order.
BATS_SLOW="hardening2 hardening_hang grep_shift vyrectl_grep_gnu grep_per_pattern install vyrectl_grep slurm
	streaming operators many_files grep_per_pattern_reruns hardening units cache waiting
	tree_files vyrectl_grep_count_matches concurrent_shells"
BATS_CLAIMS=build/bats-claims
rm -rf "$BATS_CLAIMS"
mkdir -p "$BATS_CLAIMS"
bats_list() {
	local n f
	for n in $BATS_SLOW; do
		[ -f "tests/bats/$n.bats" ] && echo "tests/bats/$n.bats"
	done
	for f in tests/bats/*.bats; do
		case " $(echo $BATS_SLOW) " in *" $(basename "$f" .bats) "*) continue ;; esac
		echo "$f"
	done
}
# bats_lane LOG [LANE]: the files no lane has begun, each under a time limit
# (each test under BATS_TEST_TIMEOUT), their TAP appended to LOG
bats_lane() {
	local log=$1 lane=${2:-} f name t b_rc
	while read -r f; do
		name=$(basename "$f")
		mkdir "$BATS_CLAIMS/$name" 2>/dev/null || continue
		t=$SECONDS
		echo "=== ${lane:+$lane: }$f"
		BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300} lim 900 bats --tap "$f" 2>&1 | tee -a "$log"
		b_rc=${PIPESTATUS[0]}
		reap_mounts
		if [ "$b_rc" -eq 124 ] || [ "$b_rc" -eq 137 ]; then
			echo "not ok $name: timed out" | tee -a "$log"
		fi
		took "$name${lane:+ ($lane)}" "$t"
	done < <(bats_list)
}

# The build type lane C checks: release (-O3) with Debian's flags compiles
# warning-free.
# matrix NAME MESON-ARGS...: configures build-matrix/NAME afresh and compiles
# every target (no tests run); any compiler or linker warning fails it
matrix() {
	local dir=build-matrix/$1
	shift
	mkdir -p build-matrix
	rm -rf "$dir"
	lim 300 meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { tail -20 "$dir.setup.log"; return 1; }
	lim 1800 ninja -C "$dir" >"$dir.log" 2>&1 || { grep -E -A5 'error|warning' "$dir.log" | head -60; return 1; }
	if grep -n 'warning:' "$dir.log"; then
		return 1
	fi
}
# One build checks both: -O3 with NDEBUG (release: more flow warnings,
# asserts compiled out) and Debian's hardening flags (FORTIFY_SOURCE,
# -Wformat-security, -fstack-protector-strong). Debian's -O2 would
# override -O3 and -g changes no warning, so both are dropped from its
# CFLAGS. Two builds took 267 + 208 s of CI's 1,291 (its ledger, 5c4e985).
release_debian_flags() {
	CFLAGS="$(dpkg-buildflags --get CFLAGS | tr ' ' '\n' | grep -vx -e -O2 -e -g | tr '\n' ' ')" \
		CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
		matrix release-debian -Dbuildtype=release -Doptimization=3
}

fuzz() {
	lim 600 clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-Ipump -Ifs fs/descriptor.c fs/desc_value.c fs/desc_format.c fs/desc_op.c tests/unit/fuzz_descriptor.c \
		build/pump/libpump.a -luring -lvulkan -lpthread -o build/fuzz_descriptor &&
		lim 120 build/fuzz_descriptor -max_total_time=30 -print_final_stats=1 2>&1 | tail -3
	return "${PIPESTATUS[0]}"
}

fuzz_regex() {
	lim 600 clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Iregex regex/*.c tests/unit/fuzz_regex.c -o build/fuzz_regex &&
		lim 200 build/fuzz_regex -max_total_time=30 -max_len=512 -timeout=90 -artifact_prefix=build/ \
			-print_final_stats=1 2>&1 | tail -3
	return "${PIPESTATUS[0]}"
}

lane_b() {
	VYRE_RUN_ID="$VYRE_RUN_ID.b"
	export VYRE_RUN_ID
	bats_lane /dev/null "lane B"
	tail_lane "lane B"
}

# Lane C: what needs no timing and mounts nothing (the call graph, the
# release and Debian build types), at nice 19 from the build on: it takes
# the cores when the lanes above leave them idle (a test waiting out a read
# deadline, a sleep, a daemon starting on one core, a single-threaded
# fuzzer) and yields them back at once when they want them. Last in lane B
# it took 2-3 minutes of both cores after the bats files. Run last, what
# it has left runs at full speed: nothing waits on it but the end.
lane_c() {
	VYRE_RUN_ID="$VYRE_RUN_ID.c"
	export VYRE_RUN_ID
	echo "=== lane C (nice 19): calls only go down: no call circle in pump/, fs/, regex/; no upward call (pump/layers, fs/layers)"
	check call_graph_layers call_graph
	echo "=== lane C (nice 19): release (-O3) with Debian's flags compiles warning-free"
	check build_release_O3_debian_flags release_debian_flags
}
call_graph() {
	lim 600 python3 tools/callgraph.py -C build --dirs pump,fs,regex --layers pump/layers --layers fs/layers
}
# the C tests run under ASan below; test_pump_ops_files is left out: 121 s
# at -O0 under ASan (the soak runs the same pump paths in the ASan daemon)
ASAN_TESTS="test_descriptor test_count test_fence_epoch test_publish_busy_slot test_stop_relaunch
	test_regex_compile test_pack test_grep_pack test_gpu_timeout test_grep_lines_none
	test_grep_read_error"
# only what runs under ASan: the daemon, eiofs and those tests (of the 192
# build steps; every target compiles warning-free in build/ and the matrix)
asan_build() {
	local t targets="fs/vyrefs tests/eiofs" # eiofs: test_grep_read_error mounts it
	for t in $ASAN_TESTS; do targets="$targets tests/$t"; done
	[ -f build-asan/build.ninja ] ||
		lim 300 meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug >/dev/null ||
		return 1
	lim 1800 ninja -C build-asan $targets >build/asan-build.log 2>&1 ||
		{ tail -30 build/asan-build.log; return 1; }
}
# test_grep_pack's real-tree cases (3,000 files of /usr/include) are left
# out under ASan: its generated tree takes the same paths, and lavapipe's
# workers allocate ~2 MB a workgroup (posix_memalign), which ASan maps,
# poisons and faults in afresh each time: 135 s on CI (5c4e985), ~50 s less
# without them.
asan() {
	[ -x "build-asan/tests/$1" ] || return 1
	VYRE_GREP_PACK_TREE=/nonexistent ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		lim 600 "build-asan/tests/$1" >"build/asan-$1.log" 2>&1 || { tail -30 "build/asan-$1.log"; return 1; }
}
# asan_bats FILTER FILE: FILE's tests that FILTER names, against the ASan daemon
asan_bats() {
	[ -x build-asan/fs/vyrefs ] || return 1
	VYREFS=$PWD/build-asan/fs/vyrefs \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 BATS_TEST_TIMEOUT=300 \
		lim 600 bats --tap -f "$1" "$2"
}
# tools/soak bounds itself (--seconds + --grace + 120 s); lim is the fallback
soak() {
	[ -x build-asan/fs/vyrefs ] || return 1
	VYREFS=$PWD/build-asan/fs/vyrefs \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_stack_use_after_return=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		lim 600 tools/soak --seconds 75 --clients 4 --grace 300 --report-every 30 \
		--job-timeout 300 --lines-max-bytes 2000000 2>&1 | tee build/soak.log | grep -vE '^(root|nobody) '
	return "${PIPESTATUS[0]}"
}
# unnice PID: PID and every process under it back to nice 0 (children it
# starts later inherit that), before the main lane waits for it
unnice() {
	local p
	renice -n 0 -p "$1" >/dev/null 2>&1
	for p in $(pgrep -P "$1"); do unnice "$p"; done
}

# The tail: what runs once the bats files are taken, claimed (mkdir) by
# whichever lane is free, as the bats files are, longest first. The ASan
# tests and the soak ran last in the main lane and the fuzzers last in lane
# B: on 9994510's CI run (1,053 s) lane B stood idle for about two minutes
# at the end while the main lane ran ~215 s of them after its last file.
# The soak and the fuzzers run for a set time (75 s, 30 s each) whatever
# runs beside them. An item's own output is indented: lane B's log is
# counted by its "ok " lines, one per item (check's).
# Longest first (CI's ledger of 5c4e985: test_grep_pack 135 s started
# last, at 1,155 s, and lane B waited 65 s for it).
TAIL_ITEMS="soak_asan_75s asan_test_grep_pack asan_test_regex_compile fuzz_regex_30s
	fuzz_descriptor_30s asan_daemon_hardening2 asan_daemon_listing_while_submitting"
for t in $ASAN_TESTS; do
	case " $TAIL_ITEMS " in *" asan_$t "*) ;; *) TAIL_ITEMS="$TAIL_ITEMS asan_$t" ;; esac
done
TAIL_CLAIMS=build/tail-claims
rm -rf "$TAIL_CLAIMS" build/asan-build.done
mkdir -p "$TAIL_CLAIMS"
# asan_ready: the ASan build (nice 19, beside the lanes) has ended: its
# subshell writes build/asan-build.done last. A lane that comes to wait for
# it brings it back to nice 0 first; bounded by the build's own limits
# (LIM_MIN, twice).
asan_ready() {
	local i
	[ -f build/asan-build.done ] && return 0
	unnice "$ASAN_BUILD_PID"
	for i in $(seq 7500); do
		[ -f build/asan-build.done ] && return 0
		sleep 1
	done
	echo "!!! the ASan build did not end" >&2
	return 1
}
# tail_item NAME: runs the tail item NAME
tail_item() {
	case $1 in
	soak_asan_75s) # 4 clients (root and nobody) for 75 s against the ASan daemon
		asan_ready && soak ;;
	asan_daemon_listing_while_submitting) # listing jobs/ while submitting
		asan_ready && asan_bats "item 2|item 9: blank" tests/bats/hardening.bats ;;
	asan_daemon_hardening2)
		# round 2: lines read while a job runs (a heap over-read), a threaded
		# client, lines ended by another process, and exit with parked
		# readers (LeakSanitizer)
		asan_ready && asan_bats "item 1:|item 20|item 11" tests/bats/hardening2.bats ;;
	fuzz_descriptor_30s) fuzz ;;
	fuzz_regex_30s) fuzz_regex ;;
	asan_test_*) asan_ready && asan "${1#asan_}" ;;
	*) echo "no tail item $1" >&2; return 1 ;;
	esac
}
# indented CMD...: CMD's output, indented; CMD's exit status
indented() {
	"$@" 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}
# tail_lane LANE: the tail items no lane has begun, each a check
tail_lane() {
	local name
	for name in $TAIL_ITEMS; do
		mkdir "$TAIL_CLAIMS/$name" 2>/dev/null || continue
		echo "=== $1: $name"
		check "$name" indented tail_item "$name"
	done
}
# vyrectl grep's GNU matrix: every 6th case a run, shifted per option set
# (all 4,056: VYRE_GREP_MATRIX_STRIDE=1, 0 differences on 2026-12-06)
export VYRE_GREP_MATRIX_STRIDE=${VYRE_GREP_MATRIX_STRIDE:-6}
# The ASan build, at nice 19 as lane C below: the main lane waits for it
# (wait) once its bats files are done, lane B (asan_ready) for
# build/asan-build.done, written last
(renice -n 19 -p "$BASHPID" >/dev/null && VYRE_RUN_ID="$VYRE_RUN_ID.asan" LIM_MIN=3600 &&
	echo "=== AddressSanitizer/LeakSanitizer/UBSan build of the C tests (a subset), nice 19" &&
	check asan_build asan_build
	touch build/asan-build.done) >build/lane-asan.log 2>&1 &
ASAN_BUILD_PID=$!
# The Debian package install.bats installs (tools/package-test.sh: ~50 s of
# CPU, half of the file's time on CI), at nice 19 as the ASan build, so it
# is built from what the lanes leave idle before lane B comes to the file;
# install.bats waits for VYRE_PKG_BUILT.rc, written last, and brings the
# build back to nice 0 (VYRE_PKG_BUILDER) if it has to wait. Run alone, the
# file builds the package itself.
VYRE_PKG_BUILT=$PWD/build/pkg-suite
rm -rf "$VYRE_PKG_BUILT" "$VYRE_PKG_BUILT.rc" "$VYRE_PKG_BUILT.log"
(renice -n 19 -p "$BASHPID" >/dev/null && LIM_MIN=3600 &&
	lim 900 tools/package-test.sh "$VYRE_PKG_BUILT" >"$VYRE_PKG_BUILT.log" 2>&1
	echo $? >"$VYRE_PKG_BUILT.rc.new" && mv "$VYRE_PKG_BUILT.rc.new" "$VYRE_PKG_BUILT.rc") &
VYRE_PKG_BUILDER=$!
export VYRE_PKG_BUILT VYRE_PKG_BUILDER
lane_b >build/lane-b.log 2>&1 &
LANE_B_PID=$!
# (a subshell: $$, the ledger's name, is still this shell's). At nice 19
# it may get no CPU at all while the lanes (or a loaded machine) keep both
# cores busy: when the main lane comes to wait for it, it goes back to nice
# 0 (unnice), and its steps' limits allow for the wait (LIM_MIN: the suite
# runs 15-25 minutes).
(renice -n 19 -p "$BASHPID" >/dev/null && LIM_MIN=3600 lane_c) >build/lane-c.log 2>&1 &
LANE_C_PID=$!

echo "=== C tests (meson test)"
# meson gives each test its own timeout; lim bounds the whole step
t=$SECONDS
lim 3600 meson test -C build --print-errorlogs --num-processes 1 2>&1 | tee build/meson-test.log
m_rc=${PIPESTATUS[0]}
took "meson test (C tests)" "$t"
reap_mounts
m_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
pass=$((pass + ${m_ok:-0}))
fail=$((fail + ${m_fail:-0} + ${m_to:-0}))
[ -n "$m_ok" ] || fail=$((fail + 1))
if [ "$m_rc" -eq 124 ] || [ "$m_rc" -eq 137 ]; then
	echo "not ok meson_test_finished_in_time"
	fail=$((fail + 1))
fi

echo "=== no bare \"! cmd\" in a bats test (it can never fail the test: use run ! or [[ ]])"
no_bare_bang() {
	! grep -nE '^[[:space:]]+! ' tests/bats/*.bats
}
check bats_no_bare_bang no_bare_bang


echo "=== bats tests, beside lane B (each file under a time limit, each test under BATS_TEST_TIMEOUT)"
: >build/bats.log
bats_lane build/bats.log
b_ok=$(grep -c '^ok ' build/bats.log)
b_fail=$(grep -c '^not ok ' build/bats.log)
pass=$((pass + b_ok))
fail=$((fail + b_fail))

t=$SECONDS
unnice "$ASAN_BUILD_PID"
wait "$ASAN_BUILD_PID"
cat build/lane-asan.log
took "waiting for the ASan build" "$t"
pass=$((pass + $(grep -c '^ok ' build/lane-asan.log)))
fail=$((fail + $(grep -c '^not ok ' build/lane-asan.log)))
grep -qE '^(not )?ok asan_build$' build/lane-asan.log || { echo "not ok asan_build_ran"; fail=$((fail + 1)); }

tail_lane main

echo "=== lane B (started after the build): its bats files, then tail items"
t=$SECONDS
# every step in it runs under lim: this wait is bounded
wait "$LANE_B_PID"
cat build/lane-b.log
took "waiting for lane B" "$t"
pass=$((pass + $(grep -c '^ok ' build/lane-b.log)))
fail=$((fail + $(grep -c '^not ok ' build/lane-b.log)))
# bats prints a plan line; a lane that ran nothing counts as a failure
grep -q '^1\.\.' build/lane-b.log || { echo "not ok lane_b_ran"; fail=$((fail + 1)); }
# and every bats file was begun by one lane
if [ "$(ls "$BATS_CLAIMS" | wc -l)" -ne "$(bats_list | wc -l)" ]; then
	echo "not ok every_bats_file_ran: $(ls "$BATS_CLAIMS" | wc -l) of $(bats_list | wc -l)"
	fail=$((fail + 1))
fi
# and every tail item by one lane
if [ "$(ls "$TAIL_CLAIMS" | wc -l)" -ne "$(echo $TAIL_ITEMS | wc -w)" ]; then
	echo "not ok every_tail_item_ran: $(ls "$TAIL_CLAIMS" | wc -l) of $(echo $TAIL_ITEMS | wc -w)"
	fail=$((fail + 1))
fi

# the package build (install.bats waited for it, if it ran): bounded by lim
unnice "$VYRE_PKG_BUILDER"
wait "$VYRE_PKG_BUILDER"

echo "=== lane C (nice 19, started after the build): the call graph, the build types"
t=$SECONDS
unnice "$LANE_C_PID"
# every step in it runs under lim: this wait is bounded
wait "$LANE_C_PID"
cat build/lane-c.log
took "waiting for lane C" "$t"
pass=$((pass + $(grep -c '^ok ' build/lane-c.log)))
fail=$((fail + $(grep -c '^not ok ' build/lane-c.log)))
# lane C names two checks (call_graph_layers, build_release_O3_debian_flags):
# fewer is a lane that did not run them all
[ "$(grep -cE '^(not )?ok ' build/lane-c.log)" -eq 2 ] || { echo "not ok lane_c_ran"; fail=$((fail + 1)); }

echo "=== where the time went (slowest first; whole run $((SECONDS - T0)) s)"
sort -rn "${TMPDIR:-/tmp}/vyre-times.$$" | head -40
# how much of the cores the run kept busy (every process on the machine:
# on a shared box this counts the others too)
echo "CPU busy: $((($(cpu_busy) - CPU0) / 100)) s of $(nproc) x $((SECONDS - T0)) s"
rm -f "${TMPDIR:-/tmp}/vyre-times.$$"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
