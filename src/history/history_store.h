#pragma once
// What the dashboard shows of the past, kept on disk so it outlives the process (Spark's
// Structured Streaming tab keeps the last 100 batches in the driver's memory; this keeps
// `web.history_batches` of them across restarts): the query's micro-batches and running
// totals, the consumer groups' lag samples, the dead letters already redriven, and the
// scheduler runs' books.
//
// One SQLite file (`web.history`, WAL mode): the streaming query's process appends
// batches (one short transaction each), the web server appends lag samples and
// redrives, and any number of processes read (`sluice ui`, `sluice status`). Rows past
// the bounds are deleted as new ones come: batches beyond `max_batches` per query, lag
// samples older than `lag_retention`.
//
// Threading: one HistoryStore belongs to one thread at a time.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "stream/query/progress.h"

namespace sluice::history {

struct QueryTotals {
  uint64_t batches = 0, input_rows = 0, written_rows = 0, dead_lettered = 0, skipped = 0;
};

// One partition of one group at one moment.
struct LagSample {
  int64_t time_ms = 0;
  std::string group, topic;
  int32_t partition = 0;
  int64_t start_offset = 0, end_offset = 0;
  std::optional<int64_t> committed;
  int64_t lag = 0;          // records (log/lag.h)
  double lag_seconds = 0;   // time since the oldest record not yet committed was appended
};

struct Limits {
  size_t max_batches = 100'000;
  std::chrono::milliseconds lag_retention = std::chrono::hours(24);
};

class HistoryStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (and creates, with its directory) the file. `read_only`: fails if absent.
  // Throws FatalError naming the file and SQLite's reason.
  static HistoryStore open(const std::string& path, bool read_only = false, Limits limits = {});
  HistoryStore(HistoryStore&&) noexcept;
  HistoryStore& operator=(HistoryStore&&) noexcept;
  ~HistoryStore();
  const std::string& path() const { return path_; }

  // Appends a batch and adds it to the query's totals.
  void add_batch(const std::string& query, const stream::BatchProgress& p);
  // The query's batches that started after `since_ms`, oldest first, at most `limit`
  // (the newest ones when there are more).
  std::vector<stream::BatchProgress> batches(const std::string& query, int64_t since_ms = 0, size_t limit = 1000);
  QueryTotals totals(const std::string& query);

  void add_lag(const std::vector<LagSample>& samples);
  // The samples of a group on a topic taken after `since_ms`, oldest first.
  std::vector<LagSample> lag(const std::string& group, const std::string& topic, int64_t since_ms = 0);

  // Marks a dead letter (topic, partition, offset) as redriven; false if it already was.
  bool mark_redriven(const std::string& topic, int32_t partition, int64_t offset, int64_t time_ms);
  std::set<std::pair<int32_t, int64_t>> redriven(const std::string& topic);

  // A scheduler run's books once they are final (web/reconciler.h), as JSON text; the
  // newest kMaxRunBooks runs' are kept.
  static constexpr int kMaxRunBooks = 1000;
  void put_run_books(const std::string& dag, const std::string& run, const std::string& books, int64_t time_ms);
  std::optional<std::string> run_books(const std::string& dag, const std::string& run);

 private:
  HistoryStore(sqlite3* db, std::string path, Limits limits);
  void exec(const char* sql);
  sqlite3_stmt* stmt(const char* sql);
  sqlite3* db_ = nullptr;
  std::string path_;
  Limits limits_;
  uint64_t adds_ = 0;
  std::map<const char*, sqlite3_stmt*> stmts_;  // keyed by the SQL literal: prepared once
};

}  // namespace sluice::history
