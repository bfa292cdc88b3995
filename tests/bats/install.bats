#!/usr/bin/env bats
# The Debian package as a new user meets it (issue 14): build it from this
# tree (tools/package-test.sh), install it with apt-get, mount it the ways
# fstab and mount(8) do, run a job, unmount, check the systemd unit, purge
# it, and find nothing left behind. Runs as root on Debian; it installs and
# purges a package system-wide, so it stops (skips) where a vyrefs package
# it did not install is already there, and one run at a time per machine
# holds the package (a lock, PKG_LOCK: a second run skips rather than purge
# the first one's package); apt-get waits for the dpkg lock of other users.

load common

# refute CMD...: fails when CMD succeeds ("! CMD" would not fail a test:
# bash's set -e ignores a negated command)
refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# Mount points and files this file makes; teardown_file removes them.
PKG_MARK="# vyrefs install.bats"

# pkg_mount_dir NAME: a fresh mount point, remembered for teardown_file
pkg_mount_dir() {
	local d
	d=$(mktemp -d "/tmp/vyre-pkg-$1.XXXXXX")
	echo "$d" >>"$BATS_FILE_TMPDIR/dirs"
	echo "$d"
}

# pkg_umount DIR: unmount if mounted, wait for its daemon to exit
pkg_umount() {
	if findmnt -n -M "$1" >/dev/null 2>&1; then
		umount "$1" || umount -l "$1"
	fi
	for _ in $(seq 100); do
		pgrep -f "vyrefs .*$1" >/dev/null || return 0
		sleep 0.1
	done
	echo "the daemon for $1 is still running" >&2
	return 1
}

# count_newlines FILE: the independent reference for op=count
count_newlines() {
	tr -cd '\n' <"$1" | wc -c
}

# job_on MNT DESCRIPTOR: submits on MNT, waits, prints the result
job_on() {
	MNT=$1 result_of "$2"
}

# why this machine cannot run this file, found at run time ("" if it can);
# each test skips with it (bats 1.8 cannot skip from setup_file)
pkg_skip_reason() {
	if [ "$(id -u)" != 0 ]; then
		echo "installing a package needs root"
	elif ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
		echo "no apt-get/dpkg: not a Debian system"
	elif [ ! -c /dev/fuse ]; then
		echo "no /dev/fuse"
	elif dpkg-query -W -f='${Status}' vyrefs 2>/dev/null | grep -q "ok installed"; then
		echo "a vyrefs package is installed already; this test would replace and purge it"
	fi
}

setup() {
	if [ -n "$PKG_SKIP" ]; then
		skip "$PKG_SKIP"
	fi
}

PKG_LOCK=/run/lock/vyrefs-install-bats.lock
APT_WAIT=(-o DPkg::Lock::Timeout=600)

setup_file() {
	PKG_SKIP=$(pkg_skip_reason)
	# held until this file's run ends (fd 8 of bats's own process)
	if [ -z "$PKG_SKIP" ]; then
		exec 8>"$PKG_LOCK"
		flock -n 8 || PKG_SKIP="another install.bats run on this machine holds the package ($PKG_LOCK)"
	fi
	export PKG_SKIP
	if [ -n "$PKG_SKIP" ]; then
		return 0
	fi
	export DEBIAN_FRONTEND=noninteractive
	: >"$BATS_FILE_TMPDIR/dirs"
	cp /etc/fstab "$BATS_FILE_TMPDIR/fstab.orig"

	PKG_DIR="$BATS_FILE_TMPDIR/pkg"
	"$VYRE_ROOT/tools/package-test.sh" "$PKG_DIR" >"$BATS_FILE_TMPDIR/build.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/build.log" >&2
		return 1
	}
	DEB=$(ls "$PKG_DIR"/vyrefs_*_*.deb)
	export PKG_DIR DEB
	# the file list before install, to check the purge against
	dpkg-deb -c "$DEB" | awk '{print $NF}' | sed 's#^\./#/#' >"$BATS_FILE_TMPDIR/contents"
	: >"$BATS_FILE_TMPDIR/installed"
	(cd "$PKG_DIR" && apt-get install "${APT_WAIT[@]}" -y -q ./vyrefs_*_*.deb) >"$BATS_FILE_TMPDIR/install.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/install.log" >&2
		return 1
	}
}

