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

echo "=== C tests (meson test)"
meson test -C build --print-errorlogs --num-processes 1 2>&1 | tee build/meson-test.log
m_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
m_to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' build/meson-test.log | tail -1)
pass=$((pass + ${m_ok:-0}))
fail=$((fail + ${m_fail:-0} + ${m_to:-0}))
[ -n "$m_ok" ] || fail=$((fail + 1))

echo "=== bats tests"
bats --tap tests/bats 2>&1 | tee build/bats.log
b_ok=$(grep -c '^ok ' build/bats.log)
b_fail=$(grep -c '^not ok ' build/bats.log)
pass=$((pass + b_ok))
fail=$((fail + b_fail))

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
