// UserGenerator: which users a seed gives. Owns the nationalities' tables as the
// generator uses them (escaped once), the small tables (usernames, passwords, time
// zones), the date ranges and the reference day, and generate().
//
// The draw-order invariant. A seed's users are fixed by the sequence of draws made from
// its Rng, so for every seed's output to stay the same (across builds, and between
// next_batch() and the projection, which format different leaves):
//   - Every leaf makes its draws whether it is wanted or not. A leaf drawn only to be
//     formatted goes through drawn(), which makes its `draws` draws via skip() when it
//     is not wanted; that count must be what its formatting draws (put.h states each
//     helper's). A leaf whose value is drawn first and formatted after (the street
//     number, the uuid, the username's parts, the dates, the picture) draws it
//     unconditionally and formats it under `if (wanted(...))`: never move such a draw
//     into the `if`.
//   - Draws happen in the order written here. Reordering two draws, adding one or
//     removing one changes every user after it, of every seed.
//   - The tables are read by index, so their content and order are part of the
//     output too (nationalities.cpp's and the ones below).
// Such a change may be intended; then tests/fixtures/builtin/seed1.jsonl has to be
// rewritten on purpose (UPDATE_GOLDEN_FILES=1, see tests/sources/builtin_source_test.cpp),
// and the change said in the commit: users' seeds give other users after it.
#include "sources/builtin/user_generator.h"

#include <algorithm>
#include <string_view>

#include "common/error.h"
#include "common/json_writer.h"
#include "sources/builtin/nationalities.h"
#include "sources/builtin/put.h"

namespace sluice::sources::builtin {
namespace {

// 2026-11-24T00:00:00Z: ages are computed against this day, not the clock, so that
// output depends on the seed alone.
constexpr int64_t kReferenceMs = 1'795'478'400'000;

// Whole years from `ms` to the reference day.
int64_t age_at_reference(int64_t ms) { return (kReferenceMs - ms) / (kMsPerDay * 36525 / 100); }

// A table string: as is, JSON-escaped once, and the ASCII form (names only).
struct Text {
  std::string text;
  std::string json;   // escaped, without quotes
  std::string ascii;  // for emails and usernames (names only)
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
constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

Text make_text(std::string_view native, std::string_view ascii = {}) {
  Text t;
  t.text = std::string(native);
  append_json_escaped(t.json, native);
  t.ascii = std::string(ascii);
  return t;
}

std::vector<Text> texts(const std::vector<Name>& names) {
  std::vector<Text> out;
  for (const auto& n : names) out.push_back(make_text(n.native, n.ascii));
  return out;
}

std::vector<Text> texts(const std::vector<std::string_view>& items) {
  std::vector<Text> out;
  for (auto s : items) out.push_back(make_text(s));
  return out;
}

}  // namespace

// One nationality as generate() reads it.
struct UserGenerator::Nat {
  const Nationality* src;
  std::string code;
  Text country;
  std::vector<Text> male, female, last, streets, cities, states;
  int postcode_draws, phone_draws, cell_draws, id_draws;  // random characters in each pattern
};

UserGenerator::UserGenerator(const std::vector<std::string>& codes) {
  for (const auto& code : codes) {
    bool known = false;
    for (const auto& n : nationalities()) known |= n.code == code;
    if (!known) {
      std::string list;
      for (const auto& n : nationalities()) list += (list.empty() ? "" : ",") + std::string(n.code);
      throw UsageError("builtin.nationalities: unknown nationality \"" + code + "\" (known: " + list + ")");
    }
  }
  for (const auto& n : nationalities()) {
    if (!codes.empty() && std::find(codes.begin(), codes.end(), std::string(n.code)) == codes.end()) continue;
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
    nats_.push_back(std::move(nat));
  }
}

UserGenerator::~UserGenerator() = default;

// Keep the draw-order invariant (top of this file): each r.* call below is a draw, in
// the order the output depends on; a leaf formatted only when wanted goes through
// drawn() with the number of draws its formatting makes.
void UserGenerator::generate(User& u, uint64_t need, Rng& r) const {
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
  const Nat& n = nats_[r.below(static_cast<uint32_t>(nats_.size()))];
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

}  // namespace sluice::sources::builtin
