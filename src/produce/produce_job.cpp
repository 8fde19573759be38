#include "produce/produce_job.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "mapping/mapper.h"

namespace sluice::produce {

using Clock = std::chrono::steady_clock;

struct ProduceJob::Impl final : mapping::RecordHandler, sources::ProjectedVisitor {
  Impl(sources::Source& s, const mapping::Mapping& m, log::Producer& p, log::Producer& d, ProduceOptions opt)
      : source(s), mapper(m), producer(p), dlq(d), o(std::move(opt)) {
    source_header = s.describe();
    projection = s.project(m.paths());
  }

  ~Impl() override { stop_fetcher(); }

  // --- the fetcher thread -------------------------------------------------------

  // How many records to ask the source for next. Called on the fetcher thread.
  uint32_t next_request_size() const {
    uint64_t n = o.batch_size;
    if (o.rate > 0) n = std::min<uint64_t>(n, std::max<uint64_t>(1, static_cast<uint64_t>(o.rate / 10)));
    if (o.max_records > 0) {
      uint64_t done = sent.load(std::memory_order_relaxed);
      uint64_t want = o.max_records > fetched ? o.max_records - fetched
                                               : (o.max_records > done ? o.max_records - done : 1);
      n = std::min(n, std::max<uint64_t>(want, 1));
    }
    return static_cast<uint32_t>(n);
  }

  void fetch_loop() {
    while (!stopping.load()) {
      sources::SourceBatch b;
      {
        std::lock_guard lk(mu);
        if (!spare.empty()) {
          b = std::move(spare.back());
          spare.pop_back();
        }
      }
      bool ok = false;
      try {
        ok = source.next_batch(next_request_size(), b);
      } catch (const std::exception& e) {
        std::lock_guard lk(mu);
        fetch_error = e.what();
      }
      std::unique_lock lk(mu);
      if (!ok) {
        source_done = true;
        not_empty.notify_all();
        return;
      }
      fetched += b.results;
      not_full.wait(lk, [&] { return queue.size() < kQueueDepth || stopping.load(); });
      queue.push_back(std::move(b));
      not_empty.notify_all();
    }
  }

  // Sets `stopping` under `mu`, so that a thread between testing its wait predicate
  // and blocking cannot miss the notification.
  void request_stop() {
    {
      std::lock_guard lk(mu);
      stopping = true;
    }
    source.stop();
    not_full.notify_all();
    not_empty.notify_all();
  }

  void stop_fetcher() {
    request_stop();
    if (fetcher.joinable()) fetcher.join();
  }

  // --- the mapping thread ---------------------------------------------------------

  bool limit_reached() const {
    return o.max_records > 0 && sent.load(std::memory_order_relaxed) >= o.max_records;
  }

