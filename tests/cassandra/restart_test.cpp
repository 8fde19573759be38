// Faults with the real node: Cassandra stopped for 30 s in the middle of `sluice run`
// (nothing lost, nothing twice), then the node in PasswordAuthenticator mode (a wrong
// password is one clear error and a quick exit, no retry storm). These stop, start and
// switch the node; the auth test runs last and puts the node back without auth.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "support/json.h"
#include "cassandra/cass_env.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

std::set<std::string> log_ids(const ScratchDir& d) {
  std::set<std::string> ids;
  for (const auto& m : read_topic(d, "user_created")) {
    auto at = m.value.find("\"id\":\"");
    if (at != std::string::npos) ids.insert(m.value.substr(at + 6, 36));
  }
  return ids;
}

TEST(Outage, CassandraDownFor30sDuringRunLosesNothingAndDuplicatesNothing) {
  REQUIRE_NODE();
  ScratchDir d;
  const std::string ks = "user_data_outage";
  drop_keyspace(node, ks);
  const std::string table = ks + ".users";
  Process run(sluice_cmd(d, "cassandra://" + node.str() + "/" + ks,
                         "run --for 40s --rate 250 --trigger 1s --json"),
              {.output = d.path() / "out.txt", .errors = d.path() / "err.txt", .cwd = d.path()});
  ASSERT_TRUE(wait_for([&] { return count_rows(node, table) > 0; }, 60s, "rows in " + table))
      << slurp(d.path() / "err.txt");

  auto down_at = std::chrono::steady_clock::now();
  auto stop = node_script(node, "stop");
  ASSERT_EQ(stop.code, 0) << stop.out << stop.err;
  // The query notices, keeps its offsets and backs off.
  EXPECT_TRUE(wait_for([&] { return slurp(d.path() / "err.txt").find("sink not ready") != std::string::npos; },
                       30s, "\"sink not ready\" in the run's log"))
      << slurp(d.path() / "err.txt");
  // The outage itself: the node stays down 30 s in all (a duration under test, not a wait
  // for something to happen).
  std::this_thread::sleep_until(down_at + 30s);
  auto start = node_script(node, "start");
  ASSERT_EQ(start.code, 0) << start.out << start.err;

  int code = run.wait(180s);
  std::string out = slurp(d.path() / "out.txt"), err = slurp(d.path() / "err.txt");
  ASSERT_EQ(code, 0) << out << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("\"produced\":([0-9]+)"))) << out;
  const size_t produced = std::stoul(m[1]);
  EXPECT_EQ(JsonOut(out).integer("/final_lag"), 0) << out;

  auto expected = log_ids(d);
  ASSERT_EQ(expected.size(), produced);
  cql::Session s(node_session(node));
  s.connect();
  std::set<std::string> got;
  size_t rows = 0;
  s.for_each_page("SELECT id FROM " + table, {}, 5000, [&](const cql::RowsResult& page) {
    for (int32_t r = 0; r < page.row_count; ++r) {
      ++rows;
      got.insert(format_uuid(*reinterpret_cast<const Uuid*>(page.cell(r, 0)->data())));
    }
  });
  EXPECT_EQ(rows, produced);
  EXPECT_EQ(got.size(), produced);
  EXPECT_TRUE(got == expected) << "ids in the log and the table differ";
  EXPECT_GT(produced, 5000u);  // records flowed before, during and after the outage
}

// Puts the node back without auth whatever the test's outcome.
struct NoAuthAtTheEnd {
  cql::Endpoint node;
  ~NoAuthAtTheEnd() {
    auto r = node_script(node, "start", false);
    if (r.code != 0) ADD_FAILURE() << "could not restart the node without auth: " << r.out << r.err;
  }
};

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Auth, WrongPasswordIsOneClearErrorAndAQuickExit) {
  REQUIRE_NODE();
  NoAuthAtTheEnd restore{node};
  auto start = node_script(node, "start", true);
  ASSERT_EQ(start.code, 0) << start.out << start.err;
  // The node creates its default superuser just after it answers: wait for the login.
  auto o = node_session(node);
  o.connection.user = "cassandra";
  o.connection.password = "cassandra";
  ASSERT_TRUE(wait_for([&] {
    try {
      cql::Session s(o);
      s.connect();
      return true;
    } catch (const cql::CqlError&) {
      return false;
    }
  }, 60s, "a login as cassandra/cassandra"));

  ScratchDir d;
  const std::string sink = "cassandra://cassandra@" + node.str() + "/user_data_auth";
  const std::string pw = " --set cassandra.password_env=CASSANDRA_TEST_PASSWORD ";
  auto ok = d.shell("export CASSANDRA_TEST_PASSWORD=cassandra; " +
                    sluice_cmd(d, sink, pw + "run --records 200 --rate 0 --trigger 1s"));
  ASSERT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("written        200 rows to cassandra://cassandra@" + node.str() + "/user_data_auth"),
            std::string::npos)
      << ok.out;

  for (const char* cmd : {"run --records 100 --rate 0", "stream --trigger once"}) {
    auto t0 = std::chrono::steady_clock::now();
    auto bad = d.shell("export CASSANDRA_TEST_PASSWORD=wrong-pw-4711; " + sluice_cmd(d, sink, pw + cmd));
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(bad.code, 1) << cmd << "\n" << bad.out << bad.err;
    EXPECT_LT(took, 10s) << cmd;
    EXPECT_EQ(occurrences(bad.err, "authentication failed"), 1u) << cmd << "\n" << bad.err;
    EXPECT_NE(bad.err.find("Provided username cassandra and/or password are incorrect"), std::string::npos) << bad.err;
    EXPECT_EQ((bad.out + bad.err).find("wrong-pw-4711"), std::string::npos) << bad.err;
  }
}

}  // namespace
}  // namespace sluice::testing
