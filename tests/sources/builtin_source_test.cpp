#include "sources/builtin/builtin_source.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/json_writer.h"
#include "common/uuid.h"
#include "metrics/registry.h"

namespace sluice::sources {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(SLUICE_FIXTURES) + "/randomuser/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using simdjson::dom::element;
using simdjson::dom::element_type;

// The fields and JSON types of `want`, recursively, must be those of `got`, in order.
// A null in either side matches a string (the API's id.value may be null).
void expect_same_shape(element want, element got, const std::string& path) {
  auto wt = want.type(), gt = got.type();
  auto compatible = [](element_type a, element_type b) {
    auto num = [](element_type t) {
      return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
    };
    auto str_or_null = [](element_type t) { return t == element_type::STRING || t == element_type::NULL_VALUE; };
    return a == b || (num(a) && num(b)) || (str_or_null(a) && str_or_null(b));
  };
  if (path == "location.postcode") {
    EXPECT_TRUE(gt == element_type::STRING || gt == element_type::INT64) << path;
    return;
  }
  ASSERT_TRUE(compatible(wt, gt)) << path;
  if (wt != element_type::OBJECT) return;
  std::vector<std::string_view> wk, gk;
  for (auto [k, v] : want.get_object()) wk.push_back(k);
  for (auto [k, v] : got.get_object()) gk.push_back(k);
  ASSERT_EQ(wk, gk) << "keys of " << path;
  for (auto k : wk) expect_same_shape(want[k], got[k], path.empty() ? std::string(k) : path + "." + std::string(k));
}

TEST(BuiltinSource, EveryUserHasEveryFieldOfTheApiWithItsType) {
  std::string fx = fixture("users_v1.4.json");
  simdjson::dom::parser fp;
  element reference = fp.parse(fx)["results"].at(0);
  for (uint64_t seed : {1ull, 2ull, 99ull}) {
    BuiltinSource src({.seed = seed});
    SourceBatch b;
    ASSERT_TRUE(src.next_batch(300, b));
    EXPECT_EQ(b.results, 300u);
    EXPECT_GE(b.body.capacity(), b.body.size() + simdjson::SIMDJSON_PADDING);
    EXPECT_TRUE(valid_utf8(b.body));
    simdjson::dom::parser p;
    element doc = p.parse(b.body);
    EXPECT_EQ(std::string_view(doc["info"]["version"]), "1.4");
    EXPECT_EQ(int64_t(doc["info"]["results"]), 300);
    size_t n = 0;
    for (element u : doc["results"].get_array()) {
      expect_same_shape(reference, u, "");
      ++n;
    }
    EXPECT_EQ(n, 300u);
  }
}

TEST(BuiltinSource, SameSeedSameBytesDifferentSeedDifferentBytes) {
  auto run = [](uint64_t seed) {
    BuiltinSource src({.seed = seed});
    SourceBatch b;
    std::string all;
    for (uint32_t n : {1u, 17u, 500u}) {
      EXPECT_TRUE(src.next_batch(n, b));
      all += b.body;
    }
    return all;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
}

TEST(BuiltinSource, RealisticDistributionOverManyUsers) {
  BuiltinSource src({.seed = 7});
  simdjson::dom::parser p;
  SourceBatch b;
  std::set<std::string> nats;
  std::map<std::string, int> non_latin;
  int numeric_postcodes = 0, string_postcodes = 0;
  std::set<std::string> login_uuids;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(src.next_batch(5000, b));
    element doc = p.parse(b.body);
    for (element u : doc["results"].get_array()) {
      std::string nat{std::string_view(u["nat"])};
      nats.insert(nat);
      std::string_view first = u["name"]["first"];
      if (std::any_of(first.begin(), first.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        ++non_latin[nat];
      if (u["location"]["postcode"].is_int64()) ++numeric_postcodes;
      else ++string_postcodes;
      std::string_view email = u["email"];
      EXPECT_TRUE(std::all_of(email.begin(), email.end(), [](char c) { return c > 0x20 && c < 0x7f; })) << email;
      EXPECT_NE(email.find("@example.com"), std::string_view::npos);
      std::string_view uuid = u["login"]["uuid"];
      auto parsed = parse_uuid(uuid);
      ASSERT_TRUE(parsed) << uuid;
      EXPECT_EQ(uuid[14], '4') << uuid;
      login_uuids.insert(std::string(uuid));
      // Ages agree with dates (against the generator's reference day, 2026-11-24).
      std::string_view dob = u["dob"]["date"];
      int year = std::stoi(std::string(dob.substr(0, 4)));
      int64_t age = u["dob"]["age"];
      EXPECT_GE(age, 2025 - year - 1) << dob;
      EXPECT_LE(age, 2026 - year) << dob;
      EXPECT_EQ(std::string_view(u["login"]["md5"]).size(), 32u);
      EXPECT_EQ(std::string_view(u["login"]["sha1"]).size(), 40u);
      EXPECT_EQ(std::string_view(u["login"]["sha256"]).size(), 64u);
      EXPECT_EQ(dob.size(), 24u);
    }
  }
  EXPECT_EQ(nats.size(), 21u);
  EXPECT_GT(non_latin["IR"], 100);
  EXPECT_GT(non_latin["UA"], 100);
  EXPECT_GT(non_latin["RS"], 100);
  EXPECT_GT(numeric_postcodes, 1000);
  EXPECT_GT(string_postcodes, 1000);
  EXPECT_EQ(login_uuids.size(), 20000u);
}

TEST(BuiltinSource, NationalityFilterAndLimits) {
  BuiltinSource src({.seed = 3, .nationalities = {"IR", "NL"}, .max_records = 1200});
  simdjson::dom::parser p;
  SourceBatch b;
  uint64_t total = 0;
  while (src.next_batch(500, b)) {
    for (element u : p.parse(b.body)["results"].get_array()) {
      std::string_view nat = u["nat"];
      EXPECT_TRUE(nat == "IR" || nat == "NL") << nat;
    }
    total += b.results;
  }
  EXPECT_EQ(total, 1200u);
  EXPECT_EQ(src.stats().records, 1200u);
  EXPECT_THROW(BuiltinSource({.nationalities = {"XX"}}), UsageError);
  BuiltinSource big({.seed = 1});
  ASSERT_TRUE(big.next_batch(9999, b));  // clamped to the API's 5000
  EXPECT_EQ(b.results, 5000u);
  big.stop();
  EXPECT_FALSE(big.next_batch(1, b));
}

// --- The golden file: seed 1's output, pinned across builds -------------------------
//
// SameSeedSameBytes compares two runs of one build; these compare against bytes an
// earlier build wrote, so a change to the generator's draws (their number or order,
// a leaf that stops drawing when it is not formatted) fails here.

constexpr char kGoldenFile[] = "builtin/seed1.jsonl";
constexpr uint32_t kGoldenResponses = 2, kGoldenUsers = 50;

std::string golden_path() { return std::string(SLUICE_FIXTURES) + "/" + kGoldenFile; }

// Seed 1's first kGoldenResponses responses of kGoldenUsers users, one a line.
std::string golden_output() {
  BuiltinSource src({.seed = 1});
  SourceBatch b;
  std::string out;
  for (uint32_t i = 0; i < kGoldenResponses; ++i) {
    EXPECT_TRUE(src.next_batch(kGoldenUsers, b));
    EXPECT_EQ(b.body.find('\n'), std::string::npos);
    out += b.body;
    out += '\n';
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string read_golden() {
  std::ifstream in(golden_path(), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(BuiltinSource, Seed1OutputMatchesTheGoldenFile) {
  std::string got = golden_output();
  if (const char* u = std::getenv("UPDATE_GOLDEN_FILES"); u && std::string_view(u) == "1") {
    std::ofstream(golden_path(), std::ios::binary | std::ios::trunc) << got;
    std::cout << "rewrote " << golden_path() << " (" << got.size() << " bytes)\n";
  }
  std::string want = read_golden();
  ASSERT_FALSE(want.empty()) << golden_path() << " is missing or empty";
  if (got == want) return;
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  size_t from = at < 60 ? 0 : at - 60;
  FAIL() << "The builtin generator's output for seed 1 is not " << golden_path() << " any more (first difference at byte "
         << at << " of " << want.size() << ", response " << std::count(want.begin(), want.begin() + at, '\n') + 1
         << ").\n  want: ..." << want.substr(from, 120) << "\n  got:  ..." << got.substr(from, 120)
         << "\nThe generator's draws changed: every seed now gives other users. Each leaf must make its draws, in "
            "the same order, whether it is formatted or not (sources/builtin/user_generator.cpp). If the change is "
            "intended, rewrite the file with\n  UPDATE_GOLDEN_FILES=1 tests/test_sources "
            "--gtest_filter='BuiltinSource.Seed1*'\nin the build directory, and commit it with the change.";
}

// The paths of config/user_automation.yaml's mapping.fields templates, in order, each
// split into its components as mapping::Mapping::paths() gives them ("{{", "}}" and
// functions such as {uuid4()} read no path). Read from the YAML's text, as the lines
// `    name: "template"` after `mapping:` and `  fields:` (this test links no config
// parser); the caller checks the count, so a reshaped file fails loudly.
std::vector<std::vector<std::string>> seed_mapping_paths(size_t& fields) {
  std::ifstream in(std::string(SLUICE_FIXTURES) + "/../../config/user_automation.yaml");
  std::vector<std::vector<std::string>> paths;
  fields = 0;
  bool in_mapping = false, in_fields = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != ' ' && line[0] != '#') in_mapping = line.starts_with("mapping:");
    if (in_mapping && line.starts_with("  ") && line[2] != ' ') in_fields = line.starts_with("  fields:");
    if (!in_mapping || !in_fields || !line.starts_with("    ")) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    ++fields;
    std::string tpl = line.substr(colon + 1);
    for (size_t i = 0; i < tpl.size(); ++i) {
      if (tpl.compare(i, 2, "{{") == 0 || tpl.compare(i, 2, "}}") == 0) {
        ++i;
        continue;
      }
      if (tpl[i] != '{') continue;
      size_t end = tpl.find('}', i);
      if (end == std::string::npos) break;
      std::string inner = tpl.substr(i + 1, end - i - 1);
      i = end;
      if (inner.ends_with("()")) continue;
      std::vector<std::string> path;
      for (size_t from = 0;;) {
        size_t dot = inner.find('.', from);
        path.push_back(inner.substr(from, dot - from));
        if (dot == std::string::npos) break;
        from = dot + 1;
      }
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
    }
  }
  return paths;
}

// One record of a golden response: its bytes and what the JSON path finds at each path.
struct GoldenRecord {
  std::string json;
  std::vector<FieldValue::State> states;
  std::vector<std::string> texts;
};

// The golden file's records as the mapper sees them: a string's unescaped text, an
// integer's JSON text, null, an object, or nothing at `paths`.
std::vector<GoldenRecord> golden_records(const std::vector<std::vector<std::string>>& paths) {
  std::vector<GoldenRecord> out;
  simdjson::dom::parser p;
  for (const std::string& line : lines_of(read_golden())) {
    // Each record starts with {"gender":", which no record holds inside.
    constexpr std::string_view kStart = R"({"gender":")";
    std::vector<size_t> starts;
    for (size_t at = line.find(kStart); at != std::string::npos; at = line.find(kStart, at + 1)) starts.push_back(at);
    size_t end_of_results = line.rfind(R"(],"info":)");
    element doc = p.parse(line);
    size_t i = 0;
    for (element u : doc["results"].get_array()) {
      GoldenRecord r;
      size_t end = i + 1 < starts.size() ? starts[i + 1] - 1 : end_of_results;  // -1: the comma
      r.json = line.substr(starts.at(i), end - starts[i]);
      for (const auto& path : paths) {
        element e = u;
        bool found = true;
        for (const auto& c : path) {
          if (!e.is_object() || e[c].error()) {
            found = false;
            break;
          }
          e = e[c];
        }
        std::string text;
        FieldValue::State state = FieldValue::State::value;
        if (!found) state = FieldValue::State::missing;
        else if (e.is_null()) state = FieldValue::State::null;
        else if (e.is_object() || e.is_array()) state = FieldValue::State::not_scalar;
        else if (e.is_string()) text = std::string(std::string_view(e));
        else text = std::to_string(int64_t(e));
        r.states.push_back(state);
        r.texts.push_back(text);
      }
      out.push_back(std::move(r));
      ++i;
    }
    EXPECT_EQ(i, starts.size());
  }
  return out;
}

// project() on seed 1, read in the golden file's batches, must give each golden
// record's values at `paths` and, as json(), its bytes.
void expect_projection_matches_golden(const std::vector<std::vector<std::string>>& paths) {
  std::vector<GoldenRecord> want = golden_records(paths);
  ASSERT_EQ(want.size(), kGoldenResponses * kGoldenUsers) << golden_path();
  struct Visitor : ProjectedVisitor {
    const std::vector<GoldenRecord>* want;
    size_t index = 0;
    void on_record(const ProjectedRecord& r) override {
      ASSERT_LT(index, want->size());
      const GoldenRecord& g = (*want)[index];
      auto values = r.values();
      ASSERT_EQ(values.size(), g.states.size());
      for (size_t s = 0; s < values.size(); ++s) {
        SCOPED_TRACE("record " + std::to_string(index) + ", slot " + std::to_string(s));
        EXPECT_EQ(values[s].state, g.states[s]);
        if (g.states[s] != FieldValue::State::value) continue;
        EXPECT_EQ(values[s].text, g.texts[s]);
        std::string escaped;
        append_json_escaped(escaped, values[s].text);
        EXPECT_EQ(values[s].plain, escaped == values[s].text) << values[s].text;
      }
      EXPECT_EQ(r.json(), g.json) << "record " << index;
      ++index;
    }
  } v;
  v.want = &want;
  BuiltinSource src({.seed = 1});
  auto projection = src.project(paths);
  ASSERT_NE(projection, nullptr);
  for (uint32_t i = 0; i < kGoldenResponses; ++i) EXPECT_TRUE(projection->next_records(kGoldenUsers, v));
  EXPECT_EQ(v.index, want.size());
}

TEST(BuiltinSource, ProjectionOfTheSeedMappingMatchesTheGoldenFile) {
  size_t fields = 0;
  auto paths = seed_mapping_paths(fields);
  ASSERT_EQ(fields, 12u);
  ASSERT_EQ(paths.size(), 15u);
  expect_projection_matches_golden(paths);
}

TEST(BuiltinSource, ProjectionOfEveryLeafObjectAndUnknownPathMatchesTheGoldenFile) {
  std::vector<std::vector<std::string>> paths = {
      {"gender"}, {"name", "title"}, {"name", "first"}, {"name", "last"}, {"location", "street", "number"},
      {"location", "street", "name"}, {"location", "city"}, {"location", "state"}, {"location", "country"},
      {"location", "postcode"}, {"location", "coordinates", "latitude"}, {"location", "coordinates", "longitude"},
      {"location", "timezone", "offset"}, {"location", "timezone", "description"}, {"email"}, {"login", "uuid"},
      {"login", "username"}, {"login", "password"}, {"login", "salt"}, {"login", "md5"}, {"login", "sha1"},
      {"login", "sha256"}, {"dob", "date"}, {"dob", "age"}, {"registered", "date"}, {"registered", "age"},
      {"phone"}, {"cell"}, {"id", "name"}, {"id", "value"}, {"picture", "large"}, {"picture", "medium"},
      {"picture", "thumbnail"}, {"nat"},
      // Objects, and paths that lead nowhere (a prefix that is not a component, below a leaf).
      {"location"}, {"location", "coordinates"}, {"id"}, {"nope"}, {"loc"}, {"name", "first", "x"}, {"dob", "da"}};
  expect_projection_matches_golden(paths);
}

// What a source counted, as its stats() says, must be what its series in the registry
// moved while it lived.
void expect_stats_are_the_series_moves(const SourceStats& st, const metrics::Snapshot& now,
                                       const metrics::Snapshot& before) {
  auto moved = [&](const char* name) { return now.count(name) - before.count(name); };
  EXPECT_EQ(st.requests, moved("sluice_source_requests_total"));
  EXPECT_EQ(st.batches, moved("sluice_source_responses_total"));
  EXPECT_EQ(st.records, moved("sluice_source_records_total"));
  EXPECT_EQ(st.bytes, moved("sluice_source_bytes_total"));
  EXPECT_EQ(st.retries, moved("sluice_source_retries_total"));
  EXPECT_EQ(st.error_total(), 0u);
  EXPECT_EQ(now.family("sluice_source_errors_total"), nullptr);  // nothing failed: no kind registered
}

TEST(BuiltinSource, CountsInTheRegistrysSourceSeries) {
  metrics::Registry registry;
  auto before = registry.snapshot();
  uint64_t bytes = 0;
  {
    BuiltinSource src({.seed = 1}, &registry);
    SourceBatch b;
    for (uint32_t n : {3u, 5u, 7u}) {
      ASSERT_TRUE(src.next_batch(n, b));
      bytes += b.body.size();
    }
    auto m = registry.snapshot();
    EXPECT_EQ(m.count("sluice_source_requests_total"), 3u);
    EXPECT_EQ(m.count("sluice_source_responses_total"), 3u);
    EXPECT_EQ(m.count("sluice_source_records_total"), 15u);
    EXPECT_EQ(m.count("sluice_source_bytes_total"), bytes);
    EXPECT_EQ(m.count("sluice_source_retries_total"), 0u);
    auto st = src.stats();
    EXPECT_EQ(st.records, 15u);
    expect_stats_are_the_series_moves(st, m, before);
  }

  // A second source on the same registry (a pipeline's next run) counts on in the same
  // series; its stats() and its record quota start from its creation. Projected records
  // are counted as responses of records, with no bytes.
  before = registry.snapshot();
  BuiltinSource proj({.seed = 1, .max_records = 10}, &registry);
  EXPECT_EQ(proj.stats().records, 0u);
  auto projection = proj.project({{"name", "first"}});
  ASSERT_NE(projection, nullptr);
  struct Counting : ProjectedVisitor {
    uint64_t records = 0;
    void on_record(const ProjectedRecord&) override { ++records; }
  } v;
  EXPECT_TRUE(projection->next_records(4, v));
  EXPECT_TRUE(projection->next_records(4, v));
  EXPECT_TRUE(projection->next_records(4, v));  // the 2 the quota leaves
  EXPECT_FALSE(projection->next_records(4, v));
  EXPECT_EQ(v.records, 10u);
  auto m = registry.snapshot();
  EXPECT_EQ(m.count("sluice_source_requests_total"), 6u);
  EXPECT_EQ(m.count("sluice_source_responses_total"), 6u);
  EXPECT_EQ(m.count("sluice_source_records_total"), 25u);
  EXPECT_EQ(m.count("sluice_source_bytes_total"), bytes);
  auto st = proj.stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.batches, 3u);
  EXPECT_EQ(st.records, 10u);
  EXPECT_EQ(st.bytes, 0u);
  expect_stats_are_the_series_moves(st, m, before);
}

TEST(BuiltinSource, RandomSeedIsReported) {
  BuiltinSource a({}), b({});
  EXPECT_NE(a.seed(), 0u);
  EXPECT_NE(a.seed(), b.seed());
  EXPECT_NE(a.describe().find(std::to_string(a.seed())), std::string::npos);
}

}  // namespace
}  // namespace sluice::sources
