#include "sinks/sqlite/sqlite_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/uuid.h"

namespace sluice::sinks {
namespace {

std::string quote_id(const std::string& id) { return "\"" + id + "\""; }

const char* sqlite_type(table::ColumnType t) {
  switch (t) {
    case table::ColumnType::text: return "TEXT";
    case table::ColumnType::int32:
    case table::ColumnType::bigint: return "INTEGER";
    case table::ColumnType::float64: return "REAL";
    case table::ColumnType::boolean: return "BOOLEAN";
    case table::ColumnType::uuid: return "UUID";
    case table::ColumnType::timestamp: return "TIMESTAMP";
  }
  return "BLOB";
}

void uuid_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  auto u = text ? parse_uuid(text) : std::nullopt;
  if (!u) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_blob(ctx, u->data(), 16, SQLITE_TRANSIENT);
}

void uuid_text_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) != 16) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  Uuid u;
  std::memcpy(u.data(), sqlite3_value_blob(argv[0]), 16);
  char buf[36];
  format_uuid(u, buf);
  sqlite3_result_text(ctx, buf, 36, SQLITE_TRANSIENT);
}

sqlite3* open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw FatalError("cannot open SQLite database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 2000);
  register_uuid_functions(db);
  return db;
}

void exec(sqlite3* db, const std::string& sql, const std::string& path) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw FatalError("SQLite " + path + ": " + msg + " (in: " + sql.substr(0, 80) + ")");
  }
}

// The order SQLite keeps the primary key in, for the kinds a key column can hold:
// integers, reals and booleans by value, text and UUID blobs by bytes (memcmp, as
// SQLite's BINARY collation and blob comparison do). Nulls first.
bool key_less(const table::Value& a, const table::Value& b) {
  using K = table::Value::Kind;
  if (a.kind != b.kind) return a.kind < b.kind;
  switch (a.kind) {
    case K::null: return false;
    case K::text: return a.text < b.text;
    case K::integer:
    case K::timestamp: return a.integer < b.integer;
    case K::real: return a.real < b.real;
    case K::boolean: return a.boolean < b.boolean;
    case K::uuid: return std::memcmp(a.uuid.data(), b.uuid.data(), 16) < 0;
  }
  return false;
}

}  // namespace

void register_uuid_functions(sqlite3* db) {
  sqlite3_create_function(db, "uuid", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, uuid_fn, nullptr, nullptr);
  sqlite3_create_function(db, "uuid_text", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, uuid_text_fn, nullptr,
                          nullptr);
}

std::string sqlite_create_table(const table::Schema& schema) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + quote_id(schema.table()) + " (";
  for (size_t i = 0; i < schema.columns().size(); ++i) {
    const auto& c = schema.columns()[i];
    sql += (i ? ", " : "") + quote_id(c.name) + " " + sqlite_type(c.type);
    if (c.primary_key) sql += " PRIMARY KEY";
    if (c.required) sql += " NOT NULL";
  }
  // An ordinary rowid table: rows are appended in rowid order and the random UUID keys
  // go to the primary key's own small index. WITHOUT ROWID keeps whole rows ordered by
  // the random key, and measured 2.5x slower at 2M rows (bench/sqlite_bench:
  // RawUpsert16ByteKeys vs RawUpsert16ByteKeysWithoutRowid). Existing tables of either
  // kind are used as they are.
  return sql + ")";
}

