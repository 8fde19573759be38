#include "cql/value.h"

namespace sluice::cql {

const char* kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::null: return "null";
    case ValueKind::boolean: return "boolean";
    case ValueKind::tinyint: return "tinyint";
    case ValueKind::smallint: return "smallint";
    case ValueKind::int_: return "int";
    case ValueKind::bigint: return "bigint";
    case ValueKind::float_: return "float";
    case ValueKind::double_: return "double";
    case ValueKind::text: return "text";
    case ValueKind::blob: return "blob";
    case ValueKind::uuid: return "uuid";
    case ValueKind::timeuuid: return "timeuuid";
    case ValueKind::timestamp: return "timestamp";
    case ValueKind::date: return "date";
    case ValueKind::time: return "time";
    case ValueKind::inet: return "inet";
    case ValueKind::varint: return "varint";
    case ValueKind::decimal: return "decimal";
    case ValueKind::duration: return "duration";
    case ValueKind::list: return "list";
    case ValueKind::set: return "set";
    case ValueKind::map: return "map";
    case ValueKind::tuple: return "tuple";
    case ValueKind::udt: return "user type";
  }
  return "?";
}

Value Value::inet(const Inet& a) {
  return raw(ValueKind::inet, std::string(reinterpret_cast<const char*>(a.bytes.data()), a.size));
}

Value Value::map(std::vector<std::pair<Value, Value>> entries) {
  Value x;
  x.kind = ValueKind::map;
  x.items.reserve(entries.size() * 2);
  for (auto& [k, v] : entries) {
    x.items.push_back(std::move(k));
    x.items.push_back(std::move(v));
  }
  return x;
}

}  // namespace sluice::cql
