// End-to-end tests of the sluice binary: flags, config errors and exit codes, and a
// produce run whose records are read back with `topics tail --json`.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>
#include <sstream>

#include "support/scratch_dir.h"

namespace {

namespace fs = std::filesystem;
using sluice::testing::run_shell;
using sluice::testing::shell_quote;
using sluice::testing::sluice_binary;
using sluice::testing::SluiceCommand;
using Result = sluice::testing::RunResult;

class CliTest : public ::testing::Test {
 protected:
  // Runs `sluice <args>` with the shipped config and this test's log directory.
  Result sluice(const std::string& args, const std::string& env = "") {
    return run_shell(env + " " + SluiceCommand{.log = "file:" + (dir_ / "log").string()}.command(args), dir_);
  }

  sluice::testing::ScratchDir scratch_;
  const fs::path& dir_ = scratch_.path();
};

TEST_F(CliTest, VersionAndHelp) {
  auto v = sluice("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("sluice "), std::string::npos);
  auto h = sluice("produce --help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--records"), std::string::npos);
  EXPECT_NE(h.out.find("--for"), std::string::npos);
  auto t = sluice("topics tail --help");
  EXPECT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("--json"), std::string::npos);
}

TEST_F(CliTest, ProduceThenTailReadsTheRecordsBack) {
  auto r = sluice("produce --records 1000 --seed 7 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  simdjson::dom::parser p;
  simdjson::dom::object summary = p.parse(r.out);
  EXPECT_EQ(uint64_t(summary["produced"]), 1000u);
  EXPECT_EQ(uint64_t(summary["delivery_failures"]), 0u);
  EXPECT_EQ(std::string_view(summary["topic"]), "user_created");

  auto t = sluice("topics tail user_created -n 5 --json");
  ASSERT_EQ(t.code, 0) << t.err;
  std::istringstream lines(t.out);
  std::string line;
  int n = 0;
  simdjson::dom::parser p2, p3;
  while (std::getline(lines, line)) {
    simdjson::dom::object m = p2.parse(line);
    std::string_view value = m["value"];
    simdjson::dom::object user = p3.parse(std::string(value));
    size_t fields = 0;
    for (auto kv : user) {
      (void)kv;
      ++fields;
    }
    EXPECT_EQ(fields, 12u);
    EXPECT_EQ(std::string_view(m["key"]), std::string_view(user["id"]));
    ++n;
  }
  EXPECT_EQ(n, 5);

  auto d = sluice("topics describe --json");
  ASSERT_EQ(d.code, 0) << d.err;
  simdjson::dom::object desc = p.parse(d.out);
  int64_t total = 0;
  for (auto part : desc["partitions"].get_array()) total += int64_t(part["end_offset"]);
  EXPECT_EQ(total, 1000);

  auto l = sluice("topics list");
  EXPECT_EQ(l.code, 0);
  EXPECT_NE(l.out.find("user_created"), std::string::npos);
  EXPECT_NE(l.out.find("user_created.dlq"), std::string::npos);
}

TEST_F(CliTest, ConfigErrorsExitTwoAndWriteNothing) {
  auto bad = sluice("produce --records 10 --set http.batch_size=lots");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("http.batch_size"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir_ / "log"));

  auto unknown = sluice("produce --records 10", "SLUICE_PRODUCE__RECORDZ=5");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("SLUICE_PRODUCE__RECORDZ"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("produce.records"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(dir_ / "log"));

  auto dur = sluice("produce --for soon");
  EXPECT_EQ(dur.code, 2);
  EXPECT_NE(dur.err.find("--for"), std::string::npos) << dur.err;

  auto src = sluice("produce --records 10 --source ftp://example.invalid/");
  EXPECT_EQ(src.code, 2);
  EXPECT_NE(src.err.find("source"), std::string::npos) << src.err;
  EXPECT_FALSE(fs::exists(dir_ / "log"));

  auto flag = sluice("produce --no-such-flag");
  EXPECT_EQ(flag.code, 2);

  auto missing = run_shell(shell_quote(sluice_binary()) + " --config /nonexistent.yaml produce", dir_);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("/nonexistent.yaml"), std::string::npos);

  auto scheme = run_shell(SluiceCommand{.log = "nosuch:/x"}.command("topics list"), dir_);
  EXPECT_EQ(scheme.code, 2);
}

TEST_F(CliTest, SameSeedSameRecordsApartFromIds) {
  auto a = sluice("produce --records 50 --seed 42 --topic a --json");
  ASSERT_EQ(a.code, 0) << a.err;
  auto b = sluice("produce --records 50 --seed 42 --topic b --json");
  ASSERT_EQ(b.code, 0) << b.err;
  auto ta = sluice("topics tail a -n 50 --json");
  auto tb = sluice("topics tail b -n 50 --json");
  // Compare the names in both: ids differ (fresh UUIDs), the generated users do not.
  auto names = [](const std::string& text) {
    std::multiset<std::string> out;
    simdjson::dom::parser p1, p2;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      simdjson::dom::object m = p1.parse(line);
      simdjson::dom::object u = p2.parse(std::string(std::string_view(m["value"])));
      out.insert(std::string(std::string_view(u["email"])));
    }
    return out;
  };
  auto na = names(ta.out), nb = names(tb.out);
  EXPECT_EQ(na.size(), 50u);
  EXPECT_EQ(na, nb);
}

}  // namespace
