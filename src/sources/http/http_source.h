#pragma once
// The http source: the seed's get_data() (requests.get("https://randomuser.me/api/")),
// in batches: GET <url>?results=N with libcurl on one kept-alive handle, gzip,
// connect/read/request timeouts, an optional rate limit, and retries with exponential
// backoff, full jitter and a cap (sluice::Backoff, common/backoff.h): the wait before
// retry n is random in [0, min(backoff_max, backoff_initial * 2^n)], and stop() cuts
// it short.
//
// Every response is checked before it is handed out: a non-2xx status, a timeout, a
// failed connection, a body that is not JSON or is cut short, an `{"error": ...}`
// answer, a missing or empty `results` array: each is counted by kind in
// sluice_source_errors_total{kind} (SourceStats::errors), logged (the first of a kind at
// once, then at most every 10 s), and retried. None of them is an exception or a crash.
//
// Threading: next_batch() on one thread, which moves the source's series
// (sources/source.h, SourceMetrics); stop(), stats() and last_error() from any thread.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sources/source.h"

namespace sluice::sources {

struct HttpSourceOptions {
  std::string url;                                   // http(s)://host/path[?query]
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds read_timeout{10'000};    // no byte received for this long
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::optional<uint64_t> backoff_seed;              // fixes the jitter's draws (tests); unset: random
  int max_retries = -1;                              // -1: until stopped
  double rate_limit = 0;                             // requests per second; 0: none
  bool gzip = true;
};

class HttpSource : public Source {
 public:
  // Throws UsageError if the URL is not http(s). Counts in `registry`'s sluice_source_*
  // series (null: a registry of its own), which must outlive this.
  explicit HttpSource(HttpSourceOptions options, metrics::Registry* registry = nullptr);
  ~HttpSource() override;

  bool next_batch(uint32_t n, SourceBatch& out) override;
  void stop() override;
  SourceStats stats() const override;
  std::string describe() const override;
  // Why the last next_batch() returned false (retries exhausted), empty otherwise.
  std::string last_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::sources
