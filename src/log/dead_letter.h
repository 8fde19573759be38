#pragma once
// Dead letters: the one set of headers that every record sent to the dead-letter topic
// carries, whichever stage turned it away (the produce task's mapping, the query's
// parser, the sink). The record's value is the original bytes; its key, if it had one,
// is kept.
//
//   error.kind        a BadRecord kind (common/bad_record.h): missing_field, invalid_json, ...
//   error.reason      the detail for a person: "missing field location.street.number"
//   error.stage       map | parse | sink
//   data.source       the data source the produce task read it from (map stage only),
//                     e.g. "builtin generator (seed 42)"
//   source.topic, source.partition, source.offset, source.timestamp
//                     the topic record it was (parse and sink stages only)
//   sluice.redriven_from  copied from the topic record when it was a redriven dead
//                     letter (`dlq-topic/partition/offset`): it failed again after a redrive
#include <array>
#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bad_record.h"
#include "log/log.h"
#include "metrics/registry.h"

namespace sluice::log {

// The header a redrive puts on each record it sends back to the source topic.
inline constexpr std::string_view kRedrivenHeader = "sluice.redriven_from";

struct DeadLetter {
  BadRecord kind = BadRecord::invalid_json;
  BadRecordStage stage = BadRecordStage::parse;
  std::string_view reason;
  std::string_view data_source = {};  // map stage: the data source
  const Message* from = nullptr;      // parse and sink stages: the topic record
};

std::vector<Header> dead_letter_headers(const DeadLetter& d);

// A stage's dead-letter counters, `name{stage,kind}` in a registry: each series is
// registered on first use (so /metrics lists the kinds that happened), and read back
// relative to the moment this object was made (one run of the stage, while the
// registry counts on across runs). at() and the moves: the stage's thread only; the
// readers (none_yet, total, by_kind) from any thread.
class DeadLetterCounters {
 public:
  DeadLetterCounters(metrics::Registry& registry, std::string name, std::string help);
  metrics::Counter& at(BadRecordStage stage, BadRecord kind);
  // Nothing of this stage and kind was counted since this object was made (log-once).
  bool none_yet(BadRecordStage stage, BadRecord kind) const;
  uint64_t total() const;                        // since made
  std::map<std::string, uint64_t> by_kind() const;  // kind name -> count since made, zeros left out

 private:
  struct Slot {
    // Published (release) after `base` is set, so a reader that sees it sees its base.
    std::atomic<metrics::Counter*> counter{nullptr};
    uint64_t base = 0;
  };
  metrics::Registry& registry_;
  std::string name_, help_;
  std::array<std::array<Slot, std::size(kBadRecordKinds)>, 3> slots_{};
};

}  // namespace sluice::log
