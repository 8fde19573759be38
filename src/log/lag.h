#pragma once
// Consumer lag: the one definition every surface uses (`sluice topics`, the end of
// `sluice run`, the query's "what is there now" for once/available-now, /metrics and
// the dashboard).
//
// For each partition, the records the group has still to read:
//   committed offset c:  end - max(c, start)        (records retention deleted are
//                                                    not owed: they cannot be read)
//   no committed offset: end - start  when a new group starts at the earliest offset,
//                        0            when it starts at the latest (it never reads
//                                     what was there before it joined)
// clamped at 0 (a committed offset past the end, as after a topic was recreated,
// owes nothing). The topic's lag is the sum; caught up means 0.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "log/log.h"

namespace sluice::log {

struct PartitionLag {
  int32_t partition = 0;
  int64_t start_offset = 0, end_offset = 0;
  std::optional<int64_t> committed;
  int64_t lag = 0;
};

struct TopicLag {
  std::vector<PartitionLag> partitions;
  int64_t total = 0;
  bool caught_up() const { return total == 0; }
  // Partition -> end offset, for the partitions with records still to read.
  std::map<int32_t, int64_t> pending() const;
};

TopicLag consumer_lag(const TopicDescription& topic, const std::map<int32_t, int64_t>& committed, StartFrom start);

// The committed offsets of `group` among the groups of a topic (empty if it has none).
std::map<int32_t, int64_t> committed_of(const std::vector<GroupOffsets>& groups, std::string_view group);

}  // namespace sluice::log
