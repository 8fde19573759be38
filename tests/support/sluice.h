#pragma once
// The sluice command line, built one way for every test that runs the binary.
#include <string>

#include "support/paths.h"

namespace sluice::testing {

// `'<binary>' --config '<config>' [--log L] [--topic T] [--sink S] ARGS`, for run_shell()
// or a Process: e.g. SluiceCommand{.log = uri, .topic = t}.command("produce --records 5").
// ARGS is shell text, passed as is (quote what needs it).
struct SluiceCommand {
  std::string log;                     // --log URI, if set
  std::string topic;                   // --topic, if set
  std::string sink;                    // --sink URI, if set
  std::string config = repo_config();  // --config: the shipped config unless set

  std::string command(const std::string& args) const;
};

}  // namespace sluice::testing
