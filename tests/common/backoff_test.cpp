// sluice::Backoff and sluice::StopSignal (common/backoff.h): the one retry wait of the
// HTTP source, the query, the CQL session and the Cassandra sink.
#include "common/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::vector<milliseconds> draws(Backoff& b, int n) {
  std::vector<milliseconds> out;
  for (int i = 0; i < n; ++i) out.push_back(b.next());
  return out;
}

TEST(Backoff, CeilingsDoubleUpToTheCap) {
  Backoff b({100ms, 1000ms}, 1);
  const milliseconds expected[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms};
  for (uint32_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(b.attempts(), i);
    EXPECT_EQ(b.ceiling(), expected[i]) << "attempt " << i;
    b.next();
  }
  EXPECT_EQ(b.attempts(), std::size(expected));
}

TEST(Backoff, ACapThatIsNotAPowerOfTwoStepIsReachedExactly) {
  Backoff b({30ms, 100ms}, 1);
  const milliseconds expected[] = {30ms, 60ms, 100ms, 100ms};
  for (auto e : expected) {
    EXPECT_EQ(b.ceiling(), e);
    b.next();
  }
}

TEST(Backoff, ManyAttemptsStayAtTheCapWithoutOverflow) {
  Backoff b({1ms, std::chrono::hours(1)}, 7);
  for (int i = 0; i < 10'000; ++i) {
    auto w = b.next();
    ASSERT_GE(w, 0ms) << i;
    ASSERT_LE(w, std::chrono::hours(1)) << i;
  }
  EXPECT_EQ(b.ceiling(), std::chrono::hours(1));
  EXPECT_EQ(b.attempts(), 10'000u);
}

TEST(Backoff, EveryWaitIsWithinZeroAndItsCeiling) {
  for (uint64_t seed : {1u, 2u, 3u, 42u, 12345u}) {
    Backoff b({50ms, 800ms}, seed);
    for (int i = 0; i < 200; ++i) {
      auto ceiling = b.ceiling();
      auto w = b.next();
      EXPECT_GE(w, 0ms) << "seed " << seed << " attempt " << i;
      EXPECT_LE(w, ceiling) << "seed " << seed << " attempt " << i;
    }
  }
}

// Full jitter, not "equal jitter" (half the ceiling plus a random half): waits below
// half the ceiling occur, and the mean is about half the ceiling.
TEST(Backoff, FullJitterSpreadsOverTheWholeRange) {
  Backoff b({1000ms, 1000ms}, 99);  // the ceiling is 1000 ms for every draw
  const int n = 20'000;
  int64_t sum = 0;
  milliseconds lo = 1000ms, hi = 0ms;
  for (int i = 0; i < n; ++i) {
    auto w = b.next();
    sum += w.count();
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  double mean = static_cast<double>(sum) / n;
  EXPECT_GT(mean, 480.0);
  EXPECT_LT(mean, 520.0);
  EXPECT_LT(lo, 10ms);
  EXPECT_GT(hi, 990ms);
}

TEST(Backoff, TheSameSeedGivesTheSameWaits) {
  Backoff a({10ms, 5000ms}, 2026), b({10ms, 5000ms}, 2026), c({10ms, 5000ms}, 2027);
  auto wa = draws(a, 50), wb = draws(b, 50), wc = draws(c, 50);
  EXPECT_EQ(wa, wb);
  EXPECT_NE(wa, wc);
}

TEST(Backoff, ResetStartsOverFromInitial) {
  Backoff b({100ms, 10'000ms}, 5);
  draws(b, 5);
  EXPECT_EQ(b.ceiling(), 3200ms);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  EXPECT_EQ(b.ceiling(), 100ms);
  auto first = b.next();
  EXPECT_LE(first, 100ms);
  EXPECT_EQ(b.ceiling(), 200ms);
  EXPECT_EQ(b.attempts(), 1u);
}

TEST(Backoff, APolicyIsNormalised) {
  // A zero initial wait would never grow: it becomes 1 ms.
  Backoff zero({0ms, 0ms}, 1);
  EXPECT_EQ(zero.ceiling(), 1ms);
  zero.next();
  EXPECT_EQ(zero.ceiling(), 1ms);
  // A cap below the initial wait is raised to it.
  Backoff inverted({500ms, 100ms}, 1);
  EXPECT_EQ(inverted.ceiling(), 500ms);
  for (int i = 0; i < 5; ++i) EXPECT_LE(inverted.next(), 500ms);
  EXPECT_EQ(inverted.ceiling(), 500ms);
}

TEST(Backoff, TheRandomlySeededOneKeepsTheSameBounds) {
  Backoff b(BackoffPolicy{20ms, 160ms});
  for (int i = 0; i < 100; ++i) {
    auto ceiling = b.ceiling();
    auto w = b.next();
    EXPECT_GE(w, 0ms);
    EXPECT_LE(w, ceiling);
  }
  EXPECT_EQ(b.ceiling(), 160ms);
}

TEST(Backoff, DefaultPolicy) {
  BackoffPolicy p;
  EXPECT_EQ(p.initial, 100ms);
  EXPECT_EQ(p.max, 5000ms);
}

TEST(StopSignal, WaitForReturnsTrueAfterTheFullWait) {
  StopSignal s;
  EXPECT_FALSE(s.stopped());
  auto t0 = Clock::now();
  EXPECT_TRUE(s.wait_for(60ms));
  EXPECT_GE(Clock::now() - t0, 60ms);
  EXPECT_FALSE(s.stopped());
}

TEST(StopSignal, WaitUntilAPastTimeReturnsTrueAtOnce) {
  StopSignal s;
  auto t0 = Clock::now();
  EXPECT_TRUE(s.wait_until(t0 - 1s));
  EXPECT_TRUE(s.wait_for(0ms));
  EXPECT_LT(Clock::now() - t0, 1s);
}

TEST(StopSignal, StopFromAnotherThreadEndsAWaitPromptly) {
  StopSignal s;
  std::atomic<bool> started{false};
  bool result = true;
  Clock::duration waited{};
  std::thread waiter([&] {
    started = true;
    auto t0 = Clock::now();
    result = s.wait_for(60s);
    waited = Clock::now() - t0;
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(20ms);  // most likely inside the wait by now; either way it must end
  auto t0 = Clock::now();
  s.stop();
  waiter.join();
  EXPECT_FALSE(result);
  EXPECT_LT(Clock::now() - t0, 5s);  // far below the 60 s asked for, with room for a loaded machine
  EXPECT_LT(waited, 10s);
  EXPECT_TRUE(s.stopped());
}

TEST(StopSignal, StopWakesEveryWaiter) {
  StopSignal s;
  constexpr int kWaiters = 4;
  std::atomic<int> started{0}, woken_false{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i)
    threads.emplace_back([&, i] {
      ++started;
      bool r = i % 2 ? s.wait_for(60s) : s.wait_until(Clock::now() + 60s);
      if (!r) ++woken_false;
    });
  while (started < kWaiters) std::this_thread::yield();
  std::this_thread::sleep_for(20ms);
  auto t0 = Clock::now();
  s.stop();
  for (auto& t : threads) t.join();
  EXPECT_EQ(woken_false.load(), kWaiters);
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(StopSignal, AfterStopEveryWaitReturnsFalseAtOnce) {
  StopSignal s;
  s.stop();
  s.stop();  // idempotent
  EXPECT_TRUE(s.stopped());
  auto t0 = Clock::now();
  EXPECT_FALSE(s.wait_for(60s));
  EXPECT_FALSE(s.wait_until(Clock::now() + 60s));
  EXPECT_FALSE(s.wait_for(0ms));
  EXPECT_FALSE(s.wait_until(Clock::now() - 1s));
  EXPECT_LT(Clock::now() - t0, 1s);
}

// How the retry loops use the two together: a stop during a backoff wait ends the loop.
TEST(StopSignal, InterruptsABackoffWait) {
  StopSignal s;
  Backoff b({30'000ms, 30'000ms}, 3);
  auto wait = b.next();
  while (wait < 10s) wait = b.next();  // a draw long enough that only stop() ends it
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    s.stop();
  });
  auto t0 = Clock::now();
  EXPECT_FALSE(s.wait_for(wait));
  EXPECT_LT(Clock::now() - t0, 5s);
  stopper.join();
}

}  // namespace
}  // namespace sluice
