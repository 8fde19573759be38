// The CQL client (Connection, Session) against the in-process fake server: protocol
// fallback, pipelining, split writes, timeouts, closed sockets, Unprepared, credentials.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "cassandra/fake_server.h"
#include "cql/session.h"
#include "support/scratch_dir.h"
#include "support/wait.h"

namespace sluice::testing {
namespace {

using namespace sluice::cql;
using namespace std::chrono_literals;

ConnectionOptions quick() {
  ConnectionOptions o;
  o.connect_timeout = 2s;
  o.request_timeout = 2s;
  return o;
}

Endpoint ep(const FakeServer& s) { return Endpoint{"127.0.0.1", s.port()}; }

QueryRequest q(std::string text) {
  QueryRequest r;
  r.query = std::move(text);
  return r;
}

TEST(Connection, SpeaksV5WithSegments) {
  FakeServer s;
  auto c = Connection::open(ep(s), quick());
  EXPECT_EQ(c->version(), 5);
  auto r = c->execute(q("INSERT INTO t (k) VALUES (1)"));
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_TRUE(std::holds_alternative<VoidResult>(r.response));
  EXPECT_EQ(s.connections(), 1);
}

TEST(Connection, FallsBackToV4WhenTheServerRefusesV5) {
  FakeServer s(FakeServer::Options{.max_version = 4});
  auto c = Connection::open(ep(s), quick());
  EXPECT_EQ(c->version(), 4);
  EXPECT_EQ(s.connections(), 2);  // the refused v5 socket, then v4
  EXPECT_TRUE(c->execute(q("SELECT 1")).ok());
}

TEST(Connection, ForcedV4NeverTriesV5) {
  FakeServer s;
  auto o = quick();
  o.max_version = 4;
  auto c = Connection::open(ep(s), o);
  EXPECT_EQ(c->version(), 4);
  for (int v : s.versions_seen()) EXPECT_EQ(v, 4);
}

// More requests than stream ids: the rest wait their turn, every callback runs once.
TEST(Connection, PipelinesMoreRequestsThanStreamIds) {
  for (int version : {4, 5}) {
    FakeServer s;
    auto o = quick();
    o.max_version = version;
    o.request_timeout = 20s;
    auto c = Connection::open(ep(s), o);
    const int n = Connection::kMaxStreams * 2 + 100;
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, ok = 0;
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(c->send(q("INSERT " + std::to_string(i)), [&](Result&& r) {
        std::lock_guard lk(mu);
        ++done;
        ok += r.ok();
        cv.notify_all();
      }));
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 30s, [&] { return done == n; })) << done << " of " << n;
    EXPECT_EQ(ok, n);
    EXPECT_EQ(c->in_flight(), 0u);
  }
}

TEST(Connection, ResponsesSplitIntoOneByteWrites) {
  for (int version : {4, 5}) {
    FakeServer s(FakeServer::Options{.write_chunk = 1});
    auto o = quick();
    o.max_version = version;
    auto c = Connection::open(ep(s), o);
    EXPECT_EQ(c->version(), version);
    for (int i = 0; i < 5; ++i) {
      auto r = c->execute(q("SELECT " + std::to_string(i)));
      ASSERT_TRUE(r.ok()) << r.error->message;
    }
  }
}

