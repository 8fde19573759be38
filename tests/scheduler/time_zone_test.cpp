// sluice::scheduler::TimeZone, the instant formats and parse_instant
// (scheduler/time_zone.h): IANA zones from the system tz database, wall times in gaps
// and overlaps, and the text forms of instants.
#include "scheduler/time_zone.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.h"

namespace sluice::scheduler {
namespace {

using namespace std::chrono_literals;
using Kind = TimeZone::Resolved::Kind;

Instant utc(std::string_view text) { return parse_instant(text, TimeZone::utc()); }

LocalTime wall(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return LocalTime{date::local_days{date::year{y} / date::month{mo} / date::day{d}}} +
         std::chrono::seconds{h * 3600 + mi * 60 + s};
}

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

TEST(TimeZone, DefaultAndUtcAreUtc) {
  EXPECT_EQ(TimeZone().name(), "UTC");
  EXPECT_TRUE(TimeZone::utc().is_utc());
  EXPECT_TRUE(TimeZone::locate("UTC").is_utc());
  EXPECT_EQ(TimeZone::utc().offset_at(utc("2026-06-01T00:00:00Z")), 0s);
  EXPECT_EQ(TimeZone::utc().span_at(utc("2026-06-01T00:00:00Z")).offset, 0s);
}

TEST(TimeZone, LocatesIanaNames) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  EXPECT_FALSE(berlin.is_utc());
  EXPECT_EQ(berlin.offset_at(utc("2026-01-15T12:00:00Z")), 1h);
  EXPECT_EQ(berlin.offset_at(utc("2026-07-15T12:00:00Z")), 2h);
  EXPECT_EQ(TimeZone::locate("America/New_York").offset_at(utc("2026-01-15T12:00:00Z")), -5h);
  EXPECT_EQ(TimeZone::locate("Asia/Kolkata").offset_at(utc("2026-01-15T12:00:00Z")), 5h + 30min);
  EXPECT_EQ(TimeZone::locate("Europe/Berlin"), berlin);
}

TEST(TimeZone, UnknownNameIsAUsageErrorNamingIt) {
  EXPECT_EQ(usage_error([] { TimeZone::locate("Mars/Olympus"); }),
            "unknown time zone \"Mars/Olympus\" (IANA name such as Europe/Berlin)");
  EXPECT_EQ(usage_error([] { TimeZone::locate(""); }),
            "unknown time zone \"\" (IANA name such as Europe/Berlin)");
  // Names are case-sensitive; the message points at the right spelling.
  EXPECT_NE(usage_error([] { TimeZone::locate("europe/berlin"); })
                .find("did you mean \"Europe/Berlin\"?"),
            std::string::npos);
}

TEST(TimeZone, ToLocal) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(berlin.to_local(utc("2026-03-29T00:59:59Z")), wall(2026, 3, 29, 1, 59, 59));
  EXPECT_EQ(berlin.to_local(utc("2026-03-29T01:00:00Z")), wall(2026, 3, 29, 3, 0));
  EXPECT_EQ(berlin.to_local(utc("2026-10-25T00:30:00Z")), wall(2026, 10, 25, 2, 30));
  EXPECT_EQ(berlin.to_local(utc("2026-10-25T01:30:00Z")), wall(2026, 10, 25, 2, 30));
  EXPECT_EQ(TimeZone::utc().to_local(utc("2026-10-25T01:30:00Z")), wall(2026, 10, 25, 1, 30));
}

