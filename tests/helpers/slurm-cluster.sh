#!/bin/bash
# slurm-cluster.sh start DIR | stop DIR
#
# A one-node Slurm cluster on this host, all of it inside DIR: a private
# munge key, socket and log; slurm.conf with SlurmctldHost=localhost and
# NodeName=$(hostname -s); state, spool, pid and log files; ports picked
# free. Nothing system-wide is read or changed (clients find it through
# SLURM_CONF=DIR/slurm.conf). start exits 77 when the binaries are missing,
# 1 when the cluster does not come up (its logs on stderr).
set -euo pipefail

cmd=${1:?usage: slurm-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-cluster.sh start|stop DIR}

pid_stop() {
	local f=$1 pid
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}

if [ "$cmd" = stop ]; then
	# the controller first: no new task is started while slurmd goes
	pid_stop "$dir/slurmctld.pid"
	pid_stop "$dir/slurmd.pid"
	pid_stop "$dir/munged.pid"
	exit 0
fi
[ "$cmd" = start ] || { echo "usage: slurm-cluster.sh start|stop DIR" >&2; exit 2; }

for b in munged slurmctld slurmd sbatch squeue scancel sinfo; do
	command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin command -v "$b" >/dev/null || {
		echo "slurm-cluster.sh: $b missing (apt-get install slurm-wlm munge)" >&2
		exit 77
	}
done
export PATH=$PATH:/usr/sbin

# two free TCP ports: bind to 0, read what the kernel gave, let go
read -r p1 p2 < <(python3 -c '
import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 0700 "$dir" "$dir/munge"
# munged checks the key's owner and mode and its directories' modes
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$dir/munge/munge.key"
munged --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
	--pid-file="$dir/munged.pid" --log-file="$dir/munge/munged.log" \
	--seed-file="$dir/munge/munged.seed" --force
host=$(hostname -s)
# more CPUs than the host has (config_overrides lets slurmd believe it):
# a test's tasks mostly wait on vyrefs, and all of an array's start in one
# scheduling pass instead of a pass per two (measured: 3 s a pass)
cpus=16
cat >"$dir/slurm.conf" <<EOF
ClusterName=vyretest
SlurmctldHost=localhost
SlurmctldPort=$p1
SlurmdPort=$p2
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=1,sched_min_interval=0
SwitchType=switch/none
MailProg=/bin/true
SlurmctldTimeout=10
SlurmdTimeout=10
InactiveLimit=0
MinJobAge=30
KillWait=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1 State=UNKNOWN
PartitionName=vyre Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
slurmctld -i
slurmd
for _ in $(seq 100); do
	if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
		exit 0
	fi
	sleep 0.1
done
echo "slurm-cluster.sh: the node did not come up in 10 s" >&2
sinfo >&2 || true
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munge/munged.log" >&2 || true
exit 1
