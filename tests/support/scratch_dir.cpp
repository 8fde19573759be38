#include "support/scratch_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>

namespace sluice::testing {
namespace {

// Parameterised tests are named "Prefix/Suite" and "Test/3": keep the name one path element.
std::string file_name_part(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  return s;
}

}  // namespace

ScratchDir::ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "_" + info->name() : "no_test";
  path_ = fs::temp_directory_path() / ("sluice_" + file_name_part(name) + "_" + std::to_string(::getpid()));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;  // never throw from here; a leftover directory is harmless
  if (!::testing::Test::HasFailure()) fs::remove_all(path_, ec);
}

RunResult ScratchDir::run(const std::string& args, const std::string& env) const {
  return run_shell(env + " " + command(args), path_);
}

}  // namespace sluice::testing
