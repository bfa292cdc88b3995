#!/bin/bash
# tools/gpu-shift-check.sh: the bit-parallel engine (issue 26) on the GPU, both kernel modes:
# counts and -n -b lines against LC_ALL=C grep -a on generated a{3000}, (ab|cd){3000},
# .{20000} runs. B = a folder of carried binaries (default build-dev/v3: see
# tools/gpu-verify.sh). Prints WRONG on any difference. N, REP: the data (300 runs
# of each, the whole repeated 8 times); MODES: the kernel modes; PATS: the patterns;
# CHUNK: the job chunk (default 1M); D: where the data goes (default /var/tmp/shift); T: seconds each job may take (then it is cancelled and reported SLOW: no read here blocks).
cd "$(dirname "$0")/.."
B=${B:-build-dev/v3}
D=${D:-/var/tmp/shift}; mkdir -p $D
python3 - $D ${N:-300} ${REP:-8} <<'PY'
import random, sys
d = sys.argv[1]; random.seed(7)
def short(n): return b"".join(bytes(random.choice(b"abcdx ") for _ in range(random.randrange(0, 90))) + b"\n" for _ in range(n))
out = bytearray(short(2000))
for i in range(int(sys.argv[2])):
    n = random.choice((2999, 3000, 3001, 3500, 6000))
    out += b"x" * random.randrange(0, 5) + b"a" * n + b"y\n" + short(random.randrange(1, 30))
    pairs = [random.choice([b"ab", b"cd"]) for _ in range(random.choice((2999, 3000, 3001)))]
    if random.random() < 0.3: pairs[random.randrange(len(pairs))] = b"ac"
    out += b"z" + b"".join(pairs) + b"\n" + short(random.randrange(1, 30))
    if i % 10 == 0:
        out += bytes(random.choice(range(32, 127)) for _ in range(random.choice((19999, 20000, 25000)))) + b"\n"
open(d + "/s.dat", "wb").write(bytes(out * int(sys.argv[3])))
PY
ls -la $D/s.dat | awk '{print "data", $5}'
for k in ${MODES:-relaunch persistent}; do
	M=$(mktemp -d); $B/vyrefs $M -o log=/tmp/shift-$k.log,kernel=$k || continue
	for p in ${PATS:-'a{3000}' '(ab|cd){3000}' '.{20000}' 'a{3000}|(ab|cd){3000}|x.{20000}'}; do
		for l in 0 1; do
			exec 3<>$M/ctl; echo "scan path=$D/s.dat op=grep pattern=$p lines=$l chunk=${CHUNK:-1M}" >&3; read -r id <&3; exec 3>&-
			t0=$(date +%s%N)
			if ! st=$(timeout ${T:-30} cat $M/jobs/$id/wait); then
				echo cancel > $M/jobs/$id/ctl
				echo "$k $p lines=$l: SLOW past ${T:-30} s, cancelled: $(timeout 5 grep -E '^(engine|progress|chunks_done|chunks)=' $M/jobs/$id/status | tr '\n' ' ')"
				timeout 10 cat $M/jobs/$id/wait >/dev/null; rmdir $M/jobs/$id; continue
			fi
			v=$(timeout 10 head -1 $M/jobs/$id/result)
			w=$(LC_ALL=C grep -c -a -E -e "$p" $D/s.dat); ok=ok
			[ "$v" = "$w" ] || ok=WRONG
			if [ $l = 1 ]; then
				cmp -s <(timeout 20 cat $M/jobs/$id/lines | cut -d: -f1,2) <(LC_ALL=C grep -n -b -a -E -e "$p" $D/s.dat | cut -d: -f1,2) || ok="WRONG lines"
			fi
			echo "$k $p lines=$l: vyrefs $v grep $w $ok $(( ($(date +%s%N) - t0) / 1000000 )) ms $(echo "$st" | grep -E '^(engine|state)=' | tr '\n' ' ')"
			rmdir $M/jobs/$id
		done
	done
	umount $M
done
