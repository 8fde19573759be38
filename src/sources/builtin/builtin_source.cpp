#include "sources/builtin/builtin_source.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/error.h"
#include "common/json_writer.h"
#include "sources/builtin/nationalities.h"

namespace sluice::sources {
namespace {

using builtin::Nationality;

// 2026-11-24T00:00:00Z: ages are computed against this day, not the clock, so that
// output depends on the seed alone.
constexpr int64_t kReferenceMs = 1'795'478'400'000;
constexpr int64_t kMsPerDay = 86'400'000;

// splitmix64: small, fast, and good enough for test data.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) * n >> 32); }
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo)); }
};

// A table string, JSON-escaped once.
struct Text {
  std::string json;   // escaped, without quotes
  std::string ascii;  // for emails and usernames (names only)
};

struct Nat {
  const Nationality* src;
  std::string code, country;
  std::vector<Text> male, female, last, streets, cities, states;
};

const char* const kAdjectives[] = {"big", "small", "purple", "orange", "green", "blue", "red", "yellow",
                                   "heavy", "lazy", "happy", "sad", "crazy", "silver", "golden", "black"};
const char* const kAnimals[] = {"mouse", "cat", "swan", "bird", "butterfly", "tiger", "koala", "elephant",
                                "leopard", "goose", "rabbit", "frog", "fish", "peacock", "wolf", "bear"};
const char* const kPasswords[] = {"lekker", "snowball", "hello", "dragon", "sunshine", "monkey", "letmein",
                                  "shadow", "master", "qwerty", "freedom", "whatever", "trustno1", "pepper"};
struct Tz {
  const char* offset;
  const char* description;
};
const Tz kTimezones[] = {{"-12:00", "Eniwetok, Kwajalein"},
                         {"-10:00", "Hawaii"},
                         {"-8:00", "Pacific Time (US & Canada)"},
                         {"-7:00", "Mountain Time (US & Canada)"},
                         {"-6:00", "Central Time (US & Canada), Mexico City"},
                         {"-5:00", "Eastern Time (US & Canada), Bogota, Lima"},
                         {"-3:00", "Brazil, Buenos Aires, Georgetown"},
                         {"0:00", "Western Europe Time, London, Lisbon, Casablanca"},
                         {"+1:00", "Brussels, Copenhagen, Madrid, Paris"},
                         {"+2:00", "Kaliningrad, South Africa"},
                         {"+3:00", "Baghdad, Riyadh, Moscow, St. Petersburg"},
                         {"+3:30", "Tehran"},
                         {"+5:30", "Bombay, Calcutta, Madras, New Delhi"},
                         {"+8:00", "Beijing, Perth, Singapore, Hong Kong"},
                         {"+9:30", "Adelaide, Darwin"},
                         {"+10:00", "Eastern Australia, Guam, Vladivostok"},
                         {"+12:00", "Auckland, Wellington, Fiji, Kamchatka"}};
constexpr char kHex[] = "0123456789abcdef";
constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::vector<Text> texts(const std::vector<builtin::Name>& names) {
  std::vector<Text> out;
  for (const auto& n : names) {
    Text t;
    append_json_escaped(t.json, n.native);
    t.ascii = std::string(n.ascii);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Text> texts(const std::vector<std::string_view>& items) {
  std::vector<Text> out;
  for (auto s : items) {
    Text t;
    append_json_escaped(t.json, s);
    out.push_back(std::move(t));
  }
  return out;
}

void put_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put_2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// "1981-10-20T18:46:45.926Z" (days to civil date: Howard Hinnant's algorithm).
void put_iso(std::string& out, int64_t ms) {
  int64_t days = ms >= 0 ? ms / kMsPerDay : (ms - kMsPerDay + 1) / kMsPerDay;
  int64_t rem = ms - days * kMsPerDay;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  put_int(out, y);
  out.push_back('-');
  put_2(out, static_cast<int>(m));
  out.push_back('-');
  put_2(out, static_cast<int>(d));
  out.push_back('T');
  put_2(out, static_cast<int>(rem / 3'600'000));
  out.push_back(':');
  put_2(out, static_cast<int>(rem / 60'000 % 60));
  out.push_back(':');
  put_2(out, static_cast<int>(rem / 1000 % 60));
  out.push_back('.');
  int msp = static_cast<int>(rem % 1000);
  out.push_back(static_cast<char>('0' + msp / 100));
  put_2(out, msp % 100);
  out.push_back('Z');
}

// Whole years from `ms` to the reference day.
int64_t age_at_reference(int64_t ms) { return (kReferenceMs - ms) / (kMsPerDay * 36525 / 100); }

// These write into space resized once (push_back per character showed in profiles).
void put_pattern(std::string& out, std::string_view pattern, Rng& rng, bool no_leading_zero = false) {
  size_t at = out.size();
  out.resize(at + pattern.size());
  char* p = out.data() + at;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '#') p[i] = static_cast<char>(i == 0 && no_leading_zero ? '1' + rng.below(9) : '0' + rng.below(10));
    else if (c == 'A') p[i] = static_cast<char>('A' + rng.below(26));
    else p[i] = c;
  }
}

void put_hex(std::string& out, size_t n, Rng& rng) {
  size_t at = out.size();
  out.resize(at + n);
  char* p = out.data() + at;
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = rng.next();
    p[i] = kHex[bits & 0xf];
    bits >>= 4;
  }
}

void put_coord(std::string& out, Rng& rng, int range) {
  int64_t v = static_cast<int64_t>(rng.below(static_cast<uint32_t>(range * 2 * 10000))) - range * 10000;
  if (v < 0) out.push_back('-');
  int64_t a = v < 0 ? -v : v;
  put_int(out, a / 10000);
  out.push_back('.');
  int frac = static_cast<int>(a % 10000);
  put_2(out, frac / 100);
  put_2(out, frac % 100);
}

}  // namespace

