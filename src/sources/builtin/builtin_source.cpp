#include "sources/builtin/builtin_source.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/copy_bytes.h"
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

// A table string: as is, JSON-escaped once, and the ASCII form (names only).
struct Text {
  std::string text;
  std::string json;   // escaped, without quotes
  std::string ascii;  // for emails and usernames (names only)
};

struct Nat {
  const Nationality* src;
  std::string code;
  Text country;
  std::vector<Text> male, female, last, streets, cities, states;
  int postcode_draws, phone_draws, cell_draws, id_draws;  // random characters in each pattern
};

constexpr std::string_view kAdjectives[] = {"big", "small", "purple", "orange", "green", "blue", "red", "yellow",
                                   "heavy", "lazy", "happy", "sad", "crazy", "silver", "golden", "black"};
constexpr std::string_view kAnimals[] = {"mouse", "cat", "swan", "bird", "butterfly", "tiger", "koala", "elephant",
                                "leopard", "goose", "rabbit", "frog", "fish", "peacock", "wolf", "bear"};
constexpr std::string_view kPasswords[] = {"lekker", "snowball", "hello", "dragon", "sunshine", "monkey", "letmein",
                                  "shadow", "master", "qwerty", "freedom", "whatever", "trustno1", "pepper"};
struct Tz {
  std::string_view offset;
  std::string_view description;
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

Text make_text(std::string_view native, std::string_view ascii = {}) {
  Text t;
  t.text = std::string(native);
  append_json_escaped(t.json, native);
  t.ascii = std::string(ascii);
  return t;
}

std::vector<Text> texts(const std::vector<builtin::Name>& names) {
  std::vector<Text> out;
  for (const auto& n : names) out.push_back(make_text(n.native, n.ascii));
  return out;
}

std::vector<Text> texts(const std::vector<std::string_view>& items) {
  std::vector<Text> out;
  for (auto s : items) out.push_back(make_text(s));
  return out;
}

// The formatting helpers write at `p` and return the end of what they wrote.
char* put_int(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

char* put_2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// "1981-10-20T18:46:45.926Z" (days to civil date: Howard Hinnant's algorithm).
char* put_iso(char* p, int64_t ms) {
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
  p = put_int(p, y);
  *p++ = '-';
  p = put_2(p, static_cast<int>(m));
  *p++ = '-';
  p = put_2(p, static_cast<int>(d));
  *p++ = 'T';
  p = put_2(p, static_cast<int>(rem / 3'600'000));
  *p++ = ':';
  p = put_2(p, static_cast<int>(rem / 60'000 % 60));
  *p++ = ':';
  p = put_2(p, static_cast<int>(rem / 1000 % 60));
  *p++ = '.';
  int msp = static_cast<int>(rem % 1000);
  *p++ = static_cast<char>('0' + msp / 100);
  p = put_2(p, msp % 100);
  *p++ = 'Z';
  return p;
}

// Whole years from `ms` to the reference day.
int64_t age_at_reference(int64_t ms) { return (kReferenceMs - ms) / (kMsPerDay * 36525 / 100); }

int random_chars(std::string_view pattern) {
  return static_cast<int>(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c == '#' || c == 'A'; }));
}

char* put_pattern(char* p, std::string_view pattern, Rng& rng, bool no_leading_zero = false) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '#') *p++ = static_cast<char>(i == 0 && no_leading_zero ? '1' + rng.below(9) : '0' + rng.below(10));
    else if (c == 'A') *p++ = static_cast<char>('A' + rng.below(26));
    else *p++ = c;
  }
  return p;
}

// The random draws put_hex() makes for `n` digits (16 a draw).
constexpr int hex_draws(size_t n) { return static_cast<int>((n + 15) / 16); }

char* put_hex(char* p, size_t n, Rng& rng) {
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = rng.next();
    *p++ = kHex[bits & 0xf];
    bits >>= 4;
  }
  return p;
}

char* put_coord(char* p, Rng& rng, int range) {
  int64_t v = static_cast<int64_t>(rng.below(static_cast<uint32_t>(range * 2 * 10000))) - range * 10000;
  if (v < 0) *p++ = '-';
  int64_t a = v < 0 ? -v : v;
  p = put_int(p, a / 10000);
  *p++ = '.';
  int frac = static_cast<int>(a % 10000);
  p = put_2(p, frac / 100);
  return put_2(p, frac % 100);
}

