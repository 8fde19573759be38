#pragma once
// QUERY, PREPARE and EXECUTE (spec v4/v5 4.1.4 to 4.1.6).
//
//   QUERY    <query: [long string]><query_parameters>
//   PREPARE  v3/v4: <query: [long string]>
//            v5:    <query: [long string]><flags: [int]>[<keyspace: [string]>]
//   EXECUTE  v3/v4: <id: [short bytes]><query_parameters>
//            v5:    <id: [short bytes]><result_metadata_id: [short bytes]><query_parameters>
#include <optional>
#include <string>

#include "cql/query_parameters.h"

namespace sluice::cql {

class WireWriter;

struct QueryRequest {
  std::string query;
  QueryParameters params;
};

inline constexpr uint32_t kPrepareFlagKeyspace = 0x01;  // v5

struct PrepareRequest {
  std::string query;
  std::optional<std::string> keyspace;  // v5 only
};

struct ExecuteRequest {
  std::string id;                  // PreparedResult::id
  std::string result_metadata_id;  // v5: PreparedResult::result_metadata_id, or the newer one from a Rows result
  QueryParameters params;
};

void write_body(WireWriter& w, const QueryRequest& q, int version);
void write_body(WireWriter& w, const PrepareRequest& p, int version);
void write_body(WireWriter& w, const ExecuteRequest& e, int version);

}  // namespace sluice::cql
