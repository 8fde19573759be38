#include <gtest/gtest.h>

#include <map>
#include <set>

#include "log/dead_letter.h"

namespace sluice::log {
namespace {

std::map<std::string, std::string> as_map(const std::vector<Header>& h) {
  std::map<std::string, std::string> m;
  for (const auto& x : h) m[x.key] = x.value;
  return m;
}

TEST(DeadLetterHeaders, MapStageNamesTheDataSource) {
  auto h = as_map(dead_letter_headers({.kind = BadRecord::missing_field,
                                       .stage = BadRecordStage::map,
                                       .reason = "missing field location.street.number",
                                       .data_source = "builtin generator (seed 1)"}));
  EXPECT_EQ(h, (std::map<std::string, std::string>{{"error.kind", "missing_field"},
                                                   {"error.reason", "missing field location.street.number"},
                                                   {"error.stage", "map"},
                                                   {"data.source", "builtin generator (seed 1)"}}));
}

TEST(DeadLetterHeaders, StreamStagesNameTheTopicRecord) {
  Message m;
  m.topic = "user_created";
  m.partition = 2;
  m.offset = 41;
  m.timestamp_ms = 1700000000000;
  auto h = as_map(dead_letter_headers(
      {.kind = BadRecord::sink_rejected, .stage = BadRecordStage::sink, .reason = "too big", .from = &m}));
  EXPECT_EQ(h, (std::map<std::string, std::string>{{"error.kind", "sink_rejected"},
                                                   {"error.reason", "too big"},
                                                   {"error.stage", "sink"},
                                                   {"source.topic", "user_created"},
                                                   {"source.partition", "2"},
                                                   {"source.offset", "41"},
                                                   {"source.timestamp", "1700000000000"}}));
}

TEST(BadRecordKinds, AreDistinctLabelSafeNames) {
  std::set<std::string> names;
  for (auto k : kBadRecordKinds) {
    std::string n(to_string(k));
    EXPECT_NE(n, "unknown");
    EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos) << n;
    names.insert(n);
  }
  EXPECT_EQ(names.size(), std::size(kBadRecordKinds));
}

}  // namespace
}  // namespace sluice::log
