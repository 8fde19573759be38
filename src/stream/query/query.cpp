#include "stream/query/query.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/error.h"
#include "log/dead_letter.h"
#include "log/lag.h"
#include "stream/row_parser.h"

namespace sluice::stream {

using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }


// End-to-end latency buckets: 20 per decade (12% apart) from 1 ms to 100 s, so that
// the summary's p50/p99 estimated from them are within a few per cent; below that
// 0.1, 0.25 and 0.5 ms.
std::span<const double> e2e_latency_buckets() {
  static const std::vector<double> b = [] {
    std::vector<double> v = {0.0001, 0.00025, 0.0005};
    for (int i = 0; i <= 100; ++i) v.push_back(0.001 * std::pow(10.0, i / 20.0));
    return v;
  }();
  return b;
}

// The query's series, moved by the query's thread only.
struct QueryMetrics {
  explicit QueryMetrics(metrics::Registry& r)
      : registry(r),
        batches(r.counter("sluice_query_batches_total", "Micro-batches the query committed.")),
        records(r.counter("sluice_query_records_total", "Records the query read from the topic.")),
        written(r.counter("sluice_query_rows_written_total", "Rows the sink acknowledged.")),
        skipped(r.counter("sluice_query_skipped_total", "Bad records dropped under stream.on_error: skip.")),
        sink_retries(r.counter("sluice_query_sink_retries_total", "Sink writes answered Retry (the batch waited).")),
        batch_duration(r.histogram("sluice_query_batch_duration_seconds", "Micro-batch wall time, read to commit.",
                                   metrics::latency_seconds_buckets())),
        latency(r.histogram("sluice_query_latency_seconds",
                            "End-to-end latency of each record: its timestamp to its offsets committed.",
                            e2e_latency_buckets())),
        dead_letters(r, "sluice_query_dead_letters_total", "Bad records the query sent to the dead-letter topic.") {
    const char* names[] = {"read", "parse", "write", "commit"};
    for (size_t i = 0; i < 4; ++i)
      phase[i] = &r.histogram("sluice_query_phase_seconds", "Micro-batch time by phase.",
                              metrics::latency_seconds_buckets(), {{"phase", names[i]}});
  }

  // The counters at one moment: a batch's or a run's figures are the difference of two.
  struct Mark {
    uint64_t batches = 0, records = 0, written = 0, dead_lettered = 0, skipped = 0, sink_retries = 0;
  };
  Mark mark() const {
    return {batches.value(), records.value(), written.value(), dead_letters.total(), skipped.value(), sink_retries.value()};
  }

  metrics::Registry& registry;
  metrics::Counter &batches, &records, &written, &skipped, &sink_retries;
  metrics::Histogram &batch_duration, &latency;
  log::DeadLetterCounters dead_letters;
  std::array<metrics::Histogram*, 4> phase{};
};

}  // namespace

struct Query::Impl {
  Impl(QueryParts p, QueryOptions o)
      : own_registry(p.metrics ? nullptr : std::make_unique<metrics::Registry>()),
        m(p.metrics ? *p.metrics : *own_registry),
        consumer(p.consumer),
        dlq(p.dead_letters),
        sink(p.sink),
        schema(p.schema),
        opt(std::move(o)),
        history(p.history),
        admin(p.admin),
        parser(p.schema, opt.max_value_bytes),
        backoff({opt.retry_backoff, opt.retry_backoff_max}) {}

  // Partitions holding records the group has not committed yet, with the end offset
  // to reach (what once and available-now mean by "there now").
  std::map<int32_t, int64_t> pending_at_start() {
    auto committed = log::committed_of(admin->group_offsets(opt.topic), opt.name);
    auto lag = log::consumer_lag(admin->describe_topic(opt.topic), committed,
                                 opt.start_latest ? log::StartFrom::latest : log::StartFrom::earliest);
    return lag.pending();
  }

