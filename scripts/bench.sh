#!/usr/bin/env bash
# Builds and runs the benchmarks in bench/, 5 repetitions each, printing the median
# (and mean/stddev) of records/s and MB/s. Extra arguments go to every benchmark,
# e.g. scripts/bench.sh --benchmark_filter=Map
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
cd build
for b in bench/*_bench; do
  echo "== $b"
  "$b" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "$@"
done
echo "== bench/pipeline_bench.sh"
cd ..
bash bench/pipeline_bench.sh
