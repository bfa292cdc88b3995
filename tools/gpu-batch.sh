#!/bin/bash
# tools/gpu-batch.sh: the GPU machine's open measurements, most wanted
# first, in one call (the device is short and often refused: BENCHMARKS.md
# "sixth session"). Each step is cut to the time left under LIMIT seconds;
# every result is checked (regexec in bench_ring, grep/wc in bench-ab.sh
# and tools/bench, the C tests' own references) and WRONG, "check failed"
# or MISMATCH lines are printed. Logs go to $OUT (at most 8 files).
#
#  0. wrong answers first: tools/gpu-verify.sh's grep stress in both
#     kernel modes (a quarter of its jobs), then on the GPU the bats of
#     the ninth session's shader work (per_pattern=1 on the bit-parallel
#     engine, packed line records) against GNU grep
#  1. grep's GPU rate, the flat line loop off and on (VYRE_GREP_FAST),
#     both kernel modes, a dense and a rare pattern (issues 23 item 6, 25)
#  2. a 100,000 x 4 KiB tree's thread split (tools/thread-cpu.sh) with 1
#     and 8 walkers and VYRE_PACK_ASYNC=1 (order=path, and order=walk as
#     vyrectl grep -rn runs it), and rg and grep -r on it (23)
#  3. tools/bench -T: the tree table against rg and grep -r (23)
#  4. tools/bench-ab.sh: the base build's daemon against this one (22)
#  5. the C suite in both kernel modes, validation layer on (22), six
#     tests at a time (each compiles its pipelines ~30 s under the layer)
#     but the timing-sensitive ones alone
#
# Binaries are built here and carried (the machine has no compiler's
# packages): B holds this build's daemon, vyrectl, bench_ring, bench_walk
# and tests; BASE the base build's daemon for step 4 (issue 22: 8e253d6).
#   mkdir -p build-dev/v3 build-dev/base
#   cp build/fs/vyrefs build/tools/{vyrectl,bench_ring,bench_walk,hs_grep} \
#      build/tests/eiofs build/tests/test_* build-dev/v3/ 2>/dev/null
# .gl/ holds the runtime .debs, ripgrep's and bats's (tools/device-env.sh).
#   run(command="LIMIT=560 tools/gpu-batch.sh", carry=[".gl", "build-dev"], timeout_s=600)
# STEPS (default "0 1 2 3 4 5") picks steps; TREE the small-file tree.
cd "$(dirname "$0")/.." || exit
T0=$(date +%s)
LIMIT=${LIMIT:-560}
B=${B:-build-dev/v3}
BASE=${BASE:-build-dev/base/vyrefs}
OUT=${OUT:-/tmp}
STEPS=${STEPS:-0 1 2 3 4 5}
left() { echo $((LIMIT - ($(date +%s) - T0))); }
want() { [[ " $STEPS " == *" $1 "* ]]; }
. tools/device-env.sh
mkdir -p /tmp/rg && dpkg -x .gl/ripgrep_*.deb /tmp/rg && export PATH=/tmp/rg/usr/bin:$PATH
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/info.log"
export VYRE_TEST_TMPDIR=/var/tmp
TREE=${TREE:-/var/tmp/vb/tree-4k}

# step NAME SECONDS CMD...: CMD under a limit cut to the time left
step() {
	local name=$1 tmo=$2 s l rc
	s=$(date +%s%N)
	shift 2
	l=$(left)
	[ "$l" -lt 8 ] && { echo "== $name skipped (time)"; return; }
	[ "$tmo" -gt "$((l - 5))" ] && tmo=$((l - 5))
	timeout -k 5 "$tmo" "$@" >"/tmp/$name.log" 2>&1
	rc=$?
	printf '== %-36s rc=%-3s %6d ms, %s wrong\n' "$name" "$rc" $((($(date +%s%N) - s) / 1000000)) \
		"$(grep -c -e WRONG -e 'check failed' -e MISMATCH "/tmp/$name.log")"
	[ $rc = 0 ] || grep -v "vyrefs: pump" "/tmp/$name.log" | tail -n 3
	grep -e WRONG -e 'check failed' -e MISMATCH "/tmp/$name.log" | head -n 4
}
export -f step left
export T0 LIMIT

