#include "sinks/factory/table_view.h"

#include "common/error.h"
#include "common/uuid.h"
#include "sinks/cassandra/cassandra_query.h"
#include "sinks/sqlite/sqlite_sink.h"

namespace sluice::sinks {
namespace {

bool is_cassandra(const config::Config& cfg) { return cfg.str("sink").starts_with("cassandra://"); }

std::string sqlite_path(const config::Config& cfg) {
  auto uri = cfg.str("sink");
  if (!uri.starts_with("sqlite:")) throw UsageError("the Table page reads sqlite: and cassandra:// sinks");
  auto path = uri.substr(7);
  return path.starts_with("//") ? path.substr(2) : path;
}

std::string quoted(const std::string& id) { return "\"" + id + "\""; }

const table::Column& key_column(const table::Schema& schema) {
  return schema.columns().at(static_cast<size_t>(schema.primary_key()));
}

}  // namespace

int64_t count_rows(const config::Config& cfg, const table::Schema& schema) {
  auto r = is_cassandra(cfg) ? cassandra_query(cfg, "SELECT count(*) FROM " + quoted(schema.table()), true)
                             : sqlite_query(sqlite_path(cfg), "SELECT count(*) FROM " + quoted(schema.table()));
  if (r.rows.empty() || r.rows[0].empty() || !r.rows[0][0]) return 0;
  return std::stoll(*r.rows[0][0]);
}

QueryResult latest_rows(const config::Config& cfg, const table::Schema& schema, int limit) {
  auto n = std::to_string(std::max(1, limit));
  if (is_cassandra(cfg)) return cassandra_query(cfg, "SELECT * FROM " + quoted(schema.table()) + " LIMIT " + n, true);
  return sqlite_query(sqlite_path(cfg), "SELECT * FROM " + quoted(schema.table()) + " ORDER BY rowid DESC LIMIT " + n);
}

QueryResult lookup_row(const config::Config& cfg, const table::Schema& schema, const std::string& key) {
  const auto& col = key_column(schema);
  bool uuid = col.type == table::ColumnType::uuid;
  if (uuid && !parse_uuid(key)) throw UsageError("\"" + key + "\" is not a UUID (the key " + col.name + " is one)");
  if (is_cassandra(cfg)) return cassandra_lookup(cfg, schema, key);
  return sqlite_query(sqlite_path(cfg),
                      "SELECT * FROM " + quoted(schema.table()) + " WHERE " + quoted(col.name) + " = " +
                          (uuid ? "uuid(?1)" : "?1"),
                      {key});
}

void scan_rows(const config::Config& cfg, const table::Schema& schema, const std::function<void(table::Fields&)>& fn) {
  if (is_cassandra(cfg)) cassandra_scan(cfg, schema, fn);
  else sqlite_scan(sqlite_path(cfg), schema, fn);
}

std::unordered_set<std::string> present_keys(const config::Config& cfg, const table::Schema& schema,
                                             const std::vector<std::string>& keys) {
  if (is_cassandra(cfg)) return cassandra_present_keys(cfg, schema, keys);
  constexpr size_t kChunk = 500;  // bound values per statement (SQLite allows 32766)
  const auto& col = key_column(schema);
  bool uuid = col.type == table::ColumnType::uuid;
  std::unordered_set<std::string> out;
  auto path = sqlite_path(cfg);
  for (size_t i = 0; i < keys.size(); i += kChunk) {
    std::vector<std::string> chunk(keys.begin() + static_cast<std::ptrdiff_t>(i),
                                   keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), i + kChunk)));
    std::string marks;
    for (size_t k = 1; k <= chunk.size(); ++k)
      marks += (k > 1 ? "," : "") + (uuid ? "uuid(?" + std::to_string(k) + ")" : "?" + std::to_string(k));
    auto r = sqlite_query(path, "SELECT " + quoted(col.name) + " FROM " + quoted(schema.table()) + " WHERE " +
                                    quoted(col.name) + " IN (" + marks + ")",
                          chunk);
    for (auto& row : r.rows)
      if (!row.empty() && row[0]) out.insert(std::move(*row[0]));
  }
  return out;
}

}  // namespace sluice::sinks
