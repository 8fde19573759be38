#include "stream/query/query.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/error.h"
#include "stream/row_parser.h"

namespace sluice::stream {

using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct Query::Impl {
  Impl(log::Consumer& c, log::Producer& d, sinks::Sink& s, const Schema& sc, QueryOptions o, ProgressHistory* h,
       log::Admin* a)
      : consumer(c), dlq(d), sink(s), schema(sc), opt(std::move(o)), history(h), admin(a), parser(sc, opt.max_value_bytes) {}

  // Partitions holding records the group has not committed yet, with the end offset
  // to reach (what once and available-now mean by "there now").
  std::map<int32_t, int64_t> pending_at_start() {
    std::map<int32_t, int64_t> target;
    auto d = admin->describe_topic(opt.topic);
    std::map<int32_t, int64_t> done;
    for (auto& g : admin->group_offsets(opt.topic))
      if (g.group == opt.name) done = g.committed;
    for (const auto& p : d.partitions) {
      auto it = done.find(p.partition);
      int64_t from = it != done.end() ? std::max(it->second, p.start_offset) : (opt.start_latest ? p.end_offset : p.start_offset);
      if (p.end_offset > from) target[p.partition] = p.end_offset;
    }
    return target;
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
  bool wait_until(Clock::time_point until) {
    std::unique_lock lk(wait_mu);
    return !wait_cv.wait_until(lk, until, [&] { return stopping.load(); });
  }

  // --- one micro-batch ---------------------------------------------------------------

  // Reads up to max_records_per_batch: waits up to `first_wait` for the first record,
  // then takes what is already there.
  void read(std::chrono::milliseconds first_wait) {
    msgs.clear();
    size_t max = opt.max_records_per_batch;
    auto got = consumer.poll(max, first_wait);
    while (!got.empty()) {
      for (auto& m : got) msgs.push_back(std::move(m));
      if (msgs.size() >= max || stopping.load()) break;
      got = consumer.poll(max - msgs.size(), std::chrono::milliseconds(0));
    }
  }

  // Counts a bad record and queues it for the dead-letter topic (sent at flush time,
  // so that a failed send can be repeated before the offsets move).
  void dead_letter(size_t msg_index, std::string_view reason, const char* stage) {
    if (opt.on_error == OnError::skip) {
      ++progress.skipped;
      return;
    }
    const auto& m = msgs[msg_index];
    auto [it, fresh] = reasons_logged.insert(std::string(reason.substr(0, reason.find(':'))));
    if (fresh)
      spdlog::warn("bad record at {}/{} offset {} ({}): sent to {} (further records of this kind are counted, not logged)",
                   m.topic, m.partition, m.offset, reason, opt.dead_letter_topic);
    pending_dead.push_back({msg_index, std::string(reason), stage});
    ++progress.dead_lettered;
  }

  void send_dead_letter(const log::Message& m, const std::string& reason, const char* stage) {
    const log::Header headers[] = {
        {"error.reason", reason},
        {"error.stage", stage},
        {"source.topic", m.topic},
        {"source.partition", std::to_string(m.partition)},
        {"source.offset", std::to_string(m.offset)},
        {"source.timestamp", std::to_string(m.timestamp_ms)},
    };
    log::OutRecord r;
    r.topic = opt.dead_letter_topic;
    if (m.key) r.key = *m.key;
    r.value = m.value;
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
      dead_letter(i, outcome.reason, "parse");
    }
    rows.resize(n);
    return true;
  }

  // Writes `rows` until the sink acknowledges them. Retry answers wait with backoff
  // (the batch stays uncommitted, nothing is lost); an Error isolates the bad rows by
  // writing one at a time. Returns false if stopped or failed before all were written.
  bool write() {
    if (rows.empty()) return true;
    auto backoff = opt.retry_backoff;
    while (true) {
      auto r = sink.write(std::span<const Row>(rows));
      if (r.status == sinks::WriteStatus::ok) {
        progress.written_rows += rows.size();
        return true;
      }
      if (r.status == sinks::WriteStatus::error) return write_one_by_one(r.message);
      ++progress.write_retries;
      if (progress.write_retries == 1 || progress.write_retries % 50 == 0)
        spdlog::warn("sink not ready ({}); batch {} waits and retries (attempt {})", r.message, progress.batch_id,
                     progress.write_retries);
      if (!backoff_wait(backoff)) return false;
    }
  }

  // Waits out a backoff; false if stopped. Meanwhile the consumer keeps its group
  // membership (Kafka: a sink outage longer than max.poll.interval.ms would otherwise
  // get this member kicked out and its partitions moved).
  bool backoff_wait(std::chrono::milliseconds& backoff) {
    std::uniform_int_distribution<int64_t> jitter(0, backoff.count() / 2);
    auto until = Clock::now() + backoff + std::chrono::milliseconds(jitter(rng));
    backoff = std::min(opt.retry_backoff_max, backoff * 2);
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
      auto backoff = opt.retry_backoff;
      while (true) {
        auto r = sink.write(std::span<const Row>(&rows[i], 1));
        if (r.status == sinks::WriteStatus::ok) {
          ++progress.written_rows;
          break;
        }
        if (r.status == sinks::WriteStatus::error) {
          const auto& m = msgs[row_msg[i]];
          if (opt.on_error == OnError::fail) {
            fail(fmt::format("sink rejected the record at {}/{} offset {}: {}", m.topic, m.partition, m.offset, r.message));
            return false;
          }
          dead_letter(row_msg[i], "sink rejected the row: " + r.message, "sink");
          break;
        }
        ++progress.write_retries;
        if (!backoff_wait(backoff)) return false;
      }
    }
    return true;
  }

