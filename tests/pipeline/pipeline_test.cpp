// The pipeline assembled from the shipped config on an embedded log and SQLite: the
// doors (CLI, scheduler, web) drive this object, so what it reports is what they show.
#include <gtest/gtest.h>

#include <thread>

#include "common/error.h"
#include "pipeline/pipeline.h"
#include "support/paths.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace sluice::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDir;

config::Config load(const ScratchDir& dir, std::vector<config::Override> extra = {}) {
  config::LoadOptions o;
  o.file = testing::repo_config();
  o.file_explicit = true;
  o.flags = {{"log", dir.log_uri(), "test"}, {"sink", dir.sink_uri(), "test"}, {"builtin.seed", "7", "test"}};
  for (auto& e : extra) o.flags.push_back(std::move(e));
  return config::Config::load(o);
}

TEST(Pipeline, RunReportsTheRegistrysNumbers) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.records", "5000", "test"}, {"stream.trigger", "continuous", "test"}});
  Pipeline p(cfg, Role::run, PipelineOptions::from_config(cfg, true));
  auto r = p.run();
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.produce.produced, 5000u);
  EXPECT_EQ(r.query.written_rows, 5000u);
  EXPECT_TRUE(r.lag.caught_up());
  EXPECT_EQ(r.lag.total, 0);

  auto snap = p.snapshot();
  EXPECT_EQ(snap.phase, Phase::stopped);
  const auto& m = snap.metrics;
  EXPECT_EQ(m.count("sluice_produce_records_total"), r.produce.produced);
  EXPECT_EQ(m.count("sluice_produce_sent_total"), r.produce.sent);
  EXPECT_EQ(m.count("sluice_produce_bytes_total"), r.produce.bytes);
  EXPECT_EQ(m.count("sluice_source_records_total"), r.produce.source.records);
  EXPECT_EQ(m.count("sluice_query_rows_written_total"), r.query.written_rows);
  EXPECT_EQ(m.count("sluice_query_records_total"), r.query.input_rows);
  EXPECT_EQ(m.count("sluice_query_batches_total"), r.query.batches);
  ASSERT_NE(m.histogram("sluice_query_latency_seconds"), nullptr);
  EXPECT_EQ(m.histogram("sluice_query_latency_seconds")->count, 5000u);
  EXPECT_EQ(m.value("sluice_query_lag_records", {{"topic", "user_created"}}), 0.0);
  EXPECT_EQ(p.lag().total, 0);
  EXPECT_EQ(p.history().recent().size(), r.query.batches);
}

TEST(Pipeline, ProduceThenStreamAsSeparateRolesOnOneLog) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.records", "1200", "test"}, {"stream.trigger", "available-now", "test"}});
  {
    Pipeline p(cfg, Role::produce, PipelineOptions::from_config(cfg, true));
    EXPECT_EQ(p.describe_sink(), "");
    auto s = p.produce();
    EXPECT_EQ(s.produced, 1200u);
    EXPECT_THROW(p.lag(), std::logic_error);  // a produce-only pipeline has no group
  }
  Pipeline s(cfg, Role::stream, PipelineOptions::from_config(cfg));
  EXPECT_EQ(s.lag().total, 1200);
  auto q = s.stream();
  EXPECT_FALSE(q.failed) << q.error;
  EXPECT_EQ(q.written_rows, 1200u);
  EXPECT_EQ(s.lag().total, 0);
  EXPECT_EQ(s.query_totals().written_rows, 1200u);
}

TEST(Pipeline, StreamRefusesATopicThatDoesNotExist) {
  ScratchDir dir;
  auto cfg = load(dir);
  try {
    Pipeline p(cfg, Role::stream, PipelineOptions::from_config(cfg));
    FAIL() << "expected a FatalError";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("topic user_created does not exist"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, ABadConfigIsRefusedBeforeTheLogIsTouched) {
  ScratchDir dir;
  auto cfg = load(dir, {{"mapping.fields.broken", "{location.street.number", "test"}});
  EXPECT_THROW(Pipeline(cfg, Role::run, PipelineOptions::from_config(cfg)), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "log"));
}

TEST(Pipeline, StopEndsARunPromptlyAndSaysSo) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.for", "60s", "test"}, {"produce.rate", "2000", "test"},
                        {"stream.trigger", "continuous", "test"}});
  Pipeline p(cfg, Role::run, PipelineOptions::from_config(cfg));
  RunSummary r;
  std::thread runner([&] { r = p.run(); });
  // The doors read while the pipeline runs: the snapshot and the query's running totals.
  testing::wait_for(
      [&] {
        auto totals = p.query_totals();
        return p.snapshot().metrics.count("sluice_query_rows_written_total") > 0 && totals.written_rows > 0;
      },
      30s, "the first rows written");
  auto t0 = std::chrono::steady_clock::now();
  p.stop();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(p.stopped());
  EXPECT_GT(r.produce.produced, 0u);
  EXPECT_LE(r.query.written_rows, r.produce.produced);
}

TEST(Pipeline, StopBeforeRunStartsNothing) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.records", "100", "test"}});
  Pipeline p(cfg, Role::run, PipelineOptions::from_config(cfg, true));
  p.stop();
  auto r = p.run();
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.produce.produced, 0u);
}

TEST(PipelineOptions, FromTheConfigKeys) {
  ScratchDir dir;
  auto cfg = load(dir, {{"stream.on_error", "skip", "test"}, {"stream.starting_offsets", "latest", "test"},
                        {"produce.records", "10", "test"}});
  auto o = PipelineOptions::from_config(cfg);
  EXPECT_EQ(o.query.on_error, stream::OnError::skip);
  EXPECT_TRUE(o.query.start_latest);
  EXPECT_EQ(o.consumer.start, log::StartFrom::latest);
  EXPECT_EQ(o.consumer.group, "user_data");
  EXPECT_EQ(o.produce.max_records, 10u);
  EXPECT_EQ(o.produce.duration, 60s);
  EXPECT_EQ(PipelineOptions::from_config(cfg, true).produce.duration, 0ms);
  EXPECT_EQ(o.dead_letter_topic, "user_created.dlq");
}

}  // namespace
}  // namespace sluice::pipeline
