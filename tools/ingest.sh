#!/bin/bash
# tools/ingest.sh - the ingest's pieces measured apart, in one go (issue 16;
# BENCHMARKS.md "Ingest breakdown"): host memory bandwidth, raw io_uring
# from the page cache by buffer set, huge pages, io-wq bound and CPUs, the
# same while the GPU reads host memory at full rate, io_uring into a BAR
# mapping, and vyrefs count through the mount on the same file.
#
#   tools/ingest.sh OUTFILE SIZE
#
# Prints one table (piece, setting, GB/s) and appends it to OUTFILE; the
# tools' own lines (-v: buffers, io-wq limits, AnonHugePages) go to
# OUTFILE's folder as ingest-log.txt.
#   VYRE_BUILD       build folder (default build)
#   VYRE_INGEST_DIR  where the SIZE file is made or reused (default /var/tmp/vb,
#                    ext4 on the H200, as tools/bench's files)
#   VYRE_INGEST_SECS seconds per piece (default 3)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
OUTF=$1 SIZE=$2
B=${VYRE_BUILD:-build}
DIR=${VYRE_INGEST_DIR:-/var/tmp/vb}
T=${VYRE_INGEST_SECS:-3}
TMO=$((${T%%.*} + 60)) # each tool's timeout, whole seconds
LOG=$(dirname "$OUTF")/ingest-log.txt
N=$(nproc)
# the pump's defaults (chunk=4M, slots=32) and its async rule (fact 5)
BS=4096 QD=32 ASYNC=""
[ "$N" -gt 4 ] && ASYNC=-a
PUMP="-b $BS -q $QD -f $ASYNC"
mkdir -p "$DIR" "$(dirname "$OUTF")"
: >"$LOG"

say() { echo "$*" | tee -a "$OUTF"; }
row() { say "| $1 | $2 | $3 |"; }
fail() { echo "failed: $(tail -1 "$LOG" | cut -c1-80)"; }

# The file: 64 MiB of base64 text repeated (the reads only move bytes; every
# page is its own page-cache page all the same), made once and reused.
BYTES=$(numfmt --from=iec "$SIZE")
F=$DIR/data-$SIZE # tools/bench's name for it: its runs reuse the file
if [ ! -f "$F" ] || [ "$(stat -c %s "$F")" != "$BYTES" ]; then
	t0=$(date +%s.%N)
	head -c $((48 << 20)) /dev/urandom | base64 -w 76 | head -c $((64 << 20)) >"$DIR/blk64"
	n=$(((BYTES >> 26) + 1))
	for _ in $(seq "$n"); do cat "$DIR/blk64"; done | head -c "$BYTES" >"$F"
	t1=$(date +%s.%N)
	timeout 60 sync
	echo "made $F in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s," \
		"synced in $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi
cat "$F" >/dev/null
cat "$F" >/dev/null
SHM=""
if [ "$(df --output=avail -B1 /dev/shm 2>/dev/null | tail -1)" -gt $((BYTES + (BYTES >> 2))) ]; then
	SHM=/dev/shm/vyre-ingest-$SIZE
	[ -f "$SHM" ] && [ "$(stat -c %s "$SHM")" = "$BYTES" ] || cp "$F" "$SHM"
fi

say "# Ingest breakdown, $(date -u '+%F %H:%M UTC'), $(uname -n)"
say ""
say "- cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1); $N cpus, $(lscpu | sed -n 's/^NUMA node(s): *//p') NUMA node(s), L3 $(lscpu | sed -n 's/^L3 cache: *//p')"
say "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB, kernel $(uname -r), THP $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
command -v nvidia-smi >/dev/null &&
	say "- gpu: $(nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current --format=csv,noheader)"
say "- file: $F, $SIZE on $(stat -f -c %T "$DIR"), $(fincore -n -o RES "$F" 2>/dev/null | tr -d ' ' | grep . || echo '(fincore: ?)') in the page cache${SHM:+; a copy on tmpfs}"
say "- pump settings: $BS KiB reads, depth $QD, registered${ASYNC:+, IOSQE_ASYNC}; $T s a piece"
say ""
say "| piece | setting | GB/s |"
say "| --- | --- | --- |"

