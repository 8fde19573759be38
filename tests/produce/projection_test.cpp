// Projection pushdown (sources/source.h): the builtin generator handing the mapper
// only the values a mapping reads must give exactly what writing the API's JSON and
// parsing it back gives: the same records, keys, values, dead letters and reasons.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <set>

#include "config/config.h"
#include "mapping/mapper.h"
#include "sources/builtin/builtin_source.h"

namespace sluice::produce {
namespace {

// One outcome of mapping a record, as a handler sees it.
struct Outcome {
  bool error = false;
  bool has_key = false;
  std::string key, value;  // error: value is the record's JSON, key the reason
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << (o.error ? "error " : "record ") << o.key << " | " << o.value;
}

struct Recorder : mapping::RecordHandler {
  std::vector<Outcome> got;
  void on_record(bool has_key, std::string_view key, std::string_view value) override {
    got.push_back({false, has_key, std::string(key), std::string(value)});
  }
  void on_error(std::string_view raw, std::string_view reason) override {
    got.push_back({true, false, std::string(reason), std::string(raw)});
  }
};

struct ProjectedRecorder : sources::ProjectedVisitor {
  mapping::Mapper* mapper;
  Recorder out;
  void on_record(const sources::ProjectedRecord& r) override {
    std::string reason = mapper->map_values(r.values(), out);
    if (!reason.empty()) out.on_error(r.json(), reason);
  }
};

const uint32_t kBatches[] = {1, 2, 500, 37, 5000, 250};
constexpr size_t kRecords = 1 + 2 + 500 + 37 + 5000 + 250;

std::vector<Outcome> through_json(uint64_t seed, const mapping::Mapping& m, const std::vector<std::string>& nats,
                                  sources::SourceStats& stats) {
  sources::BuiltinSource src({.seed = seed, .nationalities = nats});
  mapping::Mapper mapper(m);
  Recorder r;
  sources::SourceBatch b;
  for (uint32_t n : kBatches) {
    EXPECT_TRUE(src.next_batch(n, b));
    auto res = mapper.map_response(b.body, r);
    EXPECT_FALSE(res.malformed) << res.malformed_reason;
  }
  stats = src.stats();
  return r.got;
}

std::vector<Outcome> through_projection(uint64_t seed, const mapping::Mapping& m, const std::vector<std::string>& nats,
                                        sources::SourceStats& stats) {
  sources::BuiltinSource src({.seed = seed, .nationalities = nats});
  mapping::Mapper mapper(m);
  auto projection = src.project(m.paths());
  EXPECT_NE(projection, nullptr);
  if (!projection) return {};
  ProjectedRecorder r;
  r.mapper = &mapper;
  for (uint32_t n : kBatches) EXPECT_TRUE(projection->next_records(n, r));
  stats = src.stats();
  return r.out.got;
}

void expect_same(const mapping::Mapping& m, const std::vector<std::string>& nats = {}, size_t min_errors = 0) {
  for (uint64_t seed : {1ull, 42ull, 0x5eedull, 987654321ull}) {
    sources::SourceStats js, ps;
    auto want = through_json(seed, m, nats, js);
    auto got = through_projection(seed, m, nats, ps);
    ASSERT_EQ(want.size(), kRecords) << "seed " << seed;
    ASSERT_EQ(want.size(), got.size()) << "seed " << seed;
    size_t errors = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(want[i], got[i]) << "seed " << seed << ", record " << i;
      errors += want[i].error;
    }
    EXPECT_GE(errors, min_errors) << "seed " << seed;
    EXPECT_EQ(js.records, ps.records);
    EXPECT_EQ(js.requests, ps.requests);
    EXPECT_EQ(js.batches, ps.batches);
  }
}

// Every leaf of the API's user record, in the API's order.
const char* const kAllPaths[] = {
    "gender", "name.title", "name.first", "name.last", "location.street.number", "location.street.name",
    "location.city", "location.state", "location.country", "location.postcode", "location.coordinates.latitude",
    "location.coordinates.longitude", "location.timezone.offset", "location.timezone.description", "email",
    "login.uuid", "login.username", "login.password", "login.salt", "login.md5", "login.sha1", "login.sha256",
    "dob.date", "dob.age", "registered.date", "registered.age", "phone", "cell", "id.name", "id.value",
    "picture.large", "picture.medium", "picture.thumbnail", "nat"};

TEST(Projection, EveryFieldOfEveryNationalityMatchesTheJsonPath) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const char* p : kAllPaths) fields.emplace_back(std::string("f_") + p, std::string("{") + p + "}");
  // id.value is null for some nationalities: those records are errors on both paths.
  expect_same(mapping::Mapping::compile(fields, "f_login.uuid"), {}, 1);
  // Without id.value every record maps; one nationality at a time covers each table.
  fields.erase(std::find_if(fields.begin(), fields.end(), [](auto& f) { return f.first == "f_id.value"; }));
  auto m = mapping::Mapping::compile(fields, "f_email");
  for (const auto& nat : sources::BuiltinSource::known_nationalities()) {
    SCOPED_TRACE(nat);
    expect_same(m, {nat});
  }
}

