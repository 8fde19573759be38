// Schedule: parsing of cron expressions, presets, @once, @every and none, and the fire
// searches. The semantics (DST, the Vixie day rule, the 10-year bound) are in
// schedule.h; this file is how.
//
// How a cron search works. The zone's time line is cut into spans of constant UTC offset
// (TimeZone::span_at). Inside one span, wall time = instant + offset is monotonic, so the
// next (previous) matching wall time, found by stepping the fields on the civil calendar
// (next_match / prev_match), gives the next (previous) regular fire of the span. What the
// DST policy changes happens at the edges of spans:
//   - the start of a span that follows a forward jump (spring-forward) fires, under
//     run_at_end, when some matching wall time lies in the jumped-over stretch;
//   - the start of a span that follows a backward jump shows again wall times the
//     previous span already showed; under once those second occurrences are passed over
//     (they form a prefix of the span).
// Schedules that match every hour use neither rule: their fires are exactly the instants
// whose wall time matches.
#include "scheduler/schedule.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/units.h"

namespace sluice::scheduler {
namespace {

using std::chrono::seconds;

// ---- parsing ------------------------------------------------------------------------

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldSpec {
  const char* name;
  int lo, hi;
  const char* const* names;  // nullptr: numbers only
  int names_count;
  int names_base;  // value of names[0]
  const char* names_range;
};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0, 0, ""};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0, 0, ""};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0, 0, ""};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0, 0, ""};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 12, 1, "JAN-DEC"};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, kDayNames, 7, 0, "SUN-SAT"};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool all_alpha(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c));
  });
}

// Parses one field; throws UsageError(prefix + field name + what is wrong).
class FieldParser {
 public:
  FieldParser(std::string_view schedule, const FieldSpec& spec) : spec_(spec) {
    prefix_ = "schedule " + quoted(schedule) + ": " + spec.name + " field: ";
  }

