#!/usr/bin/env bash
# Builds and runs every test: the GoogleTest suites under ctest, again under
# ASan+UBSan and (for the concurrent parts) TSan, then each libFuzzer target for a
# bounded time. Installs what is missing first. FUZZ_SECONDS (default 20) bounds
# each fuzz run; SLUICE_SKIP_SANITIZERS=1 skips the sanitizer builds.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
bash scripts/build.sh

step() { printf '\n==== %s ====\n' "$*"; }

step "unit and integration tests (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)

# The Kafka tests run against a real broker (scripts/kafka.sh: Apache Kafka from Maven
# Central, KRaft, 127.0.0.1 only), one test at a time, and the broker stops afterwards
# whatever happened. kafka-python is the seed's own client, used as a witness.
step "Kafka backend against a real broker"
python3 -c 'import kafka' 2>/dev/null || python3 -m pip install --quiet kafka-python
bash scripts/kafka.sh start
trap 'bash scripts/kafka.sh stop >/dev/null 2>&1 || true' EXIT
(cd build && KAFKA_TEST_BOOTSTRAP=127.0.0.1:${SLUICE_KAFKA_PORT:-19092} ctest --output-on-failure -j 1 --timeout 600 -R '^test_kafka\.')
bash scripts/kafka.sh stop
trap - EXIT

# The Cassandra sink and the CQL client against a real node (scripts/cassandra.sh: Apache
# Cassandra 5.0 from Maven Central, 127.0.0.1 only), one test at a time; the node stops
# afterwards whatever happened. The Python driver (the seed's client) is the witness.
step "Cassandra sink against a real node"
python3 -c 'import cassandra' 2>/dev/null || python3 -m pip install --quiet cassandra-driver
bash scripts/cassandra.sh start
trap 'bash scripts/cassandra.sh stop >/dev/null 2>&1 || true' EXIT
(cd build && CASSANDRA_TEST_ADDRESS=127.0.0.1:${SLUICE_CASSANDRA_PORT:-9042} ctest --output-on-failure -j 1 --timeout 900 \
  -R '^test_cassandra\.')
bash scripts/cassandra.sh stop
trap - EXIT

if [ "${SLUICE_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "tests under ASan + UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_BENCH=OFF \
    -DSLUICE_SANITIZE=address,undefined >/dev/null
  ninja -C build-asan -j "$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" --timeout 900)

  # The Kafka producer's own memory handling (records staged in chunks that librdkafka
  # reads until their delivery reports) runs only against a broker: the sanitized
  # binary produces and streams through the tests that exercise it (~25 s).
  step "Kafka producer and stream under ASan + UBSan (real broker)"
  bash scripts/kafka.sh start
  trap 'bash scripts/kafka.sh stop >/dev/null 2>&1 || true' EXIT
  (cd build-asan && KAFKA_TEST_BOOTSTRAP=127.0.0.1:${SLUICE_KAFKA_PORT:-19092} ASAN_OPTIONS=detect_leaks=1 \
    ctest --output-on-failure -j 1 --timeout 600 \
    -R '^test_kafka\.KafkaTest\.(RunEndToEnd|KcatReads|FullProducerQueue|GroupedSending|AddedPartitions|StreamWritesWhatKcat)')
  bash scripts/kafka.sh stop
  trap - EXIT

  # librdkafka starts its threads with C11 thrd_create, which TSan does not intercept:
  # a librdkafka thread crashes in TSan's allocator, so the Kafka producer stays out.
  step "concurrent parts under TSan (log, produce, query, CQL client)"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_BENCH=OFF \
    -DSLUICE_SANITIZE=thread >/dev/null
  ninja -C build-tsan -j "$jobs" test_log test_produce test_query test_cassandra sluice
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" --timeout 900 \
    -R '^test_(log|produce)\.|^test_query\.QueryTest\.|^test_cassandra\.(Connection|Session|CassandraSink)\.' \
    -E '^test_log\.KafkaProducerTest\.')
fi

step "fuzz targets (${FUZZ_SECONDS:-20} s each)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
