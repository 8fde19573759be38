// `sluice query [--json] "SELECT ..."`: cqlsh's role, on the embedded sink (SQL) or a
// cassandra:// sink (CQL).
#include <fmt/format.h>

#include <iostream>

#include "cli/cli_context.h"
#include "common/json_writer.h"
#include "sinks/factory/open_sink.h"

namespace sluice::cli {
namespace {

struct QueryFlags {
  std::string sql;
  bool json = false;
};

int run_query(CliContext& ctx, const QueryFlags& f) {
  auto cfg = load_config(ctx);
  auto r = sinks::query_sink(cfg, f.sql, f.json);
  if (f.json) {
    for (const auto& row : r.rows) {
      std::string out = "{";
      for (size_t i = 0; i < row.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, r.columns[i]);
        out += ':';
        if (!row[i]) out += "null";
        else if (r.numeric[i]) out += *row[i];
        else append_json_string(out, *row[i]);
      }
      std::cout << out << "}\n";
    }
    return 0;
  }
  std::vector<size_t> width(r.columns.size());
  auto cell = [](const std::optional<std::string>& v) { return v ? *v : std::string("null"); };
  // Display width in code points, so that non-Latin text lines up.
  auto cps = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xc0) != 0x80;
    return n;
  };
  for (size_t i = 0; i < r.columns.size(); ++i) {
    width[i] = cps(r.columns[i]);
    for (const auto& row : r.rows) width[i] = std::max(width[i], cps(cell(row[i])));
  }
  auto line = [&](auto get) {
    std::string out;
    for (size_t i = 0; i < r.columns.size(); ++i) {
      std::string v = get(i);
      out += (i ? " | " : " ") + v + std::string(width[i] - cps(v), ' ');
    }
    std::cout << out << "\n";
  };
  line([&](size_t i) { return r.columns[i]; });
  std::string sep;
  for (size_t i = 0; i < r.columns.size(); ++i) sep += (i ? "-+-" : "-") + std::string(width[i], '-');
  std::cout << sep << "\n";
  for (const auto& row : r.rows) line([&](size_t i) { return cell(row[i]); });
  std::cout << "\n(" << r.rows.size() << (r.rows.size() == 1 ? " row)\n" : " rows)\n");
  return 0;
}

}  // namespace

void add_query_command(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<QueryFlags>();
  auto* q = app.add_subcommand("query", "Run SQL (sqlite:) or CQL (cassandra://) on the sink's table (cqlsh's role), e.g. sluice query \"SELECT count(*) FROM users\"");
  q->fallthrough();
  q->add_option("sql", f->sql, "The statement")->required();
  q->add_flag("--json", f->json, "One JSON object per row");
  q->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_query(ctx, *f); }; });
}

}  // namespace sluice::cli