  uint64_t parse(std::string_view field) const {
    uint64_t bits = 0;
    size_t pos = 0;
    while (true) {
      size_t comma = field.find(',', pos);
      std::string_view item =
          field.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      if (item.empty()) fail("empty item in the list " + quoted(field));
      bits |= parse_item(item);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    return bits;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const { throw UsageError(prefix_ + why); }

  std::string range_text() const {
    return std::to_string(spec_.lo) + "-" + std::to_string(spec_.hi);
  }

  int value(std::string_view v, std::string_view item) const {
    if (v.empty()) fail("bad range " + quoted(item) + " (a value is missing)");
    if (all_digits(v)) {
      if (v.size() > 4) fail(std::string(v) + " is out of range " + range_text());
      int n = 0;
      for (char c : v) n = n * 10 + (c - '0');
      if (n < spec_.lo || n > spec_.hi) fail(std::to_string(n) + " is out of range " + range_text());
      return n;
    }
    if (spec_.names && all_alpha(v)) {
      std::string u = upper(v);
      for (int i = 0; i < spec_.names_count; ++i) {
        if (u == spec_.names[i]) return spec_.names_base + i;
      }
      fail("unknown name " + quoted(v) + " (" + spec_.names_range + ")");
    }
    if (spec_.names) {
      fail(quoted(v) + " is neither a number " + range_text() + " nor a name " + spec_.names_range);
    }
    fail(quoted(v) + " is not a number " + range_text());
  }

  uint64_t parse_item(std::string_view item) const {
    std::string_view base = item;
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      std::string_view s = item.substr(slash + 1);
      int max_step = spec_.hi;
      if (!all_digits(s)) {
        fail("bad step " + quoted(s) + " in " + quoted(item) + " (a number 1-" +
             std::to_string(max_step) + ")");
      }
      if (s.size() > 4 || std::stoi(std::string(s)) < 1 || std::stoi(std::string(s)) > max_step) {
        fail("step " + std::string(s) + " in " + quoted(item) + " is out of range 1-" +
             std::to_string(max_step));
      }
      step = std::stoi(std::string(s));
      has_step = true;
      if (base.empty()) fail("bad step " + quoted(item) + " (a step follows *, a value or a range)");
    }
    int lo = 0, hi = 0;
    bool is_dow = &spec_ == &kDayOfWeek;
    if (base == "*") {
      lo = spec_.lo;
      hi = is_dow ? 6 : spec_.hi;
    } else if (size_t dash = base.find('-'); dash != std::string_view::npos) {
      lo = value(base.substr(0, dash), item);
      hi = value(base.substr(dash + 1), item);
      if (is_dow && hi == 0 && lo > 0) hi = 7;  // FRI-SUN, 5-0: up to Sunday
      if (lo > hi) {
        fail("range " + std::string(base) + " is reversed (the start must not be after the end)");
      }
    } else {
      lo = value(base, item);
      hi = has_step ? (is_dow ? 6 : spec_.hi) : lo;
    }
    uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << (is_dow && v == 7 ? 0 : v);
    return bits;
  }

  const FieldSpec& spec_;
  std::string prefix_;
};

constexpr const char* kPresets =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @once, "
    "@every <duration>";

constexpr const char* kDurationForms = "such as 90s, 15m, 1h30m or 2d";

// ---- field stepping on the civil calendar --------------------------------------------

// Smallest set bit >= from, or -1.
int next_bit(uint64_t mask, int from) {
  if (from > 63) return -1;
  uint64_t m = mask >> from;
  return m == 0 ? -1 : from + std::countr_zero(m);
}

// Largest set bit <= from, or -1.
int prev_bit(uint64_t mask, int from) {
  if (from < 0) return -1;
  uint64_t m = from >= 63 ? mask : mask & ((uint64_t{2} << from) - 1);
  return m == 0 ? -1 : 63 - std::countl_zero(m);
}

bool day_matches(const Schedule::Cron& c, date::local_days dn) {
  date::year_month_day ymd{dn};
  bool dom = (c.day_of_month >> unsigned(ymd.day())) & 1;
  bool dow = (c.day_of_week >> date::weekday{dn}.c_encoding()) & 1;
  return (c.dom_star || c.dow_star) ? (dom && dow) : (dom || dow);
}

LocalTime at(date::local_days dn, int h, int m, int s) {
  return LocalTime{dn} + seconds{h * 3600 + m * 60 + s};
}

// The smallest matching wall time >= from, or nullopt when it would be on a day after
// `last_day`.
std::optional<LocalTime> next_match(const Schedule::Cron& c, LocalTime from,
                                    date::local_days last_day) {
  date::local_days dn = date::floor<date::days>(from);
  auto sod = (from - dn).count();
  int h = int(sod / 3600), mi = int(sod / 60 % 60), s = int(sod % 60);
  while (dn <= last_day) {
    date::year_month_day ymd{dn};
    int mo = int(unsigned(ymd.month()));
    if (!((c.month >> mo) & 1)) {  // the first day of the next matching month
      int y = int(ymd.year());
      int nm = next_bit(c.month, mo + 1);
      if (nm < 0) {
        ++y;
        nm = next_bit(c.month, 1);
      }
      dn = date::local_days{date::year{y} / date::month(unsigned(nm)) / 1};
      h = mi = s = 0;
      continue;
    }
    if (!day_matches(c, dn)) {
      dn += date::days{1};
      h = mi = s = 0;
      continue;
    }
    int nh = next_bit(c.hour, h);
    if (nh < 0) {
      dn += date::days{1};
      h = mi = s = 0;
      continue;
    }
    if (nh != h) {
      h = nh;
      mi = s = 0;
    }
    int nmi = next_bit(c.minute, mi);
    if (nmi < 0) {  // the next hour
      mi = s = 0;
      if (++h > 23) {
        h = 0;
        dn += date::days{1};
      }
      continue;
    }
    if (nmi != mi) {
      mi = nmi;
      s = 0;
    }
    int ns = next_bit(c.second, s);
    if (ns < 0) {  // the next minute
      s = 0;
      if (++mi > 59) {
        mi = 0;
        if (++h > 23) {
          h = 0;
          dn += date::days{1};
        }
      }
      continue;
    }
    return at(dn, h, mi, ns);
  }
  return std::nullopt;
}

// The largest matching wall time <= from, or nullopt when it would be on a day before
// `first_day`.
std::optional<LocalTime> prev_match(const Schedule::Cron& c, LocalTime from,
                                    date::local_days first_day) {
  date::local_days dn = date::floor<date::days>(from);
  auto sod = (from - dn).count();
  int h = int(sod / 3600), mi = int(sod / 60 % 60), s = int(sod % 60);
  auto end_of_previous_day = [&] {
    dn -= date::days{1};
    h = 23;
    mi = s = 59;
  };
  while (dn >= first_day) {
    date::year_month_day ymd{dn};
    int mo = int(unsigned(ymd.month()));
    if (!((c.month >> mo) & 1)) {  // the last day of the previous matching month
      int y = int(ymd.year());
      int pm = prev_bit(c.month, mo - 1);
      if (pm < 1) {
        --y;
        pm = prev_bit(c.month, 12);
      }
      dn = date::local_days{date::year{y} / date::month(unsigned(pm)) / date::last};
      h = 23;
      mi = s = 59;
      continue;
    }
    if (!day_matches(c, dn)) {
      end_of_previous_day();
      continue;
    }
    int ph = prev_bit(c.hour, h);
    if (ph < 0) {
      end_of_previous_day();
      continue;
    }
    if (ph != h) {
      h = ph;
      mi = s = 59;
    }
    int pmi = prev_bit(c.minute, mi);
    if (pmi < 0) {  // the end of the previous hour
      if (h == 0) {
        end_of_previous_day();
      } else {
        --h;
        mi = s = 59;
      }
      continue;
    }
    if (pmi != mi) {
      mi = pmi;
      s = 59;
    }
    int ps = prev_bit(c.second, s);
    if (ps < 0) {  // the end of the previous minute
      s = 59;
      if (mi > 0) {
        --mi;
      } else if (h > 0) {
        mi = 59;
        --h;
      } else {
        end_of_previous_day();
      }
      continue;
    }
    return at(dn, h, pmi, ps);
  }
  return std::nullopt;
}

// ---- the DST-aware searches --------------------------------------------------------

// 10 years (of 365.2425 days).
constexpr seconds kHorizon = std::chrono::duration_cast<seconds>(date::years{10});
// Fires exist within years 0001-9999 only (keeps the arithmetic far from overflow).
const Instant kFirstInstant = date::sys_days{date::year{1} / 1 / 1};
const Instant kLastInstant = date::sys_days{date::year{10000} / 1 / 1} - seconds{1};

struct Rules {
  bool gap_fires;         // a matching wall time in a forward jump fires at its end
  bool skip_second_time;  // a repeated wall time fires at its first occurrence only
};

LocalTime wall(Instant t, seconds offset) { return LocalTime{(t + offset).time_since_epoch()}; }
Instant instant(LocalTime lt, seconds offset) {
  return Instant{lt.time_since_epoch() - offset};
}

// Whether some matching wall time lies in the forward jump just before the span `sp`.
bool gap_has_match(const Schedule::Cron& c, const TimeZone& zone, const TimeZone::Span& sp) {
  if (sp.begin <= kFirstInstant) return false;
  TimeZone::Span prev = zone.span_at(sp.begin - seconds{1});
  if (prev.offset >= sp.offset) return false;
  LocalTime g0 = wall(sp.begin, prev.offset), g1 = wall(sp.begin, sp.offset);  // [g0, g1) skipped
  auto m = next_match(c, g0, date::floor<date::days>(g1));
  return m && *m < g1;
}

// Whether `ti`, an instant whose wall time is `lt`, shows that wall time for the second
// time.
bool second_occurrence(const TimeZone& zone, LocalTime lt, Instant ti) {
  TimeZone::Resolved r = zone.resolve(lt);
  return r.kind == TimeZone::Resolved::Kind::ambiguous && r.first != r.second && ti == r.second;
}

// The first fire in [from, upper].
std::optional<Instant> cron_next(const Schedule::Cron& c, const TimeZone& zone, Rules rules,
                                 Instant from, Instant upper) {
  Instant t = from;
  while (t <= upper) {
    TimeZone::Span sp = zone.span_at(t);
    if (rules.gap_fires && t == sp.begin && gap_has_match(c, zone, sp)) return t;
    Instant stop = std::min(sp.end, upper + seconds{1});  // this span: [t, stop)
    date::local_days last_day = date::floor<date::days>(wall(stop - seconds{1}, sp.offset));
    LocalTime look = wall(t, sp.offset);
    while (auto m = next_match(c, look, last_day)) {
      Instant ti = instant(*m, sp.offset);
      if (ti >= stop) break;
      if (rules.skip_second_time && second_occurrence(zone, *m, ti)) {
        // The span's first instants repeat the wall times of the previous span: go on
        // from the first wall time the previous span did not show.
        TimeZone::Span prev = zone.span_at(sp.begin - seconds{1});
        look = std::max(wall(sp.begin, prev.offset), *m + seconds{1});
        continue;
      }
      return ti;
    }
    if (sp.end > upper) break;
    t = sp.end;
  }
  return std::nullopt;
}

// The last fire in [lower, at].
std::optional<Instant> cron_prev(const Schedule::Cron& c, const TimeZone& zone, Rules rules,
                                 Instant at, Instant lower) {
  Instant t = at;
  while (t >= lower) {
    TimeZone::Span sp = zone.span_at(t);
    Instant floor = std::max(sp.begin, lower);  // this span: [floor, t]
    date::local_days first_day = date::floor<date::days>(wall(floor, sp.offset));
    if (auto m = prev_match(c, wall(t, sp.offset), first_day)) {
      Instant ti = instant(*m, sp.offset);
      // A second occurrence lies in the span's repeated prefix, and so does everything
      // before it in this span: no regular fire here then.
      if (ti >= floor && !(rules.skip_second_time && second_occurrence(zone, *m, ti))) return ti;
    }
    if (sp.begin < lower) break;
    if (rules.gap_fires && gap_has_match(c, zone, sp)) return sp.begin;
    t = sp.begin - seconds{1};
  }
  return std::nullopt;
}

}  // namespace

