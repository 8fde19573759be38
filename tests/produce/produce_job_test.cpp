#include "produce/produce_job.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "log/factory/open_log.h"
#include "support/paths.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace sluice::produce {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) { return testing::read_fixture("randomuser/" + name); }

// Serves the given API responses in turn, then ends.
class ScriptedSource : public sources::Source {
 public:
  explicit ScriptedSource(std::vector<std::string> bodies) : bodies_(std::move(bodies)) {}
  bool next_batch(uint32_t, sources::SourceBatch& out) override {
    if (stopped_ || next_ >= bodies_.size()) return false;
    out.body = bodies_[next_++];
    out.body.reserve(out.body.size() + simdjson::SIMDJSON_PADDING);
    out.results = 0;
    std::lock_guard lk(mu_);
    ++stats_.batches;
    return true;
  }
  void stop() override { stopped_ = true; }
  // Called from the job's mapping thread while its fetcher thread calls next_batch()
  // (the seam: callable from any thread).
  sources::SourceStats stats() const override {
    std::lock_guard lk(mu_);
    return stats_;
  }
  std::string describe() const override { return "scripted"; }

 private:
  std::vector<std::string> bodies_;
  size_t next_ = 0;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  sources::SourceStats stats_;  // under mu_
};

mapping::Mapping seed_mapping() {
  auto cfg = config::Config::parse(testing::slurp(testing::repo_config()), "c");
  return mapping::Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key"));
}

class ProduceJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::LogSettings s;
    s.uri = "file:" + dir_.string();
    s.partitions = 3;
    log_ = log::open_log(s);
  }
  void TearDown() override { log_.reset(); }

  std::vector<log::Message> read_all(const std::string& topic, size_t expect) {
    auto c = log_->consumer({});
    auto d = log_->admin()->describe_topic(topic);
    std::vector<log::TopicPartitionOffset> a;
    for (auto& p : d.partitions) a.push_back({topic, p.partition, 0});
    c->assign(a);
    std::vector<log::Message> all;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (all.size() < expect && std::chrono::steady_clock::now() < deadline)
      for (auto& m : c->poll(1000, std::chrono::milliseconds(100))) all.push_back(std::move(m));
    return all;
  }

  testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path() / "log";  // the log's directory; the log makes it
  std::unique_ptr<log::Log> log_;
};

TEST_F(ProduceJobTest, PublishesMappedRecordsAndDeadLettersBadOnes) {
  auto mapping = seed_mapping();
  ScriptedSource src({fixture("users_v1.4.json"), fixture("errors/missing_street.json"), fixture("users_v1.4.json")});
  auto producer = log_->producer();
  auto dlq = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  ProduceJob job(src, mapping, *producer, *dlq, o);
  auto stats = job.run();
  EXPECT_EQ(stats.produced, 13u);
  EXPECT_EQ(stats.sent, 13u);
  EXPECT_EQ(stats.dead_lettered, 1u);
  EXPECT_EQ(stats.map_failures, 1u);
  EXPECT_EQ(stats.map_failure_kinds["missing_field"], 1u);

  auto msgs = read_all("user_created", 13);
  ASSERT_EQ(msgs.size(), 13u);
  std::set<std::string> ids;
  simdjson::dom::parser p;
  for (auto& m : msgs) {
    ASSERT_TRUE(m.key);
    simdjson::dom::object o = p.parse(m.value);
    std::string_view id = o["id"].get_string();
    EXPECT_EQ(*m.key, id);
    ids.insert(std::string(id));
    EXPECT_GT(m.timestamp_ms, 0);
  }
  EXPECT_EQ(ids.size(), 13u);

  auto dead = read_all("user_created.dlq", 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].value.find("\"Atilla\""), std::string::npos);
  std::map<std::string, std::string> h;
  for (auto& x : dead[0].headers) h[x.key] = x.value;
  EXPECT_EQ(h["error.reason"], "missing field location.street.number");
  EXPECT_EQ(h["error.stage"], "map");
  EXPECT_EQ(h["error.kind"], "missing_field");
  EXPECT_FALSE(h["data.source"].empty());
  EXPECT_EQ(h.count("source.topic"), 0u);  // "source" means the topic record, which a mapped record never was
}

