#!/usr/bin/env bash
# Installs the build dependencies (scripts/setup.sh) and builds sluice into build/
# (CMakePresets.json's "default": RelWithDebInfo).
# Usage: scripts/build.sh [TARGET...] [-DNAME=VALUE...]
#   TARGETs are ninja targets, by default all of them (sluice, the tests, the benchmarks):
#   scripts/build.sh sluice builds the binary alone. -D options go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/cmake.sh
bash scripts/setup.sh
targets=() defs=()
for arg in "$@"; do
  case $arg in
    -D*) defs+=("$arg") ;;
    *) targets+=("$arg") ;;
  esac
done
cmake_configure default "${defs[@]}"
ninja -C build -j "$jobs" "${targets[@]}"
