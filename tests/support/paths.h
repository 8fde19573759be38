#pragma once
// Where things are: the source tree, the test fixtures, the sluice binary of this build and
// the shipped config. Fixed when the tests are built (tests/support/CMakeLists.txt), so a
// test finds them from whatever directory ctest runs it in.
#include <filesystem>
#include <string>

namespace sluice::testing {

namespace fs = std::filesystem;

fs::path repo_root();         // the source tree
fs::path fixtures_dir();      // tests/fixtures
std::string repo_config();    // config/user_automation.yaml, the config the repo ships
std::string sluice_binary();  // the sluice executable the tests run

// The whole file as bytes; "" if it cannot be read (a test then fails on the content).
std::string slurp(const fs::path& p);
// A file under tests/fixtures, e.g. read_fixture("randomuser/users_v1.4.json").
std::string read_fixture(const std::string& relative);

// `s` in single quotes for /bin/sh, whatever it holds.
std::string shell_quote(const std::string& s);

}  // namespace sluice::testing
