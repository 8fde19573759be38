#!/usr/bin/env bash
# Builds and runs every test: the GoogleTest suites under ctest, again under
# ASan+UBSan and (for the concurrent parts) TSan, then each libFuzzer target for a
# bounded time. Installs what is missing first. FUZZ_SECONDS (default 20) bounds
# each fuzz run; TEST_SH_SKIP_SANITIZERS=1 skips the sanitizer builds. The servers'
# ports come from KAFKA_SH_PORT and CASSANDRA_SH_PORT (scripts/kafka.sh, cassandra.sh).
#
# The subsets are ctest labels (tests/CMakeLists.txt), never test names, so a renamed
# test stays in its runs: kafka (the broker's suite), cassandra (the CQL client and the
# sink; the real-node tests), tsan (the concurrent parts).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh
. scripts/lib/cmake.sh
server_refuse_old_names
bash scripts/build.sh

started=$SECONDS
step() { printf '\n==== %s (at %d s) ====\n' "$*" $((SECONDS - started)); }

# with_server kafka|cassandra COMMAND...: starts the server (scripts/NAME.sh start), runs
# COMMAND, stops the server and returns COMMAND's status. An EXIT trap stops the server
# whatever happens meanwhile (a failed start, Ctrl-C, an error of the script).
with_server() {
  local server=$1 rc=0
  shift
  trap "bash scripts/$server.sh stop >/dev/null 2>&1 || true; on_exit" EXIT
  bash "scripts/$server.sh" start || return
  "$@" || rc=$?
  bash "scripts/$server.sh" stop
  trap on_exit EXIT
  return "$rc"
}

# On any exit: the background builds (below) stop with the script.
builder=
kill_tree() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done; kill "$1" 2>/dev/null || true; }
on_exit() { if [ -n "$builder" ]; then kill_tree "$builder"; fi; }
trap on_exit EXIT

# run_ctest DIR CTEST_ARG...: ctest in the build tree DIR; a label that selects nothing fails.
run_ctest() { ctest --test-dir "$1" --output-on-failure --no-tests=error "${@:2}"; }

kafka=127.0.0.1:${KAFKA_SH_PORT:-19092}
cassandra=127.0.0.1:${CASSANDRA_SH_PORT:-9042}

# The API tests check /metrics with Prometheus's own parser (prometheus_client from PyPI).
WEB_TEST_PYTHON=$(bash scripts/py_venv.sh | tail -n 1)
export WEB_TEST_PYTHON

step "unit and integration tests (RelWithDebInfo), the dashboard in Chromium"
run_ctest build -j "$jobs" --timeout 600

# The sanitizer and fuzz trees build in the background, at the lowest CPU priority, while
# the next phases mostly wait on servers (Airflow's install, the broker's and the node's
# start-ups, the suites' outages): a phase that needs the CPU takes it first. Each build
# leaves its log and exit status in build-logs/; a phase that needs a tree waits for it.
logs=build-logs
rm -rf "$logs" && mkdir -p "$logs"
background_build() {  # NAME PRESET TARGET...
  local name=$1 preset=$2 rc=0
  shift 2
  { cmake_configure "$preset" && nice -n 19 ninja -C "build-$name" -j "$jobs" "$@"; } >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$name.rc"
}
wait_build() {  # NAME: waits for the tree's build; prints its log and fails if it failed
  local name=$1
  while [ ! -f "$logs/$name.rc" ]; do sleep 2; done
  if [ "$(cat "$logs/$name.rc")" != 0 ]; then
    tail -n 60 "$logs/$name.log"
    echo "the $name build failed (whole log: $logs/$name.log)" >&2
    return 1
  fi
}
if [ "${TEST_SH_SKIP_SANITIZERS:-0}" != 1 ]; then
  ( background_build asan asan; background_build tsan tsan tests_tsan sluice; background_build fuzz fuzz fuzz/all ) &
else
  ( background_build fuzz fuzz fuzz/all ) &
fi
builder=$!

# For users who keep Airflow: the DAG file runs sluice's tasks under `airflow dags test`
# (Apache Airflow 2.6.0, the seed's, from PyPI into build/airflow-venv; SQLite metadata).
step "Airflow DAG deploy/airflow/dags/user_automation.py (airflow dags test)"
bash scripts/airflow_check.sh build/sluice

# The Kafka tests run against a real broker (scripts/kafka.sh: Apache Kafka from Maven
# Central, KRaft, 127.0.0.1 only), one test at a time, and the broker stops afterwards
# whatever happened. kafka-python is the seed's own client, used as a witness.
step "Kafka backend against a real broker"
python3 -c 'import kafka' 2>/dev/null || python3 -m pip install --quiet kafka-python
KAFKA_TEST_BOOTSTRAP=$kafka with_server kafka run_ctest build -j 1 --timeout 600 -L '^kafka$'

# The Cassandra sink and the CQL client against a real node (scripts/cassandra.sh: Apache
# Cassandra 5.0 from Maven Central, 127.0.0.1 only), one test at a time; the node stops
# afterwards whatever happened. The Python driver (the seed's client) is the witness.
step "Cassandra sink against a real node"
python3 -c 'import cassandra' 2>/dev/null || python3 -m pip install --quiet cassandra-driver
CASSANDRA_TEST_ADDRESS=$cassandra with_server cassandra run_ctest build -j 1 --timeout 900 -L '^cassandra$'

if [ "${TEST_SH_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "tests under ASan + UBSan"
  wait_build asan
  ASAN_OPTIONS=detect_leaks=1 run_ctest build-asan -j "$jobs" --timeout 900

  # The Kafka producer's own memory handling (records staged in chunks that librdkafka
  # reads until their delivery reports) runs only against a broker: the sanitized
  # binary runs the whole Kafka suite (label kafka; ~2 min, most of it the suite's own
  # waits: a 20 s outage, a kill -9 takeover, a 15 s sink stall).
  step "Kafka backend under ASan + UBSan (real broker)"
  KAFKA_TEST_BOOTSTRAP=$kafka ASAN_OPTIONS=detect_leaks=1 \
    with_server kafka run_ctest build-asan -j 1 --timeout 600 -L '^kafka$'

  # librdkafka starts its threads with C11 thrd_create, which TSan does not intercept:
  # a librdkafka thread crashes in TSan's allocator, so the Kafka producer stays out
  # (test_kafka has no tsan label; the producer's test in test_log skips itself).
  # tests_tsan builds every binary labelled tsan.
  step "concurrent parts under TSan (label tsan)"
  wait_build tsan
  TSAN_OPTIONS=halt_on_error=1 run_ctest build-tsan -j "$jobs" --timeout 900 -L '^tsan$'
fi

step "fuzz targets (${FUZZ_SECONDS:-20} s each)"
wait_build fuzz
wait "$builder"
builder=
bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
step "all tests passed"
