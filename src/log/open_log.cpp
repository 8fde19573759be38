#include "common/error.h"
#include "log/embedded/embedded_log.h"
#include "log/log.h"

namespace sluice::log {

std::unique_ptr<Log> open_log(const LogSettings& settings) {
  const std::string& uri = settings.uri;
  if (uri.starts_with("file:")) {
    std::string path = uri.substr(5);
    if (path.starts_with("//")) path = path.substr(2);  // file:///abs/path
    if (path.empty()) throw UsageError("log URI \"" + uri + "\" names no directory (e.g. file:./data/log)");
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return std::make_unique<embedded::EmbeddedLog>(path, settings);
  }
  if (uri.starts_with("kafka://"))
    throw UsageError("log URI \"" + uri + "\": the kafka:// backend is not part of this build yet; use file:DIR");
  throw UsageError("log URI \"" + uri + "\": unknown scheme; expected file:DIR (embedded log) or kafka://host:port");
}

}  // namespace sluice::log