std::optional<seconds> parse_every_duration(std::string_view text, std::string* why) {
  auto fail = [&](std::string w) -> std::optional<seconds> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  std::string_view s = trim(text);
  if (s.empty()) return fail(std::string("a duration is missing (") + kDurationForms + ")");
  int64_t total_ms = 0;
  if (all_digits(s)) {  // a bare number: seconds
    auto d = parse_duration(s);
    if (!d) return fail(quoted(s) + " is not a duration (" + kDurationForms + ")");
    total_ms = d->count();
  } else {
    size_t i = 0;
    while (i < s.size()) {
      size_t begin = i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      size_t unit = i;
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      auto d = (unit > begin && i > unit) ? parse_duration(s.substr(begin, i - begin))
                                          : std::nullopt;
      if (!d) return fail(quoted(s) + " is not a duration (" + kDurationForms + ")");
      total_ms += d->count();
      if (total_ms > int64_t{100} * 366 * 86'400'000) {
        return fail(quoted(s) + " is too long (at most 100 years)");
      }
      while (i < s.size() && s[i] == ' ') ++i;
    }
  }
  if (total_ms < 1000) return fail(quoted(s) + " is below 1 s");
  if (total_ms % 1000 != 0) return fail(quoted(s) + " is not a whole number of seconds");
  return seconds{total_ms / 1000};
}

