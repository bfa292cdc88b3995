#!/usr/bin/env bats
# bash completion for vyrectl (tools/completion/vyrectl), driven as bash
# drives it: COMP_WORDS and COMP_CWORD set, _vyrectl called, COMPREPLY
# checked, against a real mount (common.bash's setup_file) and against
# independent references: the mount's ops file and jobs/ folder as ls
# sees them, vyrectl --help, and compgen's own file listing.

load common

# refute CMD...: fails when CMD succeeds ("! CMD" would not fail a test:
# bash's set -e ignores a negated command)
refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

VYRECTL="$VYRE_ROOT/build/tools/vyrectl"

# allow_other: one test completes as nobody
setup_file() {
	mount_vyrefs allow_other
}

setup() {
	# shellcheck source=../../tools/completion/vyrectl
	source "$VYRE_ROOT/tools/completion/vyrectl"
}

# complete WORD...: the words of the line, the cursor in the last one;
# sets REPLY_SORTED to COMPREPLY, sorted, one a line
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vyrectl "$VYRECTL" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	REPLY_SORTED=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

sorted() {
	printf '%s\n' "$@" | sort
}

@test "completion is registered for vyrectl" {
	run complete -p vyrectl
	[ "$status" -eq 0 ]
	[[ $output == *"-F _vyrectl"* ]]
}

@test "the first word completes to the commands vyrectl --help lists" {
	local want
	want=$("$VYRECTL" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\).*/\1/p' | sort)
	[ -n "$want" ]
	[[ $want == *scan* && $want == *cancel* ]]
	complete_line "$VYRECTL" ""
	[ "$REPLY_SORTED" = "$want" ]
	complete_line "$VYRECTL" "s"
	[ "$REPLY_SORTED" = "$(grep '^s' <<<"$want")" ]
}

@test "global options complete before the command" {
	complete_line "$VYRECTL" "--"
	[ "$REPLY_SORTED" = "$(sorted --help --mount --version)" ]
}

@test "scan's options complete; each is one vyrectl scan accepts" {
	local o
	complete_line "$VYRECTL" scan /etc/services "--"
	[ "$REPLY_SORTED" = "$(sorted --op --byte --pattern --offset --length --chunk --tenant --direct \
		--wait --slurm --mount --help)" ]
	# an option vyrectl does not know fails with usage (2); a known one does not
	for o in "${COMPREPLY[@]}"; do
		case "$o" in
		--help | --wait | --direct) continue ;;
		--slurm) # it would submit to Slurm: its parse is checked by --help's listing
			"$VYRECTL" scan --help 2>&1 | grep -q -- --slurm
			continue ;;
		esac
		run "$VYRECTL" -m "$MNT" scan /etc/services "$o" 1 --op nop
		[ "$status" -ne 2 ] || [[ $output != *"unrecognized option"* ]] || {
			echo "$o: $output" >&2
			false
		}
	done
	complete_line "$VYRECTL" scan --w
	[ "$REPLY_SORTED" = --wait ]
}

@test "--op completes to the op names in the mount's ops file" {
	local want
	want=$(cut -d' ' -f1 "$MNT/ops" | sort)
	[ -n "$want" ]
	complete_line "$VYRECTL" -m "$MNT" scan /etc/services --op ""
	[ "$REPLY_SORTED" = "$want" ]
	complete_line "$VYRECTL" -m "$MNT" scan --op "h"
	[ "$REPLY_SORTED" = "$(grep '^h' <<<"$want")" ]
	# --op=VALUE, which bash splits at "=", and --mount=MOUNT too
	complete_line "$VYRECTL" --mount = "$MNT" scan --op = "c"
	[ "$REPLY_SORTED" = "$(grep '^c' <<<"$want")" ]
}

@test "the mount comes from VYRE_MOUNT when -m is not given" {
	local want
	want=$(cut -d' ' -f1 "$MNT/ops" | sort)
	VYRE_MOUNT="$MNT" complete_line "$VYRECTL" scan --op ""
	[ "$REPLY_SORTED" = "$want" ]
}

@test "status, wait and cancel complete the job ids ls shows in the mount's jobs/" {
	local a b want
	a=$(submit "scan path=/etc/services op=count")
	b=$(submit "scan path=/etc/passwd op=count")
	wait_job "$a"
	wait_job "$b"
	want=$(ls -1 "$MNT/jobs" | sort)
	[[ $want == *latest* ]]
	grep -qx "$a" <<<"$want"
	grep -qx "$b" <<<"$want"
	for cmd in status wait cancel; do
		complete_line "$VYRECTL" -m "$MNT" "$cmd" ""
		[ "$REPLY_SORTED" = "$want" ]
	done
	complete_line "$VYRECTL" -m "$MNT" wait "$a"
	grep -qx "$a" <<<"$REPLY_SORTED"
	refute grep -qvx "$a[0-9]*" <<<"$REPLY_SORTED"
	# one id per command: nothing after it
	complete_line "$VYRECTL" -m "$MNT" cancel "$a" ""
	[ -z "$REPLY_SORTED" ]
	# a completed id is one vyrectl takes
	run "$VYRECTL" -m "$MNT" status "$a"
	[ "$status" -eq 0 ]
	grep -qx "id=$a" <<<"$output"
}