teardown_file() {
	local d
	if [ -f "$BATS_FILE_TMPDIR/dirs" ]; then
		# the last made first: a mount point inside another goes first
		while read -r d; do
			pkg_umount "$d" || true
			rmdir "$d" 2>/dev/null || true
		done < <(tac "$BATS_FILE_TMPDIR/dirs")
	fi
	if [ -f "$BATS_FILE_TMPDIR/fstab.orig" ]; then
		cp "$BATS_FILE_TMPDIR/fstab.orig" /etc/fstab
	fi
	# a failed run still leaves no package behind (one it installed)
	if [ -f "$BATS_FILE_TMPDIR/installed" ]; then
		apt-get purge "${APT_WAIT[@]}" -y -q vyrefs >/dev/null 2>&1 || true
	fi
	return 0
}

# the deb's own fields, not what apt resolved: the package says what it needs
@test "the package depends on fuse3 and the runtime libraries, recommends mesa-vulkan-drivers" {
	run dpkg-deb -f "$DEB" Depends
	[ "$status" -eq 0 ]
	for p in fuse3 libfuse3-3 liburing2 libvulkan1 libc6; do
		[[ ", $output," == *", $p "* || ", $output," == *", $p,"* ]] || {
			echo "Depends: $output; $p missing" >&2
			false
		}
	done
	[ "$(dpkg-deb -f "$DEB" Recommends)" = mesa-vulkan-drivers ]
	[ "$(dpkg-deb -f "$DEB" Architecture)" = "$(dpkg --print-architecture)" ]
	# built once, at build time: no maintainer script builds anything
	dpkg-deb -e "$DEB" "$BATS_TEST_TMPDIR/control"
	refute grep -Elw 'meson|ninja|gcc|cc|make|dkms' "$BATS_TEST_TMPDIR"/control/{pre,post}{inst,rm} 2>/dev/null
}

@test "the package holds the binaries, man pages, unit and completion, and nothing else" {
	local want got
	want=$(sort <<'EOF'
/usr/bin/vyrectl
/usr/bin/vyrefs
/usr/lib/systemd/system/vyrefs@.service
/usr/share/bash-completion/completions/vyrectl
/usr/share/doc/vyrefs/changelog.gz
/usr/share/doc/vyrefs/copyright
/usr/share/man/man1/vyrectl.1.gz
/usr/share/man/man1/vyrefs.1.gz
EOF
	)
	got=$(dpkg-deb -c "$DEB" | grep -v '^d' | awk '{print $NF}' | sed 's#^\./#/#' | sort)
	diff <(echo "$want") <(echo "$got")
	# the binaries are the ones the tree builds: same version string
	[ "$(/usr/bin/vyrefs --version | cut -d' ' -f2)" = "$(dpkg-deb -f "$DEB" Version)" ]
	/usr/bin/vyrectl --version
}

@test "lintian reports no errors" {
	command -v lintian >/dev/null || {
		echo "lintian is missing (tools/deps.sh installs it)" >&2
		false
	}
	run lintian --pedantic -I "$PKG_DIR"/vyrefs_*_*.changes
	echo "$output"
	refute grep -q '^E: ' <<<"$output"
}

@test "apt-get installed it: the files are in place and the daemon starts from /usr/bin" {
	dpkg-query -W -f='${Status}\n' vyrefs | grep -q "install ok installed"
	for f in /usr/bin/vyrefs /usr/bin/vyrectl /usr/lib/systemd/system/vyrefs@.service \
		/usr/share/bash-completion/completions/vyrectl; do
		[ -e "$f" ] || { echo "$f missing" >&2; false; }
	done
	[ "$(command -v vyrefs)" = /usr/bin/vyrefs ]
	grep -q '^ExecStart=/usr/bin/vyrefs ' /usr/lib/systemd/system/vyrefs@.service
}

