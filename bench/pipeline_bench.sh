#!/usr/bin/env bash
# Whole-binary benchmarks of the streaming half (issue: stream; targets in brackets):
#  (a) stream only: a log pre-filled with N records (default 2,000,000) -> SQLite,
#      rows/s [>= 80% of the raw SQLite upsert rate that bench/sqlite_bench measures
#      in the same run: the same rows, in 100,000-row transactions]; the raw rate in
#      transactions of the stream's micro-batch size (30,000 rows) is printed too;
#  (b) `sluice run` end to end, continuous trigger, at a steady 10,000 records/s for
#      20 s: end-to-end latency p50/p99 [p99 <= 50 ms];
#  (c) peak RSS of (a) and (b) [<= 100 MB].
# Each is repeated REPS times (default 5); medians are printed last.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${REPS:-5}
n=${N:-2000000}
bin=$PWD/build/sluice
cfg=$PWD/config/user_automation.yaml
work=$(mktemp -d "$PWD/build/bench-pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "pre-filling $n records..."
"$bin" --config "$cfg" --log "file:$work/log" produce --records "$n" --rate 0 --seed 1 --json >/dev/null 2>&1

: >"$work/a.txt"; : >"$work/raw.txt"; : >"$work/b.txt"
for i in $(seq 1 "$reps"); do
  rm -f "$work"/db*
  /usr/bin/time -f %M -o "$work/rss" "$bin" --config "$cfg" --log "file:$work/log" --sink "sqlite:$work/db.sqlite" \
    stream --trigger available-now --group "bench$i" --json >"$work/out" 2>/dev/null
  rows=$(field written_rows <"$work/out"); secs=$(field elapsed_s <"$work/out")
  raw_rate() {  # rows per transaction
    (cd "$work" && SQLITE_BENCH_ROWS=$n SQLITE_BENCH_TXN_ROWS=$1 "$OLDPWD/build/bench/sqlite_bench" \
      --benchmark_filter='RawUpsert16ByteKeys/' --benchmark_format=json 2>/dev/null |
      grep -o '"items_per_second": [0-9.e+]*' | head -1 | awk '{printf "%.0f", $2}')
  }
  raw=$(raw_rate 100000); raw_batch=$(raw_rate 30000)
  rate=$(awk -v r="$rows" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')
  echo "(a) run $i: $rows rows in $secs s = $rate rows/s; raw SQLite upserts $raw rows/s (100k-row txns), $raw_batch rows/s (30k-row txns); ratio $(awk -v a="$rate" -v b="$raw" 'BEGIN {printf "%.2f", a / b}'); peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
  echo "$rate $raw $(cat "$work/rss") $raw_batch" >>"$work/a.txt"

  rm -rf "$work/run"
  /usr/bin/time -f %M -o "$work/rss" "$bin" --config "$cfg" --log "file:$work/run/log" --sink "sqlite:$work/run/db.sqlite" \
    run --rate 10000 --for 20s --trigger continuous --json >"$work/out" 2>/dev/null
  p50=$(field latency_p50_ms <"$work/out"); p99=$(field latency_p99_ms <"$work/out"); prod=$(field produced <"$work/out")
  echo "(b) run $i: $prod records at 10,000/s; latency p50 $p50 ms, p99 $p99 ms; peak RSS $(( $(cat "$work/rss") / 1024 )) MB"
  echo "$p50 $p99 $(cat "$work/rss")" >>"$work/b.txt"
done
echo
echo "medians of $reps runs:"
ra=$(cut -d' ' -f1 "$work/a.txt" | median); rr=$(cut -d' ' -f2 "$work/a.txt" | median)
rb=$(cut -d' ' -f4 "$work/a.txt" | median)
echo "(a) stream-only: $ra rows/s vs raw SQLite $rr rows/s: $(awk -v a="$ra" -v b="$rr" 'BEGIN {printf "%.0f%%", 100 * a / b}') of the store's limit [>= 80%]"
echo "    (raw SQLite in transactions of the stream's batch size: $rb rows/s; stream/raw $(awk -v a="$ra" -v b="$rb" 'BEGIN {printf "%.0f%%", 100 * a / b}'))"
echo "(b) run at 10k/s: latency p50 $(cut -d' ' -f1 "$work/b.txt" | median) ms, p99 $(cut -d' ' -f2 "$work/b.txt" | median) ms [p99 <= 50 ms]"
echo "(c) peak RSS: stream $(( $(cut -d' ' -f3 "$work/a.txt" | median | cut -d. -f1) / 1024 )) MB, run $(( $(cut -d' ' -f3 "$work/b.txt" | median | cut -d. -f1) / 1024 )) MB [<= 100 MB]"
