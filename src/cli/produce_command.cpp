// `sluice produce`: the seed's DAG task, run once from the command line.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/signals.h"
#include "common/error.h"
#include "log/log_settings.h"
#include "mapping/mapping.h"
#include "produce/produce_job.h"
#include "sources/make_source.h"

namespace sluice::cli {
namespace {

struct ProduceFlags {
  std::string duration, records, rate, seed;
  bool json = false;
};

std::string stats_json(const produce::ProduceStats& s, const std::string& topic, const std::string& dlq,
                       const std::string& source) {
  double secs = s.elapsed_s > 0 ? s.elapsed_s : 1e-9;
  std::string errors;
  for (const auto& [k, v] : s.source.errors) errors += fmt::format("{}\"{}\":{}", errors.empty() ? "" : ",", k, v);
  std::string kinds;
  for (const auto& [k, v] : s.map_failure_kinds) {
    std::string key;
    for (char ch : k) key += (ch == '"' || ch == '\\') ? std::string("\\") + ch : std::string(1, ch);
    kinds += fmt::format("{}\"{}\":{}", kinds.empty() ? "" : ",", key, v);
  }
  return fmt::format(
      "{{\"topic\":\"{}\",\"produced\":{},\"dead_lettered\":{},\"dead_letter_topic\":\"{}\",\"map_failures\":{{{}}},"
      "\"delivery_failures\":{},\"elapsed_s\":{:.3f},\"records_per_s\":{:.0f},\"bytes\":{},\"mb_per_s\":{:.1f},"
      "\"source\":{{\"kind\":\"{}\",\"requests\":{},\"responses\":{},\"records\":{},\"retries\":{},\"errors\":{{{}}}}}}}",
      topic, s.produced, s.dead_lettered, dlq, kinds, s.delivery_failures, s.elapsed_s, s.produced / secs, s.bytes,
      s.bytes / secs / 1e6, source, s.source.requests, s.source.batches, s.source.records, s.source.retries, errors);
}

void print_summary(const produce::ProduceStats& s, const std::string& topic, const std::string& dlq,
                   const std::string& source_desc, const std::string& log_desc) {
  double secs = s.elapsed_s > 0 ? s.elapsed_s : 1e-9;
  std::cout << fmt::format("produced {} records to {} in {:.2f} s: {} records/s, {}/s\n", group_digits(s.produced),
                           topic, s.elapsed_s, human_rate(s.produced / secs), human_mb(s.bytes / secs));
  std::cout << fmt::format("  source         {}: {} responses, {} errors, {} retries\n", source_desc,
                           group_digits(s.source.batches), group_digits(s.source.error_total()),
                           group_digits(s.source.retries));
  for (const auto& [kind, n] : s.source.errors) std::cout << fmt::format("                   {}: {}\n", kind, n);
  std::cout << fmt::format("  dead-lettered  {} to {}\n", group_digits(s.dead_lettered), dlq);
  for (const auto& [reason, n] : s.map_failure_kinds) std::cout << fmt::format("                   {}: {}\n", reason, n);
  if (s.delivery_failures > 0)
    std::cout << fmt::format("  failed         {} ({})\n", group_digits(s.delivery_failures), s.last_delivery_error);
  std::cout << fmt::format("  log            {}\n", log_desc);
}

int run_produce(CliContext& ctx, const ProduceFlags& f) {
  std::vector<config::Override> extra;
  if (!f.duration.empty()) extra.push_back({"produce.for", f.duration, "--for"});
  if (!f.records.empty()) extra.push_back({"produce.records", f.records, "--records"});
  if (!f.rate.empty()) extra.push_back({"produce.rate", f.rate, "--rate"});
  if (!f.seed.empty()) extra.push_back({"builtin.seed", f.seed, "--seed"});
  config::Config cfg = load_config(ctx, std::move(extra));

  // Everything a user can get wrong is checked before the log is touched.
  auto mapping = mapping::Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key"));
  auto source = sources::make_source(cfg);
  produce::ProduceOptions o;
  o.topic = cfg.str("topic");
  o.dead_letter_topic = cfg.dead_letter_topic();
  o.duration = cfg.duration("produce.for");
  o.max_records = static_cast<uint64_t>(cfg.integer("produce.records"));
  o.rate = cfg.number("produce.rate");
  o.batch_size = sources::source_batch_size(cfg);
  // --records N without --for: run until N records, however long it takes.
  if (!f.records.empty() && f.duration.empty()) o.duration = std::chrono::milliseconds(0);

  auto log = log::open_log(log::log_settings(cfg));
  auto admin = log->admin();
  int32_t partitions = static_cast<int32_t>(cfg.integer("topics.partitions"));
  int32_t rf = static_cast<int32_t>(cfg.integer("topics.replication_factor"));
  for (const auto& t : {o.topic, o.dead_letter_topic})
    if (admin->create_topic(t, partitions, rf)) spdlog::info("created topic {} ({} partitions)", t, partitions);
  auto producer = log->producer();
  auto dlq_producer = log->producer({.exclusive = false});  // `sluice stream` writes it too

  std::string limits;
  if (o.duration.count() > 0) limits += fmt::format(" for {:.0f} s", o.duration.count() / 1000.0);
  if (o.max_records > 0) limits += fmt::format("{} up to {} records", limits.empty() ? "" : ",", group_digits(o.max_records));
  if (o.rate > 0) limits += fmt::format(" at {} records/s", human_rate(o.rate));
  spdlog::info("producing from {} to {} on {}{}", source->describe(), o.topic, log->describe(), limits);

  produce::ProduceJob job(*source, mapping, *producer, *dlq_producer, o);
  ctx.signals->on_stop([&] { job.stop(); });
  bool tty = isatty(2) && !f.json;
  auto progress = [&](const produce::ProduceStats& s) {
    if (!tty) return;
    double secs = s.elapsed_s > 0 ? s.elapsed_s : 1e-9;
    std::string line = fmt::format("\r\033[Kproduced {} ({}/s)  dlq {}  source errors {}  {:.1f}s",
                                   group_digits(s.produced), human_rate(s.produced / secs), group_digits(s.dead_lettered),
                                   group_digits(s.source.error_total()), s.elapsed_s);
    if (o.duration.count() > 0) line += fmt::format("/{:.0f}s", o.duration.count() / 1000.0);
    if (!s.log_unreachable.empty()) line += "  log unreachable (" + s.log_unreachable + "): records wait";
    std::cerr << line << std::flush;
  };
  auto stats = job.run(progress);
  ctx.signals->on_stop({});  // `job` goes out of scope below
  if (tty) std::cerr << "\r\033[K" << std::flush;

  if (f.json) std::cout << stats_json(stats, o.topic, o.dead_letter_topic, cfg.str("source")) << std::endl;
  else print_summary(stats, o.topic, o.dead_letter_topic, source->describe(), log->describe());

  if (stats.delivery_failures > 0 || stats.produced + stats.dead_lettered < stats.sent + stats.map_failures) {
    spdlog::error("{} records were not acknowledged by the log: {}",
                  stats.sent + stats.map_failures - stats.produced - stats.dead_lettered, stats.last_delivery_error);
    return 1;
  }
  if (o.max_records > 0 && stats.produced < o.max_records && !ctx.signals->signalled()) {
    spdlog::error("the source ended after {} of {} records", stats.produced, o.max_records);
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
