#!/usr/bin/env bats
# Many shells submitting at once (README.md "Files": each open ctl answers its own
# writes): 8 shells x 10 jobs get 80 distinct ids, each id answers the
# descriptor its own shell wrote, and every result is right.
load common

SHELLS=8
PER_SHELL=10

setup_file() {
	mount_vyrefs
	DATA="$BATS_FILE_TMPDIR/data"
	export DATA
	mkdir -p "$DATA"
	# one file per shell, each with a different number of newlines, and
	# a few real files
	python3 - "$DATA" "$SHELLS" <<-'EOF'
	import os, random, sys
	random.seed(11)
	for s in range(int(sys.argv[2])):
	    n = 1000 + 997 * s
	    b = bytearray(random.choice(b"abcdefgh ") for _ in range(20000 + 3001 * s))
	    for i in random.sample(range(len(b)), n):
	        b[i] = 10
	    open(os.path.join(sys.argv[1], f"f{s}"), "wb").write(b)
	open(os.path.join(sys.argv[1], "random"), "wb").write(random.randbytes(8 << 20))
	EOF
}

teardown() {
	local p
	for p in ${PIDS:-}; do kill "$p" 2>/dev/null || true; done
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "--- daemon log" >&2
		tail -n 50 "$LOG" >&2
	fi
}

# shell_submits S OUT: shell S submits PER_SHELL jobs, one "id path op byte" line each
shell_submits() {
	local s=$1 out=$2 k id f op desc
	for ((k = 0; k < PER_SHELL; k++)); do
		case $((k % 3)) in
		0) f="$DATA/f$s" op="count byte=0x0a" ;;
		1) f=/etc/services op="count byte=0x20" ;;
		2) f=/usr/share/common-licenses/GPL-3 op="count byte=0x65" ;;
		esac
		desc="scan path=$f op=$op chunk=4K tenant=shell$s"
		exec 7<>"$MNT/ctl" || return 1
		echo "$desc" >&7 || return 1
		read -r -t 30 id <&7 || return 1
		exec 7>&-
		echo "$id $f ${op#count byte=} $s" >> "$out"
	done
}

@test "8 shells submitting 10 jobs each at once: 80 distinct ids, every result right" {
	local s out="$BATS_TEST_TMPDIR/ids" rcs=0 id f byte sh want got
	PIDS=""
	for ((s = 0; s < SHELLS; s++)); do
		(shell_submits "$s" "$out.$s") 3>&- &
		PIDS+=" $!"
	done
	for p in $PIDS; do wait "$p" || rcs=$((rcs + 1)); done
	PIDS=""
	[ "$rcs" -eq 0 ]
	cat "$out".* > "$out"
	[ "$(wc -l < "$out")" -eq $((SHELLS * PER_SHELL)) ]
	# every line's id is a number, and no two shells got the same one
	run ! grep -vE '^[0-9]+ ' "$out"
	[ "$(cut -d' ' -f1 "$out" | sort -u | wc -l)" -eq $((SHELLS * PER_SHELL)) ]
	# each id is the job its shell described, with the right result; the
	# references are counted once per file and byte
	declare -A ref
	while read -r id f byte sh; do
		[ -n "${ref[$f $byte]:-}" ] ||
			ref[$f $byte]=$(tr -cd "\\$(printf '%03o' "$byte")" < "$f" | wc -c)
		st=$(cat "$MNT/jobs/$id/wait")
		[[ "$st" == *$'\n'"path=$f"$'\n'* && "$st" == *$'\n'"tenant=shell$sh"$'\n'* ]] ||
			{ echo "job $id is not shell $sh's $f: $st" >&2; return 1; }
		[[ "$st" == *$'\n'"state=done"$'\n'* ]] || { echo "job $id: $st" >&2; return 1; }
		got=$(cat "$MNT/jobs/$id/result")
		[ "$got" = "${ref[$f $byte]}" ] ||
			{ echo "job $id ($f byte=$byte): want ${ref[$f $byte]} got $got" >&2; return 1; }
	done < "$out"
}

@test "shells holding ctl open at once each read back only their own ids" {
	# 8 shells each write 5 descriptors, one line per write, on one open
	# ctl each; after every write a shell must read back exactly one id
	local out="$BATS_TEST_TMPDIR/own" s
	PIDS=""
	for ((s = 0; s < SHELLS; s++)); do
		(
			exec 7<>"$MNT/ctl"
			for k in 1 2 3 4 5; do
				echo "scan path=$DATA/f$s op=nop chunk=4K tenant=own$s" >&7
				read -r -t 30 id <&7
				echo "$id $s"
			done > "$out.$s"
			exec 7>&-
		) 3>&- &
		PIDS+=" $!"
	done
	for p in $PIDS; do wait "$p"; done
	PIDS=""
	cat "$out".* > "$out"
	[ "$(wc -l < "$out")" -eq $((SHELLS * 5)) ]
	[ "$(cut -d' ' -f1 "$out" | sort -u | wc -l)" -eq $((SHELLS * 5)) ]
	while read -r id s; do
		st=$(cat "$MNT/jobs/$id/status")
		[[ "$st" == *$'\n'"tenant=own$s"$'\n'* ]] ||
			{ echo "job $id read back by shell $s is not its own: $st" >&2; return 1; }
	done < "$out"
}

@test "the global counters add up after the concurrent jobs" {
	local s id
	for ((s = 0; s < SHELLS; s++)); do
		ids+=("$(submit "scan path=$DATA/f$s op=count chunk=4K")")
	done
	for id in "${ids[@]}"; do wait_job "$id"; done
	eval "$(cat "$MNT/status")"
	[ "$jobs_active" = 0 ]
	[ "$slots_free" = "$slots" ]
	# every job this mount ran is done, none failed
	[ "$jobs_failed" = 0 ]
	[ "$jobs_done" -eq "$(ls "$MNT/jobs" | grep -cE '^[0-9]+$')" ]
}

@test "concurrent scans all end: 3 at once of 2048 chunks each, 6 rounds" {
	# 8 MiB of random bytes at 4K chunks: about a second a round here; a
	# job that has not ended after 20 s is stuck, not slow
	local r i id st op
	local size=$(stat -c %s "$DATA/random") nl=$(tr -cd '\n' < "$DATA/random" | wc -c)
	for r in 1 2 3 4 5 6; do
		op=$([ $((r % 2)) = 1 ] && echo histogram || echo count)
		local ids=()
		for i in 1 2 3; do
			ids+=("$(submit "scan path=$DATA/random op=$op chunk=4K")")
		done
		for id in "${ids[@]}"; do
			st=$(timeout 20 cat "$MNT/jobs/$id/wait") || {
				echo "round $r: job $id ($op) did not end in 20 s:" \
					$(grep -E '^(state|chunks|chunks_done)=' "$MNT/jobs/$id/status") \
					$(grep -E '^(slots_(free|published|claimed)|launches)=' "$MNT/status") >&2
				return 1
			}
			[[ "$st" == *$'\n'state=done$'\n'* ]] || { echo "job $id: $st" >&2; return 1; }
			if [ "$op" = histogram ]; then
				[ "$(awk '{ n += $2 } END { print n }' "$MNT/jobs/$id/result")" = "$size" ]
				[ "$(sed -n 's/^0x0a //p' "$MNT/jobs/$id/result")" = "$nl" ]
			else
				[ "$(cat "$MNT/jobs/$id/result")" = "$nl" ]
			fi
		done
	done
}
