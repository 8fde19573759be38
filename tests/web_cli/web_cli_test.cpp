// The API against the CLI's own numbers for the same state, through the binary: the
// Pipeline overview of `sluice ui` equals `sluice status --json`, the table's count
// equals `sluice query`, /metrics parses with Prometheus's own text parser
// (prometheus_client from PyPI, tests/web/check_metrics.py; scripts/test.sh gives its
// venv's python in WEB_TEST_PYTHON), `sluice dlq` redrives what the page would, and a
// dashboard on another address without a login is refused at start.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <regex>

#include "support/json.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/shell.h"
#include "support/sluice.h"
#include "support/wait.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

class WebCliTest : public ::testing::Test {
 protected:
  std::string sluice(const std::string& args) const {
    auto p = [&](const char* f) { return (dir_.path() / f).string(); };
    return dir_.sluice().command("--set web.history=" + p("history.db") + " --set scheduler.metadata=" + p("meta.db") +
                                 " --set scheduler.logs=" + p("logs") + " " + args);
  }
  RunResult run(const std::string& args) const { return run_shell(sluice(args) + " 2>&1"); }

  // Starts `sluice ui` on a free port and returns its base URL.
  std::string start_ui(const std::string& extra = "") {
    ui_.emplace(sluice("ui --listen 127.0.0.1:0 " + extra), ProcessOptions{.output = dir_.path() / "ui.out"});
    std::smatch m;
    std::regex url(R"(dashboard on http://127\.0\.0\.1:(\d+)/)");
    bool up = wait_for(
        [&] {
          auto out = ui_->output();
          if (!std::regex_search(out, m, url)) return false;
          port_ = std::stoi(m[1]);
          return true;
        },
        20s, "sluice ui to listen");
    EXPECT_TRUE(up) << ui_->output();
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(20, 0);
    return c;
  }
  void TearDown() override {
    if (ui_ && ui_->running()) {
      ui_->signal(SIGTERM);
      EXPECT_EQ(ui_->wait(20s), 0) << ui_->output();
    }
  }

  ScratchDir dir_;
  std::optional<Process> ui_;
  int port_ = 0;
};

TEST_F(WebCliTest, TheOverviewEqualsStatusAndTheTableCountEqualsQuery) {
  auto r = run("run --records 3000 --rate 0 --trigger 200ms");
  ASSERT_EQ(r.code, 0) << r.out;
  start_ui();
  auto c = client();
  // The sampler's first sample comes before the server answers.
  auto res = c.Get("/api/overview");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  JsonOut api(res->body);
  auto st = run("status --json");
  ASSERT_EQ(st.code, 0) << st.out;
  JsonOut cli(st.out);
  for (const char* p : {"/topic/records", "/topic/end_offsets", "/topic/partitions", "/query/batches", "/query/input_rows",
                        "/query/rows_written", "/query/dead_lettered", "/query/skipped", "/lag/records", "/table/rows",
                        "/dead_letters/records", "/reconciliation/appended", "/reconciliation/committed"})
    EXPECT_EQ(api.integer(p), cli.integer(p)) << p;
  EXPECT_EQ(api.str("/table/name"), cli.str("/table/name"));
  EXPECT_EQ(api.str("/mode"), "ui");
  EXPECT_EQ(cli.str("/mode"), "status");
  EXPECT_EQ(api.integer("/table/rows"), 3000);

  auto q = run("query --json \"SELECT count(*) AS n FROM users\"");
  ASSERT_EQ(q.code, 0) << q.out;
  res = c.Get("/api/table");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(JsonOut(res->body).integer("/rows"), JsonOut(q.out).integer("/n")) << q.out;

  auto text = run("status");
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("3,000 rows"), std::string::npos) << text.out;

  // /metrics through Prometheus's parser.
  res = c.Get("/metrics");
  ASSERT_TRUE(res && res->status == 200);
  const char* py = std::getenv("WEB_TEST_PYTHON");
  if (!py) GTEST_SKIP() << "WEB_TEST_PYTHON (a python with prometheus_client; scripts/py_venv.sh) is not set";
  auto file = dir_.path() / "metrics.txt";
  std::ofstream(file) << res->body;
  auto check = run_shell(std::string(py) + " " + (repo_root() / "tests/web/check_metrics.py").string() + " " +
                         file.string() +
                         " --require sluice_build_info sluice_consumer_lag_records sluice_consumer_lag_seconds "
                         "sluice_log_end_offset sluice_scheduler_runs 2>&1");
  EXPECT_EQ(check.code, 0) << check.out << check.err;
}

