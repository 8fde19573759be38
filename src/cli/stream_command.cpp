// `sluice stream` (the seed's Spark job) and `sluice run` (the whole seed system in one
// process: the DAG's produce task and the streaming query, then a summary).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/signals.h"
#include "cli/summaries.h"
#include "common/backoff.h"
#include "pipeline/pipeline.h"

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

// Draws the live progress line on a ticker thread while `work` runs on this one.
template <typename Work, typename Text>
auto with_progress(ProgressLine& line, Work work, Text text) {
  std::unique_ptr<std::thread> ticker;
  StopSignal done;
  if (line.active())
    ticker = std::make_unique<std::thread>([&] {
      while (done.wait_for(std::chrono::milliseconds(500))) line.show(text());
    });
  auto result = work();
  done.stop();
  if (ticker) ticker->join();
  line.clear();
  return result;
}

std::string last_batch_text(const pipeline::Pipeline& p) {
  auto recent = p.history().recent();
  return query_progress_text(p.query_totals(), recent.empty() ? nullptr : &recent.back());
}

int run_stream(CliContext& ctx, const StreamFlags& f) {
  auto cfg = load_config(ctx, stream_overrides(f));
  auto options = pipeline::PipelineOptions::from_config(cfg);
  options.query.log_progress = f.json;  // JSON progress lines where asked for (else at debug level)
  pipeline::Pipeline p(cfg, pipeline::Role::stream, options);
  ctx.signals->on_stop([&] { p.stop(); });
  ProgressLine line(!f.json);
  auto s = with_progress(line, [&] { return p.stream(); }, [&] { return last_batch_text(p); });
  ctx.signals->on_stop({});  // `p` goes out of scope below
  if (f.json) std::cout << query_summary_json(s) << std::endl;
  else
    std::cout << fmt::format(
        "query {}: {} batches, {} records read, {} rows written, {} dead-lettered, {} skipped in {:.2f} s; "
        "latency p50 {:.1f} ms, p99 {:.1f} ms\n",
        p.options().query.name, s.batches, group_digits(s.input_rows), group_digits(s.written_rows),
        group_digits(s.dead_lettered), group_digits(s.skipped), s.elapsed_s, s.latency_p50_ms, s.latency_p99_ms);
  if (s.failed) {
    std::cerr << "sluice: query failed: " << s.error << "\n";
    return 1;
  }
  return 0;
}

int run_all(CliContext& ctx, const StreamFlags& f) {
  auto cfg = load_config(ctx, stream_overrides(f));
  auto options = pipeline::PipelineOptions::from_config(cfg, !f.records.empty() && f.duration.empty());
  options.query.log_progress = f.json;
  pipeline::Pipeline p(cfg, pipeline::Role::run, options);
  ctx.signals->on_stop([&] { p.stop(); });
  ProgressLine line(!f.json);
  auto r = p.run([&](const produce::ProduceStats& s) {
    line.show(produce_progress_text(s, p.options().produce) + "  |  " + last_batch_text(p));
  });
  ctx.signals->on_stop({});
  line.clear();

  const auto& ps = r.produce;
  const auto& qs = r.query;
  double secs = ps.elapsed_s > 0 ? ps.elapsed_s : 1e-9;
  if (f.json) {
    std::cout << run_summary_json(r) << std::endl;
  } else {
    std::cout << fmt::format("produced       {} records in {:.2f} s ({} records/s) from {}\n", group_digits(ps.produced),
                             ps.elapsed_s, human_rate(ps.produced / secs), p.describe_source());
    std::cout << fmt::format("written        {} rows to {} in {} batches\n", group_digits(qs.written_rows),
                             p.describe_sink(), qs.batches);
    std::cout << fmt::format("dead-lettered  {} (mapping {}, stream {}) to {}\n",
                             group_digits(ps.dead_lettered + qs.dead_lettered), ps.dead_lettered, qs.dead_lettered,
                             p.options().dead_letter_topic);
    std::cout << fmt::format("final lag      {}\n", r.lag.total);
    std::cout << fmt::format("latency        p50 {:.1f} ms, p99 {:.1f} ms (record timestamp -> offsets committed)\n",
                             qs.latency_p50_ms, qs.latency_p99_ms);
    std::cout << fmt::format("query the table: build/sluice query \"SELECT count(*) FROM {}\"\n", p.table());
  }
  if (qs.failed) {
    std::cerr << "sluice: query failed: " << qs.error << "\n";
    return 1;
  }
  if (r.lag.total > 0 && !r.interrupted) {
    std::cerr << "sluice: the query did not catch up (lag " << r.lag.total << ")\n";
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
  sub->add_flag("--json", f.json,
                "Print the summary as one JSON object, and one JSON progress line per micro-batch to the log "
                "(without it: a live progress line on a terminal; the JSON lines at --log-level debug)");
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
