#pragma once
// The dead-letter topic as the Dead letters page and `sluice dlq` see it: each record's
// reason kind, stage, origin (topic, partition, offset) and original bytes, read from
// the headers every dead letter carries (log/dead_letter.h); and redrive, which sends
// records back to the source topic with their original key and bytes.
//
// Never twice by accident: a redriven dead letter is marked in the history
// (history/history_store.h) and skipped by later redrives, and the record sent back
// carries the header sluice.redriven_from = <dlq topic>/<partition>/<offset>. If it
// fails again, its new dead letter keeps that header, and is skipped by a redrive too
// unless `again` is set.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "history/history_store.h"
#include "log/log.h"
#include "web/message_reader.h"

namespace sluice::web {

struct DeadLetterView {
  log::Message record;
  std::string kind, reason, stage;
  std::optional<log::TopicPartition> origin_tp;
  int64_t origin_offset = -1;
  std::string redriven_from;  // the header: this letter is a redriven record that failed again
  bool redriven = false;      // this letter was redriven (history)
};

DeadLetterView view_of(log::Message m);
void dead_letter_json(JsonWriter& w, const DeadLetterView& v);

struct RedriveRequest {
  std::vector<std::pair<int32_t, int64_t>> letters;  // by (partition, offset); empty: by kind or all
  std::string kind;   // every letter of this reason kind
  bool all = false;   // every letter
  bool again = false;  // also letters already redriven, or that came back after a redrive
};

struct RedriveResult {
  uint64_t redriven = 0;
  uint64_t already = 0;   // skipped: redriven before (or a record that failed after a redrive)
  uint64_t missing = 0;   // asked for by offset but not in the topic (deleted by retention?)
  std::string target;
};

// Reads the dead-letter topic (bounded as read_messages), sends the chosen letters to
// `source_topic` and marks them in `history` (may be null: then only the header guards).
// Throws FatalError when the log refuses the records (nothing is marked then).
RedriveResult redrive(log::Log& log, log::Admin& admin, const std::string& dlq_topic, const std::string& source_topic,
                      const RedriveRequest& req, history::HistoryStore* history);

}  // namespace sluice::web
