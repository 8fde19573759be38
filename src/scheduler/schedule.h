#pragma once
// A DAG's schedule: when its runs fire. Parsing of the schedule text, and the two
// questions the scheduler asks: the next fire after an instant, and the latest fire at
// or before one (catchup off: "the latest complete interval").
//
// Forms (Schedule::parse):
//   cron, 5 fields     minute hour day-of-month month day-of-week
//   cron, 6 fields     second minute hour day-of-month month day-of-week
//     each field: *  n  a-b  */s  a-b/s  a/s (= a-max/s)  and lists of those (1,15,30-40)
//     month names JAN-DEC, weekday names SUN-SAT (case-insensitive, also in ranges);
//     day-of-week 0 and 7 are Sunday, and a range may end on Sunday (FRI-SUN, 5-0).
//     Vixie cron's rule: when both day-of-month and day-of-week are restricted (neither
//     field starts with '*'), a day matches when EITHER matches; otherwise both must.
//     "0 0 13 * FRI" fires on every 13th and every Friday; "0 0 */2 * FRI" on the
//     odd-numbered days that are Fridays.
//   presets            @yearly = @annually (0 0 1 1 *), @monthly (0 0 1 * *),
//                      @weekly (0 0 * * 0), @daily = @midnight (0 0 * * *), @hourly (0 * * * *)
//   @once              one run, at the DAG's start date
//   @every <duration>  start, start + d, start + 2d, ... (90s, 15m, 1h30m, 2d; >= 1 s,
//                      whole seconds); fixed UTC durations, DST plays no part
//   none, or empty     manual runs only
//
// Cron schedules are wall-clock times in the DAG's zone. Where the wall clock jumps:
//   - Schedules whose hour field matches every hour ("*/15 * * * *", "0 * * * *",
//     "* * * * * *") run on real time, as Vixie cron and Airflow do: they fire at every
//     instant whose wall time matches. A wall time skipped by a spring-forward jump does
//     not fire (the next matching wall time comes within the hour), and a wall time that
//     repeats at fall-back fires again (it is a new real hour). So "0 * * * *" fires
//     exactly once per real hour across both transitions. The DstPolicy does not apply.
//   - Every other cron schedule (a restricted hour: "30 2 * * *", "*/15 2 * * *",
//     "0 9-17 * * MON-FRI") follows the DstPolicy:
//       Gap::run_at_end  a matching wall time in a spring-forward gap fires at the end
//                        of the gap (the transition instant, e.g. 03:00 CEST); several
//                        matching wall times in one gap fire once, and a fire at the
//                        end of the gap that also matches on its own is the same fire.
//       Gap::skip        it does not fire.
//       Overlap::once    a wall time that occurs twice fires at the earlier instant.
//       Overlap::twice   it fires at both instants.
//
// Search bound: a cron schedule that does not fire within 10 years of the point asked
// about has no next (or latest) fire: "0 0 30 2 *" never fires, and rare combinations
// with gaps over 10 years ("0 0 */29 2 MON") are treated as never firing beyond the
// bound. Instants outside years 0001-9999 have no fires. Zone rules after 2037 are those
// of 2037's last transition (see time_zone.h).
//
// Cost: the search steps by field (next matching month, day, hour, minute, second) and by
// UTC-offset stretch of the zone, never second by second; each call is microseconds,
// whatever the distance between `start` and the instant asked about.
//
// Threading: a Schedule is an immutable value; any thread may call its const members.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "scheduler/time_zone.h"

namespace sluice::scheduler {

struct DstPolicy {
  enum class Gap { run_at_end, skip } gap = Gap::run_at_end;   // a wall time that does not exist
  enum class Overlap { once, twice } overlap = Overlap::once;  // a wall time that occurs twice
  bool operator==(const DstPolicy&) const = default;
};

class Schedule {
 public:
  enum class Kind { cron, every, once, none };

  // none.
  Schedule();
  // Throws UsageError naming the schedule, the field and the bad part, e.g.
  //   schedule "0 25 * * *": hour field: 25 is out of range 0-23
  static Schedule parse(std::string_view text);

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }  // as written
  // @every: its duration; other kinds: 0.
  std::chrono::seconds interval() const { return every_; }
  // cron: whether the hour field matches every hour (then it runs on real time across
  // DST changes and ignores the DstPolicy; see above). Other kinds: false.
  bool runs_every_hour() const;

  // The first fire instant strictly after `after` and >= `start` (the DAG's start
  // date), or nullopt: none; @once whose one fire (at `start`) is not after `after`;
  // a cron schedule with no fire within 10 years.
  std::optional<Instant> next_after(Instant after, const TimeZone& zone, const DstPolicy& dst,
                                    Instant start) const;
  // The last fire instant <= `at` and >= `start`, or nullopt. Agrees exactly with
  // iterating next_after from `start`, within the 10-year bound; as fast when `at` is
  // years after `start`.
  std::optional<Instant> latest_at_or_before(Instant at, const TimeZone& zone,
                                             const DstPolicy& dst, Instant start) const;

  // The parsed cron fields: bit n set when value n matches (day_of_week: 0 = Sunday;
  // day_of_month and month from bit 1). dom_star / dow_star: the field starts with '*'.
  struct Cron {
    uint64_t second = 1;  // 5-field cron: second 0
    uint64_t minute = 0;
    uint32_t hour = 0;
    uint32_t day_of_month = 0;
    uint16_t month = 0;
    uint8_t day_of_week = 0;
    bool dom_star = true;
    bool dow_star = true;
  };
  const Cron& cron() const { return cron_; }

 private:
  Kind kind_ = Kind::none;
  std::string text_;
  Cron cron_;
  std::chrono::seconds every_{0};
};

// The @every duration: "90s", "15m", "1h30m", "2d", "1.5h", "1h 30m", a bare number of
// seconds; at least 1 s, whole seconds. nullopt with `why` set otherwise.
std::optional<std::chrono::seconds> parse_every_duration(std::string_view text, std::string* why);

}  // namespace sluice::scheduler
