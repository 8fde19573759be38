#include "support/sluice.h"

namespace sluice::testing {

std::string SluiceCommand::command(const std::string& args) const {
  std::string c = shell_quote(sluice_binary()) + " --config " + shell_quote(config);
  if (!log.empty()) c += " --log " + shell_quote(log);
  if (!topic.empty()) c += " --topic " + shell_quote(topic);
  if (!sink.empty()) c += " --sink " + shell_quote(sink);
  return c + " " + args;
}

}  // namespace sluice::testing
