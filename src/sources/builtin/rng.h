#pragma once
// The builtin generator's source of randomness: splitmix64, and the ways a draw becomes
// a number. Owns nothing else. Every user, and so every seed's output, is fixed by the
// sequence of draws made from one of these; changing what a function here returns for
// a state changes every seed's users (the golden test, tests/sources/builtin_source_test.cpp,
// says so).
#include <cstdint>

namespace sluice::sources::builtin {

// splitmix64: small, fast, and good enough for test data. Copyable: a copy replays the
// same draws (the projection keeps one per user to write its JSON later).
struct Rng {
  uint64_t s;
  // One draw.
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // One draw: a number in [0, n).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) * n >> 32); }
  // One draw: a number in [lo, hi); hi > lo.
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo)); }
};

// Makes `draws` draws and drops them: what a leaf that is not formatted does instead.
inline void skip(Rng& rng, int draws) {
  for (int i = 0; i < draws; ++i) rng.next();
}

}  // namespace sluice::sources::builtin