struct BuiltinSource::Impl {
  std::vector<Nat> nats;
  Rng rng{0};
  std::string seed_text;

  void user(std::string& out) {
    const Nat& n = nats[rng.below(static_cast<uint32_t>(nats.size()))];
    bool male = rng.next() & 1;
    const Text& first = male ? n.male[rng.below(static_cast<uint32_t>(n.male.size()))]
                             : n.female[rng.below(static_cast<uint32_t>(n.female.size()))];
    const Text& last = n.last[rng.below(static_cast<uint32_t>(n.last.size()))];
    out += male ? R"({"gender":"male","name":{"title":"Mr","first":")" : R"({"gender":"female","name":{"title":")";
    if (!male) {
      if (rng.below(2)) out += "Ms";
      else out += n.src->title_f2;
      out += R"(","first":")";
    }
    out += first.json;
    out += R"(","last":")";
    out += last.json;
    out += R"("},"location":{"street":{"number":)";
    put_int(out, 1 + rng.below(9999));
    out += R"(,"name":")";
    out += n.streets[rng.below(static_cast<uint32_t>(n.streets.size()))].json;
    out += R"("},"city":")";
    out += n.cities[rng.below(static_cast<uint32_t>(n.cities.size()))].json;
    out += R"(","state":")";
    out += n.states[rng.below(static_cast<uint32_t>(n.states.size()))].json;
    out += R"(","country":")";
    out += n.country;
    out += R"(","postcode":)";
    if (n.src->numeric_postcode) {
      put_pattern(out, n.src->postcode, rng, true);
    } else {
      out.push_back('"');
      put_pattern(out, n.src->postcode, rng);
      out.push_back('"');
    }
    out += R"(,"coordinates":{"latitude":")";
    put_coord(out, rng, 90);
    out += R"(","longitude":")";
    put_coord(out, rng, 180);
    const Tz& tz = kTimezones[rng.below(std::size(kTimezones))];
    out += R"("},"timezone":{"offset":")";
    out += tz.offset;
    out += R"(","description":")";
    out += tz.description;
    out += R"("}},"email":")";
    out += first.ascii;
    out.push_back('.');
    out += last.ascii;
    out += R"(@example.com","login":{"uuid":")";
    uint64_t a = rng.next(), b = rng.next();
    a = (a & ~0xf000ull) | 0x4000ull;  // version 4 nibble (hex digit 13 counting from 1)
    b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull;
    for (int i = 0; i < 16; ++i) {
      if (i == 8 || i == 12) out.push_back('-');
      out.push_back(kHex[(a >> (60 - 4 * i)) & 0xf]);
    }
    out.push_back('-');
    for (int i = 0; i < 16; ++i) {
      if (i == 4) out.push_back('-');
      out.push_back(kHex[(b >> (60 - 4 * i)) & 0xf]);
    }
    out += R"(","username":")";
    out += kAdjectives[rng.below(std::size(kAdjectives))];
    out += kAnimals[rng.below(std::size(kAnimals))];
    put_int(out, 100 + rng.below(900));
    out += R"(","password":")";
    out += kPasswords[rng.below(std::size(kPasswords))];
    out += R"(","salt":")";
    for (int i = 0; i < 8; ++i) out.push_back(kAlnum[rng.below(sizeof kAlnum - 1)]);
    out += R"(","md5":")";
    put_hex(out, 32, rng);
    out += R"(","sha1":")";
    put_hex(out, 40, rng);
    out += R"(","sha256":")";
    put_hex(out, 64, rng);
    // Born 1945..2006; registered 2002..2025, after turning 16 at the earliest.
    int64_t dob = rng.between(-786'240'000'000, 1'136'073'600'000);
    int64_t reg_from = std::max<int64_t>(1'009'843'200'000, dob + 16 * 365 * kMsPerDay);
    int64_t reg = rng.between(reg_from, std::max(reg_from + 1, int64_t{1'764'547'200'000}));
    out += R"("},"dob":{"date":")";
    put_iso(out, dob);
    out += R"(","age":)";
    put_int(out, age_at_reference(dob));
    out += R"(},"registered":{"date":")";
    put_iso(out, reg);
    out += R"(","age":)";
    put_int(out, age_at_reference(reg));
    out += R"(},"phone":")";
    put_pattern(out, n.src->phone, rng);
    out += R"(","cell":")";
    put_pattern(out, n.src->cell, rng);
    out += R"(","id":{"name":")";
    out += n.src->id_name;
    if (n.src->id_pattern.empty()) {
      out += R"(","value":null},"picture":{"large":"https://randomuser.me/api/portraits/)";
    } else {
      out += R"(","value":")";
      put_pattern(out, n.src->id_pattern, rng);
      out += R"("},"picture":{"large":"https://randomuser.me/api/portraits/)";
    }
    const char* who = male ? "men/" : "women/";
    char num[4];
    auto r = std::to_chars(num, num + sizeof num, rng.below(100));
    std::string_view pic(num, static_cast<size_t>(r.ptr - num));
    out += who;
    out += pic;
    out += R"(.jpg","medium":"https://randomuser.me/api/portraits/med/)";
    out += who;
    out += pic;
    out += R"(.jpg","thumbnail":"https://randomuser.me/api/portraits/thumb/)";
    out += who;
    out += pic;
    out += R"(.jpg"},"nat":")";
    out += n.code;
    out += R"("})";
  }
};