# ur PIECE SETTING [uring_read flags]: on $FILE (default the main file)
ur() {
	local piece=$1 set=$2 v
	shift 2
	echo "== $piece: $set: uring_read $*" >>"$LOG"
	v=$(timeout $TMO "$B/tools/uring_read" -v -t "$T" "$@" "${FILE:-$F}" 2>>"$LOG") || v=$(fail)
	row "$piece" "$set" "$v"
}

mem() { # SETTING [memcpy_bw flags]
	local set=$1 v
	shift
	echo "== dram: $set: memcpy_bw $*" >>"$LOG"
	v=$(timeout $TMO "$B/tools/memcpy_bw" -t "$T" "$@" 2>>"$LOG") || v=$(fail)
	row "1 host memory" "$set" "$v"
}

# 1. host memory
mem "memcpy, 1 thread (bytes copied)" -T 1
mem "memcpy, $N threads (bytes copied; DRAM moves 2x)" -T "$N"
mem "read only, $N threads" -T "$N" -m read
mem "write only (memset), $N threads" -T "$N" -m write

# 2. raw io_uring alone
ur "2 io_uring alone" "pump settings: 4 MiB x 32 = 128 MiB set, registered${ASYNC:+, async}" $PUMP
ur "2 io_uring alone" "not registered (plain READ)" -b $BS -q $QD $ASYNC
ur "2 io_uring alone" "registered, no IOSQE_ASYNC" -b $BS -q $QD -f
# plain READ copies through user page tables (READ_FIXED through the kernel's
# direct map): the BAR path's host-side twin, by set size and page size
ur "2 io_uring alone" "not registered, 1 GiB set" -b $BS -q $QD $ASYNC -S 1024
ur "2 io_uring alone" "not registered, THP" -b $BS -q $QD $ASYNC -H thp
[ -n "$SHM" ] && FILE=$SHM ur "2 io_uring alone" "pump settings, file on tmpfs" $PUMP

# 5. buffer set size: LLC-resident to past the LLC
ur "5 buffer set" "16 x 1 MiB = 16 MiB, depth 16" -b 1024 -q 16 -f $ASYNC
ur "5 buffer set" "4 MiB reads, 16 MiB set (4 buffers shared by 32 reads)" $PUMP -S 16
ur "5 buffer set" "4 MiB reads, 64 MiB set" $PUMP -S 64
ur "5 buffer set" "4 MiB reads, 512 MiB set" $PUMP -S 512
ur "5 buffer set" "4 MiB reads, 2 GiB set" $PUMP -S 2048

# 6. huge pages for the 128 MiB set (registration must take them)
ur "6 huge pages" "THP (madvise MADV_HUGEPAGE)" $PUMP -H thp
ur "6 huge pages" "THP, 2 GiB set" $PUMP -H thp -S 2048
hp=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
echo 80 >/proc/sys/vm/nr_hugepages 2>>"$LOG"
ur "6 huge pages" "MAP_HUGETLB 2 MiB pages ($(cat /proc/sys/vm/nr_hugepages) reserved)" $PUMP -H hugetlb
echo "$hp" >/proc/sys/vm/nr_hugepages 2>>"$LOG"

# 7. io-wq workers and CPUs
for w in 2 4 8 16 32; do
	[ "$w" -le $((2 * N)) ] || continue
	ur "7 io-wq, CPUs" "bounded io-wq workers <= $w" $PUMP -w "$w"
done
if [ "$N" -ge 4 ]; then
	ur "7 io-wq, CPUs" "submitter on cpu 0, io-wq on cpus 1-$((N - 1))" $PUMP -c 0 -A "1-$((N - 1))"
	ur "7 io-wq, CPUs" "all on cpus 0-$((N / 2 - 1))" $PUMP -c 0 -A "0-$((N / 2 - 1))"
	ur "7 io-wq, CPUs" "all on cpus 0-$((N / 4 - 1))" $PUMP -c 0 -A "0-$((N / 4 - 1))"
fi

