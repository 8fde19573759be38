#pragma once
// UUIDs: random version 4 ids for records, and the 16-byte <-> 36-character forms.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

using Uuid = std::array<uint8_t, 16>;

// A fresh random (version 4, RFC 4122 variant) UUID. The generator is per thread,
// seeded from the OS entropy source, so concurrent callers need no lock.
Uuid uuid_v4();
// Writes the canonical lower-case 8-4-4-4-12 form into out[0..36).
void format_uuid(const Uuid& u, char out[36]);
std::string format_uuid(const Uuid& u);
// Parses the canonical form (either case); nullopt if `text` is not one.
std::optional<Uuid> parse_uuid(std::string_view text);

}  // namespace sluice
