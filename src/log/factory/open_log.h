#pragma once
// The log's factory: the one place that turns configuration into a backend
// (file:DIR -> log/embedded/, kafka://host:port -> log/kafka/). Only the pipeline's
// assembly, the CLI and tests of the backends include it; stages take the seam's
// Producer, Consumer and Admin.
#include <memory>

#include "config/config.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log {

// LogSettings from a pipeline's configuration (`log`, `topics.*`, `embedded_log.*`,
// `kafka.*`).
LogSettings log_settings(const config::Config& cfg);

// Opens the log named by settings.uri. Throws UsageError for an unknown scheme or a
// malformed URI, naming it.
std::unique_ptr<Log> open_log(const LogSettings& settings);

}  // namespace sluice::log