  bool reached(const std::map<int32_t, int64_t>& target) {
    std::lock_guard lk(state_mu);
    for (auto [p, end] : target) {
      auto it = committed_offsets.find(p);
      if (it == committed_offsets.end() || it->second < end) return false;
    }
    return true;
  }

  // --- waiting that stop() interrupts ----------------------------------------------

  // Sleeps until `until` or stop(); false if stopped.
  bool wait_until(Clock::time_point until) { return stop_signal.wait_until(until); }

  // --- one micro-batch ---------------------------------------------------------------

  // Reads up to max_records_per_batch: waits up to `first_wait` for the first record,
  // then takes what is already there.
  void read(std::chrono::milliseconds first_wait) {
    msgs.clear();
    size_t max = opt.max_records_per_batch;
    auto got = consumer.poll(max, first_wait);
    while (!got.empty()) {
      for (auto& g : got) msgs.push_back(std::move(g));
      if (msgs.size() >= max || stopping.load()) break;
      got = consumer.poll(max - msgs.size(), std::chrono::milliseconds(0));
    }
  }

  // Counts a bad record and queues it for the dead-letter topic (sent at flush time,
  // so that a failed send can be repeated before the offsets move).
  void dead_letter(size_t msg_index, BadRecord kind, std::string_view reason, BadRecordStage stage) {
    if (opt.on_error == OnError::skip) {
      m.skipped.add();
      return;
    }
    const auto& msg = msgs[msg_index];
    if (m.dead_letters.none_yet(stage, kind))
      spdlog::warn("bad record at {}/{} offset {} ({}): sent to {} (further records of kind {} are counted, not logged)",
                   msg.topic, msg.partition, msg.offset, reason, opt.dead_letter_topic, to_string(kind));
    pending_dead.push_back({msg_index, kind, std::string(reason), stage});
    m.dead_letters.at(stage, kind).add();
  }

  void send_dead_letter(const log::Message& msg, BadRecord kind, const std::string& reason, BadRecordStage stage) {
    auto headers = log::dead_letter_headers({.kind = kind, .stage = stage, .reason = reason, .from = &msg});
    log::OutRecord r;
    r.topic = opt.dead_letter_topic;
    if (msg.key) r.key = *msg.key;
    r.value = msg.value;
    r.headers = headers;
    dlq.send(r);
  }

  // Parses every message; good rows into `rows` (row_msg[i] = index of its message).
  // Returns false if on_error=fail met a bad record.
  bool parse() {
    arena.reset();
    pending_dead.clear();
    rows.resize(msgs.size());
    row_msg.clear();
    size_t n = 0;
    for (size_t i = 0; i < msgs.size(); ++i) {
      auto outcome = parser.parse(msgs[i].value, rows[n], arena);
      if (outcome.ok()) {
        row_msg.push_back(i);
        ++n;
        continue;
      }
      if (opt.on_error == OnError::fail) {
        fail(fmt::format("bad record at {}/{} offset {}: {} (on_error: fail)", msgs[i].topic, msgs[i].partition,
                         msgs[i].offset, outcome.reason));
        return false;
      }
      dead_letter(i, outcome.kind, outcome.reason, BadRecordStage::parse);
    }
    rows.resize(n);
    return true;
  }

  // Writes `rows` until the sink acknowledges them. Retry answers wait with backoff
  // (the batch stays uncommitted, nothing is lost); an Error isolates the bad rows by
  // writing one at a time. Returns false if stopped or failed before all were written.
  bool write() {
    if (rows.empty()) return true;
    backoff.reset();
    while (true) {
      auto r = sink.write(std::span<const Row>(rows));
      if (r.status == sinks::WriteStatus::ok) {
        m.written.add(rows.size());
        return true;
      }
      if (r.status == sinks::WriteStatus::error) return write_one_by_one(r.message);
      m.sink_retries.add();
      uint64_t attempt = m.sink_retries.value() - batch_mark.sink_retries;
      if (attempt == 1 || attempt % 50 == 0)
        spdlog::warn("sink not ready ({}); batch {} waits and retries (attempt {})", r.message, progress.batch_id,
                     attempt);
      if (!backoff_wait()) return false;
    }
  }

