#include "common/backoff.h"

#include <algorithm>

namespace sluice {

Backoff::Backoff(BackoffPolicy policy) : Backoff(policy, std::random_device{}()) {}

Backoff::Backoff(BackoffPolicy policy, uint64_t seed) : policy_(policy), rng_(seed) {
  policy_.initial = std::max(policy_.initial, std::chrono::milliseconds(1));
  policy_.max = std::max(policy_.max, policy_.initial);
}

std::chrono::milliseconds Backoff::ceiling() const {
  auto c = policy_.initial;
  for (uint32_t i = 0; i < attempt_ && c < policy_.max; ++i) c *= 2;
  return std::min(c, policy_.max);
}

std::chrono::milliseconds Backoff::next() {
  auto c = ceiling();
  ++attempt_;
  std::uniform_int_distribution<int64_t> d(0, c.count());
  return std::chrono::milliseconds(d(rng_));
}

void StopSignal::stop() {
  {
    std::lock_guard lk(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lk(mu_);
  return stopped_;
}

bool StopSignal::wait_for(std::chrono::steady_clock::duration d) {
  return wait_until(std::chrono::steady_clock::now() + d);
}

bool StopSignal::wait_until(std::chrono::steady_clock::time_point t) {
  std::unique_lock lk(mu_);
  return !cv_.wait_until(lk, t, [&] { return stopped_; });
}

}  // namespace sluice
