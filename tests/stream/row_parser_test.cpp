#include "stream/row_parser.h"

#include <gtest/gtest.h>

#include <deque>

#include "common/error.h"

namespace sluice::stream {
namespace {

Schema seed_schema() {
  return Schema::from_config("users", {{"id", "uuid primary key"},
                                       {"first_name", "text"},
                                       {"post_code", "text"},
                                       {"age", "int"},
                                       {"visits", "bigint"},
                                       {"score", "double"},
                                       {"active", "boolean"},
                                       {"born", "timestamp"},
                                       {"email", "text required"}});
}

const char* kId = "109cc029-1c67-46d9-981a-8ac3dfeac5cd";

std::string rec(const std::string& extra = "") {
  return std::string(R"({"id":")") + kId + R"(","email":"a@b.c")" + extra + "}";
}

struct Parsed {
  ParseOutcome outcome;
  Row row;
};

class RowParserTest : public ::testing::Test {
 protected:
  // Rows point into their record (no copy): the test keeps every record alive.
  Parsed parse(const std::string& value) {
    kept_.push_back(value);
    Parsed p;
    p.outcome = parser_.parse(kept_.back(), p.row, arena_);
    return p;
  }
  std::deque<std::string> kept_;
  Schema schema_ = seed_schema();
  RowParser parser_{schema_, 4096};
  Arena arena_;
};

TEST(Schema, SpecsAndErrors) {
  auto s = seed_schema();
  EXPECT_EQ(s.primary_key(), 0);
  EXPECT_TRUE(s.columns()[0].required);
  EXPECT_EQ(s.columns()[3].type, ColumnType::int32);
  EXPECT_TRUE(s.columns()[8].required);
  EXPECT_FALSE(s.columns()[1].required);
  auto err = [](std::vector<std::pair<std::string, std::string>> cols) {
    try {
      Schema::from_config("users", cols);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err({{"id", "uuid primary key"}, {"x", "varchar"}}).find("schema.columns.x: unknown type \"varchar\""),
            std::string::npos);
  EXPECT_NE(err({{"id", "text"}}).find("no column is the primary key"), std::string::npos);
  EXPECT_NE(err({{"id", "uuid primary key"}, {"b", "text primary key"}}).find("second primary key"), std::string::npos);
  EXPECT_NE(err({{"id", "uuid primary key"}, {"b", "text sometimes"}}).find("unexpected \"sometimes\""),
            std::string::npos);
  EXPECT_NE(err({{"id", "uuid primary key"}, {"bad-name", "text"}}).find("not a valid column name"), std::string::npos);
  EXPECT_THROW(Schema::from_config("users; drop", {{"id", "uuid primary key"}}), UsageError);
}

TEST_F(RowParserTest, AllTypesConvert) {
  auto p = parse(rec(R"(,"first_name":"Ann","post_code":61735,"age":43,"visits":9007199254740993,"score":1.5,)"
                     R"("active":true,"born":"1981-10-20T18:46:45.926Z","extra":{"ignored":[1,2]})"));
  ASSERT_TRUE(p.outcome.ok()) << p.outcome.reason;
  const auto& v = p.row.values;
  EXPECT_EQ(v[0].kind, Value::Kind::uuid);
  EXPECT_EQ(format_uuid(v[0].uuid), kId);
  EXPECT_EQ(v[1].text, "Ann");
  EXPECT_EQ(v[2].kind, Value::Kind::text);
  EXPECT_EQ(v[2].text, "61735");  // a number in a text column becomes its text, as in Spark
  EXPECT_EQ(v[3].integer, 43);
  EXPECT_EQ(v[4].integer, 9007199254740993);
  EXPECT_EQ(v[5].real, 1.5);
  EXPECT_TRUE(v[6].boolean);
  EXPECT_EQ(v[7].kind, Value::Kind::timestamp);
  EXPECT_EQ(v[7].integer, 372451605926);
  EXPECT_EQ(v[8].text, "a@b.c");
}

TEST_F(RowParserTest, MissingOptionalFieldsAreNull) {
  auto p = parse(rec());
  ASSERT_TRUE(p.outcome.ok());
  EXPECT_EQ(p.row.values[1].kind, Value::Kind::null);
  auto q = parse(rec(R"(,"first_name":null)"));
  ASSERT_TRUE(q.outcome.ok());
  EXPECT_EQ(q.row.values[1].kind, Value::Kind::null);
}

TEST_F(RowParserTest, TextWithoutEscapesPointsIntoTheRecord) {
  std::string value = rec(R"(,"first_name":"آرمین")");
  Row row;
  ASSERT_TRUE(parser_.parse(value, row, arena_).ok());
  const char* p = row.values[1].text.data();
  EXPECT_GE(p, value.data());
  EXPECT_LT(p, value.data() + value.size());
  EXPECT_EQ(row.values[1].text, "آرمین");
  std::string escaped = rec(R"(,"first_name":"O\"Neil\\x\u00e9")");
  ASSERT_TRUE(parser_.parse(escaped, row, arena_).ok());
  EXPECT_EQ(row.values[1].text, "O\"Neil\\xé");
  p = row.values[1].text.data();
  EXPECT_TRUE(p < escaped.data() || p >= escaped.data() + escaped.size());  // unescaped into the arena
}

TEST_F(RowParserTest, ArenaKeepsManyRowsValid) {
  std::vector<std::string> values;
  for (int i = 0; i < 10000; ++i) values.push_back(rec(",\"first_name\":\"n\\u00e9" + std::to_string(i) + "\""));
  std::vector<Row> rows(values.size());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_TRUE(parser_.parse(values[i], rows[i], arena_).ok());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].values[1].text, "né" + std::to_string(i));
}

TEST_F(RowParserTest, EveryBadRecordHasItsReason) {
  auto reason = [&](const std::string& v) { return parse(v).outcome.reason; };
  EXPECT_EQ(reason("{\"id\": 12").substr(0, 12), "invalid JSON");
  EXPECT_EQ(reason("not json at all").substr(0, 12), "invalid JSON");
  EXPECT_EQ(reason(rec() + " trailing").substr(0, 12), "invalid JSON");
  EXPECT_EQ(reason("[1,2]"), "value is not a JSON object");
  EXPECT_EQ(reason("\"text\""), "value is not a JSON object");
  EXPECT_EQ(reason(R"({"email":"a@b.c"})"), "missing required field id");
  EXPECT_EQ(reason(std::string(R"({"id":")") + kId + "\"}"), "missing required field email");
  EXPECT_EQ(reason(std::string(R"({"id":null,"email":"x"})")), "field id is null");
  EXPECT_EQ(reason(R"({"id":"nope","email":"x"})"), "field id is not a UUID: \"nope\"");
  EXPECT_EQ(reason(R"({"id":7,"email":"x"})"), "field id: expected uuid, got a number");
  EXPECT_EQ(reason(rec(R"(,"first_name":{"a":1})")), "field first_name: expected text, got an object");
  EXPECT_EQ(reason(rec(R"(,"age":"43")")), "field age: expected int, got a string");
  EXPECT_EQ(reason(rec(R"(,"age":3000000000)")), "field age: expected int, got 3000000000 (out of range)");
  EXPECT_EQ(reason(rec(R"(,"active":1)")), "field active: expected boolean, got a number");
  EXPECT_EQ(reason(rec(R"(,"born":"yesterday")")), "field born: expected timestamp (ISO 8601), got \"yesterday\"");
  EXPECT_EQ(reason(rec(",\"first_name\":\"\xC3\x28\"")), "invalid UTF-8");
  EXPECT_EQ(reason(rec(R"(,"first_name":"\q")")).substr(0, 12), "invalid JSON");
  EXPECT_EQ(reason(rec(",\"first_name\":\"" + std::string(5000, 'x') + "\"")).substr(0, 8), "value of");
  EXPECT_NE(reason(rec(",\"first_name\":\"" + std::string(5000, 'x') + "\"")).find("exceeds stream.max_value_bytes"),
            std::string::npos);
}

TEST(Iso8601, Forms) {
  int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601("1970-01-01T00:00:00Z", ms));
  EXPECT_EQ(ms, 0);
  ASSERT_TRUE(parse_iso8601("2010-01-01T00:00:00.000Z", ms));
  EXPECT_EQ(ms, 1262304000000);
  ASSERT_TRUE(parse_iso8601("2010-01-01T05:30:00+05:30", ms));
  EXPECT_EQ(ms, 1262304000000);
  ASSERT_TRUE(parse_iso8601("1958-07-04T12:00:00.5Z", ms));
  EXPECT_EQ(ms, -362750399500);
  EXPECT_FALSE(parse_iso8601("2010-13-01T00:00:00Z", ms));
  EXPECT_FALSE(parse_iso8601("2010-01-01", ms));
  EXPECT_FALSE(parse_iso8601("2010-01-01T00:00:00Zjunk", ms));
}

}  // namespace
}  // namespace sluice::stream