  // Waits out a backoff; false if stopped. Meanwhile the consumer keeps its group
  // membership (Kafka: a sink outage longer than max.poll.interval.ms would otherwise
  // get this member kicked out and its partitions moved).
  bool backoff_wait() {
    auto until = Clock::now() + backoff.next();
    while (Clock::now() < until) {
      consumer.keep_alive();
      if (!wait_until(std::min(until, Clock::now() + std::chrono::seconds(1)))) return false;
    }
    return true;
  }

  bool write_one_by_one(const std::string& batch_error) {
    spdlog::warn("sink rejected batch {} ({}); writing its rows one by one to isolate the bad ones", progress.batch_id,
                 batch_error);
    for (size_t i = 0; i < rows.size(); ++i) {
      backoff.reset();
      while (true) {
        auto r = sink.write(std::span<const Row>(&rows[i], 1));
        if (r.status == sinks::WriteStatus::ok) {
          m.written.add();
          break;
        }
        if (r.status == sinks::WriteStatus::error) {
          const auto& msg = msgs[row_msg[i]];
          if (opt.on_error == OnError::fail) {
            fail(fmt::format("sink rejected the record at {}/{} offset {}: {}", msg.topic, msg.partition, msg.offset,
                             r.message));
            return false;
          }
          dead_letter(row_msg[i], BadRecord::sink_rejected, "sink rejected the row: " + r.message, BadRecordStage::sink);
          break;
        }
        m.sink_retries.add();
        if (!backoff_wait()) return false;
      }
    }
    return true;
  }

  // Dead letters must be in their topic before the offsets move past their records:
  // sends the batch's bad records and waits for their acknowledgement, repeating the
  // sends after a failure (the topic may then hold a record twice; the table never).
  bool flush_dead_letters() {
    if (pending_dead.empty()) return true;
    backoff.reset();
    while (true) {
      auto before = dlq.poll();
      for (const auto& d : pending_dead) send_dead_letter(msgs[d.msg], d.kind, d.reason, d.stage);
      auto after = dlq.flush(std::chrono::seconds(10));
      if (after.failed == before.failed && after.acked - before.acked >= pending_dead.size()) return true;
      spdlog::warn("dead-letter topic {} did not acknowledge {} records ({}); sending them again", opt.dead_letter_topic,
                   pending_dead.size(), after.last_error);
      if (!backoff_wait()) return false;
    }
  }

  void commit() {
    std::map<int32_t, int64_t> next;
    for (const auto& msg : msgs) {
      auto& o = next[msg.partition];
      o = std::max(o, msg.offset + 1);
    }
    std::vector<log::TopicPartitionOffset> offsets;
    for (auto [p, o] : next) offsets.push_back({opt.topic, p, o});
    auto stored = consumer.commit(offsets);
    if (stored.size() < offsets.size()) {
      // The rows are in the sink; the partitions' new owner replays them into the
      // same rows (upserts), so nothing is lost or doubled.
      spdlog::warn("batch {}: the group moved {} of its {} partitions elsewhere before the commit; their next owner "
                   "replays those records",
                   progress.batch_id, offsets.size() - stored.size(), offsets.size());
    }
    std::lock_guard lk(state_mu);
    for (const auto& o : stored) committed_offsets[o.partition] = o.offset;
    progress.end_offsets = committed_offsets;
  }

  void fail(std::string why) {
    std::lock_guard lk(state_mu);
    summary.failed = true;
    summary.error = std::move(why);
    stopping = true;
  }

