// `sluice verify` on the embedded log and SQLite: a table that matches; rows lost,
// changed and added behind the pipeline's back, each found and named; bad records with
// and without their dead letters; part of a topic; the CLI's exit codes and JSON.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "config/config.h"
#include "log/factory/open_log.h"
#include "pipeline/pipeline.h"
#include "support/json.h"
#include "support/paths.h"
#include "support/scratch_dir.h"
#include "support/shell.h"
#include "verify/verify.h"

namespace sluice::verify {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDir;

class VerifyTest : public ::testing::Test {
 protected:
  config::Config load(std::vector<config::Override> extra = {}) {
    config::LoadOptions o;
    o.file = testing::repo_config();
    o.file_explicit = true;
    o.flags = {{"log", dir_.log_uri(), "test"}, {"sink", dir_.sink_uri(), "test"}, {"builtin.seed", "3", "test"}};
    for (auto& e : extra) o.flags.push_back(std::move(e));
    return config::Config::load(o);
  }
  // `sluice run` of n records into this directory's log and table.
  void run(uint64_t n) {
    auto cfg = load({{"produce.records", std::to_string(n), "test"}, {"stream.trigger", "continuous", "test"}});
    pipeline::Pipeline p(cfg, pipeline::Role::run, pipeline::PipelineOptions::from_config(cfg, true));
    ASSERT_EQ(p.run().query.written_rows, n);
  }
  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "user_data.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  VerifyReport check(VerifyOptions o = {}) {
    auto cfg = load();
    o.topic = "user_created";
    o.dead_letter_topic = "user_created.dlq";
    o.scratch_dir = dir_.path().string();
    auto log = log::open_log(log::log_settings(cfg));
    return verify(cfg, *log, table::Schema::from_config(cfg.str("schema.table"), cfg.section("schema.columns")), o);
  }
  ScratchDir dir_;
};

TEST_F(VerifyTest, ATableThatMatchesAndOneChangedBehindThePipelinesBack) {
  run(3000);
  auto ok = check();
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.records, 3000);
  EXPECT_EQ(ok.keys, 3000);
  EXPECT_EQ(ok.matching, 3000);
  EXPECT_EQ(ok.table_rows, 3000);
  EXPECT_EQ(ok.extra, 0);

  sql("DELETE FROM users WHERE rowid IN (SELECT rowid FROM users ORDER BY rowid LIMIT 3)");
  sql("UPDATE users SET email = 'x@example.com', phone = NULL WHERE rowid = (SELECT max(rowid) FROM users)");
  sql("INSERT INTO users (id, first_name) VALUES (X'0000000000004000800000000000beef', 'Nobody')");
  auto bad = check();
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.missing, 3);
  EXPECT_EQ(bad.different, 1);
  EXPECT_EQ(bad.different_by_field["email"], 1);
  EXPECT_EQ(bad.different_by_field["phone"], 1);
  EXPECT_EQ(bad.different_by_field.size(), 2u);
  EXPECT_EQ(bad.extra, 1);
  EXPECT_EQ(bad.matching, 2996);
  bool named = false;
  for (const auto& e : bad.examples) {
    if (e.kind == "different") {
      EXPECT_EQ(e.field, "email");
      EXPECT_EQ(e.actual.value_or(""), "x@example.com");
      EXPECT_GE(e.offset, 0);
    }
    named |= e.kind == "extra" && e.key == "00000000-0000-4000-8000-00000000beef";
  }
  EXPECT_TRUE(named);

  // Part of the topic: what is outside it is not "extra".
  VerifyOptions part;
  part.offsets[0] = {0, 10};
  auto some = check(part);
  EXPECT_EQ(some.records, 10);
  EXPECT_FALSE(some.extra.has_value());
  EXPECT_FALSE(some.extra_note.empty());
}

TEST_F(VerifyTest, BadRecordsAreFineInTheDlqAndLostWithout) {
  run(500);
  {
    auto cfg = load();
    auto l = log::open_log(log::log_settings(cfg));
    auto p = l->producer();
    for (std::string v : {"{not json", "[1]"}) p->send({.topic = "user_created", .value = v});
    p->flush(10s);
  }
  auto before = check();  // the query has not read them yet: no letters
  EXPECT_EQ(before.unparseable, 2);
  EXPECT_EQ(before.unparseable_without_letter, 2);
  EXPECT_FALSE(before.ok());
  {
    auto cfg = load({{"stream.trigger", "available-now", "test"}});
    pipeline::Pipeline s(cfg, pipeline::Role::stream, pipeline::PipelineOptions::from_config(cfg));
    EXPECT_EQ(s.stream().dead_lettered, 2u);
  }
  auto after = check();
  EXPECT_TRUE(after.ok());
  EXPECT_EQ(after.unparseable, 2);
  EXPECT_EQ(after.unparseable_without_letter, 0);
  EXPECT_EQ(after.letters, 2);
  EXPECT_EQ(after.letters_by_kind["parse/invalid_json"], 1);
  EXPECT_EQ(after.letters_by_kind["parse/not_an_object"], 1);
}

TEST_F(VerifyTest, TheCommandExitsZeroOnAMatchAndOneOtherwise) {
  auto sluice = [&](const std::string& args) {
    return testing::run_shell(dir_.sluice().command(args) + " 2>&1", dir_.path());
  };
  ASSERT_EQ(sluice("run --records 1000 --rate 0 --trigger 200ms").code, 0);
  auto ok = sluice("verify");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("OK: the table matches the topic"), std::string::npos) << ok.out;
  sql("DELETE FROM users WHERE rowid = 1");
  auto bad = sluice("verify --json");
  EXPECT_EQ(bad.code, 1) << bad.out;
  testing::JsonOut j(bad.out);
  EXPECT_FALSE(j.boolean("/ok"));
  EXPECT_EQ(j.integer("/missing"), 1);
  EXPECT_EQ(j.str("/examples/0/kind"), "missing");
  auto usage = sluice("verify --offsets 7:0-10");
  EXPECT_EQ(usage.code, 2) << usage.out;
  EXPECT_NE(usage.out.find("no partition 7"), std::string::npos) << usage.out;
  auto flag = sluice("verify --offsets nonsense");
  EXPECT_EQ(flag.code, 2) << flag.out;
  EXPECT_NE(flag.out.find("PARTITION:FROM-TO"), std::string::npos) << flag.out;
}

}  // namespace
}  // namespace sluice::verify
