#pragma once
// `sluice verify`: does the sink's table hold what the topic says it should? Reads the
// topic (all of it, or offset or time ranges), parses each record with the table's
// schema as the query does, keeps per primary key the last record (the newest by
// timestamp, then partition and offset), reads the whole table, and reports per key:
//   missing    in the topic, not in the table (and no dead letter of that record)
//   different  in both, some field differs from the last record (counted per field)
//   extra      in the table, never in the topic (only when the whole topic is read and
//              retention deleted none of it: otherwise the table may rightly hold more)
// and the dead-letter topic's records by stage and reason kind, and the topic's records
// that do not parse and have no dead letter (lost bad records).
//
// Memory stays bounded whatever the size: the records' last versions and the table's
// rows go to a scratch SQLite file (deleted at the end) and are compared there; what
// stays in memory is a page cache of `cache_mib` and the examples.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "config/config.h"
#include "log/log.h"
#include "table/schema.h"

namespace sluice::verify {

struct VerifyOptions {
  std::string topic, dead_letter_topic;
  // Per partition [from, to) offsets to read; empty: all of each partition.
  std::map<int32_t, std::pair<int64_t, int64_t>> offsets;
  int64_t since_ms = 0, until_ms = 0;  // record timestamps to read (0: no bound)
  std::string scratch_dir;             // where the scratch file goes ("": the system's temp dir)
  size_t examples = 10;                // per kind of finding
  size_t max_value_bytes = 1 << 20;
  int cache_mib = 64;
};

struct Finding {
  std::string kind;  // missing | different | extra | lost_bad_record
  std::string key;
  std::string field;                      // different: the first field that differs
  std::optional<std::string> expected, actual;  // different: that field's values
  int32_t partition = -1;                 // the record's, where there is one
  int64_t offset = -1;
};

struct VerifyReport {
  int64_t records = 0;        // read from the topic
  int64_t keys = 0;           // distinct primary keys among the records that parse
  int64_t duplicates = 0;     // records that parse, minus keys (later versions of a key)
  int64_t unparseable = 0;    // records that do not parse with the schema
  int64_t unparseable_without_letter = 0;
  int64_t table_rows = 0;
  int64_t matching = 0, missing = 0, dead_lettered = 0, different = 0;
  std::optional<int64_t> extra;  // nullopt: not checked (see extra_note)
  std::string extra_note;
  std::map<std::string, int64_t> different_by_field;
  std::map<std::string, int64_t> letters_by_kind;  // "stage/kind" -> letters on the DLQ
  int64_t letters = 0;
  std::vector<Finding> examples;
  double seconds = 0;

  bool ok() const {
    return missing == 0 && different == 0 && extra.value_or(0) == 0 && unparseable_without_letter == 0;
  }
  void to_json(JsonWriter& w) const;
};

using Progress = std::function<void(const std::string& phase, int64_t done)>;

// Throws UsageError for a topic that does not exist or a table the sink does not have,
// FatalError when the log or the sink cannot be read.
VerifyReport verify(const config::Config& cfg, log::Log& log, const table::Schema& schema, const VerifyOptions& o,
                    const Progress& progress = {});

}  // namespace sluice::verify