SqliteSink::SqliteSink(std::string path, const table::Schema& schema, metrics::Registry* metrics)
    : path_(std::move(path)),
      schema_(schema),
      own_registry_(metrics ? nullptr : std::make_unique<metrics::Registry>()),
      write_seconds_((metrics ? *metrics : *own_registry_)
                         .histogram("sluice_sink_write_seconds", "Time of one acknowledged sink write.",
                                    metrics::latency_seconds_buckets(), {{"sink", "sqlite"}})) {
  auto parent = std::filesystem::path(path_).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  db_ = open_db(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  exec(db_, "PRAGMA journal_mode=WAL", path_);
  exec(db_, "PRAGMA synchronous=NORMAL", path_);
  // Page cache and checkpoints stay at SQLite's defaults: a 32 MiB cache and rarer
  // checkpoints (8192 pages) were tried, and made micro-batches stall (p99 latency at
  // 10,000 records/s went from 25-48 ms to 75-190 ms) without a gain at 2M rows.
}

SqliteSink::~SqliteSink() {
  sqlite3_finalize(upsert_);
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_close(db_);
}

void SqliteSink::ensure_schema() {
  exec(db_, sqlite_create_table(schema_), path_);
  // An existing table must have the schema's columns, in any order, with their types.
  sqlite3_stmt* info = nullptr;
  sqlite3_prepare_v2(db_, ("PRAGMA table_info(" + quote_id(schema_.table()) + ")").c_str(), -1, &info, nullptr);
  std::map<std::string, std::string> have;
  std::string have_pk;
  while (sqlite3_step(info) == SQLITE_ROW) {
    std::string name = reinterpret_cast<const char*>(sqlite3_column_text(info, 1));
    have[name] = reinterpret_cast<const char*>(sqlite3_column_text(info, 2));
    if (sqlite3_column_int(info, 5) != 0) have_pk = name;
  }
  sqlite3_finalize(info);
  for (const auto& c : schema_.columns()) {
    auto it = have.find(c.name);
    if (it == have.end() || it->second != sqlite_type(c.type))
      throw FatalError(fmt::format("table {} in {} does not match the schema: column {} {} (found {}); drop the table "
                                   "or use another database file",
                                   schema_.table(), path_, c.name, sqlite_type(c.type),
                                   it == have.end() ? "no such column" : it->second));
  }
  // Upserts by primary key are what exactly-once rests on: the key must be the schema's.
  const auto& pk = schema_.columns()[static_cast<size_t>(schema_.primary_key())];
  if (have_pk != pk.name)
    throw FatalError(fmt::format("table {} in {} does not match the schema: its primary key is {}, the schema's is {}; "
                                 "drop the table or use another database file",
                                 schema_.table(), path_, have_pk.empty() ? "missing" : have_pk, pk.name));
  std::string cols, params, updates;
  for (size_t i = 0; i < schema_.columns().size(); ++i) {
    const auto& c = schema_.columns()[i];
    cols += (i ? ", " : "") + quote_id(c.name);
    params += i ? ", ?" : "?";
    if (!c.primary_key) updates += (updates.empty() ? "" : ", ") + quote_id(c.name) + " = excluded." + quote_id(c.name);
  }
  std::string sql = "INSERT INTO " + quote_id(schema_.table()) + " (" + cols + ") VALUES (" + params + ") ON CONFLICT(" +
                    quote_id(pk.name) + ") DO " + (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
  sqlite3_finalize(upsert_);
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &upsert_, nullptr) != SQLITE_OK)
    throw FatalError("SQLite " + path_ + ": cannot prepare the upsert: " + sqlite3_errmsg(db_));
  sqlite3_prepare_v3(db_, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &begin_, nullptr);
  sqlite3_prepare_v3(db_, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &commit_, nullptr);
}

WriteResult SqliteSink::fail(int rc, const char* what) {
  std::string msg = fmt::format("SQLite {} {}: {}", path_, what, sqlite3_errmsg(db_));
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL || primary == SQLITE_IOERR ||
      primary == SQLITE_CANTOPEN || primary == SQLITE_PROTOCOL)
    return {WriteStatus::retry, msg};
  return {WriteStatus::error, msg};
}

WriteResult SqliteSink::write(std::span<const table::Row> rows) {
  if (rows.empty()) return {};
  if (!upsert_) ensure_schema();
  auto started = std::chrono::steady_clock::now();
  int rc = sqlite3_step(begin_);
  sqlite3_reset(begin_);
  if (rc != SQLITE_DONE) return fail(rc, "BEGIN");
  // Rows go in in key order. With random keys (UUIDs) a batch touches most leaf pages
  // of the key's index; in key order each page is visited once per batch, while in
  // arrival order every row may load and spill a different page. The sort is stable,
  // so of two rows with the same key the later one is written last and wins, as in
  // arrival order.
  const size_t pk = static_cast<size_t>(schema_.primary_key());
  order_.resize(rows.size());
  for (uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [&](uint32_t a, uint32_t b) { return key_less(rows[a].values[pk], rows[b].values[pk]); });
  const auto& cols = schema_.columns();
  for (uint32_t index : order_) {
    const auto& row = rows[index];
    for (size_t i = 0; i < cols.size(); ++i) {
      const auto& v = row.values[i];
      int p = static_cast<int>(i) + 1;
      switch (v.kind) {
        case table::Value::Kind::null: rc = sqlite3_bind_null(upsert_, p); break;
        case table::Value::Kind::text:
          rc = sqlite3_bind_text(upsert_, p, v.text.data(), static_cast<int>(v.text.size()), SQLITE_STATIC);
          break;
        case table::Value::Kind::integer:
        case table::Value::Kind::timestamp: rc = sqlite3_bind_int64(upsert_, p, v.integer); break;
        case table::Value::Kind::real: rc = sqlite3_bind_double(upsert_, p, v.real); break;
        case table::Value::Kind::boolean: rc = sqlite3_bind_int(upsert_, p, v.boolean ? 1 : 0); break;
        case table::Value::Kind::uuid: rc = sqlite3_bind_blob(upsert_, p, v.uuid.data(), 16, SQLITE_STATIC); break;
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(upsert_);
        return fail(rc, "bind");
      }
    }
    rc = sqlite3_step(upsert_);
    sqlite3_reset(upsert_);
    if (rc != SQLITE_DONE) return fail(rc, "upsert");
  }
  rc = sqlite3_step(commit_);
  sqlite3_reset(commit_);
  if (rc != SQLITE_DONE) return fail(rc, "COMMIT");
  write_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return {};
}

