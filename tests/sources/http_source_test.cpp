// The http source against a local HTTP server (127.0.0.1 only) that serves the API
// fixtures and injects faults: error statuses, delays past the read timeout, bodies
// cut short, non-JSON pages, the API's error answer, empty results, refused
// connections. Each fault is counted by kind and retried; nothing crashes.
#include "common/backoff.h"
#include "sources/http/http_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "metrics/registry.h"
#include "support/paths.h"
#include "support/wait.h"

namespace sluice::sources {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string fixture(const std::string& name) { return testing::read_fixture("randomuser/" + name); }

enum class Fault { ok, status500, status503, not_json, api_error, empty, truncated_file, cut_connection, slow };

// A scripted randomuser API: each request takes the next behaviour of the script (the
// last one repeats).
class FakeApi {
 public:
  FakeApi() {
    server_.Get("/api/", [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port() already listens: early connections wait in the backlog.
  }
  ~FakeApi() {
    server_.stop();
    thread_.join();
  }
  void script(std::deque<Fault> s) {
    std::lock_guard lk(mu_);
    script_ = std::move(s);
  }
  std::string url(const std::string& query = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/api/" + query;
  }
  std::vector<std::string> queries() {
    std::lock_guard lk(mu_);
    return queries_;
  }
  std::vector<Clock::time_point> arrivals() {
    std::lock_guard lk(mu_);
    return arrivals_;
  }
  std::string accept_encoding() {
    std::lock_guard lk(mu_);
    return accept_encoding_;
  }

 private:
  void serve(const httplib::Request& req, httplib::Response& res) {
    Fault f;
    {
      std::lock_guard lk(mu_);
      arrivals_.push_back(Clock::now());
      std::string q;
      for (auto& [k, v] : req.params) q += k + "=" + v + ";";
      queries_.push_back(q);
      accept_encoding_ = req.get_header_value("Accept-Encoding");
      f = script_.empty() ? Fault::ok : script_.front();
      if (script_.size() > 1) script_.pop_front();
    }
    static const std::string users = fixture("users_v1.4.json");
    switch (f) {
      case Fault::ok: res.set_content(users, "application/json"); break;
      case Fault::status500: res.status = 500; res.set_content("oops", "text/plain"); break;
      case Fault::status503: res.status = 503; res.set_content("busy", "text/plain"); break;
      case Fault::not_json: res.set_content(fixture("errors/not_json.html"), "text/html"); break;
      case Fault::api_error: res.set_content(fixture("errors/api_error.json"), "application/json"); break;
      case Fault::empty: res.set_content(fixture("errors/empty_results.json"), "application/json"); break;
      case Fault::truncated_file: res.set_content(fixture("errors/truncated.json"), "application/json"); break;
      case Fault::cut_connection:
        // Promise the whole body, send half, then drop the connection.
        res.set_content_provider(users.size(), "application/json", [](size_t, size_t, httplib::DataSink& sink) {
          sink.write(users.data(), users.size() / 2);
          return false;
        });
        break;
      case Fault::slow:
        std::this_thread::sleep_for(2500ms);
        res.set_content(users, "application/json");
        break;
    }
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Fault> script_;
  std::vector<std::string> queries_;
  std::vector<Clock::time_point> arrivals_;
  std::string accept_encoding_;
};

HttpSourceOptions fast(const std::string& url) {
  HttpSourceOptions o;
  o.url = url;
  o.backoff_initial = 10ms;
  o.backoff_max = 50ms;
  o.read_timeout = 1000ms;
  o.connect_timeout = 1000ms;
  o.request_timeout = 10000ms;
  return o;
}

TEST(HttpSource, FetchesAResponseAndAsksForNResults) {
  FakeApi api;
  HttpSource src(fast(api.url()));
  SourceBatch b;
  ASSERT_TRUE(src.next_batch(6, b));
  EXPECT_EQ(b.results, 6u);
  EXPECT_EQ(b.body, fixture("users_v1.4.json"));
  EXPECT_GE(b.body.capacity(), b.body.size() + 64);
  EXPECT_EQ(api.queries().back(), "results=6;");
  EXPECT_NE(api.accept_encoding().find("gzip"), std::string::npos);
  auto st = src.stats();
  EXPECT_EQ(st.requests, 1u);
  EXPECT_EQ(st.batches, 1u);
  EXPECT_EQ(st.records, 6u);
  EXPECT_EQ(st.error_total(), 0u);

  HttpSource with_query(fast(api.url("?nat=us")));
  ASSERT_TRUE(with_query.next_batch(9000, b));  // clamped to the API's limit
  EXPECT_EQ(api.queries().back(), "nat=us;results=5000;");
}

struct FaultCase {
  Fault fault;
  int times;
  const char* kind;
};

TEST(HttpSource, EveryFaultIsCountedRetriedAndSurvived) {
  const FaultCase cases[] = {
      {Fault::status500, 1, "http_500"},      {Fault::status503, 3, "http_503"},
      {Fault::not_json, 1, "not_json"},       {Fault::api_error, 2, "api_error"},
      {Fault::empty, 1, "empty_results"},     {Fault::truncated_file, 1, "truncated"},
      {Fault::cut_connection, 1, "truncated"},
  };
  for (const auto& c : cases) {
    FakeApi api;
    std::deque<Fault> s(static_cast<size_t>(c.times), c.fault);
    s.push_back(Fault::ok);
    api.script(s);
    HttpSource src(fast(api.url()));
    SourceBatch b;
    ASSERT_TRUE(src.next_batch(6, b)) << c.kind;
    EXPECT_EQ(b.results, 6u) << c.kind;
    auto st = src.stats();
    EXPECT_EQ(st.errors[c.kind], static_cast<uint64_t>(c.times)) << c.kind;
    EXPECT_EQ(st.error_total(), static_cast<uint64_t>(c.times)) << c.kind;
    EXPECT_EQ(st.retries, static_cast<uint64_t>(c.times)) << c.kind;
    EXPECT_EQ(st.requests, static_cast<uint64_t>(c.times + 1)) << c.kind;
  }
}

TEST(HttpSource, CountsInTheRegistrysSourceSeries) {
  FakeApi api;
  api.script({Fault::status500, Fault::ok});
  metrics::Registry registry;
  SourceBatch b;
  {
    HttpSource src(fast(api.url()), &registry);
    ASSERT_TRUE(src.next_batch(6, b));
    auto m = registry.snapshot();
    EXPECT_EQ(m.count("sluice_source_requests_total"), 2u);
    EXPECT_EQ(m.count("sluice_source_responses_total"), 1u);
    EXPECT_EQ(m.count("sluice_source_records_total"), 6u);
    EXPECT_EQ(m.count("sluice_source_bytes_total"), b.body.size());
    EXPECT_EQ(m.count("sluice_source_retries_total"), 1u);
    EXPECT_EQ(m.count("sluice_source_errors_total", {{"kind", "http_500"}}), 1u);
    EXPECT_EQ((m.by_label("sluice_source_errors_total", "kind")), (std::map<std::string, uint64_t>{{"http_500", 1}}));

    auto st = src.stats();
    EXPECT_EQ(st.requests, m.count("sluice_source_requests_total"));
    EXPECT_EQ(st.batches, m.count("sluice_source_responses_total"));
    EXPECT_EQ(st.records, m.count("sluice_source_records_total"));
    EXPECT_EQ(st.bytes, m.count("sluice_source_bytes_total"));
    EXPECT_EQ(st.retries, m.count("sluice_source_retries_total"));
    EXPECT_EQ(st.errors, (m.by_label("sluice_source_errors_total", "kind")));
  }

  // A source created again on the same registry (once the first is gone: one source
  // moves a registry's series at a time) counts on in the series, its stats() from zero.
  api.script({Fault::status500, Fault::status503, Fault::ok});
  HttpSource again(fast(api.url()), &registry);
  EXPECT_EQ(again.stats().requests, 0u);
  ASSERT_TRUE(again.next_batch(6, b));
  auto m = registry.snapshot();
  EXPECT_EQ(m.count("sluice_source_requests_total"), 5u);
  EXPECT_EQ(m.count("sluice_source_responses_total"), 2u);
  EXPECT_EQ(m.count("sluice_source_retries_total"), 3u);
  EXPECT_EQ((m.by_label("sluice_source_errors_total", "kind")),
            (std::map<std::string, uint64_t>{{"http_500", 2}, {"http_503", 1}}));
  auto st = again.stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.batches, 1u);
  EXPECT_EQ(st.records, 6u);
  EXPECT_EQ(st.retries, 2u);
  EXPECT_EQ(st.errors, (std::map<std::string, uint64_t>{{"http_500", 1}, {"http_503", 1}}));
}

TEST(HttpSource, ADelayPastTheReadTimeoutIsATimeout) {
  FakeApi api;
  api.script({Fault::slow, Fault::ok});
  HttpSource src(fast(api.url()));
  SourceBatch b;
  ASSERT_TRUE(src.next_batch(6, b));
  EXPECT_EQ(src.stats().errors["timeout"], 1u);
}

TEST(HttpSource, RefusedConnectionsExhaustRetriesWithAClearError) {
  // A port nobody listens on: bind, read the port, close.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  auto o = fast("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/api/");
  o.max_retries = 2;
  HttpSource src(o);
  SourceBatch b;
  EXPECT_FALSE(src.next_batch(6, b));
  EXPECT_EQ(src.stats().errors["connect"], 3u);
  EXPECT_NE(src.last_error().find("failed 3 times"), std::string::npos) << src.last_error();
  EXPECT_NE(src.last_error().find("connect"), std::string::npos) << src.last_error();
}

TEST(HttpSource, RetriesWaitTheBackoffsJitteredSchedule) {
  FakeApi api;
  api.script({Fault::status500, Fault::status500, Fault::status500, Fault::ok});
  auto o = fast(api.url());
  o.backoff_initial = 40ms;
  o.backoff_max = 1000ms;
  o.backoff_seed = 7;
  HttpSource src(o);
  SourceBatch b;
  ASSERT_TRUE(src.next_batch(6, b));
  auto t = api.arrivals();
  ASSERT_EQ(t.size(), 4u);
  auto gap = [&](size_t i) { return std::chrono::duration_cast<std::chrono::milliseconds>(t[i + 1] - t[i]).count(); };
  // The same seed draws the same waits: each in [0, b] for b = 40, 80, 160 ms (full
  // jitter), and the source waits at least that long before each retry.
  Backoff expected({40ms, 1000ms}, 7);
  for (size_t i = 0; i < 3; ++i) {
    auto ceiling = expected.ceiling().count();
    auto wait = expected.next().count();
    EXPECT_LE(wait, ceiling);
    EXPECT_GE(gap(i), wait - 2) << "retry " << i;
    EXPECT_LE(gap(i), ceiling + 500) << "retry " << i;
  }
}

TEST(HttpSource, RateLimitSpacesTheCalls) {
  FakeApi api;
  auto o = fast(api.url());
  o.rate_limit = 20;
  HttpSource src(o);
  SourceBatch b;
  auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(src.next_batch(6, b));
  EXPECT_GE(Clock::now() - t0, 400ms);
}

TEST(HttpSource, StopInterruptsALongBackoff) {
  FakeApi api;
  api.script({Fault::status503});
  auto o = fast(api.url());
  o.backoff_initial = 20000ms;
  o.backoff_max = 20000ms;
  HttpSource src(o);
  std::atomic<bool> returned{false}, result{true};
  std::thread t([&] {
    SourceBatch b;
    result = src.next_batch(6, b);
    returned = true;
  });
  testing::wait_for([&] { return !api.arrivals().empty(); }, 10s, "the first request");
  auto t0 = Clock::now();
  src.stop();
  t.join();
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_FALSE(result);
}

TEST(HttpSource, OnlyHttpUrls) {
  EXPECT_THROW(HttpSource(fast("ftp://example.invalid/")), UsageError);
  EXPECT_THROW(HttpSource(fast("builtin")), UsageError);
}

}  // namespace
}  // namespace sluice::sources
