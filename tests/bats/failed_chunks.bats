#!/usr/bin/env bats
# Chunks whose reads fail are reported, the rest still scanned (README.md "Files"; ARCHITECTURE.md "The data path"):
# eiofs serves a file whose reads fail with EIO at chosen offsets; a scan of
# it through vyrefs ends state=failed, lists exactly the chunks that hold
# those offsets, and its result covers the other chunks only.
load common

EIOFS="${EIOFS:-$VYRE_ROOT/build/tests/eiofs}"
CHUNK=65536
SIZE=$((16 * CHUNK + 4567))           # 17 chunks, the last one partial
# one faulty offset in each of chunks 0, 3, 10 (its last byte), 16 (the last)
EIO_OFFS="5:$((3 * CHUNK + 100)):$((11 * CHUNK - 1)):$((16 * CHUNK + 17))"
EIO_CHUNKS="0 3 10 16"

setup_file() {
	mount_vyrefs fuse_sources=1 # eiofs is a FUSE filesystem
	EMNT="$(mktemp -d /tmp/vyre-eio.XXXXXX)"
	export EMNT
	"$EIOFS" "$EMNT" -o "size=$SIZE,seed=3,eio=$EIO_OFFS"
}

teardown_file() {
	unmount_vyrefs
	if [ -n "${EMNT:-}" ] && mountpoint -q "$EMNT"; then
		umount "$EMNT" || umount -l "$EMNT"
	fi
	rmdir "$EMNT" 2>/dev/null || true
}

# chunk_bytes FILE K: chunk K of FILE (CHUNK bytes, or fewer at the end)
chunk_bytes() {
	dd if="$1" bs=$CHUNK skip="$2" count=1 iflag=fullblock status=none
}

is_eio_chunk() {
	[[ " $EIO_CHUNKS " == *" $1 "* ]]
}

# good_newlines: newlines in every chunk of the file but the faulty ones,
# counted by tr over the fault-free twin
good_newlines() {
	local k n=0
	for ((k = 0; k * CHUNK < SIZE; k++)); do
		is_eio_chunk "$k" && continue
		n=$((n + $(chunk_bytes "$EMNT/clean" "$k" | tr -cd '\n' | wc -c)))
	done
	echo "$n"
}

# expect_failed ID: the job ended failed with exactly the EIO chunks listed
expect_failed() {
	local id=$1 k want=""
	for k in $EIO_CHUNKS; do
		want+="$k EIO $((k * CHUNK))"$'\n'
	done
	got="$(sort -n "$MNT/jobs/$id/failed")"$'\n'
	[ "$got" = "$want" ] || { echo "failed: got <$got> want <$want>" >&2; return 1; }
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = failed ]
	[ "$chunks" -eq 17 ]
	[ "$chunks_failed" -eq 4 ]
	[ "$chunks_done" -eq 13 ]
	[ "$bytes_done" -eq $((SIZE - 3 * CHUNK - 4567)) ]
	[[ "$error" == *"4 of 17 chunks failed"* ]]
}

@test "eiofs fails reads that touch its eio offsets, and no others" {
	mountpoint -q "$EMNT"
	[ "$(stat -c %s "$EMNT/data")" -eq "$SIZE" ]
	run chunk_bytes "$EMNT/data" 3
	[ "$status" -ne 0 ]
	[[ "$output" == *"Input/output error"* ]]
	cmp <(chunk_bytes "$EMNT/data" 4) <(chunk_bytes "$EMNT/clean" 4)
	cmp <(chunk_bytes "$EMNT/data" 11) <(chunk_bytes "$EMNT/clean" 11)
	cmp "$EMNT/clean" "$EMNT/clean"
	[ "$(tr -cd '\n' < "$EMNT/clean" | wc -c)" -gt 1000 ]
}

@test "count over EIO chunks: failed lists them, result counts the other chunks" {
	want=$(good_newlines)
	id=$(submit "scan path=$EMNT/data op=count chunk=64K")
	wait_job "$id"
	expect_failed "$id"
	[ "$(cat "$MNT/jobs/$id/result")" -eq "$want" ]
}

@test "the wait file returns state=failed" {
	id=$(submit "scan path=$EMNT/data op=count chunk=64K")
	run cat "$MNT/jobs/$id/wait"
	[ "$status" -eq 0 ]
	[[ "$output" == *"state=failed"* ]]
	[[ "$output" == *"chunks_failed=4"* ]]
}

@test "histogram over EIO chunks: the bins hold only the other chunks' bytes" {
	want=$(good_newlines)
	id=$(submit "scan path=$EMNT/data op=histogram chunk=64K")
	wait_job "$id"
	expect_failed "$id"
	[ "$(grep -c . "$MNT/jobs/$id/result")" -eq 256 ]
	[ "$(sed -n 's/^0x0a //p' "$MNT/jobs/$id/result")" -eq "$want" ]
	total=$(awk '{ n += $2 } END { print n }' "$MNT/jobs/$id/result")
	[ "$total" -eq $((SIZE - 3 * CHUNK - 4567)) ]
}