char* put(char* p, std::string_view s) { return copy_bytes(p, s); }

void skip(Rng& rng, int draws) {
  for (int i = 0; i < draws; ++i) rng.next();
}

// The leaves of a user record, in the API's order, and their paths.
enum Leaf : uint8_t {
  kGender, kTitle, kFirst, kLast, kStreetNumber, kStreetName, kCity, kState, kCountry, kPostcode, kLatitude,
  kLongitude, kTzOffset, kTzDescription, kEmail, kUuid, kUsername, kPassword, kSalt, kMd5, kSha1, kSha256, kDob,
  kDobAge, kRegistered, kRegisteredAge, kPhone, kCell, kIdName, kIdValue, kPictureLarge, kPictureMedium,
  kPictureThumbnail, kNat, kLeafCount
};
constexpr std::string_view kLeafPaths[kLeafCount] = {
    "gender", "name.title", "name.first", "name.last", "location.street.number", "location.street.name",
    "location.city", "location.state", "location.country", "location.postcode", "location.coordinates.latitude",
    "location.coordinates.longitude", "location.timezone.offset", "location.timezone.description", "email",
    "login.uuid", "login.username", "login.password", "login.salt", "login.md5", "login.sha1", "login.sha256",
    "dob.date", "dob.age", "registered.date", "registered.age", "phone", "cell", "id.name", "id.value",
    "picture.large", "picture.medium", "picture.thumbnail", "nat"};
constexpr uint64_t kAllLeaves = (uint64_t{1} << kLeafCount) - 1;

// One generated user: every leaf's text, views into the tables or into `buf`. Leaves
// left out of the `need` mask it was generated with keep the previous user's views
// (their random draws were still made, so the next user is the same either way).
struct User {
  std::string_view text[kLeafCount];
  std::string_view json[kLeafCount];  // the text escaped for a JSON string (only table strings differ)
  bool numeric_postcode = false;
  bool null_id = false;
  // The formatted leaves: about 600 bytes at most (hashes, dates, URLs, the email of
  // the longest names); the whole user, keys and table strings included, is < 1200.
  char buf[2048];
};

}  // namespace

struct BuiltinSource::Impl {
  std::vector<Nat> nats;
  Rng rng{0};
  std::string seed_text;

