#!/bin/bash
# A throwaway root for tests/bats/install.bats (issue 27): a private mount
# namespace, held by one process, in which /usr, /etc and /var are overlays
# whose upper layers live on a tmpfs mounted in that namespace only. What
# apt-get/dpkg install or purge there, an /etc/fstab edit, the dpkg
# database, the FUSE mounts made there: none of it reaches the host, and all
# of it goes when the namespace's last process ends.
#
#   pkg-root.sh start DIR    makes the namespace; DIR (an empty folder, not
#                            under /usr, /etc or /var) gets the tmpfs; prints
#                            the holder's pid: nsenter -t PID -m -- CMD runs
#                            CMD inside
#   pkg-root.sh stop PID     detaches the FUSE mounts in it, ends every
#                            process in it (the holder last): the namespace,
#                            its overlays and tmpfs go with them
#
# Every step is under a time limit; the holder itself ends after an hour.
# Each step that mounts or kills first checks that it is inside (or aims at)
# a namespace other than the caller's: nothing here touches the host's
# mounts or processes.
set -euo pipefail

die() {
	echo "pkg-root: $*" >&2
	exit 1
}

# ns_of PID: its mount namespace ("mnt:[N]"), "" if it is gone
ns_of() {
	readlink "/proc/$1/ns/mnt" 2>/dev/null || true
}

start() {
	local dir=$1 host_ns pid d real
	real=$(realpath -e "$dir") || die "$dir: no such folder"
	case "$real/" in
	/usr/* | /etc/* | /var/*) die "$real: under a folder the overlays cover" ;;
	esac
	[ -z "$(ls -A "$real")" ] || die "$real: not empty"
	host_ns=$(ns_of $$)
	# a simple command in the background: $! is unshare itself, which execs
	# sleep once it has its own namespace
	unshare --mount --propagation private -- sleep 3600 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ]; then
			break
		fi
		sleep 0.05
	done
	if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != sleep ] || [ -z "$(ns_of "$pid")" ] ||
		[ "$(ns_of "$pid")" = "$host_ns" ]; then
		kill -KILL "$pid" 2>/dev/null || true
		die "unshare --mount gave no namespace of its own"
	fi
	# the mounts on the host's /usr, /etc and /var (/etc/hosts in a
	# container ...) are moved back over the overlays, so the namespace sees
	# what the host sees
	if ! timeout 60 nsenter -t "$pid" -m -- bash -euo pipefail -c '
		host_ns=$1 dir=$2
		[ "$(readlink /proc/self/ns/mnt)" != "$host_ns" ] || { echo "still in the host namespace" >&2; exit 1; }
		# a copy of a mount pins what it mounts: another test'\''s FUSE daemon
		# would not see its unmount, a loop device would stay busy, while
		# this namespace lives. Its copies of FUSE mounts and of what is
		# mounted under /tmp and /mnt go first (the deepest first).
		findmnt -rn -o TARGET,FSTYPE | awk '\''$2 ~ /^fuse/ || $1 ~ "^/(tmp|mnt)/"'\'' | cut -d" " -f1 | tac |
			while IFS= read -r t; do umount -l "$(printf "%b" "$t")"; done
		mount -t tmpfs -o mode=0700,size=4g vyrefs-pkg-root "$dir"
		mkdir "$dir/sub"
		subs=()
		while IFS= read -r t; do
			t=$(printf "%b" "$t") # findmnt -r writes a blank as \x20
			mkdir -p "$dir/sub/${#subs[@]}"
			[ -d "$t" ] || { rmdir "$dir/sub/${#subs[@]}"; touch "$dir/sub/${#subs[@]}"; }
			mount --bind "$t" "$dir/sub/${#subs[@]}"
			subs+=("$t")
		done < <(findmnt -rn -o TARGET | grep -E "^/(usr|etc|var)/" || true)
		for d in usr etc var; do
			mkdir "$dir/$d.upper" "$dir/$d.work"
			mount -t overlay -o "lowerdir=/$d,upperdir=$dir/$d.upper,workdir=$dir/$d.work" "vyrefs-pkg-$d" "/$d"
		done
		for i in "${!subs[@]}"; do
			mount --move "$dir/sub/$i" "${subs[$i]}"
		done
	' pkg-root "$host_ns" "$real"; then
		kill -KILL "$pid" 2>/dev/null || true
		die "the overlays over /usr, /etc and /var could not be mounted"
	fi
	echo "$pid"
}

stop() {
	local pid=$1 ns p left
	ns=$(ns_of "$pid")
	[ -n "$ns" ] || return 0 # gone already
	[ "$ns" != "$(ns_of $$)" ] || die "pid $pid is in this namespace: not ending it"
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] || die "pid $pid is not the holder"
	# the daemons exit once their mounts are gone
	timeout 30 nsenter -t "$pid" -m -- umount -a -l -t fuse.vyrefs,fuse 2>/dev/null || true
	ns=${ns#mnt:[}
	ns=${ns%]}
	for sig in TERM TERM TERM KILL KILL; do
		# one ps for all processes (a readlink each is slow on a busy machine)
		left=$(ps -e -o pid=,mntns= | awk -v ns="$ns" -v holder="$pid" '$2 == ns && $1 != holder { print $1 }')
		[ -n "$left" ] || break
		# shellcheck disable=SC2086 # a list of pids
		kill "-$sig" $left 2>/dev/null || true
		sleep 1
	done
	[ -z "$left" ] || echo "pkg-root: still running in the namespace after SIGKILL:" $left >&2
	kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		[ -n "$(ns_of "$pid")" ] || return 0
		sleep 0.05
	done
	die "the holder $pid did not end"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop PID"; stop "$2" ;;
*) die "usage: $0 start DIR | stop PID" ;;
esac
