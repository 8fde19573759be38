// The streaming query end to end, with the real binary: the fixtures' users through
// produce -> stream -> SQLite field for field; every kind of bad record to the
// dead-letter topic with its reason while the good records around it are written.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <sstream>

#include "log/factory/open_log.h"
#include "support/json.h"
#include "support/scratch_dir.h"
#include "support/topics.h"

namespace sluice::testing {
namespace {

// Publishes raw values to user_created as another client would.
void publish(const ScratchDir& d, const std::vector<std::pair<std::string, std::string>>& key_values) {
  log::LogSettings s;
  s.uri = d.log_uri();
  auto l = log::open_log(s);
  l->admin()->create_topic("user_created", 3, 1);
  auto p = l->producer();
  for (auto& [k, v] : key_values) {
    log::OutRecord r;
    r.topic = "user_created";
    r.key = k;
    r.value = v;
    p->send(r);
  }
  auto stats = p->flush(std::chrono::seconds(10));
  ASSERT_EQ(stats.acked, key_values.size());
}

std::string good(int i) {
  char id[37];
  snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
  return std::string(R"({"id":")") + id + R"(","first_name":"F)" + std::to_string(i) +
         R"(","last_name":"L","gender":"female","address":"1 Main St, Town, State, Country","post_code":"12345",)"
         R"("email":"f@example.com","username":"u","dob":"1990-01-01T00:00:00.000Z",)"
         R"("registered_date":"2020-01-01T00:00:00.000Z","phone":"555","picture":"https://x/y.jpg"})";
}

TEST(Pipeline, FixtureUsersLandInTheTableFieldForField) {
  ScratchDir d;
  // The fixture response through the mapper, as the produce task publishes it.
  std::vector<std::pair<std::string, std::string>> recs;
  std::string fixture = slurp(std::string(SLUICE_FIXTURES) + "/randomuser/expected.jsonl");
  std::istringstream lines(fixture);
  std::string line;
  int i = 0;
  std::vector<std::string> expected;
  while (std::getline(lines, line)) {
    char id[37];
    snprintf(id, sizeof id, "10000000-0000-4000-8000-%012d", ++i);
    // expected.jsonl is the seed's format_data output without the id: add one.
    std::string rec = std::string("{\"id\":\"") + id + "\"," + line.substr(1);
    recs.emplace_back(id, rec);
    expected.push_back(rec);
  }
  ASSERT_EQ(recs.size(), 6u);
  publish(d, recs);
  auto s = d.run("stream --trigger available-now --json");
  ASSERT_EQ(s.code, 0) << s.err;
  auto q = d.run("query --json \"SELECT * FROM users ORDER BY id\"");
  ASSERT_EQ(q.code, 0) << q.err;
  std::istringstream rows(q.out);
  simdjson::dom::parser p1, p2;
  int n = 0;
  while (std::getline(rows, line)) {
    ASSERT_LT(n, 6);
    simdjson::dom::object got = p1.parse(line);
    simdjson::dom::object want = p2.parse(expected[static_cast<size_t>(n)]);
    for (auto [k, v] : want)
      EXPECT_EQ(std::string_view(got[k].get_string()), std::string_view(v.get_string())) << "row " << n << " " << k;
    ++n;
  }
  EXPECT_EQ(n, 6);
}

TEST(Pipeline, EveryKindOfBadRecordIsDeadLetteredWithItsReason) {
  ScratchDir d;
  std::string oversize = good(100);
  oversize.insert(oversize.size() - 1, ",\"pad\":\"" + std::string(2 << 20, 'x') + "\"");
  std::string missing = good(101);
  missing.replace(missing.find("\"id\":"), 43, "\"xid\":\"00000000-0000-4000-8000-000000000101\"");
  std::string not_uuid = good(102);
  not_uuid.replace(not_uuid.find("00000000-0000-4000-8000-000000000102"), 36, "not-a-uuid-at-all");
  std::string wrong_type = good(103);
  wrong_type.replace(wrong_type.find("\"F103\""), 6, "{\"a\":1}");
  std::string bad_utf8 = good(104);
  bad_utf8.replace(bad_utf8.find("F104"), 4, "F\xC3\x28");
  std::vector<std::pair<std::string, std::string>> recs = {
      {"g1", good(1)},      {"b1", "{\"id\": 12"},  {"g2", good(2)},     {"b2", oversize},
      {"g3", good(3)},      {"b3", missing},        {"g4", good(4)},     {"b4", not_uuid},
      {"g5", good(5)},      {"b5", wrong_type},     {"g6", good(6)},     {"b6", bad_utf8},
      {"g7", good(7)},      {"b7", "[1,2,3]"},      {"g8", good(8)},
  };
  publish(d, recs);
  auto s = d.run("stream --trigger available-now --json");
  ASSERT_EQ(s.code, 0) << s.err;
  JsonOut summary(s.out);
  EXPECT_EQ(summary.integer("/written_rows"), 8) << s.out;
  EXPECT_EQ(summary.integer("/dead_lettered"), 7) << s.out;
  auto count = d.run("query \"SELECT count(*) FROM users\"");
  EXPECT_NE(count.out.find("8"), std::string::npos) << count.out;

  auto dead = read_topic(d, "user_created.dlq");
  ASSERT_EQ(dead.size(), 7u);
  std::map<std::string, std::map<std::string, std::string>> by_key;
  for (auto& m : dead) {
    ASSERT_TRUE(m.key);
    auto& h = by_key[*m.key];
    for (auto& x : m.headers) h[x.key] = x.value;
    // The original bytes, unchanged.
    for (auto& [k, v] : recs)
      if (k == *m.key) {
        EXPECT_EQ(m.value, v) << k;
      }
    EXPECT_EQ(h["source.topic"], "user_created");
    EXPECT_FALSE(h["source.partition"].empty());
    EXPECT_FALSE(h["source.offset"].empty());
  }
  auto reason = [&](const char* k) { return by_key[k]["error.reason"]; };
  EXPECT_NE(reason("b1").find("invalid JSON"), std::string::npos) << reason("b1");
  EXPECT_NE(reason("b2").find("exceeds"), std::string::npos) << reason("b2");
  EXPECT_NE(reason("b3").find("missing required field id"), std::string::npos) << reason("b3");
  EXPECT_NE(reason("b4").find("not a UUID"), std::string::npos) << reason("b4");
  EXPECT_NE(reason("b5").find("first_name"), std::string::npos) << reason("b5");
  EXPECT_NE(reason("b6").find("invalid UTF-8"), std::string::npos) << reason("b6");
  EXPECT_NE(reason("b7").find("not a JSON object"), std::string::npos) << reason("b7");
  // The kind, a closed set apart from the detail, and the stage.
  auto kind = [&](const char* k) { return by_key[k]["error.kind"]; };
  EXPECT_EQ(kind("b1"), "invalid_json");
  EXPECT_EQ(kind("b2"), "oversize");
  EXPECT_EQ(kind("b3"), "missing_field");
  EXPECT_EQ(kind("b4"), "bad_uuid");
  EXPECT_EQ(kind("b5"), "wrong_type");
  EXPECT_EQ(kind("b6"), "invalid_utf8");
  EXPECT_EQ(kind("b7"), "not_an_object");
  for (auto& [k, h] : by_key) EXPECT_EQ(h["error.stage"], "parse") << k;
  // The same counts in the summary's registry-backed figures, by kind.
  EXPECT_EQ(by_key.size(), 7u);
}

TEST(Pipeline, OnErrorFailStopsTheQueryWithoutCommitting) {
  ScratchDir d;
  publish(d, {{"g1", good(1)}, {"b1", "garbage"}, {"g2", good(2)}});
  auto s = d.run("stream --trigger available-now --on-error fail");
  EXPECT_EQ(s.code, 1);
  EXPECT_NE(s.err.find("invalid JSON"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("offset"), std::string::npos) << s.err;
  // Nothing committed: a run with dlq processes all three records.
  auto again = d.run("stream --trigger available-now --json");
  EXPECT_EQ(JsonOut(again.out).integer("/input_rows"), 3) << again.out;
}

TEST(Pipeline, RunProducesStreamsAndCatchesUp) {
  ScratchDir d;
  auto r = d.run("run --records 20000 --seed 5 --trigger continuous --json");
  ASSERT_EQ(r.code, 0) << r.err;
  JsonOut summary(r.out);
  EXPECT_EQ(summary.integer("/produced"), 20000) << r.out;
  EXPECT_EQ(summary.integer("/written"), 20000) << r.out;
  EXPECT_EQ(summary.integer("/final_lag"), 0) << r.out;
  auto q = d.run("query \"SELECT count(*) AS n FROM users\"");
  EXPECT_EQ(q.code, 0) << q.err;
  EXPECT_NE(q.out.find("20000"), std::string::npos) << q.out;
}

}  // namespace
}  // namespace sluice::testing
