// The CQL client against the real Cassandra node (CASSANDRA_TEST_ADDRESS=host:port): protocol
// v5 and v4, with and without lz4; prepared inserts of every sink type read back equal;
// paging. Skipped without a node.
#include <gtest/gtest.h>

#include <condition_variable>
#include <limits>
#include <set>

#include "cassandra/cass_env.h"
#include "common/error.h"
#include "cql/value_codec.h"
#include "sinks/cassandra/cassandra_sink.h"

namespace sluice::testing {
namespace {

using namespace sluice::cql;
using namespace std::chrono_literals;

constexpr char kKeyspace[] = "sluice_cql_test";

void create_keyspace(Session& s) {
  s.query(std::string("CREATE KEYSPACE IF NOT EXISTS ") + kKeyspace +
          " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
}

TEST(Node, HandshakeV5AndV4WithAndWithoutLz4) {
  REQUIRE_NODE();
  for (int version : {5, 4}) {
    for (auto comp : {Compression::none, Compression::lz4}) {
      ConnectionOptions o;
      o.max_version = version;
      o.compression = comp;
      auto c = Connection::open(node, o);
      EXPECT_EQ(c->version(), version);
      EXPECT_EQ(c->compression(), comp);
      QueryRequest q;
      q.query = "SELECT release_version FROM system.local";
      auto r = c->execute(q);
      ASSERT_TRUE(r.ok()) << r.error->message;
      const auto& rows = std::get<RowsResult>(r.response);
      ASSERT_EQ(rows.row_count, 1);
      auto v = decode_cell(rows.cell(0, 0), rows.metadata.columns[0].type);
      EXPECT_TRUE(v.bytes.starts_with("5.")) << v.bytes;
    }
  }
}

TEST(Node, ServerErrorsAreTypedAndNamed) {
  REQUIRE_NODE();
  Session s(node_session(node));
  s.connect();
  try {
    s.query("SELEC nonsense");
    FAIL();
  } catch (const CqlError& e) {
    EXPECT_EQ(e.code(), ClientErrc::server);
    EXPECT_TRUE(e.error().is(ErrorCode::syntax_error));
    EXPECT_NE(std::string(e.what()).find("Syntax_error"), std::string::npos) << e.what();
  }
  try {
    s.query("SELECT * FROM no_such_keyspace_x.t");
    FAIL();
  } catch (const CqlError& e) {
    EXPECT_TRUE(e.error().is(ErrorCode::invalid)) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_keyspace_x"), std::string::npos) << e.what();
  }
}

// uuid, text, int, bigint, double, boolean, timestamp and null, on v5 and v4.
TEST(Node, PreparedInsertsOfEveryTypeReadBackEqual) {
  REQUIRE_NODE();
  for (int version : {5, 4}) {
    auto o = node_session(node);
    o.connection.max_version = version;
    o.connection.compression = version == 5 ? Compression::lz4 : Compression::none;
    Session s(o);
    s.connect();
    ASSERT_EQ(s.protocol_version(), version);
    create_keyspace(s);
    std::string table = std::string(kKeyspace) + ".types_v" + std::to_string(version);
    s.query("DROP TABLE IF EXISTS " + table);
    s.query("CREATE TABLE " + table + " (id uuid PRIMARY KEY, t text, i int, b bigint, d double, f boolean, ts timestamp)");
    auto ins = s.prepare("INSERT INTO " + table + " (id, t, i, b, d, f, ts) VALUES (?, ?, ?, ?, ?, ?, ?)");
    ASSERT_EQ(ins->variables.columns.size(), 7u);
    std::vector<std::vector<Value>> rows = {
        {Value::uuid_of(uuid_v4()), Value::text("héllo wörld ✓ Ω 你好"), Value::int32(std::numeric_limits<int32_t>::min()),
         Value::bigint(std::numeric_limits<int64_t>::max()), Value::float64(3.141592653589793), Value::boolean(true),
         Value::timestamp_ms(1700000000123)},
        {Value::uuid_of(uuid_v4()), Value::null(), Value::null(), Value::null(), Value::null(), Value::null(),
         Value::null()},
        {Value::uuid_of(uuid_v4()), Value::text(""), Value::int32(0), Value::bigint(-1), Value::float64(-1e-300),
         Value::boolean(false), Value::timestamp_ms(-86400000)},
    };
    for (const auto& row : rows) {
      std::vector<BindValue> values;
      for (size_t i = 0; i < row.size(); ++i) values.push_back(bind(row[i], ins->variables.columns[i].type));
      auto r = s.execute_sync(ins, std::move(values));
      ASSERT_TRUE(r.ok()) << r.error->message;
    }
    for (const auto& row : rows) {
      auto r = s.query("SELECT id, t, i, b, d, f, ts FROM " + table + " WHERE id = ?",
                       {bind(row[0], DataType::of(TypeId::uuid))});
      const auto& got = std::get<RowsResult>(r);
      ASSERT_EQ(got.row_count, 1);
      for (int c = 0; c < 7; ++c)
        EXPECT_EQ(decode_cell(got.cell(0, c), got.metadata.columns[static_cast<size_t>(c)].type), row[static_cast<size_t>(c)])
            << "v" << version << " column " << got.metadata.columns[static_cast<size_t>(c)].name;
    }
  }
}

TEST(Node, PagingVisitsEveryRowOnce) {
  REQUIRE_NODE();
  for (int version : {5, 4}) {
    auto o = node_session(node);
    o.connection.max_version = version;
    o.connection.compression = Compression::lz4;
    o.connections_per_host = 2;
    Session s(o);
    s.connect();
    create_keyspace(s);
    std::string table = std::string(kKeyspace) + ".paged_v" + std::to_string(version);
    s.query("DROP TABLE IF EXISTS " + table);
    s.query("CREATE TABLE " + table + " (k int PRIMARY KEY, v text)");
    auto ins = s.prepare("INSERT INTO " + table + " (k, v) VALUES (?, ?)");
    const int n = 2345;
    std::mutex mu;
    std::condition_variable cv;
    int done = 0, failed = 0;
    for (int k = 0; k < n; ++k)
      s.execute(ins, {bind(Value::int32(k), DataType::of(TypeId::int_)), BindValue::of(std::string(100, 'x'))},
                [&](Result&& r) {
                  std::lock_guard lk(mu);
                  ++done;
                  failed += !r.ok();
                  cv.notify_all();
                });
    {
      std::unique_lock lk(mu);
      ASSERT_TRUE(cv.wait_for(lk, 60s, [&] { return done == n; }));
      ASSERT_EQ(failed, 0);
    }
    std::set<int32_t> seen;
    int pages = 0;
    size_t total = 0;
    s.for_each_page("SELECT k, v FROM " + table, {}, 100, [&](const RowsResult& page) {
      ++pages;
      EXPECT_LE(page.row_count, 100);
      for (int32_t r = 0; r < page.row_count; ++r) {
        ++total;
        seen.insert(static_cast<int32_t>(decode_cell(page.cell(r, 0), DataType::of(TypeId::int_)).i));
      }
    });
    EXPECT_EQ(total, static_cast<size_t>(n));
    EXPECT_EQ(seen.size(), static_cast<size_t>(n));
    EXPECT_GE(pages, n / 100);
  }
}

// ensure_schema() creates the table once, accepts it as it is afterwards, and refuses a
// table of another shape, naming the column.
TEST(Node, SinkCreatesTheTableAndRefusesOneOfAnotherShape) {
  REQUIRE_NODE();
  Session s(node_session(node));
  s.connect();
  create_keyspace(s);
  s.query(std::string("DROP TABLE IF EXISTS ") + kKeyspace + ".shape");
  auto schema = table::Schema::from_config("shape", {{"id", "uuid primary key"}, {"n", "int"}, {"name", "text"}});
  auto open = [&] {
    auto uri = sinks::parse_cassandra_uri("cassandra://" + node.str() + "/" + kKeyspace);
    return std::make_unique<sinks::CassandraSink>(uri, node_session(node), sinks::CassandraSinkOptions{}, schema);
  };
  open()->ensure_schema();
  open()->ensure_schema();  // present and matching: fine
  s.query(std::string("DROP TABLE ") + kKeyspace + ".shape");
  s.query(std::string("CREATE TABLE ") + kKeyspace + ".shape (id uuid PRIMARY KEY, n bigint, name text)");
  try {
    open()->ensure_schema();
    FAIL() << "a bigint column passed for an int";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("column n int (found bigint)"), std::string::npos) << e.what();
  }
  s.query(std::string("DROP TABLE ") + kKeyspace + ".shape");
  s.query(std::string("CREATE TABLE ") + kKeyspace + ".shape (name text, id uuid, n int, PRIMARY KEY (name, id))");
  EXPECT_THROW(open()->ensure_schema(), FatalError);
}

}  // namespace
}  // namespace sluice::testing
