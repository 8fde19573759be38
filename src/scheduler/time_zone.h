#pragma once
// IANA time zones for the scheduler: the wall clock a DAG's cron schedule is read in,
// and the instants the scheduler stores and compares (UTC, second resolution).
//
// The zone rules come from the system's tz database (/usr/share/zoneinfo, Debian's
// tzdata) through Howard Hinnant's date library (GCC 12's <chrono> has no time zones).
// Limit: the date library reads only the explicit transitions of the compiled zone
// files and ignores their POSIX-TZ footer, so no DST change is applied after 2037: from
// the last transition of 2037 on, every zone keeps the offset it had then (Europe/Berlin
// stays on CET). Schedules that far out are still computed, on that fixed offset.
//
// Text forms (all with second resolution):
//   format_utc      2026-03-29T01:00:00Z
//   format_iso      2026-03-29T03:00:00+02:00   (Airflow-like run ids and logical dates)
//   TimeZone::format 2026-03-29 03:00:00 CEST (+02:00)   (for people)
//
// Threading: a TimeZone is an immutable handle (the zone data is shared and loaded once,
// thread-safely); any thread may use any TimeZone.
#include <chrono>
#include <string>
#include <string_view>

#include <date/date.h>

namespace date {
class time_zone;
}

namespace sluice::scheduler {

using Instant = std::chrono::sys_seconds;  // UTC, second resolution
using LocalTime = date::local_seconds;     // wall clock of a zone

class TimeZone {
 public:
  // UTC.
  TimeZone();
  static TimeZone utc();
  // An IANA name ("Europe/Berlin", "America/New_York", "UTC"). Throws UsageError
  // `unknown time zone "X" (IANA name such as Europe/Berlin)` for a name the tz
  // database does not have, and FatalError when the database itself cannot be read.
  static TimeZone locate(std::string_view name);

  const std::string& name() const { return name_; }
  bool is_utc() const { return zone_ == nullptr; }

  LocalTime to_local(Instant t) const;
  // The UTC offset in force at `t` (local = t + offset).
  std::chrono::seconds offset_at(Instant t) const;

  // What a wall time means in this zone.
  //   unique:      first == second, the one instant.
  //   nonexistent: the wall time falls in a forward jump (spring-forward gap);
  //                first == second == the instant the gap ends (the transition: the
  //                first valid wall time after the gap).
  //   ambiguous:   the wall time occurs twice (fall-back); first is the earlier
  //                instant, second the later one.
  struct Resolved {
    enum class Kind { unique, nonexistent, ambiguous } kind = Kind::unique;
    Instant first{};
    Instant second{};
  };
  Resolved resolve(LocalTime lt) const;

  // The stretch of UTC time [begin, end) that contains `t` and over which the UTC offset
  // is constant (local = t + offset). UTC and the years after the last transition give
  // one stretch reaching far into the past and the future (years -32767 and 32767).
  struct Span {
    Instant begin{};
    Instant end{};
    std::chrono::seconds offset{0};
  };
  Span span_at(Instant t) const;

  // "2026-03-29 03:00:00 CEST (+02:00)".
  std::string format(Instant t) const;

  // Same zone (by name).
  bool operator==(const TimeZone& other) const { return name_ == other.name_; }

 private:
  TimeZone(const date::time_zone* zone, std::string name);

  const date::time_zone* zone_ = nullptr;  // nullptr: UTC, no tz database needed
  std::string name_ = "UTC";
};

// "2026-03-29T01:00:00Z".
std::string format_utc(Instant t);
// "2026-03-29T03:00:00+02:00": the wall time in `zone` and its offset.
std::string format_iso(Instant t, const TimeZone& zone);
// "+02:00", "-04:00", "+05:45" (and "+00:53:28" for an offset with seconds).
std::string format_offset(std::chrono::seconds offset);

// Parses "2026-01-01", "2026-01-01T06:30", "2026-01-01 06:30:00", each optionally
// followed (when it has a time) by "Z" or an offset "+02:00" / "-0530"; with an offset
// the zone is ignored. A date-only or naive value is a wall time in `zone`: in a gap it
// means the end of the gap, when ambiguous the earlier instant. Throws UsageError naming
// the text and the expected forms.
Instant parse_instant(std::string_view text, const TimeZone& zone);

}  // namespace sluice::scheduler
