// What TaskProcess::start costs the scheduler's thread, measured: 200 supervisors of `true`
// started back to back, as when 200 tasks are due in the same second. The scheduler's
// target is due time -> process started within 20 ms at p99 in that case, so start() itself
// must stay far below 100 us. The figures are printed (and recorded as test properties);
// the assertion is a loose bound that only a regression of an order of magnitude (a fork
// copying the address space, a wait for the child) would break on a loaded machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "common/clock.h"
#include "scheduler/task_process.h"
#include "support/paths.h"
#include "support/scratch_dir.h"

namespace {

using namespace std::chrono_literals;
using sluice::scheduler::read_result;
using sluice::scheduler::SuperviseOptions;
using sluice::scheduler::TaskProcess;

struct Figures {
  double median_us, p99_us, max_us;
};

Figures figures(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100], us.back()};
}

SuperviseOptions true_task(const sluice::testing::ScratchDir& scratch, int i) {
  SuperviseOptions o;
  o.argv = {"true"};
  o.log_path = (scratch.path() / "logs" / (std::to_string(i) + ".log")).string();
  o.result_path = (scratch.path() / "results" / (std::to_string(i) + ".json")).string();
  return o;
}

// One at a time, each waited for before the next: the cost of start() on an idle machine.
TEST(StartCostTest, TwoHundredStartsOfTrueOneAtATime) {
  sluice::testing::ScratchDir scratch;
  constexpr int kStarts = 200;
  std::vector<double> start_us;
  for (int i = 0; i < kStarts; ++i) {
    auto o = true_task(scratch, i);
    const auto t0 = std::chrono::steady_clock::now();
    auto p = TaskProcess::start(sluice::testing::sluice_binary(), o);
    start_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_TRUE(p.wait_for(20s));
    ASSERT_EQ(p.exit_code(), 0);
  }
  auto f = figures(start_us);
  std::cout << "TaskProcess::start of `true`, one at a time: median " << f.median_us << " us, p99 " << f.p99_us
            << " us, max " << f.max_us << " us\n";
  ::testing::Test::RecordProperty("start_median_us", std::to_string(f.median_us));
  ::testing::Test::RecordProperty("start_p99_us", std::to_string(f.p99_us));
  EXPECT_LT(f.median_us, 5000.0);
}

// 200 back to back, as when 200 tasks are due in the same second: each start() now competes
// with the start-up of the supervisors before it.
TEST(StartCostTest, TwoHundredStartsOfTrueAtOnce) {
  sluice::testing::ScratchDir scratch;
  constexpr int kStarts = 200;
  std::vector<TaskProcess> procs;
  procs.reserve(kStarts);
  std::vector<double> start_us, since_first_ms;
  std::vector<int64_t> started_wall_ms;
  const auto all_begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kStarts; ++i) {
    auto o = true_task(scratch, i);
    started_wall_ms.push_back(sluice::wall_ms());
    const auto t0 = std::chrono::steady_clock::now();
    procs.push_back(TaskProcess::start(sluice::testing::sluice_binary(), o));
    const auto t1 = std::chrono::steady_clock::now();
    start_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    since_first_ms.push_back(std::chrono::duration<double, std::milli>(t1 - all_begin).count());
  }
  std::vector<double> to_task_us;  // from start() to the task's exec (the result's started_ms)
  for (int i = 0; i < kStarts; ++i) {
    ASSERT_TRUE(procs[i].wait_for(60s));
    EXPECT_EQ(procs[i].exit_code(), 0);
    auto r = read_result(true_task(scratch, i).result_path);
    ASSERT_TRUE(r && r->ok());
    to_task_us.push_back(1000.0 * static_cast<double>(r->started_ms - started_wall_ms[i]));
  }
  auto f = figures(start_us), d = figures(since_first_ms), t = figures(to_task_us);
  std::cout << "TaskProcess::start of `true`, " << kStarts << " back to back: median " << f.median_us << " us, p99 "
            << f.p99_us << " us, max " << f.max_us << " us; the last returned " << since_first_ms.back()
            << " ms after the first began (p99 " << d.p99_us << " ms)\n"
            << "start() -> the task exec'd: median " << t.median_us / 1000 << " ms, p99 " << t.p99_us / 1000
            << " ms, max " << t.max_us / 1000 << " ms\n";
  ::testing::Test::RecordProperty("burst_start_median_us", std::to_string(f.median_us));
  ::testing::Test::RecordProperty("burst_last_started_ms", std::to_string(since_first_ms.back()));
}

}  // namespace
