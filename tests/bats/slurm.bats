#!/usr/bin/env bats
# vyrectl scan/grep --slurm on a real one-node Slurm cluster (slurmctld,
# slurmd and munge on localhost, all in a temp dir: tests/helpers/
# slurm-cluster.sh): the fanned-out result is byte for byte the one-host
# command's and GNU grep's; a task cancelled mid-run is retried; a node
# without the mount fails its shard naming the node and the mount.
load common

VYRECTL="$VYRE_ROOT/build/tools/vyrectl"
CLUSTER="$VYRE_ROOT/tests/helpers/slurm-cluster.sh"

vyrectl() {
	timeout 60 "$VYRECTL" -m "$MNT" "$@"
}

setup_file() {
	SL="$(mktemp -d /tmp/vyre-slurm.XXXXXX)"
	export SL
	# skipped only where Slurm or munge is not installed (tools/deps.sh installs them)
	run timeout 60 "$CLUSTER" start "$SL/cluster"
	if [ "$status" -eq 77 ]; then
		export SLURM_MISSING="$output"
		return 0
	fi
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	export SLURM_CONF="$SL/cluster/slurm.conf"
	# the run directories go here: on a cluster, a shared filesystem
	export VYRECTL_SLURM_DIR="$SL"
	# 512K shards: the 2.3 MB file is 5 line-aligned ranges, the tree 4 shards
	export VYRECTL_SLURM_SHARD=512K
	mount_vyrefs
	mkdir -p "$SL/data/tree/a/b" "$SL/data/tree/c"
	# random line lengths, a 600 KB line with no '\n' past a nominal cut
	# (two ranges merge), ERROR in it, and a last line without '\n'
	python3 - "$SL/data/big.txt" <<'EOF'
import random, sys
random.seed(28)
with open(sys.argv[1], "w") as f:
    for i in range(16000):
        if i == 3000:
            f.write("ERROR long " + "y" * 600000 + "\n")
        f.write(("ERROR " if random.random() < 0.1 else "info ") + "x" * random.randint(0, 150) + "\n")
    f.write("ERROR no newline")
EOF
	cp "$SL/data/big.txt" "$SL/data/tree/a/b/big"
	head -c 300000 "$SL/data/big.txt" > "$SL/data/tree/c/mid"
	for i in $(seq 12); do head -n "$i" "$SL/data/big.txt" > "$SL/data/tree/a/s$i"; done
	: > "$SL/data/tree/empty"
}

teardown_file() {
	[ -n "${SLURM_MISSING:-}" ] || "$CLUSTER" stop "$SL/cluster"
	unmount_vyrefs
	rm -rf "${SL:?}"
}

setup() {
	[ -z "${SLURM_MISSING:-}" ] || skip "$SLURM_MISSING"
}

@test "scan DIR --slurm prints what scan --wait and grep -r -c -a print" {
	local t=$SL/data/tree
	run vyrectl scan "$t" --op grep --pattern ERROR --slurm
	[ "$status" -eq 0 ]
	[ "$output" = "$(vyrectl scan "$t" --op grep --pattern ERROR --wait)" ]
	[ "$output" = "$(LC_ALL=C grep -r -c -a ERROR "$t" | LC_ALL=C sort -t: -k1,1)" ]
	[ "$(echo "$output" | wc -l)" -eq 15 ]
	# counts add over a big file's ranges cut anywhere, and match wc -l
	run vyrectl scan "$t" --op count --slurm
	[ "$status" -eq 0 ]
	[ "$output" = "$(vyrectl scan "$t" --op count --wait)" ]
	[ "$(echo "$output" | grep '/a/b/big:')" = "$t/a/b/big:$(wc -l < "$t/a/b/big")" ]
}

