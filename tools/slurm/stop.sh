#!/usr/bin/env bash
# tools/slurm/stop.sh - stop the daemons that tools/slurm/start.sh started, and nothing else.
# Each one is found through the PID file recorded in /run/chanpos-slurm/started and is signalled only
# if /proc/PID/comm still names the expected program (never by process name).
# Order: slurmd, slurmctld, slurmdbd, mariadbd, munged. Packages, config and state stay.
set -uo pipefail
STARTED=/run/chanpos-slurm/started
[ "$(id -u)" = 0 ] || { echo "slurm-stop: must run as root" >&2; exit 1; }
[ -f "$STARTED" ] || { echo "slurm-stop: nothing recorded in $STARTED"; exit 0; }

rc=0
running() { # running PID: the process exists and is not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]
}
stop_one() { # stop_one PIDFILE COMM
  local pf=$1 comm=$2 pid
  pid=$(tr -dc 0-9 2>/dev/null < "$pf")
  if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$comm" ]; then
    echo "slurm-stop: $comm not running (pid file $pf: '${pid}')"; return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 100); do
    running "$pid" || { echo "slurm-stop: $comm ($pid) stopped"; return 0; }
    sleep 0.1
  done
  echo "slurm-stop: $comm ($pid) still running after 10 s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
  running "$pid" && { echo "slurm-stop: $comm ($pid) survived SIGKILL" >&2; rc=1; }
  return 0
}

for comm in slurmd slurmctld slurmdbd mariadbd munged; do
  while read -r pf c; do
    [ "$c" = "$comm" ] && stop_one "$pf" "$c"
  done < "$STARTED"
done
[ "$rc" = 0 ] && rm -f "$STARTED"
exit "$rc"
