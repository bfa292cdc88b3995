#!/usr/bin/env bats
# Status files are key=value lines a script may eval (README.md "Files"): every job
# and global key is set, values agree with what the job was and with
# stat/tr, the epoch file is one number, and awkward paths survive eval.
load common

GPL=/usr/share/common-licenses/GPL-3

JOB_KEYS="id state op path offset length chunk chunks chunks_done chunks_failed
	bytes_done epoch tenant priority uid elapsed_us error"
GLOBAL_KEYS="epoch device driver ingest kernel_mode slots slots_free slots_reading
	slots_published slots_claimed jobs_active jobs_done jobs_failed jobs_cancelled
	files files_failed chunks_done chunks_failed bytes_scanned gpu_dead uptime_s"

# all_set KEY...: each named variable is set (possibly to ''), else names the missing ones
all_set() {
	local k missing=""
	for k in "$@"; do
		[ -n "${!k+x}" ] || missing+=" $k"
	done
	[ -z "$missing" ] || { echo "not set by eval:$missing" >&2; return 1; }
}

is_num() {
	[[ "$1" =~ ^[0-9]+$ ]] || { echo "not a number: <$1>" >&2; return 1; }
}

@test "eval of a finished job's status sets every documented job key (README.md "Files"), with true values" {
	local size=$(stat -c %s "$GPL")
	local want=$(tr -cd '\n' < "$GPL" | wc -c)
	local jid=$(submit "scan path=$GPL op=count")
	wait_job "$jid"
	# shellcheck disable=SC2086
	unset $JOB_KEYS
	eval "$(cat "$MNT/jobs/$jid/status")"
	# shellcheck disable=SC2086
	all_set $JOB_KEYS
	[ "$id" = "$jid" ]
	[ "$state" = done ]
	[ "$op" = count ]
	[ "$path" = "$GPL" ]
	[ "$offset" = 0 ]
	[ "$length" = "$size" ]
	# no chunk= given: the mount's default, which the global status shows
	[ "$chunk" = "$(sed -n 's/^chunk=//p' "$MNT/status")" ]
	[ "$chunks" = $(((size + chunk - 1) / chunk)) ]
	[ "$chunks_done" = "$chunks" ]
	[ "$chunks_failed" = 0 ]
	[ "$bytes_done" = "$size" ]
	is_num "$epoch"
	[ "$epoch" -ge 1 ]
	[ "$tenant" = "$(id -u)" ]
	[ "$uid" = "$(id -u)" ]
	is_num "$elapsed_us"
	[ -z "$error" ]
	[ "$(cat "$MNT/jobs/$jid/result")" = "$want" ]
}

@test "a job's status reflects its offset, length, chunk and tenant" {
	local jid=$(submit "scan path=$GPL op=count offset=1000 length=5000 chunk=4K tenant=batch-7")
	wait_job "$jid"
	# shellcheck disable=SC2086
	unset $JOB_KEYS
	eval "$(cat "$MNT/jobs/$jid/status")"
	# shellcheck disable=SC2086
	all_set $JOB_KEYS
	[ "$offset" = 1000 ]
	[ "$length" = 5000 ]
	[ "$chunk" = 4096 ]
	[ "$chunks" = 2 ]
	[ "$chunks_done" = 2 ]
	[ "$bytes_done" = 5000 ]
	[ "$tenant" = batch-7 ]
	want=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read()[1000:6000].count(b"\n"))' "$GPL")
	[ "$(cat "$MNT/jobs/$jid/result")" = "$want" ]
}

@test "the wait file evals like status, with the final state" {
	local jid=$(submit "scan path=$GPL op=histogram chunk=4K")
	# shellcheck disable=SC2086
	unset $JOB_KEYS
	eval "$(cat "$MNT/jobs/$jid/wait")"
	# shellcheck disable=SC2086
	all_set $JOB_KEYS
	[ "$id" = "$jid" ]
	[ "$state" = done ]
	[ "$chunks_done" = "$chunks" ]
	[ "$bytes_done" = "$(stat -c %s "$GPL")" ]
}

