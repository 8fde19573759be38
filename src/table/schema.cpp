#include "table/schema.h"

#include <sstream>

#include "common/error.h"

namespace sluice::table {
namespace {

bool valid_identifier(const std::string& s) {
  if (s.empty() || s.size() > 128 || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

const char* type_name(ColumnType t) {
  switch (t) {
    case ColumnType::text: return "text";
    case ColumnType::int32: return "int";
    case ColumnType::bigint: return "bigint";
    case ColumnType::float64: return "double";
    case ColumnType::boolean: return "boolean";
    case ColumnType::uuid: return "uuid";
    case ColumnType::timestamp: return "timestamp";
  }
  return "?";
}

Schema Schema::from_config(std::string table, const std::vector<std::pair<std::string, std::string>>& columns) {
  Schema s;
  if (!valid_identifier(table))
    throw UsageError("schema.table: \"" + table + "\" is not a valid table name (letters, digits and _)");
  s.table_ = std::move(table);
  if (columns.empty()) throw UsageError("schema.columns: no columns configured");
  for (const auto& column : columns) {
    const std::string& name = column.first;  // not a structured binding: lambdas capture these
    const std::string& spec = column.second;
    auto fail = [&](const std::string& why) {
      throw UsageError("schema.columns." + name + ": " + why + " in \"" + spec + "\" (expected a type of text, int, "
                       "bigint, double, boolean, uuid, timestamp, optionally followed by `primary key` or `required`)");
    };
    if (!valid_identifier(name)) fail("not a valid column name");
    std::istringstream words(spec);
    std::vector<std::string> w;
    for (std::string x; words >> x;) {
      for (auto& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      w.push_back(x);
    }
    if (w.empty()) fail("no type");
    Column c;
    c.name = name;
    const std::string& t = w[0];
    if (t == "text") c.type = ColumnType::text;
    else if (t == "int") c.type = ColumnType::int32;
    else if (t == "bigint") c.type = ColumnType::bigint;
    else if (t == "double") c.type = ColumnType::float64;
    else if (t == "boolean") c.type = ColumnType::boolean;
    else if (t == "uuid") c.type = ColumnType::uuid;
    else if (t == "timestamp") c.type = ColumnType::timestamp;
    else fail("unknown type \"" + t + "\"");
    for (size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "primary" && i + 1 < w.size() && w[i + 1] == "key") {
        c.primary_key = c.required = true;
        ++i;
      } else if (w[i] == "required") {
        c.required = true;
      } else if (w[i] == "not" && i + 1 < w.size() && w[i + 1] == "null") {
        c.required = true;
        ++i;
      } else {
        fail("unexpected \"" + w[i] + "\"");
      }
    }
    if (c.primary_key) {
      if (s.primary_key_ >= 0) fail("a second primary key (only one column can be the key)");
      s.primary_key_ = static_cast<int>(s.columns_.size());
    }
    for (const auto& other : s.columns_)
      if (other.name == name) fail("a second column of that name");
    s.columns_.push_back(std::move(c));
  }
  if (s.primary_key_ < 0)
    throw UsageError("schema.columns: no column is the primary key (add `primary key` to one, e.g. id: uuid primary key)");
  return s;
}

}  // namespace sluice::table
