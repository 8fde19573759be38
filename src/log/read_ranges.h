#pragma once
// Reading fixed offset ranges of a topic back, outside any consumer group (nothing is
// committed): what the runs' books (web/reconciler.h) and `sluice verify` read.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "log/log.h"

namespace sluice::log {

struct ReadLimits {
  std::chrono::milliseconds deadline{0};  // the whole read (0: none)
  std::chrono::milliseconds stall{30'000};  // the log returned nothing this long
};

// Hands each message of [from, to) of each partition in `ranges` to `fn`, in offset
// order per partition. Returns false if a limit stopped it first.
bool read_ranges(Log& log, const std::string& topic, std::map<int32_t, std::pair<int64_t, int64_t>> ranges,
                 const std::function<void(Message&)>& fn, ReadLimits limits = {});

}  // namespace sluice::log