  // Runs one micro-batch. Returns the number of records read (0: nothing there).
  // The batch's figures are the moves of the query's series while it ran.
  size_t run_batch(std::chrono::milliseconds first_wait) {
    progress = BatchProgress{};
    progress.batch_id = next_batch_id;
    progress.timestamp_ms = wall_ms();
    batch_mark = m.mark();
    auto t0 = Clock::now();
    read(first_wait);
    progress.read_ms = ms_since(t0);
    if (msgs.empty()) return 0;
    m.records.add(msgs.size());

    auto t1 = Clock::now();
    if (!parse()) return msgs.size();
    progress.parse_ms = ms_since(t1);

    auto t2 = Clock::now();
    if (!write()) return msgs.size();
    progress.write_ms = ms_since(t2);

    auto t3 = Clock::now();
    if (!flush_dead_letters()) return msgs.size();
    commit();
    progress.commit_ms = ms_since(t3);
    progress.total_ms = ms_since(t0);

    int64_t now = wall_ms();
    latencies.clear();
    for (const auto& msg : msgs) {
      double ms = static_cast<double>(std::max<int64_t>(0, now - msg.timestamp_ms));
      latencies.push_back(ms);
      m.latency.observe(ms / 1000.0);
    }
    latency_quantiles(latencies, progress.latency_p50_ms, progress.latency_p99_ms, progress.latency_max_ms);
    m.batches.add();
    m.batch_duration.observe(progress.total_ms / 1000.0);
    const double phase_ms[] = {progress.read_ms, progress.parse_ms, progress.write_ms, progress.commit_ms};
    for (size_t i = 0; i < 4; ++i) m.phase[i]->observe(phase_ms[i] / 1000.0);

    auto done = m.mark();
    progress.input_rows = done.records - batch_mark.records;
    progress.written_rows = done.written - batch_mark.written;
    progress.dead_lettered = done.dead_lettered - batch_mark.dead_lettered;
    progress.skipped = done.skipped - batch_mark.skipped;
    progress.write_retries = static_cast<uint32_t>(done.sink_retries - batch_mark.sink_retries);
    double since_prev = last_batch_start ? std::chrono::duration<double>(t0 - *last_batch_start).count() : 0;
    last_batch_start = t0;
    progress.input_rows_per_s = since_prev > 0 ? static_cast<double>(progress.input_rows) / since_prev : 0;
    progress.processed_rows_per_s = progress.total_ms > 0 ? progress.input_rows / (progress.total_ms / 1000.0) : 0;
    ++next_batch_id;
    record_progress();
    return msgs.size();
  }

  void record_progress() {
    if (history) history->add(progress);
    auto now = Clock::now();
    if (opt.trigger.kind == Trigger::Kind::continuous && now < next_progress_log) return;
    next_progress_log = now + std::chrono::seconds(1);
    auto level = opt.log_progress ? spdlog::level::info : spdlog::level::debug;
    if (spdlog::should_log(level)) spdlog::log(level, "progress {}", progress.to_json(opt.name));
  }

  // This run's totals, from the series (moved since `run_mark`).
  QuerySummary totals() const {
    auto now = m.mark();
    QuerySummary s;
    {
      std::lock_guard lk(state_mu);
      s = summary;
    }
    s.batches = now.batches - run_mark.batches;
    s.input_rows = now.records - run_mark.records;
    s.written_rows = now.written - run_mark.written;
    s.dead_lettered = now.dead_lettered - run_mark.dead_lettered;
    s.skipped = now.skipped - run_mark.skipped;
    s.sink_retries = now.sink_retries - run_mark.sink_retries;
    auto lat = m.latency.snapshot().since(run_latency);
    s.latency_p50_ms = lat.quantile(0.50) * 1000;
    s.latency_p99_ms = lat.quantile(0.99) * 1000;
    return s;
  }

  // A FatalError from the log or the sink (data loss, a broker that refuses the group,
  // a sink that cannot create its table) ends the query as failed, with the reason:
  // the caller may run the query on a thread of its own.
  QuerySummary run() {
    auto start = Clock::now();
    try {
      run_batches();
    } catch (const FatalError& e) {
      fail(e.what());
    }
    {
      std::lock_guard lk(state_mu);
      summary.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    }
    return totals();
  }

