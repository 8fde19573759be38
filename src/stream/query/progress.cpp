#include "stream/query/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/json_writer.h"

namespace sluice::stream {

std::string BatchProgress::to_json(const std::string& query_name) const {
  std::string name;
  append_json_string(name, query_name);
  std::string offsets;
  for (const auto& [p, o] : end_offsets) offsets += fmt::format("{}\"{}\":{}", offsets.empty() ? "" : ",", p, o);
  return fmt::format(
      "{{\"query\":{},\"batch_id\":{},\"timestamp_ms\":{},\"num_input_rows\":{},\"written_rows\":{},"
      "\"dead_lettered\":{},\"skipped\":{},\"input_rows_per_second\":{:.1f},\"processed_rows_per_second\":{:.1f},"
      "\"duration_ms\":{{\"read\":{:.3f},\"parse\":{:.3f},\"write\":{:.3f},\"commit\":{:.3f},\"total\":{:.3f}}},"
      "\"write_retries\":{},\"latency_ms\":{{\"p50\":{:.3f},\"p99\":{:.3f},\"max\":{:.3f}}},\"end_offsets\":{{{}}}}}",
      name, batch_id, timestamp_ms, input_rows, written_rows, dead_lettered, skipped, input_rows_per_s,
      processed_rows_per_s, read_ms, parse_ms, write_ms, commit_ms, total_ms, write_retries, latency_p50_ms,
      latency_p99_ms, latency_max_ms, offsets);
}

void latency_quantiles(std::vector<double>& s, double& p50, double& p99, double& max) {
  p50 = p99 = max = 0;
  if (s.empty()) return;
  auto at = [&](double q) {
    size_t k = std::min(s.size() - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(s.size()))) - (q > 0 ? 1 : 0));
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
    return s[k];
  };
  p50 = at(0.50);
  p99 = at(0.99);
  max = *std::max_element(s.begin(), s.end());
}

void ProgressHistory::add(const BatchProgress& p) {
  {
    std::lock_guard lk(mu_);
    items_.push_back(p);
    while (items_.size() > capacity_) items_.pop_front();
  }
  if (listener_) listener_(p);
}

std::vector<BatchProgress> ProgressHistory::recent() const {
  std::lock_guard lk(mu_);
  return {items_.begin(), items_.end()};
}

}  // namespace sluice::stream
