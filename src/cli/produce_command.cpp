// `sluice produce`: the seed's DAG task, run once from the command line: flags, then
// the pipeline's produce task, then its figures.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/signals.h"
#include "cli/summaries.h"
#include "common/error.h"
#include "pipeline/pipeline.h"

namespace sluice::cli {
namespace {

struct ProduceFlags {
  std::string duration, records, rate, seed;
  bool json = false;
};

void print_summary(const produce::ProduceStats& s, const pipeline::Pipeline& p) {
  const auto& o = p.options();
  double secs = s.elapsed_s > 0 ? s.elapsed_s : 1e-9;
  std::cout << fmt::format("produced {} records to {} in {:.2f} s: {} records/s, {}/s\n", group_digits(s.produced),
                           o.topic, s.elapsed_s, human_rate(s.produced / secs), human_mb(s.bytes / secs));
  std::cout << fmt::format("  source         {}: {} responses, {} errors, {} retries\n", p.describe_source(),
                           group_digits(s.source.batches), group_digits(s.source.error_total()),
                           group_digits(s.source.retries));
  for (const auto& [kind, n] : s.source.errors) std::cout << fmt::format("                   {}: {}\n", kind, n);
  std::cout << fmt::format("  dead-lettered  {} to {}\n", group_digits(s.dead_lettered), o.dead_letter_topic);
  for (const auto& [kind, n] : s.map_failure_kinds) std::cout << fmt::format("                   {}: {}\n", kind, n);
  if (s.delivery_failures > 0)
    std::cout << fmt::format("  failed         {} ({})\n", group_digits(s.delivery_failures), s.last_delivery_error);
  std::cout << fmt::format("  log            {}\n", p.describe_log());
}

int run_produce(CliContext& ctx, const ProduceFlags& f) {
  std::vector<config::Override> extra;
  if (!f.duration.empty()) extra.push_back({"produce.for", f.duration, "--for"});
  if (!f.records.empty()) extra.push_back({"produce.records", f.records, "--records"});
  if (!f.rate.empty()) extra.push_back({"produce.rate", f.rate, "--rate"});
  if (!f.seed.empty()) extra.push_back({"builtin.seed", f.seed, "--seed"});
  config::Config cfg = load_config(ctx, std::move(extra));
  // --records N without --for: run until N records, however long it takes.
  auto options = pipeline::PipelineOptions::from_config(cfg, !f.records.empty() && f.duration.empty());
  pipeline::Pipeline p(cfg, pipeline::Role::produce, options);
  const auto& o = p.options().produce;

  std::string limits;
  if (o.duration.count() > 0) limits += fmt::format(" for {:.0f} s", o.duration.count() / 1000.0);
  if (o.max_records > 0) limits += fmt::format("{} up to {} records", limits.empty() ? "" : ",", group_digits(o.max_records));
  if (o.rate > 0) limits += fmt::format(" at {} records/s", human_rate(o.rate));
  spdlog::info("producing from {} to {} on {}{}", p.describe_source(), o.topic, p.describe_log(), limits);

  ctx.signals->on_stop([&] { p.stop(); });
  ProgressLine line(!f.json);
  auto stats = p.produce([&](const produce::ProduceStats& s) { line.show(produce_progress_text(s, o)); });
  ctx.signals->on_stop({});  // `p` goes out of scope below
  line.clear();

  if (f.json) std::cout << produce_summary_json(stats, p.options(), cfg.str("source")) << std::endl;
  else print_summary(stats, p);

  if (stats.delivery_failures > 0 || stats.produced + stats.dead_lettered < stats.sent + stats.map_failures) {
    spdlog::error("{} records were not acknowledged by the log: {}",
                  stats.sent + stats.map_failures - stats.produced - stats.dead_lettered, stats.last_delivery_error);
    return 1;
  }
  if (o.max_records > 0 && stats.produced + stats.map_failures < o.max_records && !ctx.signals->signalled()) {
    spdlog::error("the source ended after {} of {} records", stats.produced + stats.map_failures, o.max_records);
    return 1;
  }
  return 0;
}

}  // namespace

void add_produce_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ProduceFlags>();
  auto* sub = app.add_subcommand(
      "produce",
      "Fetch users from the source, format them (mapping.fields) and publish them to the topic: "
      "the seed's Airflow task. Runs --for a duration (default 60 s) or until --records N.");
  sub->fallthrough();
  sub->add_option("--for", flags->duration, "How long to run, e.g. 5s, 10m (produce.for; default 60s)")
      ->type_name("DURATION");
  sub->add_option("--records", flags->records, "Stop after N records (produce.records)")->type_name("N");
  sub->add_option("--rate", flags->rate, "At most N records per second (produce.rate)")->type_name("N");
  sub->add_option("--seed", flags->seed, "Seed of the builtin source, for a repeatable run (builtin.seed)")
      ->type_name("N");
  sub->add_flag("--json", flags->json, "Print the summary as one JSON object");
  sub->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_produce(ctx, *flags); }; });
}

}  // namespace sluice::cli
