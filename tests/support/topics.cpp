#include "support/topics.h"

#include "log/factory/open_log.h"

namespace sluice::testing {

std::vector<log::Message> read_topic(const std::string& log_uri, const std::string& topic, std::chrono::seconds limit) {
  log::LogSettings s;
  s.uri = log_uri;
  auto l = log::open_log(s);
  auto admin = l->admin();
  if (!admin->topic_exists(topic)) return {};
  auto desc = admin->describe_topic(topic);
  std::vector<log::TopicPartitionOffset> a;
  int64_t total = 0;
  for (auto& p : desc.partitions) {
    a.push_back({topic, p.partition, p.start_offset});
    total += p.end_offset - p.start_offset;
  }
  auto c = l->consumer({});
  c->assign(a);
  std::vector<log::Message> out;
  auto end = std::chrono::steady_clock::now() + limit;
  while (static_cast<int64_t>(out.size()) < total && std::chrono::steady_clock::now() < end)
    for (auto& m : c->poll(10000, std::chrono::milliseconds(50))) out.push_back(std::move(m));
  return out;
}

std::vector<log::Message> read_topic(const ScratchDir& d, const std::string& topic) {
  return read_topic(d.log_uri(), topic);
}

int64_t records_in(log::Admin& admin, const std::string& topic) {
  if (!admin.topic_exists(topic)) return 0;
  int64_t total = 0;
  for (const auto& p : admin.describe_topic(topic).partitions) total += p.end_offset - p.start_offset;
  return total;
}

}  // namespace sluice::testing