TEST_F(ProduceJobTest, MalformedResponseIsDeadLetteredWhole) {
  auto mapping = seed_mapping();
  ScriptedSource src({fixture("errors/not_json.html")});
  auto producer = log_->producer();
  auto dlq = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  ProduceJob job(src, mapping, *producer, *dlq, o);
  auto stats = job.run();
  EXPECT_EQ(stats.produced, 0u);
  EXPECT_EQ(stats.dead_lettered, 1u);
  auto dead = read_all("user_created.dlq", 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, fixture("errors/not_json.html"));
}

TEST_F(ProduceJobTest, RecordLimitIsExact) {
  auto mapping = seed_mapping();
  std::vector<std::string> bodies(10, fixture("users_v1.4.json"));
  ScriptedSource src(bodies);
  auto producer = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  o.max_records = 20;
  ProduceJob job(src, mapping, *producer, *producer, o);
  auto stats = job.run();
  EXPECT_EQ(stats.produced, 20u);
  auto d = log_->admin()->describe_topic("user_created");
  int64_t total = 0;
  for (auto& p : d.partitions) total += p.end_offset;
  EXPECT_EQ(total, 20);
}

TEST_F(ProduceJobTest, RateLimitHoldsRecordsBack) {
  auto mapping = seed_mapping();
  std::vector<std::string> bodies(10, fixture("users_v1.4.json"));
  ScriptedSource src(bodies);
  auto producer = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  o.max_records = 30;
  o.rate = 100;  // 30 records at 100/s: at least ~0.29 s
  ProduceJob job(src, mapping, *producer, *producer, o);
  auto t0 = std::chrono::steady_clock::now();
  auto stats = job.run();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(stats.produced, 30u);
  EXPECT_GE(secs, 0.25);
}

TEST_F(ProduceJobTest, TheLimitAndTheRateCountRecordsTheMappingRefusedToo) {
  // Every response holds one good record and one the mapping refuses: a source whose
  // records fail must still be held to --records and --rate (not flood the DLQ).
  auto mapping = seed_mapping();
  std::vector<std::string> bodies(100, fixture("errors/missing_street.json"));
  ScriptedSource src(bodies);
  auto producer = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  o.max_records = 40;
  o.rate = 100;  // 40 records at 100/s: at least ~0.39 s
  ProduceJob job(src, mapping, *producer, *producer, o);
  auto t0 = std::chrono::steady_clock::now();
  auto stats = job.run();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(stats.sent + stats.map_failures, 40u);
  EXPECT_EQ(stats.map_failures, 20u);
  EXPECT_GE(secs, 0.35);
}

TEST_F(ProduceJobTest, StopFinishesPromptlyAndFlushes) {
  auto mapping = seed_mapping();
  std::vector<std::string> bodies(2000, fixture("users_v1.4.json"));
  ScriptedSource src(bodies);
  auto producer = log_->producer();
  ProduceOptions o;
  o.duration = std::chrono::milliseconds(0);
  o.rate = 1000;
  ProduceJob job(src, mapping, *producer, *producer, o);
  // Stops the job mid-run, once the log has acknowledged records (the job reports its
  // figures every 10 ms).
  std::atomic<uint64_t> acknowledged{0};
  std::thread stopper([&] {
    testing::wait_for([&] { return acknowledged.load() > 0; }, std::chrono::seconds(10), "acknowledged records");
    job.stop();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto stats = job.run([&](const ProduceStats& s) { acknowledged = s.produced; }, std::chrono::milliseconds(10));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_GT(stats.produced, 0u);
  EXPECT_EQ(stats.produced, stats.sent);  // everything sent was acknowledged before run() returned
  auto d = log_->admin()->describe_topic("user_created");
  int64_t total = 0;
  for (auto& p : d.partitions) total += p.end_offset;
  EXPECT_EQ(static_cast<uint64_t>(total), stats.produced);
}

}  // namespace
}  // namespace sluice::produce