  // Draws the next user from `r`, formatting the leaves in `need` into `u`.
  void generate(User& u, uint64_t need, Rng& r) const {
    auto wanted = [need](Leaf l) { return (need >> l) & 1; };
    char* p = u.buf;
    // Formats one leaf with `fill(p) -> end` into the buffer.
    auto text = [&](Leaf l, auto&& fill) {
      char* start = p;
      p = fill(p);
      u.text[l] = u.json[l] = std::string_view(start, static_cast<size_t>(p - start));
    };
    // Formats a leaf drawn at random if it is wanted; else makes its `draws` draws
    // anyway, so that the leaves and users after it are the same either way.
    auto drawn = [&](Leaf l, int draws, auto&& fill) {
      if (wanted(l)) text(l, fill);
      else skip(r, draws);
    };
    auto table = [&](Leaf l, const Text& t) {
      u.text[l] = t.text;
      u.json[l] = t.json;
    };
    const Nat& n = nats[r.below(static_cast<uint32_t>(nats.size()))];
    bool male = r.next() & 1;
    const Text& first = male ? n.male[r.below(static_cast<uint32_t>(n.male.size()))]
                             : n.female[r.below(static_cast<uint32_t>(n.female.size()))];
    const Text& last = n.last[r.below(static_cast<uint32_t>(n.last.size()))];
    u.text[kGender] = u.json[kGender] = male ? "male" : "female";
    u.text[kTitle] = u.json[kTitle] = male ? std::string_view("Mr") : r.below(2) ? "Ms" : n.src->title_f2;
    table(kFirst, first);
    table(kLast, last);
    uint32_t number = 1 + r.below(9999);
    if (wanted(kStreetNumber)) text(kStreetNumber, [&](char* q) { return put_int(q, number); });
    table(kStreetName, n.streets[r.below(static_cast<uint32_t>(n.streets.size()))]);
    table(kCity, n.cities[r.below(static_cast<uint32_t>(n.cities.size()))]);
    table(kState, n.states[r.below(static_cast<uint32_t>(n.states.size()))]);
    table(kCountry, n.country);
    u.numeric_postcode = n.src->numeric_postcode;
    drawn(kPostcode, n.postcode_draws,
          [&](char* q) { return put_pattern(q, n.src->postcode, r, n.src->numeric_postcode); });
    drawn(kLatitude, 1, [&](char* q) { return put_coord(q, r, 90); });
    drawn(kLongitude, 1, [&](char* q) { return put_coord(q, r, 180); });
    const Tz& tz = kTimezones[r.below(std::size(kTimezones))];
    u.text[kTzOffset] = u.json[kTzOffset] = tz.offset;
    u.text[kTzDescription] = u.json[kTzDescription] = tz.description;
    if (wanted(kEmail)) text(kEmail, [&](char* q) { return put(put(put(put(q, first.ascii), "."), last.ascii), "@example.com"); });
    uint64_t a = r.next(), b = r.next();
    if (wanted(kUuid))
      text(kUuid, [&](char* q) {
        a = (a & ~0xf000ull) | 0x4000ull;  // version 4 nibble (hex digit 13 counting from 1)
        b = (b & 0x3fffffffffffffffull) | 0x8000000000000000ull;
        for (int i = 0; i < 16; ++i) {
          if (i == 8 || i == 12) *q++ = '-';
          *q++ = kHex[(a >> (60 - 4 * i)) & 0xf];
        }
        *q++ = '-';
        for (int i = 0; i < 16; ++i) {
          if (i == 4) *q++ = '-';
          *q++ = kHex[(b >> (60 - 4 * i)) & 0xf];
        }
        return q;
      });
    std::string_view adjective = kAdjectives[r.below(std::size(kAdjectives))];
    std::string_view animal = kAnimals[r.below(std::size(kAnimals))];
    uint32_t suffix = 100 + r.below(900);
    if (wanted(kUsername)) text(kUsername, [&](char* q) { return put_int(put(put(q, adjective), animal), suffix); });
    u.text[kPassword] = u.json[kPassword] = kPasswords[r.below(std::size(kPasswords))];
    constexpr int kSaltChars = 8;  // a draw each
    drawn(kSalt, kSaltChars, [&](char* q) {
      for (int i = 0; i < kSaltChars; ++i) *q++ = kAlnum[r.below(sizeof kAlnum - 1)];
      return q;
    });
    drawn(kMd5, hex_draws(32), [&](char* q) { return put_hex(q, 32, r); });
    drawn(kSha1, hex_draws(40), [&](char* q) { return put_hex(q, 40, r); });
    drawn(kSha256, hex_draws(64), [&](char* q) { return put_hex(q, 64, r); });
    // Born 1945..2006; registered 2002..2025, after turning 16 at the earliest.
    int64_t dob = r.between(-786'240'000'000, 1'136'073'600'000);
    int64_t reg_from = std::max<int64_t>(1'009'843'200'000, dob + 16 * 365 * kMsPerDay);
    int64_t reg = r.between(reg_from, std::max(reg_from + 1, int64_t{1'764'547'200'000}));
    if (wanted(kDob)) text(kDob, [&](char* q) { return put_iso(q, dob); });
    if (wanted(kDobAge)) text(kDobAge, [&](char* q) { return put_int(q, age_at_reference(dob)); });
    if (wanted(kRegistered)) text(kRegistered, [&](char* q) { return put_iso(q, reg); });
    if (wanted(kRegisteredAge)) text(kRegisteredAge, [&](char* q) { return put_int(q, age_at_reference(reg)); });
    drawn(kPhone, n.phone_draws, [&](char* q) { return put_pattern(q, n.src->phone, r); });
    drawn(kCell, n.cell_draws, [&](char* q) { return put_pattern(q, n.src->cell, r); });
    u.text[kIdName] = u.json[kIdName] = n.src->id_name;
    u.null_id = n.src->id_pattern.empty();
    if (u.null_id) u.text[kIdValue] = u.json[kIdValue] = {};
    else drawn(kIdValue, n.id_draws, [&](char* q) { return put_pattern(q, n.src->id_pattern, r); });
    std::string_view who = male ? "men/" : "women/";
    uint32_t picture = r.below(100);
    auto portrait = [&](Leaf l, std::string_view size) {
      if (wanted(l))
        text(l, [&](char* q) {
          return put(put_int(put(put(put(q, "https://randomuser.me/api/portraits/"), size), who), picture), ".jpg");
        });
    };
    portrait(kPictureLarge, "");
    portrait(kPictureMedium, "med/");
    portrait(kPictureThumbnail, "thumb/");
    u.text[kNat] = u.json[kNat] = n.code;
  }

  // The user as the API writes it (every leaf must have been generated).
  static void write_json(const User& u, std::string& out) {
    auto s = [&](Leaf l) { out += u.json[l]; };
    out += R"({"gender":")";
    s(kGender);
    out += R"(","name":{"title":")";
    s(kTitle);
    out += R"(","first":")";
    s(kFirst);
    out += R"(","last":")";
    s(kLast);
    out += R"("},"location":{"street":{"number":)";
    s(kStreetNumber);
    out += R"(,"name":")";
    s(kStreetName);
    out += R"("},"city":")";
    s(kCity);
    out += R"(","state":")";
    s(kState);
    out += R"(","country":")";
    s(kCountry);
    if (u.numeric_postcode) {
      out += R"(","postcode":)";
      s(kPostcode);
      out += R"(,"coordinates":{"latitude":")";
    } else {
      out += R"(","postcode":")";
      s(kPostcode);
      out += R"(","coordinates":{"latitude":")";
    }
    s(kLatitude);
    out += R"(","longitude":")";
    s(kLongitude);
    out += R"("},"timezone":{"offset":")";
    s(kTzOffset);
    out += R"(","description":")";
    s(kTzDescription);
    out += R"("}},"email":")";
    s(kEmail);
    out += R"(","login":{"uuid":")";
    s(kUuid);
    out += R"(","username":")";
    s(kUsername);
    out += R"(","password":")";
    s(kPassword);
    out += R"(","salt":")";
    s(kSalt);
    out += R"(","md5":")";
    s(kMd5);
    out += R"(","sha1":")";
    s(kSha1);
    out += R"(","sha256":")";
    s(kSha256);
    out += R"("},"dob":{"date":")";
    s(kDob);
    out += R"(","age":)";
    s(kDobAge);
    out += R"(},"registered":{"date":")";
    s(kRegistered);
    out += R"(","age":)";
    s(kRegisteredAge);
    out += R"(},"phone":")";
    s(kPhone);
    out += R"(","cell":")";
    s(kCell);
    out += R"(","id":{"name":")";
    s(kIdName);
    if (u.null_id) {
      out += R"(","value":null},"picture":{"large":")";
    } else {
      out += R"(","value":")";
      s(kIdValue);
      out += R"("},"picture":{"large":")";
    }
    s(kPictureLarge);
    out += R"(","medium":")";
    s(kPictureMedium);
    out += R"(","thumbnail":")";
    s(kPictureThumbnail);
    out += R"("},"nat":")";
    s(kNat);
    out += R"("})";
  }

  User scratch;  // next_batch()'s
};

