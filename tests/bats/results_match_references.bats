#!/usr/bin/env bats
# Every opcode's result equals an independent reference (README.md "Job descriptors"): count
# against tr | wc, match against a Python find loop advancing by 1
# (overlapping), histogram against od and Python, nop against the chunk
# arithmetic; on real files nobody here wrote and on generated edge files
# (empty, one byte, one chunk, one chunk + 1, patterns straddling edges);
# with offset= and length= ranges and K/M/G suffixes.
load common

LIC=/usr/share/common-licenses
GPL=$LIC/GPL-3
SERVICES=/etc/services
LLVM=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1

setup_file() {
	mount_vyrefs
	# the interpreter itself, not a version manager's shim: it runs often
	PY=$(python3 -c 'import sys; print(sys.executable)')
	export PY
	EDGE="$BATS_FILE_TMPDIR/edge"
	export EDGE
	mkdir -p "$EDGE"
	: > "$EDGE/empty"
	printf '\n' > "$EDGE/one_byte"
	# 4096 bytes, newlines at 0, 1000 and the last byte (4095)
	"$PY" - "$EDGE" <<-'EOF'
	import os, random, sys
	d = sys.argv[1]
	b = bytearray(b"x" * 4096)
	for i in (0, 1000, 4095):
	    b[i] = 10
	open(os.path.join(d, "one_chunk"), "wb").write(b)
	# one chunk + 1: the extra byte is a newline, alone in chunk 1
	open(os.path.join(d, "one_chunk_plus_1"), "wb").write(b + b"\n")
	# 10 chunks of 4K: STRADDLE placed across edge k at 4096k - s for
	# s = 1..7 (straddling), and once ending at an edge (s = 8) and once
	# starting at one (s = 0)
	b = bytearray(b"." * 10 * 4096)
	for k, s in zip(range(1, 10), (1, 2, 3, 4, 5, 6, 7, 8, 0)):
	    p = 4096 * k - s
	    b[p:p + 8] = b"STRADDLE"
	open(os.path.join(d, "straddle"), "wb").write(b)
	# a run of 10 'a' across the edge at 8192: "aaaa" overlaps 7 times there
	b = bytearray(b"b" * 3 * 4096)
	b[8192 - 5:8192 + 5] = b"a" * 10
	open(os.path.join(d, "run"), "wb").write(b)
	# a 256-byte pattern (the most a pattern may hold) across the edge at
	# 4096, starting 100 bytes before it, and once more wholly in chunk 2
	random.seed(7)
	pat = bytes(random.randrange(256) for _ in range(256))
	open(os.path.join(d, "pat256"), "wb").write(pat)
	b = bytearray(b"\x00" * 3 * 4096)
	b[4096 - 100:4096 + 156] = pat
	b[9000:9256] = pat
	open(os.path.join(d, "long_straddle"), "wb").write(b)
	# random bytes for the histogram, not a multiple of 4K
	open(os.path.join(d, "random"), "wb").write(random.randbytes(100003))
	EOF
}

# ref_match FILE HEXPATTERN [OFFSET [LENGTH]]: overlapping occurrences, a
# Python find loop advancing by 1 over the range
ref_match() {
	"$PY" - "$@" <<-'EOF'
	import sys
	data = open(sys.argv[1], "rb").read()
	pat = bytes.fromhex(sys.argv[2])
	off = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	end = off + int(sys.argv[4]) if len(sys.argv) > 4 else len(data)
	data = data[off:end]
	n, i = 0, data.find(pat)
	while i >= 0:
	    n, i = n + 1, data.find(pat, i + 1)
	print(n)
	EOF
}

# ref_hist FILE: 256 lines "0xHH N" from od
ref_hist() {
	od -An -v -tu1 -w1 "$1" | awk '{ n[$1]++ } END { for (i = 0; i < 256; i++) printf "0x%02x %d\n", i, n[i] }'
}

# ref_count_py FILE BYTE [OFFSET [LENGTH]]: occurrences of a byte, by Python
ref_count_py() {
	"$PY" - "$@" <<-'EOF'
	import sys
	data = open(sys.argv[1], "rb").read()
	off = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	end = off + int(sys.argv[4]) if len(sys.argv) > 4 else len(data)
	print(data[off:end].count(int(sys.argv[2], 0)))
	EOF
}

# expect EXPECTED GOT WHAT: equal, or say which job was wrong
expect() {
	[ "$1" = "$2" ] || { echo "$3: want <$1> got <$2>" >&2; return 1; }
}

