// The web module in-process: its settings, the login, time lag, the history on disk,
// the message browser's reads, redrive, and the HTTP server over a real pipeline's
// stores (embedded log, SQLite), with and without a login.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sqlite3.h>

#include <fstream>

#include "common/clock.h"
#include "common/error.h"
#include "config/config.h"
#include "history/history_store.h"
#include "log/factory/open_log.h"
#include "pipeline/pipeline.h"
#include "support/json.h"
#include "support/paths.h"
#include "support/scratch_dir.h"
#include "web/auth.h"
#include "web/dashboard.h"
#include "web/dead_letters.h"
#include "web/lag_tracker.h"
#include "web/message_reader.h"
#include "web/reconciler.h"
#include "web/server.h"
#include "web/web_options.h"

namespace sluice::web {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDir;

config::Config load(const ScratchDir& dir, std::vector<config::Override> extra = {}) {
  config::LoadOptions o;
  o.file = testing::repo_config();
  o.file_explicit = true;
  auto p = [&](const char* f) { return (dir.path() / f).string(); };
  o.flags = {{"log", dir.log_uri(), "test"},
             {"sink", dir.sink_uri(), "test"},
             {"builtin.seed", "7", "test"},
             {"web.history", p("history.db"), "test"},
             {"scheduler.metadata", p("meta.db"), "test"},
             {"scheduler.logs", p("logs"), "test"},
             {"web.listen", "127.0.0.1:0", "test"}};
  for (auto& e : extra) o.flags.push_back(std::move(e));
  return config::Config::load(o);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(WebOptions, ANonLoopbackAddressWithoutALoginIsRefusedSayingWhy) {
  ScratchDir dir;
  auto why = error_of([&] { WebOptions::from_config(load(dir, {{"web.listen", "0.0.0.0:8080", "test"}})); });
  EXPECT_NE(why.find("not a loopback address"), std::string::npos) << why;
  EXPECT_NE(why.find("web.user"), std::string::npos) << why;
  auto ok = WebOptions::from_config(load(dir, {{"web.listen", "0.0.0.0:8080", "test"},
                                                {"web.user", "admin", "test"},
                                                {"web.password", "s3cret-pw", "test"}}));
  EXPECT_EQ(ok.host, "0.0.0.0");
  EXPECT_EQ(ok.port, 8080);
  EXPECT_TRUE(ok.login());
}

TEST(WebOptions, LoginMistakesAreNamedAndThePasswordNeverShown) {
  ScratchDir dir;
  auto why = error_of([&] { WebOptions::from_config(load(dir, {{"web.user", "admin", "test"}})); });
  EXPECT_NE(why.find("no password"), std::string::npos) << why;
  why = error_of([&] { WebOptions::from_config(load(dir, {{"web.password", "hunter2-x", "test"}})); });
  EXPECT_NE(why.find("no web.user"), std::string::npos) << why;
  EXPECT_EQ(why.find("hunter2-x"), std::string::npos) << why;
  why = error_of([&] { WebOptions::from_config(load(dir, {{"web.listen", "localhost", "test"}})); });
  EXPECT_NE(why.find("HOST:PORT"), std::string::npos) << why;
  why = error_of([&] { WebOptions::from_config(load(dir, {{"web.listen", "127.0.0.1:99999", "test"}})); });
  EXPECT_NE(why.find("0-65535"), std::string::npos) << why;

  auto file = dir.path() / "pw";
  std::ofstream(file) << "from-a-file\n";
  auto o = WebOptions::from_config(load(dir, {{"web.user", "admin", "test"}, {"web.password_file", file.string(), "test"}}));
  EXPECT_EQ(o.password, "from-a-file");
  why = error_of([&] {
    WebOptions::from_config(load(dir, {{"web.user", "admin", "test"}, {"web.password_file", "/nonexistent/pw", "test"}}));
  });
  EXPECT_NE(why.find("cannot read the password file"), std::string::npos) << why;
}

TEST(Auth, SessionsAndCsrfTokens) {
  Auth auth("admin", "pw-123", "scrape-token");
  EXPECT_TRUE(auth.login_required());
  EXPECT_FALSE(auth.login("admin", "wrong"));
  EXPECT_FALSE(auth.login("root", "pw-123"));
  auto token = auth.login("admin", "pw-123");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->size(), 64u);
  auto csrf = auth.session(*token);
  ASSERT_TRUE(csrf);
  EXPECT_EQ(csrf->size(), 32u);
  EXPECT_FALSE(auth.session("not-a-session"));
  EXPECT_FALSE(auth.session(""));
  auto other = auth.login("admin", "pw-123");
  EXPECT_NE(*other, *token);
  EXPECT_NE(*auth.session(*other), *csrf) << "each session has its own CSRF token";
  auth.logout(*token);
  EXPECT_FALSE(auth.session(*token));
  EXPECT_TRUE(auth.metrics_token_ok("scrape-token"));
  EXPECT_FALSE(auth.metrics_token_ok("scrape-tokem"));
  EXPECT_FALSE(auth.metrics_token_ok(""));

  Auth open("", "");
  EXPECT_FALSE(open.login_required());
  EXPECT_TRUE(open.session("")) << "without a login every request has the server's CSRF token";
  EXPECT_FALSE(open.login("", ""));
  EXPECT_EQ(Auth::cookie_token("a=1; sluice_session=abc; b=2"), "abc");
  EXPECT_EQ(Auth::cookie_token("sluice_session_x=1"), "");
}

TEST(TimeLag, InterpolatedFromTheEndOffsetHistory) {
  // End offsets: 0 at t=0 s, 100 at t=10 s, 100 at t=20 s (a quiet run), 200 at t=30 s.
  EndHistory h{{0, 0}, {10'000, 100}, {20'000, 100}, {30'000, 200}};
  EXPECT_EQ(time_lag_seconds(h, 200, 200, 40'000), 0) << "caught up";
  // Offset 150 was appended between 20 s and 30 s: half way, at 25.1 s.
  EXPECT_NEAR(time_lag_seconds(h, 150, 200, 40'000), 40.0 - 25.1, 0.01);
  // Offset 100 was appended just after 20 s, not at 10 s (the quiet run is kept).
  EXPECT_NEAR(time_lag_seconds(h, 100, 200, 40'000), 40.0 - 20.1, 0.01);
  // Offset 49: between 0 and 10 s.
  EXPECT_NEAR(time_lag_seconds(h, 49, 200, 40'000), 40.0 - 5.0, 0.01);
  // Older than every sample: at least the oldest sample's age.
  EndHistory late{{10'000, 100}, {20'000, 200}};
  EXPECT_NEAR(time_lag_seconds(late, 50, 200, 30'000), 20.0, 0.01);
  EXPECT_EQ(time_lag_seconds({}, 5, 10, 1000), 0);
}

TEST(HistoryStore, KeepsBatchesTotalsLagAndRedrivesAcrossReopensWithinItsBounds) {
  ScratchDir dir;
  auto path = (dir.path() / "h" / "history.db").string();
  {
    auto h = history::HistoryStore::open(path, false, {.max_batches = 100});
    for (uint64_t i = 0; i < 300; ++i) {
      stream::BatchProgress p;
      p.batch_id = i;
      p.timestamp_ms = 1000 + static_cast<int64_t>(i);
      p.input_rows = 10;
      p.written_rows = 9;
      p.dead_lettered = 1;
      p.total_ms = 2.5;
      p.end_offsets = {{0, static_cast<int64_t>(i)}, {1, 7}};
      h.add_batch("q", p);
    }
    h.add_lag({{5000, "g", "t", 0, 0, 10, 4, 6, 1.5}, {5000, "g", "t", 1, 0, 10, std::nullopt, 10, 3.0}});
    EXPECT_TRUE(h.mark_redriven("dlq", 0, 3, 1));
    EXPECT_FALSE(h.mark_redriven("dlq", 0, 3, 2)) << "a letter is marked once";
  }
  auto h = history::HistoryStore::open(path, true);
  auto t = h.totals("q");
  EXPECT_EQ(t.batches, 300u);
  EXPECT_EQ(t.input_rows, 3000u);
  EXPECT_EQ(t.written_rows, 2700u);
  EXPECT_EQ(t.dead_lettered, 300u);
  auto all = h.batches("q", 0, 100'000);
  // Trimmed every 64 adds to the bound: never more than bound + 64 kept.
  EXPECT_GE(all.size(), 100u);
  EXPECT_LE(all.size(), 164u);
  EXPECT_EQ(all.back().batch_id, 299u);
  EXPECT_EQ(all.back().end_offsets.at(0), 299);
  EXPECT_DOUBLE_EQ(all.back().total_ms, 2.5);
  auto newest = h.batches("q", 0, 5);
  ASSERT_EQ(newest.size(), 5u);
  EXPECT_EQ(newest.front().batch_id, 295u) << "the newest `limit`, oldest first";
  EXPECT_EQ(h.batches("q", 1298, 100).size(), 1u);
  auto lag = h.lag("g", "t");
  ASSERT_EQ(lag.size(), 2u);
  EXPECT_EQ(lag[0].committed, 4);
  EXPECT_FALSE(lag[1].committed);
  EXPECT_DOUBLE_EQ(lag[1].lag_seconds, 3.0);
  EXPECT_EQ(h.redriven("dlq").size(), 1u);
  EXPECT_NE(error_of([&] { history::HistoryStore::open((dir.path() / "none.db").string(), true); }).find("no history"),
            std::string::npos);
}

// A topic of 3 partitions with `n` records: value "rec-<i>", key "k<i>", timestamps 1000 + i.
std::unique_ptr<log::Log> topic_with(const ScratchDir& dir, const std::string& topic, int n) {
  auto cfg = load(dir);
  auto l = log::open_log(log::log_settings(cfg));
  l->admin()->create_topic(topic, 3, 1);
  auto p = l->producer();
  for (int i = 0; i < n; ++i) {
    auto key = "k" + std::to_string(i);
    auto value = "rec-" + std::to_string(i);
    std::vector<log::Header> h{{"n", std::to_string(i)}};
    p->send({.topic = topic, .key = key, .value = value, .timestamp_ms = 1000 + i, .partition = i % 3, .headers = h});
  }
  p->flush(10s);
  return l;
}

TEST(MessageReader, NewestFromAnOffsetByTimeAndBySubstring) {
  ScratchDir dir;
  auto l = topic_with(dir, "t", 300);
  auto admin = l->admin();
  MessageQuery q;
  q.limit = 5;
  auto page = read_messages(*l, *admin, "t", q);
  ASSERT_EQ(page.messages.size(), 5u);
  EXPECT_EQ(page.messages[0].value, "rec-299") << "newest first";
  EXPECT_EQ(page.messages[4].value, "rec-295");

  q.mode = MessageQuery::Mode::offset;
  q.partition = 1;
  q.offset = 10;
  q.limit = 3;
  page = read_messages(*l, *admin, "t", q);
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_EQ(page.messages[0].offset, 10);
  EXPECT_EQ(page.messages[0].value, "rec-31");  // partition 1 holds 1, 4, 7, ...
  ASSERT_EQ(page.messages[0].headers.size(), 1u);
  EXPECT_EQ(page.messages[0].headers[0].value, "31");

  q.mode = MessageQuery::Mode::timestamp;
  q.partition = -1;
  q.timestamp_ms = 1000 + 150;
  q.limit = 4;
  page = read_messages(*l, *admin, "t", q);
  ASSERT_EQ(page.messages.size(), 4u);
  EXPECT_EQ(page.messages[0].value, "rec-150");
  EXPECT_EQ(page.messages[3].value, "rec-153");

  q = MessageQuery{};
  q.contains = "rec-17";
  q.limit = 50;
  page = read_messages(*l, *admin, "t", q);
  EXPECT_EQ(page.messages.size(), 11u);  // rec-17 and rec-170..179
  EXPECT_EQ(page.scanned, 300u);
  q.contains = "k42";
  page = read_messages(*l, *admin, "t", q);
  ASSERT_EQ(page.messages.size(), 1u) << "the key is searched too";
  EXPECT_EQ(page.messages[0].value, "rec-42");

  q = MessageQuery{};
  q.mode = MessageQuery::Mode::offset;
  q.partition = 7;
  EXPECT_NE(error_of([&] { read_messages(*l, *admin, "t", q); }).find("no partition 7"), std::string::npos);
  EXPECT_THROW(read_messages(*l, *admin, "absent", MessageQuery{}), UsageError);
}

// Three records the query cannot parse land in the dead-letter topic; a redrive sends
// them back once, marked; a second redrive skips them.
TEST(Redrive, SendsLettersBackOnceWithTheHeader) {
  ScratchDir dir;
  auto cfg = load(dir, {{"stream.trigger", "available-now", "test"}});
  {
    auto l = log::open_log(log::log_settings(cfg));
    l->admin()->create_topic("user_created", 3, 1);
    auto p = l->producer();
    for (std::string v : {"{not json", "[1,2]", "{\"id\": 5}"}) p->send({.topic = "user_created", .value = v});
    p->flush(10s);
  }
  pipeline::Pipeline stream(cfg, pipeline::Role::stream, pipeline::PipelineOptions::from_config(cfg));
  auto s = stream.stream();
  EXPECT_EQ(s.dead_lettered, 3u);

  Dashboard dash(cfg, Mode::ui);
  testing::JsonOut letters(dash.dead_letters(100, ""));
  EXPECT_EQ(letters.integer("/records"), 3);
  EXPECT_EQ(letters.str("/letters/0/stage"), "parse");
  EXPECT_EQ(letters.str("/letters/0/origin/topic"), "user_created");

  testing::JsonOut r(dash.redrive_letters({.all = true}));
  EXPECT_EQ(r.integer("/redriven"), 3);
  EXPECT_EQ(r.integer("/already"), 0);
  testing::JsonOut again(dash.redrive_letters({.all = true}));
  EXPECT_EQ(again.integer("/redriven"), 0);
  EXPECT_EQ(again.integer("/already"), 3) << "never twice by accident";

  auto l = log::open_log(log::log_settings(cfg));
  auto admin = l->admin();
  MessageQuery q;
  q.contains = "not json";
  auto page = read_messages(*l, *admin, "user_created", q);
  ASSERT_EQ(page.messages.size(), 2u) << "the original and its redrive";
  bool marked = false;
  for (const auto& m : page.messages)
    for (const auto& h : m.headers) marked |= h.key == "sluice.redriven_from" && h.value.starts_with("user_created.dlq/");
  EXPECT_TRUE(marked);

  // The redriven records fail again: their new letters carry the header and are skipped.
  auto s2 = stream.stream();
  EXPECT_EQ(s2.dead_lettered, 3u);
  testing::JsonOut third(dash.redrive_letters({.all = true}));
  EXPECT_EQ(third.integer("/redriven"), 0);
  EXPECT_EQ(third.integer("/already"), 6);
  testing::JsonOut forced(dash.redrive_letters({.kind = "invalid_json", .again = true}));
  EXPECT_GE(forced.integer("/redriven"), 1);
}

TEST(RunBooks, EachRecordOfARunsOffsetsIsInTheTableOrTheDlqOrMissing) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.records", "1000", "test"}, {"stream.trigger", "available-now", "test"}});
  produce::ProduceStats ps;
  {
    pipeline::Pipeline p(cfg, pipeline::Role::produce, pipeline::PipelineOptions::from_config(cfg, true));
    ps = p.produce();
  }
  ASSERT_EQ(ps.produced, 1000u);
  ASSERT_EQ(ps.topic_offsets.size(), 3u) << "the run's offsets, per partition";
  RunRange range;
  for (const auto& [partition, o] : ps.topic_offsets) range.offsets[partition] = o;
  range.produced = 1000;
  ASSERT_EQ(range.records(), 1000);
  {  // another producer writes two bad records into the run's partition 0 range
    auto l = log::open_log(log::log_settings(cfg));
    auto p = l->producer();
    for (std::string v : {"{not json", "[1]"}) p->send({.topic = "user_created", .value = v, .partition = 0});
    p->flush(10s);
    range.offsets[0].second += 2;
  }
  auto l = log::open_log(log::log_settings(cfg));
  CountInputs in{.cfg = cfg, .schema = table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns")),
                 .log = *l, .topic = "user_created", .dead_letter_topic = "user_created.dlq"};

  // Nothing consumed yet: the books say how far the query got, and are not counted.
  auto books = open_books(range, {});
  EXPECT_EQ(books.consumed, 0);
  count_books(books, range, in);
  EXPECT_FALSE(books.final);
  EXPECT_FALSE(books.reconciled().has_value());
  EXPECT_NE(books.note.find("not consumed yet"), std::string::npos) << books.note;

  {
    pipeline::Pipeline stream(cfg, pipeline::Role::stream, pipeline::PipelineOptions::from_config(cfg));
    auto s = stream.stream();
    ASSERT_EQ(s.written_rows, 1000u);
    ASSERT_EQ(s.dead_lettered, 2u);
  }
  auto committed = log::committed_of(l->admin()->group_offsets("user_created"), "user_data");
  books = open_books(range, committed);
  EXPECT_EQ(books.consumed, 1002);
  count_books(books, range, in);
  ASSERT_TRUE(books.final) << books.note;
  EXPECT_EQ(books.written, 1000);
  EXPECT_EQ(books.dead_lettered, 2);
  EXPECT_EQ(books.missing, 0);
  EXPECT_EQ(books.others(), 2);
  EXPECT_EQ(books.reconciled(), true);

  // Three rows lost from the table: counted as missing, and the books do not balance.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "user_data.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM users WHERE rowid IN (SELECT rowid FROM users LIMIT 3)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  books = open_books(range, committed);
  count_books(books, range, in);
  ASSERT_TRUE(books.final);
  EXPECT_EQ(books.written, 997);
  EXPECT_EQ(books.missing, 3);
  EXPECT_EQ(books.reconciled(), false);
  EXPECT_NE(books.note.find("3 records are neither in the table nor in user_created.dlq"), std::string::npos) << books.note;

  // Kept as JSON in the history.
  JsonWriter w;
  books.to_json(w);
  auto back = RunBooks::from_json(w.take());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->missing, 3);
  EXPECT_EQ(back->written, 997);
  EXPECT_EQ(back->reconciled(), false);
}

TEST(HistoryStore, KeepsTheRunsBooksAcrossReopens) {
  ScratchDir dir;
  auto path = (dir.path() / "history.db").string();
  {
    auto h = history::HistoryStore::open(path);
    h.put_run_books("user_automation", "manual__1", R"({"written":5})", 1);
    h.put_run_books("user_automation", "manual__1", R"({"written":6})", 2);
  }
  auto h = history::HistoryStore::open(path, true);
  EXPECT_EQ(h.run_books("user_automation", "manual__1").value_or(""), R"({"written":6})");
  EXPECT_FALSE(h.run_books("user_automation", "manual__2"));
}

TEST(RunBooks, TheProduceSummaryNamesTheRunsOffsets) {
  auto r = parse_produce_summary(R"({"topic":"user_created","produced":7,"dead_lettered":1,"offsets":{"0":[10,14],"2":[5,8]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->produced, 7);
  EXPECT_EQ(r->dead_lettered_at_source, 1);
  EXPECT_EQ(r->records(), 7);
  EXPECT_EQ(r->offsets.at(2), (std::pair<int64_t, int64_t>{5, 8}));
  EXPECT_FALSE(parse_produce_summary(R"({"produced":7})")) << "an older summary without offsets";
  EXPECT_FALSE(parse_produce_summary("not json"));
}

struct Served {
  explicit Served(const config::Config& cfg) : dash(cfg, Mode::ui), server(dash, WebOptions::from_config(cfg)) {
    dash.sample_once();
    server.start();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(10, 0);
    return c;
  }
  Dashboard dash;
  Server server;
};

TEST(Server, TheApiAnswersFromThePipelinesStores) {
  ScratchDir dir;
  auto cfg = load(dir, {{"produce.records", "2000", "test"}, {"stream.trigger", "continuous", "test"}});
  {
    pipeline::Pipeline p(cfg, pipeline::Role::run, pipeline::PipelineOptions::from_config(cfg, true));
    auto r = p.run();
    ASSERT_EQ(r.query.written_rows, 2000u);
  }
  Served s(cfg);
  auto c = s.client();
  auto res = c.Get("/api/overview");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  testing::JsonOut o(res->body);
  EXPECT_EQ(o.integer("/table/rows"), 2000);
  EXPECT_EQ(o.integer("/topic/records"), 2000);
  EXPECT_EQ(o.integer("/query/rows_written"), 2000) << "the totals come from the history on disk";
  EXPECT_EQ(o.integer("/lag/records"), 0);
  EXPECT_TRUE(o.boolean("/reconciliation/balanced"));
  EXPECT_EQ(o.str("/mode"), "ui");

  res = c.Get("/api/query/progress?limit=1000");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_NE(res->body.find("\"num_input_rows\""), std::string::npos);

  res = c.Get("/api/table/rows?limit=1");
  ASSERT_TRUE(res && res->status == 200);
  testing::JsonOut row(res->body);
  auto id = row.str("/rows/0/0");
  res = c.Get(("/api/table/rows?key=" + id).c_str());
  ASSERT_TRUE(res && res->status == 200) << (res ? res->body : "");
  EXPECT_EQ(testing::JsonOut(res->body).str("/rows/0/0"), id);
  res = c.Get("/api/table/rows?key=x'%20OR%201=1--");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << "the key is a UUID or nothing: " << res->body;

  res = c.Get("/api/topics/user_created/messages?newest=2");
  ASSERT_TRUE(res && res->status == 200);
  testing::JsonOut two(res->body);
  EXPECT_TRUE(two.has("/messages/1/value"));
  EXPECT_FALSE(two.has("/messages/2"));
  EXPECT_EQ(two.integer("/scanned"), 6) << "the newest 2 of each of the 3 partitions, then the newest 2 of those";
  res = c.Get("/api/topics/user_created/messages?newest=3&format=jsonl");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(std::count(res->body.begin(), res->body.end(), '\n'), 3);
  EXPECT_NE(res->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  res = c.Get("/api/topics/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = c.Get("/api/topics/user_created/messages?partition=0&offset=-4");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);

  res = c.Get("/api/groups");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(testing::JsonOut("{\"g\":" + res->body + "}").str("/g/0/group"), "user_data");
  res = c.Get("/api/dags");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_NE(res->body.find("\"user_automation\""), std::string::npos);
  res = c.Get("/metrics");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_NE(res->body.find("sluice_build_info{version="), std::string::npos);
  EXPECT_NE(res->body.find("sluice_consumer_lag_records{topic=\"user_created\",partition=\"0\"} 0"), std::string::npos);
  res = c.Get("/healthz");
  ASSERT_TRUE(res && res->status == 200);
  res = c.Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = c.Get("/");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_NE(res->body.find("<html"), std::string::npos);
  res = c.Get("/assets/vendor/uPlot.esm.js");
  ASSERT_TRUE(res && res->status == 200) << "uPlot is built into the binary";

  // POSTs need the CSRF token, and a foreign Origin is refused.
  res = c.Post("/api/dags/user_automation/pause", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  auto csrf = testing::JsonOut(c.Get("/api/session")->body).str("/csrf");
  httplib::Headers h{{"X-Sluice-Csrf", csrf}};
  res = c.Post("/api/dags/user_automation/pause", h, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  h.emplace("Origin", "http://evil.example");
  res = c.Post("/api/dags/user_automation/unpause", h, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = c.Get("/api/dags/user_automation/runs");
  ASSERT_TRUE(res && res->status == 200);
  res = c.Get("/api/dags/nope/runs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST(Server, WithALoginEveryPageAndCallNeedsIt) {
  ScratchDir dir;
  auto cfg = load(dir, {{"web.user", "admin", "test"}, {"web.password", "correct-horse", "test"},
                        {"web.metrics_token", "scrape-me", "test"}});
  Served s(cfg);
  auto c = s.client();
  for (const char* path : {"/api/overview", "/api/dags", "/api/topics", "/api/table", "/api/dead-letters", "/metrics"}) {
    auto res = c.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << path;
  }
  auto res = c.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/login");
  res = c.Get("/login");
  ASSERT_TRUE(res && res->status == 200);
  res = c.Get("/healthz");
  ASSERT_TRUE(res && res->status == 200) << "liveness needs no login";
  res = c.Get("/metrics", {{"Authorization", "Bearer scrape-me"}});
  ASSERT_TRUE(res && res->status == 200) << "a scraper uses the token";

  res = c.Post("/login", "user=admin&password=wrong", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 303);
  EXPECT_EQ(res->get_header_value("Location"), "/login?error=1");
  EXPECT_FALSE(res->has_header("Set-Cookie"));

  res = c.Post("/login", "user=admin&password=correct-horse", "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 303);
  auto cookie = res->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  auto session = cookie.substr(0, cookie.find(';'));
  res = c.Get("/api/overview", {{"Cookie", session}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = c.Get("/", {{"Cookie", session}});
  ASSERT_TRUE(res && res->status == 200);
  res = c.Get("/api/session", {{"Cookie", session}});
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_EQ(testing::JsonOut(res->body).str("/user"), "admin");
  EXPECT_EQ(res->body.find("correct-horse"), std::string::npos);
}

}  // namespace
}  // namespace sluice::web
