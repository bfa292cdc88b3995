#!/usr/bin/env bats
# The daemon runs as root with allow_other and reads for each caller only
# what the caller could read (README.md "Files"); job directories belong to their
# submitter, mode 0700 (README.md "Files"); jobs/latest is per user.
load common

GPL=/usr/share/common-licenses/GPL-3
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# a user with no passwd entry and no jobs
STRANGER=(setpriv --reuid=54321 --regid=54321 --clear-groups)
GROUP=54322 # a group only some callers have

setup_file() {
	mount_vyrefs allow_other
	FILES="$(mktemp -d /tmp/vyre-perm.XXXXXX)"
	export FILES
	chmod 755 "$FILES"
	printf 'a\nb\nc\n' > "$FILES/public"
	chmod 644 "$FILES/public"
	printf 'secret\n' > "$FILES/secret"
	chmod 600 "$FILES/secret"
	ln -s "$FILES/secret" "$FILES/link_to_secret"
	mkdir -m 700 "$FILES/closed"
	printf 'x\n' > "$FILES/closed/readable"
	chmod 644 "$FILES/closed/readable"
	ln -s "$FILES/closed/readable" "$FILES/link_into_closed"
	printf 'g\ng\n' > "$FILES/group_only"
	chgrp "$GROUP" "$FILES/group_only"
	chmod 640 "$FILES/group_only"
	printf 'n\n' > "$FILES/nobodys"
	chown nobody:nogroup "$FILES/nobodys"
	chmod 600 "$FILES/nobodys"
}

teardown_file() {
	unmount_vyrefs
	rm -rf "${FILES:?}"
}

job_count() {
	ls "$MNT/jobs" | grep -c '^[0-9][0-9]*$' || true
}


# refused_for SETPRIV... -- PATH: the caller's scan of PATH fails EACCES, no job
refused_for() {
	local before=$(job_count) path=${*: -1}
	run submit_as "${@:1:$#-1}" "scan path=$path op=count"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"write error: Permission denied"* ]]
	[[ "$output" == *"rc=1 error: path=$path: permission denied"* ]]
	[ "$(job_count)" = "$before" ]
}

# accepted_for SETPRIV... -- PATH: the caller's scan of PATH gives a job id
accepted_for() {
	local path=${*: -1}
	run submit_as "${@:1:$#-1}" "scan path=$path op=count"
	echo "$output" >&2
	[[ "$output" =~ ^rc=0\ ([0-9]+)$ ]]
	JID=${BASH_REMATCH[1]}
}

@test "nobody scans a world-readable file and reads its result" {
	accepted_for "${NOBODY[@]}" -- "$FILES/public"
	run "${NOBODY[@]}" cat "$MNT/jobs/$JID/wait"
	[ "$status" -eq 0 ]
	[[ "$output" == *"state=done"* ]]
	[[ "$output" == *"uid=$(id -u nobody)"* ]]
	run "${NOBODY[@]}" cat "$MNT/jobs/$JID/result"
	[ "$status" -eq 0 ]
	[ "$output" = "$(tr -cd '\n' < "$FILES/public" | wc -c)" ]
}

@test "nobody cannot scan a root-only 0600 file: EACCES, no job" {
	refused_for "${NOBODY[@]}" -- "$FILES/secret"
}

@test "nobody cannot scan it through a symlink either" {
	refused_for "${NOBODY[@]}" -- "$FILES/link_to_secret"
}

@test "nobody cannot scan a readable file in a directory it cannot search, nor via a symlink" {
	refused_for "${NOBODY[@]}" -- "$FILES/closed/readable"
	refused_for "${NOBODY[@]}" -- "$FILES/link_into_closed"
	# root can: the refusal is nobody's, not the file's
	[ "$(result_of "scan path=$FILES/link_into_closed op=count")" = 1 ]
}

@test "a supplementary group the caller holds is honoured, and only then" {
	refused_for "${NOBODY[@]}" -- "$FILES/group_only"
	accepted_for setpriv --reuid=nobody --regid=nogroup --groups="$GROUP" -- "$FILES/group_only"
	wait_job "$JID"
	[ "$(cat "$MNT/jobs/$JID/result")" = 2 ]
}

@test "a file nobody owns at 0600: nobody may scan it, another user may not" {
	accepted_for "${NOBODY[@]}" -- "$FILES/nobodys"
	refused_for "${STRANGER[@]}" -- "$FILES/nobodys"
}

@test "nobody cannot list or read root's job, nor cancel it" {
	local jid=$(submit "scan path=$GPL op=count")
	wait_job "$jid"
	# another user's job does not exist for nobody (hidepid=invisible)
	for f in status result wait descriptor failed; do
		run "${NOBODY[@]}" timeout 5 cat "$MNT/jobs/$jid/$f"
		[ "$status" -ne 0 ]
		[[ "$output" == *"No such file or directory"* ]]
	done
	run "${NOBODY[@]}" ls "$MNT/jobs/$jid"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run "${NOBODY[@]}" bash -c 'echo cancel > "$1"' _ "$MNT/jobs/$jid/ctl"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	# and not even listed: jobs/ shows a user only their own (hidepid-like)
	run "${NOBODY[@]}" ls "$MNT/jobs"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$jid"* ]]
	ls "$MNT/jobs" | grep -qx "$jid" # root sees every job
}

@test "job directories are owned by the submitter, mode 0700" {
	local rid=$(submit "scan path=$GPL op=count")
	accepted_for "${NOBODY[@]}" -- "$FILES/public"
	[ "$(stat -c '%u %g %a' "$MNT/jobs/$rid")" = "0 0 700" ]
	[ "$(stat -c '%u %g %a' "$MNT/jobs/$JID")" = "$(id -u nobody) $(getent group nogroup | cut -d: -f3) 700" ]
	# the owner reads its own job
	"${NOBODY[@]}" cat "$MNT/jobs/$JID/wait" > /dev/null
	"${NOBODY[@]}" ls "$MNT/jobs/$JID" | grep -qx result
}

@test "jobs/latest resolves to each user's own newest job" {
	local r1=$(submit "scan path=$GPL op=count")
	accepted_for "${NOBODY[@]}" -- "$FILES/public"
	local n1=$JID
	local r2=$(submit "scan path=$GPL op=nop")
	[ "$(readlink "$MNT/jobs/latest")" = "$r2" ]
	[ "$("${NOBODY[@]}" readlink "$MNT/jobs/latest")" = "$n1" ]
	# and through the link, each reads its own job
	"${NOBODY[@]}" cat "$MNT/jobs/latest/wait" > /dev/null
	[ "$("${NOBODY[@]}" cat "$MNT/jobs/latest/result")" = 3 ]
	wait_job "$r2"
	[ "$(cat "$MNT/jobs/latest/result")" = 1 ]
	# a user with no jobs has no latest
	run "${STRANGER[@]}" readlink "$MNT/jobs/latest"
	[ "$status" -ne 0 ]
	run "${STRANGER[@]}" ls "$MNT/jobs"
	[ "$status" -eq 0 ]
	run ! grep -qx latest <<< "$output"
}

@test "the tenant defaults to the caller's uid" {
	accepted_for "${NOBODY[@]}" -- "$FILES/public"
	run "${NOBODY[@]}" cat "$MNT/jobs/$JID/status"
	grep -qx "tenant=$(id -u nobody)" <<< "$output"
	grep -qx "uid=$(id -u nobody)" <<< "$output"
}
