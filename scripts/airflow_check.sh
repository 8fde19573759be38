#!/usr/bin/env bash
# Checks the Airflow DAG deploy/airflow/dags/user_automation.py against a built sluice:
# byte-compiles it, installs Apache Airflow from PyPI into a venv (build/airflow-venv,
# reused while it holds the same version and pins), then runs `airflow dags test
# user_automation` on SQLite in a scratch AIRFLOW_HOME (build/airflow-check, new each run)
# and checks that both tasks succeeded and that the table has every produced row.
#
# Usage: scripts/airflow_check.sh [SLUICE_BINARY]   (default build/sluice)
#   AIRFLOW_CHECK_SYNTAX_ONLY=1   only byte-compile the DAG (no install, no binary needed)
#   AIRFLOW_CHECK_VENV, AIRFLOW_CHECK_DIR   the venv and the scratch dir (defaults above)
#   AIRFLOW_CHECK_PYTHON          the Python to build the venv from (default python3)
#   AIRFLOW_CHECK_AIRFLOW         one pip requirement instead of the candidates below,
#                                 e.g. apache-airflow==2.11.2
#   AIRFLOW_CHECK_CONFIG          the sluice config (default config/user_automation.yaml)
#   Relative paths in these variables are from the repo's root.
#
# The version is the seed's Airflow 2.6.0; where it cannot install or run (it supports
# Python 3.7-3.11) the newest 2.x, then the newest release. Without Airflow's constraint
# files (not on PyPI) 2.6.0 needs the pins below, each found by a failure of the newest.
# The check is hermetic: AIRFLOW_*, AIRFLOW_VAR_/CONN_ and SLUICE_* variables of the caller
# are dropped, so neither a real metadata DB nor a config override is touched.
set -euo pipefail
sluice=${1:-}
if [ -n "$sluice" ] && [ "${sluice#/}" = "$sluice" ]; then sluice=$PWD/$sluice; fi  # from the caller's cwd
cd "$(dirname "$0")/.."
repo=$PWD
sluice=${sluice:-$repo/build/sluice}

