#!/usr/bin/env bash
# Whole-binary benchmark of the scheduler (`sluice scheduler`; targets in brackets):
# Default scheduler settings (scheduler.parallelism 32, max_active_runs 16). Other load
# on the machine skews every figure: the table shows how busy the CPUs were in the second
# before (a) and how much CPU other processes took during it.
#  (a) load: N DAGs (default 200) each `@every 1s`, catchup on, one task `kind: command`
#      running `true`, start_date a few seconds ahead on a whole second; the scheduler
#      runs for D seconds (default 60), then gets SIGTERM. From its metadata
#      (dag_runs, task_instances), for the scheduled runs due in [start_date, stop - 2 s]:
#      - scheduling delay first_task_start_ms - due_ms (Airflow's
#        dagrun.first_task_scheduling_delay; first_task_start_ms as the scheduler records
#        it): p50, p99, max [p99 <= 20 ms];
#      - runs created vs due (per DAG one per whole second from start_date to the window
#        end); missed: a due logical date with no run although a later one of its DAG
#        has one (a gap) [0]; backlog: due dates after a DAG's latest run (not created
#        yet: catchup holds them back while max_active_runs runs are active, i.e. the
#        scheduler fell behind) [0]; doubled: two runs for one DAG and logical date (the
#        unique key forbids it; counted from the rows anyway) [0]; runs created but whose
#        task had not started at the stop [0];
#      - task instances succeeded / failed [0] (tries the stopping SIGTERM ended are
#        counted apart), and task starts per second from the first due time to the stop;
#      - CPU seconds (user+sys) and peak RSS (VmHWM) of the scheduler process alone, read
#        from /proc/<pid>/stat and status just before SIGTERM; the CPU of everything it
#        started (task launcher, supervisors, tasks): `perf stat -e task-clock` of the
#        whole tree minus the scheduler's own (without perf: the machine's busy time
#        over the run minus the scheduler's, other load included);
#  (b) idle: one DAG `@daily` (catchup off: one run at start, then nothing due until
#      midnight) for IDLE seconds (default 10) after a 2 s settle: the CPU seconds of the
#      scheduler and its task launcher over that span [~0: it sleeps in poll() until the
#      next due time] and their context switches (wake-ups).
# Run: bash bench/scheduler_bench.sh [N [D]]  (or N=50 D=20 bash bench/scheduler_bench.sh);
# BIN (default build/sluice), IDLE (10), LEAD (seconds from launch to start_date, 3) and
# PARALLELISM (scheduler.parallelism; unset: the default, 32) are read from the
# environment; KEEP=1 keeps the scratch directory (configs, metadata, task logs).
# Needs python3 (its sqlite3 module) for the analysis. Prints a table, then one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
n=${1:-${N:-200}}
dur=${2:-${D:-60}}
idle=${IDLE:-10}
lead=${LEAD:-3}
bin=${BIN:-$PWD/build/sluice}
[ -x "$bin" ] || { echo "no sluice binary at $bin (bash scripts/build.sh sluice)" >&2; exit 1; }
mkdir -p "$PWD/build"
work=$(mktemp -d "$PWD/build/bench-scheduler.XXXXXX")
pid= outer=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; fi
  if [ -n "$outer" ] && kill -0 "$outer" 2>/dev/null; then kill -TERM "$outer"; wait "$outer" || true; fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
tck=$(getconf CLK_TCK)

