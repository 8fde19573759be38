#include "sinks/cassandra/cassandra_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "common/error.h"

namespace sluice::sinks {
namespace {

// CQL's reserved keywords (a name that is one must be quoted).
const std::set<std::string, std::less<>> kReserved = {
    "add",    "allow",    "alter",    "and",      "apply",     "asc",          "authorize", "batch",  "begin",
    "by",     "columnfamily", "create", "default", "delete",   "desc",         "describe", "drop",   "entries",
    "execute", "from",    "full",     "grant",    "if",        "in",           "index",    "infinity", "insert",
    "into",   "is",       "keyspace", "limit",    "materialized", "mbean",     "mbeans",   "modify", "nan",
    "norecursive", "not", "null",     "of",       "on",        "or",           "order",    "primary", "rename",
    "replace", "revoke",  "schema",   "select",   "set",       "table",        "to",       "token",  "truncate",
    "unlogged", "unset",  "update",   "use",      "using",     "view",         "where",    "with"};

void put_be(std::string& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::string be(uint64_t v, int n) {
  std::string s;
  s.reserve(static_cast<size_t>(n));
  put_be(s, v, n);
  return s;
}

const char* kind_name(table::Value::Kind k) {
  using K = table::Value::Kind;
  switch (k) {
    case K::null: return "null";
    case K::text: return "text";
    case K::integer: return "integer";
    case K::real: return "real";
    case K::boolean: return "boolean";
    case K::uuid: return "uuid";
    case K::timestamp: return "timestamp";
  }
  return "?";
}

std::string text_cell(const cql::Bytes& b) { return b ? *b : std::string(); }

}  // namespace

const char* cassandra_type(table::ColumnType t) {
  switch (t) {
    case table::ColumnType::text: return "TEXT";
    case table::ColumnType::int32: return "INT";
    case table::ColumnType::bigint: return "BIGINT";
    case table::ColumnType::float64: return "DOUBLE";
    case table::ColumnType::boolean: return "BOOLEAN";
    case table::ColumnType::uuid: return "UUID";
    case table::ColumnType::timestamp: return "TIMESTAMP";
  }
  return "BLOB";
}

std::string cql_identifier(const std::string& name) {
  bool plain = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
               std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (plain && !kReserved.count(name)) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string cassandra_create_keyspace(const std::string& keyspace, const std::string& replication) {
  return fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}", cql_identifier(keyspace), replication);
}

std::string cassandra_create_table(const std::string& keyspace, const table::Schema& schema) {
  std::string cql = fmt::format("CREATE TABLE IF NOT EXISTS {}.{} (", cql_identifier(keyspace), cql_identifier(schema.table()));
  for (size_t i = 0; i < schema.columns().size(); ++i) {
    const auto& c = schema.columns()[i];
    cql += fmt::format("{}{} {}{}", i ? ", " : "", cql_identifier(c.name), cassandra_type(c.type),
                       c.primary_key ? " PRIMARY KEY" : "");
  }
  return cql + ")";
}

std::string cassandra_insert(const std::string& keyspace, const table::Schema& schema) {
  std::string cols, marks;
  for (size_t i = 0; i < schema.columns().size(); ++i) {
    cols += (i ? ", " : "") + cql_identifier(schema.columns()[i].name);
    marks += i ? ", ?" : "?";
  }
  return fmt::format("INSERT INTO {}.{} ({}) VALUES ({})", cql_identifier(keyspace), cql_identifier(schema.table()), cols,
                     marks);
}

void ensure_cassandra_table(cql::Session& s, const std::string& keyspace, const std::string& replication,
                            const table::Schema& schema) {
  auto rows_of = [](cql::Response r, const char* what) {
    if (auto* rows = std::get_if<cql::RowsResult>(&r)) return std::move(*rows);
    throw FatalError(fmt::format("Cassandra answered the read of {} with no rows result", what));
  };
  auto ks_rows = rows_of(s.query("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
                                 {cql::BindValue::of(keyspace)}),
                         "system_schema.keyspaces");
  if (ks_rows.row_count == 0) s.query(cassandra_create_keyspace(keyspace, replication));

  const std::string columns_cql =
      "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?";
  auto read_columns = [&] {
    return rows_of(s.query(columns_cql, {cql::BindValue::of(keyspace), cql::BindValue::of(schema.table())}),
                   "system_schema.columns");
  };
  auto cols = read_columns();
  if (cols.row_count == 0) {
    s.query(cassandra_create_table(keyspace, schema));
    cols = read_columns();
  }
  struct Have {
    std::string type, kind;
  };
  std::map<std::string, Have> have;
  for (int32_t r = 0; r < cols.row_count; ++r)
    have[text_cell(cols.cell(r, 0))] = Have{text_cell(cols.cell(r, 1)), text_cell(cols.cell(r, 2))};
  const std::string where = fmt::format("table {}.{}", keyspace, schema.table());
  for (const auto& c : schema.columns()) {
    std::string want = cassandra_type(c.type);
    std::transform(want.begin(), want.end(), want.begin(), [](char ch) { return static_cast<char>(std::tolower(ch)); });
    auto it = have.find(c.name);
    if (it == have.end() || it->second.type != want)
      throw FatalError(fmt::format("{} does not match the schema: column {} {} (found {}); drop the table or use "
                                   "another keyspace",
                                   where, c.name, want, it == have.end() ? "no such column" : it->second.type));
  }
  const auto& pk = schema.columns()[static_cast<size_t>(schema.primary_key())].name;
  for (const auto& [name, h] : have) {
    bool key = h.kind == "partition_key" || h.kind == "clustering";
    if (key != (name == pk) || (name == pk && h.kind != "partition_key"))
      throw FatalError(fmt::format("{} does not match the schema: its primary key is not ({}) alone ({} is a {} "
                                   "column); upserts by {} need it; drop the table or use another keyspace",
                                   where, pk, name, h.kind, pk));
  }
}

bool bind_row(const table::Row& row, const table::Schema& schema, std::vector<cql::BindValue>& out, std::string& why) {
  using K = table::Value::Kind;
  const auto& cols = schema.columns();
  out.clear();
  out.reserve(cols.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    const auto& v = row.values[i];
    const auto& c = cols[i];
    if (v.kind == K::null) {
      out.push_back(cql::BindValue::null());
      continue;
    }
    bool ok = true;
    switch (c.type) {
      case table::ColumnType::text:
        ok = v.kind == K::text;
        if (ok) out.push_back(cql::BindValue::of(std::string(v.text)));
        break;
      case table::ColumnType::int32:
        ok = v.kind == K::integer && v.integer >= std::numeric_limits<int32_t>::min() &&
             v.integer <= std::numeric_limits<int32_t>::max();
        if (ok) out.push_back(cql::BindValue::of(be(static_cast<uint32_t>(v.integer), 4)));
        break;
      case table::ColumnType::bigint:
      case table::ColumnType::timestamp:
        ok = v.kind == K::integer || v.kind == K::timestamp;
        if (ok) out.push_back(cql::BindValue::of(be(static_cast<uint64_t>(v.integer), 8)));
        break;
      case table::ColumnType::float64: {
        ok = v.kind == K::real || v.kind == K::integer;
        double d = v.kind == K::real ? v.real : static_cast<double>(v.integer);
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        if (ok) out.push_back(cql::BindValue::of(be(bits, 8)));
        break;
      }
      case table::ColumnType::boolean:
        ok = v.kind == K::boolean;
        if (ok) out.push_back(cql::BindValue::of(std::string(1, v.boolean ? '\1' : '\0')));
        break;
      case table::ColumnType::uuid:
        ok = v.kind == K::uuid;
        if (ok) out.push_back(cql::BindValue::of(std::string(reinterpret_cast<const char*>(v.uuid.data()), 16)));
        break;
    }
    if (!ok) {
      why = fmt::format("column {} of type {} cannot hold a {} value", c.name, table::type_name(c.type), kind_name(v.kind));
      return false;
    }
  }
  return true;
}

}  // namespace sluice::sinks
