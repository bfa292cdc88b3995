#!/usr/bin/env bats
# vyrectl grep --json prints ripgrep's JSON Lines (begin, match, context,
# end, summary): byte for byte ripgrep 13's messages but for the times
# where both select the same lines, and, for every option set, the lines,
# offsets and matches GNU grep -n -b and grep -o -b print, read back by
# Python's json module. Binary files, invalid UTF-8 and the summary's
# totals are checked against Python's reading of the files.
load common
load vyrectl_grep_common

setup() {
	cd "$IN_DIR"
}

# vj ARGS...: vyrectl grep --json ARGS (C locale unless LC_ALL is set) into $d/v.json
vj() {
	d=$BATS_TEST_TMPDIR
	vs=0
	LC_ALL=${LC_ALL:-C} timeout 60 "$VYRECTL" -m "$MNT" grep --json "$@" </dev/null \
		>"$d/v.json" 2>"$d/v.err" || vs=$?
}

# rg_same ARGS...: vyrectl grep --json ARGS prints what rg --json -j1 ARGS prints, elapsed times aside
rg_same() {
	local d=$BATS_TEST_TMPDIR rs=0 drop='del(.data.stats.elapsed, .data.elapsed_total)'
	timeout 60 rg --no-config -j1 --json "$@" </dev/null >"$d/r.json" 2>/dev/null || rs=$?
	vj "$@"
	jq -c "$drop" "$d/r.json" >"$d/r.n" && jq -c "$drop" "$d/v.json" >"$d/v.n" || return 1
	if [[ $vs -ne $rs ]] || ! cmp -s "$d/r.n" "$d/v.n"; then
		echo "vyrectl grep --json $*: exit $vs, rg's $rs (< rg, > vyrectl):" >&2
		diff "$d/r.n" "$d/v.n" | head -10 | cut -c1-300 >&2
		head -3 "$d/v.err" >&2
		return 1
	fi
}

# json_as_grep ARGS...: the match and context messages of vyrectl grep
# --json ARGS, written as grep -H -n -b ARGS writes lines ("--" dropped),
# and their non-empty submatches as grep -H -o -n -b writes them, equal
# GNU grep's output; so does the exit status. One FILE or more.
json_as_grep() {
	local d=$BATS_TEST_TMPDIR gs=0 go=0
	LC_ALL=C timeout 60 grep -a -H -n -b "$@" </dev/null >"$d/g.raw" || gs=$?
	LC_ALL=C grep -a -v -x -e -- "$d/g.raw" >"$d/g.lines" || true
	LC_ALL=C timeout 60 grep -a -H -o -n -b "$@" </dev/null >"$d/g.oraw" || go=$?
	LC_ALL=C grep -a -v -x -e -- "$d/g.oraw" >"$d/g.only" || true
	vj -a "$@"
	[[ $vs -eq $gs ]] || { echo "vyrectl grep --json $*: exit $vs, grep's $gs" >&2; return 1; }
	timeout 60 python3 - "$d/v.json" "$d/v.lines" "$d/v.only" <<'EOF' || return 1
import base64, json, sys
def data(x):
    return x["text"].encode() if "text" in x else base64.b64decode(x["bytes"])
lines = open(sys.argv[2], "wb")
only = open(sys.argv[3], "wb")
kinds = []
for raw in open(sys.argv[1], "rb"):
    m = json.loads(raw)  # every line one JSON value, strictly
    kinds.append(m["type"])
    if m["type"] not in ("match", "context"):
        continue
    d = m["data"]
    sep = b":" if m["type"] == "match" else b"-"
    path, text = data(d["path"]), data(d["lines"])
    lines.write(path + sep + b"%d" % d["line_number"] + sep + b"%d" % d["absolute_offset"] + sep + text)
    if not text.endswith(b"\n"):
        lines.write(b"\n")
    if m["type"] != "match":
        continue
    for s in d["submatches"]:
        t = data(s["match"])
        assert t == text[s["start"]:s["end"]], (t, text, s)
        if t:
            only.write(path + b":%d:%d:" % (d["line_number"], d["absolute_offset"] + s["start"]) + t + b"\n")
assert kinds and kinds[-1] == "summary" and kinds.count("summary") == 1, kinds
assert kinds.count("begin") == kinds.count("end"), kinds
EOF
	if ! cmp -s "$d/g.lines" "$d/v.lines"; then
		echo "vyrectl grep --json $*: lines differ from grep -n -b's (< grep, > vyrectl):" >&2
		diff -a "$d/g.lines" "$d/v.lines" | head -10 | cut -c1-200 >&2
		return 1
	fi
	# grep -v -o prints nothing; --json's -v match lines have no submatches
	if [[ " $* " != *" -v "* ]] && ! cmp -s "$d/g.only" "$d/v.only"; then
		echo "vyrectl grep --json $*: submatches differ from grep -o -b's (< grep, > vyrectl):" >&2
		diff -a "$d/g.only" "$d/v.only" | head -10 | cut -c1-200 >&2
		return 1
	fi
}