# the tree, made while the GPU runs step 1 (tools/bench's tree (b))
if [ ! -e "$TREE.done" ]; then
	(python3 - "$TREE" <<'PY'
import os, sys, base64
top = sys.argv[1]
rnd = os.urandom(4096 * 64)
for i in range(100000):
    d = os.path.join(top, 'd%03d' % (i // 100))
    if i % 100 == 0:
        os.makedirs(d, exist_ok=True)
    off = (i * 997) % (len(rnd) - 3072)
    data = base64.encodebytes(rnd[off:off + 3072])[:4096]
    with open(os.path.join(d, 'f%06d' % i), 'wb') as f:
        f.write(data)
PY
	touch "$TREE.done") >/tmp/mktree.log 2>&1 &
fi

if want 0; then
	echo "--- 0. wrong answers: the grep stress, the bats of the new shader paths ($(left) s left)"
	export VYRE_STRESS_BIG=48
	VYRE_VALIDATION=0 VYRE_STRESS_JOBS=750 VYRE_STRESS_UNITS=1 VYRE_TEST_KERNEL=relaunch \
		step stress-relaunch-1 70 "$B/test_grep_stress"
	VYRE_VALIDATION=0 VYRE_STRESS_JOBS=500 VYRE_STRESS_UNITS=2 VYRE_TEST_KERNEL=relaunch \
		step stress-relaunch-2 60 "$B/test_grep_stress"
	VYRE_VALIDATION=0 VYRE_STRESS_JOBS=250 VYRE_STRESS_UNITS=12 VYRE_TEST_KERNEL=persistent \
		step stress-persistent-12 60 "$B/test_grep_stress"
	mkdir -p /tmp/peers && dpkg -x .gl/bats_*.deb /tmp/peers
	VYREFS=$PWD/$B/vyrefs VYRECTL=$PWD/$B/vyrectl EIOFS=$PWD/$B/eiofs BATS_TEST_TIMEOUT=150 \
		step bats-gpu 240 /tmp/peers/usr/bin/bats --tap tests/bats/grep_per_pattern.bats \
		tests/bats/grep_shift.bats tests/bats/tree_files.bats
	grep -E "^(not ok|ok)" /tmp/bats-gpu.log
fi 2>&1 | tee "$OUT/wrong.log"

want 1 && echo "--- 1. grep's GPU rate, flat loop off / on ($(left) s left)"
want 1 && for m in persistent relaunch; do
	for pat in vyre e; do
		for f in 0 1; do
			n=ring-$m-$pat-fast$f
			VYRE_GREP_FAST=$f step "$n" 45 "$B/bench_ring" -m "$m" -o count,grep -p "$pat" -t 1
			grep -h -e 'GB/s' -e 'check' "/tmp/$n.log" | sed "s/^| [^|]*|/$n |/"
		done
	done
done 2>&1 | tee "$OUT/ring.log"
wait

# tc ENV DESC: a mount with ENV, DESC's job, the daemon's CPU by thread
tc() {
	local m p
	m=$(mktemp -d)
	env $1 "$B/vyrefs" "$m" -o log=/tmp/tc.log || return
	p=$(pgrep -n -f "vyrefs $m")
	echo "# $1: $2"
	timeout 60 tools/thread-cpu.sh "$p" bash -c "exec 7<>$m/ctl; echo '$2' >&7; read -r id <&7;
		cat $m/jobs/\${id#id=}/wait | grep -E '^(state|files|walkers|walk_us|elapsed_us)=' | tr '\n' ' '; echo"
	umount "$m"
}
want 2 && echo "--- 2. the tree's threads ($(left) s left)"
want 2 && if [ -e "$TREE.done" ]; then
	find "$TREE" -type f -exec cat {} + >/dev/null
	for e in VYRE_WALK_THREADS=1 VYRE_WALK_THREADS=8 "VYRE_WALK_THREADS=8 VYRE_PACK_ASYNC=1"; do
		[ "$(left)" -lt 60 ] && break
		tc "$e" "scan path=$TREE op=grep pattern=vyre"
		tc "$e" "scan path=$TREE op=grep pattern=vyre lines=1"
		tc "$e" "scan path=$TREE op=grep pattern=vyre lines=1 order=walk"
	done
	s=$(date +%s%N)
	rg -c --no-ignore --hidden -a vyre "$TREE" >/dev/null
	echo "rg -c: $((($(date +%s%N) - s) / 1000000)) ms"
	s=$(date +%s%N)
	rg -n --no-ignore --hidden -a vyre "$TREE" >/dev/null
	echo "rg -n: $((($(date +%s%N) - s) / 1000000)) ms"
	step walk-uring-1 30 "$B/bench_walk" -m uring -t 1 -e -r "$TREE"
	step walk-uring-8 30 "$B/bench_walk" -m uring -t 8 -e -r "$TREE"
	tail -n 9 /tmp/walk-uring-1.log /tmp/walk-uring-8.log
fi 2>&1 | tee "$OUT/threads.log"

if want 3; then
	echo "--- 3. trees against rg ($(left) s left)"
	VYREFS=$PWD/$B/vyrefs VYRE_BENCH_DIR=/var/tmp/vb VYRE_BENCH_TREE=/usr/include \
		step tree 170 tools/bench -T -n 100 -o /tmp/treeout
	cp /tmp/tree.log "$OUT/"
	grep -e '^|' -e MISMATCH /tmp/tree.log
fi

want 4 && echo "--- 4. A/B: $BASE against $B/vyrefs ($(left) s left)"
if want 4 && [ -x "$BASE" ]; then
	step ab 150 tools/bench-ab.sh "$BASE" "$B/vyrefs" 2
	cp /tmp/ab.log "$OUT/"
	grep -e '^|' -e 'big file' -e WRONG /tmp/ab.log
fi

export VYRE_VALIDATION=1
VYRE_TEST_BIG_FILE="$(find /usr/lib /usr/local -xdev -type f -name '*.so*' -size +60M 2>/dev/null | head -1)"
export VYRE_TEST_BIG_FILE
want 5 && for k in persistent relaunch; do
	echo "--- 5. the C suite, $k ($(left) s left)"
	alone= list=
	for t in "$B"/test_*; do
		case $t in
		*test_grep_stress) ;;
		*test_gpu_timeout | *test_batch_fair | *test_stop_relaunch) alone="$alone $t" ;;
		*) list="$list $t" ;;
		esac
	done
	for t in $alone; do
		VYRE_TEST_KERNEL=$k step "$k-$(basename "$t")" 60 "$t"
	done 2>&1 | tee -a "$OUT/csuite.log" | grep -v '^== .* rc=0 .* 0 wrong'
	printf '%s\n' $list | VYRE_TEST_KERNEL=$k xargs -P 6 -I{} bash -c \
		'step "$VYRE_TEST_KERNEL-$(basename {})" 90 {}' 2>&1 |
		tee -a "$OUT/csuite.log" | grep -v '^== .* rc=0 .* 0 wrong'
	echo "(C suite $k: $(grep -c "== $k-.* rc=0 .* 0 wrong" "$OUT/csuite.log") rc=0 of $(grep -c "== $k-" "$OUT/csuite.log"))"
done
echo "done at $(($(date +%s) - T0)) s"
