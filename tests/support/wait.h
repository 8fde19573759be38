#pragma once
// Waiting on a condition instead of sleeping for a guessed time.
#include <chrono>
#include <functional>
#include <source_location>
#include <string_view>

namespace sluice::testing {

// Polls `condition` until it holds or `limit` passes, first every millisecond and backing
// off to every 50 ms (so a costly check, such as a query to a server, runs at most about
// 20 times a second); it is checked once more when the limit is reached. When the limit
// passes, records a non-fatal test failure at the caller's line, "waited LIMIT for WHAT",
// and returns false: the caller may ASSERT on the result to end the test, or go on and
// collect more evidence. `condition` runs on the calling thread; any thread may call this.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds limit, std::string_view what,
              std::source_location where = std::source_location::current());

}  // namespace sluice::testing
