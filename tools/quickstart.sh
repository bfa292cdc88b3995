#!/bin/bash
# The README's first command: install what is missing, build, mount vyrefs
# on /mnt/vyre (or $VYRE_MOUNT), run a real count job on a file the system
# ships and show its result beside wc -l's, and its status. The mount
# stays up. A mount point that holds anything but vyrefs is left alone: the
# script stops before it installs or builds anything and says how to pick
# another.
set -euo pipefail
cd "$(dirname "$0")/.."
MNT=${VYRE_MOUNT:-/mnt/vyre}
LOG=${VYRE_LOG:-/var/log/vyrefs.log}
FILE=${1:-/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1}

if mountpoint -q "$MNT"; then
	fstype=$(findmnt -n -o FSTYPE --mountpoint "$MNT" | tail -1)
	if [ "$fstype" != fuse.vyrefs ]; then
		echo "quickstart: $MNT holds a $fstype mount, not vyrefs: it is left mounted." >&2
		echo "Pick another mount point: VYRE_MOUNT=/mnt/vyre2 $0" >&2
		exit 1
	fi
fi

tools/deps.sh build
tools/build.sh
[ -e "$FILE" ] || FILE=/usr/share/common-licenses/GPL-3
mkdir -p "$MNT"
# a vyrefs of an earlier run: the new build replaces it
if mountpoint -q "$MNT" && [ "$(findmnt -n -o FSTYPE --mountpoint "$MNT" | tail -1)" = fuse.vyrefs ]; then
	umount "$MNT"
fi
build/fs/vyrefs "$MNT" -o "allow_other,log=$LOG"

exec 3<>"$MNT/ctl"
echo "scan path=$FILE op=count" >&3
read -r id <&3
exec 3>&-
cat "$MNT/jobs/$id/wait" >/dev/null
echo "job $id: count of '\\n' in $FILE"
echo "  vyrefs (GPU): $(cat "$MNT/jobs/$id/result")"
echo "  wc -l:        $(wc -l < "$FILE")"
echo "--- $MNT/jobs/$id/status"
cat "$MNT/jobs/$id/status"
echo "---"
echo "vyrefs is mounted on $MNT (log: $LOG). Try:"
echo "  echo \"scan path=/etc/services op=match pattern=tcp\" > $MNT/ctl; cat $MNT/jobs/latest/result"
echo "Unmount with: umount $MNT"