  void run_batches() {
    consumer.subscribe({opt.topic});
    spdlog::info("query {}: reading {} ({}), writing {}", opt.name, opt.topic, opt.trigger.describe(), sink.describe());
    using K = Trigger::Kind;
    const auto short_wait = std::chrono::milliseconds(200);
    std::optional<std::map<int32_t, int64_t>> target;
    if (admin && (opt.trigger.kind == K::once || opt.trigger.kind == K::available_now)) target = pending_at_start();
    // With a known target, wait for records as long as some are due (a Kafka group
    // may take seconds to get its partitions); without one, a short look.
    auto first_wait = [&] { return target && !target->empty() ? std::chrono::milliseconds(1000) : short_wait; };
    auto last_read = Clock::now();
    while (!stopping.load()) {
      auto batch_start = Clock::now();
      switch (opt.trigger.kind) {
        case K::once: {
          auto give_up = Clock::now() + std::chrono::seconds(60);
          while (!stopping.load() && run_batch(first_wait()) == 0 && target && !target->empty() && Clock::now() < give_up) {
          }
          stopping = true;
          break;
        }
        case K::available_now: {
          size_t n = run_batch(first_wait());
          if (target ? reached(*target) : n == 0) stopping = true;
          // Records due at start that stop coming (another member of the group holds
          // their partitions, or the log lost them) end the query instead of a wait
          // without end.
          if (n > 0) last_read = Clock::now();
          else if (!stopping.load() && Clock::now() - last_read > std::chrono::seconds(60))
            fail("available-now: no record for 60 s although the topic held records this query had not read when it "
                 "started (is another process consuming with group " + opt.name + "?)");
          break;
        }
        case K::continuous:
          run_batch(std::chrono::milliseconds(100));
          break;
        case K::interval:
          run_batch(std::chrono::milliseconds(0));
          wait_until(batch_start + opt.trigger.interval);
          break;
      }
    }
  }

  std::unique_ptr<metrics::Registry> own_registry;  // when the caller gave none
  QueryMetrics m;
  QueryMetrics::Mark run_mark = m.mark(), batch_mark;
  metrics::HistogramSnapshot run_latency = m.latency.snapshot();
  log::Consumer& consumer;
  log::Producer& dlq;
  sinks::Sink& sink;
  const Schema& schema;
  QueryOptions opt;
  ProgressHistory* history;
  log::Admin* admin;

  RowParser parser;
  Arena arena;
  std::vector<log::Message> msgs;
  std::vector<Row> rows;
  std::vector<size_t> row_msg;
  std::vector<double> latencies;
  struct PendingDeadLetter {
    size_t msg;
    BadRecord kind;
    std::string reason;
    BadRecordStage stage;
  };
  std::vector<PendingDeadLetter> pending_dead;
  Backoff backoff;
  BatchProgress progress;
  uint64_t next_batch_id = 0;
  std::optional<Clock::time_point> last_batch_start;
  Clock::time_point next_progress_log{};

  std::atomic<bool> stopping{false};
  StopSignal stop_signal;  // wakes the waits between batches and retries

  mutable std::mutex state_mu;  // guards summary (failed, error, elapsed) and committed_offsets
  QuerySummary summary;
  std::map<int32_t, int64_t> committed_offsets;
};

Query::Query(QueryParts parts, QueryOptions options) : impl_(std::make_unique<Impl>(parts, std::move(options))) {}

Query::~Query() = default;

QuerySummary Query::run() { return impl_->run(); }

void Query::stop() {
  impl_->stopping = true;
  impl_->stop_signal.stop();
}

std::map<int32_t, int64_t> Query::committed() const {
  std::lock_guard lk(impl_->state_mu);
  return impl_->committed_offsets;
}

QuerySummary Query::totals() const { return impl_->totals(); }

}  // namespace sluice::stream
