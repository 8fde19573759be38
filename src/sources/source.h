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
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/field_value.h"

namespace sluice::sources {

// One API response. `body` keeps simdjson's required padding past its end
// (body.capacity() >= body.size() + kPadding), so it can be parsed in place.
struct SourceBatch {
  std::string body;
  uint32_t results = 0;  // number of user records in body (as the source counted them)
};

// Counters every source keeps (read by the progress line and the summary).
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