@test "scan FILE --op histogram --slurm adds the bins of its ranges" {
	local f=$SL/data/big.txt
	run vyrectl scan "$f" --op histogram --slurm
	[ "$status" -eq 0 ]
	[ "$output" = "$(vyrectl scan "$f" --op histogram --wait)" ]
	[ "$output" = "$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read()
for b in range(256): print("0x%02x %d" % (b, d.count(bytes([b]))))' "$f")" ]
}

@test "grep -n -b --slurm over a big file's ranges is grep -n -b -a, line for line" {
	local f=$SL/data/big.txt
	run vyrectl grep -n -b ERROR "$f" --slurm
	[ "$status" -eq 0 ]
	diff <(echo "$output") <(LC_ALL=C grep -n -b -a ERROR "$f")
	diff <(echo "$output") <(vyrectl grep -n -b ERROR "$f")
	[ "$(echo "$output" | wc -l)" -gt 1500 ]
	# context across range edges, and -c
	diff <(vyrectl grep -n -C1 -E '^ERROR x{140,}' "$f" --slurm) \
		<(LC_ALL=C grep -n -C1 -a -E '^ERROR x{140,}' "$f")
	[ "$(vyrectl grep -c ERROR "$f" --slurm)" = "$(LC_ALL=C grep -c -a ERROR "$f")" ]
}

@test "an array task cancelled mid-run is retried once and the result is still exact" {
	local f=$SL/data/big.txt id= gone=
	# every task waits while the hold file exists: the cancelled try
	# cannot finish first, however late the cancel lands
	: >"$SL/hold"
	VYRECTL_SLURM_TASK_HOLD=$SL/hold timeout 90 "$VYRECTL" -m "$MNT" grep -n -b ERROR "$f" \
		--slurm >"$SL/out" 2>"$SL/err" &
	local pid=$!
	# task 1 running (held before its job): cancel it alone
	for _ in $(seq 300); do
		id=$(squeue -h -r -o '%i %T' | awk '$1 ~ /_1$/ && $2 == "RUNNING" {print $1}')
		[ -z "$id" ] || break
		sleep 0.1
	done
	[ -n "$id" ]
	scancel "$id"
	# its processes gone (not RUNNING, not COMPLETING), the others go on
	for _ in $(seq 300); do
		gone=$(squeue -h -r -o '%i' | awk -v id="$id" '$1 == id' | wc -l)
		[ "$gone" -ne 0 ] || break
		sleep 0.1
	done
	[ "$gone" -eq 0 ]
	rm "$SL/hold"
	wait "$pid"
	cat "$SL/err" >&2
	grep -q "shard(s) 1 left no result; trying them once more" "$SL/err"
	diff "$SL/out" <(LC_ALL=C grep -n -b -a ERROR "$f")
}

@test "a node without the mount fails its shard, naming the node and the mount" {
	local f=$SL/data/big.txt
	run timeout 60 "$VYRECTL" -m "$SL/no-mount" grep -c ERROR "$f" --slurm
	[ "$status" -eq 2 ]
	[ -z "$(echo "$output" | grep -v '^vyrectl')" ] # no count that could be short
	[[ "$output" == *"node $(hostname -s): $SL/no-mount: no vyrefs mount there"* ]]
	run timeout 60 "$VYRECTL" -m "$SL/no-mount" scan "$f" --op count --slurm
	[ "$status" -eq 1 ]
	[ -z "$(echo "$output" | grep -v '^vyrectl')" ] # no total short of a shard
	[[ "$output" == *"node $(hostname -s): $SL/no-mount: no vyrefs mount there"* ]]
}

@test "grep -r --slurm over a tree prints what grep -r prints, in its order" {
	[ -d /usr/share/common-licenses ] || skip "no /usr/share/common-licenses"
	local t=$SL/data/rtree o
	# 24 small files in nested directories, names with a glob character
	# and a blank, a NUL, an empty file, no last '\n'; two files bigger
	# than a shard (cut into ranges); a real tree with its symlinks
	mkdir -p "$t/x/y" "$t/z"
	for i in $(seq 24); do
		case $((i % 3)) in
		0) o=$t/x/y/s$i ;;
		1) o=$t/f$i ;;
		*) o=$t/z/g$i ;;
		esac
		head -n "$((i * 7))" "$SL/data/big.txt" > "$o"
	done
	printf 'ERROR a\0b\nfree ERROR' > "$t/z/we[ir]d name"
	: > "$t/z/empty"
	cp "$SL/data/big.txt" "$t/x/big"
	head -c 700000 "$SL/data/big.txt" > "$t/z/mid"
	cp -r /usr/share/common-licenses "$t/lic"
	for args in "-c ERROR" "-n -i free" "-l -E (ERROR|warranty)" "free"; do
		# shellcheck disable=SC2086 # the options split
		VYRECTL_SLURM_SHARD=128K run vyrectl grep -r -a $args "$t" --slurm
		[ "$status" -eq 0 ] || { echo "$args: $output" >&2; false; }
		o=$output
		diff <(echo "$o") <(vyrectl grep -r -a $args "$t")
		diff <(echo "$o") <(LC_ALL=C grep -r -a $args "$t")
	done
	# 128K shards: the two big files in ranges, the 40 others packed into several shards
	[ "$(VYRECTL_SLURM_SHARD=128K VYRECTL_SLURM_VERBOSE=1 vyrectl grep -r -a -c ERROR "$t" \
		--slurm 2>"$SL/err" | wc -l)" -eq 42 ]
	[[ "$(cat "$SL/err")" =~ ([0-9]+)\ shard ]]
	[ "${BASH_REMATCH[1]}" -ge 12 ]
	# -r without FILE: ".", named without "./"
	diff <(cd "$t" && vyrectl grep -r -a -c ERROR --slurm) <(cd "$t" && LC_ALL=C grep -r -a -c ERROR)
	[ "$(vyrectl grep -r -a -n ERROR "$t/x" --slurm | wc -l)" -gt 1500 ]
	run vyrectl grep -R -c ERROR "$t" --slurm
	[ "$status" -eq 2 ]
	[[ "$output" == *"--slurm with -r takes no -R"* ]]
}
