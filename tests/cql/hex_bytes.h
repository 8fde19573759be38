#pragma once
// The CQL tests write expected bytes as hex, field by field: H("0400 0001") -> bytes.
#include <stdexcept>
#include <string>
#include <string_view>

#include "cql/hex.h"

namespace sluice::cql {

// Bytes from hex (spaces allowed, as from_hex takes them); a typo in a test's hex is an
// exception naming it, never silently short bytes.
inline std::string H(std::string_view hex) {
  auto b = from_hex(hex);
  if (!b) throw std::invalid_argument("bad hex in test: " + std::string(hex));
  return *b;
}

}  // namespace sluice::cql
