#include "log/lag.h"

#include <algorithm>

namespace sluice::log {

TopicLag consumer_lag(const TopicDescription& topic, const std::map<int32_t, int64_t>& committed, StartFrom start) {
  TopicLag out;
  for (const auto& p : topic.partitions) {
    PartitionLag l{p.partition, p.start_offset, p.end_offset, std::nullopt, 0};
    auto it = committed.find(p.partition);
    if (it != committed.end()) {
      l.committed = it->second;
      l.lag = p.end_offset - std::max(it->second, p.start_offset);
    } else {
      l.lag = start == StartFrom::latest ? 0 : p.end_offset - p.start_offset;
    }
    l.lag = std::max<int64_t>(0, l.lag);
    out.total += l.lag;
    out.partitions.push_back(l);
  }
  return out;
}

std::map<int32_t, int64_t> TopicLag::pending() const {
  std::map<int32_t, int64_t> out;
  for (const auto& p : partitions)
    if (p.lag > 0) out[p.partition] = p.end_offset;
  return out;
}

std::map<int32_t, int64_t> committed_of(const std::vector<GroupOffsets>& groups, std::string_view group) {
  for (const auto& g : groups)
    if (g.group == group) return g.committed;
  return {};
}

}  // namespace sluice::log
