#include "sources/builtin/builtin_source.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "common/json_writer.h"
#include "common/uuid.h"

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

TEST(BuiltinSource, RandomSeedIsReported) {
  BuiltinSource a({}), b({});
  EXPECT_NE(a.seed(), 0u);
  EXPECT_NE(a.seed(), b.seed());
  EXPECT_NE(a.describe().find(std::to_string(a.seed())), std::string::npos);
}

}  // namespace
}  // namespace sluice::sources