TEST(TimeZone, ResolveUniqueGapAndOverlap) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  auto r = berlin.resolve(wall(2026, 3, 29, 1, 59, 59));
  EXPECT_EQ(r.kind, Kind::unique);
  EXPECT_EQ(r.first, utc("2026-03-29T00:59:59Z"));
  EXPECT_EQ(r.second, r.first);

  // 02:00-02:59 does not exist on 2026-03-29: the gap ends at 03:00 CEST = 01:00Z.
  for (auto lt : {wall(2026, 3, 29, 2, 0), wall(2026, 3, 29, 2, 30), wall(2026, 3, 29, 2, 59, 59)}) {
    r = berlin.resolve(lt);
    EXPECT_EQ(r.kind, Kind::nonexistent);
    EXPECT_EQ(r.first, utc("2026-03-29T01:00:00Z"));
    EXPECT_EQ(r.second, utc("2026-03-29T01:00:00Z"));
  }
  r = berlin.resolve(wall(2026, 3, 29, 3, 0));
  EXPECT_EQ(r.kind, Kind::unique);
  EXPECT_EQ(r.first, utc("2026-03-29T01:00:00Z"));

  // 02:00-02:59 happens twice on 2026-10-25: first in CEST, then in CET.
  r = berlin.resolve(wall(2026, 10, 25, 2, 30));
  EXPECT_EQ(r.kind, Kind::ambiguous);
  EXPECT_EQ(r.first, utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(r.second, utc("2026-10-25T01:30:00Z"));
  EXPECT_EQ(berlin.resolve(wall(2026, 10, 25, 3, 0)).kind, Kind::unique);
  EXPECT_EQ(berlin.resolve(wall(2026, 10, 25, 1, 59, 59)).kind, Kind::unique);

  TimeZone ny = TimeZone::locate("America/New_York");
  r = ny.resolve(wall(2026, 3, 8, 2, 30));
  EXPECT_EQ(r.kind, Kind::nonexistent);
  EXPECT_EQ(r.first, utc("2026-03-08T07:00:00Z"));
  r = ny.resolve(wall(2026, 11, 1, 1, 30));
  EXPECT_EQ(r.kind, Kind::ambiguous);
  EXPECT_EQ(r.first, utc("2026-11-01T05:30:00Z"));
  EXPECT_EQ(r.second, utc("2026-11-01T06:30:00Z"));

  r = TimeZone::utc().resolve(wall(2026, 3, 29, 2, 30));
  EXPECT_EQ(r.kind, Kind::unique);
  EXPECT_EQ(r.first, utc("2026-03-29T02:30:00Z"));
}

TEST(TimeZone, SpanAtIsTheStretchOfOneOffset) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  auto sp = berlin.span_at(utc("2026-06-01T00:00:00Z"));
  EXPECT_EQ(sp.begin, utc("2026-03-29T01:00:00Z"));
  EXPECT_EQ(sp.end, utc("2026-10-25T01:00:00Z"));
  EXPECT_EQ(sp.offset, 2h);
  EXPECT_EQ(berlin.span_at(sp.end).begin, sp.end);
  EXPECT_EQ(berlin.span_at(sp.end).offset, 1h);
  EXPECT_EQ(berlin.span_at(sp.begin - 1s).end, sp.begin);
}

TEST(TimeZone, DstRulesStopAfter2037) {
  // The documented limit of the date library: the zone files' rules for the years after
  // their last explicit transition (2037) are not applied, so summer 2040 stays on CET.
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(berlin.offset_at(utc("2037-07-01T00:00:00Z")), 2h);
  EXPECT_EQ(berlin.offset_at(utc("2040-07-01T00:00:00Z")), 1h);
  EXPECT_EQ(berlin.resolve(wall(2040, 3, 25, 2, 30)).kind, Kind::unique);
}

TEST(TimeZone, Formats) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  Instant t = utc("2026-03-29T01:00:00Z");
  EXPECT_EQ(berlin.format(t), "2026-03-29 03:00:00 CEST (+02:00)");
  EXPECT_EQ(berlin.format(t - 1s), "2026-03-29 01:59:59 CET (+01:00)");
  EXPECT_EQ(TimeZone::utc().format(t), "2026-03-29 01:00:00 UTC (+00:00)");
  EXPECT_EQ(format_utc(t), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_iso(t, berlin), "2026-03-29T03:00:00+02:00");
  EXPECT_EQ(format_iso(t, TimeZone::utc()), "2026-03-29T01:00:00+00:00");
  EXPECT_EQ(format_iso(t, TimeZone::locate("America/New_York")), "2026-03-28T21:00:00-04:00");
  EXPECT_EQ(format_iso(t, TimeZone::locate("Asia/Kathmandu")), "2026-03-29T06:45:00+05:45");
  EXPECT_EQ(format_utc(utc("1999-12-31T23:59:59Z")), "1999-12-31T23:59:59Z");
  EXPECT_EQ(format_offset(-(9h + 30min)), "-09:30");
  EXPECT_EQ(format_offset(53min + 28s), "+00:53:28");
}