@test "mount -t fuse.vyrefs vyrefs DIR -o allow_other,slots=16 mounts; a job runs; umount unmounts" {
	local m
	m=$(pkg_mount_dir t)
	run mount -t fuse.vyrefs vyrefs "$m" -o allow_other,slots=16
	echo "$output"
	[ "$status" -eq 0 ] || {
		echo "(mount.fuse3 runs 'vyrefs vyrefs $m -o ...': the daemon must take a SOURCE)" >&2
		false
	}
	findmnt -n -t fuse.vyrefs -M "$m"
	grep -qx 'slots=16' "$m/status"
	[ "$(job_on "$m" "scan path=/etc/services op=count")" = "$(count_newlines /etc/services)" ]
	[ "$(vyrectl -m "$m" scan /etc/services --op count --wait)" = "$(count_newlines /etc/services)" ]
	umount "$m"
	refute findmnt -n -M "$m"
	pkg_umount "$m"
}

@test "an fstab line with noauto,nofail,_netdev,x-systemd.automount: mount DIR, a job, umount DIR" {
	local m
	m=$(pkg_mount_dir fstab)
	printf 'vyrefs %s fuse.vyrefs allow_other,slots=16,noauto,nofail,_netdev,x-systemd.automount 0 0 %s\n' \
		"$m" "$PKG_MARK" >>/etc/fstab
	run mount "$m"
	echo "$output"
	[ "$status" -eq 0 ]
	findmnt -n -t fuse.vyrefs -M "$m"
	[ "$(job_on "$m" "scan path=/etc/services op=match pattern=tcp")" = \
		"$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(sum(1 for i in range(len(d)) if d.startswith(b"tcp", i)))' /etc/services)" ]
	umount "$m"
	refute findmnt -n -M "$m"
	pkg_umount "$m"
}

@test "an unknown mount option fails the mount and is named" {
	local m
	m=$(pkg_mount_dir bad)
	run mount -t fuse.vyrefs vyrefs "$m" -o allow_other,frobnicate=1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *frobnicate* ]]
	refute findmnt -n -M "$m"
}

# The unit's CapabilityBoundingSet and NoNewPrivileges applied with setpriv:
# a root daemon holding just those capabilities mounts, serves another user
# as that user, and reads for a root caller as root reads. Each capability
# in the set is there for one of these (CAP_IPC_LOCK pins the arena, so the
# unit's LimitMEMLOCK=infinity is only a second guard and is not set here).
@test "the unit's capability set is enough: mount, a job as nobody, root reads a 0600 file of nobody's" {
	local unit=/usr/lib/systemd/system/vyrefs@.service m caps secret
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
		sed 's/cap_/+/g; s/ /,/g')
	[ -n "$caps" ]
	grep -qx 'NoNewPrivileges=yes' "$unit"
	m=$(pkg_mount_dir caps)
	setpriv --no-new-privs --inh-caps=-all \
		--bounding-set="-all,$caps" /usr/bin/vyrefs "$m" -o "allow_other,log=$BATS_FILE_TMPDIR/caps.log"
	run runuser -u nobody -- bash -c "exec 7<>'$m/ctl'; echo 'scan path=/etc/services op=count' >&7 || { cat <&7; exit 1; }; read -r id <&7; cat '$m/jobs/'\$id/wait >/dev/null; cat '$m/jobs/'\$id/result"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(count_newlines /etc/services)" ]
	# nobody may not read a root file of mode 0600 ...
	secret=$(mktemp /tmp/vyre-pkg-secret.XXXXXX)
	printf 'a\nb\n' >"$secret"
	chmod 0600 "$secret"
	run runuser -u nobody -- bash -c "echo 'scan path=$secret op=count' > '$m/ctl'"
	[ "$status" -ne 0 ]
	# ... and root reads nobody's 0600 file, as root reads it (CAP_DAC_OVERRIDE)
	chown nobody "$secret"
	[ "$(job_on "$m" "scan path=$secret op=count")" = 2 ]
	rm -f "$secret"
	pkg_umount "$m"
}

