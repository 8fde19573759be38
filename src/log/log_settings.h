#pragma once
// LogSettings from a pipeline's configuration (`log`, `topics.*`, `embedded_log.*`,
// `kafka.*`).
#include "config/config.h"
#include "log/log.h"

namespace sluice::log {

LogSettings log_settings(const config::Config& cfg);

}  // namespace sluice::log
