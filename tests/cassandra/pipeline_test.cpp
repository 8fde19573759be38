// The sluice binary against the real Cassandra node, with the seed's own Python driver
// as the witness: `sluice run` into a cassandra:// sink, then the driver reads every row
// back and compares it field for field with the log; the driver inserts rows of every
// type and `sluice query --json` prints them back equal. Skipped without a node (or,
// for the driver's part, without `pip install cassandra-driver`).
#include <gtest/gtest.h>

#include <fstream>

#include "cassandra/cass_env.h"
#include "common/uuid.h"
#include "config/config.h"
#include "sinks/factory/table_view.h"
#include "support/json.h"
#include "support/paths.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

std::string py(const cql::Endpoint& node, const std::string& args) {
  return "python3 '" + py_client() + "' " + args.substr(0, args.find(' ')) + " " + node.host + " " +
         std::to_string(node.port) + args.substr(args.find(' '));
}

TEST(Pipeline, RunWritesEveryRecordAndThePythonDriverReadsThemBack) {
  REQUIRE_NODE();
  if (!python_driver_available()) GTEST_SKIP() << "the Python driver is not installed (pip install cassandra-driver)";
  ScratchDir d;
  const std::string ks = "user_data_test";
  drop_keyspace(node, ks);
  const std::string sink = "cassandra://" + node.str() + "/" + ks;
  auto r = d.shell(sluice_cmd(d, sink, "run --records 2000 --rate 0 --trigger 1s --json"));
  ASSERT_EQ(r.code, 0) << r.err;
  JsonOut summary(r.out);
  EXPECT_EQ(summary.integer("/produced"), 2000) << r.out;
  EXPECT_EQ(summary.integer("/written"), 2000) << r.out;
  EXPECT_EQ(summary.integer("/dead_lettered"), 0) << r.out;
  EXPECT_EQ(summary.integer("/final_lag"), 0) << r.out;

  auto msgs = read_topic(d, "user_created");
  ASSERT_EQ(msgs.size(), 2000u);
  auto expected = d.path() / "expected.jsonl";
  {
    std::ofstream out(expected);
    for (const auto& m : msgs) out << m.value << "\n";
  }
  auto check = run_shell(py(node, "compare-users " + ks + " '" + expected.string() + "'"));
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("OK 2000 rows equal field for field"), std::string::npos) << check.out;

  auto count = d.shell(sluice_cmd(d, sink, "query --json \"SELECT count(*) FROM users\""));
  EXPECT_EQ(count.code, 0) << count.err;
  EXPECT_EQ(count.out, "{\"count\":2000}\n");
  auto table = d.shell(sluice_cmd(d, sink, "query \"SELECT id, first_name FROM users LIMIT 3\""));
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("(3 rows)"), std::string::npos) << table.out;

  // `sluice verify` reads the table from the node: every row matches its record.
  auto v = d.shell(sluice_cmd(d, sink, "verify --json"));
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  JsonOut vj(v.out);
  EXPECT_EQ(vj.integer("/matching"), 2000) << v.out;
  EXPECT_EQ(vj.integer("/table_rows"), 2000) << v.out;
  EXPECT_EQ(vj.integer("/extra"), 0) << v.out;

  // The runs' books look keys up in chunks of bound values (IN of 100 on one session):
  // 250 ids of the topic are all there, two fresh UUIDs are not.
  auto cfg = config::Config::parse(slurp(repo_config()), "test", {{"sink", sink, "--sink"}});
  auto schema = table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
  std::vector<std::string> keys;
  for (size_t i = 0; i < 250; ++i) {
    auto at = msgs[i].value.find("\"id\": \"");
    if (at == std::string::npos) at = msgs[i].value.find("\"id\":\"");
    ASSERT_NE(at, std::string::npos) << msgs[i].value;
    auto from = msgs[i].value.find('"', msgs[i].value.find(':', at)) + 1;
    keys.push_back(msgs[i].value.substr(from, 36));
  }
  auto absent = {format_uuid(uuid_v4()), format_uuid(uuid_v4())};
  keys.insert(keys.end(), absent.begin(), absent.end());
  auto present = sinks::present_keys(cfg, schema, keys);
  EXPECT_EQ(present.size(), 250u);
  for (const auto& k : absent) EXPECT_FALSE(present.contains(k));
  EXPECT_TRUE(present.contains(keys[0]));
}

TEST(Pipeline, PythonDriverInsertsEveryTypeAndSluiceQueryPrintsThemBack) {
  REQUIRE_NODE();
  if (!python_driver_available()) GTEST_SKIP() << "the Python driver is not installed (pip install cassandra-driver)";
  ScratchDir d;
  const std::string ks = "sluice_py_types";
  auto ins = run_shell(py(node, "insert-types " + ks));
  ASSERT_EQ(ins.code, 0) << ins.out << ins.err;
  for (const char* extra : {"", "--set cassandra.compression=lz4 "}) {
    auto q = d.shell(sluice_cmd(d, "cassandra://" + node.str() + "/" + ks,
                                std::string(extra) + "query --json \"SELECT id, t, i, b, d, f, ts FROM types\""));
    ASSERT_EQ(q.code, 0) << q.err;
    auto actual = d.path() / "actual.jsonl";
    std::ofstream(actual) << q.out;
    auto check = run_shell(py(node, "check-types " + ks + " '" + actual.string() + "'"));
    EXPECT_EQ(check.code, 0) << check.out << check.err << "\nsluice printed:\n" << q.out;
  }
}

TEST(Pipeline, QueryErrorsNameTheCause) {
  REQUIRE_NODE();
  ScratchDir d;
  auto missing =
      d.shell(sluice_cmd(d, "cassandra://" + node.str() + "/no_such_keyspace_q", "query \"SELECT * FROM users\""));
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no keyspace no_such_keyspace_q"), std::string::npos) << missing.err;
  auto syntax = d.shell(sluice_cmd(d, "cassandra://" + node.str() + "/system", "query \"SELEC 1\""));
  EXPECT_EQ(syntax.code, 2);
  EXPECT_NE(syntax.err.find("Syntax_error"), std::string::npos) << syntax.err;
}

}  // namespace
}  // namespace sluice::testing
