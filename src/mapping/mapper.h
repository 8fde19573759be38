#pragma once
// Runs a compiled Mapping over API responses: one pass over each user record with
// simdjson On-Demand, reading only the paths the templates need (in document order,
// skipping the rest), then rendering the output JSON into a reused buffer.
//
// Threading: a Mapper owns its parser and buffers; use one per thread. The Mapping it
// points to must outlive it.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/bad_record.h"
#include "common/field_value.h"
#include "mapping/mapping.h"

namespace sluice::mapping {

// Receives the outcome of each user record, in order. Views are valid only during
// the call.
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  // A mapped record: `key` is the key field's value (empty view and has_key false if
  // the mapping has no key field); `value` is the compact JSON object.
  virtual void on_record(bool has_key, std::string_view key, std::string_view value) = 0;
  // A record the mapping cannot use: `raw` is the record's JSON as it came from the
  // API, `reason` names the cause ("missing field location.street.number").
  virtual void on_error(std::string_view raw, std::string_view reason) = 0;
  // The same, with the kind of problem (a closed set, for metrics and dead-letter
  // headers). The mapper calls this one; by default it forwards to on_error().
  virtual void on_bad_record(std::string_view raw, BadRecord kind, std::string_view reason) {
    (void)kind;
    on_error(raw, reason);
  }
};

struct MapResult {
  uint64_t mapped = 0;
  uint64_t failed = 0;
  // The response itself was not usable past some point (not JSON, no `results`
  // array, truncated); records before that point were handed out.
  bool malformed = false;
  std::string malformed_reason;
};

class Mapper {
 public:
  explicit Mapper(const Mapping& mapping);
  ~Mapper();
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  // Maps every element of the response's `results` array. `body` must be followed by
  // at least simdjson::SIMDJSON_PADDING readable bytes (SourceBatch keeps them).
  MapResult map_response(std::string_view body, RecordHandler& handler);

  // Maps one record whose values a source read itself (projection pushdown):
  // values[s] is the value at the mapping's paths()[s]. Hands the record to
  // handler.on_record and returns "", or returns the reason it cannot be mapped, the
  // same as map_response() would give; the caller dead-letters the record.
  // `kind` (optional) receives the kind of problem when a reason is returned.
  std::string map_values(std::span<const FieldValue> values, RecordHandler& handler, BadRecord* kind = nullptr);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace sluice::mapping
