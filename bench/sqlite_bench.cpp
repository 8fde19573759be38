// The store's own limit (issue: the stream must reach >= 80% of it): raw SQLite upserts
// of the seed's 12-column rows, with 16-byte BLOB keys and with 36-character TEXT
// keys, in 100,000-row transactions by default (WAL, synchronous=NORMAL), into a new table. The rows are made
// by the builtin source and the mapper, as the pipeline makes them, and parsed once
// beforehand, so only SQLite is timed. Also the same through SqliteSink::write.
//
//   build/bench/sqlite_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>

#include "mapping/mapper.h"
#include "sinks/sqlite/sqlite_sink.h"
#include "sources/builtin/builtin_source.h"
#include "stream/row_parser.h"

namespace {

using namespace sluice;
namespace fs = std::filesystem;

// Rows per run: SQLITE_BENCH_ROWS (bench/pipeline_bench.sh sets it to the stream's
// record count, so that both fill a table of the same size).
const size_t kRows = [] {
  const char* env = std::getenv("SQLITE_BENCH_ROWS");
  return env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : size_t{400'000};
}();
// Rows per transaction: SQLITE_BENCH_TXN_ROWS (bench/pipeline_bench.sh sets it to the
// stream's micro-batch size, since the stream commits one transaction per batch).
const size_t kTxn = [] {
  const char* env = std::getenv("SQLITE_BENCH_TXN_ROWS");
  return env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : size_t{100'000};
}();

const std::vector<std::pair<std::string, std::string>> kColumns = {
    {"id", "uuid primary key"}, {"first_name", "text"}, {"last_name", "text"}, {"gender", "text"},
    {"address", "text"},        {"post_code", "text"},  {"email", "text"},     {"username", "text"},
    {"dob", "text"},            {"registered_date", "text"}, {"phone", "text"}, {"picture", "text"}};

// Records as the produce task publishes them, parsed into rows once.
struct Data {
  table::Schema schema = table::Schema::from_config("users", kColumns);
  std::deque<std::string> values;
  std::vector<table::Row> rows;
  stream::Arena arena;
  Data() {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"id", "{uuid4()}"}, {"first_name", "{name.first}"}, {"last_name", "{name.last}"}, {"gender", "{gender}"},
        {"address", "{location.street.number} {location.street.name}, {location.city}, {location.state}, {location.country}"},
        {"post_code", "{location.postcode}"}, {"email", "{email}"}, {"username", "{login.username}"},
        {"dob", "{dob.date}"}, {"registered_date", "{registered.date}"}, {"phone", "{phone}"},
        {"picture", "{picture.medium}"}};
    auto mapping = mapping::Mapping::compile(fields, "id");
    mapping::Mapper mapper(mapping);
    struct Keep : mapping::RecordHandler {
      std::deque<std::string>* out;
      void on_record(bool, std::string_view, std::string_view v) override { out->emplace_back(v); }
      void on_error(std::string_view, std::string_view) override {}
    } keep;
    keep.out = &values;
    sources::BuiltinSource src({.seed = 1});
    sources::SourceBatch b;
    while (values.size() < kRows && src.next_batch(5000, b)) mapper.map_response(b.body, keep);
    stream::RowParser parser(schema, 1 << 20);
    rows.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) parser.parse(values[i], rows[i], arena);
  }
};

const Data& data() {
  static Data d;
  return d;
}

fs::path fresh_db() {
  fs::path p = fs::current_path() / ("bench-sqlite-" + std::to_string(::getpid()) + ".db");
  for (auto ext : {"", "-wal", "-shm"}) fs::remove(p.string() + ext);
  return p;
}

// rowid: an ordinary table (rows appended in rowid order, the key in its own index),
// as SqliteSink creates; false: WITHOUT ROWID (rows ordered by the random key).
void raw_upserts(benchmark::State& state, bool blob_keys, bool rowid = true) {
  const Data& d = data();
  uint64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto path = fresh_db();
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    // The same settings as SqliteSink, so that the two measure the same store.
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    std::string cols, params, updates;
    for (size_t i = 0; i < kColumns.size(); ++i) {
      cols += (i ? "," : "") + kColumns[i].first;
      params += i ? ",?" : "?";
      if (i) updates += (i > 1 ? "," : "") + kColumns[i].first + "=excluded." + kColumns[i].first;
    }
    std::string create = "CREATE TABLE users (id " + std::string(blob_keys ? "BLOB" : "TEXT") + " PRIMARY KEY";
    for (size_t i = 1; i < kColumns.size(); ++i) create += "," + kColumns[i].first + " TEXT";
    sqlite3_exec(db, (create + (rowid ? ")" : ") WITHOUT ROWID")).c_str(), nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, ("INSERT INTO users(" + cols + ") VALUES(" + params + ") ON CONFLICT(id) DO UPDATE SET " + updates).c_str(),
                       -1, &st, nullptr);
    std::vector<std::string> text_ids;
    if (!blob_keys)
      for (const auto& r : d.rows) text_ids.push_back(format_uuid(r.values[0].uuid));
    state.ResumeTiming();
    for (size_t start = 0; start < d.rows.size(); start += kTxn) {
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      for (size_t i = start; i < std::min(d.rows.size(), start + kTxn); ++i) {
        const auto& r = d.rows[i];
        if (blob_keys) sqlite3_bind_blob(st, 1, r.values[0].uuid.data(), 16, SQLITE_STATIC);
        else sqlite3_bind_text(st, 1, text_ids[i].data(), 36, SQLITE_STATIC);
        for (int c = 1; c < static_cast<int>(kColumns.size()); ++c) {
          const auto& v = r.values[static_cast<size_t>(c)].text;
          sqlite3_bind_text(st, c + 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        }
        sqlite3_step(st);
        sqlite3_reset(st);
      }
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    state.PauseTiming();
    rows += d.rows.size();
    sqlite3_finalize(st);
    sqlite3_close(db);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
}

void BM_RawUpsert16ByteKeys(benchmark::State& s) { raw_upserts(s, true); }
void BM_RawUpsert36CharKeys(benchmark::State& s) { raw_upserts(s, false); }
void BM_RawUpsert16ByteKeysWithoutRowid(benchmark::State& s) { raw_upserts(s, true, false); }
// Wall-clock rates (UseRealTime), comparable with the stream's rows/s.
BENCHMARK(BM_RawUpsert16ByteKeys)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_RawUpsert36CharKeys)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_RawUpsert16ByteKeysWithoutRowid)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_SqliteSinkWrite(benchmark::State& state) {
  const Data& d = data();
  uint64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto path = fresh_db();
    sinks::SqliteSink sink(path.string(), d.schema);
    sink.ensure_schema();
    state.ResumeTiming();
    for (size_t start = 0; start < d.rows.size(); start += kTxn)
      sink.write(std::span<const table::Row>(d.rows.data() + start, std::min(kTxn, d.rows.size() - start)));
    rows += d.rows.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
}
BENCHMARK(BM_SqliteSinkWrite)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_RowParse(benchmark::State& state) {
  const Data& d = data();
  stream::RowParser parser(d.schema, 1 << 20);
  stream::Arena arena;
  table::Row row;
  uint64_t n = 0;
  for (auto _ : state) {
    arena.reset();
    for (const auto& v : d.values) benchmark::DoNotOptimize(parser.parse(v, row, arena));
    n += d.values.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_RowParse)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
