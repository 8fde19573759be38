// SourceMetrics (source.h): the sluice_source_* series every backend moves, and
// SourceStats read back from them; SourceStats::since().
#include "sources/source.h"

#include <stdexcept>

namespace sluice::sources {

SourceStats SourceStats::since(const SourceStats& earlier) const {
  SourceStats d;
  d.requests = requests - earlier.requests;
  d.batches = batches - earlier.batches;
  d.records = records - earlier.records;
  d.bytes = bytes - earlier.bytes;
  d.retries = retries - earlier.retries;
  for (const auto& [kind, n] : errors) {
    auto was = earlier.errors.find(kind);
    if (uint64_t new_errors = n - (was == earlier.errors.end() ? 0 : was->second)) d.errors[kind] = new_errors;
  }
  return d;
}

SourceMetrics::SourceMetrics(metrics::Registry* registry)
    : own_registry_(registry ? nullptr : std::make_unique<metrics::Registry>()),
      registry_(registry ? *registry : *own_registry_),
      requests_(registry_.counter("sluice_source_requests_total", "Responses asked of the source.")),
      responses_(registry_.counter("sluice_source_responses_total", "Responses the source handed out.")),
      records_(registry_.counter("sluice_source_records_total", "User records the source handed out.")),
      bytes_(registry_.counter("sluice_source_bytes_total", "Response bytes the source handed out.")),
      retries_(registry_.counter("sluice_source_retries_total", "Source requests repeated after a failure.")) {
  base_.requests = requests_.value();
  base_.batches = responses_.value();
  base_.records = records_.value();
  base_.bytes = bytes_.value();
  base_.retries = retries_.value();
}

SourceMetrics::~SourceMetrics() = default;

void SourceMetrics::error(std::string_view kind) {
  std::lock_guard lk(errors_mu_);
  auto it = errors_.find(kind);
  if (it == errors_.end()) {
    // Kinds come from a source's closed set, except http_<status>: should a server
    // answer with more distinct statuses than a family may hold, the rest count as
    // "other" rather than end the source.
    metrics::Counter* c = nullptr;
    try {
      c = &registry_.counter("sluice_source_errors_total", "Failed source requests (each retried), by kind.",
                             {{"kind", std::string(kind)}});
    } catch (const std::logic_error&) {
      c = &registry_.counter("sluice_source_errors_total", "Failed source requests (each retried), by kind.",
                             {{"kind", "other"}});
    }
    it = errors_.emplace(std::string(kind), ErrorSeries{c, c->value()}).first;
  }
  it->second.counter->add();
}

SourceStats SourceMetrics::stats() const {
  SourceStats s;
  s.requests = requests_.value() - base_.requests;
  s.batches = responses_.value() - base_.batches;
  s.records = records_.value() - base_.records;
  s.bytes = bytes_.value() - base_.bytes;
  s.retries = retries_.value() - base_.retries;
  std::lock_guard lk(errors_mu_);
  for (const auto& [kind, series] : errors_)
    if (uint64_t n = series.counter->value() - series.base) s.errors[kind] = n;
  return s;
}

}  // namespace sluice::sources
