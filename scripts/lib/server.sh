# Shared by scripts/kafka.sh and scripts/cassandra.sh (sourced, not run): the life of a
# server process recorded in a pid file.

# server_running PIDFILE: exit 0 if the recorded process is alive.
server_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# server_stop NAME PIDFILE GRACE_SECONDS: SIGTERM, SIGKILL after the grace period;
# idempotent (a missing or stale pid file just says "not running").
server_stop() {
  local name=$1 pidfile=$2 grace=$3 pid
  if ! server_running "$pidfile"; then
    rm -f "$pidfile"
    echo "$name: not running"
    return 0
  fi
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 "$grace"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "$name: stopped"
}
