#include "sinks/cassandra/cassandra_sink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/error.h"
#include "sinks/cassandra/cassandra_schema.h"

namespace sluice::sinks {

// The rows of one write() attempt in flight. The writer thread sends and waits; the
// callbacks (connection I/O threads, or the writer itself when no connection is left)
// record failures and count down, under `mu`. Shared with the callbacks so that the
// last one may still unlock after the writer has moved on.
struct CassandraSink::Round {
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  size_t low_water = 0;  // a writer blocked on a full window wakes when in_flight drops to this
  std::optional<cql::ClientError> no_connection;  // set: stop sending, every row would fail the same way
  std::vector<std::pair<uint32_t, cql::ClientError>> failures;
  metrics::HistogramSnapshot latency;  // the acknowledged rows', in write_seconds_'s buckets
};

namespace {

// The server (or the encoder) refuses the row itself: sending it again cannot help.
bool is_rejection(const cql::ClientError& e) {
  using cql::ErrorCode;
  if (e.code == cql::ClientErrc::protocol) return true;
  if (e.code != cql::ClientErrc::server || !e.server) return false;
  switch (e.server->code) {
    case ErrorCode::invalid:
    case ErrorCode::syntax_error:
    case ErrorCode::function_failure:
    case ErrorCode::write_failure:
    case ErrorCode::cdc_write_failure: return true;
    default: return false;
  }
}


}  // namespace

CassandraSink::CassandraSink(CassandraUri uri, cql::SessionOptions session, CassandraSinkOptions options,
                             const table::Schema& schema, metrics::Registry* metrics)
    : uri_(std::move(uri)),
      session_options_(std::move(session)),
      opts_(std::move(options)),
      schema_(schema),
      insert_cql_(cassandra_insert(uri_.keyspace, schema)),
      retry_backoff_({opts_.retry_backoff, opts_.retry_backoff_max}),
      own_registry_(metrics ? nullptr : std::make_unique<metrics::Registry>()),
      write_seconds_((metrics ? *metrics : *own_registry_)
                         .histogram("sluice_sink_write_seconds", "Time of one acknowledged sink write (Cassandra: per row).",
                                    metrics::latency_seconds_buckets(), {{"sink", "cassandra"}})) {
  if (opts_.max_in_flight < 1) opts_.max_in_flight = 1;
  if (opts_.attempts < 1) opts_.attempts = 1;
}

CassandraSink::~CassandraSink() {
  if (acked_ > 0) {
    auto h = write_seconds_.snapshot();
    spdlog::info("Cassandra sink {}: {} rows acknowledged; write latency p50 {:.2f} ms, p99 {:.2f} ms", describe(),
                 acked_, h.quantile(0.5) * 1000, h.quantile(0.99) * 1000);
  }
}

std::string CassandraSink::describe() const { return uri_.redacted() + ", table " + schema_.table(); }

void CassandraSink::ensure_schema() {
  insert_.reset();
  session_ = std::make_unique<cql::Session>(session_options_);
  try {
    session_->connect();
  } catch (const cql::CqlError& e) {
    if (e.code() == cql::ClientErrc::authentication)
      throw FatalError(fmt::format("Cassandra sink {}: {} (check the user in the sink URI and the password in "
                                   "cassandra.password_env or cassandra.password_file)",
                                   uri_.redacted(), e.what()));
    throw FatalError(fmt::format("Cassandra sink {}: {}", uri_.redacted(), e.what()));
  }
  try {
    ensure_cassandra_table(*session_, uri_.keyspace, opts_.replication, schema_);
    insert_ = session_->prepare(insert_cql_);
  } catch (const cql::CqlError& e) {
    throw FatalError(fmt::format("Cassandra sink {}: cannot set up table {}.{}: {}", uri_.redacted(), uri_.keyspace,
                                 schema_.table(), e.what()));
  }
  spdlog::info("Cassandra sink {}: protocol v{}, consistency {}, {} in flight at most", describe(),
               session_->protocol_version(), cql::consistency_name(session_->consistency()), opts_.max_in_flight);
}

// Connects and prepares if ensure_schema() has not (or a retry after a failure must).
std::optional<WriteResult> CassandraSink::ready() {
  if (insert_) return std::nullopt;
  try {
    if (!session_) {
      session_ = std::make_unique<cql::Session>(session_options_);
      session_->connect();
    }
    insert_ = session_->prepare(insert_cql_);
    return std::nullopt;
  } catch (const cql::CqlError& e) {
    return WriteResult{WriteStatus::retry, e.what()};
  }
}

WriteResult CassandraSink::write(std::span<const table::Row> rows) {
  if (rows.empty()) return {};
  if (auto r = ready()) return *r;
  const size_t n = rows.size();
  std::vector<int64_t> timestamps(n);
  int64_t t = std::max(wall_us(), last_timestamp_us_ + 1);
  for (auto& ts : timestamps) ts = t++;
  last_timestamp_us_ = t - 1;
  std::vector<uint32_t> todo(n);
  std::iota(todo.begin(), todo.end(), 0u);
  retry_backoff_.reset();  // every call starts from retry_backoff
  for (int attempt = 1;; ++attempt) {
    auto round = std::make_shared<Round>();
    send_round(rows, todo, timestamps, round);
    // No lock needed from here: every callback has run (in_flight reached 0 under the lock).
    write_seconds_.merge(round->latency);
    acked_ += todo.size() - round->failures.size();
    if (round->failures.empty()) return {};
    bool transient = true;
    for (const auto& [row, e] : round->failures) {
      if (is_rejection(e)) return {WriteStatus::error, "Cassandra rejected a row: " + e.message};
      transient = transient && e.retryable_write();
    }
    const auto& first = round->failures.front().second;
    if (!transient || round->no_connection || attempt >= opts_.attempts)
      return {WriteStatus::retry, fmt::format("{} of {} rows not acknowledged after {} attempt{}: {}",
                                              round->failures.size(), n, attempt, attempt == 1 ? "" : "s",
                                              first.message)};
    // Not interruptible: there is no notion of closing the sink or its session while a
    // write() runs (the Sink seam has no stop; the query's stop() reaches the sink only
    // between calls, and the session closes only in its destructor, on this thread).
    // So the wait is bounded instead: at most attempts - 1 waits per call, wait k under
    // min(retry_backoff_max, retry_backoff * 2^k) (with the defaults, 100 + 200 + 400 ms
    // at most in all).
    auto wait = retry_backoff_.next();
    spdlog::debug("Cassandra sink: {} rows failed ({}); sending them again in {} ms", round->failures.size(),
                  first.message, wait.count());
    std::this_thread::sleep_for(wait);
    todo.clear();
    for (const auto& f : round->failures) todo.push_back(f.first);
    std::sort(todo.begin(), todo.end());
  }
}

void CassandraSink::send_round(std::span<const table::Row> rows, const std::vector<uint32_t>& todo,
                               const std::vector<int64_t>& timestamps, const std::shared_ptr<Round>& round) {
  const size_t max = opts_.max_in_flight;
  round->low_water = max * 3 / 4;
  round->latency = metrics::HistogramSnapshot{};
  round->latency.bounds.assign(write_seconds_.bounds().begin(), write_seconds_.bounds().end());
  round->latency.counts.assign(round->latency.bounds.size() + 1, 0);
  std::vector<cql::BindValue> values;
  std::string why;
  for (size_t k = 0; k < todo.size(); ++k) {
    const uint32_t idx = todo[k];
    {
      std::unique_lock lk(round->mu);
      if (round->in_flight >= max) round->cv.wait(lk, [&] { return round->in_flight <= round->low_water; });
      if (round->no_connection) {
        for (; k < todo.size(); ++k) round->failures.emplace_back(todo[k], *round->no_connection);
        break;
      }
      ++round->in_flight;
    }
    if (!bind_row(rows[idx], schema_, values, why)) {
      std::lock_guard lk(round->mu);
      --round->in_flight;
      round->failures.emplace_back(idx, cql::ClientError{cql::ClientErrc::protocol, why, {}});
      continue;
    }
    session_->execute(
        insert_, std::move(values),
        // write() waits for every callback (in_flight == 0), so the histogram outlives them.
        [round, idx, h = &write_seconds_, sent = std::chrono::steady_clock::now()](cql::Result&& r) {
          double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
          size_t bucket = h->bucket(secs);  // reads the immutable bounds only
          std::lock_guard lk(round->mu);
          if (r.ok()) {
            ++round->latency.counts[bucket];
            ++round->latency.count;
            round->latency.sum += secs;
          }
          if (!r.ok()) {
            auto c = r.error->code;
            if ((c == cql::ClientErrc::connect || c == cql::ClientErrc::authentication) && !round->no_connection)
              round->no_connection = *r.error;
            round->failures.emplace_back(idx, std::move(*r.error));
          }
          --round->in_flight;
          if (round->in_flight == round->low_water || round->in_flight == 0) round->cv.notify_one();
        },
        timestamps[idx]);
    values = {};
  }
  std::unique_lock lk(round->mu);
  round->cv.wait(lk, [&] { return round->in_flight == 0; });
}

std::unique_ptr<Sink> open_cassandra_sink(const config::Config& cfg, const table::Schema& schema,
                                          metrics::Registry* metrics) {
  CassandraUri uri;
  try {
    uri = parse_cassandra_uri(cfg.str("sink"));
  } catch (const UsageError& e) {
    throw UsageError(cfg.origin("sink") + ": " + e.what());
  }
  auto session = cassandra_session_options(cfg, uri, false);
  CassandraSinkOptions o;
  o.replication = cfg.str("cassandra.replication");
  if (!o.replication.starts_with('{') || !o.replication.ends_with('}'))
    throw UsageError(fmt::format("{}: cassandra.replication: expected a CQL map such as {{'class': 'SimpleStrategy', "
                                 "'replication_factor': 1}}, got \"{}\"",
                                 cfg.origin("cassandra.replication"), o.replication));
  o.max_in_flight = static_cast<size_t>(cfg.integer("cassandra.max_in_flight"));
  return std::make_unique<CassandraSink>(std::move(uri), std::move(session), std::move(o), schema, metrics);
}

}  // namespace sluice::sinks
