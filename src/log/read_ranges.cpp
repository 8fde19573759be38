#include "log/read_ranges.h"

#include <vector>

namespace sluice::log {

bool read_ranges(Log& log, const std::string& topic, std::map<int32_t, std::pair<int64_t, int64_t>> ranges,
                 const std::function<void(Message&)>& fn, ReadLimits limits) {
  using Clock = std::chrono::steady_clock;
  std::erase_if(ranges, [](const auto& r) { return r.second.first >= r.second.second; });
  if (ranges.empty()) return true;
  auto c = log.consumer({});
  std::vector<TopicPartitionOffset> assign;
  for (const auto& [p, r] : ranges) assign.push_back({topic, p, r.first});
  c->assign(assign);
  auto start = Clock::now(), last_progress = start;
  while (!ranges.empty()) {
    auto now = Clock::now();
    if ((limits.deadline.count() > 0 && now - start >= limits.deadline) || now - last_progress >= limits.stall) return false;
    auto batch = c->poll(5000, std::chrono::milliseconds(100));
    if (!batch.empty()) last_progress = Clock::now();
    for (auto& m : batch) {
      auto it = ranges.find(m.partition);
      if (it == ranges.end() || m.offset < it->second.first) continue;
      if (m.offset < it->second.second) fn(m);
      if (m.offset + 1 >= it->second.second) ranges.erase(it);
    }
  }
  return true;
}

}  // namespace sluice::log
