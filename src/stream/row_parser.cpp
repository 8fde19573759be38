#include "stream/row_parser.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cstring>
#include <limits>

namespace sluice::stream {
namespace od = simdjson::ondemand;

std::string_view Arena::copy(std::string_view s) {
  if (s.empty()) return {};
  if (blocks_.empty() || used_ + s.size() > capacity_) {
    size_t cap = std::max<size_t>(64 << 10, s.size());
    blocks_.push_back(std::make_unique<char[]>(cap));
    capacity_ = cap;
    used_ = 0;
  }
  char* p = blocks_.back().get() + used_;
  std::memcpy(p, s.data(), s.size());
  used_ += s.size();
  return {p, s.size()};
}

void Arena::reset() {
  if (blocks_.size() > 1) {
    // The newest block survives for reuse; its size is capacity_.
    auto last = std::move(blocks_.back());
    blocks_.clear();
    blocks_.push_back(std::move(last));
  }
  used_ = 0;
}

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string_view trim_right(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

// parse_uuid without a branch per digit (random hex digits defeat the branch
// predictor): this runs once per record.
constexpr auto kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (auto& x : t) x = -1;
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) t['a' + i] = t['A' + i] = static_cast<int8_t>(10 + i);
  return t;
}();

bool parse_uuid_fast(std::string_view t, Uuid& u) {
  if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return false;
  static constexpr uint8_t kPos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
  int bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    int hi = kHexValue[static_cast<uint8_t>(t[kPos[i]])], lo = kHexValue[static_cast<uint8_t>(t[kPos[i] + 1])];
    bad |= hi | lo;
    u[i] = static_cast<uint8_t>(((hi & 0xf) << 4) | (lo & 0xf));
  }
  return bad >= 0;
}

// The start of a bad value for a reason: at most 40 bytes, cut on a UTF-8 character
// boundary (the value was validated), in quotes.
std::string quoted_prefix(std::string_view s) {
  if (s.size() <= 40) return "\"" + std::string(s) + "\"";
  size_t n = 40;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return "\"" + std::string(s.substr(0, n)) + "...\"";
}

}  // namespace

bool parse_iso8601(std::string_view s, int64_t& ms) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kDays[mo - 1] + (mo == 2 && leap)) return false;
  size_t i = 19;
  int frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100, n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++n;
    }
    if (n == 0) return false;
  }
  int offset_min = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om)) return false;
    offset_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
    i += 6;
  }
  if (i != s.size()) return false;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
  return true;
}

struct RowParser::Impl {
  Impl(const Schema& s, size_t max) : schema(s), max_value_bytes(max) {
    seen.resize(s.columns().size(), 0);
  }

  const Schema& schema;
  size_t max_value_bytes;
  od::parser parser;
  simdjson::dom::parser dom_parser;  // only for values that are not objects
  std::string padded;                // the value plus simdjson's padding, reused
  std::vector<uint64_t> seen;        // seen[i] == gen: column i's field was present
  uint64_t gen = 0;

  // The original record's bytes for a view into `padded`.
  std::string_view original(std::string_view in_padded, std::string_view value) const {
    return value.substr(static_cast<size_t>(in_padded.data() - padded.data()), in_padded.size());
  }

  // The column a field's key names, or cols.size(). Producers write fields in schema
  // order, so the column after the last match is tried first (one memcmp per field for
  // the seed's records); otherwise every column is.
  size_t column_of(od::raw_json_string key, size_t& guess) const {
    const auto& cols = schema.columns();
    if (guess < cols.size() && key == cols[guess].name) return guess++;
    for (size_t i = 0; i < cols.size(); ++i)
      if (key == cols[i].name) {
        guess = i + 1;
        return i;
      }
    return cols.size();
  }

  static std::string expected(const Column& c, const char* got) {
    return fmt::format("field {}: expected {}, got {}", c.name, type_name(c.type), got);
  }

  static const char* json_type_name(od::json_type t) {
    switch (t) {
      case od::json_type::array: return "an array";
      case od::json_type::object: return "an object";
      case od::json_type::number: return "a number";
      case od::json_type::string: return "a string";
      case od::json_type::boolean: return "a boolean";
      case od::json_type::null: return "null";
    }
    return "?";
  }

  // The contents of a JSON string value: a view into the record itself when it has no
  // escapes, else unescaped into the arena (only if `arena`; otherwise into simdjson's
  // string buffer, valid until the next string is read). Returns false on bad escapes.
  bool string_of(od::value& v, std::string_view value, Arena* arena, std::string_view& out) {
    std::string_view tok = trim_right(v.raw_json_token());
    if (tok.size() >= 2 && tok.find('\\') == std::string_view::npos) {
      out = original(tok.substr(1, tok.size() - 2), value);
      return true;
    }
    if (v.get_string().get(out)) return false;
    if (arena) out = arena->copy(out);
    return true;
  }

