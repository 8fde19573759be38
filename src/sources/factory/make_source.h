#pragma once
// The sources' factory: picks the source named by the config's `source` key,
// `builtin` (sources/builtin/) or an http(s) URL (sources/http/). Only the pipeline's
// assembly and the CLI include it; stages take a sources::Source&.
#include <memory>
#include <optional>

#include "config/config.h"
#include "sources/source.h"

namespace sluice::sources {

// `seed` overrides builtin.seed (the --seed flag). The source counts in `registry`'s
// sluice_source_* series (null: a registry of its own), which must outlive it. Throws
// UsageError for a value that is neither `builtin` nor an http(s) URL.
std::unique_ptr<Source> make_source(const config::Config& cfg, std::optional<uint64_t> seed = std::nullopt,
                                    metrics::Registry* registry = nullptr);
// The batch size the configured source is asked for (http.batch_size or builtin.batch_size).
uint32_t source_batch_size(const config::Config& cfg);

}  // namespace sluice::sources