# cpu PID: "user_ticks+sys_ticks children_ticks" of the process (all threads) and of
# its reaped children (fields 14-17 of /proc/PID/stat, counted after the comm field).
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13, $14 + $15}'; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# The scheduler and its children (the task launcher): CPU ticks, context switches.
tree() { echo "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); }
tree_ticks() { local p s=0; for p in $(tree "$1"); do s=$((s + $(cpu "$p" | cut -d' ' -f1))); done; echo $s; }
tree_ctxt() {
  local p
  for p in $(tree "$1"); do cat /proc/"$p"/task/*/status; done | awk '/ctxt_switches/ {s += $2} END {print s}'
}
ms_now() { date +%s%3N; }

# common_cfg DIR: the keys every config of this bench changes.
common_cfg() {
  cat <<EOF
log: file:$1/log
sink: sqlite:$1/u.db
scheduler:
  metadata: $1/meta.db
  logs: $1/logs
EOF
  [ -z "${PARALLELISM:-}" ] || echo "  parallelism: $PARALLELISM"
  echo "dags:"
}

# start_scheduler CFG LOG META: launches `sluice scheduler` in the background, under
# `perf stat -e task-clock` when perf works (it counts the whole process tree: the
# scheduler, its task launcher, the supervisors and the tasks, auto-reaped ones
# included); sets pid to the scheduler's (from META.lock) and tree_ms_file.
start_scheduler() {
  tree_ms_file=
  if [ -n "$perf_ok" ]; then
    tree_ms_file="$2.perf"
    perf stat -x, -e task-clock -o "$tree_ms_file" -- "$bin" --config "$1" scheduler >"$2" 2>&1 &
  else
    "$bin" --config "$1" scheduler >"$2" 2>&1 &
  fi
  outer=$!
  local i
  pid=
  for i in $(seq 1 100); do
    pid=$({ tr -dc 0-9 <"$3.lock"; } 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return
    kill -0 "$outer" 2>/dev/null || break
    sleep 0.05
  done
  echo "the scheduler did not start; its log:" >&2; tail -20 "$2" >&2; exit 1
}
stop_scheduler() {
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  wait "$outer" || true
  pid= outer=
  grep -q "scheduler stopped" "$1" || { echo "the scheduler did not stop cleanly; its log:" >&2; tail -20 "$1" >&2; exit 1; }
}
# tree_cpu_s: CPU seconds of the whole tree of the last scheduler run (perf), or empty.
tree_cpu_s() {
  [ -n "$tree_ms_file" ] || return 0
  awk -F, '$3 == "task-clock" {printf "%.2f", $1 / 1000}' "$tree_ms_file"
}
# machine_busy: busy jiffies of all CPUs (/proc/stat), the fallback without perf.
machine_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
perf_ok=
if command -v perf >/dev/null && perf stat -e task-clock -o /dev/null -- true 2>/dev/null; then perf_ok=1; fi

# ---- (a) load
# How busy the machine is before (a): the share of all CPUs busy over a second, and the
# load average.
read -r t0 i0 < <(awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8, $5 + $6}' /proc/stat)
sleep 1
read -r t1 i1 < <(awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8, $5 + $6}' /proc/stat)
busy_before=$(awk -v t=$((t1 - t0)) -v i=$((i1 - i0)) 'BEGIN {printf "%.0f", (t > 0 ? 100 * (t - i) / t : 0)}')
load0=$(cut -d' ' -f1 /proc/loadavg)
mkdir -p "$work/a"
start_s=$(( $(date +%s) + lead ))
start_iso=$(date -u -d "@$start_s" +%Y-%m-%dT%H:%M:%SZ)
{
  common_cfg "$work/a"
  for i in $(seq -w 1 "$n"); do
    cat <<EOF
  d$i:
    schedule: "@every 1s"
    start_date: "$start_iso"
    catchup: true
    tasks:
      t:
        kind: command
        command: [true]
EOF
  done
} >"$work/a.yaml"
"$bin" --config "$work/a.yaml" config check >/dev/null

echo "(a) $n DAGs @every 1s from $start_iso, scheduler for $dur s ($(nproc) CPUs, ${busy_before}% busy before, load average $load0)..."
launch_ms=$(ms_now)
busy0=$(machine_busy)
start_scheduler "$work/a.yaml" "$work/a.log" "$work/a/meta.db"
sleep "$dur"
kill -0 "$pid" 2>/dev/null || { echo "the scheduler died; its log:" >&2; tail -20 "$work/a.log" >&2; exit 1; }
read -r a_self _ < <(cpu "$pid")
a_hwm=$(hwm_kb "$pid")
stop_ms=$(ms_now)
busy1=$(machine_busy)
stop_scheduler "$work/a.log"
a_tree=$(tree_cpu_s)

python3 - "$work/a/meta.db" "$n" "$((start_s * 1000))" "$((stop_ms - 2000))" "$stop_ms" >"$work/a.json" <<'EOF'
import json, sqlite3, sys
db, n, start, end, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
runs = con.execute("SELECT dag_id, run_id, logical_ms, due_ms, first_task_start_ms FROM dag_runs "
                   "WHERE run_type = 'scheduled' AND due_ms >= ? AND due_ms <= ?", (start, end)).fetchall()
expected = max(0, (end - start) // 1000)  # logical dates start + k s, due at start + (k+1) s <= end
seen, doubled = {}, 0
for dag, _, logical, _, _ in runs:
    k = (dag, logical)
    seen[k] = seen.get(k, 0) + 1
doubled = sum(c - 1 for c in seen.values())
dags = [r[0] for r in con.execute("SELECT DISTINCT dag_id FROM dag_runs")]
names = sorted(set(dags) | {f"d{i:0{len(str(n))}d}" for i in range(1, n + 1)})
missed = backlog = 0
for d in names:
    got = [k for k in range(expected) if (d, start + 1000 * k) in seen]
    last = got[-1] if got else -1
    missed += last + 1 - len(got)
    backlog += expected - 1 - last
delays = sorted(f - due for _, _, _, due, f in runs if f > 0)
not_started = sum(1 for r in runs if r[4] <= 0)
def pct(p):
    return delays[min(len(delays) - 1, max(0, -(-len(delays) * p // 100) - 1))] if delays else -1
keys = {(r[0], r[1]) for r in runs}
states = {}
for dag, run, state, end_ms in con.execute("SELECT dag_id, run_id, state, end_ms FROM task_instances"):
    if (dag, run) in keys:
        if state == "failed" and end_ms >= stop:
            state = "failed_at_stop"  # ended by the SIGTERM that stopped the scheduler
        states[state] = states.get(state, 0) + 1
print(json.dumps({"created": len(runs), "due": n * expected, "missed": missed, "backlog": backlog, "doubled": doubled,
                  "not_started": not_started, "delay_p50_ms": pct(50), "delay_p99_ms": pct(99),
                  "delay_max_ms": delays[-1] if delays else -1,
                  "delay_mean_ms": round(sum(delays) / len(delays), 1) if delays else -1,
                  "tasks_succeeded": states.pop("success", 0), "tasks_failed": states.pop("failed", 0),
                  "tasks_failed_at_stop": states.pop("failed_at_stop", 0),
                  "tasks_other": sum(states.values()),
                  "task_starts_per_s": round(con.execute("SELECT count(*) FROM task_instances WHERE start_ms >= ?",
                                                         (start,)).fetchone()[0] * 1000 / max(1, stop - start - 1000), 1)}, separators=(",", ":")))
EOF

# ---- (b) idle
mkdir -p "$work/b"
{
  common_cfg "$work/b"
  cat <<EOF
  idle:
    schedule: "@daily"
    start_date: "$(date -u -d yesterday +%Y-%m-%d)"
    catchup: false
    tasks:
      t:
        kind: command
        command: [true]
EOF
} >"$work/b.yaml"
echo "(b) one DAG @daily, idle for $idle s..."
start_scheduler "$work/b.yaml" "$work/b.log" "$work/b/meta.db"
sleep 2
b0=$(tree_ticks "$pid"); c0=$(tree_ctxt "$pid")
sleep "$idle"
b1=$(tree_ticks "$pid"); c1=$(tree_ctxt "$pid")
stop_scheduler "$work/b.log"

# ---- results
j=$(cat "$work/a.json")
f() { field "$1" <<<"$j"; }
secs() { awk -v t="$1" -v k="$tck" 'BEGIN {printf "%.2f", t / k}'; }
a_cpu=$(secs "$a_self"); a_rss=$(( a_hwm / 1024 ))
if [ -n "$a_tree" ]; then
  a_child=$(awk -v t="$a_tree" -v s="$a_cpu" 'BEGIN {printf "%.2f", t - s}'); child_how="perf stat of the tree"
  other=$(awk -v b="$((busy1 - busy0))" -v k="$tck" -v t="$a_tree" 'BEGIN {v = b / k - t; printf "%.1f", (v < 0 ? 0 : v)}')
else
  a_child=$(awk -v b="$((busy1 - busy0))" -v k="$tck" -v s="$a_cpu" 'BEGIN {printf "%.2f", b / k - s}')
  child_how="machine-wide, other load included"
  other=-1
fi
idle_cpu=$(secs $((b1 - b0))); wakeups=$((c1 - c0))
ran_s=$(awk -v a="$launch_ms" -v b="$stop_ms" 'BEGIN {printf "%.1f", (b - a) / 1000}')
echo
printf '%-46s %-14s %s\n' "measure" "value" "target"
printf '%-46s %-14s %s\n' "DAGs (@every 1s, one task: true)" "$n" ""
printf '%-46s %-14s %s\n' "scheduler ran (s)" "$ran_s" ""
printf '%-46s %-14s %s\n' "CPUs / busy before (a) / load average" "$(nproc) / ${busy_before}% / $load0" "(other load skews all)"
printf '%-46s %-14s %s\n' "scheduling delay p50 (ms)" "$(f delay_p50_ms)" ""
printf '%-46s %-14s %s\n' "scheduling delay p99 (ms)" "$(f delay_p99_ms)" "<= 20"
printf '%-46s %-14s %s\n' "scheduling delay max (ms)" "$(f delay_max_ms)" ""
printf '%-46s %-14s %s\n' "runs created / due" "$(f created) / $(f due)" ""
printf '%-46s %-14s %s\n' "runs missed" "$(f missed)" "0"
printf '%-46s %-14s %s\n' "runs backlogged (due, not created yet)" "$(f backlog)" "0"
printf '%-46s %-14s %s\n' "runs doubled" "$(f doubled)" "0"
printf '%-46s %-14s %s\n' "runs created but not started" "$(f not_started)" "0"
printf '%-46s %-14s %s\n' "tasks succeeded / failed" "$(f tasks_succeeded) / $(f tasks_failed)" "- / 0"
printf '%-46s %-14s %s\n' "tasks failed by the stop / not ended" "$(f tasks_failed_at_stop) / $(f tasks_other)" ""
printf '%-46s %-14s %s\n' "task starts per second (due: $n/s)" "$(f task_starts_per_s)" "$n"
printf '%-46s %-14s %s\n' "scheduler CPU s (user+sys, itself)" "$a_cpu" ""
printf '%-46s %-14s %s\n' "children CPU s (launcher, supervisors, tasks)" "$a_child" "($child_how)"
printf '%-46s %-14s %s\n' "other processes' CPU s during (a)" "$other" "0 (-1: unknown)"
printf '%-46s %-14s %s\n' "scheduler peak RSS (MB)" "$a_rss" ""
printf '%-46s %-14s %s\n' "idle: CPU s over $idle s (@daily; +launcher)" "$idle_cpu" "~0"
printf '%-46s %-14s %s\n' "idle: context switches over $idle s (wake-ups)" "$wakeups" ""
inner=${j#\{}; inner=${inner%\}}
echo "{\"bench\":\"scheduler\",\"dags\":$n,\"duration_s\":$dur,\"cpus\":$(nproc),\"busy_before_pct\":$busy_before,\"load_before\":$load0,$inner,\"sched_cpu_s\":$a_cpu,\"children_cpu_s\":$a_child,\"other_cpu_s\":$other,\"peak_rss_mb\":$a_rss,\"idle_s\":$idle,\"idle_cpu_s\":$idle_cpu,\"idle_ctxt_switches\":$wakeups}"
