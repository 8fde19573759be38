#include "history/history_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"

namespace sluice::history {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, query TEXT NOT NULL, batch_id INTEGER NOT NULL,
  timestamp_ms INTEGER NOT NULL, input_rows INTEGER NOT NULL, written_rows INTEGER NOT NULL,
  dead_lettered INTEGER NOT NULL, skipped INTEGER NOT NULL, input_rate REAL NOT NULL, process_rate REAL NOT NULL,
  read_ms REAL NOT NULL, parse_ms REAL NOT NULL, write_ms REAL NOT NULL, commit_ms REAL NOT NULL,
  total_ms REAL NOT NULL, write_retries INTEGER NOT NULL, latency_p50_ms REAL NOT NULL,
  latency_p99_ms REAL NOT NULL, latency_max_ms REAL NOT NULL, end_offsets TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batches_by_query ON batches (query, seq);
CREATE TABLE IF NOT EXISTS totals (
  query TEXT PRIMARY KEY, batches INTEGER NOT NULL, input_rows INTEGER NOT NULL, written_rows INTEGER NOT NULL,
  dead_lettered INTEGER NOT NULL, skipped INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lag (
  time_ms INTEGER NOT NULL, grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
  start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, committed INTEGER, lag INTEGER NOT NULL,
  lag_seconds REAL NOT NULL, PRIMARY KEY (grp, topic, time_ms, partition)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lag_by_time ON lag (time_ms);
CREATE TABLE IF NOT EXISTS redriven (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_books (
  dag_id TEXT NOT NULL, run_id TEXT NOT NULL, time_ms INTEGER NOT NULL, books TEXT NOT NULL,
  PRIMARY KEY (dag_id, run_id)) WITHOUT ROWID;
)";

// "0:12,1:40" <-> {0: 12, 1: 40}
std::string offsets_text(const std::map<int32_t, int64_t>& m) {
  std::string s;
  for (const auto& [p, o] : m) s += (s.empty() ? "" : ",") + std::to_string(p) + ":" + std::to_string(o);
  return s;
}
std::map<int32_t, int64_t> parse_offsets(std::string_view s) {
  std::map<int32_t, int64_t> m;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    auto colon = item.find(':');
    if (colon != std::string_view::npos)
      m[std::stoi(std::string(item.substr(0, colon)))] = std::stoll(std::string(item.substr(colon + 1)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return m;
}

// Resets a cached statement when the scope ends, whatever happened.
struct Use {
  sqlite3_stmt* s;
  ~Use() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

std::string text(sqlite3_stmt* s, int i) {
  auto* p = sqlite3_column_text(s, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}

}  // namespace

HistoryStore HistoryStore::open(const std::string& path, bool read_only, Limits limits) {
  if (!read_only) {
    auto dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  } else if (!std::filesystem::exists(path)) {
    throw FatalError("no history at " + path + " yet (the streaming query writes it)");
  }
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw FatalError("cannot open the history " + path + ": " + why);
  }
  HistoryStore store(db, path, limits);
  sqlite3_busy_timeout(db, 5'000);
  if (read_only) return store;
  // As the metadata store: the switch to WAL does not wait on the busy handler.
  for (int i = 0;; ++i) {
    int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) break;
    if ((rc & 0xff) != SQLITE_BUSY || i >= 500) store.exec("PRAGMA journal_mode=WAL");
    usleep(10'000);
  }
  store.exec("PRAGMA synchronous=NORMAL");
  store.exec(kSchema);
  int version = 0;
  {
    auto* s = store.stmt("SELECT value FROM meta WHERE key = 'schema_version'");
    Use u{s};
    if (sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
  }
  if (version > kSchemaVersion)
    throw FatalError("the history " + path + " has schema version " + std::to_string(version) + "; this sluice reads " +
                     std::to_string(kSchemaVersion) + " (a newer sluice wrote it)");
  if (version < kSchemaVersion)
    store.exec(("INSERT OR REPLACE INTO meta VALUES ('schema_version', '" + std::to_string(kSchemaVersion) + "')").c_str());
  return store;
}

HistoryStore::HistoryStore(sqlite3* db, std::string path, Limits limits)
    : db_(db), path_(std::move(path)), limits_(limits) {}

HistoryStore::HistoryStore(HistoryStore&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      path_(std::move(o.path_)),
      limits_(o.limits_),
      adds_(o.adds_),
      stmts_(std::move(o.stmts_)) {}

HistoryStore& HistoryStore::operator=(HistoryStore&& o) noexcept {
  // What this one held is released by o's destructor.
  std::swap(db_, o.db_);
  std::swap(path_, o.path_);
  std::swap(limits_, o.limits_);
  std::swap(adds_, o.adds_);
  std::swap(stmts_, o.stmts_);
  return *this;
}

HistoryStore::~HistoryStore() {
  for (auto& [_, s] : stmts_) sqlite3_finalize(s);
  if (db_) sqlite3_close(db_);
}

void HistoryStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    throw FatalError("history " + path_ + ": " + why);
  }
}

sqlite3_stmt* HistoryStore::stmt(const char* sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    throw FatalError("history " + path_ + ": " + sqlite3_errmsg(db_));
  stmts_.emplace(sql, s);
  return s;
}

namespace {
void step_done(sqlite3* db, sqlite3_stmt* s, const std::string& path) {
  if (sqlite3_step(s) != SQLITE_DONE) throw FatalError("history " + path + ": " + sqlite3_errmsg(db));
}
}  // namespace

void HistoryStore::add_batch(const std::string& query, const stream::BatchProgress& p) {
  exec("BEGIN IMMEDIATE");
  try {
    {
      auto* s = stmt(
          "INSERT INTO batches (query, batch_id, timestamp_ms, input_rows, written_rows, dead_lettered, skipped, "
          "input_rate, process_rate, read_ms, parse_ms, write_ms, commit_ms, total_ms, write_retries, latency_p50_ms, "
          "latency_p99_ms, latency_max_ms, end_offsets) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      Use u{s};
      int i = 0;
      sqlite3_bind_text(s, ++i, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
      for (int64_t v : {static_cast<int64_t>(p.batch_id), p.timestamp_ms, static_cast<int64_t>(p.input_rows),
                        static_cast<int64_t>(p.written_rows), static_cast<int64_t>(p.dead_lettered),
                        static_cast<int64_t>(p.skipped)})
        sqlite3_bind_int64(s, ++i, v);
      for (double v : {p.input_rows_per_s, p.processed_rows_per_s, p.read_ms, p.parse_ms, p.write_ms, p.commit_ms, p.total_ms})
        sqlite3_bind_double(s, ++i, v);
      sqlite3_bind_int64(s, ++i, p.write_retries);
      for (double v : {p.latency_p50_ms, p.latency_p99_ms, p.latency_max_ms}) sqlite3_bind_double(s, ++i, v);
      auto offsets = offsets_text(p.end_offsets);
      sqlite3_bind_text(s, ++i, offsets.data(), static_cast<int>(offsets.size()), SQLITE_TRANSIENT);
      step_done(db_, s, path_);
    }
    {
      auto* s = stmt(
          "INSERT INTO totals VALUES (?1, 1, ?2, ?3, ?4, ?5) ON CONFLICT (query) DO UPDATE SET batches = batches + 1, "
          "input_rows = input_rows + ?2, written_rows = written_rows + ?3, dead_lettered = dead_lettered + ?4, "
          "skipped = skipped + ?5");
      Use u{s};
      sqlite3_bind_text(s, 1, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(p.input_rows));
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(p.written_rows));
      sqlite3_bind_int64(s, 4, static_cast<int64_t>(p.dead_lettered));
      sqlite3_bind_int64(s, 5, static_cast<int64_t>(p.skipped));
      step_done(db_, s, path_);
    }
    // Trimming a few rows at a time keeps each transaction short.
    if (++adds_ % 64 == 1) {
      auto* s = stmt(
          "DELETE FROM batches WHERE query = ?1 AND seq <= (SELECT MAX(seq) FROM batches WHERE query = ?1) - ?2");
      Use u{s};
      sqlite3_bind_text(s, 1, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(limits_.max_batches));
      step_done(db_, s, path_);
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<stream::BatchProgress> HistoryStore::batches(const std::string& query, int64_t since_ms, size_t limit) {
  auto* s = stmt(
      "SELECT batch_id, timestamp_ms, input_rows, written_rows, dead_lettered, skipped, input_rate, process_rate, "
      "read_ms, parse_ms, write_ms, commit_ms, total_ms, write_retries, latency_p50_ms, latency_p99_ms, "
      "latency_max_ms, end_offsets FROM batches WHERE query = ? AND timestamp_ms > ? ORDER BY seq DESC LIMIT ?");
  Use u{s};
  sqlite3_bind_text(s, 1, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 2, since_ms);
  sqlite3_bind_int64(s, 3, static_cast<int64_t>(limit));
  std::vector<stream::BatchProgress> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    stream::BatchProgress p;
    int i = 0;
    auto u64 = [&] { return static_cast<uint64_t>(sqlite3_column_int64(s, i++)); };
    auto dbl = [&] { return sqlite3_column_double(s, i++); };
    p.batch_id = u64();
    p.timestamp_ms = sqlite3_column_int64(s, i++);
    p.input_rows = u64();
    p.written_rows = u64();
    p.dead_lettered = u64();
    p.skipped = u64();
    p.input_rows_per_s = dbl();
    p.processed_rows_per_s = dbl();
    p.read_ms = dbl();
    p.parse_ms = dbl();
    p.write_ms = dbl();
    p.commit_ms = dbl();
    p.total_ms = dbl();
    p.write_retries = static_cast<uint32_t>(u64());
    p.latency_p50_ms = dbl();
    p.latency_p99_ms = dbl();
    p.latency_max_ms = dbl();
    p.end_offsets = parse_offsets(text(s, i++));
    out.push_back(std::move(p));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

QueryTotals HistoryStore::totals(const std::string& query) {
  auto* s = stmt("SELECT batches, input_rows, written_rows, dead_lettered, skipped FROM totals WHERE query = ?");
  Use u{s};
  sqlite3_bind_text(s, 1, query.data(), static_cast<int>(query.size()), SQLITE_TRANSIENT);
  QueryTotals t;
  if (sqlite3_step(s) == SQLITE_ROW) {
    t.batches = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    t.input_rows = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    t.written_rows = static_cast<uint64_t>(sqlite3_column_int64(s, 2));
    t.dead_lettered = static_cast<uint64_t>(sqlite3_column_int64(s, 3));
    t.skipped = static_cast<uint64_t>(sqlite3_column_int64(s, 4));
  }
  return t;
}

void HistoryStore::add_lag(const std::vector<LagSample>& samples) {
  if (samples.empty()) return;
  exec("BEGIN IMMEDIATE");
  try {
    auto* s = stmt("INSERT OR REPLACE INTO lag VALUES (?,?,?,?,?,?,?,?,?)");
    for (const auto& x : samples) {
      Use u{s};
      sqlite3_bind_int64(s, 1, x.time_ms);
      sqlite3_bind_text(s, 2, x.group.data(), static_cast<int>(x.group.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(s, 3, x.topic.data(), static_cast<int>(x.topic.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int(s, 4, x.partition);
      sqlite3_bind_int64(s, 5, x.start_offset);
      sqlite3_bind_int64(s, 6, x.end_offset);
      if (x.committed) sqlite3_bind_int64(s, 7, *x.committed);
      else sqlite3_bind_null(s, 7);
      sqlite3_bind_int64(s, 8, x.lag);
      sqlite3_bind_double(s, 9, x.lag_seconds);
      step_done(db_, s, path_);
    }
    if (++adds_ % 60 == 1) {
      auto* d = stmt("DELETE FROM lag WHERE time_ms < ?");
      Use u{d};
      sqlite3_bind_int64(d, 1, samples.front().time_ms - limits_.lag_retention.count());
      step_done(db_, d, path_);
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<LagSample> HistoryStore::lag(const std::string& group, const std::string& topic, int64_t since_ms) {
  auto* s = stmt(
      "SELECT time_ms, partition, start_offset, end_offset, committed, lag, lag_seconds FROM lag "
      "WHERE grp = ? AND topic = ? AND time_ms > ? ORDER BY time_ms, partition");
  Use u{s};
  sqlite3_bind_text(s, 1, group.data(), static_cast<int>(group.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, topic.data(), static_cast<int>(topic.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 3, since_ms);
  std::vector<LagSample> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    LagSample x;
    x.time_ms = sqlite3_column_int64(s, 0);
    x.group = group;
    x.topic = topic;
    x.partition = sqlite3_column_int(s, 1);
    x.start_offset = sqlite3_column_int64(s, 2);
    x.end_offset = sqlite3_column_int64(s, 3);
    if (sqlite3_column_type(s, 4) != SQLITE_NULL) x.committed = sqlite3_column_int64(s, 4);
    x.lag = sqlite3_column_int64(s, 5);
    x.lag_seconds = sqlite3_column_double(s, 6);
    out.push_back(std::move(x));
  }
  return out;
}

bool HistoryStore::mark_redriven(const std::string& topic, int32_t partition, int64_t offset, int64_t time_ms) {
  auto* s = stmt("INSERT OR IGNORE INTO redriven VALUES (?,?,?,?)");
  Use u{s};
  sqlite3_bind_text(s, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int(s, 2, partition);
  sqlite3_bind_int64(s, 3, offset);
  sqlite3_bind_int64(s, 4, time_ms);
  step_done(db_, s, path_);
  return sqlite3_changes(db_) == 1;
}

std::set<std::pair<int32_t, int64_t>> HistoryStore::redriven(const std::string& topic) {
  auto* s = stmt("SELECT partition, offset FROM redriven WHERE topic = ?");
  Use u{s};
  sqlite3_bind_text(s, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_TRANSIENT);
  std::set<std::pair<int32_t, int64_t>> out;
  while (sqlite3_step(s) == SQLITE_ROW) out.insert({sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1)});
  return out;
}

void HistoryStore::put_run_books(const std::string& dag, const std::string& run, const std::string& books,
                                 int64_t time_ms) {
  auto* s = stmt("INSERT OR REPLACE INTO run_books VALUES (?,?,?,?)");
  Use u{s};
  sqlite3_bind_text(s, 1, dag.data(), static_cast<int>(dag.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, run.data(), static_cast<int>(run.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 3, time_ms);
  sqlite3_bind_text(s, 4, books.data(), static_cast<int>(books.size()), SQLITE_TRANSIENT);
  step_done(db_, s, path_);
  // Bounded like the rest: the books of the newest kMaxRunBooks runs.
  auto* d = stmt("DELETE FROM run_books WHERE time_ms < (SELECT time_ms FROM run_books ORDER BY time_ms DESC LIMIT 1 OFFSET ?)");
  Use ud{d};
  sqlite3_bind_int(d, 1, kMaxRunBooks);
  step_done(db_, d, path_);
}

std::optional<std::string> HistoryStore::run_books(const std::string& dag, const std::string& run) {
  auto* s = stmt("SELECT books FROM run_books WHERE dag_id = ? AND run_id = ?");
  Use u{s};
  sqlite3_bind_text(s, 1, dag.data(), static_cast<int>(dag.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, run.data(), static_cast<int>(run.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s) == SQLITE_ROW) return text(s, 0);
  return std::nullopt;
}

}  // namespace sluice::history
