// Crash tests of the whole pipeline, with the real binary: kill -9 the stream (and the
// producer) at random moments while records flow; afterwards every record in the log
// is in the table exactly once, and no good record went to the dead-letter topic.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "common/uuid.h"
#include "log/log.h"
#include "support/json.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tables.h"
#include "support/topics.h"
#include "support/wait.h"

namespace sluice::testing {
namespace {

std::set<std::string> table_ids(const ScratchDir& d) {
  std::set<std::string> ids;
  auto rows = table_column(d.path() / "user_data.db", "SELECT id FROM users");
  for (auto& blob : rows) {
    EXPECT_EQ(blob.size(), 16u);
    Uuid u{};
    std::copy(blob.begin(), blob.end(), u.begin());
    ids.insert(format_uuid(u));
  }
  EXPECT_EQ(ids.size(), rows.size());
  return ids;
}

void expect_table_matches_log(const ScratchDir& d) {
  auto msgs = read_topic(d, "user_created");
  std::set<std::string> log_ids;
  for (auto& m : msgs) {
    ASSERT_TRUE(m.key);
    log_ids.insert(*m.key);
  }
  EXPECT_EQ(log_ids.size(), msgs.size()) << "the producer wrote a record twice";
  auto ids = table_ids(d);
  EXPECT_EQ(ids.size(), log_ids.size());
  EXPECT_TRUE(ids == log_ids) << "table and log differ";
  EXPECT_TRUE(read_topic(d, "user_created.dlq").empty()) << "a good record went to the dead-letter topic";
  EXPECT_GT(ids.size(), 0u);
}

TEST(CrashLoop, KillNineTheStreamTwentyTimesWhileProducing) {
  ScratchDir d;
  std::mt19937 rng(12345);
  auto out = d.path() / "procs.log";
  Process producer(d.command("produce --for 12s --rate 20000 --seed 3"), {.output = out});
  ASSERT_TRUE(wait_for([&] { return fs::exists(d.path() / "log" / "user_created"); }, std::chrono::seconds(20),
                       "the producer to create the topic"));
  std::uniform_int_distribution<int> pause(50, 500);
  for (int i = 0; i < 20; ++i) {
    Process s(d.command("stream --trigger continuous --max-records-per-batch 3000"), {.output = out});
    // A random moment to crash at (the test's design, not a wait for something).
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
    s.signal(SIGKILL);
    EXPECT_EQ(s.wait(std::chrono::seconds(10)), 128 + SIGKILL) << slurp(out);
  }
  EXPECT_EQ(producer.wait(std::chrono::seconds(60)), 0) << slurp(out);
  auto drain = d.run("stream --trigger available-now");
  ASSERT_EQ(drain.code, 0) << drain.err;
  expect_table_matches_log(d);
}

TEST(CrashLoop, KillNineTheProducerRepeatedly) {
  ScratchDir d;
  std::mt19937 rng(777);
  auto out = d.path() / "procs.log";
  std::uniform_int_distribution<int> pause(150, 900);
  for (int i = 0; i < 8; ++i) {
    Process p(d.command("produce --for 30s --rate 50000 --seed " + std::to_string(i + 1)), {.output = out});
    // A random moment to crash at (the test's design, not a wait for something).
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
    p.signal(SIGKILL);
    p.wait(std::chrono::seconds(10));
  }
  auto drain = d.run("stream --trigger available-now");
  ASSERT_EQ(drain.code, 0) << drain.err;
  expect_table_matches_log(d);
}

TEST(GracefulStop, SigintFinishesTheBatchCommitsAndReplaysNothing) {
  ScratchDir d;
  auto p = d.run("produce --records 50000 --rate 0 --seed 9");
  ASSERT_EQ(p.code, 0) << p.err;
  auto out = d.path() / "stream.log";
  Process s(d.command("stream --trigger 500ms --max-records-per-batch 5000 --json"), {.output = out});
  // Stop it once it is working.
  ASSERT_TRUE(wait_for([&] { return slurp(out).find("\"batch_id\":1,") != std::string::npos; },
                       std::chrono::seconds(30), "batch 1 in the stream's output"))
      << slurp(out);
  auto t0 = std::chrono::steady_clock::now();
  s.signal(SIGINT);
  EXPECT_EQ(s.wait(std::chrono::seconds(60)), 0) << slurp(out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto rows_after_stop = table_ids(d).size();
  // A restart reads exactly what the stopped run had not committed.
  auto again = d.run("stream --trigger available-now --json");
  ASSERT_EQ(again.code, 0) << again.err;
  auto ids = table_ids(d);
  EXPECT_EQ(ids.size(), 50000u);
  EXPECT_EQ(JsonOut(again.out).integer("/input_rows"), static_cast<int64_t>(50000 - rows_after_stop))
      << again.out << " after " << rows_after_stop;
  // And once more: nothing left to replay.
  auto third = d.run("stream --trigger available-now --json");
  EXPECT_EQ(JsonOut(third.out).integer("/input_rows"), 0) << third.out;
  expect_table_matches_log(d);
}

}  // namespace
}  // namespace sluice::testing
