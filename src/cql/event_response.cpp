#include "cql/event_response.h"

#include "cql/wire_reader.h"

namespace sluice::cql {

SchemaChange read_schema_change(WireReader& r) {
  SchemaChange s;
  s.change_type = r.read_string();
  s.target = r.read_string();
  if (s.target == "KEYSPACE") {
    s.keyspace = r.read_string();
  } else if (s.target == "TABLE" || s.target == "TYPE") {
    s.keyspace = r.read_string();
    s.name = r.read_string();
  } else if (s.target == "FUNCTION" || s.target == "AGGREGATE") {
    s.keyspace = r.read_string();
    s.name = r.read_string();
    s.arg_types = r.read_string_list();
  }
  return s;
}

EventResponse read_event(WireReader& r) {
  EventResponse e;
  e.type = r.read_string();
  if (e.type == "TOPOLOGY_CHANGE" || e.type == "STATUS_CHANGE") {
    e.change = r.read_string();
    e.address = r.read_inet();
  } else if (e.type == "SCHEMA_CHANGE") {
    e.schema = read_schema_change(r);
  }
  return e;
}

}  // namespace sluice::cql