Schedule::Schedule() = default;

Schedule Schedule::parse(std::string_view text) {
  Schedule out;
  out.text_ = std::string(text);
  std::string_view s = trim(text);
  const std::string prefix = "schedule " + quoted(text) + ": ";
  if (s.empty() || lower(s) == "none") return out;  // Kind::none

  if (s.front() == '@') {
    size_t space = s.find_first_of(" \t");
    std::string word = lower(s.substr(0, space));
    std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(s.substr(space));
    if (word == "@every") {
      if (rest.empty()) {
        throw UsageError(prefix + "@every needs a duration (" + kDurationForms + ")");
      }
      std::string why;
      auto d = parse_every_duration(rest, &why);
      if (!d) throw UsageError(prefix + "@every duration " + why);
      out.kind_ = Kind::every;
      out.every_ = *d;
      return out;
    }
    std::string_view expansion;
    if (word == "@yearly" || word == "@annually") expansion = "0 0 1 1 *";
    else if (word == "@monthly") expansion = "0 0 1 * *";
    else if (word == "@weekly") expansion = "0 0 * * 0";
    else if (word == "@daily" || word == "@midnight") expansion = "0 0 * * *";
    else if (word == "@hourly") expansion = "0 * * * *";
    else if (word == "@once") expansion = "";
    else throw UsageError(prefix + "unknown preset " + quoted(word) + " (" + kPresets + ")");
    if (!rest.empty()) {
      throw UsageError(prefix + word + " takes no argument (got " + quoted(rest) + ")");
    }
    if (word == "@once") {
      out.kind_ = Kind::once;
      return out;
    }
    Schedule cron = parse(expansion);
    cron.text_ = out.text_;
    return cron;
  }

  std::vector<std::string_view> fields;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t begin = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > begin) fields.push_back(s.substr(begin, i - begin));
  }
  if (fields.size() != 5 && fields.size() != 6) {
    throw UsageError(prefix + "expected 5 fields (minute hour day-of-month month day-of-week) or 6 "
                     "(second first), got " + std::to_string(fields.size()) + "; or a preset (" +
                     kPresets + ") or none");
  }
  size_t f = 0;
  Cron& c = out.cron_;
  c.second = fields.size() == 6 ? FieldParser(text, kSecond).parse(fields[f++]) : uint64_t{1};
  c.minute = FieldParser(text, kMinute).parse(fields[f++]);
  c.hour = uint32_t(FieldParser(text, kHour).parse(fields[f++]));
  c.dom_star = fields[f].front() == '*';
  c.day_of_month = uint32_t(FieldParser(text, kDayOfMonth).parse(fields[f++]));
  c.month = uint16_t(FieldParser(text, kMonth).parse(fields[f++]));
  c.dow_star = fields[f].front() == '*';
  c.day_of_week = uint8_t(FieldParser(text, kDayOfWeek).parse(fields[f++]));
  out.kind_ = Kind::cron;
  return out;
}

