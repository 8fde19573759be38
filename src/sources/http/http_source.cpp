#include "sources/http/http_source.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>

#include "common/backoff.h"
#include "common/error.h"
#include "common/version.h"

namespace sluice::sources {

using Clock = std::chrono::steady_clock;

namespace {

std::once_flag curl_once;

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// What went wrong with one call, "" if nothing did.
struct Failure {
  std::string kind;    // counter name: http_503, timeout, not_json, ...
  std::string detail;  // for the log
};

}  // namespace

struct HttpSource::Impl {
  Impl(HttpSourceOptions opt, metrics::Registry* registry)
      : o(std::move(opt)),
        backoff(o.backoff_seed ? Backoff({o.backoff_initial, o.backoff_max}, *o.backoff_seed)
                               : Backoff({o.backoff_initial, o.backoff_max})),
        counts(registry) {
    std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl = curl_easy_init();
    if (!curl) throw FatalError("libcurl could not create a handle");
    user_agent = std::string("sluice/") + kVersion;
  }
  ~Impl() { curl_easy_cleanup(curl); }

  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Impl*>(self)->stopping.load() ? 1 : 0;  // non-zero aborts the transfer
  }

  // Waits until `until` unless stop() comes first; false if stopped.
  bool sleep_until(Clock::time_point until) { return stop_signal.wait_until(until); }

  std::string request_url(uint32_t n) const {
    return o.url + (o.url.find('?') == std::string::npos ? "?" : "&") + "results=" + std::to_string(n);
  }

  // One GET; fills `body`. Returns the failure, if any.
  Failure fetch(uint32_t n, std::string& body) {
    body.clear();
    std::string url = request_url(n);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.request_timeout.count()));
    // Read timeout: less than 1 byte/s for read_timeout aborts the call.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max<long>(1, static_cast<long>((o.read_timeout.count() + 999) / 1000)));
    if (o.gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    char err[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      std::string detail = err[0] ? err : curl_easy_strerror(rc);
      switch (rc) {
        case CURLE_OPERATION_TIMEDOUT: return {"timeout", detail};
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return {"connect", detail};
        case CURLE_PARTIAL_FILE: return {"truncated", detail};
        case CURLE_ABORTED_BY_CALLBACK: return {"stopped", detail};
        case CURLE_BAD_CONTENT_ENCODING: return {"bad_encoding", detail};
        default: return {"network", detail};
      }
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) return {fmt::format("http_{}", status), fmt::format("HTTP status {}", status)};
    return check(body);
  }

  // Checks that `body` is a usable API response; counts its users into `results`.
  Failure check(std::string& body) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    auto err = parser.parse(body.data(), body.size(), false).get(doc);
    if (err) {
      size_t first = body.find_first_not_of(" \t\r\n");
      bool looks_json = first != std::string::npos && (body[first] == '{' || body[first] == '[');
      std::string detail = fmt::format("{} ({} bytes)", simdjson::error_message(err), body.size());
      if (looks_json && err != simdjson::UTF8_ERROR) return {"truncated", detail};
      return {"not_json", detail};
    }
    simdjson::dom::object top;
    if (doc.get_object().get(top)) return {"bad_shape", "the response is not a JSON object"};
    simdjson::dom::element e;
    if (!top["error"].get(e)) {
      std::string_view msg;
      if (e.get_string().get(msg)) msg = "(no message)";
      return {"api_error", std::string(msg)};
    }
    simdjson::dom::array results;
    if (top["results"].get_array().get(results)) return {"bad_shape", "no \"results\" array in the response"};
    results_count = static_cast<uint32_t>(results.size());
    if (results_count == 0) return {"empty_results", "the API returned no users"};
    return {};
  }

  void count_failure(const Failure& f) {
    counts.error(f.kind);
    auto now = Clock::now();
    auto& next = next_log[f.kind];
    auto& quiet = suppressed[f.kind];
    if (now >= next) {
      if (quiet > 0)
        spdlog::warn("randomuser API call failed ({}): {} (and {} more like it since the last report); retrying", f.kind,
                     f.detail, quiet);
      else
        spdlog::warn("randomuser API call failed ({}): {}; retrying", f.kind, f.detail);
      quiet = 0;
      next = now + std::chrono::seconds(10);
    } else {
      ++quiet;
    }
  }

  bool wait_for_rate() {
    if (o.rate_limit <= 0) return true;
    auto now = Clock::now();
    if (next_allowed > now && !sleep_until(next_allowed)) return false;
    auto gap = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o.rate_limit));
    next_allowed = std::max(next_allowed, now) + gap;
    return true;
  }

  HttpSourceOptions o;
  CURL* curl = nullptr;
  std::string user_agent;
  simdjson::dom::parser parser;
  uint32_t results_count = 0;
  // stop() sets `stopping` (polled by curl's progress callback, so it must be cheap)
  // and then stops `stop_signal` (wakes the backoff and rate-limit waits).
  std::atomic<bool> stopping{false};
  StopSignal stop_signal;
  Clock::time_point next_allowed{};
  Backoff backoff;  // next_batch()'s thread only; reset at the start of every call
  std::map<std::string, Clock::time_point> next_log;
  std::map<std::string, uint64_t> suppressed;

  SourceMetrics counts;  // moved by next_batch()'s thread
  mutable std::mutex last_error_mu;  // guards last_error
  std::string last_error;
};

HttpSource::HttpSource(HttpSourceOptions options, metrics::Registry* registry) {
  const auto& url = options.url;
  if (!(url.starts_with("http://") || url.starts_with("https://")) || url.size() <= 8)
    throw UsageError("source: \"" + url + "\" is not an http(s) URL (e.g. https://randomuser.me/api/)");
  impl_ = std::make_unique<Impl>(std::move(options), registry);
}

HttpSource::~HttpSource() = default;

bool HttpSource::next_batch(uint32_t n, SourceBatch& out) {
  Impl& m = *impl_;
  n = std::clamp<uint32_t>(n, 1, 5000);
  m.backoff.reset();  // every call starts from backoff_initial
  for (int attempt = 0;; ++attempt) {
    if (m.stopping.load() || !m.wait_for_rate()) return false;
    m.counts.request();
    Failure f = m.fetch(n, out.body);
    if (f.kind == "stopped" || m.stopping.load()) return false;
    if (f.kind.empty()) {
      out.results = m.results_count;
      m.counts.response(out.results, out.body.size());
      std::lock_guard lk(m.last_error_mu);
      m.last_error.clear();
      return true;
    }
    m.count_failure(f);
    if (m.o.max_retries >= 0 && attempt >= m.o.max_retries) {
      std::lock_guard lk(m.last_error_mu);
      m.last_error = fmt::format("{} failed {} times; last: {} ({})", m.o.url, attempt + 1, f.kind, f.detail);
      spdlog::error("{}", m.last_error);
      return false;
    }
    m.counts.retry();
    // Full jitter (common/backoff.h): a random wait in [0, min(backoff_max,
    // backoff_initial * 2^attempt)], which stop() cuts short.
    if (!m.sleep_until(Clock::now() + m.backoff.next())) return false;
  }
}

void HttpSource::stop() {
  impl_->stopping = true;  // before the signal: a woken next_batch() sees it
  impl_->stop_signal.stop();
}

SourceStats HttpSource::stats() const { return impl_->counts.stats(); }

std::string HttpSource::describe() const { return "randomuser API at " + impl_->o.url; }

std::string HttpSource::last_error() const {
  std::lock_guard lk(impl_->last_error_mu);
  return impl_->last_error;
}

}  // namespace sluice::sources
