#!/usr/bin/env bash
# The quick start: installs what is missing, builds, and runs the whole pipeline on
# embedded defaults, offline: the builtin source (randomuser.me's JSON) -> the
# produce task -> the embedded log in ./data/log -> the streaming query -> SQLite in
# ./data/user_data.db; then prints the summary and queries the table. Builds the
# binary alone (not the tests and benchmarks: scripts/build.sh builds those).
# Extra arguments go to `sluice run`, e.g. scripts/run.sh --for 30s --rate 50000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh sluice
echo "+ build/sluice run --for 10s --trigger 1s $*" >&2
build/sluice run --for 10s --trigger 1s "$@"
echo "+ build/sluice query \"SELECT count(*) AS users FROM users\"" >&2
build/sluice query "SELECT count(*) AS users FROM users"