@test "eval of the global status sets every documented global key (README.md "Files")" {
	# shellcheck disable=SC2086
	unset $GLOBAL_KEYS
	eval "$(cat "$MNT/status")"
	# shellcheck disable=SC2086
	all_set $GLOBAL_KEYS
	for k in epoch slots slots_free slots_reading slots_published slots_claimed \
		jobs_active jobs_done jobs_failed jobs_cancelled files files_failed chunks_done \
		chunks_failed bytes_scanned gpu_dead uptime_s; do
		is_num "${!k}"
	done
	[ "$gpu_dead" = 0 ] # a healthy GPU is never given up on (gpu_timeout.bats)
	[ -n "$device" ]
	[ -n "$driver" ]
	[ -n "$ingest" ]
	[[ "$kernel_mode" == persistent || "$kernel_mode" == relaunch ]]
	[ "$slots" -gt 0 ]
	# nothing runs between tests: every slot is free again
	[ "$jobs_active" = 0 ]
	[ "$slots_free" = "$slots" ]
	[ "$jobs_done" -ge 3 ]
	# three one-file jobs before this test: a file each
	[ "$files" -ge 3 ]
	[ "$files_failed" = 0 ]
	[ "$bytes_scanned" -ge $((2 * $(stat -c %s "$GPL"))) ]
}

@test "the global counters move by what one job did" {
	local size=$(stat -c %s /etc/services)
	eval "$(cat "$MNT/status")"
	local done0=$jobs_done chunks0=$chunks_done bytes0=$bytes_scanned
	local jid=$(submit "scan path=/etc/services op=count chunk=4K")
	wait_job "$jid"
	eval "$(cat "$MNT/status")"
	[ "$jobs_done" = $((done0 + 1)) ]
	[ "$chunks_done" = $((chunks0 + (size + 4095) / 4096)) ]
	[ "$bytes_scanned" = $((bytes0 + size)) ]
}

@test "epoch is one number, equal to the max job epoch once jobs end" {
	local before=$(cat "$MNT/epoch") ids=() max=0 e jid
	for i in 1 2 3; do
		ids+=("$(submit "scan path=$GPL op=count chunk=4K")")
	done
	for jid in "${ids[@]}"; do wait_job "$jid"; done
	run cat "$MNT/epoch"
	[ "${#lines[@]}" -eq 1 ]
	is_num "$output"
	# every job so far has ended: the newest fence is the newest epoch
	for jid in $(ls "$MNT/jobs" | grep -E '^[0-9]+$'); do
		e=$(sed -n 's/^epoch=//p' "$MNT/jobs/$jid/status")
		[ "$e" -gt "$max" ] && max=$e
	done
	[ "$output" = "$max" ]
	[ "$output" -gt "$before" ]
	[ "$(sed -n 's/^epoch=//p' "$MNT/status")" = "$output" ]
	# each of the three jobs fenced after the epoch read before them
	for jid in "${ids[@]}"; do
		[ "$(sed -n 's/^epoch=//p' "$MNT/jobs/$jid/status")" -gt "$before" ]
	done
}

