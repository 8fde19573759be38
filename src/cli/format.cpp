#include "cli/format.h"

#include <fmt/format.h>

#include <cmath>

namespace sluice::cli {

std::string group_digits(uint64_t n) {
  std::string digits = std::to_string(n), out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string human_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0) return "0";
  return group_digits(static_cast<uint64_t>(std::llround(per_second)));
}

std::string human_mb(double bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }

}  // namespace sluice::cli
