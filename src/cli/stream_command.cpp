// `sluice stream` (the seed's Spark job) and `sluice run` (the whole seed system in one
// process: the DAG's produce task and the streaming query, then a summary).
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/signals.h"
#include "common/error.h"
#include "log/log_settings.h"
#include "mapping/mapping.h"
#include "produce/produce_job.h"
#include "sinks/sink.h"
#include "sources/make_source.h"
#include "stream/query/query.h"

namespace sluice::cli {
namespace {

struct StreamFlags {
  std::string trigger, group, starting_offsets, max_records_per_batch, on_error;
  // run only
  std::string duration, records, rate, seed;
  bool json = false;
};

std::vector<config::Override> stream_overrides(const StreamFlags& f) {
  std::vector<config::Override> o;
  if (!f.trigger.empty()) o.push_back({"stream.trigger", f.trigger, "--trigger"});
  if (!f.group.empty()) o.push_back({"stream.group", f.group, "--group"});
  if (!f.starting_offsets.empty()) o.push_back({"stream.starting_offsets", f.starting_offsets, "--starting-offsets"});
  if (!f.max_records_per_batch.empty())
    o.push_back({"stream.max_records_per_batch", f.max_records_per_batch, "--max-records-per-batch"});
  if (!f.on_error.empty()) o.push_back({"stream.on_error", f.on_error, "--on-error"});
  if (!f.duration.empty()) o.push_back({"produce.for", f.duration, "--for"});
  if (!f.records.empty()) o.push_back({"produce.records", f.records, "--records"});
  if (!f.rate.empty()) o.push_back({"produce.rate", f.rate, "--rate"});
  if (!f.seed.empty()) o.push_back({"builtin.seed", f.seed, "--seed"});
  return o;
}

stream::QueryOptions query_options(const config::Config& cfg) {
  stream::QueryOptions q;
  q.name = cfg.str("stream.group");
  q.topic = cfg.str("topic");
  q.dead_letter_topic = cfg.dead_letter_topic();
  auto trig = stream::Trigger::parse(cfg.str("stream.trigger"));
  if (!trig)
    throw UsageError(cfg.origin("stream.trigger") + ": stream.trigger: expected an interval such as 10s, once, "
                     "available-now or continuous, got \"" + cfg.str("stream.trigger") + "\"");
  q.trigger = *trig;
  q.max_records_per_batch = static_cast<size_t>(cfg.integer("stream.max_records_per_batch"));
  const auto& e = cfg.str("stream.on_error");
  q.on_error = e == "fail" ? stream::OnError::fail : e == "skip" ? stream::OnError::skip : stream::OnError::dlq;
  q.max_value_bytes = static_cast<size_t>(cfg.bytes("stream.max_value_bytes"));
  q.start_latest = cfg.str("stream.starting_offsets") == "latest";
  return q;
}

log::ConsumerOptions consumer_options(const config::Config& cfg) {
  log::ConsumerOptions c;
  c.group = cfg.str("stream.group");
  c.start = cfg.str("stream.starting_offsets") == "latest" ? log::StartFrom::latest : log::StartFrom::earliest;
  c.fail_on_data_loss = cfg.boolean("stream.fail_on_data_loss");
  return c;
}

// A producer shared by two threads (the produce task's and the query's dead letters).
class SharedProducer : public log::Producer {
 public:
  explicit SharedProducer(log::Producer& p) : p_(p) {}
  void send(const log::OutRecord& r) override {
    std::lock_guard lk(mu_);
    p_.send(r);
  }
  log::DeliveryStats poll() override {
    std::lock_guard lk(mu_);
    return p_.poll();
  }
  log::DeliveryStats flush(std::chrono::milliseconds t) override {
    std::lock_guard lk(mu_);
    return p_.flush(t);
  }

