#include <gtest/gtest.h>

#include "log/lag.h"

namespace sluice::log {
namespace {

TopicDescription topic() {
  TopicDescription d;
  d.name = "t";
  d.partitions = {{0, 0, 100, 0}, {1, 40, 50, 0}, {2, 0, 0, 0}};
  return d;
}

TEST(ConsumerLag, CommittedPartitionsOweTheRestUpToTheEnd) {
  auto l = consumer_lag(topic(), {{0, 60}, {1, 50}, {2, 0}}, StartFrom::earliest);
  ASSERT_EQ(l.partitions.size(), 3u);
  EXPECT_EQ(l.partitions[0].lag, 40);
  EXPECT_EQ(l.partitions[1].lag, 0);
  EXPECT_EQ(l.partitions[2].lag, 0);
  EXPECT_EQ(l.total, 40);
  EXPECT_FALSE(l.caught_up());
  EXPECT_EQ(l.pending(), (std::map<int32_t, int64_t>{{0, 100}}));
}

TEST(ConsumerLag, RecordsRetentionDeletedAreNotOwed) {
  // Committed 10 on partition 1, whose records now start at 40: 10 owed, not 40.
  auto l = consumer_lag(topic(), {{0, 100}, {1, 10}}, StartFrom::earliest);
  EXPECT_EQ(l.partitions[1].lag, 10);
  EXPECT_EQ(l.total, 10);
}

TEST(ConsumerLag, ClampedAtZeroWhenTheCommitIsPastTheEnd) {
  auto l = consumer_lag(topic(), {{0, 500}, {1, 50}}, StartFrom::earliest);
  EXPECT_EQ(l.partitions[0].lag, 0);
  EXPECT_TRUE(l.caught_up());
}

TEST(ConsumerLag, WithoutACommitEarliestOwesEverythingLatestNothing) {
  auto e = consumer_lag(topic(), {}, StartFrom::earliest);
  EXPECT_EQ(e.total, 100 + 10);
  EXPECT_FALSE(e.partitions[0].committed.has_value());
  auto l = consumer_lag(topic(), {}, StartFrom::latest);
  EXPECT_EQ(l.total, 0);
  EXPECT_TRUE(l.caught_up());
}

TEST(ConsumerLag, CommittedOfPicksTheGroup) {
  std::vector<GroupOffsets> groups = {{"a", {{0, 1}}}, {"b", {{0, 2}}}};
  EXPECT_EQ(committed_of(groups, "b"), (std::map<int32_t, int64_t>{{0, 2}}));
  EXPECT_TRUE(committed_of(groups, "c").empty());
}

}  // namespace
}  // namespace sluice::log
