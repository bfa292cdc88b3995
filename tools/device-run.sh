#!/bin/bash
# tools/device-run.sh - what one call on the GPU device machine runs (see
# BENCHMARKS.md "How the GPU numbers are made"): the binaries are built
# here on Debian 12 and carried with the runtime libraries in .gl/.
#
#   tools/device-run.sh OUTDIR [tests] [bench SECTIONS BIGSIZE] [ingest SIZE]...
#
# OUTDIR gets at most tests.txt, bench.md, bench.csv, splits.txt,
# ingest.txt, ingest-log.txt (the device tool brings back few files;
# per-test logs stay in /tmp/devlogs).
#
#   tests   every C test binary, in both kernel modes, each timed
#   bench   tools/bench -t SECTIONS -b BIGSIZE through the mount
#   bats "FILES"  those bats files (tests/bats/NAME.bats) on the GPU, into bats.txt
#   ingest  tools/ingest.sh: the ingest's pieces apart on a SIZE file
#           (BENCHMARKS.md "Ingest breakdown"); VYRE_BUILD names the build
#           folder (default build)
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR=$1
shift
mkdir -p "$OUTDIR"
. tools/device-env.sh
# peers: unpacked beside, never over /
mkdir -p /tmp/peers
for f in .gl/ripgrep*.deb .gl/libhyperscan*.deb .gl/bats*.deb; do
	[ -e "$f" ] && dpkg -x "$f" /tmp/peers
done
export PATH=/tmp/peers/usr/bin:$PATH
export LD_LIBRARY_PATH=/tmp/peers/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
command -v nvidia-smi >/dev/null &&
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cores: $(nproc), kernel: $(uname -r)"

while [ $# -gt 0 ]; do
	case $1 in
	tests)
		shift
		export VYRE_VALIDATION=1 VYRE_TEST_TMPDIR=/var/tmp
		# test_pump_concurrency's big real input: libLLVM is not on the GPU box
		[ -r /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1 ] || export VYRE_TEST_BIG_FILE="$(find \
			/usr/lib /usr/local -xdev -type f -name '*.so*' -size +60M 2>/dev/null | head -1)"
		echo "big test input: ${VYRE_TEST_BIG_FILE:-libLLVM-15}"
		for k in persistent relaunch; do
			for t in build/tests/test_*; do
				[ -f "$t" ] && [ -x "$t" ] || continue
				case $t in */test_descriptor | */test_regex_compile) continue ;; esac # no GPU
				s=$(date +%s%N)
				log=/tmp/devlogs/$k-$(basename "$t")
				mkdir -p /tmp/devlogs
				VYRE_TEST_KERNEL=$k timeout 150 "$t" >"$log" 2>&1
				rc=$?
				e=$(date +%s%N)
				printf '%-11s %-26s rc=%-3s %5d ms\n' "$k" "$(basename "$t")" "$rc" \
					$(((e - s) / 1000000)) | tee -a "$OUTDIR/tests.txt"
				[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || tail -5 "$log"
			done
		done
		;;
	bats)
		files=()
		for b in $2; do files+=("tests/bats/$b.bats"); done
		VYREFS=$PWD/build/fs/vyrefs EIOFS=$PWD/build/tests/eiofs timeout 300 \
			bats --tap "${files[@]}" 2>&1 | tee -a "$OUTDIR/bats.txt"
		shift 2
		;;
	bench)
		echo "bench data in ${VYRE_BENCH_DIR:=/var/tmp/vb}: $(stat -f -c %T "$(dirname "$VYRE_BENCH_DIR")")"
		VYRE_BENCH_DIR=$VYRE_BENCH_DIR tools/bench -o /tmp/bench -t "$2" -b "$3" -s "$3" -q \
			2>&1 | tee -a "$OUTDIR/bench.md"
		cat /tmp/bench/bench.csv >>"$OUTDIR/bench.csv"
		cat /tmp/bench/splits.txt >>"$OUTDIR/splits.txt" 2>/dev/null
		shift 3
		;;
	ingest)
		tools/ingest.sh "$OUTDIR/ingest.txt" "$2"
		shift 2
		;;
	*)
		echo "unknown step $1" >&2
		exit 2
		;;
	esac
done
