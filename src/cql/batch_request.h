#pragma once
// BATCH (spec v4/v5 4.1.7):
//
//   <type: [byte]><n: [short]><query_1>...<query_n><consistency><flags>
//   [<serial_consistency>][<timestamp>][<keyspace>][<now_in_seconds>]
//   <query_i> = <kind: [byte] 0 string, 1 prepared><[long string] query | [short bytes] id>
//               <n: [short]><value_1>...<value_n>
//
// <flags> is a [byte] in v3/v4 and an [int] in v5, with the bits of QUERY (0x10 serial
// consistency, 0x20 timestamp, v5: 0x80 keyspace, 0x100 now_in_seconds). Named values
// (0x40) are left out on purpose: the spec itself says they cannot work in a batch
// (CASSANDRA-10246).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/wire_types.h"

namespace sluice::cql {

class WireWriter;

enum class BatchType : uint8_t { logged = 0, unlogged = 1, counter = 2 };

struct BatchStatement {
  bool prepared = false;
  std::string query_or_id;  // the CQL text, or PreparedResult::id when prepared
  std::vector<BindValue> values;

  static BatchStatement query(std::string cql, std::vector<BindValue> values = {}) {
    return {false, std::move(cql), std::move(values)};
  }
  static BatchStatement execute(std::string id, std::vector<BindValue> values) {
    return {true, std::move(id), std::move(values)};
  }
};

struct BatchRequest {
  BatchType type = BatchType::logged;
  std::vector<BatchStatement> statements;
  Consistency consistency = Consistency::local_one;
  std::optional<Consistency> serial_consistency;
  std::optional<int64_t> default_timestamp_us;
  std::optional<std::string> keyspace;    // v5
  std::optional<int32_t> now_in_seconds;  // v5
};

void write_body(WireWriter& w, const BatchRequest& b, int version);

}  // namespace sluice::cql
