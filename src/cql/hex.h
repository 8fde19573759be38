#pragma once
// Hex strings: blobs as cqlsh shows them ("0x0a1b") and bytes in error messages and tests.
#include <optional>
#include <string>
#include <string_view>

namespace sluice::cql {

// Lower-case hex, two digits per byte, no prefix.
std::string to_hex(std::string_view bytes);
// Parses hex digits (either case); spaces, newlines and a leading "0x" are skipped, so
// tests can lay out bytes field by field. nullopt on any other character or an odd count.
std::optional<std::string> from_hex(std::string_view text);

}  // namespace sluice::cql
