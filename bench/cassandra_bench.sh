#!/usr/bin/env bash
# The Cassandra sink against the seed's own client, the DataStax Python driver (issue
# #5; targets in brackets). A log pre-filled with N records (default 200,000) goes
#   sluice:  `sluice stream --trigger available-now --sink cassandra://127.0.0.1:9042/bench`
#            (table bench.users, at most CONCURRENCY INSERTs in flight)
#   Python:  execute_concurrent_with_args(prepared INSERT, the same rows, concurrency=
#            CONCURRENCY) into the twin table bench.users_py, rows read from a JSONL
#            export of the same log (`sluice topics tail --json`)
# in the same run, one after the other (alternating which goes first), both at
# LOCAL_QUORUM. Per client: rows/s [sluice >= Python]; CPU seconds (user + sys) of the
# client process from /usr/bin/time [sluice <= 1/4 of Python]; write latency p50/p99
# per row (sluice: the sink's own summary, in 1/8-octave buckets; Python: a second pass
# over the first LAT_ROWS rows with execute_async and the same window, timing each
# request).
# Repeated REPS times (default 3); medians last. CONCURRENCY defaults to 256, the
# sink's default cassandra.max_in_flight.
#
# Needs Cassandra on 127.0.0.1:9042 (`bash scripts/cassandra.sh start`; started here if
# it is not running, and then stopped at the end) and `pip install cassandra-driver`.
# CASSANDRA_BENCH_BIN picks the binary (default build/sluice).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${REPS:-3}
n=${N:-200000}
conc=${CONCURRENCY:-256}
lat_rows=${LAT_ROWS:-50000}
bin=${CASSANDRA_BENCH_BIN:-$PWD/build/sluice}
cfg=$PWD/config/user_automation.yaml
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-cassandra.XXXXXX")
started=0
cleanup() {
  rm -rf "$work"
  if [ "$started" = 1 ]; then bash scripts/cassandra.sh stop >/dev/null; fi
}
trap cleanup EXIT

python3 -c 'import cassandra' 2>/dev/null || { echo "needs the Python driver: pip install cassandra-driver" >&2; exit 1; }
if ! bash scripts/cassandra.sh status >/dev/null 2>&1; then
  CASSANDRA_SH_AUTH=0 bash scripts/cassandra.sh start
  started=1
fi

cat >"$work/py_client.py" <<'EOF'
import json, sys, threading, time, uuid
from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args

COLS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username", "dob",
        "registered_date", "phone", "picture"]