@test "direct=1 over EIO chunks reports the same chunks" {
	want=$(good_newlines)
	id=$(submit "scan path=$EMNT/data op=count chunk=64K direct=1")
	wait_job "$id"
	expect_failed "$id"
	[ "$(cat "$MNT/jobs/$id/result")" -eq "$want" ]
}

@test "a range's failed chunks are indexed from its offset, at their file offsets" {
	# chunks 2..9 of the file: job chunk 1 is file chunk 3, the faulty one
	id=$(submit "scan path=$EMNT/data op=count chunk=64K offset=128K length=512K")
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/failed")" = "1 EIO $((3 * CHUNK))" ]
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = failed ]
	[ "$chunks" -eq 8 ]
	[ "$chunks_failed" -eq 1 ]
	want=0
	for k in 2 4 5 6 7 8 9; do
		want=$((want + $(chunk_bytes "$EMNT/clean" "$k" | tr -cd '\n' | wc -c)))
	done
	[ "$(cat "$MNT/jobs/$id/result")" -eq "$want" ]
}

@test "a fault three quarters into a big chunk fails that chunk only" {
	# 256K chunks from 256K: chunk 1 is [512K, 768K), faulty at 704K - 1;
	# FUSE may hand its read over in pieces, the first ones good
	id=$(submit "scan path=$EMNT/data op=count chunk=256K offset=256K length=512K")
	wait_job "$id"
	[ "$(cat "$MNT/jobs/$id/failed")" = "1 EIO 524288" ]
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = failed ]
	[ "$chunks" -eq 2 ]
	[ "$chunks_done" -eq 1 ]
	[ "$bytes_done" -eq 262144 ]
	want=$(dd if="$EMNT/clean" bs=256K skip=1 count=1 iflag=fullblock status=none |
		tr -cd '\n' | wc -c)
	[ "$(cat "$MNT/jobs/$id/result")" -eq "$want" ]
}

@test "a range clear of the faults is done, not failed" {
	want=$(cat <(chunk_bytes "$EMNT/clean" 4) <(chunk_bytes "$EMNT/clean" 5) | tr -cd '\n' | wc -c)
	id=$(submit "scan path=$EMNT/data op=count chunk=64K offset=256K length=128K")
	wait_job "$id"
	eval "$(cat "$MNT/jobs/$id/status")"
	[ "$state" = done ]
	[ "$chunks_failed" -eq 0 ]
	[ -z "$(cat "$MNT/jobs/$id/failed")" ]
	[ "$(cat "$MNT/jobs/$id/result")" -eq "$want" ]
}

@test "failed jobs and chunks show in the global status" {
	eval "$(cat "$MNT/status")"
	jobs0=$jobs_failed chunks0=$chunks_failed
	id=$(submit "scan path=$EMNT/data op=count chunk=64K")
	wait_job "$id"
	eval "$(cat "$MNT/status")"
	[ "$jobs_failed" -eq $((jobs0 + 1)) ]
	[ "$chunks_failed" -eq $((chunks0 + 4)) ]
	[ "$slots_free" -eq "$slots" ]
}

@test "a short read whose rest then fails fails its chunk: the result is never cut short" {
	local smnt id
	smnt="$(mktemp -d /tmp/vyre-eios.XXXXXX)"
	# chunk 2's read stops short at its fault; the re-read of the rest fails
	"$EIOFS" "$smnt" -o "size=$((4 * CHUNK)),seed=3,eio=$((2 * CHUNK + 1000)),short=1"
	id=$(submit "scan path=$smnt/data op=count chunk=64K")
	wait_job "$id"
	eval "$(cat "$MNT/jobs/$id/status")"
	local failed_list=$(cat "$MNT/jobs/$id/failed")
	local want=$(cat <(chunk_bytes "$smnt/clean" 0) <(chunk_bytes "$smnt/clean" 1) \
		<(chunk_bytes "$smnt/clean" 3) | tr -cd '\n' | wc -c)
	local got=$(cat "$MNT/jobs/$id/result")
	umount "$smnt"
	rmdir "$smnt"
	echo "state=$state failed=<$failed_list> result=$got want=$want" >&2
	[ "$state" = failed ]
	[ "$chunks_failed" -eq 1 ]
	[ "$failed_list" = "2 EIO $((2 * CHUNK))" ]
	[ "$got" -eq "$want" ]
	[ "$length" -eq $((4 * CHUNK)) ] # the job's range did not shrink at the fault
}
