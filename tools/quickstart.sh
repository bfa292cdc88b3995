#!/bin/bash
# The README's first command: install what is missing, build, mount vyrefs
# on /mnt/vyre, run a real count job on a file the system ships and show
# its result beside wc -l's, and its status. The mount stays up.
set -euo pipefail
cd "$(dirname "$0")/.."
MNT=${VYRE_MOUNT:-/mnt/vyre}
FILE=${1:-/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1}

tools/deps.sh
tools/build.sh
[ -e "$FILE" ] || FILE=/usr/share/common-licenses/GPL-3
mkdir -p "$MNT"
if mountpoint -q "$MNT"; then umount "$MNT"; fi
build/fs/vyrefs "$MNT" -o allow_other,log=/var/log/vyrefs.log

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
echo "vyrefs is mounted on $MNT (log: /var/log/vyrefs.log). Try:"
echo "  echo \"scan path=/etc/services op=match pattern=tcp\" > $MNT/ctl; cat $MNT/jobs/latest/wait"
echo "Unmount with: umount $MNT"
