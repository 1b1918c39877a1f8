#!/usr/bin/env bash
# tools/slurm/start.sh - bring up a real one-node SLURM cluster (with slurmdbd accounting, so that
# `sacct` works) on this Debian 12 machine, for the `slurm` tests and for trying
# profiles/slurm by hand. Needs root; no systemd is needed (daemons are started by hand).
#
# Idempotent: installs only missing packages, rewrites the config only if it differs (then restarts
# slurmdbd/slurmctld/slurmd), starts only daemons that are not running, then waits until the node
# is idle and the cluster is registered in slurmdbd.
#
# Knobs (environment; deliberately NOT SLURM_* names, which srun/sbatch read themselves):
#   LOCAL_SLURM_GPUS=N       advertise N fake GPUs (GRES gpu:fakegpu:N backed by /dev/null-like
#                            character devices) so rules with `gpu:`/`gres:` resources can be
#                            scheduled. Default 0 (a `gpu` job is then rejected by sbatch).
#   LOCAL_SLURM_PARTITION=P  partition name (default: debug)
#   LOCAL_SLURM_REALMEM=MB   node memory (default: 85% of what `slurmd -C` detects)
#   LOCAL_SLURM_WAIT_S=N     how long to wait for each readiness check (default: 60)
#
# Daemons it starts are listed in $STATE/started ("pidfile comm" lines); tools/slurm/stop.sh stops
# exactly those. Logs: /var/log/slurm/.
set -euo pipefail

GPUS="${LOCAL_SLURM_GPUS:-0}"
PARTITION="${LOCAL_SLURM_PARTITION:-debug}"
WAIT_S="${LOCAL_SLURM_WAIT_S:-60}"
CLUSTER=localcluster
RUN=/run/slurm                       # PID files of the slurm daemons (named in slurm.conf)
STATE=/run/chanpos-slurm             # what this script started
LOGDIR=/var/log/slurm
DBSOCK=/run/mysqld/mysqld.sock
T0=$EPOCHREALTIME
T_STEP=$T0

