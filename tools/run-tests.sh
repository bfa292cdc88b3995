#!/bin/bash
# The README's second command: install what is missing, build, run every
# test (C tests on the real shader under the validation layer, bats tests
# of the mounted filesystem, the descriptor fuzzer for a bounded time) and
# end with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh || exit 1
tools/build.sh || exit 1
export VYRE_VALIDATION=1
pass=0 fail=0

# One result line per extra check, counted like the tests above.
check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "not ok $name"
		fail=$((fail + 1))
	fi
}

echo "=== C tests (meson test)"
meson test -C build --print-errorlogs --num-processes 1 2>&1 | tee build/meson-test.log
m_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
pass=$((pass + ${m_ok:-0}))
fail=$((fail + ${m_fail:-0} + ${m_to:-0}))
[ -n "$m_ok" ] || fail=$((fail + 1))

echo "=== no bare \"! cmd\" in a bats test (it can never fail the test: use run ! or [[ ]])"
no_bare_bang() {
	! grep -nE '^[[:space:]]+! ' tests/bats/*.bats
}
check bats_no_bare_bang no_bare_bang

echo "=== bats tests"
bats --tap tests/bats 2>&1 | tee build/bats.log
b_ok=$(grep -c '^ok ' build/bats.log)
b_fail=$(grep -c '^not ok ' build/bats.log)
pass=$((pass + b_ok))
fail=$((fail + b_fail))

echo "=== descriptor fuzzer (libFuzzer, 30 s)"
fuzz() {
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-Ipump -Ifs fs/descriptor.c tests/unit/fuzz_descriptor.c \
		build/pump/libpump.a -luring -lvulkan -lpthread -o build/fuzz_descriptor &&
		build/fuzz_descriptor -max_total_time=30 -print_final_stats=1 2>&1 | tail -3
	return "${PIPESTATUS[0]}"
}
check fuzz_descriptor_30s fuzz

echo "=== regex compiler fuzzer (libFuzzer, 30 s)"
fuzz_regex() {
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Ipump/regex pump/regex/*.c tests/unit/fuzz_regex.c -o build/fuzz_regex &&
		build/fuzz_regex -max_total_time=30 -max_len=512 -timeout=20 -artifact_prefix=build/ \
			-print_final_stats=1 2>&1 | tail -3
	return "${PIPESTATUS[0]}"
}
check fuzz_regex_30s fuzz_regex

echo "=== AddressSanitizer/LeakSanitizer/UBSan build of the C tests (a subset)"
asan() {
	[ -f build-asan/build.ninja ] ||
		meson setup build-asan -Db_sanitize=address,undefined -Dbuildtype=debug >/dev/null ||
		return 1
	ninja -C build-asan >/dev/null || return 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"build-asan/tests/$1" >"build/asan-$1.log" 2>&1 || { tail -30 "build/asan-$1.log"; return 1; }
}
for t in test_descriptor test_count test_fence_epoch test_publish_busy_slot test_stop_relaunch \
	 test_pump_ops_files test_regex_compile test_pack test_gpu_timeout; do
	check "asan_$t" asan "$t"
done

echo "=== the daemon under AddressSanitizer/UBSan: listing jobs/ while submitting"
asan_daemon() {
	[ -x build-asan/fs/vyrefs ] || return 1
	VYREFS=$PWD/build-asan/fs/vyrefs ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		bats --tap -f "item 2|item 9: blank" tests/bats/hardening.bats
}
check asan_daemon_listing_while_submitting asan_daemon

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
