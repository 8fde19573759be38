#include "log/data_loss.h"

#include <fmt/format.h>

namespace sluice::log {

std::string data_loss_message(const DataLoss& d, OnDataLoss action) {
  std::string what = fmt::format(
      "data loss: group {} committed offset {} of {}/{}, but the {} holds offsets {} to {} (records deleted by "
      "retention, or the topic was recreated)",
      d.group, d.committed, d.topic, d.partition, d.held_by, d.held_start, d.held_end);
  std::string resume = d.resume_at ? "offset " + std::to_string(*d.resume_at) : "the earliest offset held";
  if (action == OnDataLoss::fail) return what + "; set stream.fail_on_data_loss=false to go on from " + resume;
  return what + "; going on from " + resume + " (stream.fail_on_data_loss is false)";
}

}  // namespace sluice::log
