#include "log/dead_letter.h"

#include <string>

namespace sluice::log {

std::vector<Header> dead_letter_headers(const DeadLetter& d) {
  std::vector<Header> h;
  h.reserve(7);
  h.push_back({"error.kind", std::string(to_string(d.kind))});
  h.push_back({"error.reason", std::string(d.reason)});
  h.push_back({"error.stage", std::string(to_string(d.stage))});
  if (!d.data_source.empty()) h.push_back({"data.source", std::string(d.data_source)});
  if (d.from) {
    h.push_back({"source.topic", d.from->topic});
    h.push_back({"source.partition", std::to_string(d.from->partition)});
    h.push_back({"source.offset", std::to_string(d.from->offset)});
    h.push_back({"source.timestamp", std::to_string(d.from->timestamp_ms)});
  }
  return h;
}

}  // namespace sluice::log
