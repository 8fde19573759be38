#include "mapping/mapper.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/uuid.h"
#include "config/config.h"

namespace sluice::mapping {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture(const std::string& name) { return read_file(std::string(SLUICE_FIXTURES) + "/randomuser/" + name); }

// The mapping of the shipped config file: the code knows the seed's fields only from it.
Mapping seed_mapping() {
  auto text = read_file(std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml");
  auto cfg = config::Config::parse(text, "user_automation.yaml");
  return Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key"));
}

struct Collect : RecordHandler {
  std::vector<std::pair<std::string, std::string>> records;  // key, value
  std::vector<std::pair<std::string, std::string>> errors;   // raw, reason
  std::vector<bool> has_key;
  void on_record(bool k, std::string_view key, std::string_view value) override {
    has_key.push_back(k);
    records.emplace_back(key, value);
  }
  void on_error(std::string_view raw, std::string_view reason) override { errors.emplace_back(raw, reason); }
};

MapResult run(Mapper& m, std::string body, Collect& c) {
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return m.map_response(body, c);
}

TEST(Mapper, FixtureMapsToExpectedFieldForField) {
  Mapping mapping = seed_mapping();
  Mapper mapper(mapping);
  Collect c;
  auto r = run(mapper, fixture("users_v1.4.json"), c);
  EXPECT_FALSE(r.malformed) << r.malformed_reason;
  EXPECT_EQ(r.mapped, 6u);
  EXPECT_EQ(r.failed, 0u);
  ASSERT_EQ(c.records.size(), 6u);

  std::istringstream expected(fixture("expected.jsonl"));
  simdjson::dom::parser p1, p2;
  std::string line;
  size_t i = 0;
  for (; std::getline(expected, line); ++i) {
    ASSERT_LT(i, c.records.size());
    const auto& [key, value] = c.records[i];
    simdjson::dom::object want = p1.parse(line);
    simdjson::dom::object got = p2.parse(value);
    // Same fields in the same order: id first, then the seed's 11 in its order.
    std::vector<std::string_view> got_keys;
    for (auto [k, v] : got) got_keys.push_back(k);
    ASSERT_EQ(got_keys.size(), 12u);
    EXPECT_EQ(got_keys[0], "id");
    size_t j = 1;
    for (auto [k, v] : want) {
      EXPECT_EQ(got_keys[j++], k);
      EXPECT_EQ(std::string_view(got[k].get_string()), std::string_view(v.get_string())) << "record " << i << " field " << k;
    }
    std::string_view id = got["id"].get_string();
    EXPECT_TRUE(parse_uuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_EQ(key, id);
    EXPECT_TRUE(c.has_key[i]);
    // Compact output: no space between tokens outside strings.
    EXPECT_EQ(value.find("\": "), std::string::npos);
    EXPECT_EQ(value.find(", \""), std::string::npos);
  }
  EXPECT_EQ(i, 6u);
  // Fresh UUIDs per record.
  EXPECT_NE(c.records[0].first, c.records[1].first);
}

TEST(Mapper, EscapingAndUtf8AreExact) {
  Mapping mapping = seed_mapping();
  Mapper mapper(mapping);
  Collect c;
  run(mapper, fixture("users_v1.4.json"), c);
  ASSERT_EQ(c.records.size(), 6u);
  // Irish record: quotes and a backslash in the source must come out escaped once.
  EXPECT_NE(c.records[4].second.find(R"("address":"1468 St. Patrick's \"Old\" Quay, Dún Laoghaire, Co. Dublin, Ireland")"),
            std::string::npos)
      << c.records[4].second;
  EXPECT_NE(c.records[4].second.find(R"("username":"back\\slash42")"), std::string::npos);
  // Persian and Cyrillic kept as UTF-8, not \u escapes.
  EXPECT_NE(c.records[2].second.find("\"first_name\":\"آرمین\""), std::string::npos);
  EXPECT_NE(c.records[3].second.find("\"first_name\":\"Ліліана\""), std::string::npos);
  // Numeric postcode becomes its decimal text.
  EXPECT_NE(c.records[1].second.find("\"post_code\":\"61735\""), std::string::npos);
}

TEST(Mapper, MissingFieldGoesToErrorsWithRawRecordAndReason) {
  Mapping mapping = seed_mapping();
  Mapper mapper(mapping);
  Collect c;
  auto r = run(mapper, fixture("errors/missing_street.json"), c);
  EXPECT_FALSE(r.malformed);
  EXPECT_EQ(r.mapped, 1u);
  EXPECT_EQ(r.failed, 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0].second, "missing field location.street.number");
  // The raw record is the whole JSON object of that user, as the API sent it.
  simdjson::dom::parser p;
  simdjson::dom::object raw = p.parse(c.errors[0].first);
  EXPECT_EQ(std::string_view(raw["name"]["first"].get_string()), "Atilla");
  EXPECT_EQ(std::string_view(raw["nat"].get_string()), "NL");
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_NE(c.records[0].second.find("Josephine"), std::string::npos);
}

TEST(Mapper, BadResponsesAreMalformedNotCrashes) {
  Mapping mapping = seed_mapping();
  Mapper mapper(mapping);
  for (auto name : {"errors/not_json.html", "errors/api_error.json", "errors/truncated.json"}) {
    Collect c;
    auto r = run(mapper, fixture(name), c);
    EXPECT_TRUE(r.malformed) << name;
    EXPECT_FALSE(r.malformed_reason.empty()) << name;
    EXPECT_TRUE(c.records.empty()) << name;
  }
  Collect c;
  auto r = run(mapper, fixture("errors/empty_results.json"), c);
  EXPECT_FALSE(r.malformed);
  EXPECT_EQ(r.mapped, 0u);
}

TEST(Mapper, NullObjectAndNonObjectRecords) {
  Mapping m = Mapping::compile({{"a", "{x.y}"}, {"b", "{z}"}}, "");
  Mapper mapper(m);
  Collect c;
  auto r = run(mapper, R"({"results":[{"x":{"y":null},"z":1},{"x":{"y":{"q":1}},"z":2},7,{"x":{"y":true},"z":-1.5e3}]})", c);
  EXPECT_FALSE(r.malformed) << r.malformed_reason;
  ASSERT_EQ(c.errors.size(), 3u);
  EXPECT_EQ(c.errors[0].second, "field x.y is null");
  EXPECT_EQ(c.errors[1].second, "field x.y is an object or array, not a value");
  EXPECT_EQ(c.errors[2].second, "record is not a JSON object");
  EXPECT_EQ(c.errors[2].first, "7");
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].second, R"({"a":"true","b":"-1.5e3"})");
  EXPECT_FALSE(c.has_key[0]);
}

TEST(Mapper, LiteralsBracesAndEscapedKeys) {
  Mapping m = Mapping::compile({{"we\"ird", "{{lit}} \"q\" {a}"}}, "we\"ird");
  Mapper mapper(m);
  struct H : RecordHandler {
    std::string key, value;
    void on_record(bool, std::string_view k, std::string_view v) override { key = k, value = v; }
    void on_error(std::string_view, std::string_view) override { ADD_FAILURE(); }
  } h;
  std::string body = R"({"results":[{"a":"x\ty"}]})";
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  mapper.map_response(body, h);
  EXPECT_EQ(h.value, R"({"we\"ird":"{lit} \"q\" x\ty"})");
  EXPECT_EQ(h.key, "{lit} \"q\" x\ty");
}

TEST(Mapping, CompileErrorsNameFieldAndTemplate) {
  auto msg = [](std::vector<std::pair<std::string, std::string>> f, std::string key = "") {
    try {
      Mapping::compile(f, key);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg({{"a", "{b"}}).find("mapping.fields.a: unclosed '{' in template \"{b\""), std::string::npos);
  EXPECT_NE(msg({{"a", "b}"}}).find("unmatched '}'"), std::string::npos);
  EXPECT_NE(msg({{"a", "{}"}}).find("bad placeholder"), std::string::npos);
  EXPECT_NE(msg({{"a", "{x..y}"}}).find("bad placeholder"), std::string::npos);
  EXPECT_NE(msg({{"a", "{now()}"}}).find("unknown function {now()}"), std::string::npos);
  EXPECT_NE(msg({}).find("no output fields"), std::string::npos);
  EXPECT_NE(msg({{"a", "{x}"}}, "id").find("produce.key: \"id\" is not one of"), std::string::npos);
  EXPECT_NE(msg({{"a", "{x}"}, {"b", "{x.y}"}}).find("as a value and as the parent"), std::string::npos);
}

}  // namespace
}  // namespace sluice::mapping
