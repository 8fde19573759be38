#pragma once
// The message browser's reads of a topic, outside any consumer group (assign(), never a
// commit): the newest N records, N records from an offset of one partition, or the first
// records at or after a time; each optionally filtered (a substring of key or value, a
// dead letter's kind). Every read is bounded: at most `max_scan` records and `deadline`.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "log/log.h"

namespace sluice::web {

struct MessageQuery {
  enum class Mode { newest, offset, timestamp };
  Mode mode = Mode::newest;
  int32_t partition = -1;  // offset mode: required; the others: -1 for every partition
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  size_t limit = 50;
  std::string contains;    // keep records whose key or value holds this ("" keeps all)
  std::function<bool(const log::Message&)> keep;  // a further filter (optional)
  size_t max_scan = 100'000;
  std::chrono::milliseconds deadline{5000};
};

struct MessagePage {
  std::vector<log::Message> messages;  // offset mode: offset order; else by timestamp (newest mode: newest first)
  uint64_t scanned = 0;
  bool truncated = false;  // the scan stopped at max_scan or the deadline before the end
};

// Throws UsageError for a topic or partition that does not exist.
MessagePage read_messages(log::Log& log, log::Admin& admin, const std::string& topic, const MessageQuery& q);

// The first offset of the partition whose record's timestamp is >= t (binary search over
// [start, end), timestamps assumed to grow with offsets, as the log appends them).
int64_t offset_for_time(log::Log& log, const std::string& topic, const log::PartitionInfo& p, int64_t t);

// One record as the API shows it: {"partition","offset","timestamp_ms","key","value","headers"}.
void message_json(JsonWriter& w, const log::Message& m);

}  // namespace sluice::web
