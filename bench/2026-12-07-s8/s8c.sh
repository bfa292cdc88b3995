#!/bin/bash
# eighth session, one short call: wrong answers first (the grep stress in
# both kernel modes: the flat loop, the staged prefetch and rerun_of have
# run only on lavapipe), then grep's rate over both memories, the C suite
# in persistent mode, the cache's second pass persistent. LIMIT seconds.
cd "$(dirname "$0")/.." || exit
T0=$(date +%s)
LIMIT=${LIMIT:-400}
B=build-dev/v3
left() { echo $((LIMIT - ($(date +%s) - T0))); }
. tools/device-env.sh
export VYRE_TEST_TMPDIR=/var/tmp VYRE_STRESS_BIG=48
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
step() { # name timeout cmd...
	local name=$1 tmo=$2 s=$(date +%s%N) l rc
	shift 2
	l=$(left)
	[ "$l" -lt 10 ] && { echo "== $name skipped (time)"; return; }
	[ "$tmo" -gt "$((l - 5))" ] && tmo=$((l - 5))
	timeout -k 5 "$tmo" "$@" >"/tmp/$name.log" 2>&1
	rc=$?
	printf '== %-34s rc=%-3s %6d ms, %s wrong\n' "$name" "$rc" $((($(date +%s%N) - s) / 1000000)) \
		"$(grep -c -e WRONG -e 'check failed' -e MISMATCH "/tmp/$name.log")"
	[ $rc = 0 ] || grep -v "vyrefs: pump" "/tmp/$name.log" | grep -v WRONG | tail -3
	grep -e WRONG -e 'check failed' -e MISMATCH "/tmp/$name.log" | head -4
}
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=750 VYRE_STRESS_UNITS=1 VYRE_TEST_KERNEL=relaunch step stress-relaunch-1 60 $B/test_grep_stress
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=500 VYRE_STRESS_UNITS=2 VYRE_TEST_KERNEL=relaunch step stress-relaunch-2 60 $B/test_grep_stress
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=250 VYRE_STRESS_UNITS=12 VYRE_TEST_KERNEL=persistent step stress-persistent-12 60 $B/test_grep_stress
for m in persistent relaunch; do
	for p in vyre e; do
		step ring-$m-$p 30 $B/bench_ring -m $m -o count,grep -p $p -t 1
		grep -h -e 'GB/s' -e check /tmp/ring-$m-$p.log | sed "s/^| [^|]*|/ring-$m-$p |/"
	done
done
export VYRE_VALIDATION=1
VYRE_TEST_BIG_FILE="$(find /usr/lib /usr/local -xdev -type f -name '*.so*' -size +60M 2>/dev/null | head -1)"
export VYRE_TEST_BIG_FILE
for t in $B/test_*; do
	case $t in *test_grep_stress) continue ;; esac
	[ "$(left)" -lt 100 ] && { echo "== persistent-$(basename $t) and after: skipped (time)"; break; }
	VYRE_TEST_KERNEL=persistent step "persistent-$(basename $t)" 45 "$t"
done
echo "--- cache, kernel=persistent ($(left) s left)"
[ "$(left)" -gt 60 ] && OPTS=kernel=persistent VYREFS=$B/vyrefs VYRE_BENCH_DIR=/var/tmp/vb \
	timeout $(($(left) - 5)) tools/bench-cache.sh 4G 2
echo "done at $(($(date +%s) - T0)) s"
