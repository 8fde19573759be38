#include "produce/produce_job.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "log/dead_letter.h"
#include "mapping/mapper.h"

namespace sluice::produce {

using Clock = std::chrono::steady_clock;

namespace {

// The job's series, and the values they had when the job started (a registry may
// outlive several runs: a scheduled task's runs count on in the same series).
// Every series here is moved by the job's running thread only.
struct ProduceMetrics {
  explicit ProduceMetrics(metrics::Registry& r)
      : registry(r),
        sent(r.counter("sluice_produce_sent_total", "Records the produce task handed to the log producer.")),
        produced(r.counter("sluice_produce_records_total", "Records the log acknowledged on the topic.")),
        bytes(r.counter("sluice_produce_bytes_total", "Value bytes of the records handed to the log producer.")),
        dlq_acked(r.counter("sluice_produce_dead_letters_acked_total",
                            "Records the dead-letter topic acknowledged (from the produce task's producer).")),
        delivery_failures(r.counter("sluice_log_delivery_failures_total", "Records the log refused for good.")),
        dead_letters(r, "sluice_produce_dead_letters_total", "Records the produce task sent to the dead-letter topic."),
        base_sent(sent.value()),
        base_produced(produced.value()),
        base_bytes(bytes.value()),
        base_dlq_acked(dlq_acked.value()),
        base_failures(delivery_failures.value()) {}

  // Publishes a producer's totals (since it was created) as counter moves.
  void publish_delivery(const log::DeliveryStats& now, log::DeliveryStats& last, metrics::Counter& acked) {
    acked.add(now.acked - last.acked);
    delivery_failures.add(now.failed - last.failed);
    last.acked = now.acked;
    last.failed = now.failed;
  }

  // The figures of this run, from the series.
  void fill(ProduceStats& s) const {
    s.sent = sent.value() - base_sent;
    s.produced = produced.value() - base_produced;
    s.bytes = bytes.value() - base_bytes;
    s.dead_lettered = dlq_acked.value() - base_dlq_acked;
    s.delivery_failures = delivery_failures.value() - base_failures;
    s.map_failures = dead_letters.total();
    s.map_failure_kinds = dead_letters.by_kind();
  }

  metrics::Registry& registry;
  metrics::Counter &sent, &produced, &bytes, &dlq_acked, &delivery_failures;
  log::DeadLetterCounters dead_letters;  // records the mapping rejected, by kind
  const uint64_t base_sent, base_produced, base_bytes, base_dlq_acked, base_failures;
};

}  // namespace

struct ProduceJob::Impl {
  Impl(sources::Source& s, const mapping::Mapping& m, log::Producer& p, log::Producer& d, ProduceOptions opt,
       metrics::Registry* registry)
      : own_registry(registry ? nullptr : std::make_unique<metrics::Registry>()),
        metrics(registry ? *registry : *own_registry),
        source(s),
        mapper(m),
        producer(p),
        dlq(d),
        options(std::move(opt)) {
    data_source = s.describe();
    projection = s.project(m.paths());
    source_at_start = s.stats();
    last_delivery = p.poll();
    if (&d != &p) last_dlq_delivery = d.poll();
  }

  ~Impl() { stop_fetcher(); }

  // The mapper's and the projection's callbacks, named for what they hand over.
  struct MappedHandler final : mapping::RecordHandler {
    Impl& job;
    explicit MappedHandler(Impl& j) : job(j) {}
    void on_record(bool has_key, std::string_view key, std::string_view value) override {
      job.on_mapped(has_key, key, value);
    }
    void on_error(std::string_view raw, std::string_view reason) override {
      job.on_rejected(raw, BadRecord::missing_field, reason);
    }
    void on_bad_record(std::string_view raw, BadRecord kind, std::string_view reason) override {
      job.on_rejected(raw, kind, reason);
    }
  };
  struct ProjectedHandler final : sources::ProjectedVisitor {
    Impl& job;
    explicit ProjectedHandler(Impl& j) : job(j) {}
    void on_record(const sources::ProjectedRecord& record) override { job.on_projected(record); }
  };