  // Fills `out` from `v` for column `c`; returns a reason on failure.
  ParseOutcome convert(const Column& c, od::value v, od::json_type t, std::string_view value, Value& out, Arena& arena) {
    switch (c.type) {
      case ColumnType::text: {
        if (t == od::json_type::string) {
          if (!string_of(v, value, &arena, out.text)) return {"invalid JSON: bad string in field " + c.name, BadRecord::invalid_json};
        } else if (t == od::json_type::number) {
          out.text = original(trim_right(v.raw_json_token()), value);  // its JSON text, as Spark does
        } else if (t == od::json_type::boolean) {
          bool b;
          if (v.get_bool().get(b)) return {"invalid JSON: bad literal in field " + c.name, BadRecord::invalid_json};
          out.text = b ? "true" : "false";
        } else {
          return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        }
        out.kind = Value::Kind::text;
        return {};
      }
      case ColumnType::int32:
      case ColumnType::bigint: {
        int64_t n;
        if (t != od::json_type::number) return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        if (v.get_int64().get(n)) return {expected(c, "a number that is not an integer in its range"), BadRecord::wrong_type};
        if (c.type == ColumnType::int32 &&
            (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max()))
          return {fmt::format("field {}: expected int, got {} (out of range)", c.name, n), BadRecord::wrong_type};
        out.kind = Value::Kind::integer;
        out.integer = n;
        return {};
      }
      case ColumnType::float64: {
        double d;
        if (t != od::json_type::number) return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        if (v.get_double().get(d)) return {"invalid JSON: bad number in field " + c.name, BadRecord::invalid_json};
        out.kind = Value::Kind::real;
        out.real = d;
        return {};
      }
      case ColumnType::boolean: {
        bool b;
        if (t != od::json_type::boolean) return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        if (v.get_bool().get(b)) return {"invalid JSON: bad literal in field " + c.name, BadRecord::invalid_json};
        out.kind = Value::Kind::boolean;
        out.boolean = b;
        return {};
      }
      case ColumnType::uuid: {
        std::string_view s;
        if (t != od::json_type::string) return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        if (!string_of(v, value, nullptr, s)) return {"invalid JSON: bad string in field " + c.name, BadRecord::invalid_json};
        if (!parse_uuid_fast(s, out.uuid)) return {"field " + c.name + " is not a UUID: " + quoted_prefix(s), BadRecord::bad_uuid};
        out.kind = Value::Kind::uuid;
        return {};
      }
      case ColumnType::timestamp: {
        if (t == od::json_type::number) {
          int64_t n;
          if (v.get_int64().get(n)) return {expected(c, "a number that is not an integer (ms)"), BadRecord::wrong_type};
          out.integer = n;
        } else if (t == od::json_type::string) {
          std::string_view s;
          if (!string_of(v, value, nullptr, s)) return {"invalid JSON: bad string in field " + c.name, BadRecord::invalid_json};
          if (!parse_iso8601(s, out.integer))
            return {"field " + c.name + ": expected timestamp (ISO 8601), got " + quoted_prefix(s), BadRecord::wrong_type};
        } else {
          return {expected(c, json_type_name(t)), BadRecord::wrong_type};
        }
        out.kind = Value::Kind::timestamp;
        return {};
      }
    }
    return {};
  }

  static ParseOutcome invalid(simdjson::error_code e) {
    // Stage 1 validates the UTF-8 of the whole value before any field is read.
    if (e == simdjson::UTF8_ERROR) return {"invalid UTF-8", BadRecord::invalid_utf8};
    return {std::string("invalid JSON: ") + simdjson::error_message(e), BadRecord::invalid_json};
  }

  ParseOutcome parse(std::string_view value, Row& row, Arena& arena) {
    if (value.size() > max_value_bytes)
      return {fmt::format("value of {} bytes exceeds stream.max_value_bytes ({})", value.size(), max_value_bytes), BadRecord::oversize};
    if (padded.capacity() < value.size() + simdjson::SIMDJSON_PADDING)
      padded.reserve(value.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(value);
    const auto& cols = schema.columns();
    // Only the kinds need resetting: a Value's other members mean nothing under null.
    if (row.values.size() != cols.size()) row.values.resize(cols.size());
    for (auto& v : row.values) v.kind = Value::Kind::null;
    ++gen;
    od::document doc;
    if (auto e = parser.iterate(padded.data(), padded.size(), padded.capacity()).get(doc)) return invalid(e);
    od::json_type top;
    if (auto e = doc.type().get(top)) return invalid(e);
    if (top != od::json_type::object) {
      // On-Demand judges a scalar by its first byte: make sure it is JSON at all.
      simdjson::dom::element ignored;
      if (auto e = dom_parser.parse(padded.data(), padded.size(), false).get(ignored)) return invalid(e);
      return {"value is not a JSON object", BadRecord::not_an_object};
    }
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return invalid(e);
    size_t guess = 0;
    for (auto field_result : obj) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return invalid(e);
      size_t col = column_of(field.key(), guess);
      if (col == cols.size()) continue;  // a field the schema does not have: ignored, as from_json does
      od::value v = field.value();
      od::json_type t;
      if (auto e = v.type().get(t)) return invalid(e);
      seen[col] = gen;
      Value& out = row.values[col];
      out.kind = Value::Kind::null;  // a repeated field: the last one wins
      if (t == od::json_type::null) continue;
      auto why = convert(cols[col], v, t, value, out, arena);
      if (!why.ok()) return why;
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) return {"invalid JSON: trailing content after the object", BadRecord::invalid_json};
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!cols[i].required || row.values[i].kind != Value::Kind::null) continue;
      if (seen[i] == gen) return {"field " + cols[i].name + " is null", BadRecord::null_field};
      return {"missing required field " + cols[i].name, BadRecord::missing_field};
    }
    return {};
  }
};

RowParser::RowParser(const Schema& schema, size_t max_value_bytes)
    : impl_(std::make_unique<Impl>(schema, max_value_bytes)) {}
RowParser::~RowParser() = default;

ParseOutcome RowParser::parse(std::string_view value, Row& row, Arena& arena) { return impl_->parse(value, row, arena); }

}  // namespace sluice::stream
