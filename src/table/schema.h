#pragma once
// The table model every stage after the log shares: the table's columns (config
// `schema.table` and `schema.columns`, in order), a typed Value and a Row of them in
// column order. The stream fills rows (stream/row_parser.h turns a record's JSON into
// one); the sinks write them. Nothing here knows about JSON, the log or a store.
//
// Types: text, int (32-bit), bigint, double, boolean, uuid, timestamp. A column spec
// is `<type>` optionally followed by `primary key` (one column; implies required) or
// `required` (null or missing is an error); other columns are nullable.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/uuid.h"

namespace sluice::table {

enum class ColumnType { text, int32, bigint, float64, boolean, uuid, timestamp };

struct Column {
  std::string name;
  ColumnType type = ColumnType::text;
  bool primary_key = false;
  bool required = false;
};

struct Value {
  enum class Kind : uint8_t { null, text, integer, real, boolean, uuid, timestamp };
  Kind kind = Kind::null;
  std::string_view text;  // Kind::text; points into the parser's buffer or the record
  int64_t integer = 0;    // Kind::integer, Kind::timestamp (ms since the epoch, UTC)
  double real = 0;
  bool boolean = false;
  Uuid uuid{};
};

// One parsed record: values in schema column order.
struct Row {
  std::vector<Value> values;
};

class Schema {
 public:
  // From `schema.table` and the `schema.columns` section. Throws UsageError naming the
  // column and the bad spec.
  static Schema from_config(std::string table, const std::vector<std::pair<std::string, std::string>>& columns);

  const std::string& table() const { return table_; }
  const std::vector<Column>& columns() const { return columns_; }
  int primary_key() const { return primary_key_; }  // index into columns()

 private:
  std::string table_;
  std::vector<Column> columns_;
  int primary_key_ = -1;
};

const char* type_name(ColumnType t);
}  // namespace sluice::table