namespace {

// Where a mapping path leads in a user record: a leaf, an object, or nowhere.
int resolve(const std::vector<std::string>& path) {
  std::string joined;
  for (const auto& c : path) joined += (joined.empty() ? "" : ".") + c;
  for (int l = 0; l < kLeafCount; ++l)
    if (kLeafPaths[l] == joined) return l;
  for (auto leaf : kLeafPaths)
    if (leaf.size() > joined.size() && leaf.starts_with(joined) && leaf[joined.size()] == '.') return -2;
  return -1;
}

}  // namespace

// The builtin generator's projection: each user drawn with only the needed leaves
// formatted. The same draws as next_batch(), so the same users in the same order.
class BuiltinProjection final : public Projection, ProjectedRecord {
 public:
  BuiltinProjection(BuiltinSource& source, const std::vector<std::vector<std::string>>& paths)
      : source_(source), values_(paths.size()) {
    for (const auto& path : paths) {
      int leaf = resolve(path);
      slots_.push_back(leaf);
      if (leaf >= 0) need_ |= uint64_t{1} << leaf;
    }
  }

  bool next_records(uint32_t n, ProjectedVisitor& visitor) override {
    n = source_.take(n);
    if (n == 0) return false;
    BuiltinSource::Impl& g = *source_.impl_;
    for (uint32_t i = 0; i < n; ++i) {
      at_ = g.rng;
      g.generate(user_, need_, g.rng);
      for (size_t s = 0; s < slots_.size(); ++s) {
        int leaf = slots_[s];
        FieldValue& v = values_[s];
        if (leaf >= 0) {
          v.text = user_.text[leaf];
          v.plain = user_.json[leaf].size() == user_.text[leaf].size();  // escaping lengthens what it changes
          v.state = leaf == kIdValue && user_.null_id ? FieldValue::State::null : FieldValue::State::value;
        } else {
          v.text = {};
          v.state = leaf == -2 ? FieldValue::State::not_scalar : FieldValue::State::missing;
        }
      }
      visitor.on_record(*this);
    }
    source_.count(n, 0);
    return true;
  }

