#pragma once
// The compound notations of the native protocol spec (section 3), as C++ types.
//
//   [consistency]       Consistency (a [short])
//   [inet] / [inetaddr] Inet (a [byte] size of 4 or 16, the address, and for [inet] an [int] port)
//   [value]             BindValue: bytes, null (length -1) or not set (length -2)
//   [string map]        StringMap, [string multimap] StringMultimap, [bytes map] BytesMap
//
// The maps are ordered (std::map) so that encoding them is deterministic; the protocol
// does not care about the order.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cql {

enum class Consistency : uint16_t {
  any = 0x0000,
  one = 0x0001,
  two = 0x0002,
  three = 0x0003,
  quorum = 0x0004,
  all = 0x0005,
  local_quorum = 0x0006,
  each_quorum = 0x0007,
  serial = 0x0008,
  local_serial = 0x0009,
  local_one = 0x000A,
};

// "LOCAL_QUORUM"; a code the spec does not define (a newer server) prints as "0x00ab".
std::string consistency_name(Consistency c);
// Parses a name as written in configs and cqlsh (either case): nullopt if not one.
std::optional<Consistency> parse_consistency(std::string_view name);

struct Inet {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 0;  // 4 (IPv4) or 16 (IPv6)
  int32_t port = 0;  // only for [inet]; 0 for [inetaddr]

  // "10.0.0.1" or "2001:db8::1", without the port.
  std::string address() const;
  bool operator==(const Inet&) const = default;
  auto operator<=>(const Inet&) const = default;
};

// A [bytes] field: nullopt is the null value (negative length).
using Bytes = std::optional<std::string>;

// A bound variable, as a [value]. Built from a typed Value with bind() (value_codec.h)
// or directly from already serialised bytes.
struct BindValue {
  enum class State : uint8_t { set, null, not_set };
  State state = State::null;
  std::string bytes;  // the serialised value when state == set

  static BindValue of(std::string serialised) { return {State::set, std::move(serialised)}; }
  static BindValue null() { return {State::null, {}}; }
  // "Not set": leaves the column as it is (v4+), unlike null which deletes it.
  static BindValue unset() { return {State::not_set, {}}; }
  bool operator==(const BindValue&) const = default;
};

using StringMap = std::map<std::string, std::string>;
using StringMultimap = std::map<std::string, std::vector<std::string>>;
using BytesMap = std::map<std::string, Bytes>;

}  // namespace sluice::cql
