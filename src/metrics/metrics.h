#pragma once
// The pipeline's numbers: counters, gauges and fixed-bucket histograms, each created
// in a Registry (registry.h) under a Prometheus name with help text and bounded labels.
// Every surface that shows a number (the CLI summaries, the per-batch progress,
// /metrics, the dashboard) reads it from here, so they agree by construction.
//
// Writing is single-writer: each series is moved by one thread at a time (the stage
// that owns it), with a relaxed load and store instead of an atomic read-modify-write,
// so a counter moved once per record costs what a plain increment costs. Any thread
// may read at any time (relaxed loads: a reader sees each value whole, possibly a
// moment old). A series moved by several threads needs a lock of the caller's, or one
// series per thread.
//
// Units are Prometheus base units: seconds and bytes (names end in _seconds, _bytes;
// counters in _total).
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sluice::metrics {

// A monotonic count. add() from the owning thread only.
class Counter {
 public:
  void add(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  // Raises the count to `total` (a total kept elsewhere, e.g. a log's acknowledged
  // records); never lowers it.
  void raise_to(uint64_t total) {
    if (total > v_.load(std::memory_order_relaxed)) v_.store(total, std::memory_order_relaxed);
  }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A value that goes up and down. set() from the owning thread only.
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// What a histogram held at one moment: per-bucket counts (not cumulative), the last
// bucket being +Inf, plus the count and sum of every observation.
struct HistogramSnapshot {
  std::vector<double> bounds;    // upper bounds, ascending; the +Inf bucket is implied
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  uint64_t count = 0;
  double sum = 0;

  // The q-quantile (0..1) estimated as Prometheus's histogram_quantile() does: linear
  // within the bucket that holds it; the +Inf bucket answers its lower bound. 0 if
  // empty.
  double quantile(double q) const;
  // The observations made between `earlier` and this snapshot of the same histogram.
  HistogramSnapshot since(const HistogramSnapshot& earlier) const;
};

// Observations counted in fixed buckets (upper bounds, Prometheus `le`).
// observe() from the owning thread only.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double v) {
    size_t i = bucket(v);
    counts_[i].store(counts_[i].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // Adds the per-bucket counts of a batch of observations gathered elsewhere (e.g. on
  // I/O threads into a HistogramSnapshot with the same bounds).
  void merge(const HistogramSnapshot& s);
  HistogramSnapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }
  size_t bucket(double v) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Bucket layouts used across the pipeline.
// 100 µs .. 60 s, about 3 buckets per decade: batch durations, write and end-to-end latency.
std::span<const double> latency_seconds_buckets();
// 64 B .. 16 MiB by powers of 4: record and batch sizes.
std::span<const double> size_bytes_buckets();

}  // namespace sluice::metrics