TEST_F(WebCliTest, StatusCountsAScheduledRunsBooksOnceTheQueryReadItsRecords) {
  auto r = run("dags trigger user_automation --wait --set dags.user_automation.tasks.stream_data.for=1s "
               "--set dags.user_automation.tasks.stream_data.retries=0 --set produce.rate=2000");
  ASSERT_EQ(r.code, 0) << r.out;
  // Nothing streamed yet: the run's records are not consumed, its books not counted.
  auto st = run("status --json");
  ASSERT_EQ(st.code, 0) << st.out;
  JsonOut before(st.out);
  int64_t produced = before.integer("/runs/0/produced");
  EXPECT_GT(produced, 500);
  EXPECT_EQ(before.integer("/runs/0/books/in_range"), produced);
  EXPECT_EQ(before.integer("/runs/0/consumed"), 0);
  EXPECT_FALSE(before.boolean("/runs/0/books/final"));
  EXPECT_NE(before.str("/runs/0/books/note").find("not consumed yet"), std::string::npos) << st.out;

  auto s = run("stream --trigger available-now");
  ASSERT_EQ(s.code, 0) << s.out;
  st = run("status --json");
  ASSERT_EQ(st.code, 0) << st.out;
  JsonOut after(st.out);
  EXPECT_EQ(after.integer("/runs/0/consumed"), produced);
  EXPECT_EQ(after.integer("/runs/0/written"), produced);
  EXPECT_EQ(after.integer("/runs/0/dead_lettered"), 0);
  EXPECT_EQ(after.integer("/runs/0/missing"), 0);
  EXPECT_TRUE(after.boolean("/runs/0/reconciled")) << st.out;

  // Kept in the history: the dashboard shows the same books without counting again.
  start_ui();
  auto res = client().Get("/api/overview");
  ASSERT_TRUE(res && res->status == 200);
  JsonOut api(res->body);
  EXPECT_TRUE(api.boolean("/runs/0/reconciled")) << res->body;
  EXPECT_EQ(api.integer("/runs/0/written"), produced);
  auto text = run("status");
  EXPECT_NE(text.out.find("reconciled"), std::string::npos) << text.out;
}

TEST_F(WebCliTest, DlqListAndRedriveFromTheCommandLine) {
  // A mapping that names a field the API never has: every user is dead-lettered by the
  // produce task (stage map, kind missing_field).
  auto r = run("produce --for 1s --rate 5 --set 'mapping.fields.gender={nope.x}'");
  ASSERT_EQ(r.code, 0) << r.out;
  auto listed = run("dlq list --json");
  ASSERT_EQ(listed.code, 0) << listed.out;
  JsonOut letters(listed.out);
  auto n = letters.integer("/records");
  ASSERT_GT(n, 0) << listed.out;
  EXPECT_EQ(letters.integer("/by_kind/missing_field"), n);
  EXPECT_EQ(letters.str("/letters/0/stage"), "map");
  auto list = run("dlq list");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find(std::to_string(n) + " dead letters (missing_field " + std::to_string(n) + ")"), std::string::npos)
      << list.out;
  auto redrive = run("dlq redrive --kind missing_field");
  ASSERT_EQ(redrive.code, 0) << redrive.out;
  EXPECT_NE(redrive.out.find("redrove " + std::to_string(n) + " dead letter(s) to user_created"), std::string::npos)
      << redrive.out;
  redrive = run("dlq redrive --all --json");
  ASSERT_EQ(redrive.code, 0) << redrive.out;
  JsonOut j(redrive.out);
  EXPECT_EQ(j.integer("/redriven"), 0);
  EXPECT_EQ(j.integer("/already"), n) << "each letter is redriven once";
  auto topic = run("topics tail user_created -n 3 --json");
  EXPECT_NE(topic.out.find("sluice.redriven_from"), std::string::npos) << topic.out;
  auto bad = run("dlq redrive 0:1");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("expected PARTITION/OFFSET"), std::string::npos) << bad.out;
  bad = run("dlq redrive");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("redrive what?"), std::string::npos) << bad.out;
}

TEST_F(WebCliTest, AnOpenAddressWithoutALoginIsRefusedAtStart) {
  auto r = run("ui --listen 0.0.0.0:0");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("not a loopback address"), std::string::npos) << r.out;
  r = run("ui --listen 0.0.0.0:0 --set web.user=admin");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("no password"), std::string::npos) << r.out;
}

TEST_F(WebCliTest, AWrongPasswordIsRefusedAndNeverLogged) {
  auto pw = dir_.path() / "pw";
  std::ofstream(pw) << "right-pw-7431\n";
  start_ui("--set web.user=admin --set web.password_file=" + pw.string());
  auto c = client();
  auto res = c.Get("/api/overview");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = c.Post("/login", "user=admin&password=wrong-pw-9999", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Location"), "/login?error=1");
  res = c.Post("/login", "user=admin&password=right-pw-7431", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Location"), "/");
  ui_->signal(SIGTERM);
  EXPECT_EQ(ui_->wait(20s), 0);
  auto out = ui_->output();
  EXPECT_NE(out.find("refused"), std::string::npos) << out;
  EXPECT_EQ(out.find("right-pw-7431"), std::string::npos) << out;
  EXPECT_EQ(out.find("wrong-pw-9999"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::testing