dag_dir=$repo/deploy/airflow/dags
dag_file=$dag_dir/user_automation.py
config=${AIRFLOW_CHECK_CONFIG:-$repo/config/user_automation.yaml}
venv=${AIRFLOW_CHECK_VENV:-build/airflow-venv}
scratch=${AIRFLOW_CHECK_DIR:-build/airflow-check}
python=${AIRFLOW_CHECK_PYTHON:-python3}
case $config in /*) ;; *) config=$repo/$config ;; esac
logical_date=2025-11-18  # a day after the DAG's start_date (2025-11-17 10:00 UTC)

say() { printf 'airflow_check: %s\n' "$*"; }
die() { printf 'airflow_check: FAILED: %s\n' "$*" >&2; exit 1; }
# show_tail FILE: the end of a log, to explain a failure.
show_tail() { printf -- '--- last lines of %s ---\n' "$1" >&2; tail -n "${2:-40}" "$1" >&2; printf -- '---\n' >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Syntax, always first (the .pyc goes to a temporary dir, not next to the DAG).
say "byte-compiling $dag_file"
PYTHONPYCACHEPREFIX=$tmp/pyc "$python" -m py_compile "$dag_file" || die "the DAG does not compile: $dag_file"
if [ "${AIRFLOW_CHECK_SYNTAX_ONLY:-0}" = 1 ]; then
  say "syntax only (AIRFLOW_CHECK_SYNTAX_ONLY=1): ok"
  exit 0
fi

if [ ! -f "$sluice" ] || [ ! -x "$sluice" ]; then
  die "no sluice binary at $sluice (build it: bash scripts/build.sh sluice)"
fi
sluice=$(cd "$(dirname "$sluice")" && pwd)/$(basename "$sluice")
"$sluice" --version >/dev/null 2>&1 || die "$sluice --version failed"

# 2. Airflow. Each candidate: a pip requirement line and the pins it needs.
# 2.6.0 on Python 3.11, each pin found by a failure of the newest release:
#   pendulum 3 (pendulum.tz.timezone is not callable: no command starts), pydantic 2
#   (airflow/serialization/pydantic/*: db init fails), Werkzeug 3 (Flask 2.2 imports
#   url_quote), Flask-Session 0.6+ (no flask_session.sessions: the webserver fails),
#   connexion 3 (the REST API), WTForms 3.1+ (Flask-AppBuilder 4.3.0's forms fail);
#   the providers are 2.6.0's own (newer ones need a newer Airflow: pip backtracks).
pins_2_6_0=(
  pendulum==2.1.2 pydantic==1.10.27 Werkzeug==2.2.3 Flask-Session==0.5.0
  "connexion[flask]==2.14.2" WTForms==3.0.1
  apache-airflow-providers-common-sql==1.4.0 apache-airflow-providers-ftp==3.3.1
  apache-airflow-providers-http==4.3.0 apache-airflow-providers-imap==3.1.1
  apache-airflow-providers-sqlite==3.3.2
)
candidates=("apache-airflow==2.6.0" "apache-airflow>=2,<3" "apache-airflow")
if [ -n "${AIRFLOW_CHECK_AIRFLOW:-}" ]; then candidates=("$AIRFLOW_CHECK_AIRFLOW"); fi
pins_for() {
  case $1 in
    apache-airflow==2.6.0) printf '%s\n' "${pins_2_6_0[@]}" ;;
  esac
}

py_version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') \
  || die "$python does not run"
airflow=$venv/bin/airflow
stamp_file=$venv/.airflow-check-stamp
failures=()

# install REQUIREMENT: a new venv with REQUIREMENT and its pins; 0 if it installs and
# `airflow version` runs. Its pip log is $venv.pip.log.
install() {
  local req=$1 pins
  mapfile -t pins < <(pins_for "$req")
  say "installing $req${pins:+ with ${#pins[@]} pins} into $venv (Python $py_version; log: $venv.pip.log)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if ! "$python" -m venv "$venv" >"$venv.pip.log" 2>&1; then
    show_tail "$venv.pip.log" 15
    die "$python -m venv $venv failed (on Debian: apt-get install python3-venv)"
  fi
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --progress-bar off \
      "$req" "${pins[@]}" >>"$venv.pip.log" 2>&1; then
    show_tail "$venv.pip.log" 15
    failures+=("$req: pip install failed (Python $py_version; see $venv.pip.log)")
    return 1
  fi
  if ! AIRFLOW_HOME=$tmp/version-home "$airflow" version >"$tmp/version.log" 2>&1; then
    show_tail "$tmp/version.log" 15
    failures+=("$req: installed, but \`airflow version\` fails")
    return 1
  fi
}

# stamp REQUIREMENT: what a venv holding REQUIREMENT records (the Python, it, its pins).
stamp() { printf '%s %s %s' "$py_version" "$1" "$(pins_for "$1" | tr '\n' ' ')"; }

start=$SECONDS
chosen=
# A venv that holds any candidate is reused: one that fell back (2.6.0 does not build on
# this Python) does not retry the candidates before it on every run.
for req in "${candidates[@]}"; do
  if [ -x "$airflow" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$(stamp "$req")" ]; then
    say "reusing $venv ($req)"
    chosen=$req
    break
  fi
done
if [ -z "$chosen" ]; then
  for req in "${candidates[@]}"; do
    if install "$req"; then
      stamp "$req" >"$stamp_file"
      chosen=$req
      say "installed in $((SECONDS - start)) s"
      break
    fi
    say "$req did not install or run; trying the next candidate"
  done
fi
if [ -z "$chosen" ]; then
  for f in "${failures[@]}"; do printf '  %s\n' "$f" >&2; done
  die "no Apache Airflow could be installed and run with $python ($py_version)"
fi
version=$(AIRFLOW_HOME=$tmp/version-home "$airflow" version 2>/dev/null | tail -n 1)
[ ${#failures[@]} -eq 0 ] || say "note: fell back to Airflow $version: ${failures[*]}"

# 3. A scratch AIRFLOW_HOME on SQLite, and nothing of the caller's environment that
# Airflow (AIRFLOW_*) or sluice (SLUICE_*) would read.
while IFS= read -r name; do
  case $name in
    AIRFLOW_CHECK_*) ;;
    AIRFLOW_* | SLUICE_*) unset "$name" ;;
  esac
done < <(compgen -e)
rm -rf "$scratch"
mkdir -p "$scratch/home" "$scratch/work"
scratch=$(cd "$scratch" && pwd)
export AIRFLOW_HOME=$scratch/home
export AIRFLOW__CORE__DAGS_FOLDER=$dag_dir
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS=False
export AIRFLOW__LOGGING__COLORED_CONSOLE_LOG=False
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ next to the DAG (a PYTHONPYCACHEPREFIX would recompile Airflow)
export AIRFLOW_VAR_SLUICE_BIN=$sluice
export AIRFLOW_VAR_SLUICE_CONFIG=$config
export AIRFLOW_VAR_SLUICE_PRODUCE_FOR=3s
export AIRFLOW_VAR_SLUICE_WORKDIR=$scratch/work

test_start=$SECONDS
# `db migrate` since 2.7 (`db init` is gone in 3.x); 2.6 has `db init`.
if "$airflow" db --help 2>/dev/null | grep -w migrate >/dev/null; then db_cmd=migrate; else db_cmd=init; fi
say "Airflow $version: airflow db $db_cmd (SQLite in $AIRFLOW_HOME)"
"$airflow" db "$db_cmd" >"$scratch/db.log" 2>&1 || { show_tail "$scratch/db.log"; die "airflow db $db_cmd failed (Airflow $version)"; }
say "  done in $((SECONDS - test_start)) s; importing the DAG"

# The DAG must import cleanly: an import error would otherwise show as "not found".
"$venv/bin/python" - "$dag_dir" >"$scratch/import.log" 2>&1 <<'EOF' || { show_tail "$scratch/import.log"; die "the DAG does not import in Airflow $version"; }
import sys
from airflow.models import DagBag
bag = DagBag(sys.argv[1])  # examples: AIRFLOW__CORE__LOAD_EXAMPLES=False
for path, error in bag.import_errors.items():
    print(f"{path}: {error}")
if bag.import_errors or "user_automation" not in bag.dags:
    sys.exit(1)
print("tasks:", sorted(bag.dags["user_automation"].task_ids))
EOF

say "airflow dags test user_automation $logical_date (sluice_bin=$sluice, produce for 3s, workdir $scratch/work)"
rc=0 step_start=$SECONDS
"$airflow" dags test user_automation "$logical_date" >"$scratch/dags-test.log" 2>&1 || rc=$?
say "  exited $rc in $((SECONDS - step_start)) s (log: $scratch/dags-test.log)"
failed=()
for task in stream_data stream; do
  state=$("$airflow" tasks state user_automation "$task" "$logical_date" 2>/dev/null | tail -n 1) || state="(unknown)"
  say "task $task: $state"
  [ "$state" = success ] || failed+=("$task: $state")
done
if [ "$rc" -ne 0 ] || [ ${#failed[@]} -ne 0 ]; then
  show_tail "$scratch/dags-test.log" 40
  # The cause is sluice's own output, before the traceback: the lines up to the first
  # failed command (the BashOperator logs "Command exited with return code N").
  n=$(grep -n -m 1 'Command exited with return code [1-9]' "$scratch/dags-test.log" | cut -d: -f1) || n=
  if [ -n "$n" ]; then
    printf -- '--- the failed command'"'"'s output (lines %d-%d of the log) ---\n' $((n > 10 ? n - 10 : 1)) "$n" >&2
    sed -n "$((n > 10 ? n - 10 : 1)),${n}p" "$scratch/dags-test.log" >&2
    printf -- '---\n' >&2
  fi
  die "airflow dags test exited $rc; tasks not successful: ${failed[*]:-none} (log: $scratch/dags-test.log)"
fi

# Both tasks print a JSON summary; the table must hold every produced record.
produced=$(grep -o -m 1 '"produced":[0-9]*' "$scratch/dags-test.log" | cut -d: -f2) || true
written=$(grep -o '"written_rows":[0-9]*' "$scratch/dags-test.log" | tail -n 1 | cut -d: -f2) || true
rows=$(cd "$scratch/work" && "$sluice" --config "$config" query --json "SELECT count(*) AS n FROM users") \
  || die "sluice query \"SELECT count(*) FROM users\" in $scratch/work failed"
rows=$(printf '%s' "$rows" | grep -o -m 1 '[0-9][0-9]*') || rows=
say "produced ${produced:-?}, stream wrote ${written:-?}, users has ${rows:-?} rows"
[ "${produced:-0}" -gt 0 ] || die "stream_data printed no summary with \"produced\" > 0 (log: $scratch/dags-test.log)"
[ "$rows" = "$produced" ] || die "users has ${rows:-no} rows, stream_data produced $produced"
say "ok: Airflow $version ran user_automation (stream_data >> stream) in $((SECONDS - test_start)) s"