@test "a path with blanks, quotes and shell syntax survives eval, and nothing runs" {
	local dir="$BATS_TEST_TMPDIR/a dir"
	# a relative canary: eval runs in the test's directory
	local name="it's a \"quoted\" \$HOME \`touch canary\` \$(touch canary); & * \\ name"
	mkdir -p "$dir"
	printf 'one\ntwo\nthree\n' > "$dir/$name"
	local f="$dir/$name"
	# the descriptor quotes the path, escaping \ and " (README.md "Job descriptors")
	local q=${f//\\/\\\\}
	q=${q//\"/\\\"}
	local jid=$(submit "scan path=\"$q\" op=count")
	[[ "$jid" =~ ^[0-9]+$ ]]
	wait_job "$jid"
	unset path state
	cd "$BATS_TEST_TMPDIR"
	eval "$(cat "$MNT/jobs/$jid/status")"
	[ "$path" = "$f" ]
	[ "$state" = done ]
	[ ! -e canary ]
	[ "$(cat "$MNT/jobs/$jid/result")" = 3 ]
}

@test "a path with a tab, a newline and UTF-8 survives eval" {
	local f="$BATS_TEST_TMPDIR/tab"$'\t'"new"$'\n'"line é ü"
	printf 'x\n\n' > "$f"
	local q=${f//$'\t'/\\t}
	q=${q//$'\n'/\\n}
	local jid=$(submit "scan path=\"$q\" op=count")
	wait_job "$jid"
	unset path
	eval "$(cat "$MNT/jobs/$jid/status")"
	[ "$path" = "$f" ]
	[ "$(cat "$MNT/jobs/$jid/result")" = 2 ]
}

VYRECTL="${VYRECTL:-$VYRE_ROOT/build/tools/vyrectl}"

# a file whose name holds newlines, a forged key, quotes, $() and a backslash
odd_file() {
	local d="$BATS_TEST_TMPDIR/odd"
	mkdir -p "$d"
	ODD="$d/x"$'\n'"state=failed"$'\n'"y 'q' \"dq\" \$(touch canary) \\ back"
	printf 'one\ntwo one\nthree\n' > "$ODD"
	printf 'one\n' > "$d/plain"
	ODD_DIR=$d
}

@test "a name with newlines, quotes and \$() round-trips through status, files, lines and vyrectl" {
	odd_file
	cd "$BATS_TEST_TMPDIR"
	# vyrectl builds the descriptor, waits on status, prints the result
	run "$VYRECTL" -m "$MNT" scan "$ODD" --op count --wait
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	unset path state
	eval "$(cat "$MNT/jobs/latest/status")"
	[ "$path" = "$ODD" ]
	[ "$state" = done ]
	[ ! -e canary ]
	# one line per key whatever the name: state= once
	[ "$(grep -c '^state=' "$MNT/jobs/latest/status")" -eq 1 ]
	# a tree job's files and lines, unescaped (\\ \n \xHH), against Python's walk and grep
	id=$(submit "scan path=$ODD_DIR op=grep pattern=one lines=1")
	wait_job "$id"
	python3 - "$ODD_DIR" "$MNT/jobs/$id/files" "$MNT/jobs/$id/lines" <<-'PY'
	import os, re, sys
	d, files, lines = sys.argv[1:]
	unesc = lambda s: re.sub(rb"\\(\\|n|x([0-9a-f]{2}))",
	                         lambda m: b"\\" if m.group(1) == b"\\" else b"\n" if m.group(1) == b"n"
	                         else bytes([int(m.group(2), 16)]), s)
	want = {}
	for name in os.listdir(d):
	    p = os.path.join(d, name).encode()
	    want[p] = [(n + 1, off) for n, (off, l) in enumerate(
	        (o, l) for o, l in zip(
	            [0] + [i + 1 for i, c in enumerate(open(p, "rb").read()) if c == 10][:-1],
	            open(p, "rb").read().split(b"\n")[:-1])) if b"one" in l]
	got = {}
	for rec in open(files, "rb").read().split(b"\n")[:-1]:
	    n, p = rec.split(b" ", 1)
	    got[unesc(p)] = int(n)
	assert got == {p: len(v) for p, v in want.items()}, (got, want)
	got = {}
	for rec in open(lines, "rb").read().split(b"\n")[:-1]:
	    p, ln, off = rec.rsplit(b":", 2)
	    got.setdefault(unesc(p), []).append((int(ln), int(off)))
	assert got == want, (got, want)
	PY
	# vyrectl grep -r -c prints the names as GNU grep does, byte for byte
	cd "$ODD_DIR"
	run "$VYRECTL" -m "$MNT" grep -r -c one .
	[ "$status" -eq 0 ]
	[ "$output" = "$(LC_ALL=C grep -r -c one . | LC_ALL=C sort)" ] ||
		[ "$output" = "$(LC_ALL=C grep -r -c one .)" ]
}

@test "eval is for bash and ksh (sh too without control bytes): it sets the keys and leaves PATH alone" {
	odd_file
	local id plain sh
	"$VYRECTL" -m "$MNT" scan "$ODD" --op count --wait >/dev/null
	id=$(readlink "$MNT/jobs/latest")
	# no key is a variable these shells give a meaning: all are lowercase
	run ! grep -vE '^[a-z][a-z0-9_]*=' "$MNT/jobs/$id/status"
	run ! grep -vE '^[a-z][a-z0-9_]*=' "$MNT/status"
	for sh in bash ksh mksh zsh; do
		command -v "$sh" >/dev/null || continue
		[ "$sh" = zsh ] && continue # its path is PATH: next test
		run "$sh" -c 'p0=$PATH; eval "$(cat "$1")"; [ "$PATH" = "$p0" ] && printf "%s|%s" "$state" "$path"' _ "$MNT/jobs/$id/status"
		echo "$sh: $output" >&2
		[ "$status" -eq 0 ]
		[ "$output" = "done|$ODD" ]
	done
	# dash (Debian's sh) has no $'...': a name with quotes, blanks and $() is
	# fine, one with a control byte needs bash
	plain="$ODD_DIR/it's \"a\" \$(touch canary) \\ name"
	printf 'x\n' > "$plain"
	"$VYRECTL" -m "$MNT" scan "$plain" --op count --wait >/dev/null
	cd "$BATS_TEST_TMPDIR"
	run sh -c 'p0=$PATH; eval "$(cat "$1")"; [ "$PATH" = "$p0" ] && printf "%s|%s" "$state" "$path"' _ "$MNT/jobs/latest/status"
	[ "$status" -eq 0 ]
	[ "$output" = "done|$plain" ]
	[ ! -e canary ]
}

@test "zsh reads status into an associative array with \${(Q)...}, as README shows: eval would set PATH through path" {
	command -v zsh >/dev/null || skip "zsh not installed"
	odd_file
	local id
	"$VYRECTL" -m "$MNT" scan "$ODD" --op count --wait >/dev/null
	id=$(readlink "$MNT/jobs/latest")
	# README.md "Files": the recipe for zsh
	run zsh -c 'typeset -A st; p0=$PATH
		for l in ${(f)"$(<$1)"}; do st[${l%%=*}]=${(Q)${l#*=}}; done
		[[ $PATH == $p0 ]] && print -rn -- "$st[state]|$st[path]"' _ "$MNT/jobs/$id/status"
	[ "$status" -eq 0 ]
	[ "$output" = "done|$ODD" ]
	# why not eval: in zsh, path is PATH as an array
	run zsh -c 'eval "$(<$1)"; print -r -- $PATH' _ "$MNT/jobs/$id/status"
	[[ "$output" == "$ODD"* ]]
}

# json_equals_eval JSON STATUS: STATUS's keys as bash's eval sets them equal
# JSON's (strictly parsed), numbers as numbers, the path as its bytes
json_equals_eval() {
	local keys
	keys=$(LC_ALL=C sed 's/=.*//' "$2" | tr '\n' ' ')
	# shellcheck disable=SC2086
	(
		eval "$(cat "$2")"
		for k in $keys; do printf '%s\0%s\0' "$k" "${!k}"; done
	) > "$BATS_TEST_TMPDIR/evald"
	python3 - "$1" "$BATS_TEST_TMPDIR/evald" <<-'PY'
	import json, sys
	raw = open(sys.argv[1], "rb").read()
	assert raw.endswith(b"}\n") and raw.count(b"\n") == 1, raw
	def strict(pairs):
	    keys = [k for k, _ in pairs]
	    assert len(keys) == len(set(keys)), keys
	    return dict(pairs)
	j = json.loads(raw.decode("utf-8"), object_pairs_hook=strict)
	f = open(sys.argv[2], "rb").read().split(b"\0")[:-1]
	ev = dict(zip(f[0::2], f[1::2]))
	assert [k.encode() for k in j] == list(ev), (list(j), list(ev))
	for k, v in j.items():
	    want = ev[k.encode()]
	    got = str(v).encode() if isinstance(v, int) else v.encode("utf-8", "surrogateescape")
	    assert isinstance(v, (int, str)) and not isinstance(v, bool), (k, v)
	    if k != "uptime_s":
	        assert got == want, (k, got, want)
	PY
}

@test "status.json and jobs/N/status.json hold status's keys and values, a name's bytes exactly (\\udcXX)" {
	odd_file
	local f="$ODD_DIR/bad"$'\xff'" utf-8 é"$'\n'"x"
	printf 'a\nb\n' > "$f"
	"$VYRECTL" -m "$MNT" scan "$f" --op count --wait >/dev/null
	json_equals_eval "$MNT/jobs/latest/status.json" "$MNT/jobs/latest/status"
	"$VYRECTL" -m "$MNT" scan "$ODD" --op count --wait >/dev/null
	json_equals_eval "$MNT/jobs/latest/status.json" "$MNT/jobs/latest/status"
	# a tree job's many keys, and the global status with every unit's keys
	"$VYRECTL" -m "$MNT" scan "$ODD_DIR" --op count --wait >/dev/null
	json_equals_eval "$MNT/jobs/latest/status.json" "$MNT/jobs/latest/status"
	json_equals_eval "$MNT/status.json" "$MNT/status"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["path"].encode("utf-8", "surrogateescape") == sys.argv[2].encode("utf-8", "surrogateescape")' \
		"$MNT/jobs/$(($(readlink "$MNT/jobs/latest") - 2))/status.json" "$f"
}
