// TimeZone (IANA zones through the date library's view of /usr/share/zoneinfo), the
// instant formats of the scheduler, and parse_instant. The text is parsed by hand:
// date::parse trips a GCC 12 -Werror warning, and the accepted forms are few.
#include "scheduler/time_zone.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <string>

#include "common/error.h"

namespace sluice::scheduler {
namespace {

using std::chrono::seconds;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const date::tzdb& tz_database() {
  try {
    return date::get_tzdb();
  } catch (const std::exception& e) {
    throw FatalError(std::string("cannot read the time zone database (/usr/share/zoneinfo, "
                                 "Debian package tzdata): ") +
                     e.what());
  }
}

// A wall time split into its fields.
struct Civil {
  int year, month, day, hour, minute, second;
};

Civil civil(date::local_seconds lt) {
  auto dp = date::floor<date::days>(lt);
  date::year_month_day ymd{dp};
  auto s = (lt - dp).count();
  return {int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())),
          int(s / 3600), int(s / 60 % 60), int(s % 60)};
}

// "2026-03-29<sep>03:00:00".
std::string civil_text(date::local_seconds lt, char sep) {
  Civil c = civil(lt);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d", c.year, c.month, c.day, sep,
                c.hour, c.minute, c.second);
  return buf;
}

// --- parse_instant -------------------------------------------------------------------

constexpr const char* kInstantForms =
    "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or YYYY-MM-DD HH:MM[:SS], optionally "
    "followed by Z or a UTC offset such as +02:00";