  // Dead letters must be in their topic before the offsets move past their records:
  // sends the batch's bad records and waits for their acknowledgement, repeating the
  // sends after a failure (the topic may then hold a record twice; the table never).
  bool flush_dead_letters() {
    if (pending_dead.empty()) return true;
    auto backoff = opt.retry_backoff;
    while (true) {
      auto before = dlq.poll();
      for (const auto& d : pending_dead) send_dead_letter(msgs[d.msg], d.reason, d.stage);
      auto after = dlq.flush(std::chrono::seconds(10));
      if (after.failed == before.failed && after.acked - before.acked >= pending_dead.size()) return true;
      spdlog::warn("dead-letter topic {} did not acknowledge {} records ({}); sending them again", opt.dead_letter_topic,
                   pending_dead.size(), after.last_error);
      if (!backoff_wait(backoff)) return false;
    }
  }

  void commit() {
    std::map<int32_t, int64_t> next;
    for (const auto& m : msgs) {
      auto& o = next[m.partition];
      o = std::max(o, m.offset + 1);
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
  size_t run_batch(std::chrono::milliseconds first_wait) {
    progress = BatchProgress{};
    progress.batch_id = next_batch_id;
    progress.timestamp_ms = wall_ms();
    auto t0 = Clock::now();
    read(first_wait);
    progress.read_ms = ms_since(t0);
    if (msgs.empty()) return 0;
    progress.input_rows = msgs.size();

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
    for (const auto& m : msgs) latencies.push_back(static_cast<double>(std::max<int64_t>(0, now - m.timestamp_ms)));
    for (size_t i = 0; i < latencies.size(); i += std::max<size_t>(1, latencies.size() / 64))
      if (latency_sample.size() < 200'000) latency_sample.push_back(latencies[i]);
    latency_quantiles(latencies, progress.latency_p50_ms, progress.latency_p99_ms, progress.latency_max_ms);
    double since_prev = last_batch_start ? std::chrono::duration<double>(t0 - *last_batch_start).count() : 0;
    last_batch_start = t0;
    progress.input_rows_per_s = since_prev > 0 ? static_cast<double>(progress.input_rows) / since_prev : 0;
    progress.processed_rows_per_s = progress.total_ms > 0 ? progress.input_rows / (progress.total_ms / 1000.0) : 0;
    ++next_batch_id;
    record_progress();
    return msgs.size();
  }

  void record_progress() {
    {
      std::lock_guard lk(state_mu);
      ++summary.batches;
      summary.input_rows += progress.input_rows;
      summary.written_rows += progress.written_rows;
      summary.dead_lettered += progress.dead_lettered;
      summary.skipped += progress.skipped;
    }
    if (history) history->add(progress);
    if (!opt.log_progress) return;
    auto now = Clock::now();
    if (opt.trigger.kind == Trigger::Kind::continuous && now < next_progress_log) return;
    next_progress_log = now + std::chrono::seconds(1);
    spdlog::info("progress {}", progress.to_json(opt.name));
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
    std::lock_guard lk(state_mu);
    summary.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    double max_ms = 0;
    latency_quantiles(latency_sample, summary.latency_p50_ms, summary.latency_p99_ms, max_ms);
    return summary;
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
  std::vector<double> latencies, latency_sample;
  std::set<std::string> reasons_logged;
  struct DeadLetter {
    size_t msg;
    std::string reason;
    const char* stage;
  };
  std::vector<DeadLetter> pending_dead;
  std::mt19937_64 rng{std::random_device{}()};
  BatchProgress progress;
  uint64_t next_batch_id = 0;
  std::optional<Clock::time_point> last_batch_start;
  Clock::time_point next_progress_log{};

  std::atomic<bool> stopping{false};
  std::mutex wait_mu;
  std::condition_variable wait_cv;

  mutable std::mutex state_mu;  // guards summary and committed_offsets
  QuerySummary summary;
  std::map<int32_t, int64_t> committed_offsets;
};

Query::Query(log::Consumer& consumer, log::Producer& dead_letters, sinks::Sink& sink, const Schema& schema,
             QueryOptions options, ProgressHistory* history, log::Admin* admin)
    : impl_(std::make_unique<Impl>(consumer, dead_letters, sink, schema, std::move(options), history, admin)) {}

Query::~Query() = default;

QuerySummary Query::run() { return impl_->run(); }

void Query::stop() {
  {
    std::lock_guard lk(impl_->wait_mu);
    impl_->stopping = true;
  }
  impl_->wait_cv.notify_all();
}

std::map<int32_t, int64_t> Query::committed() const {
  std::lock_guard lk(impl_->state_mu);
  return impl_->committed_offsets;
}

QuerySummary Query::totals() const {
  std::lock_guard lk(impl_->state_mu);
  return impl_->summary;
}

}  // namespace sluice::stream