elapsed() { # seconds since $1 (EPOCHREALTIME values), one decimal
  local a=${1/[.,]/} b=${EPOCHREALTIME/[.,]/}
  local d=$(( (10#$b - 10#$a) / 100000 ))
  printf '%d.%d' $(( d / 10 )) $(( d % 10 ))
}
log() { printf '[slurm-start %6ss] %s\n' "$(elapsed "$T0")" "$*"; }
step() { log "$* (+$(elapsed "$T_STEP")s)"; T_STEP=$EPOCHREALTIME; }
die() { log "ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
[[ "$GPUS" =~ ^[0-9]+$ ]] || die "LOCAL_SLURM_GPUS must be a non-negative integer"
[[ "$PARTITION" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad LOCAL_SLURM_PARTITION"

# alive PIDFILE COMM: the PID in PIDFILE runs (not a zombie) and /proc/PID/comm is COMM
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc 0-9 2>/dev/null < "$1")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] &&
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
record() { grep -qxF "$1 $2" "$STATE/started" 2>/dev/null || echo "$1 $2" >> "$STATE/started"; }
wait_for() { # wait_for SECONDS CMD... : retry CMD every 0.2 s
  local end=$(( SECONDS + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.2
  done
}
stop_pid() { # stop_pid PIDFILE COMM: used only to restart daemons after a config change
  local pid
  alive "$1" "$2" || return 0
  pid=$(tr -dc 0-9 2>/dev/null < "$1")
  kill -TERM "$pid"
  for _ in $(seq 75); do alive "$1" "$2" || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------------ 1. packages
PKGS=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found; cannot install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep maintainer scripts from starting services (the image's policy-rc.d already does this;
  # provide one for the duration of the install if the machine has none).
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  log "apt-get install ${missing[*]}"
  rc=0
  mkdir -p "$LOGDIR"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    > "$LOGDIR/apt.log" 2>&1 || rc=$?
  [ "$own_policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { tail -20 "$LOGDIR/apt.log" >&2; die "apt-get failed (rc=$rc), see $LOGDIR/apt.log"; }
  step "packages installed"
else
  step "packages already installed"
fi
log "versions: $(dpkg-query -W -f='${Package}=${Version} ' "${PKGS[@]}")"

# ------------------------------------------------------------------ 2. configuration
NODE=$(hostname -s)
read -r SOCKETS CORES THREADS DETMEM < <(slurmd -C | awk '
  /^NodeName=/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}}
  END {print v["SocketsPerBoard"], v["CoresPerSocket"], v["ThreadsPerCore"], v["RealMemory"]}')
[ -n "${DETMEM:-}" ] || die "could not parse 'slurmd -C'"
CPUS=$(( SOCKETS * CORES * THREADS ))
REALMEM="${LOCAL_SLURM_REALMEM:-$(( DETMEM * 85 / 100 ))}"

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOGDIR" "$RUN" "$STATE" /run/munge /run/mysqld
chown munge:munge /run/munge
chown mysql:mysql /run/mysqld

changed=0
put() { # put FILE CONTENT [MODE]: write FILE only if its content differs; remember the change
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" > "$1"; changed=1
  fi
  chmod "${3:-644}" "$1"
}

gres_types="" node_gres="" tres=""
if [ "$GPUS" -gt 0 ]; then
  gres_types="GresTypes=gpu"
  node_gres="Gres=gpu:fakegpu:$GPUS"
  tres="AccountingStorageTRES=gres/gpu"
  mkdir -p "$RUN/fakegpu"
  for ((i = 0; i < GPUS; i++)); do
    # File= must be a character device, else slurmd drops the GPUs (node goes "inval")
    [ -c "$RUN/fakegpu/gpu$i" ] || mknod -m 666 "$RUN/fakegpu/gpu$i" c 1 3
  done
  put /etc/slurm/gres.conf "NodeName=$NODE Name=gpu Type=fakegpu File=$RUN/fakegpu/gpu[0-$(( GPUS - 1 ))]"
elif [ -f /etc/slurm/gres.conf ]; then
  rm -f /etc/slurm/gres.conf; changed=1
fi

put /etc/slurm/slurm.conf "# Written by chanpos tools/slurm/start.sh: one node, no systemd, no cgroups.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGDIR/slurmctld.log
SlurmdLogFile=$LOGDIR/slurmd.log
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
$tres
$gres_types
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS Boards=1 SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$REALMEM $node_gres State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP"

# slurmdbd runs as root and logs into MariaDB as root over the unix socket (unix_socket
# authentication), so there is no password anywhere; MariaDB listens on no TCP port.
put /etc/slurm/slurmdbd.conf "AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$LOGDIR/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db" 600

step "config: node=$NODE cpus=$CPUS realmem=${REALMEM}MB partition=$PARTITION fake_gpus=$GPUS changed=$changed"
if [ "$changed" = 1 ]; then
  stop_pid "$RUN/slurmd.pid" slurmd
  stop_pid "$RUN/slurmctld.pid" slurmctld
  stop_pid "$RUN/slurmdbd.pid" slurmdbd
fi

# ------------------------------------------------------------------ 3. daemons
# munged must run as user munge ("Logfile is insecure: invalid ownership" as root)
if alive /run/munge/munged.pid munged; then
  log "munged already running"
else
  runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
  record /run/munge/munged.pid munged
  wait_for "$WAIT_S" munge -n || die "munged did not come up (see /var/log/munge/munged.log)"
  step "munged started"
fi

if alive /run/mysqld/mysqld.pid mariadbd; then
  log "mariadb already running"
else
  [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >> "$LOGDIR/mariadb.log" 2>&1
  setsid /usr/sbin/mariadbd --user=mysql --skip-networking --socket="$DBSOCK" \
    --pid-file=/run/mysqld/mysqld.pid --innodb-lock-wait-timeout=900 --innodb-log-file-size=64M \
    </dev/null >> "$LOGDIR/mariadb.log" 2>&1 &
  record /run/mysqld/mysqld.pid mariadbd
  wait_for "$WAIT_S" mariadb-admin --socket="$DBSOCK" ping || die "mariadb did not come up (see $LOGDIR/mariadb.log)"
  wait_for 10 alive /run/mysqld/mysqld.pid mariadbd || die "mariadb wrote no pid file"
  step "mariadb started"
fi

if alive "$RUN/slurmdbd.pid" slurmdbd; then
  log "slurmdbd already running"
else
  /usr/sbin/slurmdbd </dev/null >/dev/null 2>&1
  record "$RUN/slurmdbd.pid" slurmdbd
  wait_for "$WAIT_S" bash -c 'exec 3<>/dev/tcp/127.0.0.1/6819' || die "slurmdbd is not listening (see $LOGDIR/slurmdbd.log)"
  step "slurmdbd started"
fi

if alive "$RUN/slurmctld.pid" slurmctld; then
  log "slurmctld already running"
else
  /usr/sbin/slurmctld </dev/null >/dev/null 2>&1
  record "$RUN/slurmctld.pid" slurmctld
  wait_for "$WAIT_S" scontrol ping || die "slurmctld does not answer (see $LOGDIR/slurmctld.log)"
  step "slurmctld started"
fi

slurmd_launch=""
if alive "$RUN/slurmd.pid" slurmd; then
  log "slurmd already running"
else
  slurmd_launch=$(date +%s)
  /usr/sbin/slurmd </dev/null >/dev/null 2>&1
  record "$RUN/slurmd.pid" slurmd
  wait_for 10 alive "$RUN/slurmd.pid" slurmd || die "slurmd did not start (see $LOGDIR/slurmd.log)"
  # slurmctld restores the previous node state from its state file: wait until the slurmd we
  # launched has registered, so a stale "idle" is not mistaken for readiness.
  registered() {
    local t
    t=$(scontrol show node -o "$NODE" | grep -o 'SlurmdStartTime=[^ ]*' | cut -d= -f2)
    [ -n "$t" ] && [ "$t" != None ] && [ "$(date -d "$t" +%s)" -ge $(( slurmd_launch - 1 )) ]
  }
  wait_for "$WAIT_S" registered || die "slurmd did not register with slurmctld (see $LOGDIR/slurmd.log)"
  step "slurmd started"
fi

# ------------------------------------------------------------------ 4. readiness
end=$(( SECONDS + WAIT_S ))
while :; do
  st=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1 || true)
  case "$st" in
    idle | mixed | allocated | completing) break ;;
    down* | drain* | inval* | fail*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  [ "$SECONDS" -lt "$end" ] || die "node $NODE not usable after ${WAIT_S}s (state '$st'; $(scontrol show node "$NODE" | grep -o 'Reason=.*'))"
  sleep 0.3
done
# slurmctld registers the cluster (and account/user root) in slurmdbd on first contact; until then
# sacct, and the executor plugin's account check, fail.
has_root_assoc() {
  sacctmgr -n -P show assoc where cluster="$CLUSTER" user=root format=account | grep -qx root
}
wait_for "$WAIT_S" has_root_assoc || die "cluster $CLUSTER/user root not registered in slurmdbd (see $LOGDIR/slurmdbd.log)"
sacct -X -n -S now-1minutes >/dev/null || die "sacct does not work"
step "node $NODE $st, accounting ready"
log "cluster ready in $(elapsed "$T0")s"
sinfo