[[noreturn]] void bad_instant(std::string_view text, const std::string& why) {
  throw UsageError("bad time \"" + std::string(text) + "\" (" + why + "): " + kInstantForms);
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // Exactly `n` digits, or -1.
  int digits(int n) {
    int v = 0;
    for (int k = 0; k < n; ++k) {
      if (done() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return -1;
      v = v * 10 + (s_[i_++] - '0');
    }
    return v;
  }
  std::string_view rest() const { return s_.substr(i_); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

// --- TimeZone ------------------------------------------------------------------------

TimeZone::TimeZone() = default;

TimeZone::TimeZone(const date::time_zone* zone, std::string name)
    : zone_(zone), name_(std::move(name)) {}

TimeZone TimeZone::utc() { return TimeZone(); }

TimeZone TimeZone::locate(std::string_view name) {
  if (equal_ignoring_case(name, "UTC")) return utc();
  const date::tzdb& db = tz_database();
  for (const auto& z : db.zones) {
    if (z.name() == name) return TimeZone(&z, z.name());
  }
  std::string msg = "unknown time zone \"" + std::string(name) +
                    "\" (IANA name such as Europe/Berlin";
  for (const auto& z : db.zones) {
    if (equal_ignoring_case(z.name(), name)) {
      msg += "; names are case-sensitive: did you mean \"" + z.name() + "\"?";
      break;
    }
  }
  throw UsageError(msg + ")");
}

LocalTime TimeZone::to_local(Instant t) const {
  if (!zone_) return LocalTime{t.time_since_epoch()};
  return zone_->to_local(t);
}

std::chrono::seconds TimeZone::offset_at(Instant t) const {
  if (!zone_) return seconds{0};
  return zone_->get_info(t).offset;
}

TimeZone::Resolved TimeZone::resolve(LocalTime lt) const {
  Resolved r;
  if (!zone_) {
    r.first = r.second = Instant{lt.time_since_epoch()};
    return r;
  }
  date::local_info li = zone_->get_info(lt);
  switch (li.result) {
    case date::local_info::unique:
      r.kind = Resolved::Kind::unique;
      r.first = r.second = Instant{lt.time_since_epoch() - li.first.offset};
      break;
    case date::local_info::nonexistent:
      r.kind = Resolved::Kind::nonexistent;
      r.first = r.second = li.second.begin;
      break;
    case date::local_info::ambiguous:
      r.kind = Resolved::Kind::ambiguous;
      r.first = Instant{lt.time_since_epoch() - li.first.offset};
      r.second = Instant{lt.time_since_epoch() - li.second.offset};
      break;
  }
  return r;
}

TimeZone::Span TimeZone::span_at(Instant t) const {
  if (!zone_) {
    return {date::sys_days{date::year::min() / 1 / 1}, date::sys_days{date::year::max() / 12 / 31},
            seconds{0}};
  }
  date::sys_info info = zone_->get_info(t);
  return {info.begin, info.end, info.offset};
}

std::string TimeZone::format(Instant t) const {
  std::string abbrev = "UTC";
  seconds offset{0};
  if (zone_) {
    date::sys_info info = zone_->get_info(t);
    abbrev = info.abbrev;
    offset = info.offset;
  }
  return civil_text(LocalTime{(t + offset).time_since_epoch()}, ' ') + " " + abbrev + " (" +
         format_offset(offset) + ")";
}

// --- free functions ------------------------------------------------------------------

std::string format_offset(std::chrono::seconds offset) {
  long long s = offset.count();
  char sign = s < 0 ? '-' : '+';
  if (s < 0) s = -s;
  char buf[48];
  if (s % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%c%02lld:%02lld:%02lld", sign, s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", sign, s / 3600, s / 60 % 60);
  }
  return buf;
}

std::string format_utc(Instant t) {
  return civil_text(LocalTime{t.time_since_epoch()}, 'T') + "Z";
}

std::string format_iso(Instant t, const TimeZone& zone) {
  seconds offset = zone.offset_at(t);
  return civil_text(LocalTime{(t + offset).time_since_epoch()}, 'T') + format_offset(offset);
}

Instant parse_instant(std::string_view text, const TimeZone& zone) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) bad_instant(text, "empty");

  Cursor c(s);
  int y = c.digits(4);
  if (y < 0 || !c.eat('-')) bad_instant(text, "no date YYYY-MM-DD at the start");
  int mo = c.digits(2);
  if (mo < 0 || !c.eat('-')) bad_instant(text, "no date YYYY-MM-DD at the start");
  int d = c.digits(2);
  if (d < 0) bad_instant(text, "no date YYYY-MM-DD at the start");
  if (mo < 1 || mo > 12) bad_instant(text, "month " + std::to_string(mo) + " is out of range 1-12");
  date::year_month_day ymd{date::year{y}, date::month(unsigned(mo)), date::day(unsigned(d))};
  if (!ymd.ok()) {
    unsigned last = unsigned((date::year{y} / date::month(unsigned(mo)) / date::last).day());
    bad_instant(text, "day " + std::to_string(d) + " is out of range 1-" + std::to_string(last) +
                          " for " + std::string(s.substr(0, 7)));
  }
  seconds tod{0};
  bool has_time = false;
  if (!c.done()) {
    if (!(c.eat('T') || c.eat('t') || c.eat(' '))) {
      bad_instant(text, "unexpected \"" + std::string(c.rest()) + "\" after the date");
    }
    has_time = true;
    int h = c.digits(2);
    if (h < 0 || !c.eat(':')) bad_instant(text, "no time HH:MM after the date");
    int mi = c.digits(2);
    if (mi < 0) bad_instant(text, "no time HH:MM after the date");
    int se = 0;
    if (c.eat(':')) {
      se = c.digits(2);
      if (se < 0) bad_instant(text, "seconds must be two digits");
    }
    if (h > 23) bad_instant(text, "hour " + std::to_string(h) + " is out of range 0-23");
    if (mi > 59) bad_instant(text, "minute " + std::to_string(mi) + " is out of range 0-59");
    if (se > 59) bad_instant(text, "second " + std::to_string(se) + " is out of range 0-59");
    tod = seconds{h * 3600 + mi * 60 + se};
  }
  LocalTime wall = LocalTime{date::local_days{ymd}} + tod;
  if (c.done()) {
    TimeZone::Resolved r = zone.resolve(wall);
    return r.first;  // unique; the end of a gap; the earlier of two
  }
  if (!has_time) bad_instant(text, "an offset needs a time");
  if (c.eat('Z') || c.eat('z')) {
    if (!c.done()) bad_instant(text, "unexpected \"" + std::string(c.rest()) + "\" after Z");
    return Instant{wall.time_since_epoch()};
  }
  int sign = c.eat('+') ? 1 : c.eat('-') ? -1 : 0;
  if (sign == 0) bad_instant(text, "unexpected \"" + std::string(c.rest()) + "\" after the time");
  int oh = c.digits(2);
  c.eat(':');
  int om = c.digits(2);
  if (oh < 0 || om < 0 || !c.done()) bad_instant(text, "a UTC offset is +HH:MM or -HH:MM");
  if (oh > 23 || om > 59) bad_instant(text, "UTC offset out of range");
  seconds offset{sign * (oh * 3600 + om * 60)};
  return Instant{wall.time_since_epoch() - offset};
}

}  // namespace sluice::scheduler
