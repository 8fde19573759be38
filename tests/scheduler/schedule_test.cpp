// sluice::scheduler::Schedule (scheduler/schedule.h): parsing of cron expressions,
// presets, @once, @every and none; the next fire after an instant and the latest fire at
// or before one, in UTC and in zones with DST (Europe/Berlin, America/New_York) under
// every DstPolicy. The golden table reads as documentation: an expression, a zone, a
// policy, an instant, and the fires that follow it, written in the zone's wall time.
#include "scheduler/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace sluice::scheduler {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

constexpr DstPolicy kRunAtEnd{DstPolicy::Gap::run_at_end, DstPolicy::Overlap::once};
constexpr DstPolicy kSkip{DstPolicy::Gap::skip, DstPolicy::Overlap::once};
constexpr DstPolicy kTwice{DstPolicy::Gap::run_at_end, DstPolicy::Overlap::twice};
constexpr DstPolicy kSkipTwice{DstPolicy::Gap::skip, DstPolicy::Overlap::twice};
constexpr DstPolicy kAllPolicies[] = {kRunAtEnd, kSkip, kTwice, kSkipTwice};

Instant utc(std::string_view text) { return parse_instant(text, TimeZone::utc()); }

std::string policy_name(const DstPolicy& p) {
  return std::string(p.gap == DstPolicy::Gap::run_at_end ? "run_at_end" : "skip") + "/" +
         (p.overlap == DstPolicy::Overlap::once ? "once" : "twice");
}

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

// Every fire in [from, to], by iterating next_after.
std::vector<Instant> fires(const Schedule& s, const TimeZone& z, const DstPolicy& p, Instant from,
                           Instant to, Instant start = utc("2000-01-01")) {
  std::vector<Instant> out;
  auto t = s.next_after(from - 1s, z, p, start);
  while (t && *t <= to) {
    if (!out.empty()) {
      EXPECT_GT(*t, out.back());
    }
    out.push_back(*t);
    t = s.next_after(*t, z, p, start);
  }
  return out;
}

// ---- the golden table ---------------------------------------------------------------

struct Golden {
  const char* expr;
  const char* zone;
  DstPolicy dst;
  const char* after;               // UTC
  std::vector<const char*> fires;  // format_iso in the zone; "-" for "no next fire"
  const char* start = "2000-01-01T00:00:00Z";
};

