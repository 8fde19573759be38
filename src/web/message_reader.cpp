#include "web/message_reader.h"

#include <algorithm>
#include <map>

#include "common/error.h"

namespace sluice::web {
namespace {

using Clock = std::chrono::steady_clock;

// The one record at `offset` (nullopt if it could not be read in time).
std::optional<log::Message> read_one(log::Consumer& c, const std::string& topic, int32_t partition, int64_t offset) {
  c.assign({{topic, partition, offset}});
  auto until = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < until) {
    for (auto& m : c.poll(1, std::chrono::milliseconds(100)))
      if (m.partition == partition && m.offset >= offset) return std::move(m);
  }
  return std::nullopt;
}

bool matches(const MessageQuery& q, const log::Message& m) {
  if (!q.contains.empty() && m.value.find(q.contains) == std::string::npos &&
      (!m.key || m.key->find(q.contains) == std::string::npos))
    return false;
  return !q.keep || q.keep(m);
}

}  // namespace

int64_t offset_for_time(log::Log& log, const std::string& topic, const log::PartitionInfo& p, int64_t t) {
  auto c = log.consumer({});
  int64_t lo = p.start_offset, hi = p.end_offset;  // the answer is in [lo, hi]
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    auto m = read_one(*c, topic, p.partition, mid);
    if (!m) break;
    if (m->timestamp_ms >= t) hi = m->offset;
    else lo = m->offset + 1;
  }
  return lo;
}

MessagePage read_messages(log::Log& log, log::Admin& admin, const std::string& topic, const MessageQuery& q) {
  auto desc = admin.describe_topic(topic);  // throws UsageError if absent
  size_t limit = std::max<size_t>(q.limit, 1);
  // Per partition, the offsets to scan: [from, to).
  std::map<int32_t, std::pair<int64_t, int64_t>> range;
  bool filtered = !q.contains.empty() || q.keep;
  for (const auto& p : desc.partitions) {
    if (q.partition >= 0 && p.partition != q.partition) continue;
    int64_t from = p.start_offset;
    switch (q.mode) {
      case MessageQuery::Mode::offset: from = std::max(q.offset, p.start_offset); break;
      case MessageQuery::Mode::timestamp: from = offset_for_time(log, topic, p, q.timestamp_ms); break;
      case MessageQuery::Mode::newest: {
        // Unfiltered: the last `limit` of each partition hold the newest `limit`. Filtered:
        // the scan budget shared by the partitions, from their ends.
        auto back = static_cast<int64_t>(filtered ? q.max_scan / std::max<size_t>(desc.partitions.size(), 1) : limit);
        from = std::max(p.start_offset, p.end_offset - back);
        break;
      }
    }
    if (from < p.end_offset) range[p.partition] = {from, p.end_offset};
  }
  if (q.partition >= 0 && std::none_of(desc.partitions.begin(), desc.partitions.end(),
                                       [&](const auto& p) { return p.partition == q.partition; }))
    throw UsageError("topic " + topic + " has no partition " + std::to_string(q.partition));

  MessagePage page;
  if (range.empty()) return page;
  auto c = log.consumer({});
  std::vector<log::TopicPartitionOffset> assign;
  for (const auto& [p, r] : range) assign.push_back({topic, p, r.first});
  c->assign(assign);
  std::map<int32_t, size_t> found;  // per partition (offset and timestamp modes stop a partition at `limit`)
  auto deadline = Clock::now() + q.deadline;
  bool forward = q.mode != MessageQuery::Mode::newest;
  while (!range.empty()) {
    if (page.scanned >= q.max_scan || Clock::now() >= deadline) {
      page.truncated = true;
      break;
    }
    for (auto& m : c->poll(1000, std::chrono::milliseconds(100))) {
      auto it = range.find(m.partition);
      if (it == range.end() || m.offset < it->second.first) continue;
      if (m.offset >= it->second.second) {  // appended after the read began
        range.erase(it);
        continue;
      }
      ++page.scanned;
      bool last = m.offset + 1 >= it->second.second;
      if (matches(q, m)) {
        page.messages.push_back(std::move(m));
        if (forward && ++found[it->first] >= limit) last = true;
      }
      if (last) range.erase(it);
    }
  }
  if (q.mode == MessageQuery::Mode::offset) {
    std::sort(page.messages.begin(), page.messages.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  } else {
    bool newest = q.mode == MessageQuery::Mode::newest;
    std::stable_sort(page.messages.begin(), page.messages.end(), [&](const auto& a, const auto& b) {
      auto ka = std::tie(a.timestamp_ms, a.partition, a.offset), kb = std::tie(b.timestamp_ms, b.partition, b.offset);
      return newest ? kb < ka : ka < kb;
    });
  }
  if (page.messages.size() > limit) page.messages.resize(limit);
  return page;
}

void message_json(JsonWriter& w, const log::Message& m) {
  w.begin_object().field("partition", m.partition).field("offset", m.offset).field("timestamp_ms", m.timestamp_ms);
  w.key("key");
  if (m.key) w.value(*m.key);
  else w.null();
  w.field("value", m.value);
  w.key("headers").begin_array();
  for (const auto& h : m.headers) w.begin_object().field("key", h.key).field("value", h.value).end_object();
  w.end_array().end_object();
}

}  // namespace sluice::web
