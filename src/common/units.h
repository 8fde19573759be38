#pragma once
// Parsing of the human-friendly quantities used in config files and flags:
// durations ("100ms", "10s", "5m", "2h", "7d"; a bare number is seconds) and
// byte sizes ("4096", "64KiB", "64MiB", "1GiB", "10MB"; -1 means unlimited).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<int64_t> parse_bytes(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace sluice
