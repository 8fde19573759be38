// End to end in one process, on the API fixture: users_v1.4.json through the produce
// task (the mapping of config/user_automation.yaml) into the embedded log, then the
// streaming query into SQLite; the table must hold expected.jsonl field for field.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "config/config.h"
#include "log/factory/open_log.h"
#include "mapping/mapping.h"
#include "produce/produce_job.h"
#include "support/scratch_dir.h"
#include "sinks/sqlite/sqlite_sink.h"
#include "stream/query/query.h"

namespace sluice::testing {
namespace {

class FixtureSource : public sources::Source {
 public:
  bool next_batch(uint32_t, sources::SourceBatch& out) override {
    if (served_) return false;
    served_ = true;
    out.body = slurp(std::string(SLUICE_FIXTURES) + "/randomuser/users_v1.4.json");
    out.body.reserve(out.body.size() + simdjson::SIMDJSON_PADDING);
    out.results = 6;
    return true;
  }
  void stop() override {}
  sources::SourceStats stats() const override { return {}; }
  std::string describe() const override { return "fixture"; }

 private:
  bool served_ = false;
};

TEST(FixtureEndToEnd, ProduceStreamSqliteFieldForField) {
  ScratchDir d;
  auto cfg = config::Config::parse(slurp(repo_config()), "user_automation.yaml");
  auto mapping = mapping::Mapping::compile(cfg.section("mapping.fields"), cfg.str("produce.key"));
  auto schema = stream::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns"));
  log::LogSettings ls;
  ls.uri = d.log_uri();
  auto log = log::open_log(ls);
  {
    FixtureSource src;
    auto producer = log->producer();
    auto dlq = log->producer({.exclusive = false});
    produce::ProduceOptions po;
    po.duration = std::chrono::milliseconds(0);
    produce::ProduceJob job(src, mapping, *producer, *dlq, po);
    ASSERT_EQ(job.run().produced, 6u);
  }
  sinks::SqliteSink sink((d.path() / "user_data.db").string(), schema);
  sink.ensure_schema();
  auto consumer = log->consumer({"user_data"});
  auto dlq = log->producer({.exclusive = false});
  stream::QueryOptions qo;
  qo.trigger = *stream::Trigger::parse("available-now");
  qo.log_progress = false;
  stream::Query q({.consumer = *consumer, .dead_letters = *dlq, .sink = sink, .schema = schema}, qo);
  auto s = q.run();
  ASSERT_EQ(s.written_rows, 6u);
  ASSERT_EQ(s.dead_lettered, 0u);

  // Rows in the order of the fixture: match them by email, unique per user.
  auto r = sinks::sqlite_query((d.path() / "user_data.db").string(), "SELECT * FROM users");
  ASSERT_EQ(r.rows.size(), 6u);
  ASSERT_EQ(r.columns.size(), 12u);
  std::istringstream expected(slurp(std::string(SLUICE_FIXTURES) + "/randomuser/expected.jsonl"));
  simdjson::dom::parser p;
  std::string line;
  int matched = 0;
  while (std::getline(expected, line)) {
    simdjson::dom::object want = p.parse(line);
    std::string_view email = want["email"];
    const std::vector<std::optional<std::string>>* row = nullptr;
    size_t email_col = std::find(r.columns.begin(), r.columns.end(), "email") - r.columns.begin();
    for (const auto& candidate : r.rows)
      if (candidate[email_col] && *candidate[email_col] == email) row = &candidate;
    ASSERT_NE(row, nullptr) << email;
    for (auto [k, v] : want) {
      size_t col = std::find(r.columns.begin(), r.columns.end(), std::string(k)) - r.columns.begin();
      ASSERT_LT(col, r.columns.size()) << k;
      ASSERT_TRUE((*row)[col]) << k;
      EXPECT_EQ(*(*row)[col], std::string_view(v.get_string())) << email << " " << k;
    }
    EXPECT_TRUE(parse_uuid(*(*row)[0])) << "id shows as a UUID";
    ++matched;
  }
  EXPECT_EQ(matched, 6);
}

}  // namespace
}  // namespace sluice::testing