 private:
  log::Producer& p_;
  std::mutex mu_;
};

std::string summary_json(const stream::QuerySummary& s) {
  return fmt::format(
      "{{\"batches\":{},\"input_rows\":{},\"written_rows\":{},\"dead_lettered\":{},\"skipped\":{},\"elapsed_s\":{:.3f},"
      "\"latency_p50_ms\":{:.3f},\"latency_p99_ms\":{:.3f},\"failed\":{}}}",
      s.batches, s.input_rows, s.written_rows, s.dead_lettered, s.skipped, s.elapsed_s, s.latency_p50_ms,
      s.latency_p99_ms, s.failed ? "true" : "false");
}

int run_stream(CliContext& ctx, const StreamFlags& f) {
  auto cfg = load_config(ctx, stream_overrides(f));
  auto q = query_options(cfg);
  auto schema = stream::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
  auto sink = sinks::open_sink(cfg, schema);
  auto log = log::open_log(log::log_settings(cfg));
  if (!log->admin()->topic_exists(q.topic))
    throw FatalError("topic " + q.topic + " does not exist in " + log->describe() +
                     " (run `sluice produce` first, or `sluice topics create " + q.topic + "`)");
  log->admin()->create_topic(q.dead_letter_topic, static_cast<int32_t>(cfg.integer("topics.partitions")),
                             static_cast<int32_t>(cfg.integer("topics.replication_factor")));
  sink->ensure_schema();
  auto consumer = log->consumer(consumer_options(cfg));
  auto dlq = log->producer({.exclusive = false});  // `sluice produce` writes it too
  stream::ProgressHistory history;  // the recent batches, for the dashboard to show
  auto admin = log->admin();
  stream::Query query(*consumer, *dlq, *sink, schema, q, &history, admin.get());
  ctx.signals->on_stop([&] { query.stop(); });
  auto s = query.run();
  ctx.signals->on_stop({});  // `query` goes out of scope below
  if (f.json) std::cout << summary_json(s) << std::endl;
  else
    std::cout << fmt::format(
        "query {}: {} batches, {} records read, {} rows written, {} dead-lettered, {} skipped in {:.2f} s; "
        "latency p50 {:.1f} ms, p99 {:.1f} ms\n",
        q.name, s.batches, group_digits(s.input_rows), group_digits(s.written_rows), group_digits(s.dead_lettered),
        group_digits(s.skipped), s.elapsed_s, s.latency_p50_ms, s.latency_p99_ms);
  if (s.failed) {
    std::cerr << "sluice: query failed: " << s.error << "\n";
    return 1;
  }
  return 0;
}

int run_all(CliContext& ctx, const StreamFlags& f) {
  auto cfg = load_config(ctx, stream_overrides(f));
  auto q = query_options(cfg);
  auto schema = stream::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
  auto mapping = mapping::Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key"));
  auto source = sources::make_source(cfg);
  auto sink = sinks::open_sink(cfg, schema);
  produce::ProduceOptions po;
  po.topic = q.topic;
  po.dead_letter_topic = q.dead_letter_topic;
  po.duration = cfg.duration("produce.for");
  po.max_records = static_cast<uint64_t>(cfg.integer("produce.records"));
  po.rate = cfg.number("produce.rate");
  po.batch_size = sources::source_batch_size(cfg);
  if (!f.records.empty() && f.duration.empty()) po.duration = std::chrono::milliseconds(0);

  auto log = log::open_log(log::log_settings(cfg));
  auto admin = log->admin();
  for (const auto& t : {q.topic, q.dead_letter_topic})
    admin->create_topic(t, static_cast<int32_t>(cfg.integer("topics.partitions")),
                        static_cast<int32_t>(cfg.integer("topics.replication_factor")));
  sink->ensure_schema();
  auto producer = log->producer();
  auto dlq_inner = log->producer({.exclusive = false});
  SharedProducer dlq(*dlq_inner);
  auto consumer = log->consumer(consumer_options(cfg));

  spdlog::info("running {}: {} -> {} -> {} on {}", cfg.str("pipeline"), source->describe(), q.topic, sink->describe(),
               log->describe());
  produce::ProduceJob job(*source, mapping, *producer, dlq, po);
  stream::ProgressHistory history;
  stream::Query query(*consumer, dlq, *sink, schema, q, &history);
  std::atomic<bool> interrupted{false};
  ctx.signals->on_stop([&] {
    interrupted = true;
    job.stop();
    query.stop();
  });

  stream::QuerySummary qs;
  std::thread query_thread([&] { qs = query.run(); });
  auto ps = job.run();

  // Let the query catch up with everything produced, then stop it.
  auto target = admin->describe_topic(q.topic);
  auto caught_up = [&] {
    auto c = query.committed();
    for (const auto& p : target.partitions) {
      auto it = c.find(p.partition);
      if (p.end_offset > p.start_offset && (it == c.end() || it->second < p.end_offset)) return false;
    }
    return true;
  };
  auto wait_limit = std::chrono::steady_clock::now() + std::max(std::chrono::milliseconds(60'000), q.trigger.interval * 3);
  while (!interrupted && !caught_up() && !query.totals().failed && std::chrono::steady_clock::now() < wait_limit)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  query.stop();
  query_thread.join();
  ctx.signals->on_stop({});

  int64_t lag = 0;
  auto c = query.committed();
  for (const auto& p : target.partitions) {
    auto it = c.find(p.partition);
    lag += p.end_offset - (it == c.end() ? p.start_offset : it->second);
  }
  double secs = ps.elapsed_s > 0 ? ps.elapsed_s : 1e-9;
  if (f.json) {
    std::cout << fmt::format(
                     "{{\"produced\":{},\"written\":{},\"dead_lettered\":{},\"final_lag\":{},\"produce_elapsed_s\":{:.3f},"
                     "\"records_per_s\":{:.0f},\"latency_p50_ms\":{:.3f},\"latency_p99_ms\":{:.3f},\"query\":{}}}",
                     ps.produced, qs.written_rows, ps.dead_lettered + qs.dead_lettered, lag, ps.elapsed_s,
                     ps.produced / secs, qs.latency_p50_ms, qs.latency_p99_ms, summary_json(qs))
              << std::endl;
  } else {
    std::cout << fmt::format("produced       {} records in {:.2f} s ({} records/s) from {}\n", group_digits(ps.produced),
                             ps.elapsed_s, human_rate(ps.produced / secs), source->describe());
    std::cout << fmt::format("written        {} rows to {} in {} batches\n", group_digits(qs.written_rows),
                             sink->describe(), qs.batches);
    std::cout << fmt::format("dead-lettered  {} (mapping {}, stream {}) to {}\n",
                             group_digits(ps.dead_lettered + qs.dead_lettered), ps.dead_lettered, qs.dead_lettered,
                             q.dead_letter_topic);
    std::cout << fmt::format("final lag      {}\n", lag);
    std::cout << fmt::format("latency        p50 {:.1f} ms, p99 {:.1f} ms (record timestamp -> offsets committed)\n",
                             qs.latency_p50_ms, qs.latency_p99_ms);
    std::cout << fmt::format("query the table: build/sluice query \"SELECT count(*) FROM {}\"\n", schema.table());
  }
  if (qs.failed) {
    std::cerr << "sluice: query failed: " << qs.error << "\n";
    return 1;
  }
  if (lag > 0 && !interrupted) {
    std::cerr << "sluice: the query did not catch up (lag " << lag << ")\n";
    return 1;
  }
  return 0;
}

void add_stream_flags(CLI::App* sub, StreamFlags& f) {
  sub->add_option("--trigger", f.trigger, "10s (interval), once, available-now or continuous (stream.trigger)")
      ->type_name("TRIGGER");
  sub->add_option("--group", f.group, "Consumer group, the query's checkpoint (stream.group)")->type_name("NAME");
  sub->add_option("--starting-offsets", f.starting_offsets, "earliest or latest, for a new group")->type_name("WHERE");
  sub->add_option("--max-records-per-batch", f.max_records_per_batch, "Most records per micro-batch")->type_name("N");
  sub->add_option("--on-error", f.on_error, "dlq, fail or skip: what a bad record does (stream.on_error)")
      ->type_name("ACTION");
  sub->add_flag("--json", f.json, "Print the summary as one JSON object");
}

}  // namespace

void add_stream_command(CLI::App& app, CliContext& ctx) {
  auto sf = std::make_shared<StreamFlags>();
  auto* s = app.add_subcommand("stream",
                               "Run the streaming query: read the topic as a consumer group in micro-batches, validate "
                               "each record against the schema, upsert into the sink, then commit (the seed's Spark job)");
  s->fallthrough();
  add_stream_flags(s, *sf);
  s->callback([&ctx, sf] { ctx.action = [&ctx, sf] { return run_stream(ctx, *sf); }; });

  auto rf = std::make_shared<StreamFlags>();
  auto* r = app.add_subcommand("run",
                               "Run the whole pipeline in one process: the produce task and the streaming query; "
                               "stops when the task ends and the table caught up, then prints a summary");
  r->fallthrough();
  add_stream_flags(r, *rf);
  r->add_option("--for", rf->duration, "How long the produce task runs (produce.for)")->type_name("DURATION");
  r->add_option("--records", rf->records, "Produce N records, then stop (produce.records)")->type_name("N");
  r->add_option("--rate", rf->rate, "At most N records per second (produce.rate)")->type_name("N");
  r->add_option("--seed", rf->seed, "Seed of the builtin source (builtin.seed)")->type_name("N");
  r->callback([&ctx, rf] { ctx.action = [&ctx, rf] { return run_all(ctx, *rf); }; });
}

}  // namespace sluice::cli