TEST(Projection, TemplatesOfTheSeedMappingMatch) {
  // config/user_automation.yaml's fields, with a drawn value in place of {uuid4()}
  // (fresh random ids differ by design; the next test covers them), and a literal.
  std::ifstream in(std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml");
  std::stringstream yaml;
  yaml << in.rdbuf();
  auto cfg = config::Config::parse(yaml.str(), "user_automation.yaml");
  auto fields = cfg.section("mapping.fields");
  ASSERT_EQ(fields.size(), 12u);
  for (auto& [name, tpl] : fields)
    if (tpl == "{uuid4()}") tpl = "{login.uuid}";
  fields.emplace_back("literal", "{{x}} \"quoted\" \\ é");
  expect_same(mapping::Mapping::compile(fields, cfg.str("produce.key")));
}

TEST(Projection, FreshIdsAreUuidsAndTheRestMatches) {
  auto m = mapping::Mapping::compile({{"id", "{uuid4()}"}, {"who", "{name.first} {name.last}"}}, "id");
  sources::SourceStats js, ps;
  auto want = through_json(7, m, {}, js);
  auto got = through_projection(7, m, {}, ps);
  ASSERT_EQ(want.size(), got.size());
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(std::regex_match(got[i].key, uuid)) << got[i].key;
    ids.insert(got[i].key);
    ASSERT_EQ(want[i].value.substr(47), got[i].value.substr(47)) << i;  // after {"id":"<36>","who":"
  }
  EXPECT_EQ(ids.size(), got.size());
}

TEST(Projection, ObjectsMissingPathsAndPathsIntoValuesAreErrorsAsInJson) {
  for (const char* tpl : {"{location}", "{location.street}", "{location.nowhere}", "{name.first.deeper}",
                          "{nothing}", "{info.seed}", "{id.value}"}) {
    SCOPED_TRACE(tpl);
    auto m = mapping::Mapping::compile({{"k", "{name.last}"}, {"x", tpl}}, "k");
    // {id.value} is a string for some nationalities, null for others; the rest always fail.
    expect_same(m, {}, std::string(tpl) == "{id.value}" ? 1 : kRecords);
  }
}

TEST(Projection, LimitsAndStopAreThoseOfNextBatch) {
  sources::BuiltinSource src({.seed = 3, .max_records = 120});
  auto m = mapping::Mapping::compile({{"k", "{login.uuid}"}}, "k");
  mapping::Mapper mapper(m);
  auto projection = src.project(m.paths());
  ProjectedRecorder r;
  r.mapper = &mapper;
  EXPECT_TRUE(projection->next_records(100, r));
  EXPECT_TRUE(projection->next_records(100, r));
  EXPECT_FALSE(projection->next_records(100, r));
  EXPECT_EQ(r.out.got.size(), 120u);
  EXPECT_EQ(src.stats().records, 120u);

  sources::BuiltinSource stopped({.seed = 3});
  auto p2 = stopped.project(m.paths());
  stopped.stop();
  EXPECT_FALSE(p2->next_records(10, r));
}

}  // namespace
}  // namespace sluice::produce
