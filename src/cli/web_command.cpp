// The dashboard's commands: `sluice ui` (the web server over a pipeline running in
// other processes), `sluice status [--watch] [--json]` (the dashboard's overview in the
// terminal, from the same snapshot as /api/overview) and `sluice dlq list|redrive`.
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/cli_context.h"
#include "cli/format.h"
#include "cli/signals.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "common/units.h"
#include "web/dashboard.h"
#include "web/server.h"

namespace sluice::cli {
namespace {

struct WebFlags {
  std::string listen, kind;
  bool json = false, watch = false, all = false, again = false;
  size_t limit = 20;
  std::vector<std::string> letters;  // PARTITION/OFFSET
};

config::Config web_config(const CliContext& ctx, const WebFlags& f) {
  std::vector<config::Override> extra;
  if (!f.listen.empty()) extra.push_back({"web.listen", f.listen, "--listen"});
  return load_config(ctx, extra);
}

// Blocks until SIGINT/SIGTERM.
void wait_for_signal(CliContext& ctx) {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  ctx.signals->on_stop([&] {
    std::lock_guard lk(mu);
    stop = true;
    cv.notify_all();
  });
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return stop; });
  ctx.signals->on_stop({});
}

int ui(CliContext& ctx, const WebFlags& f) {
  auto cfg = web_config(ctx, f);
  auto options = web::WebOptions::from_config(cfg);
  web::Dashboard dash(cfg, web::Mode::ui);
  web::Server server(dash, options);
  dash.start_sampling();  // the first sample is taken before the first request can come
  server.start();
  std::cerr << "sluice ui: the dashboard of " << cfg.str("pipeline") << " on " << server.url() << " (Ctrl-C stops)\n";
  wait_for_signal(ctx);
  server.stop();
  dash.stop_sampling();
  return 0;
}

// The value at a key, or `fallback` when it is absent or of another type.
template <typename T>
T field_or(simdjson::simdjson_result<simdjson::dom::element> v, T fallback) {
  T out;
  return v.get(out) ? fallback : out;
}

std::string num(double v) { return v >= 0 ? group_digits(static_cast<uint64_t>(v)) : "-"; }

// The overview for a person: the same numbers as the JSON.
void print_overview(const std::string& json) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  auto i = [&](auto path) -> double {
    auto v = doc.at_pointer(path);
    if (v.error()) return -1;
    if (v.is_int64()) return static_cast<double>(v.get_int64().value());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64().value());
    if (v.is_double()) return v.get_double().value();
    return -1;
  };
  auto s = [&](auto path) -> std::string {
    auto v = doc.at_pointer(path);
    std::string_view t;
    return v.get(t) ? std::string("-") : std::string(t);
  };
  std::cout << fmt::format("pipeline {}  (sluice {})\n", s("/pipeline"), s("/version"));
  std::cout << fmt::format("  source  {}\n", s("/source/describe"));
  std::cout << fmt::format("  topic   {} on {}: {} records in {} partitions, {:.1f} records/s\n", s("/topic/name"),
                           s("/log/describe"), num(i("/topic/records")), num(i("/topic/partitions")), i("/topic/rate"));
  std::cout << fmt::format("  query   {}: {} batches, {} read, {} written, {} dead-lettered, {} skipped; "
                           "{:.1f} rows/s in, {:.1f} rows/s processing\n",
                           s("/query/name"), num(i("/query/batches")), num(i("/query/input_rows")),
                           num(i("/query/rows_written")), num(i("/query/dead_lettered")), num(i("/query/skipped")),
                           i("/query/input_rate"), i("/query/process_rate"));
  std::cout << fmt::format("  lag     {} records, {:.1f} s\n", num(i("/lag/records")), std::max(0.0, i("/lag/seconds")));
  std::cout << fmt::format("  table   {} ({}): {} rows\n", s("/table/name"), s("/table/describe"), num(i("/table/rows")));
  std::cout << fmt::format("  dlq     {}: {} records\n", s("/dead_letters/topic"), num(i("/dead_letters/records")));
  if (!doc.at_pointer("/query/last_batch/batch_id").error())
    std::cout << fmt::format("  last batch {}: {} rows in {:.1f} ms, latency p50 {:.0f} ms p99 {:.0f} ms\n",
                             num(i("/query/last_batch/batch_id")), num(i("/query/last_batch/num_input_rows")),
                             i("/query/last_batch/duration_ms/total"), i("/query/last_batch/latency_ms/p50"),
                             i("/query/last_batch/latency_ms/p99"));
  simdjson::dom::array runs;
  if (!doc["runs"].get(runs) && runs.size() > 0) {
    std::cout << "  last DAG runs:\n";
    for (auto r : runs) {
      std::string_view dag, id, state;
      dag = field_or(r["dag_id"], dag);
      id = field_or(r["run_id"], id);
      state = field_or(r["state"], state);
      auto n = [&](const char* k) { return num(static_cast<double>(field_or(r[k], int64_t{-1}))); };
      // The run's books: produced = consumed = written + dead-lettered, or what is missing.
      bool known = false, ok = false;
      known = !r["reconciled"].get(ok);
      std::string_view note;
      note = field_or(r["books"]["note"], note);
      std::string verdict = !known ? std::string(note.empty() ? "" : "  (" + std::string(note) + ")")
                            : ok   ? "  reconciled"
                                   : "  DOES NOT ADD UP: " + std::string(note);
      std::cout << fmt::format("    {:<20} {:<48} {:<9} produced {}, consumed {}, written {}, dead-lettered {}{}\n", dag,
                               id, state, n("produced"), n("consumed"), n("written"), n("dead_lettered"), verdict);
    }
  }
}

