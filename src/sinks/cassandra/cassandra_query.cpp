#include "sinks/cassandra/cassandra_query.h"

#include "common/uuid.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "common/error.h"
#include "cql/value_codec.h"
#include "cql/value_format.h"
#include "sinks/cassandra/cassandra_settings.h"

namespace sluice::sinks {
namespace {

constexpr int32_t kPageSize = 5000;

bool json_number(cql::TypeId t) {
  using cql::TypeId;
  switch (t) {
    case TypeId::tinyint:
    case TypeId::smallint:
    case TypeId::int_:
    case TypeId::bigint:
    case TypeId::counter:
    case TypeId::varint:
    case TypeId::float_:
    case TypeId::double_:
    case TypeId::boolean: return true;
    default: return false;
  }
}

// A cell as a JSON literal for the numeric columns above (JSON has no NaN: Python's
// json module reads the bare NaN / Infinity this prints), else as cqlsh shows it.
std::string json_cell(const cql::Bytes& cell, const cql::DataType& t) {
  try {
    cql::Value v = cql::decode_cell(cell, t);
    switch (t.id) {
      case cql::TypeId::boolean: return v.i ? "true" : "false";
      case cql::TypeId::float_:
      case cql::TypeId::double_:
        if (std::isnan(v.f)) return "NaN";
        if (std::isinf(v.f)) return v.f > 0 ? "Infinity" : "-Infinity";
        return t.id == cql::TypeId::float_ ? fmt::format("{}", static_cast<float>(v.f)) : fmt::format("{}", v.f);
      default: return cql::format_cell(cell, t);
    }
  } catch (const std::exception&) {
    return cql::format_cell(cell, t);
  }
}

CassandraUri sink_uri(const config::Config& cfg) {
  try {
    return parse_cassandra_uri(cfg.str("sink"));
  } catch (const UsageError& e) {
    throw UsageError(cfg.origin("sink") + ": " + e.what());
  }
}

// A session in the sink's keyspace, connected; errors as cassandra_query documents.
std::unique_ptr<cql::Session> connect(const config::Config& cfg, const CassandraUri& uri) {
  auto session = std::make_unique<cql::Session>(cassandra_session_options(cfg, uri, true));
  try {
    session->connect();
  } catch (const cql::CqlError& e) {
    if (e.error().is(cql::ErrorCode::invalid))  // USE of a keyspace that does not exist
      throw UsageError(fmt::format("no keyspace {} in {} yet (run `sluice stream` or `sluice run` first): {}",
                                   uri.keyspace, uri.redacted(), e.error().server->message));
    throw FatalError(fmt::format("Cassandra {}: {}", uri.redacted(), e.what()));
  }
  return session;
}

[[noreturn]] void rethrow_query_error(const cql::CqlError& e, const CassandraUri& uri) {
  const auto& err = e.error();
  if (err.is(cql::ErrorCode::syntax_error) || err.is(cql::ErrorCode::invalid) || err.is(cql::ErrorCode::unauthorized) ||
      err.is(cql::ErrorCode::already_exists) || err.is(cql::ErrorCode::config_error))
    throw UsageError("query: " + cql::describe(*err.server));
  throw FatalError(fmt::format("Cassandra {}: {}", uri.redacted(), e.what()));
}

// The key's text as a value bound to the key column (uuid or text).
cql::BindValue key_value(const table::Column& col, const std::string& key) {
  if (col.type == table::ColumnType::uuid) {
    auto id = parse_uuid(key);
    if (!id) throw UsageError("\"" + key + "\" is not a UUID (the key " + col.name + " is one)");
    return cql::BindValue::of(std::string(reinterpret_cast<const char*>(id->data()), id->size()));
  }
  if (col.type == table::ColumnType::text) return cql::BindValue::of(key);
  throw UsageError(std::string("lookup by a key of type ") + table::type_name(col.type) + " is not supported on Cassandra");
}

}  // namespace

QueryResult cassandra_query(const config::Config& cfg, const std::string& cql, bool json,
                            std::vector<cql::BindValue> values) {
  auto uri = sink_uri(cfg);
  auto session = connect(cfg, uri);
  QueryResult r;
  try {
    session->for_each_page(cql, std::move(values), kPageSize, [&](const cql::RowsResult& page) {
      const auto& cols = page.metadata.columns;
      if (r.columns.empty()) {
        for (const auto& c : cols) {
          r.columns.push_back(c.name);
          r.numeric.push_back(json && json_number(c.type.id));
        }
      }
      for (int32_t row = 0; row < page.row_count; ++row) {
        std::vector<std::optional<std::string>> out;
        out.reserve(cols.size());
        for (size_t c = 0; c < cols.size(); ++c) {
          const auto& cell = page.cell(row, static_cast<int32_t>(c));
          if (!cell) out.emplace_back();
          else out.emplace_back(json ? json_cell(cell, cols[c].type) : cql::format_cell(cell, cols[c].type));
        }
        r.rows.push_back(std::move(out));
      }
    });
  } catch (const cql::CqlError& e) {
    rethrow_query_error(e, uri);
  }
  return r;
}

QueryResult cassandra_lookup(const config::Config& cfg, const table::Schema& schema, const std::string& key) {
  const auto& col = schema.columns().at(static_cast<size_t>(schema.primary_key()));
  auto v = key_value(col, key);
  return cassandra_query(cfg, "SELECT * FROM \"" + schema.table() + "\" WHERE \"" + col.name + "\" = ?", true, {std::move(v)});
}

void cassandra_scan(const config::Config& cfg, const table::Schema& schema, const std::function<void(table::Fields&)>& fn) {
  auto uri = sink_uri(cfg);
  auto session = connect(cfg, uri);
  std::string cql = "SELECT ";
  for (size_t i = 0; i < schema.columns().size(); ++i) cql += (i ? ",\"" : "\"") + schema.columns()[i].name + "\"";
  cql += " FROM \"" + schema.table() + "\"";
  table::Fields row(schema.columns().size());
  try {
    session->for_each_page(cql, {}, kPageSize, [&](const cql::RowsResult& page) {
      const auto& cols = page.metadata.columns;
      for (int32_t r = 0; r < page.row_count; ++r) {
        for (size_t i = 0; i < row.size() && i < cols.size(); ++i) {
          cql::Value v = cql::decode_cell(page.cell(r, static_cast<int32_t>(i)), cols[i].type);
          if (v.kind == cql::ValueKind::null) {
            row[i].reset();
            continue;
          }
          switch (schema.columns()[i].type) {
            case table::ColumnType::int32:
            case table::ColumnType::bigint:
            case table::ColumnType::timestamp: row[i] = std::to_string(v.i); break;
            case table::ColumnType::float64: row[i] = table::canonical_real(v.f); break;
            case table::ColumnType::boolean: row[i] = v.i ? "true" : "false"; break;
            case table::ColumnType::uuid: row[i] = format_uuid(v.uuid); break;
            case table::ColumnType::text: row[i] = v.bytes; break;
          }
        }
        fn(row);
      }
    });
  } catch (const cql::CqlError& e) {
    rethrow_query_error(e, uri);
  }
}

std::unordered_set<std::string> cassandra_present_keys(const config::Config& cfg, const table::Schema& schema,
                                                       const std::vector<std::string>& keys) {
  constexpr size_t kChunk = 100;  // IN (?, ...) on the partition key: one coordinator fan-out per chunk
  std::unordered_set<std::string> out;
  if (keys.empty()) return out;
  const auto& col = schema.columns().at(static_cast<size_t>(schema.primary_key()));
  auto uri = sink_uri(cfg);
  auto session = connect(cfg, uri);
  try {
    for (size_t i = 0; i < keys.size(); i += kChunk) {
      size_t n = std::min(kChunk, keys.size() - i);
      std::vector<cql::BindValue> values;
      std::string marks;
      for (size_t k = 0; k < n; ++k) {
        values.push_back(key_value(col, keys[i + k]));
        marks += k ? ",?" : "?";
      }
      session->for_each_page("SELECT \"" + col.name + "\" FROM \"" + schema.table() + "\" WHERE \"" + col.name +
                                 "\" IN (" + marks + ")",
                             std::move(values), kPageSize, [&](const cql::RowsResult& page) {
                               for (int32_t row = 0; row < page.row_count; ++row)
                                 if (const auto& cell = page.cell(row, 0))
                                   out.insert(cql::format_cell(cell, page.metadata.columns[0].type));
                             });
    }
  } catch (const cql::CqlError& e) {
    rethrow_query_error(e, uri);
  }
  return out;
}

}  // namespace sluice::sinks