  // Holds the record back until the rate allows it; false if the run ended meanwhile.
  bool pace() {
    if (o.rate <= 0) return true;
    auto due = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(sent.load()) / o.rate));
    while (true) {
      auto now = Clock::now();
      if (now >= due) return true;
      if (stopping.load() || (o.duration.count() > 0 && now >= deadline)) return false;
      // While records are held back, the ones already sent must not wait for the
      // end of the response: let the producer write what lingered long enough.
      producer.poll();
      std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::milliseconds(2)));
      report_progress(false);
    }
  }

  void on_record(bool has_key, std::string_view key, std::string_view value) override {
    if (ended || limit_reached() || !pace()) {
      ended = true;
      return;
    }
    log::OutRecord r;
    r.topic = o.topic;
    if (has_key) r.key = key;
    r.value = value;
    producer.send(r);
    sent.store(sent.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // one writer: no locked add
    stats.bytes += value.size();
  }

  void on_error(std::string_view raw, std::string_view reason) override {
    if (ended) return;
    send_dead_letter(raw, reason);
  }

  // A record of the projection: mapped and sent by on_record(), or dead-lettered
  // with its JSON, as map_response() does with a response's records.
  void on_record(const sources::ProjectedRecord& record) override {
    if (ended) return;
    std::string reason = mapper.map_values(record.values(), *this);
    if (!reason.empty()) on_error(record.json(), reason);
  }

  void send_dead_letter(std::string_view raw, std::string_view reason) {
    ++stats.map_failures;
    auto [it, fresh] = stats.map_failure_kinds.try_emplace(std::string(reason), 0);
    ++it->second;
    if (fresh)
      spdlog::warn("record not published ({}); it goes to the dead-letter topic {} (further records with this "
                   "problem are counted, not logged)",
                   reason, o.dead_letter_topic);
    const log::Header headers[] = {
        {"error.reason", std::string(reason)}, {"error.stage", "map"}, {"source", source_header}};
    log::OutRecord r;
    r.topic = o.dead_letter_topic;
    r.value = raw;
    r.headers = headers;
    dlq.send(r);
  }

  void refresh() {
    auto d = producer.poll();
    stats.produced = d.acked;
    stats.delivery_failures = d.failed;
    if (!d.last_error.empty()) stats.last_delivery_error = d.last_error;
    stats.log_unreachable = d.unreachable;
    if (&dlq != &producer) {
      auto dd = dlq.poll();
      stats.dead_lettered = dd.acked;
      stats.delivery_failures += dd.failed;
      if (!dd.last_error.empty()) stats.last_delivery_error = dd.last_error;
    } else {
      stats.dead_lettered = 0;  // counted within produced: cannot tell apart
    }
    stats.sent = sent.load();
    stats.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    stats.source = source.stats();
  }

  void report_progress(bool force) {
    if (!on_progress) return;
    auto now = Clock::now();
    if (!force && now < next_progress) return;
    next_progress = now + progress_every;
    refresh();
    on_progress(stats);
  }

  ProduceStats run() {
    start = Clock::now();
    deadline = start + o.duration;
    next_progress = start + progress_every;
    if (projection) run_projected();
    else run_responses();
    stop_fetcher();
    auto d = producer.flush(o.flush_timeout);
    if (&dlq != &producer) dlq.flush(o.flush_timeout);
    refresh();
    if (d.acked < stats.sent && d.failed == 0)
      stats.last_delivery_error = "not acknowledged within " + std::to_string(o.flush_timeout.count()) + " ms";
    if (!fetch_error.empty()) spdlog::error("source failed: {}", fetch_error);
    report_progress(true);
    return stats;
  }

  // The source generates the records' values on this thread (no fetcher thread, no
  // JSON): generating a record costs less than handing it between threads.
  void run_projected() {
    while (!ended && !stopping.load() && !limit_reached()) {
      if (o.duration.count() > 0 && Clock::now() >= deadline) break;
      uint32_t n = next_request_size();
      if (!projection->next_records(n, *this)) break;
      fetched += n;
      producer.poll();
      report_progress(false);
    }
  }

  // A fetcher thread gets responses from the source; this thread maps them.
  void run_responses() {
    fetcher = std::thread([this] { fetch_loop(); });
    mapping::Mapper& m = mapper;
    while (!ended && !stopping.load() && !limit_reached()) {
      if (o.duration.count() > 0 && Clock::now() >= deadline) break;
      sources::SourceBatch b;
      {
        std::unique_lock lk(mu);
        not_empty.wait_for(lk, std::chrono::milliseconds(100), [&] { return !queue.empty() || source_done; });
        if (queue.empty()) {
          if (source_done) break;
          lk.unlock();
          report_progress(false);
          continue;
        }
        b = std::move(queue.front());
        queue.pop_front();
        not_full.notify_all();
      }
      auto r = m.map_response(b.body, *this);
      if (r.malformed) send_dead_letter(b.body, "malformed response: " + r.malformed_reason);
      {
        std::lock_guard lk(mu);
        spare.push_back(std::move(b));
      }
      producer.poll();
      report_progress(false);
    }
  }

  static constexpr size_t kQueueDepth = 4;

  sources::Source& source;
  std::unique_ptr<sources::Projection> projection;  // null: the source hands out responses
  mapping::Mapper mapper;
  log::Producer& producer;
  log::Producer& dlq;
  ProduceOptions o;
  std::string source_header;

  // Shared between the fetcher and the mapping thread, under `mu`.
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<sources::SourceBatch> queue;
  std::vector<sources::SourceBatch> spare;  // bodies to reuse (keeps their capacity)
  bool source_done = false;
  std::string fetch_error;
  uint64_t fetched = 0;  // the thread calling the source only

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> sent{0};  // written by the mapping thread only, read by both
  std::thread fetcher;

  // Mapping thread only.
  bool ended = false;
  ProduceStats stats;
  Clock::time_point start, deadline, next_progress;
  std::function<void(const ProduceStats&)> on_progress;
  std::chrono::milliseconds progress_every{500};
};

ProduceJob::ProduceJob(sources::Source& source, const mapping::Mapping& mapping, log::Producer& producer,
                       log::Producer& dlq_producer, ProduceOptions options)
    : impl_(std::make_unique<Impl>(source, mapping, producer, dlq_producer, std::move(options))) {}

ProduceJob::~ProduceJob() = default;

ProduceStats ProduceJob::run(const std::function<void(const ProduceStats&)>& on_progress,
                             std::chrono::milliseconds progress_every) {
  impl_->on_progress = on_progress;
  impl_->progress_every = progress_every;
  return impl_->run();
}

void ProduceJob::stop() { impl_->request_stop(); }

}  // namespace sluice::produce
