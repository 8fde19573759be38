#include "support/paths.h"

#include <fstream>
#include <sstream>

#ifndef SLUICE_REPO_ROOT
#error "SLUICE_REPO_ROOT is set by tests/support/CMakeLists.txt"
#endif

namespace sluice::testing {

fs::path repo_root() { return SLUICE_REPO_ROOT; }
fs::path fixtures_dir() { return repo_root() / "tests" / "fixtures"; }
std::string repo_config() { return (repo_root() / "config" / "user_automation.yaml").string(); }
std::string sluice_binary() { return SLUICE_BINARY; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_fixture(const std::string& relative) { return slurp(fixtures_dir() / relative); }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace sluice::testing
