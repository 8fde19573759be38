#include "common/uuid.h"

#include <sys/random.h>

#include <cstring>

namespace sluice {
namespace {

// xoshiro256** seeded from getrandom(): fast and statistically sound; uniqueness of
// ids comes from 122 random bits per id.
struct Rng {
  uint64_t s[4];
  Rng() {
    if (getrandom(s, sizeof s, 0) != static_cast<ssize_t>(sizeof s)) {
      uint64_t seed = reinterpret_cast<uintptr_t>(this) ^ static_cast<uint64_t>(__builtin_ia32_rdtsc());
      for (auto& x : s) x = seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    }
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Uuid uuid_v4() {
  thread_local Rng rng;
  uint64_t a = rng.next(), b = rng.next();
  Uuid u;
  std::memcpy(u.data(), &a, 8);
  std::memcpy(u.data() + 8, &b, 8);
  u[6] = static_cast<uint8_t>((u[6] & 0x0f) | 0x40);
  u[8] = static_cast<uint8_t>((u[8] & 0x3f) | 0x80);
  return u;
}

void format_uuid(const Uuid& u, char out[36]) {
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[u[i] >> 4];
    out[o++] = kHex[u[i] & 0xf];
  }
}

std::string format_uuid(const Uuid& u) {
  std::string s(36, '\0');
  format_uuid(u, s.data());
  return s;
}

std::optional<Uuid> parse_uuid(std::string_view t) {
  if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return std::nullopt;
  Uuid u;
  size_t o = 0;
  for (size_t i = 0; i < 36;) {
    if (t[i] == '-') {
      ++i;
      continue;
    }
    int hi = hex_value(t[i]), lo = hex_value(t[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    u[o++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return u;
}

}  // namespace sluice
