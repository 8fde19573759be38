#include "sinks/sqlite/sqlite_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <deque>
#include <filesystem>

#include "common/error.h"
#include "stream/row_parser.h"
#include "support/scratch_dir.h"

namespace sluice::sinks {
namespace {

namespace fs = std::filesystem;
using table::Row;
using table::Schema;

class SqliteSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = (dir_ / "user_data.db").string(); }

  Row row(const std::string& json) {
    Row r;
    values_.push_back(json);
    auto o = parser_.parse(values_.back(), r, arena_);
    EXPECT_TRUE(o.ok()) << o.reason;
    return r;
  }

  sluice::testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path() / "sink";  // made by the sink (or the test)
  std::string db_;
  Schema schema_ = Schema::from_config("users", {{"id", "uuid primary key"},
                                                 {"name", "text"},
                                                 {"n", "bigint"},
                                                 {"x", "double"},
                                                 {"ok", "boolean"},
                                                 {"at", "timestamp"}});
  stream::RowParser parser_{schema_, 1 << 20};
  stream::Arena arena_;
  std::deque<std::string> values_;
};

TEST_F(SqliteSinkTest, UpsertKeepsOneRowPerKeyWithTheNewValues) {
  SqliteSink sink(db_, schema_);
  sink.ensure_schema();
  std::vector<Row> rows = {row(R"({"id":"109cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"first","n":1})"),
                           row(R"({"id":"209cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"other"})")};
  ASSERT_EQ(sink.write(rows).status, WriteStatus::ok);
  std::vector<Row> again = {row(R"({"id":"109cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"second","n":2,"x":0.25,)"
                                R"("ok":true,"at":"2020-01-01T00:00:00Z"})")};
  ASSERT_EQ(sink.write(again).status, WriteStatus::ok);
  auto r = sqlite_query(db_, "SELECT id, name, n, x, ok, at, typeof(id), length(id) FROM users ORDER BY name");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(*r.rows[1][0], "109cc029-1c67-46d9-981a-8ac3dfeac5cd");  // shown as text
  EXPECT_EQ(*r.rows[1][1], "second");
  EXPECT_EQ(*r.rows[1][2], "2");
  EXPECT_EQ(*r.rows[1][3], "0.25");
  EXPECT_EQ(*r.rows[1][4], "1");
  EXPECT_EQ(*r.rows[1][5], "1577836800000");
  EXPECT_EQ(*r.rows[1][6], "blob");  // stored as 16 bytes
  EXPECT_EQ(*r.rows[1][7], "16");
  EXPECT_FALSE(r.rows[0][2]);  // NULL
  auto by_uuid = sqlite_query(db_, "SELECT name FROM users WHERE id = uuid('209cc029-1c67-46d9-981a-8ac3dfeac5cd')");
  ASSERT_EQ(by_uuid.rows.size(), 1u);
  EXPECT_EQ(*by_uuid.rows[0][0], "other");
  auto text = sqlite_query(db_, "SELECT uuid_text(id) FROM users ORDER BY name LIMIT 1");
  EXPECT_EQ(*text.rows[0][0], "209cc029-1c67-46d9-981a-8ac3dfeac5cd");
}

TEST_F(SqliteSinkTest, ABusyDatabaseAsksForARetryAndLosesNothing) {
  SqliteSink sink(db_, schema_);
  sink.ensure_schema();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);  // holds the write lock
  std::vector<Row> rows = {row(R"({"id":"109cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"a"})")};
  auto r = sink.write(rows);
  EXPECT_EQ(r.status, WriteStatus::retry);
  EXPECT_NE(r.message.find("locked"), std::string::npos) << r.message;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(sink.write(rows).status, WriteStatus::ok);
  EXPECT_EQ(sqlite_query(db_, "SELECT count(*) FROM users").rows[0][0], "1");
}

TEST_F(SqliteSinkTest, AnExistingTableWithOtherColumnsIsRefused) {
  {
    sqlite3* db = nullptr;
    fs::create_directories(dir_);
    sqlite3_open(db_.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  SqliteSink sink(db_, schema_);
  try {
    sink.ensure_schema();
    FAIL() << "accepted";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the schema"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteSinkTest, QueryErrorsAreUsageErrors) {
  SqliteSink sink(db_, schema_);
  sink.ensure_schema();
  EXPECT_THROW(sqlite_query(db_, "SELEC nonsense"), UsageError);
  EXPECT_THROW(sqlite_query((dir_ / "missing.db").string(), "SELECT 1"), UsageError);
}

TEST(SqliteSchema, CreateTableFollowsTheSchema) {
  auto s = Schema::from_config("users", {{"id", "uuid primary key"}, {"first_name", "text"}, {"email", "text required"}});
  EXPECT_EQ(sqlite_create_table(s),
            "CREATE TABLE IF NOT EXISTS \"users\" (\"id\" UUID PRIMARY KEY NOT NULL, \"first_name\" TEXT, \"email\" "
            "TEXT NOT NULL)");
}

// Tables made by earlier versions (WITHOUT ROWID) are used as they are.
TEST_F(SqliteSinkTest, WritesIntoAnExistingWithoutRowidTable) {
  {
    fs::create_directories(dir_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    std::string ddl = sqlite_create_table(schema_) + " WITHOUT ROWID";
    ASSERT_EQ(sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  SqliteSink sink(db_, schema_);
  sink.ensure_schema();
  std::vector<Row> rows = {row(R"({"id":"109cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"a"})"),
                           row(R"({"id":"209cc029-1c67-46d9-981a-8ac3dfeac5cd","name":"b"})")};
  ASSERT_EQ(sink.write(rows).status, WriteStatus::ok);
  ASSERT_EQ(sink.write(rows).status, WriteStatus::ok);
  EXPECT_EQ(sqlite_query(db_, "SELECT count(*) FROM users").rows[0][0], "2");
}

TEST_F(SqliteSinkTest, ExistingTableWithAnotherPrimaryKeyIsRefused) {
  {
    fs::create_directories(dir_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    std::string ddl = sqlite_create_table(schema_);
    ddl.replace(ddl.find(" PRIMARY KEY NOT NULL"), 21, "");
    ASSERT_EQ(sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  SqliteSink sink(db_, schema_);
  try {
    sink.ensure_schema();
    FAIL() << "expected a FatalError";
  } catch (const FatalError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("primary key"));
  }
}

}  // namespace
}  // namespace sluice::sinks
