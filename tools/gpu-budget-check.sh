#!/bin/bash
# tools/gpu-budget-check.sh: the file cache gives device memory back to
# another process (issue 25; ARCHITECTURE.md "The file cache", "Under
# memory pressure"), on the GPU machine. Mounts with cache=$CACHE, warms it
# with a $GIB GiB file, then tools/gpu_hog takes $HOG GiB a GiB every
# $STEP ms and holds it $HOLD s while rounds of 20 concurrent count and
# grep jobs run; every result is checked against wc -l / LC_ALL=C grep -c -a
# (WRONG on a difference), status is printed each round, then the log's
# shrink lines, whether the hog got every GiB it asked for, and the
# blocks made again once it is gone.
# B: a folder with vyrefs and gpu_hog (default build-dev/v3, as
# tools/gpu-verify.sh carries them); K: kernel mode (default relaunch).
#   mkdir -p build-dev/v3 && cp build/fs/vyrefs build/tools/gpu_hog build-dev/v3/
#   run(command="tools/gpu-budget-check.sh", carry=[".gl", "build-dev"], timeout_s=400)
cd "$(dirname "$0")/.."
. tools/device-env.sh
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader
B=${B:-build-dev/v3}
D=/var/tmp/budget; mkdir -p $D
GIB=${GIB:-4} CACHE=${CACHE:-40G} HOG=${HOG:-60} STEP=${STEP:-200} HOLD=${HOLD:-15}
if [ "$(stat -c %s $D/b.dat 2>/dev/null)" != $((GIB << 30)) ]; then
	python3 - $D/blk <<'PY'
import random, sys
r = random.Random(3); w = ["alpha", "needle", "omega", "beta", "haystack", "Needle"]
out = []; n = 0
while n < 64 << 20:
    l = " ".join(r.choice(w) for _ in range(r.randint(0, 14))) + "\n"; out.append(l); n += len(l)
open(sys.argv[1], "w").write("".join(out)[: 64 << 20])
PY
	for i in $(seq $((GIB * 16))); do cat $D/blk; done > $D/b.dat
	rm $D/blk
	sleep 0.2
fi
W_COUNT=$(wc -l < $D/b.dat); W_GREP=$(LC_ALL=C grep -c -a needle $D/b.dat)
M=$(mktemp -d); L=/tmp/budget-vyrefs.log
$B/vyrefs $M -o log=$L,cache=$CACHE,kernel=${K:-relaunch} || exit 1
st() { grep -E "^(cache_capacity|cache_bytes|cache_shrinks|cache_hits|cache_misses)=" $M/status | tr '\n' ' '; }
job() { exec 3<>$M/ctl; echo "$1" >&3; read -r id <&3; exec 3>&-; echo $id; }
round() { # 20 jobs at once; prints the wrong ones
	local ids=() i v w t0=$(date +%s%N)
	for i in $(seq 0 19); do
		if [ $((i % 2)) = 0 ]; then ids+=($(job "scan path=$D/b.dat op=count byte=0x0a"))
		else ids+=($(job "scan path=$D/b.dat op=grep pattern=needle")); fi
	done
	for i in $(seq 0 19); do
		timeout 120 cat $M/jobs/${ids[$i]}/wait >/dev/null
		v=$(timeout 10 cat $M/jobs/${ids[$i]}/result)
		if [ $((i % 2)) = 0 ]; then w=$W_COUNT; else w=$W_GREP; fi
		[ "$v" = "$w" ] || echo "WRONG job ${ids[$i]}: $v, want $w"
		rmdir $M/jobs/${ids[$i]}
	done
	echo "round: 20 jobs in $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(st)"
}
echo "mounted: $(st)"
round; round
echo "warm: $(st)"
$B/gpu_hog $HOG $HOLD $STEP > /tmp/budget-hog.log 2>&1 &
hog=$!
while kill -0 $hog 2>/dev/null; do round; nvidia-smi --query-gpu=memory.used --format=csv,noheader; done
wait $hog
cat /tmp/budget-hog.log | sed -n '1p;/refused/p;$p'
grep -c "gives block" $L | sed 's/^/blocks given back: /'
grep -E "gives block|freed" $L | sed -n '1,2p;$p'
sleep 3 # the hog is gone: the blocks are made again (2 s after the last shrink)
round
grep -c "makes block" $L | sed 's/^/blocks made again: /'
round
umount $M; rmdir $M
