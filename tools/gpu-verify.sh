#!/bin/bash
# The GPU's proof of issue 20 (wrong answers), run on the device machine:
# the grep stress in both kernel modes and unit layouts (every count
# against LC_ALL=C grep -c -a), test_pack, test_histogram and
# test_grep_pack repeated, every C test in each of $MODES (default both),
# and with SOAK=SECONDS tools/soak against the daemon (8 clients, root and
# nobody, every result against Python or GNU grep). Binaries are carried,
# built here first:
#   mkdir -p build-dev/v2 && cp build/tests/test_* build/tests/eiofs \
#       build/fs/vyrefs build/tools/vyrectl build-dev/v2/ 2>/dev/null
#   run(command="MODES=relaunch SOAK=300 tools/gpu-verify.sh",
#       carry=[".gl", "build-dev"], timeout_s=580)
# .gl/ holds the runtime .debs (tools/device-env.sh). Prints one line per
# step (rc, time, wrong answers); BENCHMARKS.md has the runs so far.
cd "$(dirname "$0")/.."
. tools/device-env.sh
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
B=${VYRE_GPU_BIN:-build-dev/v2}
export VYRE_TEST_TMPDIR=/var/tmp VYRE_STRESS_BIG=48
step() { # name timeout cmd...
	local name=$1 tmo=$2 s=$(date +%s%N)
	shift 2
	timeout "$tmo" "$@" >"/tmp/$name.log" 2>&1
	local rc=$?
	printf '== %-34s rc=%-3s %6d ms, %s wrong\n' "$name" "$rc" $(( ($(date +%s%N) - s) / 1000000 )) "$(grep -c -e WRONG -e 'check failed' "/tmp/$name.log")"
	[ $rc = 0 ] || grep -v "vyrefs: pump" "/tmp/$name.log" | grep -v WRONG | tail -${TAILN:-3}
	grep -e WRONG -e 'check failed' "/tmp/$name.log" | head -4
	grep -h "never showed" "/tmp/$name.log" | head -3
}
# STRESS_PCT scales the stress jobs (a short device budget: 50 halves them)
sj() { echo $(($1 * ${STRESS_PCT:-100} / 100)); }
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=$(sj 3000) VYRE_STRESS_UNITS=1 VYRE_TEST_KERNEL=relaunch step stress-relaunch-1 110 $B/test_grep_stress
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=$(sj 2000) VYRE_STRESS_UNITS=2 VYRE_TEST_KERNEL=relaunch step stress-relaunch-2 90 $B/test_grep_stress
VYRE_VALIDATION=0 VYRE_STRESS_JOBS=$(sj 1000) VYRE_STRESS_UNITS=12 VYRE_TEST_KERNEL=persistent step stress-persistent-12 90 $B/test_grep_stress
for i in $(seq 1 ${ROUNDS:-8}); do
	VYRE_VALIDATION=0 TAILN=2 step pack-$i 40 $B/test_pack
	VYRE_VALIDATION=0 TAILN=2 step hist-$i 40 $B/test_histogram
	VYRE_VALIDATION=0 TAILN=2 step gpack-$i 40 $B/test_grep_pack
done 2>&1 | grep -v "^== .* rc=0 .* 0 wrong" ; echo "(pack/hist rounds: lines above are failures only)"
export VYRE_VALIDATION=1 TAILN=2
export VYRE_TEST_BIG_FILE="$(find /usr/lib /usr/local -xdev -type f -name '*.so*' -size +60M 2>/dev/null | head -1)"
for k in ${MODES:-relaunch persistent}; do
	for t in $B/test_*; do
		case $t in *test_grep_stress) continue ;; esac
		VYRE_TEST_KERNEL=$k step "$k-$(basename $t)" 45 "$t"
	done
done

if [ -n "${SOAK:-}" ]; then
	# the soak needs nobody to reach the data: under /var/tmp, daemon from build-dev
	VYREFS=$PWD/$B/vyrefs timeout -k 20 400 python3 tools/soak --seconds "$SOAK" --clients 8 \
		--grace 120 --report-every 60 --job-timeout 120 --tmp /var/tmp --seed 7 2>&1 |
		tee /tmp/soak.log | grep -vE '^(root|nobody) ' | tail -12
	# every wrong answer, in full, comes back in $OUT/soak-wrong.log
	grep '"o": "wrong"' /tmp/soak.log >"${OUT:-/tmp}/soak-wrong.log"
	echo "soak wrong records: $(wc -l <"${OUT:-/tmp}/soak-wrong.log")"
fi
