#include <gtest/gtest.h>

#include <array>
#include <thread>

#include "metrics/registry.h"

namespace sluice::metrics {
namespace {

TEST(Counter, AddsAndRaisesButNeverLowers) {
  Counter c;
  c.add();
  c.add(41);
  EXPECT_EQ(c.value(), 42u);
  c.raise_to(40);
  EXPECT_EQ(c.value(), 42u);
  c.raise_to(100);
  EXPECT_EQ(c.value(), 100u);
}

TEST(Histogram, BucketsAreUpperBoundsInclusive) {
  const std::array<double, 3> b = {1, 2, 5};
  Histogram h(b);
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 6.0, 100.0}) h.observe(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2, 2, 2, 2}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 120.0);
}

TEST(Histogram, QuantilesInterpolateWithinTheBucketAsPrometheusDoes) {
  const std::array<double, 4> b = {10, 20, 40, 80};
  Histogram h(b);
  for (int i = 0; i < 100; ++i) h.observe(15);  // all in (10, 20]
  auto s = h.snapshot();
  EXPECT_DOUBLE_EQ(s.quantile(0.5), 15.0);   // half way through the bucket
  EXPECT_DOUBLE_EQ(s.quantile(0.99), 19.9);
  EXPECT_DOUBLE_EQ(s.quantile(1.0), 20.0);
  h.observe(1000);  // +Inf bucket answers its lower bound
  EXPECT_DOUBLE_EQ(h.snapshot().quantile(1.0), 80.0);
  EXPECT_EQ(HistogramSnapshot{}.quantile(0.5), 0.0);
}

TEST(Histogram, SinceGivesTheObservationsBetweenTwoSnapshots) {
  Histogram h(latency_seconds_buckets());
  h.observe(0.003);
  auto before = h.snapshot();
  h.observe(0.2);
  h.observe(0.2);
  auto d = h.snapshot().since(before);
  EXPECT_EQ(d.count, 2u);
  EXPECT_NEAR(d.sum, 0.4, 1e-12);
  EXPECT_GT(d.quantile(0.5), 0.1);
  EXPECT_LE(d.quantile(0.5), 0.25);
}

TEST(Histogram, MergeAddsCountsGatheredElsewhere) {
  const std::array<double, 2> b = {1, 2};
  Histogram h(b);
  h.observe(0.5);
  HistogramSnapshot batch{{1, 2}, {0, 3, 1}, 4, 9.5};
  h.merge(batch);
  auto s = h.snapshot();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{1, 3, 1}));
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.sum, 10.0);
  HistogramSnapshot wrong{{1}, {1, 1}, 2, 1};
  EXPECT_THROW(h.merge(wrong), std::logic_error);
}

TEST(Registry, SameNameAndLabelsIsTheSameSeries) {
  Registry r;
  auto& a = r.counter("sluice_x_total", "X.", {{"kind", "a"}});
  auto& a2 = r.counter("sluice_x_total", "X.", {{"kind", "a"}});
  auto& b = r.counter("sluice_x_total", "X.", {{"kind", "b"}});
  EXPECT_EQ(&a, &a2);
  EXPECT_NE(&a, &b);
  a.add(2);
  b.add(3);
  auto s = r.snapshot();
  EXPECT_EQ(s.count("sluice_x_total", {{"kind", "a"}}), 2u);
  EXPECT_EQ(s.sum("sluice_x_total"), 5.0);
  EXPECT_EQ(s.by_label("sluice_x_total", "kind"), (std::map<std::string, uint64_t>{{"a", 2}, {"b", 3}}));
  EXPECT_EQ(s.count("sluice_absent_total"), 0u);
}

TEST(Registry, RefusesWhatWouldMakeBadOrUnboundedSeries) {
  Registry r;
  r.counter("sluice_y_total", "Y.", {{"kind", "a"}});
  EXPECT_THROW(r.counter("sluice_y_total", "Y.", {{"other", "a"}}), std::logic_error);  // other label names
  EXPECT_THROW(r.gauge("sluice_y_total", "Y."), std::logic_error);                      // other type
  EXPECT_THROW(r.counter("9bad", "Bad."), std::logic_error);
  EXPECT_THROW(r.counter("sluice_z_total", "Z.", {{"__reserved", "x"}}), std::logic_error);
  for (size_t i = 1; i < Registry::kMaxSeries; ++i) r.counter("sluice_y_total", "Y.", {{"kind", std::to_string(i)}});
  EXPECT_THROW(r.counter("sluice_y_total", "Y.", {{"kind", "one too many"}}), std::logic_error);
}

