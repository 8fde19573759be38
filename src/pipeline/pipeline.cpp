#include "pipeline/pipeline.h"

#include "history/history_store.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>

#include "common/backoff.h"
#include "common/error.h"
#include "log/factory/open_log.h"
#include "mapping/mapping.h"
#include "pipeline/shared_producer.h"
#include "sinks/factory/open_sink.h"
#include "sources/factory/make_source.h"
#include "table/schema.h"

namespace sluice::pipeline {

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::ready: return "ready";
    case Phase::producing: return "producing";
    case Phase::streaming: return "streaming";
    case Phase::catching_up: return "catching_up";
    case Phase::stopped: return "stopped";
  }
  return "unknown";
}

struct Pipeline::Impl {
  Impl(const config::Config& cfg, Role r, PipelineOptions o, metrics::Registry* given)
      : role(r),
        opt(std::move(o)),
        own_registry(given ? nullptr : std::make_unique<metrics::Registry>()),
        registry(given ? *given : *own_registry) {
    bool producing = role != Role::stream, streaming = role != Role::produce;
    // Everything a user can get wrong in the config is checked before the log is touched.
    if (streaming) schema = std::make_unique<table::Schema>(
                       table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns")));
    if (producing) {
      mapping = std::make_unique<mapping::Mapping>(
          mapping::Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key")));
      source = sources::make_source(cfg, std::nullopt, &registry);
    }
    if (streaming) sink = sinks::open_sink(cfg, *schema, &registry);

    log = log::open_log(log::log_settings(cfg));
    admin = log->admin();
    if (producing || opt.create_missing_topic) {
      for (const auto& t : {opt.topic, opt.dead_letter_topic})
        if (admin->create_topic(t, opt.partitions, opt.replication_factor))
          spdlog::info("created topic {} ({} partitions)", t, opt.partitions);
    } else {
      if (!admin->topic_exists(opt.topic))
        throw FatalError("topic " + opt.topic + " does not exist in " + log->describe() +
                         " (run `sluice produce` first, or `sluice topics create " + opt.topic + "`)");
      admin->create_topic(opt.dead_letter_topic, opt.partitions, opt.replication_factor);
    }
    if (streaming) sink->ensure_schema();
    if (producing) producer = log->producer();
    // The dead-letter topic is written by `sluice produce` and `sluice stream` alike.
    dlq_producer = log->producer({.exclusive = false});
    dlq = std::make_unique<SharedProducer>(*dlq_producer);
    if (streaming) {
      consumer = log->consumer(opt.consumer);
      lag_admin = log->admin();
      if (auto path = cfg.str("web.history"); !path.empty()) {
        history_store = std::make_unique<history::HistoryStore>(history::HistoryStore::open(
            path, false, {.max_batches = static_cast<size_t>(cfg.integer("web.history_batches")),
                          .lag_retention = cfg.duration("web.history_lag")}));
        history.set_listener([this](const stream::BatchProgress& p) { keep(p); });
      }
      registry.gauge_fn("sluice_query_lag_records", "Records of the topic the consumer group has not committed.",
                        {{"topic", opt.topic}}, [this] { return static_cast<double>(lag_now().total); });
    }
  }

  // Stores a batch for the dashboard (query thread). The history is the dashboard's, not
  // the data's: a failure to store it is logged and never stops the query.
  void keep(const stream::BatchProgress& p) {
    try {
      history_store->add_batch(opt.query.name, p);
      history_failing = false;
    } catch (const std::exception& e) {
      if (!history_failing) spdlog::warn("the dashboard's history is not kept: {}", e.what());
      history_failing = true;
    }
  }

  // The group's lag, from the offsets the log holds (lag_admin is this function's own).
  log::TopicLag lag_now() {
    std::lock_guard lk(lag_mu);
    auto committed = log::committed_of(lag_admin->group_offsets(opt.topic), opt.query.name);
    return log::consumer_lag(lag_admin->describe_topic(opt.topic), committed, opt.consumer.start);
  }

  // Sets the running task, unless stop() came first.
  template <typename T>
  bool start(T*& slot, T* task, Phase p) {
    std::lock_guard lk(mu);
    if (stopping) return false;
    slot = task;
    phase = p;
    return true;
  }
  template <typename T>
  void finish(T*& slot) {
    std::lock_guard lk(mu);
    slot = nullptr;
  }

  void require(bool ok, const char* what) const {
    if (!ok) throw std::logic_error(std::string("pipeline: ") + what + " is not part of this pipeline's role");
  }

  produce::ProduceStats produce(const ProduceProgress& on_progress) {
    require(role != Role::stream, "the produce task");
    produce::ProduceJob job(*source, *mapping, *producer, *dlq, opt.produce, &registry);
    if (!start(current_job, &job, Phase::producing)) return {};
    auto before = end_offsets();
    auto stats = job.run(on_progress);
    finish(current_job);
    if (auto after = end_offsets(); !before.empty() && after.size() == before.size())
      for (const auto& [p, end] : after) stats.topic_offsets[p] = {before[p], end};
    return stats;
  }

  // The topic's end offset per partition, or none if the log cannot say. An admin of
  // its own: `admin` may be the running query's meanwhile.
  std::map<int32_t, int64_t> end_offsets() {
    std::map<int32_t, int64_t> out;
    try {
      for (const auto& p : log->admin()->describe_topic(opt.topic).partitions) out[p.partition] = p.end_offset;
    } catch (const std::exception& e) {
      spdlog::debug("the end offsets of {}: {}", opt.topic, e.what());
      out.clear();
    }
    return out;
  }

  std::unique_ptr<stream::Query> make_query() {
    return std::make_unique<stream::Query>(stream::QueryParts{.consumer = *consumer,
                                                              .dead_letters = *dlq,
                                                              .sink = *sink,
                                                              .schema = *schema,
                                                              .admin = admin.get(),
                                                              .history = &history,
                                                              .metrics = &registry},
                                           opt.query);
  }

  stream::QuerySummary stream() {
    require(role != Role::produce, "the streaming query");
    auto query = make_query();
    if (!start(current_query, query.get(), Phase::streaming)) return {};
    auto s = query->run();
    {
      std::lock_guard lk(mu);
      last_totals = s;
      current_query = nullptr;
      phase = Phase::stopped;
    }
    return s;
  }

  RunSummary run(const ProduceProgress& on_progress) {
    require(role == Role::run, "run");
    spdlog::info("running {}: {} -> {} -> {} on {}", opt.name, source->describe(), opt.topic, sink->describe(),
                 log->describe());
    RunSummary out;
    auto query = make_query();
    if (!start(current_query, query.get(), Phase::producing)) {
      out.interrupted = true;
      return out;
    }
    std::thread query_thread([&] { out.query = query->run(); });
    out.produce = produce(on_progress);

    // Let the query catch up with everything produced, then stop it.
    {
      std::lock_guard lk(mu);
      if (phase != Phase::stopped) phase = Phase::catching_up;
    }
    auto target = admin->describe_topic(opt.topic);
    auto lag = [&] { return log::consumer_lag(target, query->committed(), log::StartFrom::earliest); };
    auto limit = std::chrono::steady_clock::now() +
                 std::max<std::chrono::steady_clock::duration>(std::chrono::seconds(60), opt.query.trigger.interval * 3);
    while (!stopped() && !lag().caught_up() && !query->totals().failed && std::chrono::steady_clock::now() < limit)
      catch_up_wait.wait_for(std::chrono::milliseconds(20));
    query->stop();
    query_thread.join();
    out.lag = lag();
    out.interrupted = stopped();
    {
      std::lock_guard lk(mu);
      last_totals = out.query;
      current_query = nullptr;
      phase = Phase::stopped;
    }
    return out;
  }

  void stop() {
    std::lock_guard lk(mu);
    stopping = true;
    if (current_job) current_job->stop();
    if (current_query) current_query->stop();
    catch_up_wait.stop();
  }

  bool stopped() const {
    std::lock_guard lk(mu);
    return stopping;
  }

  const Role role;
  const PipelineOptions opt;
  std::unique_ptr<metrics::Registry> own_registry;
  metrics::Registry& registry;

  std::unique_ptr<table::Schema> schema;
  std::unique_ptr<mapping::Mapping> mapping;
  std::unique_ptr<sources::Source> source;
  std::unique_ptr<sinks::Sink> sink;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<log::Admin> admin;  // the running thread's
  std::unique_ptr<log::Producer> producer, dlq_producer;
  std::unique_ptr<SharedProducer> dlq;
  std::unique_ptr<log::Consumer> consumer;
  stream::ProgressHistory history;
  std::unique_ptr<history::HistoryStore> history_store;  // web.history; the query thread's
  bool history_failing = false;

  std::mutex lag_mu;
  std::unique_ptr<log::Admin> lag_admin;  // lag_now()'s, under lag_mu

  mutable std::mutex mu;  // guards what follows
  bool stopping = false;
  Phase phase = Phase::ready;
  produce::ProduceJob* current_job = nullptr;
  stream::Query* current_query = nullptr;
  stream::QuerySummary last_totals;
  StopSignal catch_up_wait;
};

Pipeline::Pipeline(const config::Config& cfg, Role role, PipelineOptions options, metrics::Registry* registry)
    : impl_(std::make_unique<Impl>(cfg, role, std::move(options), registry)) {}

Pipeline::~Pipeline() = default;

const PipelineOptions& Pipeline::options() const { return impl_->opt; }
metrics::Registry& Pipeline::metrics() { return impl_->registry; }
std::string Pipeline::describe_source() const { return impl_->source ? impl_->source->describe() : ""; }
std::string Pipeline::describe_log() const { return impl_->log->describe(); }
std::string Pipeline::describe_sink() const { return impl_->sink ? impl_->sink->describe() : ""; }
const std::string& Pipeline::table() const {
  static const std::string none;
  return impl_->schema ? impl_->schema->table() : none;
}

produce::ProduceStats Pipeline::produce(const ProduceProgress& on_progress) {
  auto s = impl_->produce(on_progress);
  std::lock_guard lk(impl_->mu);
  impl_->phase = Phase::stopped;
  return s;
}
stream::QuerySummary Pipeline::stream() { return impl_->stream(); }
RunSummary Pipeline::run(const ProduceProgress& on_progress) { return impl_->run(on_progress); }

stream::QuerySummary Pipeline::query_totals() const {
  std::lock_guard lk(impl_->mu);
  return impl_->current_query ? impl_->current_query->totals() : impl_->last_totals;
}

const stream::ProgressHistory& Pipeline::history() const { return impl_->history; }

log::TopicLag Pipeline::lag() {
  impl_->require(impl_->role != Role::produce, "the consumer group's lag");
  return impl_->lag_now();
}

PipelineSnapshot Pipeline::snapshot() const {
  PipelineSnapshot s;
  {
    std::lock_guard lk(impl_->mu);
    s.phase = impl_->phase;
  }
  s.metrics = impl_->registry.snapshot();
  return s;
}

void Pipeline::stop() { impl_->stop(); }
bool Pipeline::stopped() const { return impl_->stopped(); }

}  // namespace sluice::pipeline