  std::span<const FieldValue> values() const override { return values_; }

  std::string json() const override {
    Rng r = at_;
    auto u = std::make_unique<User>();
    source_.impl_->generate(*u, kAllLeaves, r);
    std::string out;
    BuiltinSource::Impl::write_json(*u, out);
    return out;
  }

 private:
  BuiltinSource& source_;
  std::vector<int> slots_;  // leaf per slot; -1 missing, -2 an object
  uint64_t need_ = 0;
  std::vector<FieldValue> values_;
  User user_;
  Rng at_{0};  // the generator's state before the current user
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
    nat.country = make_text(n.country);
    nat.postcode_draws = random_chars(n.postcode);
    nat.phone_draws = random_chars(n.phone);
    nat.cell_draws = random_chars(n.cell);
    nat.id_draws = random_chars(n.id_pattern);
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

uint32_t BuiltinSource::take(uint32_t n) {
  if (stopped_.load()) return 0;
  n = std::clamp<uint32_t>(n, 1, 5000);
  std::lock_guard lk(stats_mu_);
  if (max_records_ > 0) {
    if (stats_.records >= max_records_) return 0;
    n = static_cast<uint32_t>(std::min<uint64_t>(n, max_records_ - stats_.records));
  }
  return n;
}

void BuiltinSource::count(uint32_t n, size_t bytes) {
  std::lock_guard lk(stats_mu_);
  ++page_;
  ++stats_.requests;
  ++stats_.batches;
  stats_.records += n;
  stats_.bytes += bytes;
}

bool BuiltinSource::next_batch(uint32_t n, SourceBatch& out) {
  n = take(n);
  if (n == 0) return false;
  std::string& body = out.body;
  body.clear();
  size_t want = static_cast<size_t>(n) * 1400 + 256 + simdjson::SIMDJSON_PADDING;
  if (body.capacity() < want) body.reserve(want);
  body += R"({"results":[)";
  for (uint32_t i = 0; i < n; ++i) {
    if (i) body.push_back(',');
    impl_->generate(impl_->scratch, kAllLeaves, impl_->rng);
    Impl::write_json(impl_->scratch, body);
  }
  char num[24];
  body += R"(],"info":{"seed":")";
  body += impl_->seed_text;
  body += R"(","results":)";
  body.append(num, put_int(num, n));
  body += R"(,"page":)";
  body.append(num, put_int(num, static_cast<int64_t>(page_ + 1)));
  body += R"(,"version":"1.4"}})";
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  out.results = n;
  count(n, body.size());
  return true;
}

std::unique_ptr<Projection> BuiltinSource::project(const std::vector<std::vector<std::string>>& paths) {
  return std::make_unique<BuiltinProjection>(*this, paths);
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
