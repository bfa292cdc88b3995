#!/bin/bash
# the tree's thread split, order=path (8 walkers): grep, count; then rg -c
cd "$(dirname "$0")/.." || exit
B=build-dev/v3
. tools/device-env.sh
mkdir -p /tmp/rg && dpkg -x .gl/ripgrep_*.deb /tmp/rg && export PATH=/tmp/rg/usr/bin:$PATH
TREE=/var/tmp/vb/tree-4k
for d in "op=grep pattern=vyre" "op=count" "op=grep pattern=vyre" "op=count"; do
	m=$(mktemp -d)
	VYRE_WALK_THREADS=8 $B/vyrefs $m -o log=/tmp/tc.log
	p=$(pgrep -n -f "vyrefs $m")
	echo "# $d"
	timeout 60 tools/thread-cpu.sh "$p" bash -c "exec 7<>$m/ctl; echo 'scan path=$TREE $d' >&7; read -r id <&7;
		cat $m/jobs/\${id#id=}/wait | grep -E '^(state|files|walkers|walk_us|elapsed_us|result)=' | tr '\n' ' '; echo"
	umount $m
done
for i in 1 2; do s=$(date +%s%N); rg -c --no-ignore --hidden -a vyre $TREE | wc -l; echo "rg -c $((($(date +%s%N) - s) / 1000000)) ms"; done
