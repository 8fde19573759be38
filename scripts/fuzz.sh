#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (CMakePresets.json's "fuzz", in
# build-fuzz/) and runs each for a bounded time (default 20 s) from its seed corpus;
# fails on any crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/cmake.sh
secs=${1:-20}
cmake_configure fuzz
ninja -C build-fuzz -j "$jobs" fuzz/all  # the targets and what they link, not the binary
for target in build-fuzz/fuzz/*_fuzz; do
  name=$(basename "$target")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  [ -d "fuzz/corpus/$name" ] && cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  echo "fuzzing $name for ${secs}s"
  "$target" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 "$corpus" 2>&1 | tail -n 4
done
echo "fuzz: no crash"
