#pragma once
// EVENT (spec v4/v5 4.2.6), pushed by the server on stream -1 to a connection that
// REGISTERed for the type, and the schema change description it shares with the
// Schema_change RESULT (4.2.5.5):
//
//   TOPOLOGY_CHANGE  <change: NEW_NODE | REMOVED_NODE><address: [inet]>
//   STATUS_CHANGE    <change: UP | DOWN><address: [inet]>
//   SCHEMA_CHANGE    <change_type: CREATED | UPDATED | DROPPED><target><options>
//     target KEYSPACE:            <keyspace>
//     target TABLE, TYPE:         <keyspace><name>
//     target FUNCTION, AGGREGATE: <keyspace><name><argument types: [string list]>
#include <string>
#include <vector>

#include "cql/wire_types.h"

namespace sluice::cql {

class WireReader;

struct SchemaChange {
  std::string change_type;  // CREATED, UPDATED, DROPPED
  std::string target;       // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;                    // empty for KEYSPACE
  std::vector<std::string> arg_types;  // FUNCTION, AGGREGATE

  bool operator==(const SchemaChange&) const = default;
};

struct EventResponse {
  std::string type;    // TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE, or one we do not know
  std::string change;  // topology and status: NEW_NODE, REMOVED_NODE, UP, DOWN
  Inet address;        // topology and status
  SchemaChange schema; // SCHEMA_CHANGE
};

// A target this code does not know leaves the rest unread (the spec lets a client
// ignore what it does not understand at the end of a body).
SchemaChange read_schema_change(WireReader& r);
EventResponse read_event(WireReader& r);

}  // namespace sluice::cql