TEST(Connection, ServerClosingMidRequestFailsItAsClosed) {
  FakeServer s;
  auto c = Connection::open(ep(s), quick());
  s.close_on_query = 1;
  auto r = c->execute(q("SELECT 1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ClientErrc::closed);
  EXPECT_NE(r.error->message.find("closed by the server"), std::string::npos) << r.error->message;
  wait_for([&] { return !c->alive(); }, 5s, "the connection to see it was closed");
  EXPECT_FALSE(c->alive());
  EXPECT_FALSE(c->send(q("SELECT 1"), [](Result&&) { ADD_FAILURE() << "callback of a refused send"; }));
}

TEST(Connection, RequestTimeoutKeepsTheConnection) {
  FakeServer s;
  auto c = Connection::open(ep(s), quick());
  PrepareRequest prep{"INSERT INTO t (k) VALUES (?)", std::nullopt};
  auto pr = c->execute(prep);
  ASSERT_TRUE(pr.ok());
  auto id = std::get<PreparedResult>(pr.response).id;
  s.ignore_next = 1;
  ExecuteRequest e;
  e.id = id;
  e.result_metadata_id = "meta";
  e.params.values = {BindValue::of("k1")};
  auto start = std::chrono::steady_clock::now();
  auto r = c->execute(e, 300ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ClientErrc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_TRUE(c->alive());
  EXPECT_TRUE(c->execute(e).ok());
}

TEST(Connection, PasswordAuthenticator) {
  FakeServer s(FakeServer::Options{.require_auth = true});
  auto o = quick();
  o.user = "cassandra";
  o.password = "cassandra";
  EXPECT_TRUE(Connection::open(ep(s), o)->alive());

  o.password = "wrong-secret";
  try {
    Connection::open(ep(s), o);
    FAIL() << "a wrong password connected";
  } catch (const CqlError& e) {
    EXPECT_EQ(e.code(), ClientErrc::authentication);
    std::string m = e.what();
    EXPECT_NE(m.find("authentication failed for user cassandra"), std::string::npos) << m;
    EXPECT_NE(m.find("Provided username and/or password are incorrect"), std::string::npos) << m;
    EXPECT_EQ(m.find("wrong-secret"), std::string::npos) << m;
  }

  o.user.clear();
  try {
    Connection::open(ep(s), o);
    FAIL() << "no credentials connected";
  } catch (const CqlError& e) {
    EXPECT_EQ(e.code(), ClientErrc::authentication);
    EXPECT_NE(std::string(e.what()).find("requires authentication"), std::string::npos) << e.what();
  }
}

TEST(Connection, RefusedPortIsAConnectError) {
  uint16_t port;
  {
    FakeServer s;
    port = s.port();
  }
  try {
    Connection::open(Endpoint{"127.0.0.1", port}, quick());
    FAIL();
  } catch (const CqlError& e) {
    EXPECT_EQ(e.code(), ClientErrc::connect);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
}

// A self-signed certificate for IP 127.0.0.1, made with the openssl command line.
struct SelfSigned {
  ScratchDir dir;
  std::string cert = (dir.path() / "cert.pem").string(), key = (dir.path() / "key.pem").string();
  bool ok = run_shell("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + shell_quote(key) + " -out " +
                      shell_quote(cert) + " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1")
                .code == 0;
};

TEST(Connection, TlsWithASelfSignedCertificate) {
  SelfSigned c;
  if (!c.ok) GTEST_SKIP() << "no openssl command to make a certificate with";
  FakeServer s(FakeServer::Options{.tls_cert_file = c.cert, .tls_key_file = c.key});
  for (int version : {5, 4}) {
    auto o = quick();
    o.max_version = version;
    o.tls = TlsContext::create(TlsOptions{c.cert, true});
    auto conn = Connection::open(ep(s), o);
    EXPECT_EQ(conn->version(), version);
    std::atomic<int> ok{0};
    for (int i = 0; i < 500; ++i)
      conn->send(q("SELECT " + std::to_string(i)), [&](Result&& r) { ok += r.ok(); });
    auto r = conn->execute(q("SELECT last"));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(ok.load(), 500);
  }
  auto expect_refused = [&](const Endpoint& where, const TlsOptions& t) {
    auto o = quick();
    o.tls = TlsContext::create(t);
    try {
      Connection::open(where, o);
      ADD_FAILURE() << "TLS accepted " << where.str();
    } catch (const CqlError& e) {
      EXPECT_EQ(e.code(), ClientErrc::connect);
      EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
    }
  };
  expect_refused(ep(s), TlsOptions{"", true});                       // not signed by a CA the system knows
  expect_refused(Endpoint{"localhost", s.port()}, TlsOptions{c.cert, true});  // a name the certificate lacks
}

SessionOptions session_for(const FakeServer& s, int per_host = 1) {
  SessionOptions o;
  o.hosts = {ep(s)};
  o.connections_per_host = per_host;
  o.connection = quick();
  o.reconnect_min = 50ms;
  o.reconnect_max = 200ms;
  return o;
}

TEST(Session, UnpreparedIsPreparedAgainTransparently) {
  FakeServer s;
  Session session(session_for(s));
  session.connect();
  auto p = session.prepare("INSERT INTO t (k) VALUES (?)");
  ASSERT_TRUE(session.execute_sync(p, {BindValue::of("a")}).ok());
  s.unprepare_all();
  auto r = session.execute_sync(p, {BindValue::of("b")});
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(s.unprepared_sent(), 1);
  EXPECT_EQ(s.prepares(), 2);
  EXPECT_EQ(s.keys(), (std::set<std::string>{"a", "b"}));
}

TEST(Session, RoundRobinAndReconnectAfterTheServerDropsEveryConnection) {
  FakeServer s;
  Session session(session_for(s, 3));
  session.connect();
  EXPECT_EQ(s.connections(), 3);
  auto p = session.prepare("INSERT INTO t (k) VALUES (?)");
  s.drop_connections();
  // Requests fail (closed, or no connection while the slots back off) until the pool
  // has reconnected; none hangs.
  int ok = 0;
  auto until = std::chrono::steady_clock::now() + 5s;
  while (ok < 10 && std::chrono::steady_clock::now() < until) {
    auto r = session.execute_sync(p, {BindValue::of("k" + std::to_string(ok))});
    if (r.ok()) ++ok;
    else std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(ok, 10);
  EXPECT_GE(s.connections(), 4);
}

TEST(Session, NoServerFailsFastWithTheCause) {
  uint16_t port;
  {
    FakeServer s;
    port = s.port();
  }
  SessionOptions o;
  o.hosts = {Endpoint{"127.0.0.1", port}};
  o.connection = quick();
  Session session(o);
  EXPECT_THROW(session.connect(), CqlError);
  // The slot is backing off now: a request fails at once, naming the host and the wait.
  auto start = std::chrono::steady_clock::now();
  ClientError why;
  try {
    session.query("SELECT 1");
  } catch (const CqlError& e) {
    why = e.error();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(why.code, ClientErrc::connect);
  EXPECT_NE(why.message.find("next attempt in"), std::string::npos) << why.message;
}

TEST(Session, WrongPasswordIsOneAuthenticationError) {
  FakeServer s(FakeServer::Options{.require_auth = true});
  auto o = session_for(s, 4);
  o.connection.user = "cassandra";
  o.connection.password = "nope";
  Session session(o);
  try {
    session.connect();
    FAIL();
  } catch (const CqlError& e) {
    EXPECT_EQ(e.code(), ClientErrc::authentication);
  }
  EXPECT_EQ(s.connections(), 1);  // no storm: the first refusal ends connect()
}

}  // namespace
}  // namespace sluice::testing