std::string SqliteSink::describe() const { return "SQLite " + path_ + ", table " + schema_.table(); }

QueryResult sqlite_query(const std::string& path, const std::string& sql, const std::vector<std::string>& params) {
  if (!std::filesystem::exists(path))
    throw UsageError("no database at " + path + " yet (run `sluice stream` or `sluice run` first)");
  sqlite3* db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  QueryResult r;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK || !st) {
    std::string msg = st ? sqlite3_errmsg(db) : (sqlite3_errcode(db) ? sqlite3_errmsg(db) : "empty statement");
    sqlite3_finalize(st);
    sqlite3_close(db);
    throw UsageError("query: " + msg);
  }
  for (size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(st, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
  int n = sqlite3_column_count(st);
  std::vector<bool> is_uuid(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    r.columns.emplace_back(sqlite3_column_name(st, i));
    const char* decl = sqlite3_column_decltype(st, i);
    is_uuid[static_cast<size_t>(i)] = decl && std::string_view(decl) == "UUID";
  }
  r.numeric.assign(static_cast<size_t>(n), true);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::optional<std::string>> row;
    for (int i = 0; i < n; ++i) {
      int type = sqlite3_column_type(st, i);
      if (type == SQLITE_NULL) {
        row.emplace_back();
        continue;
      }
      if (type == SQLITE_TEXT || type == SQLITE_BLOB) r.numeric[static_cast<size_t>(i)] = false;
      if (type == SQLITE_BLOB && sqlite3_column_bytes(st, i) == 16 && is_uuid[static_cast<size_t>(i)]) {
        Uuid u;
        std::memcpy(u.data(), sqlite3_column_blob(st, i), 16);
        row.emplace_back(format_uuid(u));
      } else {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        row.emplace_back(std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, i))));
      }
    }
    r.rows.push_back(std::move(row));
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!err.empty()) throw UsageError("query: " + err);
  return r;
}

void sqlite_scan(const std::string& path, const table::Schema& schema, const std::function<void(table::Fields&)>& fn) {
  if (!std::filesystem::exists(path))
    throw UsageError("no database at " + path + " yet (run `sluice stream` or `sluice run` first)");
  sqlite3* db = open_db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  std::string sql = "SELECT ";
  for (size_t i = 0; i < schema.columns().size(); ++i) sql += (i ? ",\"" : "\"") + schema.columns()[i].name + "\"";
  sql += " FROM \"" + schema.table() + "\"";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw UsageError("reading table " + schema.table() + " of " + path + ": " + msg);
  }
  table::Fields row(schema.columns().size());
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (size_t i = 0; i < row.size(); ++i) {
      int c = static_cast<int>(i);
      if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        row[i].reset();
        continue;
      }
      switch (schema.columns()[i].type) {
        case table::ColumnType::int32:
        case table::ColumnType::bigint:
        case table::ColumnType::timestamp: row[i] = std::to_string(sqlite3_column_int64(st, c)); break;
        case table::ColumnType::float64: row[i] = table::canonical_real(sqlite3_column_double(st, c)); break;
        case table::ColumnType::boolean: row[i] = sqlite3_column_int(st, c) ? "true" : "false"; break;
        case table::ColumnType::uuid:
          if (sqlite3_column_type(st, c) == SQLITE_BLOB && sqlite3_column_bytes(st, c) == 16) {
            Uuid u;
            std::memcpy(u.data(), sqlite3_column_blob(st, c), 16);
            row[i] = format_uuid(u);
            break;
          }
          [[fallthrough]];
        case table::ColumnType::text: {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row[i] = std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, c)));
          break;
        }
      }
    }
    fn(row);
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (!err.empty()) throw FatalError("reading table " + schema.table() + " of " + path + ": " + err);
}

}  // namespace sluice::sinks