@test "another user's job ids are not offered to that user" {
	local id
	id=$(submit "scan path=/etc/services op=count")
	wait_job "$id"
	run runuser -u nobody -- bash -c "source '$VYRE_ROOT/tools/completion/vyrectl'
		COMP_WORDS=(vyrectl -m '$MNT' status ''); COMP_CWORD=4; _vyrectl; printf '%s\n' \"\${COMPREPLY[@]}\""
	[ "$status" -eq 0 ]
	refute grep -qx "$id" <<<"$output"
	[ "$output" = "$(runuser -u nobody -- ls -1 "$MNT/jobs")" ]
}

@test "cache completes drop, then nothing; its options are the common ones vyrectl takes" {
	local o
	complete_line "$VYRECTL" -m "$MNT" cache ""
	[ "$REPLY_SORTED" = drop ]
	complete_line "$VYRECTL" cache d
	[ "$REPLY_SORTED" = drop ]
	complete_line "$VYRECTL" cache x
	[ -z "$REPLY_SORTED" ]
	complete_line "$VYRECTL" cache drop ""
	[ -z "$REPLY_SORTED" ]
	complete_line "$VYRECTL" cache --
	[ "$REPLY_SORTED" = "$(sorted --mount --help)" ]
	# each offered option is one "vyrectl cache" parses (a mount without
	# cache= answers 1, an unknown option 2)
	for o in "${COMPREPLY[@]}"; do
		[ "$o" = --help ] && continue
		run "$VYRECTL" cache "$o" "$MNT"
		[[ $output != *"unrecognized option"* ]]
		[ "$status" -eq 1 ]
		[[ $output == *"no file cache"* ]]
	done
}

@test "scan's PATH completes to files, as compgen -f lists them" {
	local dir
	dir=$(mktemp -d)
	touch "$dir/alpha.log" "$dir/alpine.txt" "$dir/beta"
	complete_line "$VYRECTL" scan "$dir/al"
	[ "$REPLY_SORTED" = "$(sorted "$dir/alpha.log" "$dir/alpine.txt")" ]
	# after PATH, only options
	complete_line "$VYRECTL" scan "$dir/beta" "$dir/al"
	[ -z "$REPLY_SORTED" ]
	rm -rf "$dir"
}

@test "-m completes to vyrefs mounts" {
	local parent
	parent=$(dirname "$MNT")
	complete_line "$VYRECTL" -m "$parent/vyre-mnt."
	grep -qx "$MNT" <<<"$REPLY_SORTED"
	# every offer is a vyrefs mount or a directory
	while read -r d; do
		[ -d "$d" ] || { echo "$d: not a directory" >&2; false; }
	done <<<"$REPLY_SORTED"
}

@test "a value option's value is not taken for the command or PATH" {
	# "-m MNT" before the command, "--tenant x" before PATH: still PATH's turn
	complete_line "$VYRECTL" -m "$MNT" scan --tenant x /etc/passw
	[ "$REPLY_SORTED" = "$(compgen -f /etc/passw | sort)" ]
	grep -qx /etc/passwd <<<"$REPLY_SORTED"
	complete_line "$VYRECTL" -m "$MNT" scan --pattern ""
	[ -z "$REPLY_SORTED" ]
}

@test "completing under set -eu: no error, same answers" {
	run bash -euc "source '$VYRE_ROOT/tools/completion/vyrectl'
		for line in 'vyrectl ' 'vyrectl -m $MNT scan --op ' 'vyrectl --mount = $MNT wait ' \\
			'vyrectl scan /etc/passw' 'vyrectl -m'; do
			read -r -a COMP_WORDS <<<\"\$line\"
			[[ \$line == *' ' ]] && COMP_WORDS+=('')
			COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
			_vyrectl
			echo \"\${#COMPREPLY[@]}\"
		done"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	for n in "${lines[@]}"; do [ "$n" -gt 0 ]; done
}

@test "a command added after this file (grep) completes the options its --help names" {
	local want
	want=$("$VYRECTL" grep --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
	[ -n "$want" ] || skip "this vyrectl has no grep command"
	complete_line "$VYRECTL" grep "--i"
	[ "$REPLY_SORTED" = "$(grep -- '^--i' <<<"$want")" ]
	grep -qx -- --ignore-case <<<"$REPLY_SORTED"
	# after grep's own -m N (--max-count), still grep's options
	complete_line "$VYRECTL" -m "$MNT" grep -m 1 "--c"
	grep -qx -- --count <<<"$REPLY_SORTED"
}
