// `sluice verify`: the table against the topic, per primary key (verify/verify.h), for a
// person or as JSON; exit 0 when the table matches, 1 when it does not.
#include <fmt/format.h>

#include <iostream>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/summaries.h"
#include "common/error.h"
#include "common/uri.h"
#include "log/factory/open_log.h"
#include "stream/row_parser.h"
#include "verify/verify.h"

namespace sluice::cli {
namespace {

struct VerifyFlags {
  std::string topic;
  std::vector<std::string> offsets;
  std::string since, until, scratch;
  size_t examples = 10;
  bool json = false;
};

std::string n(int64_t v) { return group_digits(static_cast<uint64_t>(std::max<int64_t>(v, 0))); }

// "2026-12-02T10:00:00Z" or milliseconds since the epoch.
int64_t time_flag(const std::string& flag, const std::string& v) {
  if (v.empty()) return 0;
  int64_t ms = 0;
  if (v.find_first_not_of("0123456789") == std::string::npos) return std::stoll(v);
  if (stream::parse_iso8601(v, ms)) return ms;
  throw UsageError(flag + " " + v + ": not a time (2026-12-02T10:00:00Z, or milliseconds since the epoch)");
}

// "P:FROM-TO" (TO exclusive; empty: to the end).
void offsets_flag(const std::string& v, std::map<int32_t, std::pair<int64_t, int64_t>>& out) {
  auto colon = v.find(':'), dash = v.find('-');
  try {
    if (colon == std::string::npos || dash == std::string::npos || dash < colon) throw std::invalid_argument(v);
    int32_t p = std::stoi(v.substr(0, colon));
    int64_t from = std::stoll(v.substr(colon + 1, dash - colon - 1));
    std::string to = v.substr(dash + 1);
    out[p] = {from, to.empty() ? INT64_MAX : std::stoll(to)};
  } catch (const std::exception&) {
    throw UsageError("--offsets " + v + ": not PARTITION:FROM-TO (e.g. 0:100-200, or 0:100- to the end)");
  }
}

void print(const verify::VerifyReport& r, const std::string& topic, const std::string& sink, const std::string& dlq) {
  std::cout << fmt::format("verify: {} records of {} against {} ({} rows) in {:.1f} s\n", n(r.records), topic, sink,
                           n(r.table_rows), r.seconds);
  std::cout << fmt::format("  keys           {} ({} later versions of a key)\n", n(r.keys), n(r.duplicates));
  std::cout << fmt::format("  matching       {}\n", n(r.matching));
  std::cout << fmt::format("  missing        {}   in the topic, not in the table, no dead letter\n", n(r.missing));
  std::cout << fmt::format("  different      {}", n(r.different));
  std::string sep = "   by field: ";
  for (const auto& [f, k] : r.different_by_field) std::cout << sep << f << " " << n(k), sep = ", ";
  std::cout << "\n";
  if (r.extra) std::cout << fmt::format("  extra          {}   in the table, never in the topic\n", n(*r.extra));
  else std::cout << fmt::format("  extra          not checked: {}\n", r.extra_note);
  std::cout << fmt::format("  dead-lettered  {} keys whose last record is in {}\n", n(r.dead_lettered), dlq);
  std::cout << fmt::format("  bad records    {} that do not parse, {} of them without a dead letter\n", n(r.unparseable),
                           n(r.unparseable_without_letter));
  std::cout << fmt::format("  {}  {} letters", dlq, n(r.letters));
  sep = ": ";
  for (const auto& [k, c] : r.letters_by_kind) std::cout << sep << k << " " << n(c), sep = ", ";
  std::cout << "\n";
  for (const auto& e : r.examples) {
    std::cout << fmt::format("  {:<15} key {}", e.kind, e.key.empty() ? "-" : e.key);
    if (e.partition >= 0) std::cout << fmt::format(" (partition {}, offset {})", e.partition, e.offset);
    if (e.kind == "different")
      std::cout << fmt::format(": {} is {}, the topic says {}", e.field, e.actual ? "\"" + *e.actual + "\"" : "null",
                               e.expected ? "\"" + *e.expected + "\"" : "null");
    std::cout << "\n";
  }
  std::cout << (r.ok() ? "OK: the table matches the topic\n" : "MISMATCH: the table does not match the topic\n");
}

int run_verify(CliContext& ctx, const VerifyFlags& f) {
  auto cfg = load_config(ctx);
  verify::VerifyOptions o;
  o.topic = f.topic.empty() ? cfg.str("topic") : f.topic;
  o.dead_letter_topic = cfg.str("dead_letter_topic");
  for (const auto& v : f.offsets) offsets_flag(v, o.offsets);
  o.since_ms = time_flag("--since", f.since);
  o.until_ms = time_flag("--until", f.until);
  o.scratch_dir = f.scratch;
  o.examples = f.examples;
  auto schema = table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
  auto log = log::open_log(log::log_settings(cfg));
  ProgressLine line(!f.json);
  auto report = verify::verify(cfg, *log, schema, o, [&](const std::string& phase, int64_t done) {
    line.show(phase == "compare" ? "verify: comparing" : fmt::format("verify: {} {} rows read", phase, n(done)));
  });
  line.clear();
  if (f.json) {
    JsonWriter w;
    report.to_json(w);
    std::cout << w.take() << std::endl;
  } else {
    print(report, o.topic, redact_uri(cfg.str("sink")) + " table " + schema.table(), o.dead_letter_topic);
  }
  return report.ok() ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* sub = app.add_subcommand(
      "verify",
      "Check the table against the topic, per primary key: missing rows, rows that differ from the key's last record "
      "(field by field), rows never in the topic; and the dead letters by kind. Exit 0 when the table matches, 1 "
      "when not.");
  sub->fallthrough();
  sub->add_option("--topic", flags->topic, "The topic to read (default: the config's topic)")->type_name("NAME");
  sub->add_option("--offsets", flags->offsets, "Read only PARTITION:FROM-TO (TO exclusive, empty: the end); repeatable")
      ->type_name("P:FROM-TO");
  sub->add_option("--since", flags->since, "Only records stamped at or after TIME (ISO 8601 or ms)")->type_name("TIME");
  sub->add_option("--until", flags->until, "Only records stamped before TIME")->type_name("TIME");
  sub->add_option("--scratch", flags->scratch, "Directory for the scratch file (default: the system's temp dir)")
      ->type_name("DIR");
  sub->add_option("--examples", flags->examples, "Examples shown per kind of finding (default 10)")->type_name("N");
  sub->add_flag("--json", flags->json, "Print the report as one JSON object");
  sub->callback([&ctx, flags] { ctx.action = [&ctx, flags] { return run_verify(ctx, *flags); }; });
}

}  // namespace sluice::cli