mode, path, conc = sys.argv[1], sys.argv[2], int(sys.argv[3])
cluster = Cluster(["127.0.0.1"], port=9042)
s = cluster.connect()
if mode == "setup":
    s.execute("CREATE KEYSPACE IF NOT EXISTS bench WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    for t in ("users", "users_py"):
        s.execute(f"CREATE TABLE IF NOT EXISTS bench.{t} (id UUID PRIMARY KEY, " +
                  ", ".join(f"{c} TEXT" for c in COLS[1:]) + ")")
        s.execute(f"TRUNCATE bench.{t}", timeout=120)
    sys.exit(0)
if mode == "count":
    print(s.execute(f"SELECT count(*) FROM bench.{path}", timeout=120).one()[0])
    sys.exit(0)
rows = []
with open(path, encoding="utf-8") as f:
    for line in f:
        v = json.loads(json.loads(line)["value"])
        rows.append([uuid.UUID(v["id"])] + [v.get(c) for c in COLS[1:]])
ins = s.prepare("INSERT INTO bench.users_py (" + ", ".join(COLS) + ") VALUES (" + ", ".join("?" * len(COLS)) + ")")
ins.consistency_level = ConsistencyLevel.LOCAL_QUORUM
if mode == "insert":
    t0 = time.perf_counter()
    execute_concurrent_with_args(s, ins, rows, concurrency=conc, raise_on_first_error=True)
    print(json.dumps({"rows": len(rows), "elapsed_s": time.perf_counter() - t0}, separators=(",", ":")))
elif mode == "latency":  # the same window, timing each request
    rows = rows[: int(sys.argv[4])]
    window, lat, lock, done = threading.Semaphore(conc), [], threading.Lock(), threading.Event()
    left = [len(rows)]
    def finish(_, t0):
        with lock:
            lat.append(time.perf_counter() - t0)
            left[0] -= 1
            if left[0] == 0:
                done.set()
        window.release()
    for r in rows:
        window.acquire()
        t0 = time.perf_counter()
        s.execute_async(ins, r).add_callbacks(finish, finish, callback_args=(t0,), errback_args=(t0,))
    done.wait()
    lat.sort()
    print(json.dumps({"p50_ms": 1000 * lat[len(lat) // 2], "p99_ms": 1000 * lat[int(len(lat) * 0.99)]}, separators=(",", ":")))
cluster.shutdown()
EOF

echo "pre-filling $n records and exporting them as JSONL..."
"$bin" --config "$cfg" --log "file:$work/log" produce --records "$n" --rate 0 --seed 1 --json >/dev/null 2>&1
"$bin" --config "$cfg" --log "file:$work/log" topics tail user_created -n "$n" --json >"$work/rows.jsonl"
[ "$(wc -l <"$work/rows.jsonl")" = "$n" ] || { echo "export has $(wc -l <"$work/rows.jsonl") rows, expected $n" >&2; exit 1; }

run_sluice() {
  /usr/bin/time -f '%U %S' -o "$work/cpu" "$bin" --config "$cfg" --log "file:$work/log" \
    --sink cassandra://127.0.0.1:9042/bench --set "cassandra.max_in_flight=$conc" \
    stream --trigger available-now --group "bench$1" --json >"$work/out" 2>"$work/err"
  local rows secs
  rows=$(field written_rows <"$work/out"); secs=$(field elapsed_s <"$work/out")
  s_rate=$(awk -v r="$rows" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')
  s_cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/cpu")
  s_p50=$(grep -o 'p50 [0-9.]* ms' "$work/err" | tail -1 | awk '{print $2}')
  s_p99=$(grep -o 'p99 [0-9.]* ms' "$work/err" | tail -1 | awk '{print $2}')
  [ "$rows" = "$n" ] || { echo "sluice wrote $rows rows, expected $n" >&2; tail "$work/err" >&2; exit 1; }
}

run_python() {
  /usr/bin/time -f '%U %S' -o "$work/cpu" python3 "$work/py_client.py" insert "$work/rows.jsonl" "$conc" >"$work/out"
  local secs
  secs=$(field elapsed_s <"$work/out")
  p_rate=$(awk -v r="$n" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')
  p_cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/cpu")
  python3 "$work/py_client.py" latency "$work/rows.jsonl" "$conc" "$lat_rows" >"$work/lat"
  p_p50=$(field p50_ms <"$work/lat"); p_p99=$(field p99_ms <"$work/lat")
}

: >"$work/results"
for i in $(seq 1 "$reps"); do
  python3 "$work/py_client.py" setup - 0
  if [ $((i % 2)) = 1 ]; then run_sluice "$i"; run_python; else run_python; run_sluice "$i"; fi
  [ "$(python3 "$work/py_client.py" count users 0)" = "$n" ] || { echo "bench.users does not hold $n rows" >&2; exit 1; }
  printf 'run %d: sluice %s rows/s, %s CPU s, latency p50 %s ms p99 %s ms | python %s rows/s, %s CPU s, latency p50 %.2f ms p99 %.2f ms\n' \
    "$i" "$s_rate" "$s_cpu" "$s_p50" "$s_p99" "$p_rate" "$p_cpu" "$p_p50" "$p_p99"
  echo "$s_rate $s_cpu $s_p50 $s_p99 $p_rate $p_cpu $p_p50 $p_p99" >>"$work/results"
done

col() { cut -d' ' -f"$1" "$work/results" | median | awk '{printf ($1 == int($1) ? "%d" : "%.2f"), $1}'; }
sr=$(col 1); sc=$(col 2); pr=$(col 5); pc=$(col 6)
echo
echo "medians of $reps runs ($n rows, $conc in flight, LOCAL_QUORUM, Cassandra on 127.0.0.1:9042):"
echo "  sluice stream:       $sr rows/s, CPU $sc s, write latency p50 $(col 3) ms, p99 $(col 4) ms"
echo "  Python driver:       $pr rows/s, CPU $pc s, write latency p50 $(col 7) ms, p99 $(col 8) ms"
echo "  rows/s sluice/Python $(awk -v a="$sr" -v b="$pr" 'BEGIN {printf "%.2f", a / b}') [>= 1]; CPU sluice/Python $(awk -v a="$sc" -v b="$pc" 'BEGIN {printf "%.2f", a / b}') [<= 0.25]"
