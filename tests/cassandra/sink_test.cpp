// The Cassandra sink without a real node: URIs and passwords, the seed's CQL, and
// write() against the fake server (Overloaded, a socket closed mid-batch, a rejected
// row, an unreachable cluster, a wrong password).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "cassandra/fake_server.h"
#include "common/error.h"
#include "common/uri.h"
#include "config/config.h"
#include "sinks/cassandra/cassandra_schema.h"
#include "sinks/cassandra/cassandra_sink.h"
#include "support/scratch_dir.h"

namespace sluice::testing {
namespace {

using namespace sluice::sinks;
using namespace std::chrono_literals;

TEST(CassandraUri, Forms) {
  auto u = parse_cassandra_uri("cassandra://127.0.0.1/user_data");
  ASSERT_EQ(u.hosts.size(), 1u);
  EXPECT_EQ(u.hosts[0].port, 9042);
  EXPECT_EQ(u.keyspace, "user_data");
  EXPECT_EQ(u.redacted(), "cassandra://127.0.0.1:9042/user_data");

  u = parse_cassandra_uri("cassandra://cassandra:s3cr%40t@h1:9043,h2,[::1]:9044/ks_1");
  EXPECT_EQ(u.user, "cassandra");
  EXPECT_EQ(u.password, "s3cr@t");
  ASSERT_EQ(u.hosts.size(), 3u);
  EXPECT_EQ(u.hosts[0], (cql::Endpoint{"h1", 9043}));
  EXPECT_EQ(u.hosts[1], (cql::Endpoint{"h2", 9042}));
  EXPECT_EQ(u.hosts[2], (cql::Endpoint{"::1", 9044}));
  EXPECT_EQ(u.redacted(), "cassandra://cassandra@h1:9043,h2:9042,[::1]:9044/ks_1");
}

TEST(CassandraUri, ErrorsNeverShowThePassword) {
  for (const char* bad : {"cassandra://u:hunter2@host", "cassandra://u:hunter2@host:99999/ks",
                          "cassandra://u:hunter2@/ks", "cassandra://u:hunter2@host/bad-name", "cassandra://u:hunter2@h:/ks"}) {
    try {
      parse_cassandra_uri(bad);
      ADD_FAILURE() << bad << " parsed";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(redact_uri("cassandr://u:hunter2@h/ks"), "cassandr://u@h/ks");
  EXPECT_EQ(redact_uri("sqlite:./a@b"), "sqlite:./a@b");
}

config::Config config_for(const std::string& sink, const std::vector<config::Override>& extra = {},
                          char** env = nullptr) {
  std::string yaml = slurp(repo_config());
  std::vector<config::Override> o = {{"sink", sink, "--sink"}};
  o.insert(o.end(), extra.begin(), extra.end());
  return config::Config::parse(yaml, "test", o, env);
}

table::Schema seed_schema() {
  auto cfg = config_for("sqlite:x");
  return table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
}

TEST(CassandraSchema, SeedTableIsTheSeedsCql) {
  EXPECT_EQ(cassandra_create_table("user_data", seed_schema()),
            "CREATE TABLE IF NOT EXISTS user_data.users (id UUID PRIMARY KEY, first_name TEXT, last_name TEXT, "
            "gender TEXT, address TEXT, post_code TEXT, email TEXT, username TEXT, dob TEXT, registered_date TEXT, "
            "phone TEXT, picture TEXT)");
  auto s = table::Schema::from_config(
      "Events", {{"key", "bigint primary key"}, {"n", "int"}, {"x", "double"}, {"ok", "boolean"}, {"at", "timestamp"},
                 {"from", "text"}, {"Name", "text"}});
  EXPECT_EQ(cassandra_create_table("ks", s),
            "CREATE TABLE IF NOT EXISTS ks.\"Events\" (key BIGINT PRIMARY KEY, n INT, x DOUBLE, ok BOOLEAN, "
            "at TIMESTAMP, \"from\" TEXT, \"Name\" TEXT)");
  EXPECT_EQ(cassandra_insert("ks", s), "INSERT INTO ks.\"Events\" (key, n, x, ok, at, \"from\", \"Name\") VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?)");
}

TEST(CassandraSink, PasswordSourcesAndDescribe) {
  auto schema = seed_schema();
  ::setenv("SLUICE_TEST_CASS_PW", "from-env", 1);
  auto cfg = config_for("cassandra://cassandra@127.0.0.1/user_data", {{"cassandra.password_env", "SLUICE_TEST_CASS_PW", "--set"}});
  auto uri = parse_cassandra_uri(cfg.str("sink"));
  EXPECT_EQ(cassandra_session_options(cfg, uri, false).connection.password, "from-env");
  auto sink = open_cassandra_sink(cfg, schema);
  EXPECT_EQ(sink->describe(), "cassandra://cassandra@127.0.0.1:9042/user_data, table users");

  ScratchDir dir;
  auto file = dir.path() / "password";
  std::ofstream(file) << "from-file\n";
  cfg = config_for("cassandra://cassandra@127.0.0.1/user_data", {{"cassandra.password_file", file.string(), "--set"}});
  EXPECT_EQ(cassandra_session_options(cfg, uri, false).connection.password, "from-file");

  cfg = config_for("cassandra://cassandra:in-uri@127.0.0.1/user_data", {{"cassandra.password_env", "SLUICE_TEST_CASS_PW", "--set"}});
  EXPECT_THROW(cassandra_session_options(cfg, parse_cassandra_uri(cfg.str("sink")), false), UsageError);
  cfg = config_for("cassandra://cassandra:in-uri@127.0.0.1/user_data");
  auto s2 = open_cassandra_sink(cfg, schema);
  EXPECT_EQ(s2->describe().find("in-uri"), std::string::npos) << s2->describe();
  cfg = config_for("cassandra://cassandra@127.0.0.1/user_data", {{"cassandra.password_env", "SLUICE_NO_SUCH_VAR_X", "--set"}});
  EXPECT_THROW(open_cassandra_sink(cfg, schema), UsageError);
}

// Rows of a two-column table (uuid key, text), with their values kept alive.
struct Batch {
  explicit Batch(size_t n) : texts(n) {
    for (size_t i = 0; i < n; ++i) {
      texts[i] = "row " + std::to_string(i);
      table::Row r;
      table::Value id;
      id.kind = table::Value::Kind::uuid;
      id.uuid = uuid_v4();
      table::Value t;
      t.kind = table::Value::Kind::text;
      t.text = texts[i];
      r.values = {id, t};
      rows.push_back(r);
    }
  }
  std::vector<std::string> texts;
  std::vector<table::Row> rows;
};

const table::Schema& small_schema() {
  static auto s = table::Schema::from_config("t", {{"id", "uuid primary key"}, {"v", "text"}});
  return s;
}

std::unique_ptr<CassandraSink> sink_on(const FakeServer& s, const std::string& user = {}, const std::string& pw = {}) {
  CassandraUri uri = parse_cassandra_uri("cassandra://" + (user.empty() ? "" : user + "@") + s.host_port() + "/ks");
  cql::SessionOptions so;
  so.hosts = uri.hosts;
  so.connection.user = user;
  so.connection.password = pw;
  so.connection.connect_timeout = 2s;
  so.connection.request_timeout = 2s;
  so.reconnect_min = 20ms;
  so.reconnect_max = 100ms;
  CassandraSinkOptions o;
  o.max_in_flight = 16;
  o.retry_backoff = 10ms;
  return std::make_unique<CassandraSink>(uri, so, o, small_schema());
}

TEST(CassandraSink, OverloadedRowsAreRetriedWithinTheCall) {
  FakeServer s;
  auto sink = sink_on(s);
  Batch b(200);
  s.overload_next = 30;
  auto r = sink->write(b.rows);
  EXPECT_EQ(r.status, WriteStatus::ok) << r.message;
  EXPECT_EQ(s.keys().size(), 200u);
  EXPECT_EQ(s.executes(), 230);
}

TEST(CassandraSink, ServerClosingMidBatchReconnectsAndWritesEverything) {
  FakeServer s;
  auto sink = sink_on(s);
  Batch b(300);
  s.close_on_execute = 1;
  // As the query does: Retry (nothing lost) means the same batch again after a pause.
  // Whether the first call already gets every row in depends on how soon the client
  // reconnects (under TSan it often does not).
  auto r = sink->write(b.rows);
  for (int attempt = 1; r.status == WriteStatus::retry && attempt < 20; ++attempt) {
    std::this_thread::sleep_for(100ms);
    r = sink->write(b.rows);
  }
  EXPECT_EQ(r.status, WriteStatus::ok) << r.message;
  EXPECT_EQ(s.keys().size(), 300u);
  EXPECT_GE(s.connections(), 2);
}

TEST(CassandraSink, UnpreparedAfterANodeRestartIsTransparent) {
  FakeServer s;
  auto sink = sink_on(s);
  Batch b(50);
  ASSERT_EQ(sink->write(b.rows).status, WriteStatus::ok);
  s.unprepare_all();
  Batch c(50);
  auto r = sink->write(c.rows);
  EXPECT_EQ(r.status, WriteStatus::ok) << r.message;
  EXPECT_EQ(s.keys().size(), 100u);
}

TEST(CassandraSink, RejectedRowIsAnErrorNamingTheReason) {
  FakeServer s;
  auto sink = sink_on(s);
  Batch b(20);
  s.invalid_next = 1;
  auto r = sink->write(b.rows);
  EXPECT_EQ(r.status, WriteStatus::error);
  EXPECT_NE(r.message.find("Invalid value for this row"), std::string::npos) << r.message;
}

TEST(CassandraSink, UnreachableClusterIsRetryAndCheap) {
  std::unique_ptr<CassandraSink> sink;
  {
    FakeServer s;
    sink = sink_on(s);
    Batch b(10);
    ASSERT_EQ(sink->write(b.rows).status, WriteStatus::ok);
  }  // the server is gone
  Batch b(1000);
  auto start = std::chrono::steady_clock::now();
  auto r = sink->write(b.rows);
  EXPECT_EQ(r.status, WriteStatus::retry);
  // The cause depends on whether the client saw the socket close before this write
  // (found when run under TSan): no connection left, or the connection closed under
  // the requests. Either way it is named.
  EXPECT_TRUE(r.message.find("no connection to Cassandra") != std::string::npos ||
              r.message.find("connection closed by the server") != std::string::npos)
      << r.message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(CassandraSink, WrongPasswordIsOneFatalErrorWithTheServersMessage) {
  FakeServer s(FakeServer::Options{.require_auth = true});
  auto sink = sink_on(s, "cassandra", "not-the-password");
  try {
    sink->ensure_schema();
    FAIL() << "a wrong password passed";
  } catch (const FatalError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("authentication failed for user cassandra"), std::string::npos) << m;
    EXPECT_NE(m.find("password are incorrect"), std::string::npos) << m;
    EXPECT_EQ(m.find("not-the-password"), std::string::npos) << m;
  }
  EXPECT_EQ(s.connections(), 1);
}

}  // namespace
}  // namespace sluice::testing
