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
    for (const auto& x : d.from->headers)
      if (x.key == kRedrivenHeader) h.push_back(x);
  }
  return h;
}

DeadLetterCounters::DeadLetterCounters(metrics::Registry& registry, std::string name, std::string help)
    : registry_(registry), name_(std::move(name)), help_(std::move(help)) {}

metrics::Counter& DeadLetterCounters::at(BadRecordStage stage, BadRecord kind) {
  auto& slot = slots_[static_cast<size_t>(stage)][static_cast<size_t>(kind)];
  if (auto* c = slot.counter.load(std::memory_order_relaxed)) return *c;  // this thread set it
  auto& c = registry_.counter(name_, help_,
                              {{"stage", std::string(to_string(stage))}, {"kind", std::string(to_string(kind))}});
  slot.base = c.value();
  slot.counter.store(&c, std::memory_order_release);
  return c;
}

bool DeadLetterCounters::none_yet(BadRecordStage stage, BadRecord kind) const {
  const auto& slot = slots_[static_cast<size_t>(stage)][static_cast<size_t>(kind)];
  const auto* c = slot.counter.load(std::memory_order_acquire);
  return !c || c->value() == slot.base;
}

uint64_t DeadLetterCounters::total() const {
  uint64_t n = 0;
  for (const auto& per_stage : slots_)
    for (const auto& slot : per_stage)
      if (const auto* c = slot.counter.load(std::memory_order_acquire)) n += c->value() - slot.base;
  return n;
}

std::map<std::string, uint64_t> DeadLetterCounters::by_kind() const {
  std::map<std::string, uint64_t> out;
  for (const auto& per_stage : slots_)
    for (size_t k = 0; k < per_stage.size(); ++k)
      if (const auto* c = per_stage[k].counter.load(std::memory_order_acquire))
        if (uint64_t n = c->value() - per_stage[k].base) out[std::string(to_string(kBadRecordKinds[k]))] += n;
  return out;
}

}  // namespace sluice::log
