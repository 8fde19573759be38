#include "web/server.h"

#include <httplib.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <charconv>

#include "common/clock.h"
#include "common/error.h"
#include "common/json_writer.h"
#include "web/assets.h"

namespace sluice::web {
namespace {

using httplib::Request;
using httplib::Response;
using namespace std::chrono_literals;

constexpr const char* kJson = "application/json";

std::string error_json(std::string_view message) {
  JsonWriter w;
  w.begin_object().field("error", message).end_object();
  return w.take();
}

void send_error(Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(error_json(message), kJson);
}

int64_t int_param(const Request& req, const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  if (!req.has_param(name)) return fallback;
  auto v = req.get_param_value(name);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    throw ApiError(400, fmt::format("parameter {}={}: expected an integer {}..{}", name, v, lo, hi));
  return n;
}

std::string str_param(const Request& req, const char* name) { return req.has_param(name) ? req.get_param_value(name) : ""; }

// The JSON object at `key` of the body, as text ("" if absent). Throws ApiError 400.
std::string body_object(const std::string& body, const char* key) {
  if (body.empty()) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) throw ApiError(400, "the request body is not JSON");
  simdjson::dom::element v;
  if (doc.at_key(key).get(v)) return "";
  if (!v.is_object()) throw ApiError(400, std::string(key) + ": expected a JSON object");
  return simdjson::minify(v);
}

RedriveRequest redrive_request(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) || !doc.is_object())
    throw ApiError(400, "expected {\"letters\":[{\"partition\":P,\"offset\":O}...]} or {\"kind\":K} or {\"all\":true}");
  RedriveRequest r;
  simdjson::dom::array letters;
  if (!doc["letters"].get(letters)) {
    for (auto l : letters) {
      int64_t p = 0, o = 0;
      if (l["partition"].get(p) || l["offset"].get(o)) throw ApiError(400, "each letter needs a partition and an offset");
      r.letters.emplace_back(static_cast<int32_t>(p), o);
    }
    if (r.letters.empty()) throw ApiError(400, "letters: the list is empty");
  }
  std::string_view kind;
  if (!doc["kind"].get(kind)) r.kind = kind;
  bool b = false;
  if (!doc["all"].get(b)) r.all = b;
  if (!doc["again"].get(b)) r.again = b;
  return r;
}

const char* kSecurityHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "same-origin"},
    {"Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"},
};

bool is_public(const std::string& path) {
  return path == "/login" || path == "/healthz" || path.starts_with("/assets/");
}

}  // namespace

Server::Server(Dashboard& dashboard, WebOptions options)
    : dash_(dashboard), opt_(std::move(options)), auth_(opt_.user, opt_.password, opt_.metrics_token) {}

Server::~Server() { stop(); }

std::string Server::url() const {
  WebOptions o = opt_;
  o.port = port_;
  return o.url();
}

void Server::start() {
  http_ = std::make_unique<httplib::Server>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(16); };
  http_->set_payload_max_length(1 << 20);
  http_->set_keep_alive_timeout(5);
  httplib::Headers headers;
  for (auto& h : kSecurityHeaders) headers.emplace(h[0], h[1]);
  http_->set_default_headers(headers);
  routes();
  int flags = 0;
  if (opt_.port == 0) {
    port_ = http_->bind_to_any_port(opt_.host, flags);
    if (port_ <= 0) throw FatalError("web server: cannot bind " + opt_.host + " (web.listen)");
  } else {
    if (!http_->bind_to_port(opt_.host, opt_.port, flags))
      throw FatalError(fmt::format("web server: cannot listen on {}:{} (web.listen): the port is in use or the address "
                                   "is not one of this machine's",
                                   opt_.host, opt_.port));
    port_ = opt_.port;
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  spdlog::info("dashboard on {}{}", url(), auth_.login_required() ? " (login required)" : "");
}

