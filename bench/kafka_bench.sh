#!/usr/bin/env bash
# Produce throughput to a real Kafka broker (scripts/kafka.sh, Apache Kafka 4.3.1, KRaft,
# 127.0.0.1:${KAFKA_SH_PORT:-19092}), sluice against two other clients, and the
# stream from Kafka into SQLite (targets in brackets):
#  (a) `sluice produce --records N --rate 0 --seed 1`: generates, formats and publishes
#      N builtin users [>= 200,000 records/s, wall clock];
#  (b) kcat -P -K '\t' -l: publishes the same N messages (sluice's key, the record's id,
#      and the JSON document), read from a file, through librdkafka with sluice's
#      producer settings and partitioner [sluice >= 1x kcat];
#      The file is in the order sluice makes the records: each record to a random
#      partition (a dump of the topic comes partition by partition, which would hand
#      kcat runs of thousands of records for one partition; it is shuffled with a fixed
#      seed). kcat hands lines to librdkafka one by one, in the file's order; sluice
#      groups the up to 1,024 records it stages by partition and hands over a group at
#      a time (src/log/kafka/kafka_producer.cpp), which is part of what is measured;
#  (b'') the same messages in the dump's order (partition runs of thousands), for
#      reference: kcat's best case;
#  (b') the same with values only (no key), as the seed's DAG publishes, for reference;
#  (c) the seed's way, kafka-python: one producer.send(topic, bytes) per record, then
#      flush() (bench/kafka_python_producer.py), PY_N records [sluice >= 20x Python];
#  (d) `sluice stream --trigger available-now` of (a)'s topic into a fresh SQLite file,
#      fresh consumer group: rows/s = written_rows / elapsed_s.
# The payload of (b) and (c) is what sluice publishes: N records produced once to a
# scratch topic and dumped with kcat, one "key<TAB>value" line per record for (b) and
# the values alone for (b') and (c) (compact JSON has no raw tab or newline).
# Every run writes to a fresh topic with 3 partitions created beforehand (creation is not
# timed); idempotence, acks=all and lz4 for every client that supports them (Python
# needs the `lz4` package for lz4; without it, it runs uncompressed and says so). After
# each run the topic must hold exactly the records sent (sum of end offsets).
# Rates are wall clock of the whole command (start-up, metadata, idempotent PID, flush
# included), so the clients compare; MB/s counts message values only (sluice and (b)
# also send a 36-byte key per record; (b') and Python none, as the seed's DAG).
#
#   N=500000 PY_N=N/10 PY_MODE=bytes REPS=5 TIMEOUT=600 bash bench/kafka_bench.sh
# (PY_MODE=dumps: Python sends json.dumps(res).encode('utf-8') per record, the seed's exact
# call, from dicts parsed beforehand; bytes: the payload lines as they are, the client alone.)
# (TIMEOUT: seconds any one client command may take before the bench fails.)
#
# Each is repeated REPS times; medians are printed last. The scratch topics (prefix
# kbench-<time>-<pid>-) and the scratch dir are removed at exit; the broker keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
reps=${REPS:-5}
n=${N:-500000}
py_n=${PY_N:-$((n / 10))}
cmd_timeout=${TIMEOUT:-600}
py_mode=${PY_MODE:-bytes}
bootstrap=127.0.0.1:${KAFKA_SH_PORT:-19092}
bin=$PWD/build/sluice
cfg=$PWD/config/user_automation.yaml
prefix=kbench-$(date +%s)-$$
dlq=$prefix-dlq

die() { echo "kafka_bench: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin is missing: build it first (scripts/build.sh)"
command -v kcat >/dev/null || die "kcat is missing: apt-get install -y kcat"
python3 -c 'import kafka' 2>/dev/null || die "kafka-python is missing: pip install kafka-python"
[ "$py_n" -ge 1 ] && [ "$py_n" -le "$n" ] || die "PY_N must be between 1 and N ($n)"
[ "$py_mode" = bytes ] || [ "$py_mode" = dumps ] || die "PY_MODE must be bytes or dumps"

work=$(mktemp -d "$PWD/build/bench-kafka.XXXXXX")
topics_made=0
cleanup() {
  if [ "$topics_made" = 1 ]; then
    bash scripts/kafka.sh topics --delete --topic "$prefix-.*" >/dev/null 2>&1 ||
      echo "kafka_bench: could not delete the topics $prefix-*" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# A private copy of the binary: every run uses the same one even if build/ is rebuilt meanwhile.
cp "$bin" "$work/sluice" && "$work/sluice" --version >/dev/null 2>&1 || die "cannot copy a working $bin (being rebuilt?)"
bin=$work/sluice

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a - b}'; }
rate() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a / b}'; }
mbps() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
sluice() { timeout -k 5 120 "$bin" --config "$cfg" --log "kafka://$bootstrap" --set "dead_letter_topic=$dlq" "$@"; }

