#pragma once
// Why a record could not go on: a closed set of kinds, kept apart from the free-text
// detail ("missing field location.street.number"), so that kinds can be bounded metric
// labels and dead-letter headers a program can switch on. The mapper (produce), the
// row parser (stream) and the sink each say which kind they met.
#include <string_view>

namespace sluice {

enum class BadRecord {
  malformed_response,  // produce: the source's response is not the API's JSON
  not_an_object,       // the record is not a JSON object
  missing_field,       // a field the mapping or the schema needs is absent
  null_field,          // ... is null
  not_a_value,         // ... is an object or array where a value is needed
  invalid_json,        // stream: the record's bytes are not JSON
  invalid_utf8,        // ... not UTF-8
  oversize,            // ... larger than stream.max_value_bytes
  wrong_type,          // a field does not convert to its column's type
  bad_uuid,            // the id is not a UUID
  sink_rejected,       // the sink refused the row
};

inline constexpr BadRecord kBadRecordKinds[] = {
    BadRecord::malformed_response, BadRecord::not_an_object, BadRecord::missing_field, BadRecord::null_field,
    BadRecord::not_a_value,        BadRecord::invalid_json,  BadRecord::invalid_utf8,  BadRecord::oversize,
    BadRecord::wrong_type,         BadRecord::bad_uuid,      BadRecord::sink_rejected,
};

constexpr std::string_view to_string(BadRecord k) {
  switch (k) {
    case BadRecord::malformed_response: return "malformed_response";
    case BadRecord::not_an_object: return "not_an_object";
    case BadRecord::missing_field: return "missing_field";
    case BadRecord::null_field: return "null_field";
    case BadRecord::not_a_value: return "not_a_value";
    case BadRecord::invalid_json: return "invalid_json";
    case BadRecord::invalid_utf8: return "invalid_utf8";
    case BadRecord::oversize: return "oversize";
    case BadRecord::wrong_type: return "wrong_type";
    case BadRecord::bad_uuid: return "bad_uuid";
    case BadRecord::sink_rejected: return "sink_rejected";
  }
  return "unknown";
}

// Where in the pipeline a record was turned away.
enum class BadRecordStage { map, parse, sink };

constexpr std::string_view to_string(BadRecordStage s) {
  switch (s) {
    case BadRecordStage::map: return "map";
    case BadRecordStage::parse: return "parse";
    case BadRecordStage::sink: return "sink";
  }
  return "unknown";
}

}  // namespace sluice
