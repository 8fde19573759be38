// The streaming query in-process, with a sink that answers Retry or Error on demand:
// offsets never move before the sink acknowledged; retried batches are written once;
// a row the sink rejects is isolated to the dead-letter topic.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "log/embedded/embedded_log.h"
#include "stream/query/query.h"
#include "support/json.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace sluice::stream {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Records every row it acknowledges; answers Retry `retries` times first, and Error
// for any batch holding a row whose name is "reject".
class ScriptedSink : public sinks::Sink {
 public:
  std::atomic<int> retries{0};
  std::atomic<int> calls{0};
  std::vector<std::string> names;  // acknowledged rows' name column
  std::function<void()> before_ack;
  void ensure_schema() override {}
  sinks::WriteResult write(std::span<const Row> rows) override {
    ++calls;
    if (retries > 0) {
      --retries;
      return {sinks::WriteStatus::retry, "store unavailable"};
    }
    for (const auto& r : rows)
      if (r.values[1].text == "reject") return {sinks::WriteStatus::error, "value rejected"};
    if (before_ack) before_ack();
    for (const auto& r : rows) names.emplace_back(r.values[1].text);
    return {};
  }
  std::string describe() const override { return "scripted sink"; }
};

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::LogSettings s;
    s.uri = "file:" + dir_.string();
    // The embedded log itself, not the factory: this binary links no other backend.
    log_ = std::make_unique<log::embedded::EmbeddedLog>(dir_.string(), s);
    log_->admin()->create_topic("t", 2, 1);
    log_->admin()->create_topic("t.dlq", 1, 1);
  }

  void publish(const std::vector<std::string>& names) {
    auto p = log_->producer();
    int i = 0;
    for (const auto& n : names) {
      std::string num = std::to_string(++i);
      std::string id = "00000000-0000-4000-8000-" + std::string(12 - num.size(), '0') + num;
      std::string v = R"({"id":")" + id + R"(","name":")" + n + "\"}";
      log::OutRecord r;
      r.topic = "t";
      r.key = id;
      r.value = v;
      p->send(r);
    }
    p->flush(1s);
  }

  QueryOptions options() {
    QueryOptions o;
    o.topic = "t";
    o.dead_letter_topic = "t.dlq";
    o.trigger = *Trigger::parse("available-now");
    o.retry_backoff = 1ms;
    o.retry_backoff_max = 5ms;
    o.log_progress = false;
    return o;
  }

  int64_t committed_total() {
    int64_t n = 0;
    for (auto& g : log_->admin()->group_offsets("t"))
      for (auto [p, o] : g.committed) n += o;
    return n;
  }

  testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path() / "log";  // the log's directory; the log makes it
  std::unique_ptr<log::Log> log_;
  Schema schema_ = Schema::from_config("t", {{"id", "uuid primary key"}, {"name", "text"}});
};

TEST_F(QueryTest, RetriedBatchIsWrittenOnceAndCommittedOnlyAfterTheAck) {
  publish({"a", "b", "c", "d"});
  ScriptedSink sink;
  sink.retries = 3;
  sink.before_ack = [&] { EXPECT_EQ(committed_total(), 0) << "offsets moved before the sink acknowledged"; };
  auto consumer = log_->consumer({"g"});
  auto dlq = log_->producer({.exclusive = false});
  ProgressHistory history;
  Query q({.consumer = *consumer, .dead_letters = *dlq, .sink = sink, .schema = schema_, .history = &history},
          options());
  auto s = q.run();
  EXPECT_EQ(s.written_rows, 4u);
  EXPECT_EQ(sink.names.size(), 4u);
  EXPECT_EQ(sink.calls, 4);  // 3 retries + 1 ack
  EXPECT_EQ(committed_total(), 4);
  auto batches = history.recent();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches[0].write_retries, 3u);
  EXPECT_EQ(batches[0].input_rows, 4u);
  EXPECT_EQ(testing::JsonOut(batches[0].to_json("q")).integer("/num_input_rows"), 4);
}

TEST_F(QueryTest, StopDuringRetriesCommitsNothing) {
  publish({"a", "b"});
  ScriptedSink sink;
  sink.retries = 1'000'000;
  auto consumer = log_->consumer({"g"});
  auto dlq = log_->producer({.exclusive = false});
  auto o = options();
  o.trigger = *Trigger::parse("continuous");
  Query q({.consumer = *consumer, .dead_letters = *dlq, .sink = sink, .schema = schema_}, o);
  std::thread stopper([&] {
    testing::wait_for([&] { return sink.calls >= 5; }, 30s, "five calls of the sink");
    q.stop();
  });
  auto s = q.run();
  stopper.join();
  EXPECT_EQ(s.written_rows, 0u);
  EXPECT_EQ(committed_total(), 0);
}

TEST_F(QueryTest, ARowTheSinkRejectsIsIsolatedToTheDeadLetterTopic) {
  publish({"a", "reject", "c"});
  ScriptedSink sink;
  auto consumer = log_->consumer({"g"});
  auto dlq = log_->producer({.exclusive = false});
  Query q({.consumer = *consumer, .dead_letters = *dlq, .sink = sink, .schema = schema_}, options());
  auto s = q.run();
  EXPECT_EQ(s.written_rows, 2u);
  EXPECT_EQ(s.dead_lettered, 1u);
  EXPECT_EQ(committed_total(), 3);
  auto c = log_->consumer({});
  c->assign({{"t.dlq", 0, 0}});
  auto dead = c->poll(10, 1s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].value.find("reject"), std::string::npos);
  bool has_reason = false;
  for (auto& h : dead[0].headers)
    if (h.key == "error.reason") has_reason = h.value.find("sink rejected the row: value rejected") != std::string::npos;
  EXPECT_TRUE(has_reason);
}

TEST_F(QueryTest, SkipDropsBadRecordsButCountsThem) {
  {
    auto p = log_->producer();
    log::OutRecord r;
    r.topic = "t";
    r.value = "garbage";
    p->send(r);
    p->flush(1s);
  }  // one writer per topic: this one goes before publish() writes
  publish({"a"});
  ScriptedSink sink;
  auto consumer = log_->consumer({"g"});
  auto dlq = log_->producer({.exclusive = false});
  auto o = options();
  o.on_error = OnError::skip;
  Query q({.consumer = *consumer, .dead_letters = *dlq, .sink = sink, .schema = schema_}, o);
  auto s = q.run();
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.dead_lettered, 0u);
  EXPECT_EQ(s.written_rows, 1u);
}

TEST(Trigger, Forms) {
  EXPECT_EQ(Trigger::parse("10s")->interval.count(), 10000);
  EXPECT_EQ(Trigger::parse("once")->kind, Trigger::Kind::once);
  EXPECT_EQ(Trigger::parse("available-now")->kind, Trigger::Kind::available_now);
  EXPECT_EQ(Trigger::parse("continuous")->kind, Trigger::Kind::continuous);
  EXPECT_FALSE(Trigger::parse("sometimes"));
  EXPECT_FALSE(Trigger::parse("0s"));
}

TEST(Progress, Quantiles) {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  double p50, p99, max;
  latency_quantiles(v, p50, p99, max);
  EXPECT_EQ(p50, 50);
  EXPECT_EQ(p99, 99);
  EXPECT_EQ(max, 100);
}

}  // namespace
}  // namespace sluice::stream
