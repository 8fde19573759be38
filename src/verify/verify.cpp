#include "verify/verify.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/error.h"
#include "log/read_ranges.h"
#include "sinks/factory/table_view.h"
#include "stream/row_parser.h"
#include "table/row_text.h"

namespace sluice::verify {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStall = std::chrono::seconds(30);  // the log returned nothing this long: give up
constexpr int kTxRows = 20'000;

// The scratch database: the records' last versions, the table's rows, the dead letters'
// origins and the records that do not parse, compared with SQL on disk.
class Scratch {
 public:
  Scratch(const std::string& dir, int cache_mib) {
    auto base = dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(dir);
    path_ = (base / fmt::format("sluice-verify-{}-{}.db", ::getpid(), Clock::now().time_since_epoch().count())).string();
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
      throw FatalError("verify: cannot create its scratch file " + path_ + ": " + sqlite3_errmsg(db_));
    exec(fmt::format("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; PRAGMA cache_size=-{};",
                     cache_mib * 1024));
    exec(R"(
      CREATE TABLE expected (key TEXT PRIMARY KEY, ts INTEGER, part INTEGER, off INTEGER, row BLOB) WITHOUT ROWID;
      CREATE TABLE actual (key TEXT PRIMARY KEY, row BLOB) WITHOUT ROWID;
      CREATE TABLE letters (part INTEGER, off INTEGER, PRIMARY KEY (part, off)) WITHOUT ROWID;
      CREATE TABLE bad (part INTEGER, off INTEGER, PRIMARY KEY (part, off)) WITHOUT ROWID;)");
  }
  ~Scratch() {
    for (auto* s : stmts_) sqlite3_finalize(s);
    sqlite3_close(db_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw FatalError("verify: scratch file " + path_ + ": " + msg);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      throw FatalError(std::string("verify: ") + sqlite3_errmsg(db_));
    stmts_.push_back(s);
    return s;
  }
  void step_done(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
      throw FatalError("verify: scratch file " + path_ + ": " + sqlite3_errmsg(db_) + " (is its disk full?)");
  }
  // Commits every kTxRows writes.
  void wrote() {
    if (++pending_ >= kTxRows) {
      exec("COMMIT; BEGIN");
      pending_ = 0;
    }
  }
  int64_t count(const char* sql) {
    auto* s = prepare(sql);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return n;
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
  int pending_ = 0;
};

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
std::string text_col(sqlite3_stmt* s, int i) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : "";
}
std::string blob_col(sqlite3_stmt* s, int i) {
  auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : "";
}

// Reads the ranges (log/read_ranges.h); a log that returns nothing for kStall is an error.
void read_all(log::Log& log, const std::string& topic, const std::map<int32_t, std::pair<int64_t, int64_t>>& ranges,
              const std::function<void(log::Message&)>& fn) {
  if (!log::read_ranges(log, topic, ranges, fn, {.stall = kStall}))
    throw FatalError(fmt::format("verify: {} returned nothing for {} s before the end of the ranges to read", topic,
                                 kStall.count()));
}

void add_example(VerifyReport& r, std::map<std::string, size_t>& shown, size_t limit, Finding f) {
  if (shown[f.kind]++ < limit) r.examples.push_back(std::move(f));
}

}  // namespace

VerifyReport verify(const config::Config& cfg, log::Log& log, const table::Schema& schema, const VerifyOptions& o,
                    const Progress& progress) {
  auto t0 = Clock::now();
  VerifyReport r;
  auto admin = log.admin();
  if (!admin->topic_exists(o.topic)) throw UsageError("no topic " + o.topic + " in " + log.describe());
  auto desc = admin->describe_topic(o.topic);
  bool whole = o.offsets.empty() && o.since_ms == 0 && o.until_ms == 0;
  std::map<int32_t, std::pair<int64_t, int64_t>> ranges;
  for (const auto& p : desc.partitions) {
    if (p.start_offset > 0 && whole)
      r.extra_note = fmt::format("retention deleted offsets below {} of partition {}: the table may rightly hold rows "
                                 "the topic no longer has",
                                 p.start_offset, p.partition);
    if (o.offsets.empty()) {
      ranges[p.partition] = {p.start_offset, p.end_offset};
    } else if (auto it = o.offsets.find(p.partition); it != o.offsets.end()) {
      ranges[p.partition] = {std::max(it->second.first, p.start_offset), std::min(it->second.second, p.end_offset)};
    }
  }
  for (const auto& [p, range] : o.offsets)
    if (!ranges.contains(p)) throw UsageError(fmt::format("topic {} has no partition {}", o.topic, p));
  if (!whole) r.extra_note = "only part of the topic was read: rows of other records are not extra";

  Scratch db(o.scratch_dir, o.cache_mib);
  std::map<std::string, size_t> shown;
  db.exec("BEGIN");

  // The dead letters: by stage and kind, and the origins of those from this topic.
  if (admin->topic_exists(o.dead_letter_topic)) {
    std::map<int32_t, std::pair<int64_t, int64_t>> all;
    for (const auto& p : admin->describe_topic(o.dead_letter_topic).partitions) all[p.partition] = {p.start_offset, p.end_offset};
    auto* ins = db.prepare("INSERT OR IGNORE INTO letters VALUES (?, ?)");
    read_all(log, o.dead_letter_topic, all, [&](log::Message& m) {
      ++r.letters;
      std::string kind = "?", stage = "?", topic, partition, offset;
      for (const auto& h : m.headers) {
        if (h.key == "error.kind") kind = h.value;
        else if (h.key == "error.stage") stage = h.value;
        else if (h.key == "source.topic") topic = h.value;
        else if (h.key == "source.partition") partition = h.value;
        else if (h.key == "source.offset") offset = h.value;
      }
      ++r.letters_by_kind[stage + "/" + kind];
      if (topic == o.topic && !partition.empty() && !offset.empty()) {
        sqlite3_bind_int(ins, 1, static_cast<int>(std::strtol(partition.c_str(), nullptr, 10)));
        sqlite3_bind_int64(ins, 2, std::strtoll(offset.c_str(), nullptr, 10));
        db.step_done(ins);
        db.wrote();
      }
    });
  }

  // The topic: each record's row, the last version per key.
  {
    stream::RowParser parser(schema, o.max_value_bytes);
    stream::Arena arena;
    table::Row row;
    table::Fields fields;
    auto pk = static_cast<size_t>(schema.primary_key());
    auto* up = db.prepare(
        "INSERT INTO expected VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET ts = excluded.ts, "
        "part = excluded.part, off = excluded.off, row = excluded.row "
        "WHERE (excluded.ts, excluded.part, excluded.off) > (ts, part, off)");
    auto* bad = db.prepare("INSERT OR IGNORE INTO bad VALUES (?, ?)");
    int64_t parsed = 0;
    read_all(log, o.topic, ranges, [&](log::Message& m) {
      if ((o.since_ms && m.timestamp_ms < o.since_ms) || (o.until_ms && m.timestamp_ms >= o.until_ms)) return;
      if (++r.records % 100'000 == 0 && progress) progress("topic", r.records);
      arena.reset();
      std::optional<std::string> key;
      if (parser.parse(m.value, row, arena).ok() && pk < row.values.size()) key = table::canonical(row.values[pk]);
      if (!key) {
        ++r.unparseable;
        sqlite3_bind_int(bad, 1, m.partition);
        sqlite3_bind_int64(bad, 2, m.offset);
        db.step_done(bad);
        db.wrote();
        return;
      }
      ++parsed;
      fields.resize(row.values.size());
      for (size_t i = 0; i < row.values.size(); ++i) fields[i] = table::canonical(row.values[i]);
      auto enc = table::encode_fields(fields);
      bind_text(up, 1, *key);
      sqlite3_bind_int64(up, 2, m.timestamp_ms);
      sqlite3_bind_int(up, 3, m.partition);
      sqlite3_bind_int64(up, 4, m.offset);
      sqlite3_bind_blob(up, 5, enc.data(), static_cast<int>(enc.size()), SQLITE_TRANSIENT);
      db.step_done(up);
      db.wrote();
    });
    r.keys = db.count("SELECT count(*) FROM expected");
    r.duplicates = parsed - r.keys;
  }

  // The table: every row.
  {
    auto pk = static_cast<size_t>(schema.primary_key());
    auto* ins = db.prepare("INSERT OR REPLACE INTO actual VALUES (?, ?)");
    sinks::scan_rows(cfg, schema, [&](table::Fields& f) {
      if (++r.table_rows % 100'000 == 0 && progress) progress("table", r.table_rows);
      if (pk >= f.size() || !f[pk]) return;
      auto enc = table::encode_fields(f);
      bind_text(ins, 1, *f[pk]);
      sqlite3_bind_blob(ins, 2, enc.data(), static_cast<int>(enc.size()), SQLITE_TRANSIENT);
      db.step_done(ins);
      db.wrote();
    });
  }
  db.exec("COMMIT");
  if (progress) progress("compare", 0);

  // Compare.
  r.matching = db.count("SELECT count(*) FROM expected e JOIN actual a ON a.key = e.key WHERE a.row = e.row");
  {
    auto* s = db.prepare(
        "SELECT e.key, e.part, e.off, EXISTS (SELECT 1 FROM letters l WHERE l.part = e.part AND l.off = e.off) "
        "FROM expected e WHERE NOT EXISTS (SELECT 1 FROM actual a WHERE a.key = e.key)");
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (sqlite3_column_int(s, 3)) {
        ++r.dead_lettered;
        continue;
      }
      ++r.missing;
      add_example(r, shown, o.examples,
                  {.kind = "missing", .key = text_col(s, 0), .partition = sqlite3_column_int(s, 1),
                   .offset = sqlite3_column_int64(s, 2)});
    }
    sqlite3_reset(s);
  }
  {
    auto* s = db.prepare("SELECT e.key, e.row, a.row, e.part, e.off FROM expected e JOIN actual a ON a.key = e.key "
                         "WHERE a.row <> e.row");
    const auto& cols = schema.columns();
    while (sqlite3_step(s) == SQLITE_ROW) {
      ++r.different;
      auto want = table::decode_fields(blob_col(s, 1));
      auto have = table::decode_fields(blob_col(s, 2));
      std::string first;
      std::optional<std::string> first_want, first_have;
      for (size_t i = 0; i < cols.size(); ++i) {
        auto w = i < want.size() ? want[i] : std::nullopt;
        auto h = i < have.size() ? have[i] : std::nullopt;
        if (w == h) continue;
        ++r.different_by_field[cols[i].name];
        if (first.empty()) first = cols[i].name, first_want = w, first_have = h;
      }
      add_example(r, shown, o.examples,
                  {.kind = "different", .key = text_col(s, 0), .field = first, .expected = first_want,
                   .actual = first_have, .partition = sqlite3_column_int(s, 3), .offset = sqlite3_column_int64(s, 4)});
    }
    sqlite3_reset(s);
  }
  if (r.extra_note.empty()) {
    auto* s = db.prepare("SELECT a.key FROM actual a WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.key = a.key)");
    int64_t extra = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      ++extra;
      add_example(r, shown, o.examples, {.kind = "extra", .key = text_col(s, 0)});
    }
    sqlite3_reset(s);
    r.extra = extra;
  }
  {
    auto* s = db.prepare("SELECT b.part, b.off FROM bad b WHERE NOT EXISTS "
                         "(SELECT 1 FROM letters l WHERE l.part = b.part AND l.off = b.off)");
    while (sqlite3_step(s) == SQLITE_ROW) {
      ++r.unparseable_without_letter;
      add_example(r, shown, o.examples,
                  {.kind = "lost_bad_record", .partition = sqlite3_column_int(s, 0), .offset = sqlite3_column_int64(s, 1)});
    }
    sqlite3_reset(s);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

void VerifyReport::to_json(JsonWriter& w) const {
  w.begin_object().field("ok", ok()).field("records", records).field("keys", keys).field("duplicates", duplicates);
  w.field("unparseable", unparseable).field("unparseable_without_letter", unparseable_without_letter);
  w.field("table_rows", table_rows).field("matching", matching).field("missing", missing);
  w.field("dead_lettered", dead_lettered).field("different", different);
  w.key("extra");
  if (extra) w.value(*extra);
  else w.null();
  w.field("extra_note", extra_note);
  w.key("different_by_field").begin_object();
  for (const auto& [k, n] : different_by_field) w.field(k, n);
  w.end_object();
  w.field("letters", letters).key("letters_by_kind").begin_object();
  for (const auto& [k, n] : letters_by_kind) w.field(k, n);
  w.end_object();
  w.key("examples").begin_array();
  auto opt = [&](const char* k, const std::optional<std::string>& v) {
    w.key(k);
    if (v) w.value(*v);
    else w.null();
  };
  for (const auto& f : examples) {
    w.begin_object().field("kind", f.kind).field("key", f.key);
    if (f.kind == "different") {
      w.field("field", f.field);
      opt("expected", f.expected);
      opt("actual", f.actual);
    }
    w.field("partition", f.partition).field("offset", f.offset).end_object();
  }
  w.end_array().field("seconds", seconds, 3).end_object();
}

}  // namespace sluice::verify
