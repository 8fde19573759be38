#include "metrics/metrics.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace sluice::metrics {

double HistogramSnapshot::quantile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    uint64_t in = counts[i];
    if (in == 0 || static_cast<double>(below + in) < rank) {
      below += in;
      continue;
    }
    double lo = i == 0 ? 0 : bounds[i - 1];
    if (i == bounds.size()) return lo;  // +Inf bucket: its lower bound
    double hi = bounds[i];
    double within = (rank - static_cast<double>(below)) / static_cast<double>(in);
    return lo + (hi - lo) * std::clamp(within, 0.0, 1.0);
  }
  return bounds.empty() ? 0 : bounds.back();
}

HistogramSnapshot HistogramSnapshot::since(const HistogramSnapshot& earlier) const {
  HistogramSnapshot d = *this;
  if (earlier.counts.size() != counts.size()) return d;
  for (size_t i = 0; i < counts.size(); ++i) d.counts[i] -= std::min(d.counts[i], earlier.counts[i]);
  d.count -= std::min(d.count, earlier.count);
  d.sum -= earlier.sum;
  return d;
}

Histogram::Histogram(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::logic_error("histogram bounds must be strictly ascending");
}

size_t Histogram::bucket(double v) const {
  // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
  return static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
}

void Histogram::merge(const HistogramSnapshot& s) {
  if (s.counts.size() != counts_.size()) throw std::logic_error("histogram merge with different buckets");
  for (size_t i = 0; i < counts_.size(); ++i)
    if (s.counts[i]) counts_[i].store(counts_[i].load(std::memory_order_relaxed) + s.counts[i], std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + s.sum, std::memory_order_relaxed);
  count_.store(count_.load(std::memory_order_relaxed) + s.count, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.reserve(counts_.size());
  for (const auto& c : counts_) s.counts.push_back(c.load(std::memory_order_relaxed));
  s.sum = sum_.load(std::memory_order_relaxed);
  s.count = count_.load(std::memory_order_relaxed);
  return s;
}

std::span<const double> latency_seconds_buckets() {
  static constexpr std::array<double, 18> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
  return b;
}

std::span<const double> size_bytes_buckets() {
  static constexpr std::array<double, 10> b = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
  return b;
}

}  // namespace sluice::metrics
