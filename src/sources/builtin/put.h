#pragma once
// The builtin generator's formatting helpers: each writes at `p` and returns the end of
// what it wrote, with no bounds check (the caller's buffer is sized for a whole user,
// see User::buf in user.h). Those that take an Rng draw from it, and say how many
// draws they make: the generator must make exactly that many when it skips the leaf.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/copy_bytes.h"
#include "sources/builtin/rng.h"

namespace sluice::sources::builtin {

constexpr int64_t kMsPerDay = 86'400'000;
constexpr char kHex[] = "0123456789abcdef";

// At most 20 characters.
inline char* put_int(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

// Two digits of 0 <= v < 100.
inline char* put_2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// "1981-10-20T18:46:45.926Z" for `ms` since the epoch (days to civil date: Howard
// Hinnant's algorithm).
inline char* put_iso(char* p, int64_t ms) {
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

inline char* put(char* p, std::string_view s) { return copy_bytes(p, s); }

// The draws put_pattern() makes for `pattern`: one per '#' and 'A'.
inline int random_chars(std::string_view pattern) {
  return static_cast<int>(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c == '#' || c == 'A'; }));
}

// `pattern` with each '#' a random digit (the first one 1-9 if `no_leading_zero`) and
// each 'A' a random upper-case letter; random_chars(pattern) draws.
inline char* put_pattern(char* p, std::string_view pattern, Rng& rng, bool no_leading_zero = false) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '#') *p++ = static_cast<char>(i == 0 && no_leading_zero ? '1' + rng.below(9) : '0' + rng.below(10));
    else if (c == 'A') *p++ = static_cast<char>('A' + rng.below(26));
    else *p++ = c;
  }
  return p;
}

// The draws put_hex() makes for `n` digits (16 a draw).
constexpr int hex_draws(size_t n) { return static_cast<int>((n + 15) / 16); }

// `n` random lower-case hex digits; hex_draws(n) draws.
inline char* put_hex(char* p, size_t n, Rng& rng) {
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = rng.next();
    *p++ = kHex[bits & 0xf];
    bits >>= 4;
  }
  return p;
}

// A coordinate in [-range, range) with 4 decimals ("-11.5263"); one draw.
inline char* put_coord(char* p, Rng& rng, int range) {
  int64_t v = static_cast<int64_t>(rng.below(static_cast<uint32_t>(range * 2 * 10000))) - range * 10000;
  if (v < 0) *p++ = '-';
  int64_t a = v < 0 ? -v : v;
  p = put_int(p, a / 10000);
  *p++ = '.';
  int frac = static_cast<int>(a % 10000);
  p = put_2(p, frac / 100);
  return put_2(p, frac % 100);
}

}  // namespace sluice::sources::builtin
