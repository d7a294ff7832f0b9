#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (Debian's Slurm 22.05), for trying `--slurm` on a laptop
# and for the test suite:
#   scripts/slurm-local.sh start    install (apt) if needed, configure, start munged, slurmctld, slurmd
#   scripts/slurm-local.sh stop     stop the daemons this script started (by their recorded PIDs)
#   scripts/slurm-local.sh status   sinfo
# Needs root (apt, /etc/slurm, /run/munge). No systemd and no cgroups: processes are tracked with
# proctrack/linuxproc and tasks are not confined (task/none); array tasks are scheduled at once
# (batch_sched_delay=0); a dependency on a failed job is cancelled instead of waiting forever
# (kill_invalid_depend). State and logs live in $HERMODE_SLURM_DIR (default /tmp/hermode-slurm).
set -euo pipefail
STATE=${HERMODE_SLURM_DIR:-/tmp/hermode-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by hermode scripts/slurm-local.sh"

say() { echo "slurm-local: $*" >&2; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurmctld slurmd slurm-client munge (apt)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  fi
  mkdir -p "$STATE/spool/ctld" "$STATE/spool/d" "$STATE/log"
  # munge: a key, its run directory, the daemon
  if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  install -d -o munge -g munge /run/munge
  if ! alive /run/munge/munged.pid; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do [ -f /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$STATE/munged.pid"
  fi
  # the configuration: this host as controller and only node, on the loopback address
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  if [ -f "$CONF" ] && ! grep -q "^$MARK" "$CONF"; then
    say "$CONF exists and was not written by this script: not touching it"
    exit 1
  fi
  mkdir -p /etc/slurm
  cat >"$CONF" <<EOF
$MARK
ClusterName=hermode
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  alive "$STATE/slurmctld.pid" || slurmctld -c
  alive "$STATE/slurmd.pid" || slurmd -c
  for _ in $(seq 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      say "up: $(sinfo -h -o '%P %D %T %c')"
      return 0
    fi
    sleep 0.2
  done
  say "the node did not become idle; see $STATE/log"
  sinfo >&2 || true
  exit 1
}

stop() {
  for d in slurmd slurmctld munged; do
    if alive "$STATE/$d.pid"; then
      kill "$(cat "$STATE/$d.pid")" 2>/dev/null || true
      for _ in $(seq 50); do alive "$STATE/$d.pid" || break; sleep 0.1; done
    fi
    rm -f "$STATE/$d.pid"
  done
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
