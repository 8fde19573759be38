#pragma once
// Number formatting for people: 1234567 -> "1,234,567"; rates with one decimal.
#include <cstdint>
#include <string>

namespace sluice::cli {

std::string group_digits(uint64_t n);
std::string human_rate(double per_second);  // "512,340"
std::string human_mb(double bytes);         // "213.4 MB"

}  // namespace sluice::cli
