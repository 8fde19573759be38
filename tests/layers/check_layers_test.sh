#!/usr/bin/env bash
# scripts/check_layers.sh catches what it is for: on a copy of src/ it passes, then fails
# (exit 1) on each kind of wrong include, naming the file, the line and the header:
# a bottom module reaching the top (common -> cli), a backend reaching a sibling backend
# (sinks/cassandra -> sinks/sqlite, what cassandra_query.h once did), and a new folder the
# table does not know. Run by ctest (label lint). Usage: check_layers_test.sh REPO_ROOT
set -euo pipefail

root=${1:?usage: check_layers_test.sh REPO_ROOT}
check="$root/scripts/check_layers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fail() {
  echo "FAIL: $*"
  echo "--- check_layers.sh printed:"
  cat out
  exit 1
}

# Runs the check on ./src; sets rc and leaves its output in ./out.
run_check() {
  rc=0
  bash "$check" src >out 2>&1 || rc=$?
}

# Appends an include to a file of the copy; echoes the line number it landed on.
add_include() {
  local file=$1 header=$2
  echo "#include \"$header\"" >>"src/$file"
  wc -l <"src/$file" | tr -d ' '
}

# Expects exit 1 and exactly the given lines (in any order) as the output.
expect_violations() {
  run_check
  [ "$rc" -eq 1 ] || fail "expected exit 1, got $rc"
  diff <(printf '%s\n' "$@" | sort) <(sort out) >/dev/null || fail "expected exactly: $(printf '\n  %s' "$@")"
}

reset_copy() {
  rm -rf src
  cp -r "$root/src" src
}

reset_copy
run_check
[ "$rc" -eq 0 ] || fail "the unmodified copy of src/ does not pass (exit $rc)"
[ ! -s out ] || fail "the unmodified copy of src/ passes but prints something"

# common/ may include nothing outside itself.
line=$(add_include common/units.cpp cli/cli.h)
expect_violations "src/common/units.cpp:$line: common may not include \"cli/cli.h\""
echo "ok: common -> cli is refused at src/common/units.cpp:$line"

# A backend may not reach a sibling backend, and every violation is listed.
line2=$(add_include sinks/cassandra/cassandra_query.h sinks/sqlite/sqlite_sink.h)
expect_violations "src/common/units.cpp:$line: common may not include \"cli/cli.h\"" \
                  "src/sinks/cassandra/cassandra_query.h:$line2: sinks/cassandra may not include \"sinks/sqlite/sqlite_sink.h\""
echo "ok: sinks/cassandra -> sinks/sqlite is refused at src/sinks/cassandra/cassandra_query.h:$line2"

# A folder the table has no line for fails until it gets one.
reset_copy
mkdir src/newmodule
echo '#include "common/error.h"' >src/newmodule/thing.cpp
run_check
[ "$rc" -eq 1 ] || fail "a folder without a line in the table: expected exit 1, got $rc"
grep -q '^src/newmodule: folder newmodule has no line in ' out || fail "the unknown folder is not named"
echo "ok: a folder missing from the table is refused"

# A usage error is not a layering verdict.
rc=0
bash "$check" "$tmp/no-such-dir" >out 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a missing source directory: expected exit 2, got $rc"
echo "ok: a missing directory is a usage error (exit 2)"
