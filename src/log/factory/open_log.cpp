#include "log/factory/open_log.h"

#include "common/error.h"
#include "log/embedded/embedded_log.h"
#include "log/kafka/kafka_log.h"

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
  if (uri.starts_with("kafka://")) {
    std::string hosts = uri.substr(8);
    while (!hosts.empty() && hosts.back() == '/') hosts.pop_back();
    if (hosts.empty() || hosts.find('/') != std::string::npos)
      throw UsageError("log URI \"" + uri + "\": expected kafka://host:port[,host:port...]");
    return std::make_unique<kafka::KafkaLog>(hosts, settings);
  }
  throw UsageError("log URI \"" + uri + "\": unknown scheme; expected file:DIR (embedded log) or kafka://host:port");
}

}  // namespace sluice::log
