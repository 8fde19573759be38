#pragma once
// Copies of a few bytes to a few dozen, the bulk of what formatting a record does,
// without a call into the C library: one to four overlapping word moves, or memcpy
// past 32 bytes. Source and destination must not overlap.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice {

inline char* copy_bytes(char* dst, const char* src, size_t n) {
  auto move8 = [](char* d, const char* s) {
    uint64_t v;
    std::memcpy(&v, s, 8);
    std::memcpy(d, &v, 8);
  };
  if (n > 32) {
    std::memcpy(dst, src, n);
  } else if (n >= 16) {
    move8(dst, src);
    move8(dst + 8, src + 8);
    move8(dst + n - 16, src + n - 16);
    move8(dst + n - 8, src + n - 8);
  } else if (n >= 8) {
    move8(dst, src);
    move8(dst + n - 8, src + n - 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
  return dst + n;
}

inline char* copy_bytes(char* dst, std::string_view s) { return copy_bytes(dst, s.data(), s.size()); }

}  // namespace sluice
