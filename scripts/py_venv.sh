#!/usr/bin/env bash
# A Python venv with the witnesses the tests use from PyPI (build/py-venv): the
# prometheus_client text-format parser that checks /metrics (tests/web/check_metrics.py).
# Idempotent: reused while it holds the pinned versions. Prints the venv's python last.
# Usage: scripts/py_venv.sh   (PY_VENV_DIR: the venv, default build/py-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PY_VENV_DIR:-build/py-venv}
pins=(prometheus_client==0.26.0)
stamp=$venv/.pins
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${pins[*]}" ]; then
  echo "py_venv: installing ${pins[*]} into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}" >&2
  echo "${pins[*]}" > "$stamp"
fi
echo "$PWD/$venv/bin/python"