# run NAME CMD...: runs CMD (a program, or the function sluice) with stdout to $work/NAME.out,
# stderr to $work/NAME.err, sets $secs to its wall time; dies with the tail of stderr if it
# fails or takes longer than $cmd_timeout seconds (a hung client must not hang the bench).
run() {
  local name=$1; shift
  local t0 t1 rc=0
  t0=$(now)
  if [ "$1" = sluice ]; then shift; set -- "$bin" --config "$cfg" --log "kafka://$bootstrap" --set "dead_letter_topic=$dlq" "$@"; fi
  timeout -k 10 "$cmd_timeout" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  if [ "$rc" != 0 ]; then
    [ "$rc" = 124 ] && echo "kafka_bench: $name timed out after $cmd_timeout s: $*" >&2 ||
      echo "kafka_bench: $name failed (exit $rc): $*" >&2
    tail -n 20 "$work/$name.err" | cut -c1-400 >&2
    exit 1
  fi
  t1=$(now)
  secs=$(sub "$t1" "$t0")
}
# Warnings and errors a client wrote on stderr (sluice's info lines aside), after a run line.
stderr_note() {
  local f=$work/$1.err k
  k=$(grep -cviE '^[0-9T:.-]+ info ' "$f" || true)
  [ "$k" -gt 0 ] || return 0
  echo "      $1 stderr: $k warning/error lines, first: $(grep -viE '^[0-9T:.-]+ info ' "$f" | head -1 | cut -c1-200)"
}
create_topic() {
  sluice topics create "$1" -p 3 >/dev/null 2>"$work/create.err" || { cat "$work/create.err" >&2; die "cannot create topic $1"; }
  topics_made=1
}
# The records a topic holds: the sum of its partitions' end offsets (fresh topics start at 0).
count_records() {
  local d
  d=$(sluice topics describe "$1" --json 2>/dev/null) || die "cannot describe topic $1"
  local parts; parts=$(grep -o '"partition":' <<<"$d" | wc -l)
  [ "$parts" = 3 ] || die "topic $1 has $parts partitions, 3 expected"
  grep -o '"end_offset":[0-9]*' <<<"$d" | cut -d: -f2 | awk '{s+=$1} END {print s+0}'
}
check_count() {  # TOPIC EXPECTED WHAT
  local got; got=$(count_records "$1")
  [ "$got" = "$2" ] || die "$3: topic $1 holds $got records, $2 expected"
}

bash scripts/kafka.sh start >&2
py_comp=$(python3 -c 'import kafka.codec as c; print("lz4" if c.has_lz4() else "none")')
py_ver=$(python3 -c 'import kafka; print(kafka.__version__)')
kcat_ver="$(kcat -V 2>&1 | grep -o 'Version [0-9.]*' | head -1 | cut -d' ' -f2) (librdkafka $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1 | cut -d' ' -f2))"
echo "Kafka at $bootstrap; N=$n, PY_N=$py_n, REPS=$reps; $("$bin" --version 2>&1 | head -1); kcat $kcat_ver; kafka-python $py_ver; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$py_comp" = lz4 ]; then
  echo "compression: lz4 for all three clients"
else
  echo "compression: lz4 for sluice and kcat; NONE for kafka-python (its lz4 codec needs the Python package 'lz4', not installed)"
fi

# The dead-letter topic sluice checks for (created here so no run creates it), then the payload.
create_topic "$dlq"
payload=$work/payload.jsonl
keyed=$work/payload-keyed.tsv
echo "writing the payload: $n records produced by sluice to $prefix-payload, dumped with kcat..."
create_topic "$prefix-payload"
run payload-produce sluice --topic "$prefix-payload" produce --records "$n" --rate 0 --seed 1 --json
check_count "$prefix-payload" "$n" "payload"
payload_bytes=$(field bytes <"$work/payload-produce.out")
kcat -C -b "$bootstrap" -t "$prefix-payload" -e -q -f '%k\t%s\n' >"$keyed" 2>"$work/dump.err" ||
  { cat "$work/dump.err" >&2; die "kcat could not dump $prefix-payload"; }