# unit_argv KEY DIR [MAINPID]: the installed unit's KEY= command line for
# the instance DIR as systemd would exec it (quotes, %f, ${MAINPID}, the
# Environment= default of ${VYREFS_OPTIONS}, "$$" for "$"), NUL-separated
unit_argv() {
	python3 - /usr/lib/systemd/system/vyrefs@.service "$@" <<'PY'
import re, shlex, sys
unit, key, d = sys.argv[1:4]
pid = sys.argv[4] if len(sys.argv) > 4 else ""
lines = open(unit).read().splitlines()
env = dict(re.findall(r"^Environment=(\w+)=(.*)$", "\n".join(lines), re.M))
line = next(l for l in lines if l.startswith(key + "="))[len(key) + 1:].lstrip("-")
def sub(a):
    a = a.replace("%f", d).replace("${MAINPID}", pid)
    a = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), a)
    return a.replace("$$", "$")
sys.stdout.write("".join(sub(a) + "\0" for a in shlex.split(line)))
PY
}

# unit_cmd KEY DIR [MAINPID]: runs that command line here
unit_cmd() {
	local argv
	readarray -d '' argv < <(unit_argv "$@")
	[ "${#argv[@]}" -gt 0 ] && "${argv[@]}"
}

# What systemctl start and stop do with the unit's own lines: started once
# mounted, SIGTERM (KillMode=mixed) unmounts and exits 0, a daemon that
# died leaves a dead mount that ExecStopPost takes away, and a daemon that
# fails to mount fails the start at once.
@test "the unit's lines: started means mounted, SIGTERM unmounts and exits 0, a dead mount is taken away" {
	local m pid rc t0 start
	m="$(pkg_mount_dir unitlines)/sub dir" # %f with a blank in it
	echo "$m" >>"$BATS_FILE_TMPDIR/dirs"
	unit_cmd ExecStartPre "$m"
	[ -d "$m" ]
	readarray -d '' start < <(unit_argv ExecStart "$m")
	[ "${start[0]}" = /usr/bin/vyrefs ]
	"${start[@]}" 2>"$BATS_TEST_TMPDIR/daemon.log" >/dev/null 3>&- &
	pid=$!
	unit_cmd ExecStartPost "$m" "$pid"
	findmnt -n -t fuse.vyrefs -M "$m"
	findmnt -n -o OPTIONS -M "$m" | grep -q allow_other
	[ "$(job_on "$m" "scan path=/etc/services op=count")" = "$(count_newlines /etc/services)" ]
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	refute findmnt -n -M "$m"
	grep -q 'vyrefs: pump:' "$BATS_TEST_TMPDIR/daemon.log" # stderr: the journal's
	# killed: the mount stays, dead, until ExecStopPost
	"${start[@]}" >/dev/null 2>&1 3>&- &
	pid=$!
	unit_cmd ExecStartPost "$m" "$pid"
	kill -KILL "$pid"
	wait "$pid" || true
	findmnt -n -M "$m"
	refute stat "$m/status" 2>/dev/null
	unit_cmd ExecStopPost "$m"
	refute findmnt -n -M "$m"
	# nothing mounted and the daemon gone: the start fails, not after 60 s
	/usr/bin/vyrefs -f -o slots=0 "$m" >/dev/null 2>&1 3>&- &
	pid=$!
	t0=$SECONDS
	run unit_cmd ExecStartPost "$m" "$pid"
	[ "$status" -ne 0 ]
	[ $((SECONDS - t0)) -lt 10 ]
	rmdir "$m"
}

@test "the unit passes systemd-analyze verify" {
	local inst unit=/usr/lib/systemd/system/vyrefs@.service man=yes
	command -v systemd-analyze >/dev/null || {
		echo "systemd-analyze is missing (tools/deps.sh installs systemd)" >&2
		false
	}
	inst=$(systemd-escape --path /mnt/vyre)
	command -v man >/dev/null || man=no
	run systemd-analyze verify --man="$man" "/usr/lib/systemd/system/vyrefs@$inst.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# no setting that would give the service a mount namespace of its own:
	# its FUSE mount would then never reach the host
	refute grep -Eq '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ProtectHostname|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|RootDirectory|RootImage|MountFlags)=' "$unit"
}

