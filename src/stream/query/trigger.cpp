#include "stream/query/trigger.h"

#include "common/units.h"

namespace sluice::stream {

std::optional<Trigger> Trigger::parse(std::string_view text) {
  Trigger t;
  if (text == "once") t.kind = Kind::once;
  else if (text == "available-now" || text == "available_now") t.kind = Kind::available_now;
  else if (text == "continuous") t.kind = Kind::continuous;
  else {
    auto d = parse_duration(text);
    if (!d || d->count() <= 0) return std::nullopt;
    t.kind = Kind::interval;
    t.interval = *d;
  }
  return t;
}

std::string Trigger::describe() const {
  switch (kind) {
    case Kind::once: return "once";
    case Kind::available_now: return "available-now";
    case Kind::continuous: return "continuous";
    case Kind::interval: return "every " + format_duration(interval);
  }
  return "?";
}

}  // namespace sluice::stream