@test "count of newlines on every common-licenses file (4K chunks) equals tr | wc -c" {
	local f n=0
	for f in "$LIC"/*; do
		[ -f "$f" ] || continue
		expect "$(tr -cd '\n' < "$f" | wc -c)" \
			"$(result_of "scan path=$f op=count chunk=4K")" "$f"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}

@test "count byte= on /etc/services, hex and decimal, equals tr and Python" {
	expect "$(tr -cd ' ' < "$SERVICES" | wc -c)" \
		"$(result_of "scan path=$SERVICES op=count byte=0x20")" "byte=0x20"
	expect "$(tr -cd '\t' < "$SERVICES" | wc -c)" \
		"$(result_of "scan path=$SERVICES op=count byte=9 chunk=4K")" "byte=9"
	expect "$(ref_count_py "$SERVICES" 101)" \
		"$(result_of "scan path=$SERVICES op=count byte=101")" "byte=101"
	expect "$(ref_count_py "$EDGE/random" 0xff)" \
		"$(result_of "scan path=$EDGE/random op=count byte=0xff chunk=4K")" "random byte=0xff"
}

@test "match on real text equals a Python find loop, overlapping" {
	# tab runs in /etc/services and blank-line runs in GPL-3 overlap themselves
	expect "$(ref_match "$SERVICES" 0909)" \
		"$(result_of "scan path=$SERVICES op=match pattern=\"\\t\\t\" chunk=4K")" '\t\t'
	expect "$(ref_match "$SERVICES" "$(printf tcp | xxd -p)")" \
		"$(result_of "scan path=$SERVICES op=match pattern=tcp")" tcp
	expect "$(ref_match "$GPL" 0a0a)" \
		"$(result_of "scan path=$GPL op=match pattern=\"\\n\\n\" chunk=4K")" '\n\n'
	expect "$(ref_match "$GPL" "$(printf 'the Program' | xxd -p)")" \
		"$(result_of "scan path=$GPL op=match pattern=\"the Program\" chunk=4K")" "the Program"
	expect "$(ref_match "$GPL" "$(printf '"' | xxd -p)")" \
		"$(result_of "scan path=$GPL op=match pattern=\"\\\"\"")" 'a quote'
}

@test "match on libLLVM-15 in 1M chunks equals a Python find loop" {
	local jid=$(submit "scan path=$LLVM op=match pattern=\"llvm\" chunk=1M")
	local want=$(ref_match "$LLVM" "$(printf llvm | xxd -p)")
	wait_job "$jid"
	expect "$want" "$(cat "$MNT/jobs/$jid/result")" "libLLVM match llvm"
	[ "$want" -gt 1000 ]
	eval "$(cat "$MNT/jobs/$jid/status")"
	[ "$state" = done ]
	[ "$chunks" -eq $((($(stat -c %s "$LLVM") + 1048575) / 1048576)) ]
}

@test "nop on libLLVM-15 in 1M chunks returns the number of chunks" {
	local size=$(stat -c %s "$LLVM")
	expect $(((size + 1048575) / 1048576)) "$(result_of "scan path=$LLVM op=nop chunk=1M")" nop
}

@test "histogram equals od byte counts, on real text and random bytes" {
	local f jid
	for f in "$GPL" "$SERVICES" "$EDGE/random"; do
		jid=$(submit "scan path=$f op=histogram chunk=4K")
		wait_job "$jid"
		diff <(ref_hist "$f") "$MNT/jobs/$jid/result"
	done
	# and at the mount's default chunk
	diff <(ref_hist "$SERVICES") <(result_of "scan path=$SERVICES op=histogram")
}

@test "empty file: every op gives zero and the job is done" {
	expect 0 "$(result_of "scan path=$EDGE/empty op=count")" count
	expect 0 "$(result_of "scan path=$EDGE/empty op=nop")" nop
	expect 0 "$(result_of "scan path=$EDGE/empty op=match pattern=x")" match
	diff <(ref_hist "$EDGE/empty") <(result_of "scan path=$EDGE/empty op=histogram")
	eval "$(cat "$MNT/jobs/latest/status")"
	[ "$state" = done ]
	[ "$bytes_done" = 0 ]
}

@test "one-byte file: counted once, one chunk, one histogram bin" {
	expect 1 "$(result_of "scan path=$EDGE/one_byte op=count")" count
	expect 1 "$(result_of "scan path=$EDGE/one_byte op=nop chunk=4K")" nop
	expect 1 "$(result_of "scan path=$EDGE/one_byte op=match pattern=\"\\n\"")" match
	diff <(ref_hist "$EDGE/one_byte") <(result_of "scan path=$EDGE/one_byte op=histogram")
}

@test "exactly one chunk: one chunk, its first and last bytes counted" {
	expect 1 "$(result_of "scan path=$EDGE/one_chunk op=nop chunk=4K")" nop
	expect 3 "$(result_of "scan path=$EDGE/one_chunk op=count chunk=4K")" count
	diff <(ref_hist "$EDGE/one_chunk") <(result_of "scan path=$EDGE/one_chunk op=histogram chunk=4K")
}

@test "one chunk + 1: two chunks, the lone byte of the second counted" {
	expect 2 "$(result_of "scan path=$EDGE/one_chunk_plus_1 op=nop chunk=4K")" nop
	expect "$(tr -cd '\n' < "$EDGE/one_chunk_plus_1" | wc -c)" \
		"$(result_of "scan path=$EDGE/one_chunk_plus_1 op=count chunk=4K")" count
	diff <(ref_hist "$EDGE/one_chunk_plus_1") \
		<(result_of "scan path=$EDGE/one_chunk_plus_1 op=histogram chunk=4K")
}

@test "match straddling chunk edges is counted once, at every split" {
	local want=$(ref_match "$EDGE/straddle" "$(printf STRADDLE | xxd -p)")
	[ "$want" = 9 ]
	for c in 4K 8K 64K; do
		expect "$want" "$(result_of "scan path=$EDGE/straddle op=match pattern=STRADDLE chunk=$c")" \
			"chunk=$c"
	done
}

@test "an overlapping run across a chunk edge counts every overlap once" {
	local want=$(ref_match "$EDGE/run" 61616161)
	[ "$want" = 7 ]
	expect "$want" "$(result_of "scan path=$EDGE/run op=match pattern=aaaa chunk=4K")" aaaa
}

@test "a 256-byte binary pattern across a chunk edge is found" {
	local hex=$(xxd -p "$EDGE/pat256" | tr -d '\n')
	local esc=$(sed 's/../\\x&/g' <<< "$hex")
	local want=$(ref_match "$EDGE/long_straddle" "$hex")
	[ "$want" = 2 ]
	expect "$want" "$(result_of "scan path=$EDGE/long_straddle op=match pattern=\"$esc\" chunk=4K")" \
		"256-byte pattern"
}

@test "offset= and length= scan exactly that range" {
	expect "$(ref_count_py "$GPL" 10 1000 5000)" \
		"$(result_of "scan path=$GPL op=count offset=1000 length=5000 chunk=4K")" "count range"
	expect "$(ref_match "$GPL" "$(printf the | xxd -p)" 777 20000)" \
		"$(result_of "scan path=$GPL op=match pattern=the offset=777 length=20000 chunk=4K")" \
		"match range"
	local jid=$(submit "scan path=$GPL op=histogram offset=3 length=10000 chunk=4K")
	wait_job "$jid"
	diff <(tail -c +4 "$GPL" | head -c 10000 | od -An -v -tu1 -w1 |
		awk '{ n[$1]++ } END { for (i = 0; i < 256; i++) printf "0x%02x %d\n", i, n[i] }') \
		"$MNT/jobs/$jid/result"
}

@test "a match cut by the end of the range is not counted" {
	# the first STRADDLE (edge 1, s = 1) is at 4095..4102
	expect 0 "$(result_of "scan path=$EDGE/straddle op=match pattern=STRADDLE offset=4093 length=9")" cut
	expect 1 "$(result_of "scan path=$EDGE/straddle op=match pattern=STRADDLE offset=4093 length=10")" whole
	expect 0 "$(result_of "scan path=$EDGE/straddle op=match pattern=STRADDLE offset=4096 length=100")" \
		"starts before the range"
}

@test "length past EOF scans to EOF" {
	local size=$(stat -c %s "$GPL")
	local jid=$(submit "scan path=$GPL op=count offset=30000 length=1G")
	wait_job "$jid"
	expect "$(tail -c +30001 "$GPL" | tr -cd '\n' | wc -c)" "$(cat "$MNT/jobs/$jid/result")" count
	eval "$(cat "$MNT/jobs/$jid/status")"
	[ "$state" = done ]
	[ "$bytes_done" = $((size - 30000)) ]
}

@test "K and M suffixes mean 1024 and 1048576" {
	expect "$(result_of "scan path=$GPL op=count offset=4096 length=8192")" \
		"$(result_of "scan path=$GPL op=count offset=4K length=8K")" "4K vs 4096"
	expect "$(ref_count_py "$GPL" 10 4096 8192)" \
		"$(result_of "scan path=$GPL op=count offset=4K length=8K")" "offset=4K length=8K"
	expect "$(dd if="$LLVM" bs=1M skip=100 count=2 status=none | tr -cd '\n' | wc -c)" \
		"$(result_of "scan path=$LLVM op=count offset=100M length=2M chunk=64K")" "offset=100M length=2M"
	local jid=$(submit "scan path=$LLVM op=nop offset=100M length=2M chunk=64K")
	wait_job "$jid"
	[ "$(cat "$MNT/jobs/$jid/result")" = 32 ]
	grep -qx 'length=2097152' "$MNT/jobs/$jid/status"
	grep -qx 'offset=104857600' "$MNT/jobs/$jid/status"
}