int status(CliContext& ctx, const WebFlags& f) {
  auto cfg = load_config(ctx);
  web::Dashboard dash(cfg, web::Mode::status);
  std::atomic<bool> stop{false};
  ctx.signals->on_stop([&] { stop = true; });
  bool tty = isatty(STDOUT_FILENO);
  do {
    dash.sample_once();
    dash.reconcile_runs();  // the runs' books, counted here when no server counted them
    auto json = dash.overview();
    if (f.json) {
      std::cout << json << std::endl;
    } else {
      if (f.watch && tty) std::cout << "\x1b[H\x1b[2J";
      print_overview(json);
      std::cout.flush();
    }
    for (int k = 0; f.watch && k < 20 && !stop; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (f.watch && !stop);
  ctx.signals->on_stop({});
  return 0;
}

int dlq_list(CliContext& ctx, const WebFlags& f) {
  auto cfg = load_config(ctx);
  web::Dashboard dash(cfg, web::Mode::status);
  auto json = dash.dead_letters(f.limit, f.kind);
  if (f.json) {
    std::cout << json << std::endl;
    return 0;
  }
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  int64_t records = 0;
  records = field_or(doc["records"], records);
  std::string_view topic;
  topic = field_or(doc["topic"], topic);
  std::cout << fmt::format("{}: {} dead letters", topic, records);
  std::string kinds;
  for (auto [k, v] : doc["by_kind"].get_object()) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", k, v.get_int64().value());
  std::cout << (kinds.empty() ? "" : " (" + kinds + ")") << "\n";
  for (auto l : doc["letters"].get_array()) {
    std::string_view kind, reason, stage, value;
    kind = field_or(l["kind"], kind);
    reason = field_or(l["reason"], reason);
    stage = field_or(l["stage"], stage);
    value = field_or(l["value"], value);
    bool redriven = false;
    redriven = field_or(l["redriven"], redriven);
    std::string origin = "-";
    if (auto o = l["origin"]; o.is_object())
      origin = fmt::format("{}/{}/{}", std::string_view(o["topic"]), int64_t(o["partition"]), int64_t(o["offset"]));
    std::string shown(value.substr(0, 60));
    if (value.size() > 60) shown += "...";
    std::cout << fmt::format("  {}/{:<8} {:<16} {:<6} from {:<24} {}{}\n    {}\n", int64_t(l["partition"]),
                             int64_t(l["offset"]), kind, stage, origin, reason, redriven ? "  [redriven]" : "", shown);
  }
  return 0;
}

int dlq_redrive(CliContext& ctx, const WebFlags& f) {
  auto cfg = load_config(ctx);
  web::RedriveRequest req;
  for (const auto& l : f.letters) {
    auto slash = l.find('/');
    try {
      if (slash == std::string::npos) throw std::invalid_argument(l);
      req.letters.emplace_back(std::stoi(l.substr(0, slash)), std::stoll(l.substr(slash + 1)));
    } catch (const std::exception&) {
      throw UsageError("dlq redrive " + l + ": expected PARTITION/OFFSET, e.g. 0/17 (sluice dlq list shows them)");
    }
  }
  req.kind = f.kind;
  req.all = f.all;
  req.again = f.again;
  web::Dashboard dash(cfg, web::Mode::ui);
  std::string json;
  try {
    json = dash.redrive_letters(req);
  } catch (const web::ApiError& e) {
    throw UsageError(e.what());
  }
  if (f.json) {
    std::cout << json << std::endl;
    return 0;
  }
  simdjson::dom::parser parser;
  auto doc = parser.parse(json);
  std::cout << fmt::format("redrove {} dead letter(s) to {}; {} skipped as already redriven (--again redrives them)",
                           int64_t(doc["redriven"]), std::string_view(doc["target"]), int64_t(doc["already"]));
  if (int64_t missing = doc["missing"]; missing > 0) std::cout << fmt::format("; {} not found", missing);
  std::cout << "\n";
  return 0;
}

}  // namespace

void add_web_command(CLI::App& app, CliContext& ctx) {
  auto uf = std::make_shared<WebFlags>();
  auto* u = app.add_subcommand("ui",
                               "Serve the dashboard, its API and /metrics for a pipeline running in other processes "
                               "(reads its log, table, scheduler metadata and history)");
  u->fallthrough();
  u->add_option("--listen", uf->listen, "HOST:PORT (web.listen; default 127.0.0.1:8080)")->type_name("HOST:PORT");
  u->callback([&ctx, uf] { ctx.action = [&ctx, uf] { return ui(ctx, *uf); }; });

  auto sf = std::make_shared<WebFlags>();
  auto* s = app.add_subcommand("status", "The pipeline at a glance: rates, lag, table, last batch and DAG runs (the dashboard's overview)");
  s->fallthrough();
  s->add_flag("--json", sf->json, "The overview as JSON (what GET /api/overview answers)");
  s->add_flag("-w,--watch", sf->watch, "Refresh every 2 s until Ctrl-C");
  s->callback([&ctx, sf] { ctx.action = [&ctx, sf] { return status(ctx, *sf); }; });

  auto* d = app.add_subcommand("dlq", "The dead-letter topic: list its records, redrive them to the source topic");
  d->require_subcommand(1);
  d->fallthrough();
  auto lf = std::make_shared<WebFlags>();
  auto* l = d->add_subcommand("list", "The newest dead letters with their reason, stage and origin");
  l->fallthrough();
  l->add_option("-n,--limit", lf->limit, "How many")->capture_default_str();
  l->add_option("--kind", lf->kind, "Only this reason kind (e.g. missing_field)");
  l->add_flag("--json", lf->json, "As JSON (what GET /api/dead-letters answers)");
  l->callback([&ctx, lf] { ctx.action = [&ctx, lf] { return dlq_list(ctx, *lf); }; });
  auto rf = std::make_shared<WebFlags>();
  auto* r = d->add_subcommand("redrive", "Send dead letters back to the source topic (each one once)");
  r->fallthrough();
  r->add_option("letters", rf->letters, "PARTITION/OFFSET of each letter (sluice dlq list)");
  r->add_option("--kind", rf->kind, "Every letter of this reason kind");
  r->add_flag("--all", rf->all, "Every letter");
  r->add_flag("--again", rf->again, "Also letters already redriven (or that failed again after a redrive)");
  r->add_flag("--json", rf->json, "The result as JSON");
  r->callback([&ctx, rf] { ctx.action = [&ctx, rf] { return dlq_redrive(ctx, *rf); }; });
}

}  // namespace sluice::cli
