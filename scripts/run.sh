#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs the pipeline's produce
# task on embedded defaults (builtin source -> embedded log in ./data), offline.
# Extra arguments go to `sluice produce`, e.g. scripts/run.sh --for 30s --rate 1000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "+ build/sluice produce --for 5s $*" >&2
build/sluice produce --for 5s "$@"
echo >&2
build/sluice topics describe