  // --- the fetcher thread -------------------------------------------------------

  // How many records to ask the source for next. Called on the fetcher thread.
  uint32_t next_request_size() const {
    uint64_t n = options.batch_size;
    if (options.rate > 0) n = std::min<uint64_t>(n, std::max<uint64_t>(1, static_cast<uint64_t>(options.rate / 10)));
    if (options.max_records > 0) {
      uint64_t done = taken_now();
      uint64_t want = options.max_records > fetched ? options.max_records - fetched
                                                     : (options.max_records > done ? options.max_records - done : 1);
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

  // Records handed to the producer by this run (the mapping thread writes, the fetcher reads).
  uint64_t sent_now() const { return metrics.sent.value() - metrics.base_sent; }
  // Records taken from the source: sent to the topic or, refused by the mapping, to the
  // dead-letter topic. The record limit and the rate count these, so a source whose
  // records all fail is held to them too.
  uint64_t taken_now() const { return sent_now() + rejected.load(std::memory_order_relaxed); }

  bool limit_reached() const { return options.max_records > 0 && taken_now() >= options.max_records; }

  // Holds the record back until the rate allows it; false if the run ended meanwhile.
  bool pace() {
    if (options.rate <= 0) return true;
    auto due = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(taken_now()) / options.rate));
    while (true) {
      auto now = Clock::now();
      if (now >= due) return true;
      if (stopping.load() || (options.duration.count() > 0 && now >= deadline)) return false;
      // While records are held back, the ones already sent must not wait for the
      // end of the response: let the producer write what lingered long enough.
      producer.poll();
      std::this_thread::sleep_for(std::min<Clock::duration>(due - now, std::chrono::milliseconds(2)));
      report_progress(false);
    }
  }

  // A record the mapper formatted: sent to the topic.
  void on_mapped(bool has_key, std::string_view key, std::string_view value) {
    if (ended || limit_reached() || !pace()) {
      ended = true;
      return;
    }
    log::OutRecord r;
    r.topic = options.topic;
    if (has_key) r.key = key;
    r.value = value;
    producer.send(r);
    metrics.sent.add();  // one writer: a plain store, no locked add
    metrics.bytes.add(value.size());
  }

  // A record the mapper could not use: sent to the dead-letter topic.
  void on_rejected(std::string_view raw, BadRecord kind, std::string_view reason) {
    if (ended || limit_reached() || !pace()) {
      ended = true;
      return;
    }
    send_dead_letter(raw, kind, reason);
    rejected.fetch_add(1, std::memory_order_relaxed);  // one writer: this thread
  }

  // A record of the projection: mapped and sent by on_mapped(), or dead-lettered with
  // its JSON, as map_response() does with a response's records.
  void on_projected(const sources::ProjectedRecord& record) {
    if (ended) return;
    BadRecord kind = BadRecord::missing_field;
    std::string reason = mapper.map_values(record.values(), mapped_handler, &kind);
    if (!reason.empty()) on_rejected(record.json(), kind, reason);
  }

  void send_dead_letter(std::string_view raw, BadRecord kind, std::string_view reason) {
    if (metrics.dead_letters.none_yet(BadRecordStage::map, kind))
      spdlog::warn("record not published ({}); it goes to the dead-letter topic {} (further records of kind {} are "
                   "counted, not logged)",
                   reason, options.dead_letter_topic, to_string(kind));
    metrics.dead_letters.at(BadRecordStage::map, kind).add();
    auto headers = log::dead_letter_headers(
        {.kind = kind, .stage = BadRecordStage::map, .reason = reason, .data_source = data_source});
    log::OutRecord r;
    r.topic = options.dead_letter_topic;
    r.value = raw;
    r.headers = headers;
    dlq.send(r);
  }