# What the unit's seccomp filter and device cgroup would meet, found
# without systemd: every system call the installed daemon makes (mounting,
# a job as root and one as nobody, metrics, unmounting, under strace -f) is
# in the unit's SystemCallFilter as systemd-analyze expands it, and every
# device node it opens is in its DeviceAllow list or the closed policy's
# pseudo devices.
@test "the daemon's system calls and device nodes are inside the unit's filter and allow-list" {
	local unit=/usr/lib/systemd/system/vyrefs@.service m trace pid
	command -v strace >/dev/null || {
		echo "strace is missing (tools/deps.sh installs it)" >&2
		false
	}
	m=$(pkg_mount_dir trace)
	trace="$BATS_TEST_TMPDIR/strace"
	strace -f -qq -o "$trace" /usr/bin/vyrefs -f "$m" -o allow_other \
		>/dev/null 2>"$BATS_TEST_TMPDIR/daemon.log" 3>&- &
	pid=$!
	for _ in $(seq 300); do findmnt -n -M "$m" >/dev/null && break; sleep 0.1; done
	[ "$(job_on "$m" "scan path=/etc/services op=count")" = "$(count_newlines /etc/services)" ]
	runuser -u nobody -- bash -c "echo 'scan path=/etc/services op=match pattern=tcp' > '$m/ctl'"
	cat "$m/jobs/latest/wait" "$m/metrics" >/dev/null
	umount "$m"
	wait "$pid"
	# the filter: its sets expanded, recursively
	expand() {
		systemd-analyze syscall-filter "$1" | awk 'NR > 1 && /^    [^#]/ { print $1 }' |
			while read -r n; do
				case "$n" in
				@*) expand "$n" ;;
				*) echo "$n" ;;
				esac
			done
	}
	for set in $(sed -n 's/^SystemCallFilter=//p' "$unit"); do expand "$set"; done |
		sort -u >"$BATS_TEST_TMPDIR/allowed"
	sed -E 's/^[0-9]+ +//' "$trace" | grep -oE '^[a-z_0-9]+\(' | tr -d '(' | sort -u \
		>"$BATS_TEST_TMPDIR/used"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/used")" -gt 20 ]
	grep -qx io_uring_setup "$BATS_TEST_TMPDIR/used"
	grep -qx mount "$BATS_TEST_TMPDIR/used"
	run comm -23 "$BATS_TEST_TMPDIR/used" "$BATS_TEST_TMPDIR/allowed"
	[ -z "$output" ] || { echo "outside SystemCallFilter: $output" >&2; false; }
	# the devices: each node opened, by its major's group in /proc/devices
	python3 - "$trace" "$unit" <<'PY'
import fnmatch, os, re, stat, sys
trace, unit = sys.argv[1:]
allow = [l.split("=", 1)[1].split() for l in open(unit) if l.startswith("DeviceAllow=")]
groups = {"c": {}, "b": {}}
kind = None
for l in open("/proc/devices"):
    if l.startswith("Character"): kind = "c"
    elif l.startswith("Block"): kind = "b"
    elif l.strip(): n, name = l.split(); groups[kind][int(n)] = name
pseudo = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx"}
bad = []
for path in sorted(set(re.findall(r'open(?:at2?)?\([^"]*"(/dev/[^"]*)"[^=]*= \d', open(trace).read()))):
    try:
        st = os.stat(path)
    except OSError:
        continue
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) or path in pseudo:
        continue
    k = "c" if stat.S_ISCHR(st.st_mode) else "b"
    name = ("char-" if k == "c" else "block-") + groups[k].get(os.major(st.st_rdev), "?")
    if not any(a[0] == path or fnmatch.fnmatch(name, a[0]) for a in allow):
        bad.append(f"{path} ({name})")
    print(f"{path} {name}")
if bad:
    sys.exit("outside DeviceAllow: " + ", ".join(bad))
PY
}