const std::vector<Golden>& golden() {
  static const std::vector<Golden> table = {
      // Every field form, in UTC.
      {"*/15 * * * *", "UTC", kRunAtEnd, "2026-01-01T00:07:00Z",
       {"2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00", "2026-01-01T00:45:00+00:00",
        "2026-01-01T01:00:00+00:00"}},
      {"5 * * * *", "UTC", kRunAtEnd, "2026-01-01T00:05:00Z",  // strictly after
       {"2026-01-01T01:05:00+00:00", "2026-01-01T02:05:00+00:00", "2026-01-01T03:05:00+00:00"}},
      {"0 9-17/4 * * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-01T09:00:00+00:00", "2026-01-01T13:00:00+00:00", "2026-01-01T17:00:00+00:00",
        "2026-01-02T09:00:00+00:00"}},
      {"1-30/10 0 * * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-01T00:01:00+00:00", "2026-01-01T00:11:00+00:00", "2026-01-01T00:21:00+00:00",
        "2026-01-02T00:01:00+00:00"}},
      {"0,30 8-9 * * *", "UTC", kRunAtEnd, "2026-01-01T08:00:00Z",
       {"2026-01-01T08:30:00+00:00", "2026-01-01T09:00:00+00:00", "2026-01-01T09:30:00+00:00",
        "2026-01-02T08:00:00+00:00"}},
      {"0 0 5/10 * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-05T00:00:00+00:00", "2026-01-15T00:00:00+00:00", "2026-01-25T00:00:00+00:00",
        "2026-02-05T00:00:00+00:00"}},
      {"0 0 1,15 * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-15T00:00:00+00:00", "2026-02-01T00:00:00+00:00", "2026-02-15T00:00:00+00:00"}},
      {"0 0 1 */3 *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-04-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00", "2026-10-01T00:00:00+00:00",
        "2027-01-01T00:00:00+00:00"}},
      // Names, case-insensitive, in lists and ranges; 0 and 7 are Sunday.
      {"30 6 * * MON-FRI", "UTC", kRunAtEnd, "2026-01-02T07:00:00Z",  // 2026-01-02 is a Friday
       {"2026-01-05T06:30:00+00:00", "2026-01-06T06:30:00+00:00", "2026-01-07T06:30:00+00:00"}},
      {"0 0 * * sat,Sun", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00", "2026-01-10T00:00:00+00:00",
        "2026-01-11T00:00:00+00:00"}},
      {"0 0 * * 7", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"}},
      {"0 0 * * 0", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"}},
      {"0 0 * * FRI-SUN", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00",
        "2026-01-09T00:00:00+00:00"}},
      {"0 0 * * 5-7", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00",
        "2026-01-09T00:00:00+00:00"}},
      {"0 12 1 jan-MAR *", "UTC", kRunAtEnd, "2025-12-31T00:00:00Z",
       {"2026-01-01T12:00:00+00:00", "2026-02-01T12:00:00+00:00", "2026-03-01T12:00:00+00:00",
        "2027-01-01T12:00:00+00:00"}},
      // Six fields: seconds first.
      {"*/20 * * * * *", "UTC", kRunAtEnd, "2026-01-01T00:00:05Z",
       {"2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00"}},
      {"30 0 12 * * *", "UTC", kRunAtEnd, "2026-01-01T12:00:30Z",
       {"2026-01-02T12:00:30+00:00", "2026-01-03T12:00:30+00:00"}},
      {"15,45 30 9 * * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-01T09:30:15+00:00", "2026-01-01T09:30:45+00:00", "2026-01-02T09:30:15+00:00"}},
      {"59 59 23 31 12 *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-12-31T23:59:59+00:00", "2027-12-31T23:59:59+00:00"}},
      // Vixie: day-of-month and day-of-week both restricted: either matches.
      {"0 0 13 * FRI", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00", "2026-01-13T00:00:00+00:00",
        "2026-01-16T00:00:00+00:00", "2026-01-23T00:00:00+00:00"}},
      {"0 0 1-7 * MON", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00", "2026-01-04T00:00:00+00:00",
        "2026-01-05T00:00:00+00:00", "2026-01-06T00:00:00+00:00", "2026-01-07T00:00:00+00:00",
        "2026-01-12T00:00:00+00:00", "2026-01-19T00:00:00+00:00"}},
      // ... a field starting with '*' is unrestricted: both must match.
      {"0 0 */2 * FRI", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-09T00:00:00+00:00", "2026-01-23T00:00:00+00:00", "2026-02-13T00:00:00+00:00",
        "2026-02-27T00:00:00+00:00"}},
      {"0 0 * 2 MON", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-02-02T00:00:00+00:00", "2026-02-09T00:00:00+00:00", "2026-02-16T00:00:00+00:00",
        "2026-02-23T00:00:00+00:00", "2027-02-01T00:00:00+00:00"}},
      // Month ends and leap years.
      {"0 0 31 * *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-31T00:00:00+00:00", "2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00",
        "2026-07-31T00:00:00+00:00", "2026-08-31T00:00:00+00:00", "2026-10-31T00:00:00+00:00",
        "2026-12-31T00:00:00+00:00"}},
      {"0 0 29 2 *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00"}},
      {"0 0 29 2 *", "UTC", kRunAtEnd, "2024-02-28T00:00:00Z",
       {"2024-02-29T00:00:00+00:00", "2028-02-29T00:00:00+00:00"}},
      {"0 0 29 2 *", "UTC", kRunAtEnd, "2096-03-01T00:00:00Z",  // 2100 is no leap year
       {"2104-02-29T00:00:00+00:00"}},
      {"0 0 28-31 2 *", "UTC", kRunAtEnd, "2027-01-01T00:00:00Z",
       {"2027-02-28T00:00:00+00:00", "2028-02-28T00:00:00+00:00", "2028-02-29T00:00:00+00:00",
        "2029-02-28T00:00:00+00:00"}},
      {"0 0 30 2 *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z", {"-"}},
      {"0 0 31 4,6,9,11 *", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z", {"-"}},
      // Presets.
      {"@hourly", "UTC", kRunAtEnd, "2026-01-01T00:30:00Z",
       {"2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"}},
      {"@daily", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"}},
      {"@MIDNIGHT", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"}},
      {"@weekly", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"}},
      {"@monthly", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"}},
      {"@yearly", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"}},
      {"@annually", "UTC", kRunAtEnd, "2025-12-31T23:59:59Z",
       {"2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"}},
      // The start date: fires are >= start.
      {"0 0 * * *", "UTC", kRunAtEnd, "2025-01-01T00:00:00Z",
       {"2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"}, "2026-01-01T00:00:00Z"},
      {"0 0 * * *", "UTC", kRunAtEnd, "2025-01-01T00:00:00Z",
       {"2026-01-02T00:00:00+00:00"}, "2026-01-01T00:00:01Z"},
      // @every: start + k d, fixed durations (DST plays no part), @once, none.
      {"@every 90m", "UTC", kRunAtEnd, "2025-06-01T00:00:00Z",
       {"2026-01-01T00:00:00+00:00", "2026-01-01T01:30:00+00:00", "2026-01-01T03:00:00+00:00"},
       "2026-01-01T00:00:00Z"},
      {"@every 1h30m", "UTC", kRunAtEnd, "2026-01-01T01:29:59Z",
       {"2026-01-01T01:30:00+00:00", "2026-01-01T03:00:00+00:00"}, "2026-01-01T00:00:00Z"},
      {"@every 2d", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-03T00:00:00+00:00", "2026-01-05T00:00:00+00:00"}, "2026-01-01T00:00:00Z"},
      {"@every 90s", "UTC", kRunAtEnd, "2026-01-01T00:01:00Z",
       {"2026-01-01T00:01:30+00:00", "2026-01-01T00:03:00+00:00"}, "2026-01-01T00:00:00Z"},
      {"@every 1h", "Europe/Berlin", kRunAtEnd, "2026-03-29T00:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"}, "2026-03-28T23:00:00Z"},
      {"@once", "UTC", kRunAtEnd, "2025-01-01T00:00:00Z", {"2026-01-01T06:00:00+00:00", "-"},
       "2026-01-01T06:00:00Z"},
      {"@once", "UTC", kRunAtEnd, "2026-01-01T06:00:00Z", {"-"}, "2026-01-01T06:00:00Z"},
      {"none", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z", {"-"}},
      {"", "UTC", kRunAtEnd, "2026-01-01T00:00:00Z", {"-"}},
      // Zones without DST, and with it outside a transition.
      {"0 9 * * *", "Asia/Kolkata", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"}},
      {"0 9 * * *", "Europe/Berlin", kRunAtEnd, "2026-01-01T00:00:00Z",
       {"2026-01-01T09:00:00+01:00", "2026-01-02T09:00:00+01:00"}},

      // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
      {"30 2 * * *", "Europe/Berlin", kRunAtEnd, "2026-03-28T00:00:00Z",
       {"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
      {"30 2 * * *", "Europe/Berlin", kTwice, "2026-03-28T00:00:00Z",
       {"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
      {"30 2 * * *", "Europe/Berlin", kSkip, "2026-03-28T00:00:00Z",
       {"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00"}},
      {"30 2 * * *", "Europe/Berlin", kSkipTwice, "2026-03-28T00:00:00Z",
       {"2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00"}},
      // Four wall times in the gap: one fire at its end.
      {"*/15 2 * * *", "Europe/Berlin", kRunAtEnd, "2026-03-28T23:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00", "2026-03-30T02:15:00+02:00"}},
      {"*/15 2 * * *", "Europe/Berlin", kSkip, "2026-03-28T23:00:00Z",
       {"2026-03-30T02:00:00+02:00", "2026-03-30T02:15:00+02:00"}},
      // The end of the gap also matches on its own: still one fire.
      {"0 2,3 * * *", "Europe/Berlin", kRunAtEnd, "2026-03-28T23:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
      {"0 2,3 * * *", "Europe/Berlin", kSkip, "2026-03-28T23:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
      {"0 30 2 * * *", "Europe/Berlin", kRunAtEnd, "2026-03-28T23:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
      {"59 1 * * *", "Europe/Berlin", kRunAtEnd, "2026-03-28T23:00:00Z",
       {"2026-03-29T01:59:00+01:00", "2026-03-30T01:59:00+02:00"}},
      {"0 3 * * *", "Europe/Berlin", kSkip, "2026-03-28T23:00:00Z",
       {"2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00"}},
      // Every-hour schedules run on real time (no extra fire at the end of the gap).
      {"30 * * * *", "Europe/Berlin", kRunAtEnd, "2026-03-29T00:00:00Z",
       {"2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"}},

      // Europe/Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z).
      {"30 2 * * *", "Europe/Berlin", kRunAtEnd, "2026-10-24T00:00:00Z",
       {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
      {"30 2 * * *", "Europe/Berlin", kSkip, "2026-10-24T00:00:00Z",
       {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
      {"30 2 * * *", "Europe/Berlin", kTwice, "2026-10-24T00:00:00Z",
       {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
        "2026-10-26T02:30:00+01:00"}},
      {"30 2 * * *", "Europe/Berlin", kSkipTwice, "2026-10-24T00:00:00Z",
       {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
        "2026-10-26T02:30:00+01:00"}},
      {"*/15 2 * * *", "Europe/Berlin", kRunAtEnd, "2026-10-24T23:00:00Z",
       {"2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:45:00+02:00", "2026-10-26T02:00:00+01:00"}},
      {"*/15 2 * * *", "Europe/Berlin", kTwice, "2026-10-24T23:00:00Z",
       {"2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:45:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:15:00+01:00",
        "2026-10-25T02:30:00+01:00", "2026-10-25T02:45:00+01:00", "2026-10-26T02:00:00+01:00"}},
      {"0 3 * * *", "Europe/Berlin", kTwice, "2026-10-24T23:00:00Z",
       {"2026-10-25T03:00:00+01:00", "2026-10-26T03:00:00+01:00"}},
      // Every-hour schedules: the repeated hour is a new real hour and fires again.
      {"30 * * * *", "Europe/Berlin", kRunAtEnd, "2026-10-25T00:00:00Z",
       {"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T03:30:00+01:00"}},

      // America/New_York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
      {"30 2 * * *", "America/New_York", kRunAtEnd, "2026-03-07T12:00:00Z",
       {"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
      {"30 2 * * *", "America/New_York", kSkip, "2026-03-07T12:00:00Z",
       {"2026-03-09T02:30:00-04:00"}},
      {"30 2 * * *", "America/New_York", kTwice, "2026-03-07T12:00:00Z",
       {"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
      // America/New_York, 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z).
      {"30 1 * * *", "America/New_York", kRunAtEnd, "2026-10-31T12:00:00Z",
       {"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
      {"30 1 * * *", "America/New_York", kSkip, "2026-10-31T12:00:00Z",
       {"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
      {"30 1 * * *", "America/New_York", kTwice, "2026-10-31T12:00:00Z",
       {"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"}},
      {"30 1 * * *", "America/New_York", kSkipTwice, "2026-10-31T12:00:00Z",
       {"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"}},
      {"30 2 * * *", "America/New_York", kTwice, "2026-10-31T12:00:00Z",
       {"2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"}},
  };
  return table;
}

TEST(ScheduleGolden, NextFires) {
  for (const Golden& g : golden()) {
    SCOPED_TRACE(std::string("\"") + g.expr + "\" in " + g.zone + " (" + policy_name(g.dst) +
                 ") after " + g.after);
    Schedule s = Schedule::parse(g.expr);
    TimeZone zone = TimeZone::locate(g.zone);
    Instant start = utc(g.start);
    std::optional<Instant> t = utc(g.after);
    for (const char* want : g.fires) {
      ASSERT_TRUE(t.has_value()) << "no fire left before " << want;
      auto next = s.next_after(*t, zone, g.dst, start);
      if (std::string_view(want) == "-") {
        EXPECT_FALSE(next.has_value()) << "unexpected " << format_iso(*next, zone);
        break;
      }
      ASSERT_TRUE(next.has_value()) << "expected " << want;
      EXPECT_EQ(format_iso(*next, zone), want);
      t = next;
    }
  }
}

TEST(ScheduleGolden, LatestAtOrBeforeFindsEachGoldenFire) {
  for (const Golden& g : golden()) {
    SCOPED_TRACE(std::string("\"") + g.expr + "\" in " + g.zone + " (" + policy_name(g.dst) + ")");
    Schedule s = Schedule::parse(g.expr);
    TimeZone zone = TimeZone::locate(g.zone);
    Instant start = utc(g.start);
    std::optional<Instant> prev;  // the fire before the first listed one is not known
    for (const char* want : g.fires) {
      if (std::string_view(want) == "-") break;
      Instant f = parse_instant(want, TimeZone::utc());
      EXPECT_EQ(s.latest_at_or_before(f, zone, g.dst, start), f) << want;
      if (prev) {
        EXPECT_EQ(s.latest_at_or_before(f - 1s, zone, g.dst, start), prev) << want;
      }
      prev = f;
    }
  }
}

// ---- DST properties -----------------------------------------------------------------

TEST(ScheduleDst, HourlyFiresOncePerRealHourAcrossEveryTransition) {
  struct Transition {
    const char* zone;
    const char* around;  // UTC
  } transitions[] = {{"Europe/Berlin", "2026-03-29T01:00:00Z"},
                     {"Europe/Berlin", "2026-10-25T01:00:00Z"},
                     {"America/New_York", "2026-03-08T07:00:00Z"},
                     {"America/New_York", "2026-11-01T06:00:00Z"}};
  for (const char* expr : {"0 * * * *", "@hourly"}) {
    Schedule s = Schedule::parse(expr);
    EXPECT_TRUE(s.runs_every_hour());
    for (const auto& tr : transitions) {
      TimeZone zone = TimeZone::locate(tr.zone);
      for (const DstPolicy& p : kAllPolicies) {
        SCOPED_TRACE(std::string(expr) + " " + tr.zone + " " + tr.around + " " + policy_name(p));
        Instant mid = utc(tr.around);
        auto got = fires(s, zone, p, mid - 12h, mid + 12h);
        std::vector<Instant> want;
        for (Instant t = mid - 12h; t <= mid + 12h; t += 1h) want.push_back(t);
        EXPECT_EQ(got, want);
      }
    }
  }
  // Quarter-hourly likewise fires every 15 real minutes.
  Schedule q = Schedule::parse("*/15 * * * *");
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  for (const char* around : {"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"}) {
    Instant mid = utc(around);
    auto got = fires(q, berlin, kRunAtEnd, mid - 3h, mid + 3h);
    ASSERT_EQ(got.size(), 25u) << around;
    for (size_t i = 1; i < got.size(); ++i) EXPECT_EQ(got[i] - got[i - 1], 15min);
  }
}

TEST(ScheduleDst, DailyInBerlinForAYearIsEveryLocalMidnight) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  Schedule s = Schedule::parse("@daily");
  for (const DstPolicy& p : kAllPolicies) {
    auto got = fires(s, berlin, p, parse_instant("2026-01-01", berlin),
                     parse_instant("2027-01-01", berlin) - 1s);
    ASSERT_EQ(got.size(), 365u) << policy_name(p);
    date::local_days day{date::year{2026} / 1 / 1};
    for (Instant f : got) {
      EXPECT_EQ(berlin.to_local(f), LocalTime{day}) << format_iso(f, berlin);
      day += date::days{1};
    }
    EXPECT_EQ(std::set<Instant>(got.begin(), got.end()).size(), 365u);
    // 23 and 25 hours around the transitions.
    EXPECT_EQ(got[88] - got[87], 23h);    // 2026-03-29 -> 03-30
    EXPECT_EQ(got[298] - got[297], 25h);  // 2026-10-25 -> 10-26
  }
}

// The definition, checked by brute force: every wall time of the window (minute or
// second steps) that matches the fields, resolved in the zone and passed through the
// policy; every-hour schedules: every instant whose wall time matches.
bool matches(const Schedule::Cron& c, LocalTime lt) {
  auto day = date::floor<date::days>(lt);
  date::year_month_day ymd{day};
  auto sod = (lt - day).count();
  bool dom = (c.day_of_month >> unsigned(ymd.day())) & 1;
  bool dow = (c.day_of_week >> date::weekday{day}.c_encoding()) & 1;
  bool day_ok = (c.dom_star || c.dow_star) ? dom && dow : dom || dow;
  return day_ok && ((c.month >> unsigned(ymd.month())) & 1) && ((c.hour >> (sod / 3600)) & 1) &&
         ((c.minute >> (sod / 60 % 60)) & 1) && ((c.second >> (sod % 60)) & 1);
}

std::vector<Instant> reference_fires(const Schedule& s, const TimeZone& z, const DstPolicy& p,
                                     Instant from, Instant to) {
  const seconds step = s.cron().second == 1 ? seconds{60} : seconds{1};
  std::set<Instant> out;
  if (s.runs_every_hour()) {
    for (Instant t = from; t <= to; t += step) {
      if (matches(s.cron(), z.to_local(t))) out.insert(t);
    }
  } else {
    for (LocalTime lt = z.to_local(from) - 3h; lt <= z.to_local(to) + 3h; lt += step) {
      if (!matches(s.cron(), lt)) continue;
      auto r = z.resolve(lt);
      using K = TimeZone::Resolved::Kind;
      if (r.kind == K::unique) out.insert(r.first);
      if (r.kind == K::nonexistent && p.gap == DstPolicy::Gap::run_at_end) out.insert(r.first);
      if (r.kind == K::ambiguous) {
        out.insert(r.first);
        if (p.overlap == DstPolicy::Overlap::twice) out.insert(r.second);
      }
    }
  }
  std::vector<Instant> v;
  for (Instant t : out) {
    if (t >= from && t <= to) v.push_back(t);
  }
  return v;
}

TEST(ScheduleDst, AgreesWithTheBruteForceDefinitionAroundTransitions) {
  struct Window {
    const char* zone;
    const char* around;
  } windows[] = {{"Europe/Berlin", "2026-03-29T01:00:00Z"},
                 {"Europe/Berlin", "2026-10-25T01:00:00Z"},
                 {"America/New_York", "2026-03-08T07:00:00Z"},
                 {"America/New_York", "2026-11-01T06:00:00Z"},
                 {"Australia/Lord_Howe", "2026-04-04T15:00:00Z"},  // a 30-minute shift
                 {"Australia/Lord_Howe", "2026-10-03T15:30:00Z"}};
  const char* exprs[] = {"0 * * * *",     "*/15 * * * *", "30 * * * *",   "30 2 * * *",
                         "*/15 2 * * *",  "0 2,3 * * *",  "30 1 * * *",   "*/10 1-3 * * *",
                         "0 0 * * *",     "45 1,2 * * SUN", "5,50 0-4 * * *", "59 1 * * *"};
  const char* second_exprs[] = {"*/20 * 2 * * *", "0 30 2 * * *", "*/7 * * * * *"};
  for (const auto& w : windows) {
    TimeZone zone = TimeZone::locate(w.zone);
    Instant mid = utc(w.around);
    for (const DstPolicy& p : kAllPolicies) {
      for (const char* e : exprs) {
        SCOPED_TRACE(std::string(e) + " " + w.zone + " " + w.around + " " + policy_name(p));
        Schedule s = Schedule::parse(e);
        EXPECT_EQ(fires(s, zone, p, mid - 30h, mid + 30h),
                  reference_fires(s, zone, p, mid - 30h, mid + 30h));
      }
      for (const char* e : second_exprs) {
        SCOPED_TRACE(std::string(e) + " " + w.zone + " " + w.around + " " + policy_name(p));
        Schedule s = Schedule::parse(e);
        EXPECT_EQ(fires(s, zone, p, mid - 3h, mid + 3h),
                  reference_fires(s, zone, p, mid - 3h, mid + 3h));
      }
    }
  }
}

// ---- latest_at_or_before ------------------------------------------------------------

TEST(ScheduleLatest, AgreesWithForwardIteration) {
  struct Case {
    const char* expr;
    const char* from;
    const char* to;
  } cases[] = {
      {"0 * * * *", "2026-01-01", "2027-01-01"},
      {"*/15 * * * *", "2026-01-01", "2027-01-01"},
      {"30 2 * * *", "2026-01-01", "2027-01-01"},
      {"*/15 2 * * *", "2026-01-01", "2027-01-01"},
      {"0 2,3 * * *", "2026-01-01", "2027-01-01"},
      {"30 1 * * *", "2026-01-01", "2027-01-01"},
      {"0 0 13 * FRI", "2026-01-01", "2027-01-01"},
      {"0 9-17 * * MON-FRI", "2026-01-01", "2027-01-01"},
      {"0 0 29 2 *", "2023-06-01", "2034-01-01"},
      {"*/20 * 2 * * *", "2026-03-20", "2026-04-05"},
      {"*/20 * 2 * * *", "2026-10-20", "2026-11-05"},
      {"@daily", "2026-01-01", "2027-01-01"},
      {"@every 7m", "2026-01-01", "2026-03-01"},
  };
  std::mt19937_64 rng(20260329);
  for (const char* zname : {"UTC", "Europe/Berlin", "America/New_York"}) {
    TimeZone zone = TimeZone::locate(zname);
    for (const DstPolicy& p : kAllPolicies) {
      for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.expr) + " " + zname + " " + policy_name(p));
        Schedule s = Schedule::parse(c.expr);
        Instant start = parse_instant(c.from, zone) + 7s;  // a start between fires
        Instant end = parse_instant(c.to, zone);
        auto all = fires(s, zone, p, start, end, start);
        ASSERT_FALSE(all.empty());
        // Each fire is its own latest, and the second before it gives the fire before.
        for (size_t i = 0; i < all.size(); ++i) {
          ASSERT_EQ(s.latest_at_or_before(all[i], zone, p, start), all[i]) << format_utc(all[i]);
          auto before = s.latest_at_or_before(all[i] - 1s, zone, p, start);
          if (i == 0) {
            ASSERT_FALSE(before.has_value()) << format_utc(*before);
          } else {
            ASSERT_EQ(before, all[i - 1]) << format_utc(all[i]);
          }
        }
        // Random points.
        std::uniform_int_distribution<int64_t> pick((start - 1h).time_since_epoch().count(),
                                                    end.time_since_epoch().count());
        for (int i = 0; i < 300; ++i) {
          Instant at{seconds{pick(rng)}};
          auto it = std::upper_bound(all.begin(), all.end(), at);
          std::optional<Instant> want;
          if (it != all.begin()) want = *std::prev(it);
          ASSERT_EQ(s.latest_at_or_before(at, zone, p, start), want) << format_utc(at);
        }
      }
    }
  }
}

TEST(ScheduleLatest, FarAfterTheStart) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  Instant start = utc("2000-01-01T00:00:00Z");
  Schedule every5 = Schedule::parse("*/5 * * * *");
  Schedule every7s = Schedule::parse("@every 7s");
  Schedule leap = Schedule::parse("0 0 29 2 *");
  Schedule never = Schedule::parse("0 0 30 2 *");
  // Many calls 35 years after the start: each is a short search, not a walk from start.
  for (int i = 0; i < 2000; ++i) {
    Instant at = utc("2035-06-01T12:03:17Z") + seconds{i * 3600};
    auto l = every5.latest_at_or_before(at, berlin, kRunAtEnd, start);
    ASSERT_TRUE(l.has_value());
    EXPECT_EQ(*l, at - 3min - 17s);
    auto e = every7s.latest_at_or_before(at, berlin, kRunAtEnd, start);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ((*e - start) % 7s, 0s);
    EXPECT_LE(*e, at);
    EXPECT_GT(*e + 7s, at);
    EXPECT_EQ(every7s.next_after(*e, berlin, kRunAtEnd, start), *e + 7s);
  }
  EXPECT_EQ(leap.latest_at_or_before(utc("2027-06-01T00:00:00Z"), TimeZone::utc(), kRunAtEnd,
                                     start),
            utc("2024-02-29T00:00:00Z"));
  EXPECT_EQ(never.latest_at_or_before(utc("2027-06-01T00:00:00Z"), TimeZone::utc(), kRunAtEnd,
                                      start),
            std::nullopt);
  EXPECT_EQ(never.next_after(utc("2027-06-01T00:00:00Z"), TimeZone::utc(), kRunAtEnd, start),
            std::nullopt);
}

TEST(ScheduleLatest, OnceNoneAndBeforeTheStart) {
  Instant start = utc("2026-01-01T06:00:00Z");
  TimeZone z = TimeZone::utc();
  Schedule once = Schedule::parse("@once");
  EXPECT_EQ(once.latest_at_or_before(start - 1s, z, kRunAtEnd, start), std::nullopt);
  EXPECT_EQ(once.latest_at_or_before(start, z, kRunAtEnd, start), start);
  EXPECT_EQ(once.latest_at_or_before(start + 9000h, z, kRunAtEnd, start), start);
  Schedule none = Schedule::parse("none");
  EXPECT_EQ(none.latest_at_or_before(start + 1h, z, kRunAtEnd, start), std::nullopt);
  Schedule daily = Schedule::parse("@daily");
  EXPECT_EQ(daily.latest_at_or_before(start + 1h, z, kRunAtEnd, start), std::nullopt);
  EXPECT_EQ(daily.latest_at_or_before(start + 18h, z, kRunAtEnd, start),
            utc("2026-01-02T00:00:00Z"));
  Schedule every = Schedule::parse("@every 1h");
  EXPECT_EQ(every.latest_at_or_before(start - 1s, z, kRunAtEnd, start), std::nullopt);
  EXPECT_EQ(every.latest_at_or_before(start + 150min, z, kRunAtEnd, start), start + 2h);
}

TEST(ScheduleLatest, NoFiresOutsideYears1To9999) {
  Schedule s = Schedule::parse("* * * * *");
  TimeZone z = TimeZone::utc();
  Instant start = Instant{seconds{std::numeric_limits<int32_t>::min()}};
  EXPECT_EQ(s.next_after(Instant::max(), z, kRunAtEnd, start), std::nullopt);
  EXPECT_EQ(s.next_after(utc("9999-12-31T23:58:00Z"), z, kRunAtEnd, start),
            utc("9999-12-31T23:59:00Z"));
  EXPECT_EQ(s.next_after(utc("9999-12-31T23:59:00Z"), z, kRunAtEnd, start), std::nullopt);
  EXPECT_EQ(s.latest_at_or_before(Instant::max(), z, kRunAtEnd, start),
            utc("9999-12-31T23:59:00Z"));
  EXPECT_EQ(s.next_after(utc("2026-01-01T00:00:00Z"), z, kRunAtEnd, start),
            utc("2026-01-01T00:01:00Z"));
}

// ---- parsing -----------------------------------------------------------------------

TEST(ScheduleParse, KindsTextAndFields) {
  Schedule d = Schedule::parse("  @Daily ");
  EXPECT_EQ(d.kind(), Schedule::Kind::cron);
  EXPECT_EQ(d.text(), "  @Daily ");
  EXPECT_FALSE(d.runs_every_hour());
  EXPECT_EQ(Schedule::parse("@every 1h30m").kind(), Schedule::Kind::every);
  EXPECT_EQ(Schedule::parse("@every 1h30m").interval(), 5400s);
  EXPECT_EQ(Schedule::parse("@every 1h 30m").interval(), 5400s);
  EXPECT_EQ(Schedule::parse("@every 1.5h").interval(), 5400s);
  EXPECT_EQ(Schedule::parse("@every 90").interval(), 90s);
  EXPECT_EQ(Schedule::parse("@every 2d").interval(), 48h);
  EXPECT_EQ(Schedule::parse("@every 1500ms500ms").interval(), 2s);
  EXPECT_EQ(Schedule::parse("@once").kind(), Schedule::Kind::once);
  EXPECT_EQ(Schedule::parse("none").kind(), Schedule::Kind::none);
  EXPECT_EQ(Schedule::parse("None").kind(), Schedule::Kind::none);
  EXPECT_EQ(Schedule::parse("").kind(), Schedule::Kind::none);
  EXPECT_EQ(Schedule::parse("   ").kind(), Schedule::Kind::none);
  EXPECT_EQ(Schedule().kind(), Schedule::Kind::none);

  const Schedule::Cron c = Schedule::parse("0 0 * * 7").cron();
  EXPECT_EQ(c.day_of_week, 1u);  // Sunday
  EXPECT_TRUE(c.dom_star);
  EXPECT_FALSE(c.dow_star);
  const Schedule::Cron w = Schedule::parse("0 0 * * 5-0").cron();  // Friday to Sunday
  EXPECT_EQ(w.day_of_week, 0b1100001u);
  const Schedule::Cron m = Schedule::parse("*/15 */6 1-31/10 Feb-APR/2 *").cron();
  EXPECT_EQ(m.minute, (1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45));
  EXPECT_EQ(m.hour, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
  EXPECT_EQ(m.day_of_month, (1u << 1) | (1u << 11) | (1u << 21) | (1u << 31));
  EXPECT_EQ(m.month, (1u << 2) | (1u << 4));
  EXPECT_EQ(m.second, 1u);
  EXPECT_FALSE(m.dom_star);
  EXPECT_TRUE(Schedule::parse("* * * * * *").runs_every_hour());
  EXPECT_TRUE(Schedule::parse("0 0-23 * * *").runs_every_hour());
  EXPECT_FALSE(Schedule::parse("0 */2 * * *").runs_every_hour());
  EXPECT_FALSE(Schedule::parse("@every 1h").runs_every_hour());
}

TEST(ScheduleParse, ErrorsNameTheFieldAndTheBadPart) {
  struct Case {
    const char* expr;
    const char* message;  // after `schedule "<expr>": `
  } cases[] = {
      {"0 25 * * *", "hour field: 25 is out of range 0-23"},
      {"60 * * * *", "minute field: 60 is out of range 0-59"},
      {"* * 0 * *", "day-of-month field: 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field: 32 is out of range 1-31"},
      {"* * * 13 *", "month field: 13 is out of range 1-12"},
      {"* * * 0 *", "month field: 0 is out of range 1-12"},
      {"* * * * 8", "day-of-week field: 8 is out of range 0-7"},
      {"61 * * * * *", "second field: 61 is out of range 0-59"},
      {"* * * * * 99", "day-of-week field: 99 is out of range 0-7"},
      {"99999 * * * *", "minute field: 99999 is out of range 0-59"},
      {"1,,2 * * * *", "minute field: empty item in the list \"1,,2\""},
      {"1, * * * *", "minute field: empty item in the list \"1,\""},
      {"* ,5 * * *", "hour field: empty item in the list \",5\""},
      {"*/0 * * * *", "minute field: step 0 in \"*/0\" is out of range 1-59"},
      {"*/60 * * * *", "minute field: step 60 in \"*/60\" is out of range 1-59"},
      {"*/x * * * *", "minute field: bad step \"x\" in \"*/x\" (a number 1-59)"},
      {"* */ * * *", "hour field: bad step \"\" in \"*/\" (a number 1-23)"},
      {"1/2/3 * * * *", "minute field: bad step \"2/3\" in \"1/2/3\""},
      {"/5 * * * *", "minute field: bad step \"/5\" (a step follows *, a value or a range)"},
      {"30-10 * * * *", "minute field: range 30-10 is reversed"},
      {"* * * * 5-1", "day-of-week field: range 5-1 is reversed"},
      {"* * * DEC-JAN *", "month field: range DEC-JAN is reversed"},
      {"* * * * FOO", "day-of-week field: unknown name \"FOO\" (SUN-SAT)"},
      {"* * * * MON-Fry", "day-of-week field: unknown name \"Fry\" (SUN-SAT)"},
      {"* * * JANUARY *", "month field: unknown name \"JANUARY\" (JAN-DEC)"},
      {"* MON * * *", "hour field: \"MON\" is not a number 0-23"},
      {"5x * * * *", "minute field: \"5x\" is not a number 0-59"},
      {"* * * * 1x", "day-of-week field: \"1x\" is neither a number 0-7 nor a name SUN-SAT"},
      {"-5 * * * *", "minute field: bad range \"-5\" (a value is missing)"},
      {"1- * * * *", "minute field: bad range \"1-\" (a value is missing)"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second "
                  "first), got 4"},
      {"* * * * * * *", "expected 5 fields"},
      {"daily", "got 1"},
      {"@fortnightly", "unknown preset \"@fortnightly\" (@yearly, @annually, @monthly, @weekly, "
                       "@daily, @midnight, @hourly, @once, @every <duration>)"},
      {"@", "unknown preset \"@\""},
      {"@daily 5", "@daily takes no argument (got \"5\")"},
      {"@every 500ms", "@every duration \"500ms\" is below 1 s"},
      {"@every 0s", "@every duration \"0s\" is below 1 s"},
      {"@every", "@every needs a duration (such as 90s, 15m, 1h30m or 2d)"},
      {"@every 1x", "@every duration \"1x\" is not a duration (such as 90s, 15m, 1h30m or 2d)"},
      {"@every 1h30", "@every duration \"1h30\" is not a duration"},
      {"@every -5m", "@every duration \"-5m\" is not a duration"},
      {"@every 1.5s", "@every duration \"1.5s\" is not a whole number of seconds"},
      {"@every 99999999d", "@every duration \"99999999d\""},
  };
  for (const auto& c : cases) {
    std::string msg = usage_error([&] { Schedule::parse(c.expr); });
    std::string prefix = "schedule \"" + std::string(c.expr) + "\": ";
    EXPECT_EQ(msg.rfind(prefix, 0), 0u) << msg;
    EXPECT_NE(msg.find(c.message), std::string::npos) << "got: " << msg << "\nwant: " << c.message;
  }
}

}  // namespace
}  // namespace sluice::scheduler