TEST(ParseInstant, Forms) {
  TimeZone berlin = TimeZone::locate("Europe/Berlin");
  EXPECT_EQ(parse_instant("2026-01-01", berlin), utc("2025-12-31T23:00:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01", TimeZone::utc()), utc("2026-01-01T00:00:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01T06:30", berlin), utc("2026-01-01T05:30:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01 06:30:00", berlin), utc("2026-01-01T05:30:00Z"));
  EXPECT_EQ(parse_instant("2026-07-01 06:30:15", berlin), utc("2026-07-01T04:30:15Z"));
  EXPECT_EQ(parse_instant("  2026-01-01t06:30  ", berlin), utc("2026-01-01T05:30:00Z"));
  // With an offset the zone plays no part.
  EXPECT_EQ(parse_instant("2026-01-01T06:30:00Z", berlin), utc("2026-01-01T06:30:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01T06:30z", berlin), utc("2026-01-01T06:30:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01T06:30+02:00", berlin), utc("2026-01-01T04:30:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01 06:30:00-05:00", berlin), utc("2026-01-01T11:30:00Z"));
  EXPECT_EQ(parse_instant("2026-01-01T06:30+0530", berlin), utc("2026-01-01T01:00:00Z"));
  // A wall time in the gap means the end of the gap; an ambiguous one the earlier instant.
  EXPECT_EQ(parse_instant("2026-03-29 02:30", berlin), utc("2026-03-29T01:00:00Z"));
  EXPECT_EQ(parse_instant("2026-10-25 02:30", berlin), utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(parse_instant("2024-02-29", TimeZone::utc()), utc("2024-02-29T00:00:00Z"));
  // format_iso round-trips.
  Instant t = utc("2026-10-25T01:30:00Z");
  EXPECT_EQ(parse_instant(format_iso(t, berlin), TimeZone::utc()), t);
  EXPECT_EQ(parse_instant(format_utc(t), berlin), t);
}

TEST(ParseInstant, ErrorsNameTheTextAndTheForms) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {"yesterday", "no date YYYY-MM-DD"},
      {"2026", "no date YYYY-MM-DD"},
      {"2026-1-01", "no date YYYY-MM-DD"},
      {"2026-13-01", "month 13 is out of range 1-12"},
      {"2026-02-29", "day 29 is out of range 1-28 for 2026-02"},
      {"2026-04-31", "day 31 is out of range 1-30"},
      {"2026-01-01T25:00", "hour 25 is out of range 0-23"},
      {"2026-01-01T10:60", "minute 60 is out of range 0-59"},
      {"2026-01-01T10:00:60", "second 60 is out of range 0-59"},
      {"2026-01-01T10", "no time HH:MM"},
      {"2026-01-01X10:00", "unexpected \"X10:00\" after the date"},
      {"2026-01-01T10:00+2", "a UTC offset is +HH:MM"},
      {"2026-01-01T10:00+25:00", "UTC offset out of range"},
      {"2026-01-01T10:00:00.5Z", "unexpected \".5Z\" after the time"},
      {"2026-01-01T10:00ZZ", "after Z"},
      {"2026-01-01T10:00:0", "seconds must be two digits"},
  };
  for (const auto& c : cases) {
    std::string msg = usage_error([&] { parse_instant(c.text, TimeZone::utc()); });
    EXPECT_EQ(msg.rfind("bad time \"" + std::string(c.text) + "\" (", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.why), std::string::npos) << c.text << ": " << msg;
    EXPECT_NE(msg.find("expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS]"),
              std::string::npos)
        << msg;
  }
}

}  // namespace
}  // namespace sluice::scheduler