@test "--json messages are ripgrep 13's, byte for byte but the times, where rg selects the same lines" {
	command -v rg >/dev/null || skip "rg is not installed"
	command -v jq >/dev/null || skip "jq is not installed"
	rg_same -e a t.txt crlf.txt nonl.txt utf8.txt gpl.txt
	rg_same -A1 -B2 GPL t.txt gpl.txt
	rg_same -v -C1 a t.txt
	rg_same -w word t.txt
	rg_same -i -e the -e free gpl.txt
	rg_same -x ab t.txt
	rg_same -e 'x*' t.txt
	rg_same -v -x -C1 ab t.txt
	rg_same -F -e '*star' -e 'a|b' t.txt
	rg_same -e '"' -e '\\' t.txt
	rg_same $'\t' t.txt
	rg_same -e zzz_not_there t.txt
	LC_ALL=C.UTF-8 rg_same -i É utf8.txt
	LC_ALL=C.UTF-8 rg_same é utf8.txt
}

@test "--json's match and context lines, offsets and submatches are grep -n -b's and grep -o -b's" {
	local args
	while IFS= read -r args; do
		eval "json_as_grep $args gpl.txt t.txt crlf.txt nonl.txt empty.txt utf8.txt"
	done <<'EOF'
-e the
-i -e the
-w -e the
-x -e ab
-v -e a
-E -e 'fre+|copy'
-F -e 'a|b' -e GPL
-G -e 'GPL\(v3\)'
-m2 -A3 -e the
-C2 -e Program
-B1 -e '^$'
-e 'x*'
EOF
	# grep's formatting options change nothing of the messages
	vj -n -b -H -h -T -Z --color=always -o the gpl.txt t.txt
	jq -c 'del(.data.stats.elapsed, .data.elapsed_total)' "$d/v.json" >"$d/fmt.n"
	vj the gpl.txt t.txt
	jq -c 'del(.data.stats.elapsed, .data.elapsed_total)' "$d/v.json" >"$d/plain.n"
	cmp "$d/fmt.n" "$d/plain.n"
}

@test "--json: a line that is not UTF-8 is base64 bytes; a binary file's lines are hidden, its first NUL is binary_offset" {
	vj a utf8.txt
	[[ $vs -eq 0 ]]
	# the line with \xff\xfe: bytes, decoded they are the line grep prints
	run python3 -c '
import json, base64, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m["type"] == "match" and "bytes" in m["data"]["lines"]:
        sys.stdout.buffer.write(base64.b64decode(m["data"]["lines"]["bytes"]))' "$d/v.json"
	[[ $output == "$(LC_ALL=C grep -a $'\xff' utf8.txt)" ]]
	vj match late.dat bin.dat
	[[ $vs -eq 0 ]]
	grep -q 'late.dat: binary file matches' "$d/v.err"
	run python3 -c '
import json, sys
ms = [json.loads(l) for l in open(sys.argv[1])]
end = [m for m in ms if m["type"] == "end"][0]["data"]
nul = open("late.dat", "rb").read().index(b"\0")
hidden = [m for m in ms if m["type"] == "match" and m["data"]["line_number"] > 1]
print(end["binary_offset"] == nul, end["stats"]["matched_lines"], len(hidden))' "$d/v.json"
	[[ $output == "True $(LC_ALL=C grep -a -c match late.dat) 0" ]]
}

@test "--json's summary counts, as rg 13's, the files with a match, as grep -c and wc -c count them; stdin is named as grep names it" {
	local files=(gpl.txt t.txt crlf.txt nonl.txt empty.txt utf8.txt)
	vj -e the "${files[@]}"
	[[ $vs -eq 0 ]]
	run python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])][-1]
st = s["data"]["stats"]
print(s["type"], st["matched_lines"], st["searches"], st["bytes_searched"], st["searches_with_match"])' "$d/v.json"
	local lines=0 with=0 bytes=0 n
	for f in "${files[@]}"; do
		n=$(LC_ALL=C grep -a -c the "$f" || true)
		lines=$((lines + n))
		if ((n > 0)); then
			with=$((with + 1))
			bytes=$((bytes + $(wc -c <"$f")))
		fi
	done
	[[ $output == "summary $lines $with $bytes $with" ]]
	d=$BATS_TEST_TMPDIR
	timeout 60 "$VYRECTL" -m "$MNT" grep --json --label=in the <gpl.txt >"$d/s.json"
	[[ $(jq -r 'select(.type=="begin") | .data.path.text' "$d/s.json") == in ]]
	[[ $(jq -c 'select(.type=="match")' "$d/s.json" | wc -l) -eq $(grep -c the gpl.txt) ]]
}

@test "--json with -c, -l, -L or --count-matches is refused (exit 2), as rg refuses it; -q prints nothing" {
	local o
	for o in -c -l -L --count-matches; do
		run -2 timeout 60 "$VYRECTL" -m "$MNT" grep --json "$o" the gpl.txt
		[[ $output == *"--json cannot be used with"* ]]
	done
	run -0 timeout 60 "$VYRECTL" -m "$MNT" grep --json -q the gpl.txt
	[[ -z $output ]]
	run -1 timeout 60 "$VYRECTL" -m "$MNT" grep --json -q zzz_not_there gpl.txt
	[[ -z $output ]]
}
