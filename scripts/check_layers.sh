#!/usr/bin/env bash
# Checks the layering of src/ against the table of allowed folder -> folder includes
# (scripts/layers.txt): every `#include "dir/header.h"` in a file of folder F must name a
# header of F itself or of a folder F's line lists. Prints
#   file:line: F may not include "dir/header.h"
# for every include that breaks it, and a line for every folder the table does not know.
# Exit status: 0 when the tree keeps the table, 1 when it does not, 2 for a usage error.
# ctest runs it (label lint); tests/layers/check_layers_test.sh shows it failing.
#
# Usage: scripts/check_layers.sh [SRC_DIR [TABLE]]   (default: src/ and scripts/layers.txt)
# Only quoted includes count; <...> includes are the system's and third parties'.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$(cd "$here/.." && pwd)/src}
table=${2:-$here/layers.txt}
src=${src%/}
[ -d "$src" ] || { echo "check_layers: no directory $src" >&2; exit 2; }
[ -f "$table" ] || { echo "check_layers: no table $table" >&2; exit 2; }

# allowed[F] = " G1 G2 ... " from the line `F: G1 G2 ...`.
declare -A allowed=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  [[ $line =~ ^[[:space:]]*$ ]] && continue
  if [[ ! $line =~ ^[[:space:]]*([^:[:space:]]+)[[:space:]]*:(.*)$ ]]; then
    echo "check_layers: $table: expected \`folder: folders...\`, got \"$line\"" >&2
    exit 2
  fi
  folder=${BASH_REMATCH[1]}
  deps=${BASH_REMATCH[2]}
  allowed[$folder]=" $(echo $deps) "  # word-split on purpose: one space between names
done <"$table"

shown() { local f=$1; echo "${f#"$PWD"/}"; }
folder_of() {  # src/log/kafka/x.cpp -> log/kafka; src/main.cpp -> .
  local rel=${1#"$src"/}
  [[ $rel == */* ]] && echo "${rel%/*}" || echo .
}

status=0

# Every folder holding code needs a line, or its includes would go unchecked.
declare -A unknown=()
while IFS= read -r -d '' f; do
  d=$(folder_of "$f")
  if [ -z "${allowed[$d]+x}" ] && [ -z "${unknown[$d]+x}" ]; then
    unknown[$d]=1
    echo "$(shown "$src/$d"): folder $d has no line in $(shown "$table") (add what it may include)"
    status=1
  fi
done < <(find "$src" -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.h.in' \) -print0 | sort -z)

# grep prints path:line:text; sorted by path, then line.
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  lineno=${rest%%:*}
  text=${rest#*:}
  [[ $text =~ \"([^\"]+)\" ]] || continue
  header=${BASH_REMATCH[1]}
  [[ $header == */* ]] || continue  # "x.h": the including file's own folder
  from=$(folder_of "$file")
  to=${header%/*}
  [ "$to" = "$from" ] && continue
  [ -n "${unknown[$from]+x}" ] && continue  # reported above
  if [[ ${allowed[$from]} != *" $to "* ]]; then
    echo "$(shown "$file"):$lineno: $from may not include \"$header\""
    status=1
  fi
done < <(grep -rnE --include='*.h' --include='*.cpp' --include='*.h.in' \
           '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src" | sort -t: -k1,1 -k2,2n || true)

exit $status
