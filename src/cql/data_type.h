#pragma once
// CQL column types as the protocol describes them: an [option] whose id names the type
// and whose value, for the parametrised ones, carries the parameters (spec v4
// 4.2.5.2, v5 4.2.5.2):
//
//   custom   [string] class name          list, set  [option] element type
//   map      [option] key, [option] value tuple      [short] n, n [option]
//   udt      [string] keyspace, [string] name, [short] n, n ([string] field, [option] type)
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::cql {

class WireReader;
class WireWriter;

enum class TypeId : uint16_t {
  custom = 0x0000,
  ascii = 0x0001,
  bigint = 0x0002,
  blob = 0x0003,
  boolean = 0x0004,
  counter = 0x0005,
  decimal = 0x0006,
  double_ = 0x0007,
  float_ = 0x0008,
  int_ = 0x0009,
  timestamp = 0x000B,
  uuid = 0x000C,
  varchar = 0x000D,
  varint = 0x000E,
  timeuuid = 0x000F,
  inet = 0x0010,
  date = 0x0011,
  time = 0x0012,
  smallint = 0x0013,
  tinyint = 0x0014,
  duration = 0x0015,  // v5
  list = 0x0020,
  map = 0x0021,
  set = 0x0022,
  udt = 0x0030,
  tuple = 0x0031,
};

struct DataType {
  TypeId id = TypeId::blob;
  std::string custom_class;              // custom
  std::vector<DataType> params;          // list/set: element; map: key, value; tuple, udt: fields
  std::string udt_keyspace, udt_name;    // udt
  std::vector<std::string> field_names;  // udt, one per params entry

  static DataType of(TypeId id) { return DataType{id, {}, {}, {}, {}, {}}; }
  static DataType list_of(DataType element);
  static DataType set_of(DataType element);
  static DataType map_of(DataType key, DataType value);
  static DataType tuple_of(std::vector<DataType> types);

  bool operator==(const DataType&) const = default;
};

// The CQL spelling: "int", "list<text>", "map<text, tuple<int, uuid>>" (the protocol
// does not say what is frozen), a UDT as "keyspace.name", a custom type as its quoted
// class name.
std::string type_name(const DataType& t);

// [option] as a column type. Nesting deeper than 32 levels is refused (a hostile frame
// must not exhaust the stack); an unknown id throws ProtocolError(bad_value).
DataType read_data_type(WireReader& r);
void write_data_type(WireWriter& w, const DataType& t);

}  // namespace sluice::cql