[ "$(awk -F'\t' 'NF != 2 || length($1) != 36' "$keyed" | wc -l)" = 0 ] ||
  die "the keyed payload has lines without exactly one tab after a 36-character key"
cut -f2- "$keyed" >"$payload"
grouped=$work/payload-grouped.tsv
mv "$keyed" "$grouped"
shuf --random-source=<(yes) "$grouped" >"$keyed"
lines=$(wc -l <"$payload"); size=$(stat -c %s "$payload")
[ "$lines" = "$n" ] || die "the payload has $lines lines for $n records: a value holds a newline?"
[ "$size" = $((payload_bytes + n)) ] ||
  die "the payload has $size bytes, sluice published $payload_bytes bytes of values + $n newlines"
value_bytes=$payload_bytes
echo "payload: $n records, $value_bytes bytes of values ($(rate "$value_bytes" "$n") bytes/record), no newline in any value"
echo

: >"$work/results.txt"
for i in $(seq 1 "$reps"); do
  ts=$prefix-sluice-$i; tk=$prefix-kcat-$i; tg=$prefix-kcatg-$i; tv=$prefix-kcatv-$i; tp=$prefix-python-$i
  create_topic "$ts"; create_topic "$tk"; create_topic "$tg"; create_topic "$tv"; create_topic "$tp"

  # (a) sluice: generates, formats and publishes N users.
  run "sluice-$i" sluice --topic "$ts" produce --records "$n" --rate 0 --seed 1 --json
  s_secs=$secs
  produced=$(field produced <"$work/sluice-$i.out"); failures=$(field delivery_failures <"$work/sluice-$i.out")
  [ "$produced" = "$n" ] && [ "$failures" = 0 ] || die "sluice produced $produced records ($failures delivery failures), $n expected"
  check_count "$ts" "$n" "sluice run $i"
  s_bytes=$(field bytes <"$work/sluice-$i.out")
  s_rate=$(rate "$n" "$s_secs"); s_mb=$(mbps "$s_bytes" "$s_secs")
  echo "(a) run $i: sluice produce: $n records, $s_bytes bytes in $s_secs s wall = $s_rate records/s, $s_mb MB/s (its own summary: $(field records_per_s <"$work/sluice-$i.out") records/s over $(field elapsed_s <"$work/sluice-$i.out") s)"
  stderr_note "sluice-$i"

  # (b) kcat: the same messages (key and value) from the payload file, sluice's
  # librdkafka producer settings; (b') the values alone.
  kcat_settings=(-X enable.idempotence=true -X acks=all -X compression.type=lz4 -X linger.ms=5
    -X queue.buffering.max.messages=20000 -X partitioner=murmur2_random)
  run "kcat-$i" kcat -P -b "$bootstrap" -t "$tk" "${kcat_settings[@]}" -K $'\t' -l "$keyed"
  k_secs=$secs
  check_count "$tk" "$n" "kcat run $i"
  k_rate=$(rate "$n" "$k_secs"); k_mb=$(mbps "$value_bytes" "$k_secs")
  echo "(b) run $i: kcat -P -K -l:   $n records, $value_bytes bytes in $k_secs s wall = $k_rate records/s, $k_mb MB/s"
  stderr_note "kcat-$i"
  run "kcatg-$i" kcat -P -b "$bootstrap" -t "$tg" "${kcat_settings[@]}" -K $'\t' -l "$grouped"
  g_secs=$secs
  check_count "$tg" "$n" "kcat (dump order) run $i"
  g_rate=$(rate "$n" "$g_secs")
  echo "(b'') run $i: kcat, dump order: $n records in $g_secs s wall = $g_rate records/s"
  stderr_note "kcatg-$i"
  run "kcatv-$i" kcat -P -b "$bootstrap" -t "$tv" "${kcat_settings[@]}" -l "$payload"
  v_secs=$secs
  check_count "$tv" "$n" "kcat (values) run $i"
  v_rate=$(rate "$n" "$v_secs")
  echo "(b') run $i: kcat, values only: $n records in $v_secs s wall = $v_rate records/s"
  stderr_note "kcatv-$i"

  # (c) kafka-python, the seed's client: one send() per record, then flush().
  run "python-$i" python3 bench/kafka_python_producer.py "$bootstrap" "$tp" "$payload" "$py_n" "$py_comp" "$py_mode"
  p_secs=$secs
  check_count "$tp" "$py_n" "python run $i"
  p_rate=$(rate "$py_n" "$p_secs"); p_inner=$(field records_per_s <"$work/python-$i.out")
  py_bytes=$(field bytes <"$work/python-$i.out"); p_mb=$(mbps "$py_bytes" "$p_secs")
  echo "(c) run $i: kafka-python:    $py_n records, $py_bytes bytes in $p_secs s wall = $p_rate records/s, $p_mb MB/s (compression $py_comp, $py_mode; send+flush alone: $p_inner records/s over $(field elapsed_s <"$work/python-$i.out") s)"
  stderr_note "python-$i"

  # (d) stream (a)'s topic into a fresh SQLite file with a fresh group.
  run "stream-$i" sluice --topic "$ts" --sink "sqlite:$work/stream-$i.sqlite" \
    stream --trigger available-now --group "$prefix-g$i" --json
  st_wall=$secs
  rows=$(field written_rows <"$work/stream-$i.out"); st_secs=$(field elapsed_s <"$work/stream-$i.out")
  [ "$rows" = "$n" ] || die "stream run $i wrote $rows rows, $n expected"
  [ "$(field dead_lettered <"$work/stream-$i.out")" = 0 ] || die "stream run $i dead-lettered records"
  st_rate=$(rate "$rows" "$st_secs")
  echo "(d) run $i: stream -> SQLite: $rows rows in $st_secs s = $st_rate rows/s ($st_wall s wall)"
  stderr_note "stream-$i"
  rm -f "$work/stream-$i".sqlite*

  r_k=$(ratio "$s_rate" "$k_rate"); r_p=$(ratio "$s_rate" "$p_rate"); r_pi=$(ratio "$s_rate" "$p_inner")
  r_v=$(ratio "$s_rate" "$v_rate"); r_g=$(ratio "$s_rate" "$g_rate")
  echo "    run $i ratios: sluice/kcat ${r_k}x (dump-order kcat ${r_g}x, values-only kcat ${r_v}x), sluice/python ${r_p}x (against Python's send+flush alone ${r_pi}x)"
  echo "$s_rate $s_mb $k_rate $k_mb $p_rate $st_rate $r_k $r_p $p_inner $r_pi $v_rate $r_v $g_rate $r_g" >>"$work/results.txt"
