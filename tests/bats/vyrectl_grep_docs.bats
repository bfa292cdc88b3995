#!/usr/bin/env bats
# Every option vyrectl grep takes is listed by vyrectl grep --help and
# documented in vyrectl(1): the options are read from the source's own
# getopt tables, the docs from the help text and the man page as man
# renders it. No mount is needed.
load common
load vyrectl_grep_common

setup_file() {
	:
}

teardown_file() {
	:
}

# the long options of grep_longopts, but grep's own undocumented aliases
longopts() {
	grep -o '{"[a-z-]*", [a-z_]*argument' "$VYRE_ROOT/tools/vyrectl_grep_opts.c" |
		sed 's/{"\([a-z-]*\)".*/\1/' | grep -v -x -e colour -e fixed-regexp | sort -u
}

# the short options of grep_parse's getopt_long string
shortopts() {
	grep -o '"0123456789[A-Za-z:]*"' "$VYRE_ROOT/tools/vyrectl_grep_opts.c" |
		tr -d '":0-9' | fold -w1 | sort -u
}

@test "vyrectl grep --help lists every long and short option the parser takes" {
	local help o missing=()
	help=$(timeout 20 "$VYRECTL" grep --help)
	[[ $(longopts | wc -l) -gt 40 ]]
	while read -r o; do
		[[ $help == *"--$o"* ]] || missing+=("--$o")
	done < <(longopts)
	while read -r o; do
		[[ $help == *"-$o,"* || $help == *"-$o "* ]] || missing+=("-$o")
	done < <(shortopts)
	[[ ${#missing[@]} -eq 0 ]] || { echo "not in --help: ${missing[*]}" >&2; return 1; }
}

@test "vyrectl(1) documents every long and short option of vyrectl grep" {
	local page o missing=()
	page=$(MANWIDTH=200 timeout 20 man -l "$VYRE_ROOT/tools/vyrectl.1" 2>/dev/null | sed 's/\xe2\x80\x90//g')
	[[ -n $page ]] || skip "man cannot render pages here"
	while read -r o; do
		[[ $page == *"--$o"* ]] || missing+=("--$o")
	done < <(longopts)
	while read -r o; do
		[[ $page == *"-$o,"* || $page == *"-$o "* ]] || missing+=("-$o")
	done < <(shortopts)
	[[ ${#missing[@]} -eq 0 ]] || { echo "not in vyrectl(1): ${missing[*]}" >&2; return 1; }
}