TEST(Registry, ComputedGaugesAreReadAtSnapshotTime) {
  Registry r;
  double lag = 7;
  r.gauge_fn("sluice_lag_records", "Lag.", {{"topic", "t"}}, [&] { return lag; });
  EXPECT_EQ(r.snapshot().value("sluice_lag_records", {{"topic", "t"}}), 7.0);
  lag = 3;
  EXPECT_EQ(r.snapshot().value("sluice_lag_records", {{"topic", "t"}}), 3.0);
}

// One writer moves the series while another thread takes snapshots (TSan checks this).
TEST(Registry, SnapshotsWhileOneWriterMovesTheSeries) {
  Registry r;
  auto& c = r.counter("sluice_n_total", "N.");
  auto& h = r.histogram("sluice_d_seconds", "D.", latency_seconds_buckets());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 100000; ++i) {
      c.add();
      h.observe(0.001 * (i % 100));
    }
    done = true;
  });
  uint64_t last = 0;
  while (!done) {
    auto s = r.snapshot();
    EXPECT_GE(s.count("sluice_n_total"), last);
    last = s.count("sluice_n_total");
  }
  writer.join();
  EXPECT_EQ(r.snapshot().count("sluice_n_total"), 100000u);
  EXPECT_EQ(r.snapshot().histogram("sluice_d_seconds")->count, 100000u);
}

TEST(PrometheusText, GoldenExposition) {
  Registry r;
  r.counter("sluice_produce_records_total", "Records the log acknowledged.", {{"topic", "user_created"}}).add(1200);
  r.counter("sluice_produce_dead_letters_total", "Records sent to the dead-letter topic.",
            {{"stage", "map"}, {"kind", "missing_field"}})
      .add(3);
  r.gauge("sluice_query_lag_records", "Records not yet committed.\nBy the group \\ topic.").set(-0.5);
  const std::array<double, 3> b = {0.001, 0.01, 0.1};
  auto& h = r.histogram("sluice_query_batch_duration_seconds", "Micro-batch wall time.", b, {{"query", "a\"b"}});
  h.observe(0.0005);
  h.observe(0.05);
  h.observe(2);
  EXPECT_EQ(prometheus_text(r.snapshot()),
            "# HELP sluice_produce_records_total Records the log acknowledged.\n"
            "# TYPE sluice_produce_records_total counter\n"
            "sluice_produce_records_total{topic=\"user_created\"} 1200\n"
            "# HELP sluice_produce_dead_letters_total Records sent to the dead-letter topic.\n"
            "# TYPE sluice_produce_dead_letters_total counter\n"
            "sluice_produce_dead_letters_total{stage=\"map\",kind=\"missing_field\"} 3\n"
            "# HELP sluice_query_lag_records Records not yet committed.\\nBy the group \\\\ topic.\n"
            "# TYPE sluice_query_lag_records gauge\n"
            "sluice_query_lag_records -0.5\n"
            "# HELP sluice_query_batch_duration_seconds Micro-batch wall time.\n"
            "# TYPE sluice_query_batch_duration_seconds histogram\n"
            "sluice_query_batch_duration_seconds_bucket{query=\"a\\\"b\",le=\"0.001\"} 1\n"
            "sluice_query_batch_duration_seconds_bucket{query=\"a\\\"b\",le=\"0.01\"} 1\n"
            "sluice_query_batch_duration_seconds_bucket{query=\"a\\\"b\",le=\"0.1\"} 2\n"
            "sluice_query_batch_duration_seconds_bucket{query=\"a\\\"b\",le=\"+Inf\"} 3\n"
            "sluice_query_batch_duration_seconds_sum{query=\"a\\\"b\"} 2.0505\n"
            "sluice_query_batch_duration_seconds_count{query=\"a\\\"b\"} 3\n");
}

}  // namespace
}  // namespace sluice::metrics
