#pragma once
// When the streaming query runs its micro-batches (Spark's Trigger):
//   10s / 500ms   processing-time interval: a batch every interval, of what arrived
//   once          one batch of what is there, then stop
//   available-now everything there at start, in batches of max_records_per_batch, then stop
//   continuous    no waiting: the next batch starts as soon as the previous committed
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::stream {

struct Trigger {
  enum class Kind { interval, once, available_now, continuous };
  Kind kind = Kind::interval;
  std::chrono::milliseconds interval{10'000};

  // nullopt if `text` is none of the forms above.
  static std::optional<Trigger> parse(std::string_view text);
  std::string describe() const;
};

}  // namespace sluice::stream
