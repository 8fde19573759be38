#include "cql/data_type.h"

#include <fmt/format.h>

#include "cql/protocol_error.h"
#include "cql/wire_reader.h"
#include "cql/wire_writer.h"

namespace sluice::cql {
namespace {

constexpr int kMaxTypeDepth = 32;

const char* native_name(TypeId id) {
  switch (id) {
    case TypeId::ascii: return "ascii";
    case TypeId::bigint: return "bigint";
    case TypeId::blob: return "blob";
    case TypeId::boolean: return "boolean";
    case TypeId::counter: return "counter";
    case TypeId::decimal: return "decimal";
    case TypeId::double_: return "double";
    case TypeId::float_: return "float";
    case TypeId::int_: return "int";
    case TypeId::timestamp: return "timestamp";
    case TypeId::uuid: return "uuid";
    case TypeId::varchar: return "text";
    case TypeId::varint: return "varint";
    case TypeId::timeuuid: return "timeuuid";
    case TypeId::inet: return "inet";
    case TypeId::date: return "date";
    case TypeId::time: return "time";
    case TypeId::smallint: return "smallint";
    case TypeId::tinyint: return "tinyint";
    case TypeId::duration: return "duration";
    default: return nullptr;
  }
}

DataType read_type(WireReader& r, int depth) {
  if (depth > kMaxTypeDepth) r.fail(Errc::bad_value, fmt::format("column type nested deeper than {}", kMaxTypeDepth));
  uint16_t id = r.read_short();
  DataType t = DataType::of(static_cast<TypeId>(id));
  switch (t.id) {
    case TypeId::custom: t.custom_class = r.read_string(); break;
    case TypeId::list:
    case TypeId::set: t.params.push_back(read_type(r, depth + 1)); break;
    case TypeId::map:
      t.params.push_back(read_type(r, depth + 1));
      t.params.push_back(read_type(r, depth + 1));
      break;
    case TypeId::tuple: {
      uint16_t n = r.read_short();
      r.check_count(n, 2, "tuple component types");
      for (uint16_t i = 0; i < n; ++i) t.params.push_back(read_type(r, depth + 1));
      break;
    }
    case TypeId::udt: {
      t.udt_keyspace = r.read_string();
      t.udt_name = r.read_string();
      uint16_t n = r.read_short();
      r.check_count(n, 4, "user type fields");
      for (uint16_t i = 0; i < n; ++i) {
        t.field_names.push_back(r.read_string());
        t.params.push_back(read_type(r, depth + 1));
      }
      break;
    }
    default:
      if (!native_name(t.id)) r.fail(Errc::bad_value, fmt::format("unknown column type id 0x{:04x}", id));
  }
  return t;
}

}  // namespace

DataType DataType::list_of(DataType element) {
  DataType t = of(TypeId::list);
  t.params.push_back(std::move(element));
  return t;
}

DataType DataType::set_of(DataType element) {
  DataType t = of(TypeId::set);
  t.params.push_back(std::move(element));
  return t;
}

DataType DataType::map_of(DataType key, DataType value) {
  DataType t = of(TypeId::map);
  t.params.push_back(std::move(key));
  t.params.push_back(std::move(value));
  return t;
}

DataType DataType::tuple_of(std::vector<DataType> types) {
  DataType t = of(TypeId::tuple);
  t.params = std::move(types);
  return t;
}

std::string type_name(const DataType& t) {
  if (const char* n = native_name(t.id)) return n;
  auto params = [&] {
    std::string s;
    for (size_t i = 0; i < t.params.size(); ++i) s += (i ? ", " : "") + type_name(t.params[i]);
    return s;
  };
  switch (t.id) {
    case TypeId::custom: return "'" + t.custom_class + "'";
    case TypeId::list: return "list<" + params() + ">";
    case TypeId::set: return "set<" + params() + ">";
    case TypeId::map: return "map<" + params() + ">";
    case TypeId::tuple: return "tuple<" + params() + ">";
    case TypeId::udt: return t.udt_keyspace + "." + t.udt_name;
    default: return fmt::format("type 0x{:04x}", static_cast<uint16_t>(t.id));
  }
}

DataType read_data_type(WireReader& r) { return read_type(r, 0); }

void write_data_type(WireWriter& w, const DataType& t) {
  w.put_short(static_cast<uint16_t>(t.id));
  switch (t.id) {
    case TypeId::custom: w.put_string(t.custom_class); break;
    case TypeId::list:
    case TypeId::set:
    case TypeId::map:
      for (const auto& p : t.params) write_data_type(w, p);
      break;
    case TypeId::tuple:
      w.put_short(static_cast<uint16_t>(t.params.size()));
      for (const auto& p : t.params) write_data_type(w, p);
      break;
    case TypeId::udt:
      w.put_string(t.udt_keyspace);
      w.put_string(t.udt_name);
      w.put_short(static_cast<uint16_t>(t.params.size()));
      for (size_t i = 0; i < t.params.size(); ++i) {
        w.put_string(i < t.field_names.size() ? t.field_names[i] : std::string());
        write_data_type(w, t.params[i]);
      }
      break;
    default: break;
  }
}

}  // namespace sluice::cql
