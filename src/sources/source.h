#pragma once
// The source seam: where raw user records come from (the seed's get_data() calling
// randomuser.me). A source hands out whole API responses, as the bytes the API
// returned: `{"results":[{...},...],"info":{...}}`. The mapper parses them once.
//
// Backends: `http` (libcurl against randomuser.me or any server with its API, in
// sources/http/) and `builtin` (a deterministic generator of the same JSON, in
// sources/builtin/), picked from the config by sources/factory/make_source.h.
//
// Projection pushdown: a source that can produce the values at given paths of each
// record without writing JSON (the builtin generator) offers project(); the caller then
// skips writing and re-parsing responses, as a database hands a scan only the columns
// a query reads. The records, their order and their values are those of next_batch().
//
// Counting: every source registers and moves its series in the pipeline's metrics
// registry through one SourceMetrics (below): sluice_source_requests_total,
// _responses_total, _records_total, _bytes_total, _retries_total and
// sluice_source_errors_total{kind}. Source::stats() reads them back.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/field_value.h"
#include "metrics/registry.h"

namespace sluice::sources {

// One API response. `body` keeps simdjson's required padding past its end
// (body.capacity() >= body.size() + kPadding), so it can be parsed in place.
struct SourceBatch {
  std::string body;
  uint32_t results = 0;  // number of user records in body (as the source counted them)
};

// What a source counted (read by the progress line and the summary): its series'
// moves since some moment (SourceMetrics::stats(): since the source was created).
struct SourceStats {
  uint64_t requests = 0;        // responses asked for
  uint64_t batches = 0;         // responses handed out
  uint64_t records = 0;         // user records handed out
  uint64_t bytes = 0;           // response bytes handed out (projected records count none)
  uint64_t retries = 0;         // attempts repeated after a failure
  // Failures by kind ("http_500", "timeout", "not_json", "truncated", "api_error",
  // "empty_results", "connect", ...): each one was counted, logged and retried.
  std::map<std::string, uint64_t> errors;
  uint64_t error_total() const {
    uint64_t n = 0;
    for (auto& [k, v] : errors) n += v;
    return n;
  }
  // What was counted between `earlier` and these stats of the same source (kinds
  // with no new errors left out), e.g. one run of a job.
  SourceStats since(const SourceStats& earlier) const;
};

// A source's series in a metrics registry, shared by every backend so that all count
// alike. Registers on construction (errors on a kind's first failure, so /metrics lists
// the kinds that happened); a series that exists is the same object (registry.h), so a
// source created again in the same pipeline counts on where the last one left off.
//
// Threading: the series are moved (request(), response(), retry(), error()) by the
// thread calling the source's next_batch() or its projection's next_records(), one
// thread at a time (metrics.h: single writer), so at most one live source may move a
// registry's series. stats() and records() may be called from any thread; stats() sees
// each count whole, though two of them may be a moment apart.
class SourceMetrics {
 public:
  // `registry` null: a registry of its own. The given one must outlive this.
  explicit SourceMetrics(metrics::Registry* registry);
  SourceMetrics(const SourceMetrics&) = delete;
  SourceMetrics& operator=(const SourceMetrics&) = delete;
  ~SourceMetrics();

  // A response asked for (each attempt, retries included).
  void request() { requests_.add(); }
  // A response of `records` records and `bytes` bytes handed out (a projection's
  // records: 0 bytes, as it writes none).
  void response(uint64_t records, uint64_t bytes) {
    responses_.add();
    records_.add(records);
    bytes_.add(bytes);
  }
  // An attempt repeated after a failure.
  void retry() { retries_.add(); }
  // A failure of `kind` ("http_500", "timeout", ...; SourceStats::errors). Kinds must
  // come from a closed set (registry.h: at most kMaxSeries of them).
  void error(std::string_view kind);

  // Records handed out since this was created (a quota's count).
  uint64_t records() const { return records_.value() - base_.records; }
  // Everything counted since this was created, read from the series.
  SourceStats stats() const;

 private:
  struct ErrorSeries {
    metrics::Counter* counter = nullptr;
    uint64_t base = 0;  // its value when this source registered it
  };

  std::unique_ptr<metrics::Registry> own_registry_;  // when none was given
  metrics::Registry& registry_;
  metrics::Counter &requests_, &responses_, &records_, &bytes_, &retries_;
  SourceStats base_;  // the series' values on construction (errors: in errors_)
  // Guards errors_ (written by the moving thread on a kind's first failure, read by
  // stats()); the counters themselves are moved without it.
  mutable std::mutex errors_mu_;
  std::map<std::string, ErrorSeries, std::less<>> errors_;
};

// One record of a projection, valid during ProjectedVisitor::on_record only.
class ProjectedRecord {
 public:
  // values()[s] is the value at the projection's paths[s].
  virtual std::span<const FieldValue> values() const = 0;
  // The whole record as next_batch() would have written it (for dead letters).
  virtual std::string json() const = 0;

 protected:
  ~ProjectedRecord() = default;
};

class ProjectedVisitor {
 public:
  virtual void on_record(const ProjectedRecord& record) = 0;

 protected:
  ~ProjectedVisitor() = default;
};

// Records as values of a fixed list of paths. Use from one thread; the Source it came
// from must outlive it.
class Projection {
 public:
  virtual ~Projection() = default;
  // Hands the next up to `n` records to `visitor`, in order, counting them in the
  // source's stats as next_batch() does. Returns false when the source is exhausted
  // or was stopped.
  virtual bool next_records(uint32_t n, ProjectedVisitor& visitor) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Fills `out` with the next response holding up to `n` records. Returns false when
  // the source is exhausted or was stopped (stop()); retries transient failures
  // internally, counting each.
  virtual bool next_batch(uint32_t n, SourceBatch& out) = 0;
  // Makes a blocked next_batch() return false soon. Callable from another thread.
  virtual void stop() = 0;
  // What this source counted since it was created (SourceMetrics::stats()). Callable
  // from any thread.
  virtual SourceStats stats() const = 0;
  virtual std::string describe() const = 0;  // e.g. "builtin generator (seed 42)"
  // A projection onto `paths` (each split into its components, as mapping::Mapping::
  // paths()), or nullptr if this source can only hand out responses. Use either the
  // projection or next_batch() on one source, not both.
  virtual std::unique_ptr<Projection> project(const std::vector<std::vector<std::string>>& paths) {
    (void)paths;
    return nullptr;
  }
};

}  // namespace sluice::sources
