#!/bin/bash
# eighth session, the warm machine's last minutes: grep's flat loop off/on
# over device memory (same call), then vyrectl grep -rn over 100,000 x 4 KiB
# with 1 and 8 walkers (order=walk) against rg -n, outputs compared.
cd "$(dirname "$0")/.." || exit
T0=$(date +%s)
B=build-dev/v3
. tools/device-env.sh
mkdir -p /tmp/rg && dpkg -x .gl/ripgrep_*.deb /tmp/rg && export PATH=/tmp/rg/usr/bin:$PATH
TREE=/var/tmp/vb/tree-4k
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
touch $TREE.done) &
for f in 0 1 0 1; do
	VYRE_GREP_FAST=$f timeout 50 $B/bench_ring -m persistent -o grep -p vyre -t 1 2>&1 | grep -e 'GB/s' -e check | sed "s/^/fast=$f /"
done
wait
find $TREE -type f -exec cat {} + >/dev/null
echo "tree made at $(($(date +%s) - T0)) s"
for i in 1 2; do
	s=$(date +%s%N); rg -n --no-ignore --hidden -a vyre $TREE >/tmp/rg.out; echo "rg -n: $((($(date +%s%N) - s) / 1000000)) ms, $(wc -l </tmp/rg.out) lines"
done
for wt in 1 8 1 8; do
	m=$(mktemp -d)
	VYRE_WALK_THREADS=$wt $B/vyrefs $m -o log=/tmp/v.log || continue
	s=$(date +%s%N)
	timeout 60 $B/vyrectl -m $m grep -rn vyre $TREE >/tmp/v.out
	e=$((($(date +%s%N) - s) / 1000000))
	s=$(date +%s%N)
	first=$(timeout 60 $B/vyrectl -m $m grep -rn vyre $TREE | head -1)
	f1=$((($(date +%s%N) - s) / 1000000))
	cmp -s <(sort /tmp/v.out) <(sort /tmp/rg.out) && same=same || same=DIFFER
	echo "walkers=$wt vyrectl grep -rn: $e ms, $(wc -l </tmp/v.out) lines ($same as rg -n); first line ($f1 ms): ${first:0:40}"
	grep -E '^(walkers|files|elapsed_us|walk_us)=' $m/jobs/*/status 2>/dev/null | tail -4 | tr '\n' ' '; echo
	umount $m
	[ $(($(date +%s) - T0)) -gt 330 ] && break
done
echo "done at $(($(date +%s) - T0)) s"