BuiltinSource::BuiltinSource(BuiltinSourceOptions o) : impl_(new Impl), max_records_(o.max_records) {
  seed_ = o.seed;
  if (seed_ == 0 && getrandom(&seed_, sizeof seed_, 0) != static_cast<ssize_t>(sizeof seed_)) seed_ = 0x5eed;
  if (seed_ == 0) seed_ = 1;
  impl_->rng.s = seed_;
  impl_->seed_text = fmt::format("{:016x}", seed_);
  for (const auto& code : o.nationalities) {
    bool known = false;
    for (const auto& n : builtin::nationalities()) known |= n.code == code;
    if (!known) {
      delete impl_;
      std::string list;
      for (const auto& n : builtin::nationalities()) list += (list.empty() ? "" : ",") + std::string(n.code);
      throw UsageError("builtin.nationalities: unknown nationality \"" + code + "\" (known: " + list + ")");
    }
  }
  for (const auto& n : builtin::nationalities()) {
    if (!o.nationalities.empty() &&
        std::find(o.nationalities.begin(), o.nationalities.end(), std::string(n.code)) == o.nationalities.end())
      continue;
    Nat nat;
    nat.src = &n;
    nat.code = std::string(n.code);
    append_json_escaped(nat.country, n.country);
    nat.male = texts(n.male);
    nat.female = texts(n.female);
    nat.last = texts(n.last);
    nat.streets = texts(n.streets);
    nat.cities = texts(n.cities);
    nat.states = texts(n.states);
    impl_->nats.push_back(std::move(nat));
  }
}

BuiltinSource::~BuiltinSource() { delete impl_; }

bool BuiltinSource::next_batch(uint32_t n, SourceBatch& out) {
  if (stopped_.load()) return false;
  n = std::clamp<uint32_t>(n, 1, 5000);
  {
    std::lock_guard lk(stats_mu_);
    if (max_records_ > 0) {
      if (stats_.records >= max_records_) return false;
      n = static_cast<uint32_t>(std::min<uint64_t>(n, max_records_ - stats_.records));
    }
  }
  std::string& body = out.body;
  body.clear();
  size_t want = static_cast<size_t>(n) * 1400 + 256 + simdjson::SIMDJSON_PADDING;
  if (body.capacity() < want) body.reserve(want);
  body += R"({"results":[)";
  for (uint32_t i = 0; i < n; ++i) {
    if (i) body.push_back(',');
    impl_->user(body);
  }
  ++page_;
  body += R"(],"info":{"seed":")";
  body += impl_->seed_text;
  body += R"(","results":)";
  put_int(body, n);
  body += R"(,"page":)";
  put_int(body, static_cast<int64_t>(page_));
  body += R"(,"version":"1.4"}})";
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  out.results = n;
  std::lock_guard lk(stats_mu_);
  ++stats_.requests;
  ++stats_.batches;
  stats_.records += n;
  stats_.bytes += body.size();
  return true;
}

SourceStats BuiltinSource::stats() const {
  std::lock_guard lk(stats_mu_);
  return stats_;
}

std::string BuiltinSource::describe() const { return fmt::format("builtin generator (seed {})", seed_); }

std::vector<std::string> BuiltinSource::known_nationalities() {
  std::vector<std::string> out;
  for (const auto& n : builtin::nationalities()) out.emplace_back(n.code);
  return out;
}

}  // namespace sluice::sources