bool Schedule::runs_every_hour() const {
  return kind_ == Kind::cron && cron_.hour == (uint32_t{1} << 24) - 1;
}

std::optional<Instant> Schedule::next_after(Instant after, const TimeZone& zone,
                                            const DstPolicy& dst, Instant start) const {
  if (after >= kLastInstant) return std::nullopt;
  switch (kind_) {
    case Kind::none:
      return std::nullopt;
    case Kind::once:
      if (start > after) return start;
      return std::nullopt;
    case Kind::every: {
      if (start > after) return start;
      auto k = (after - start) / every_ + 1;
      return start + k * every_;
    }
    case Kind::cron: {
      Instant from = std::max({after + seconds{1}, start, kFirstInstant});
      Rules rules{false, false};
      if (!runs_every_hour()) {
        rules = {dst.gap == DstPolicy::Gap::run_at_end, dst.overlap == DstPolicy::Overlap::once};
      }
      return cron_next(cron_, zone, rules, from, std::min(from + kHorizon, kLastInstant));
    }
  }
  return std::nullopt;
}

std::optional<Instant> Schedule::latest_at_or_before(Instant at, const TimeZone& zone,
                                                     const DstPolicy& dst, Instant start) const {
  if (at < start || at < kFirstInstant) return std::nullopt;
  switch (kind_) {
    case Kind::none:
      return std::nullopt;
    case Kind::once:
      return start;
    case Kind::every:
      return start + (at - start) / every_ * every_;
    case Kind::cron: {
      Instant to = std::min(at, kLastInstant);
      Rules rules{false, false};
      if (!runs_every_hour()) {
        rules = {dst.gap == DstPolicy::Gap::run_at_end, dst.overlap == DstPolicy::Overlap::once};
      }
      return cron_prev(cron_, zone, rules, to, std::max({start, to - kHorizon, kFirstInstant}));
    }
  }
  return std::nullopt;
}

}  // namespace sluice::scheduler
