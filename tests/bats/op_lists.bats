#!/usr/bin/env bats
# Every op list shown to users names every op of the one op table
# (vyre_ops.h's VYRE_OPS rows, read here from the header's text, not from
# the code built from it): the mount's ops file, vyrectl ops and --help,
# vyrectl(1), vyrefs(1)'s OPS section, README.md's op= row, and the bash
# completion of --op with no mount to ask. A new op that one of them misses
# fails here.

load common

VYRECTL="$VYRE_ROOT/build/tools/vyrectl"

# the op names of the table, one a line, in its order
table_ops() {
	local h
	h=$(find "$VYRE_ROOT" -name vyre_ops.h -not -path "$VYRE_ROOT/build*" | head -1)
	[ -n "$h" ] || return 1
	sed -n 's/^[[:space:]]*VYRE_OP(\([a-z_0-9]*\),.*/\1/p' "$h"
}

# names_all TEXT: every op of the table is a word of TEXT
names_all() {
	local op missing=0
	while read -r op; do
		if ! grep -qw -- "$op" <<<"$1"; then
			echo "op $op is missing from: $1" >&2
			missing=1
		fi
	done <<<"$(table_ops)"
	return "$missing"
}

@test "the table has rows (the reference below is not empty)" {
	run table_ops
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 5 ]
	[[ " ${lines[*]} " == *" grep "* ]]
}

@test "the mount's ops file lists exactly the table's ops, in its order" {
	run cut -d' ' -f1 "$MNT/ops"
	[ "$status" -eq 0 ]
	[ "$output" = "$(table_ops)" ]
}

@test "vyrectl ops lists exactly the table's ops, in its order, without a mount" {
	VYRE_MOUNT=/nonexistent run "$VYRECTL" ops
	[ "$status" -eq 0 ]
	[ "$output" = "$(table_ops)" ]
}

@test "vyrectl --help's --op line names every op" {
	run "$VYRECTL" --help
	[ "$status" -eq 0 ]
	local line
	line=$(grep -- '--op OP  ' <<<"$output")
	[ -n "$line" ]
	names_all "$line"
}

@test "vyrectl(1)'s --op entry names every op" {
	local entry
	entry=$(sed -n '/^\.BI \\-\\-op " op"/,/^\.TP/p' "$VYRE_ROOT/tools/vyrectl.1")
	[ -n "$entry" ]
	names_all "$entry"
}

@test "vyrefs(1)'s OPS section has an entry for every op" {
	local entries
	entries=$(sed -n '/^\.SH OPS/,/^\.SH /{/^\.TP/{n;s/^\.B \([a-z_0-9]*\).*/\1/p}}' \
		"$VYRE_ROOT/fs/vyrefs.1")
	[ -n "$entries" ]
	names_all "$entries"
}

@test "README.md's op= row names every op" {
	local row
	row=$(grep '^| `op` |' "$VYRE_ROOT/README.md")
	[ -n "$row" ]
	names_all "$(tr -d '`' <<<"$row")"
}

@test "--op completes to every op when no mount answers (vyrectl ops)" {
	# shellcheck source=../../tools/completion/vyrectl
	source "$VYRE_ROOT/tools/completion/vyrectl"
	COMP_WORDS=("$VYRECTL" -m /nonexistent scan /etc/services --op "")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vyrectl "$VYRECTL" "" --op
	[ "$(printf '%s\n' "${COMPREPLY[@]}" | sort)" = "$(table_ops | sort)" ]
}
