#include "cql/wire_types.h"

#include <arpa/inet.h>

#include <cctype>

#include <fmt/format.h>

namespace sluice::cql {
namespace {

constexpr const char* kConsistencyNames[] = {"ANY",    "ONE",          "TWO",         "THREE",
                                             "QUORUM", "ALL",          "LOCAL_QUORUM", "EACH_QUORUM",
                                             "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"};
constexpr size_t kConsistencyCount = sizeof kConsistencyNames / sizeof kConsistencyNames[0];

}  // namespace

std::string consistency_name(Consistency c) {
  auto v = static_cast<uint16_t>(c);
  if (v < kConsistencyCount) return kConsistencyNames[v];
  return fmt::format("0x{:04x}", v);
}

std::optional<Consistency> parse_consistency(std::string_view name) {
  for (size_t i = 0; i < kConsistencyCount; ++i) {
    std::string_view n = kConsistencyNames[i];
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t k = 0; k < n.size() && same; ++k)
      same = std::toupper(static_cast<unsigned char>(name[k])) == n[k];
    if (same) return static_cast<Consistency>(i);
  }
  return std::nullopt;
}

std::string Inet::address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (size == 4 && inet_ntop(AF_INET, bytes.data(), buf, sizeof buf)) return buf;
  if (size == 16 && inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf)) return buf;
  return "?";
}

}  // namespace sluice::cql
