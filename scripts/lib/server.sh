# Shared by scripts/kafka.sh and scripts/cassandra.sh (sourced, not run): the jars from
# Maven Central and the life of a server process recorded in a pid file; scripts/test.sh
# sources it for server_refuse_old_names.
#
# The scripts' own variables are named after the script or program that reads them
# (KAFKA_SH_PORT, CASSANDRA_SH_HOME, TEST_SH_SKIP_SANITIZERS, CASSANDRA_BENCH_BIN,
# SQLITE_BENCH_ROWS), never SLUICE_*: sluice reads every SLUICE_* variable as a config
# override, so with SLUICE_KAFKA_PORT exported every sluice command failed.

# server_refuse_old_names: exits 2 if one of the scripts' former SLUICE_* variables is
# set, naming its new name. Its value is not taken over: exported, it would still break
# every sluice command the tests run.
server_refuse_old_names() {
  local pair old bad=0
  for pair in SLUICE_KAFKA_VERSION=KAFKA_SH_VERSION SLUICE_KAFKA_HOME=KAFKA_SH_HOME \
    SLUICE_KAFKA_PORT=KAFKA_SH_PORT SLUICE_CASSANDRA_VERSION=CASSANDRA_SH_VERSION \
    SLUICE_CASSANDRA_HOME=CASSANDRA_SH_HOME SLUICE_CASSANDRA_PORT=CASSANDRA_SH_PORT \
    SLUICE_CASSANDRA_STORAGE_PORT=CASSANDRA_SH_STORAGE_PORT SLUICE_CASSANDRA_AUTH=CASSANDRA_SH_AUTH \
    SLUICE_CASSANDRA_HEAP=CASSANDRA_SH_HEAP SLUICE_SKIP_SANITIZERS=TEST_SH_SKIP_SANITIZERS \
    SLUICE_BIN=CASSANDRA_BENCH_BIN SLUICE_BENCH_ROWS=SQLITE_BENCH_ROWS SLUICE_BENCH_TXN_ROWS=SQLITE_BENCH_TXN_ROWS; do
    old=${pair%%=*}
    if [ -n "${!old+x}" ]; then
      echo "$(basename "$0"): $old is now ${pair#*=} (sluice reads every SLUICE_* variable as a config override); unset $old" >&2
      bad=1
    fi
  done
  [ "$bad" = 0 ] || exit 2
}

# server_maven_install NAME WHAT HOME LIBS ARTIFACT CHECK GROUP:ARTIFACT:VERSION...:
# resolves the given Maven Central artifacts with their runtime dependencies into LIBS,
# once: LIBS/.complete marks a finished copy, so later calls return at once. The pom
# (artifact ARTIFACT) is written into HOME/pom. CHECK is a jar name pattern that must
# then be in LIBS (the copy is not marked complete otherwise). Needs mvn; exits 1 on failure.
server_maven_install() {
  local name=$1 what=$2 home=$3 libs=$4 artifact=$5 check=$6 coord g a v deps=""
  shift 6
  if [ -f "$libs/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "$name: Maven (mvn) is needed to install $what" >&2; exit 1; }
  for coord in "$@"; do
    IFS=: read -r g a v <<<"$coord"
    deps+="    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"$'\n'
  done
  mkdir -p "$home/pom"
  cat >"$home/pom/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.test</groupId><artifactId>$artifact</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps  </dependencies>
</project>
EOF
  echo "$name: resolving $what from Maven Central..." >&2
  rm -rf "$libs"
  mvn -q -B -f "$home/pom/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  # shellcheck disable=SC2086 # $check is a pattern
  ls "$libs"/$check >/dev/null 2>&1 || { echo "$name: no $check in $libs" >&2; exit 1; }
  touch "$libs/.complete"
}

# server_running PIDFILE: exit 0 if the recorded process is alive.
server_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# server_await NAME WHAT ENDPOINT PIDFILE WAIT GRACE PROBE LOG...: after a start, waits up
# to WAIT seconds for PROBE (a command that exits 0 once the server answers), checking
# once a second that the process in PIDFILE still lives. Returns 0 once PROBE succeeds.
# If the process exits, or PROBE still fails after WAIT seconds (the process is then
# stopped, see server_stop with GRACE), prints the last 30 lines of each LOG and exits 1.
# WHAT names the process in messages ("broker", "node").
server_await() {
  local name=$1 what=$2 endpoint=$3 pidfile=$4 wait=$5 grace=$6 probe=$7
  shift 7
  local logs
  logs=$(printf '%s and ' "$@"); logs=${logs% and }
  for _ in $(seq 1 "$wait"); do
    if ! server_running "$pidfile"; then
      echo "$name: the $what exited during start-up; last lines of $logs:" >&2
      tail -n 30 "$@" >&2 || true
      exit 1
    fi
    if "$probe"; then return 0; fi
    sleep 1
  done
  echo "$name: no answer on $endpoint after $wait s; last lines of $logs:" >&2
  tail -n 30 "$@" >&2 || true
  server_stop "$name" "$pidfile" "$grace"
  exit 1
}

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
