#pragma once
// The one backoff of sluice: exponential growth with full jitter and a cap, waited out
// in a way that stop() interrupts. Every retry loop (the HTTP source, the query's sink
// and dead-letter retries, the CQL session's reconnects, the Cassandra sink's row
// retries, the scheduler's task retries) uses it, so "how long until the next try"
// has one answer.
//
// Attempt n (0-based) waits a uniformly random time in [0, min(max, initial * 2^n)]
// ("full jitter": clients that failed together spread out instead of retrying in
// step, and the expected wait is half the ceiling).
//
// Threading: a Backoff belongs to one thread. A StopSignal may be stopped from any
// thread (not from a signal handler).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>

namespace sluice {

struct BackoffPolicy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{5'000};
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy);
  Backoff(BackoffPolicy policy, uint64_t seed);
  // The wait before the next attempt; each call doubles the ceiling up to the cap.
  std::chrono::milliseconds next();
  // The ceiling the next call draws under (for messages: "retrying within 800 ms").
  std::chrono::milliseconds ceiling() const;
  // After a success: the next failure starts again from `initial`.
  void reset() { attempt_ = 0; }
  uint32_t attempts() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  uint32_t attempt_ = 0;
  std::mt19937_64 rng_;
};

// A stop request that wakes every wait on it.
class StopSignal {
 public:
  void stop();
  bool stopped() const;
  // Waits `d` or until stop(); returns false if stopped.
  bool wait_for(std::chrono::steady_clock::duration d);
  bool wait_until(std::chrono::steady_clock::time_point t);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace sluice
