#include "support/wait.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace sluice::testing {

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds limit, std::string_view what,
              std::source_location where) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + limit;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (condition()) return true;
    auto now = Clock::now();
    if (now >= until) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, until - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
      << "waited " << limit.count() << " ms for " << what << ", in vain";
  return false;
}

}  // namespace sluice::testing
