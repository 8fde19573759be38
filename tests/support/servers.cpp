#include "support/servers.h"

#include <cstdlib>

namespace sluice::testing {
namespace {

std::string script(const char* name) { return shell_quote((repo_root() / "scripts" / name).string()); }

}  // namespace

HostPort parse_host_port(const std::string& s, uint16_t default_port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return {s, default_port};
  return {s.substr(0, colon), static_cast<uint16_t>(std::stoi(s.substr(colon + 1)))};
}

std::string kafka_bootstrap() {
  const char* b = std::getenv("KAFKA_TEST_BOOTSTRAP");
  return b ? b : "";
}

RunResult kafka_script(const std::string& args) {
  std::string env;
  if (auto b = kafka_bootstrap(); !b.empty())
    env = "KAFKA_SH_PORT=" + std::to_string(parse_host_port(b, 9092).port) + " ";
  return run_shell(env + "timeout 240 bash " + script("kafka.sh") + " " + args);
}

std::optional<HostPort> cassandra_test_address() {
  const char* v = std::getenv("CASSANDRA_TEST_ADDRESS");
  if (!v || !*v) return std::nullopt;
  return parse_host_port(v, 9042);
}

RunResult cassandra_script(uint16_t port, const std::string& what, bool auth) {
  return run_shell("CASSANDRA_SH_PORT=" + std::to_string(port) + " CASSANDRA_SH_AUTH=" + (auth ? "1" : "0") +
                   " timeout 240 bash " + script("cassandra.sh") + " " + what);
}

}  // namespace sluice::testing