# 3. contention: the GPU reads a separate 1 GiB of host memory over PCIe
# (bench_ring: relaunch kernel, count, arena imported host memory) while
# io_uring reads at the pump's settings; each tool's rate over the same window.
ring() { # -> the count row's GB/s, from bench_ring's table
	awk -F'|' '/count, arena/ { gsub(/[ GB\/s]/, "", $5); print $5 }' "$1"
}
RING="$B/tools/bench_ring -m relaunch -o count -s 256 -c 4 -t $T"
echo "== contention: $RING alone" >>"$LOG"
timeout $((TMO + 60)) $RING >/tmp/ing-ring0.txt 2>>"$LOG"
g0=$(ring /tmp/ing-ring0.txt)
row "3 contention" "GPU count over 1 GiB of host memory, alone" "${g0:-$(fail)}"
echo "== contention: $RING with uring_read $PUMP" >>"$LOG"
: >/tmp/ing-ring1.err
timeout $((TMO + 60)) $RING >/tmp/ing-ring1.txt 2>/tmp/ing-ring1.err &
rp=$!
for _ in $(seq 1200); do
	grep -q 'count running' /tmp/ing-ring1.err && break
	kill -0 $rp 2>/dev/null || break
	sleep 0.05
done
u1=$(timeout $TMO "$B/tools/uring_read" -v -t "$T" $PUMP "$F" 2>>"$LOG") || u1=$(fail)
wait $rp
cat /tmp/ing-ring1.err >>"$LOG"
g1=$(ring /tmp/ing-ring1.txt)
row "3 contention" "io_uring (pump settings) while the GPU count runs" "$u1"
row "3 contention" "GPU count while io_uring runs" "${g1:-$(fail)}"
row "3 contention" "sum of the two" "$(awk -v a="$u1" -v b="$g1" 'BEGIN { printf "%.3f", a + b }')"

# 4. into a BAR mapping (the persistent kernel's arena)
bar() { # SETTING [bar_read flags]
	local set=$1 v
	shift
	echo "== bar: $set: bar_read $*" >>"$LOG"
	v=$(timeout $((TMO + 60)) "$B/tools/bar_read" -v -t "$T" "$@" 2>>"$LOG") || v=$(fail)
	row "4 BAR" "$set" "$v"
}
bar "io_uring READ, not registered${ASYNC:+, async} (the persistent path), 128 MiB" \
	-b $BS -q $QD $ASYNC "$F"
bar "the same, IOSQE_ASYNC forced" -b $BS -q $QD -a "$F"
bar "the same, 1 GiB mapping" -b $BS -q $QD -a -S 1024 "$F"
bar "registering the mapping (platform fact 4)" -b $BS -q $QD -f "$F"
bar "memcpy from host memory, 1 thread" -m memcpy -T 1
bar "memcpy from host memory, $N threads" -m memcpy -T "$N"

# the whole path, same file, same run
vy() { # SETTING [mount options]
	local set=$1 mnt v t0 t1 id ing km vs=""
	mnt=$(mktemp -d /tmp/ing-mnt.XXXXXX)
	if ! timeout 60 "$B/fs/vyrefs" "$mnt" -o "log=/tmp/ing-vyrefs.log${2:+,$2}" 2>>"$LOG"; then
		row "vyrefs" "$set" "failed: mount (/tmp/ing-vyrefs.log)"
		rmdir "$mnt"
		return
	fi
	ing=$(sed -n 's/^ingest=//p' "$mnt/status") km=$(sed -n 's/^kernel_mode=//p' "$mnt/status")
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		exec 7<>"$mnt/ctl"
		echo "scan path=$F op=count" >&7
		read -r id <&7
		exec 7>&-
		timeout 60 cat "$mnt/jobs/$id/wait" >/tmp/ing-status
		t1=$(date +%s.%N)
		if grep -q '^state=done' /tmp/ing-status; then
			v=$(awk -v n="$BYTES" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) / 1e9 }')
		else
			v="failed ($(grep '^state=' /tmp/ing-status))"
		fi
		vs="${vs:+$vs, }$v"
	done
	umount "$mnt" 2>>"$LOG"
	rmdir "$mnt"
	row "vyrefs count, 3 jobs" "$set: kernel=$km, ingest=$ing" "$vs"
}
vy "mount defaults"
vy "kernel=relaunch" kernel=relaunch

ur "2 io_uring alone" "pump settings again, at the end (drift)" $PUMP
say ""
say "(tools/ingest.sh took $SECONDS s)"
say ""
