#!/usr/bin/env bash
# What the dashboard costs the pipeline (issue: dashboard; targets in brackets):
#  (a) `sluice run --records N` (default 1,000,000, continuous trigger) alone, then with
#      `sluice ui` beside it on the same log, sink and history, the Pipeline page open in
#      headless Chromium (live updates every second) and /metrics scraped every second;
#      alternating, REPS times (default 3): throughput with / without [>= 0.97];
#  (b) /metrics answer time with 100 partitions, 200 scrapes: median and p99 [<= 5 ms];
#  (c) the RSS of `sluice ui` after (b) minus that of `sluice status` on the same stores
#      (the same dashboard model without the HTTP server) [<= 10 MB].
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${REPS:-3}
n=${N:-1000000}
bin=$PWD/build/sluice
cfg=$PWD/config/user_automation.yaml
work=$(mktemp -d "$PWD/build/bench-web.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=18543

# sluice with every store in $1.
sl() { local d=$1; shift; "$bin" --config "$cfg" --log "file:$d/log" --sink "sqlite:$d/db.sqlite" \
  --set "web.history=$d/history.db" --set "scheduler.metadata=$d/meta.db" --set "scheduler.logs=$d/logs" "$@"; }
# Rows written a second over the query's whole run (it starts with the produce task, ends caught up).
# The same, replacing the calling (background) subshell, so that $! is sluice's pid.
slx() { local d=$1; shift; exec "$bin" --config "$cfg" --log "file:$d/log" --sink "sqlite:$d/db.sqlite" \
  --set "web.history=$d/history.db" --set "scheduler.metadata=$d/meta.db" --set "scheduler.logs=$d/logs" "$@"; }
rate_of() { local p; p=$(field written <"$1"); awk -v p="$p" -v s="$(field elapsed_s <"$1")" 'BEGIN {printf "%.0f", p / s}'; }
wait_http() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

: >"$work/a.txt"
for i in $(seq 1 "$reps"); do
  d=$work/alone$i; mkdir -p "$d"
  sl "$d" run --records "$n" --rate 0 --trigger continuous --seed "$i" --json >"$d/out" 2>/dev/null
  alone=$(rate_of "$d/out")

  d=$work/watched$i; mkdir -p "$d"
  slx "$d" ui --listen "127.0.0.1:$port" >"$d/ui.log" 2>&1 & pids+=($!); ui=$!
  wait_http "http://127.0.0.1:$port/healthz"
  node bench/web_bench_browser.mjs "http://127.0.0.1:$port/#/pipeline" & pids+=($!); browser=$!
  (while sleep 1; do curl -s "http://127.0.0.1:$port/metrics" >/dev/null; done) & pids+=($!); scraper=$!
  sleep 2
  sl "$d" run --records "$n" --rate 0 --trigger continuous --seed "$i" --json >"$d/out" 2>/dev/null
  watched=$(rate_of "$d/out")
  kill "$scraper" "$browser" "$ui" 2>/dev/null; wait "$ui" 2>/dev/null || true
  echo "(a) rep $i: alone $alone records/s, watched $watched records/s, ratio $(awk -v a="$watched" -v b="$alone" 'BEGIN {printf "%.3f", a / b}')"
  echo "$alone $watched" >>"$work/a.txt"
done

d=$work/wide; mkdir -p "$d"
sl "$d" --set topics.partitions=100 run --records 100000 --rate 0 --trigger continuous --json >/dev/null 2>&1
slx "$d" ui --listen "127.0.0.1:$port" >"$d/ui.log" 2>&1 & pids+=($!); ui=$!
wait_http "http://127.0.0.1:$port/healthz"
sleep 2
series=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^sluice_log_end_offset{')
for _ in $(seq 1 200); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"; done >"$work/b.txt"
rss_ui=$(awk '/VmRSS/ {print $2}' "/proc/$ui/status")
kill "$ui"; wait "$ui" 2>/dev/null || true
/usr/bin/time -f %M -o "$work/rss_status" "$bin" --config "$cfg" --log "file:$d/log" --sink "sqlite:$d/db.sqlite" \
  --set "web.history=$d/history.db" --set "scheduler.metadata=$d/meta.db" status --json >/dev/null
rss_status=$(cat "$work/rss_status")

echo
echo "medians of $reps reps, $n records each (embedded log, SQLite, continuous trigger):"
awk '{print $1}' "$work/a.txt" | median | xargs printf '  (a) alone      %.0f records/s\n'
awk '{print $2}' "$work/a.txt" | median | xargs printf '      watched    %.0f records/s\n'
awk '{print $2 / $1}' "$work/a.txt" | median | xargs printf '      ratio      %.3f (median of the per-rep ratios) [>= 0.97]\n'
p50=$(awk '{print $1 * 1000}' "$work/b.txt" | median)
p99=$(awk '{print $1 * 1000}' "$work/b.txt" | sort -g | awk '{a[NR]=$1} END {print a[int(NR * 0.99)]}')
printf '  (b) /metrics with %s partitions: median %.2f ms, p99 %.2f ms (200 scrapes) [<= 5 ms]\n' "$series" "$p50" "$p99"
printf '  (c) RSS: sluice ui %d MB, sluice status %d MB: the server adds %d MB [<= 10 MB]\n' \
  $((rss_ui / 1024)) $((rss_status / 1024)) $(((rss_ui - rss_status) / 1024))