  // Publishes what the producers report into the series, then reads this run's
  // figures back from them (the source moves its own series: sources/source.h).
  void refresh() {
    auto d = producer.poll();
    metrics.publish_delivery(d, last_delivery, metrics.produced);
    if (!d.last_error.empty()) stats.last_delivery_error = d.last_error;
    stats.log_unreachable = d.unreachable;
    if (&dlq != &producer) {
      auto dd = dlq.poll();
      metrics.publish_delivery(dd, last_dlq_delivery, metrics.dlq_acked);
      if (!dd.last_error.empty()) stats.last_delivery_error = dd.last_error;
    }
    // One producer for both topics: acknowledgements cannot be told apart, and all
    // count as produced.
    stats.source = source.stats().since(source_at_start);
    metrics.fill(stats);
    stats.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
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
    deadline = start + options.duration;
    next_progress = start + progress_every;
    if (projection) run_projected();
    else run_responses();
    stop_fetcher();
    producer.flush(options.flush_timeout);
    if (&dlq != &producer) dlq.flush(options.flush_timeout);
    refresh();
    if (stats.produced < stats.sent && stats.delivery_failures == 0)
      stats.last_delivery_error = "not acknowledged within " + std::to_string(options.flush_timeout.count()) + " ms";
    if (!fetch_error.empty()) spdlog::error("source failed: {}", fetch_error);
    report_progress(true);
    return stats;
  }

  // The source generates the records' values on this thread (no fetcher thread, no
  // JSON): generating a record costs less than handing it between threads.
  void run_projected() {
    while (!ended && !stopping.load() && !limit_reached()) {
      if (options.duration.count() > 0 && Clock::now() >= deadline) break;
      uint32_t n = next_request_size();
      if (!projection->next_records(n, projected_handler)) break;
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
      if (options.duration.count() > 0 && Clock::now() >= deadline) break;
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
      auto r = m.map_response(b.body, mapped_handler);
      if (r.malformed) send_dead_letter(b.body, BadRecord::malformed_response, "malformed response: " + r.malformed_reason);
      {
        std::lock_guard lk(mu);
        spare.push_back(std::move(b));
      }
      producer.poll();
      report_progress(false);
    }
  }

  static constexpr size_t kQueueDepth = 4;

  std::unique_ptr<metrics::Registry> own_registry;  // when the caller gave none
  ProduceMetrics metrics;
  sources::Source& source;
  sources::SourceStats source_at_start;  // its stats when the job started
  std::unique_ptr<sources::Projection> projection;  // null: the source hands out responses
  mapping::Mapper mapper;
  log::Producer& producer;
  log::Producer& dlq;
  ProduceOptions options;
  std::string data_source;  // the source's description, in dead letters' data.source
  MappedHandler mapped_handler{*this};
  ProjectedHandler projected_handler{*this};
  log::DeliveryStats last_delivery, last_dlq_delivery;  // the producers' totals as last published

  // Shared between the fetcher and the mapping thread, under `mu`.
  std::mutex mu;
  std::condition_variable not_empty, not_full;
  std::deque<sources::SourceBatch> queue;
  std::vector<sources::SourceBatch> spare;  // bodies to reuse (keeps their capacity)
  bool source_done = false;
  std::string fetch_error;
  uint64_t fetched = 0;  // the thread calling the source only

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> rejected{0};  // records the mapping refused (this thread writes)
  std::thread fetcher;

  // Mapping thread only.
  bool ended = false;
  ProduceStats stats;
  Clock::time_point start, deadline, next_progress;
  std::function<void(const ProduceStats&)> on_progress;
  std::chrono::milliseconds progress_every{500};
};

ProduceJob::ProduceJob(sources::Source& source, const mapping::Mapping& mapping, log::Producer& producer,
                       log::Producer& dlq_producer, ProduceOptions options, metrics::Registry* metrics)
    : impl_(std::make_unique<Impl>(source, mapping, producer, dlq_producer, std::move(options), metrics)) {}

ProduceJob::~ProduceJob() = default;

ProduceStats ProduceJob::run(const std::function<void(const ProduceStats&)>& on_progress,
                             std::chrono::milliseconds progress_every) {
  impl_->on_progress = on_progress;
  impl_->progress_every = progress_every;
  return impl_->run();
}

void ProduceJob::stop() { impl_->request_stop(); }

}  // namespace sluice::produce