@test "systemctl start vyrefs@ mounts, stop unmounts, the log is in the journal" {
	[ "$(ps -o comm= -p 1)" = systemd ] ||
		skip "systemd is not PID 1 here ($(ps -o comm= -p 1)): the unit was checked by systemd-analyze verify and its capability set under setpriv"
	local m inst
	m=$(pkg_mount_dir unit)
	inst=$(systemd-escape --path "$m")
	systemctl start "vyrefs@$inst.service"
	findmnt -n -t fuse.vyrefs -M "$m"
	[ "$(job_on "$m" "scan path=/etc/services op=count")" = "$(count_newlines /etc/services)" ]
	systemctl stop "vyrefs@$inst.service"
	refute findmnt -n -M "$m"
	[ "$(systemctl show -p Result --value "vyrefs@$inst.service")" = success ]
	journalctl -u "vyrefs@$inst.service" --no-pager | grep -q 'vyrefs: pump:'
}

@test "the installed completion completes vyrectl's commands" {
	run bash -c 'source /usr/share/bash-completion/completions/vyrectl
		COMP_WORDS=(vyrectl st); COMP_CWORD=1; _vyrectl; echo "${COMPREPLY[*]}"'
	[ "$status" -eq 0 ]
	[ "$output" = status ]
}

@test "the installed daemon's metrics: every ended job in the duration histogram, per-tenant counters" {
	local m body n
	m=$(pkg_mount_dir metrics)
	mount -t fuse.vyrefs vyrefs "$m" -o allow_other || /usr/bin/vyrefs "$m" -o allow_other
	for t in alpha alpha beta; do
		job_on "$m" "scan path=/etc/services op=count tenant=$t" >/dev/null
	done
	body=$(cat "$m/metrics")
	echo "$body"
	n=$(grep -c '^vyrefs_job_duration_seconds_bucket' <<<"$body")
	[ "$n" -ge 10 ]
	grep -qx 'vyrefs_job_duration_seconds_count 3' <<<"$body"
	grep -qx 'vyrefs_job_duration_seconds_bucket{le="+Inf"} 3' <<<"$body"
	# buckets are cumulative: never decreasing
	grep '^vyrefs_job_duration_seconds_bucket' <<<"$body" | awk '{ if ($2 < last) exit 1; last = $2 }'
	grep -qx 'vyrefs_tenant_jobs_total{tenant="alpha",state="done"} 2' <<<"$body"
	grep -qx 'vyrefs_tenant_jobs_total{tenant="beta",state="done"} 1' <<<"$body"
	grep -qx "vyrefs_tenant_bytes_total{tenant=\"alpha\"} $((2 * $(wc -c </etc/services)))" <<<"$body"
	# what a user other than root sees names no tenant (a tenant defaults to a uid)
	body=$(runuser -u nobody -- cat "$m/metrics")
	[[ $body == *vyrefs_job_duration_seconds_count* && $body != *tenant* ]]
	[ "$(tail -1 <<<"$body")" = "# EOF" ]
	pkg_umount "$m"
}

@test "apt-get purge leaves nothing behind" {
	local f left=""
	while read -r d; do pkg_umount "$d"; done < <(tac "$BATS_FILE_TMPDIR/dirs")
	apt-get purge "${APT_WAIT[@]}" -y -q vyrefs >"$BATS_FILE_TMPDIR/purge.log" 2>&1 || {
		cat "$BATS_FILE_TMPDIR/purge.log" >&2
		false
	}
	[[ $(dpkg-query -W -f='${Status}' vyrefs 2>/dev/null) != *" installed"* ]]
	while read -r f; do
		[ "$f" = / ] && continue
		[ -d "$f" ] && continue # shared folders (/usr/bin ...) stay
		[ -e "$f" ] && left="$left $f"
	done <"$BATS_FILE_TMPDIR/contents"
	[ -d /usr/share/doc/vyrefs ] && left="$left /usr/share/doc/vyrefs"
	for f in /var/lib/dpkg/info/vyrefs.* /etc/systemd/system/*/vyrefs@* /etc/systemd/system/vyrefs@*; do
		[ -e "$f" ] && left="$left $f"
	done
	[ -z "$left" ] || { echo "left behind:$left" >&2; false; }
	# no daemon of this file's mounts runs on (pkg_umount waited for each)
	while read -r d; do refute pgrep -f "vyrefs .*$d"; done <"$BATS_FILE_TMPDIR/dirs"
	# the fstab line is the test's, not the package's: teardown_file restores fstab
	refute grep -q "$PKG_MARK" "$BATS_FILE_TMPDIR/fstab.orig"
}