done

col() { cut -d' ' -f"$1" "$work/results.txt" | median | awk -v f="$2" '{printf f, $1}'; }
ms=$(col 1 %.0f); msm=$(col 2 %.1f); mk=$(col 3 %.0f); mkm=$(col 4 %.1f); mp=$(col 5 %.0f); mst=$(col 6 %.0f)
mrk=$(col 7 %.2f); mrp=$(col 8 %.2f); mpi=$(col 9 %.0f); mrpi=$(col 10 %.2f); mv=$(col 11 %.0f); mrv=$(col 12 %.2f)
mg=$(col 13 %.0f); mrg=$(col 14 %.2f)
echo
echo "medians of $reps runs (N=$n, Python $py_n records; load now $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "(a) sluice produce: $ms records/s, $msm MB/s [>= 200000 records/s]"
echo "(b) kcat -P:        $mk records/s, $mkm MB/s (the same messages: key and value, in the order sluice makes them)"
echo "(b'') kcat, dump order: $mg records/s (the same messages, partition by partition)"
echo "(b') kcat, values:   $mv records/s (no key)"
echo "(c) kafka-python:   $mp records/s (compression $py_comp, $py_mode; send+flush alone $mpi records/s)"
echo "    sluice/kcat:    ${mrk}x per-run median (ratio of medians $(ratio "$ms" "$mk")x) [>= 1x]; against dump-order kcat ${mrg}x, values-only kcat ${mrv}x"
echo "    sluice/python:  ${mrp}x per-run median (ratio of medians $(ratio "$ms" "$mp")x) [>= 20x]"
echo "                    against Python's send+flush alone (no start-up): ${mrpi}x per-run median"
echo "(d) stream Kafka -> SQLite: $mst rows/s"
