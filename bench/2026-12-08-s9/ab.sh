#!/bin/bash
# ab.sh DAEMON DESC...: best elapsed_us of 3 runs of each descriptor on a fresh
# mount of DAEMON, with its reruns= and lines count (ninth session, BENCHMARKS.md)
D=$1; shift
M=/tmp/pp/abm; mkdir -p $M
$D $M -o gpu_timeout=60000,log=/tmp/pp/ablog
sleep 3
for desc in "$@"; do
	best=
	for r in 1 2 3; do
		exec 7<>$M/ctl; printf '%s\n' "$desc" >&7; read -r -t 10 a <&7; exec 7>&-
		id=$(echo "$a" | grep -o '[0-9]\+' | head -1)
		timeout 600 cat $M/jobs/$id/wait >/dev/null
		e=$(sed -n 's/^elapsed_us=//p' $M/jobs/$id/status); rr=$(sed -n 's/^reruns=//p' $M/jobs/$id/status)
		n=$(wc -l < $M/jobs/$id/lines)
		[ -z "$best" ] || [ "$e" -lt "$best" ] && best=$e
	done
	echo "$(basename $(dirname $(dirname $D))) best ${best} us reruns=$rr lines=$n : $desc"
done
umount $M