void Server::stop() {
  stopping_ = true;
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void Server::routes() {
  auto& s = *http_;
  // Access control before any handler.
  s.set_pre_routing_handler([this](const Request& req, Response& res) {
    auto token = Auth::cookie_token(req.get_header_value("Cookie"));
    auto csrf = auth_.session(token);
    if (!csrf && !is_public(req.path)) {
      if (req.path == "/metrics" && req.has_header("Authorization")) {
        auto h = req.get_header_value("Authorization");
        if (h.starts_with("Bearer ") && auth_.metrics_token_ok(std::string_view(h).substr(7)))
          return httplib::Server::HandlerResponse::Unhandled;
      }
      if (req.path.starts_with("/api/") || req.path == "/metrics" || req.method != "GET") {
        send_error(res, 401, "login required");
        res.set_header("WWW-Authenticate", "Session realm=\"sluice\"");
      } else {
        res.status = 303;
        res.set_header("Location", "/login");
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST") {
      auto origin = req.get_header_value("Origin");
      auto host = req.get_header_value("Host");
      if (!origin.empty() && origin != "http://" + host) {
        send_error(res, 403, "cross-site request refused (Origin " + origin + ")");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.path != "/login" && (!csrf || !equal_secret(req.get_header_value("X-Sluice-Csrf"), *csrf))) {
        send_error(res, 403, "missing or wrong X-Sluice-Csrf token (GET /api/session gives it)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const ApiError& e) {
      send_error(res, e.status, e.what());
    } catch (const UsageError& e) {
      send_error(res, 400, e.what());
    } catch (const std::exception& e) {
      send_error(res, 503, e.what());
    }
  });
  s.set_post_routing_handler([this](const Request&, Response& res) {
    // A counter has one writer: the pool's threads take turns.
    std::lock_guard lk(counter_mu_);
    dash_.registry()
        .counter("sluice_web_requests_total", "HTTP requests the dashboard answered, by status class.",
                 {{"code", std::to_string(res.status / 100) + "xx"}})
        .add();
  });

  auto json = [](auto fn) {
    return [fn](const Request& req, Response& res) { res.set_content(fn(req), kJson); };
  };
  auto asset = [](std::string_view path, Response& res) {
    const Asset* a = find_asset(path);
    if (!a) return send_error(res, 404, "no such file");
    res.set_content(a->data.data(), a->data.size(), std::string(a->content_type).c_str());
    res.set_header("Cache-Control", "no-cache");
  };

  s.Get("/healthz", [](const Request&, Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [this](const Request&, Response& res) {
    auto why = dash_.not_ready();
    if (why.empty()) return res.set_content("ready\n", "text/plain");
    send_error(res, 503, why);
  });
  s.Get("/metrics", [this](const Request&, Response& res) {
    res.set_content(dash_.metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });

  s.Get("/login", [asset](const Request&, Response& res) { asset("login.html", res); });
  s.Post("/login", [this](const Request& req, Response& res) {
    auto token = auth_.login(req.get_param_value("user"), req.get_param_value("password"));
    if (!token) {
      spdlog::warn("dashboard: a login as \"{}\" was refused (wrong user or password)", req.get_param_value("user"));
      std::this_thread::sleep_for(500ms);  // slows guessing
      res.status = 303;
      res.set_header("Location", "/login?error=1");
      return;
    }
    res.status = 303;
    res.set_header("Set-Cookie", std::string(Auth::kCookie) + "=" + *token + "; Path=/; HttpOnly; SameSite=Strict");
    res.set_header("Location", "/");
  });
  s.Post("/logout", [this](const Request& req, Response& res) {
    auth_.logout(Auth::cookie_token(req.get_header_value("Cookie")));
    res.status = 303;
    res.set_header("Set-Cookie", std::string(Auth::kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    res.set_header("Location", "/login");
  });
  s.Get("/", [asset](const Request&, Response& res) { asset("index.html", res); });
  s.Get(R"(/assets/(.+))", [asset](const Request& req, Response& res) { asset(req.matches[1].str(), res); });

  s.Get("/api/session", json([this](const Request& req) {
          auto token = Auth::cookie_token(req.get_header_value("Cookie"));
          JsonWriter w;
          w.begin_object().field("login_required", auth_.login_required()).key("user");
          if (auth_.login_required()) w.value(auth_.user());
          else w.null();
          w.field("csrf", auth_.session(token).value_or("")).end_object();
          return w.take();
        }));
  s.Get("/api/overview", json([this](const Request&) { return dash_.overview(); }));
  s.Get("/api/query/progress", json([this](const Request& req) {
          return dash_.progress(int_param(req, "since_ms", 0, 0, INT64_MAX),
                                static_cast<size_t>(int_param(req, "limit", 500, 1, 100'000)));
        }));
  s.Get("/api/topics", json([this](const Request&) { return dash_.topics(); }));
  s.Get(R"(/api/topics/([^/]+))", json([this](const Request& req) { return dash_.topics(req.matches[1].str()); }));
  s.Get(R"(/api/topics/([^/]+)/messages)", [this](const Request& req, Response& res) {
    MessageQuery q;
    q.limit = static_cast<size_t>(int_param(req, "limit", 50, 1, 1000));
    if (req.has_param("offset")) {
      q.mode = MessageQuery::Mode::offset;
      q.partition = static_cast<int32_t>(int_param(req, "partition", -1, 0, 1'000'000));
      if (q.partition < 0) throw ApiError(400, "offset needs a partition");
      q.offset = int_param(req, "offset", 0, 0, INT64_MAX);
    } else if (req.has_param("timestamp_ms")) {
      q.mode = MessageQuery::Mode::timestamp;
      q.timestamp_ms = int_param(req, "timestamp_ms", 0, 0, INT64_MAX);
      q.partition = static_cast<int32_t>(int_param(req, "partition", -1, -1, 1'000'000));
    } else {
      q.limit = static_cast<size_t>(int_param(req, "newest", static_cast<int64_t>(q.limit), 1, 1000));
      q.partition = static_cast<int32_t>(int_param(req, "partition", -1, -1, 1'000'000));
    }
    q.contains = str_param(req, "q");
    auto topic = req.matches[1].str();
    bool jsonl = str_param(req, "format") == "jsonl";
    auto body = dash_.messages(topic, q, jsonl);
    if (jsonl) {
      res.set_header("Content-Disposition", "attachment; filename=\"" + topic + ".jsonl\"");
      res.set_content(body, "application/x-ndjson");
    } else {
      res.set_content(body, kJson);
    }
  });
  s.Get("/api/groups", json([this](const Request& req) { return dash_.groups(str_param(req, "topic")); }));
  s.Get(R"(/api/groups/([^/]+)/lag-history)", json([this](const Request& req) {
          return dash_.lag_history(req.matches[1].str(), str_param(req, "topic"), int_param(req, "since_ms", 0, 0, INT64_MAX));
        }));
  s.Get("/api/dags", json([this](const Request&) { return dash_.dags(); }));
  s.Get(R"(/api/dags/([^/]+)/runs)", json([this](const Request& req) {
          return dash_.runs(req.matches[1].str(), static_cast<int>(int_param(req, "limit", 25, 1, 1000)));
        }));
  s.Post(R"(/api/dags/([^/]+)/trigger)", json([this](const Request& req) {
           return dash_.trigger(req.matches[1].str(), body_object(req.body, "conf"));
         }));
  s.Post(R"(/api/dags/([^/]+)/pause)", json([this](const Request& req) { return dash_.set_paused(req.matches[1].str(), true); }));
  s.Post(R"(/api/dags/([^/]+)/unpause)",
         json([this](const Request& req) { return dash_.set_paused(req.matches[1].str(), false); }));
  s.Get(R"(/api/dags/([^/]+)/runs/([^/]+)/tasks/([^/]+)/log)", json([this](const Request& req) {
          return dash_.task_log(req.matches[1].str(), req.matches[2].str(), req.matches[3].str(),
                                static_cast<int>(int_param(req, "try", 0, 0, 1000)), int_param(req, "offset", 0, 0, INT64_MAX));
        }));
  s.Get("/api/table", json([this](const Request&) { return dash_.table(); }));
  s.Get("/api/table/rows", json([this](const Request& req) {
          if (req.has_param("key")) return dash_.lookup(req.get_param_value("key"));
          return dash_.rows(static_cast<int>(int_param(req, "limit", 20, 1, 1000)));
        }));
  s.Get("/api/dead-letters", json([this](const Request& req) {
          return dash_.dead_letters(static_cast<size_t>(int_param(req, "limit", 100, 1, 10'000)), str_param(req, "kind"));
        }));
  s.Post("/api/dead-letters/redrive", json([this](const Request& req) { return dash_.redrive_letters(redrive_request(req.body)); }));

  // Server-sent events: the overview each second, each new batch, and a note when the
  // DAG runs changed. The stream ends when the client goes or the server stops.
  s.Get("/api/events", [this](const Request&, Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    struct State {
      int64_t since_ms = 0;
      int64_t runs = -1;
      bool first = true;
    };
    auto st = std::make_shared<State>();
    st->since_ms = wall_ms();
    res.set_chunked_content_provider("text/event-stream", [this, st](size_t, httplib::DataSink& sink) {
      if (!st->first) {
        for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(100ms);
      }
      st->first = false;
      if (stopping_ || !sink.is_writable()) return false;
      std::string out;
      auto event = [&](std::string_view name, const std::string& data) {
        out += "event: ";
        out += name;
        out += "\ndata: ";
        out += data;
        out += "\n\n";
      };
      try {
        event("overview", dash_.overview());
        auto batches = dash_.progress(st->since_ms, 1000);
        // One `batch` event per new batch: re-read them as objects.
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (!parser.parse(batches).get(doc)) {
          for (auto b : doc["batches"].get_array()) {
            int64_t t = 0;
            if (!b["timestamp_ms"].get(t)) st->since_ms = std::max(st->since_ms, t);
            event("batch", simdjson::minify(b));
          }
        }
        auto v = dash_.runs_version();
        if (v != st->runs) {
          if (st->runs != -1) event("runs", "{}");
          st->runs = v;
        }
      } catch (const std::exception& e) {
        event("error", error_json(e.what()));
      }
      return sink.write(out.data(), out.size());
    });
  });
}

}  // namespace sluice::web
