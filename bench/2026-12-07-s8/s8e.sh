#!/bin/bash
# flat loop A/B, alternating, both modes, rare and dense; then the tree's thread split
cd "$(dirname "$0")/.." || exit
T0=$(date +%s)
B=build-dev/v3
. tools/device-env.sh
for r in 1 2; do for m in persistent relaunch; do for p in vyre e; do for f in 0 1; do
	[ $(($(date +%s) - T0)) -gt 150 ] && break 4
	VYRE_GREP_FAST=$f timeout 40 $B/bench_ring -m $m -o grep -p $p -t 1 2>&1 | grep -e 'GB/s' | sed "s/^/r$r $m $p fast=$f /" | cut -c1-40,100-150
done; done; done; done
TREE=/var/tmp/vb/tree-4k
for wt in 1 8; do
	m=$(mktemp -d)
	VYRE_WALK_THREADS=$wt $B/vyrefs $m -o log=/tmp/tc.log
	p=$(pgrep -n -f "vyrefs $m")
	echo "# walkers $wt: order=walk lines=1"
	timeout 60 tools/thread-cpu.sh "$p" bash -c "exec 7<>$m/ctl; echo 'scan path=$TREE op=grep pattern=vyre lines=1 order=walk' >&7; read -r id <&7;
		cat $m/jobs/\${id#id=}/wait | grep -E '^(state|files|walkers|walk_us|elapsed_us)=' | tr '\n' ' '; echo"
	umount $m
done
echo "done at $(($(date +%s) - T0)) s"
