#pragma once
// A scheduler run's books: did every record its produce task published reach the table
// or the dead-letter topic? The Pipeline page's "produced = consumed = written +
// dead-lettered" per run, counted record by record, not inferred from totals.
//
// The produce task's --json summary names the offsets its records went to (per
// partition, the topic's end offset before and after the run: pipeline/pipeline.h).
// From them:
//   consumed      the records of that range below the query's committed offsets (cheap:
//                 offsets only, so a run still being read shows how far it got);
//   written       once the whole range is consumed, each record is read back, parsed
//                 with the table's schema (as the query does) and its primary key
//                 looked up in the table;
//   dead_lettered a record whose key is not in the table (or that does not parse) and
//                 that has a letter on the dead-letter topic whose origin is it;
//   missing       neither: a lost record. The books balance when none is missing.
// A redriven letter whose record reached the table counts as written. If another
// producer wrote into the range meanwhile (a redrive, a second `sluice produce`), the
// range holds more records than the run produced; the counts cover the whole range
// and `others` says how many were not the run's.
//
// Bounds: a range of at most kMaxRangeRecords records, a dead-letter topic of at most
// kMaxLetters letters are counted; beyond, the books say why they are not final.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/json_writer.h"
#include "config/config.h"
#include "log/log.h"
#include "table/schema.h"

namespace sluice::web {

inline constexpr int64_t kMaxRangeRecords = 20'000'000;
inline constexpr int64_t kMaxLetters = 2'000'000;

struct RunRange {
  std::map<int32_t, std::pair<int64_t, int64_t>> offsets;  // partition -> [first, end)
  int64_t produced = 0;                 // acknowledged on the topic (the task's summary)
  int64_t dead_lettered_at_source = 0;  // refused by the mapping: never on the topic
  int64_t records() const;              // the records in the range
};

// The produce task's --json summary line -> its range; nullopt if the line is not one
// or names no offsets (a summary of an older sluice).
std::optional<RunRange> parse_produce_summary(std::string_view json_line);

struct RunBooks {
  int64_t produced = 0, in_range = 0, consumed = 0;
  int64_t dead_lettered_at_source = 0;
  int64_t written = -1, dead_lettered = -1, missing = -1;  // -1: not counted yet
  bool final = false;  // counted record by record
  std::string note;    // why they are not final yet, or what to know about them

  int64_t others() const { return in_range > produced ? in_range - produced : 0; }
  // True when every record of the range is consumed and is in the table or the DLQ;
  // false when one is missing; nullopt while not counted.
  std::optional<bool> reconciled() const;
  void to_json(JsonWriter& w) const;
  static std::optional<RunBooks> from_json(std::string_view json);
};

// The cheap part: what of the range the group has committed (partition -> next offset).
RunBooks open_books(const RunRange& range, const std::map<int32_t, int64_t>& committed);

struct CountInputs {
  const config::Config& cfg;  // the sink
  const table::Schema& schema;
  log::Log& log;
  std::string topic, dead_letter_topic;
  size_t max_value_bytes = 1 << 20;
};

// The record-by-record count, for books whose range is wholly consumed (else it only
// sets the note). Throws what the log or the sink throw when they cannot be read.
void count_books(RunBooks& books, const RunRange& range, const CountInputs& in);

}  // namespace sluice::web
