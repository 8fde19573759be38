// The Kafka backend against a real Apache Kafka broker (scripts/kafka.sh), through the
// sluice binary: the pipeline end to end, interop with clients no one here wrote (kcat,
// the seed's kafka-python), the broker stopped for 20 s mid-run, and kill -9 of one of
// two stream processes sharing a consumer group.
//
// Needs KAFKA_TEST_BOOTSTRAP=host:port (scripts/test.sh starts the broker and sets it); the
// tests skip without it. They must run one at a time (one of them stops the broker).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/murmur2.h"
#include "log/factory/open_log.h"
#include "support/json.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/servers.h"
#include "support/tables.h"
#include "support/topics.h"
#include "support/wait.h"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kafka_bootstrap().empty()) GTEST_SKIP() << "KAFKA_TEST_BOOTSTRAP is not set (scripts/test.sh starts a broker)";
    // A topic and group of this test's own, so that reruns and other tests never mix.
    topic_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
             std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}() % 100000);
  }

  std::string log_uri() const { return "kafka://" + kafka_bootstrap(); }
  std::string db() const { return (dir_.path() / "user_data.db").string(); }

  // sluice on the broker, this test's topic and a scratch SQLite file.
  std::string sluice(const std::string& args) const {
    return SluiceCommand{.log = log_uri(), .topic = topic_, .sink = "sqlite:" + db()}.command(args);
  }
  // sluice on the broker and `topic`, without a sink.
  std::string sluice_on(const std::string& topic, const std::string& args) const {
    return SluiceCommand{.log = log_uri(), .topic = topic}.command(args);
  }

  RunResult sh(const std::string& cmd) const { return dir_.shell(cmd); }

  void create_topic(int partitions) {
    auto r = sh(sluice("topics create " + topic_ + " -p " + std::to_string(partitions)));
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // Every message of the test's topic, read by sluice's own Kafka consumer (no group).
  std::vector<log::Message> read_all() const { return read_topic(log_uri(), topic_, std::chrono::seconds(60)); }

  // The table as id -> the JSON object `sluice query --json` prints for the row.
  std::map<std::string, std::map<std::string, std::string>> table() const {
    std::map<std::string, std::map<std::string, std::string>> rows;
    auto r = sh(sluice("query --json \"SELECT * FROM users\""));
    EXPECT_EQ(r.code, 0) << r.err;
    simdjson::dom::parser parser;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      auto obj = parser.parse(line).get_object();
      EXPECT_FALSE(obj.error()) << line;
      if (obj.error()) continue;
      std::map<std::string, std::string> fields;
      for (auto [k, v] : obj.value()) fields[std::string(k)] = v.is_string() ? std::string(v.get_string().value()) : "";
      rows[fields["id"]] = fields;
    }
    return rows;
  }

  // Every record of the topic (by its id) is one row of the table, and nothing else is.
  void expect_table_equals_topic() {
    auto msgs = read_all();
    std::set<std::string> ids;
    simdjson::dom::parser parser;
    for (const auto& m : msgs) {
      auto id = parser.parse(m.value).at_key("id").get_string();
      ASSERT_FALSE(id.error()) << m.value;
      ids.insert(std::string(id.value()));
    }
    EXPECT_EQ(ids.size(), msgs.size()) << "a record is twice in the topic";
    auto rows = table();
    std::set<std::string> table_ids;
    for (const auto& [id, _] : rows) table_ids.insert(id);
    EXPECT_EQ(table_ids.size(), ids.size());
    EXPECT_TRUE(table_ids == ids) << "table and topic differ";
    EXPECT_GT(ids.size(), 0u);
  }

  // The fixture's expected records (the seed's format_data output), each given an id.
  std::vector<std::pair<std::string, std::string>> fixture_records() const {
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream lines(read_fixture("randomuser/expected.jsonl"));
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      std::string id = fmt::format("6f1c0d2e-5b4a-4c3d-9e8f-{:012x}", ++n);
      out.emplace_back(id, "{\"id\": \"" + id + "\", " + line.substr(1));
    }
    return out;
  }

  // The table holds each fixture record field for field.
  void expect_fixture_rows() {
    auto rows = table();
    auto records = fixture_records();
    ASSERT_EQ(rows.size(), records.size());
    simdjson::dom::parser parser;
    for (const auto& [id, json] : records) {
      auto it = rows.find(id);
      ASSERT_NE(it, rows.end()) << id;
      auto obj = parser.parse(json).get_object().value();
      for (auto [k, v] : obj) EXPECT_EQ(it->second[std::string(k)], std::string(v.get_string().value())) << id << " " << k;
    }
  }

  ScratchDir dir_;
  std::string topic_;
};

TEST_F(KafkaTest, RunEndToEndOnTheBroker) {
  auto r = sh(sluice("run --records 5000 --rate 0 --trigger continuous --json"));
  ASSERT_EQ(r.code, 0) << r.err;
  JsonOut summary(r.out);
  EXPECT_EQ(summary.integer("/produced"), 5000) << r.out;
  EXPECT_EQ(summary.integer("/written"), 5000) << r.out;
  EXPECT_EQ(summary.integer("/final_lag"), 0) << r.out;
  expect_table_equals_topic();
  // `sluice verify` reads the topic from the broker: the same verdict.
  auto v = sh(sluice("verify --json"));
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  JsonOut vj(v.out);
  EXPECT_EQ(vj.integer("/records"), 5000) << v.out;
  EXPECT_EQ(vj.integer("/matching"), 5000) << v.out;
  auto d = sh(sluice("topics describe " + topic_ + " --json"));
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_NE(d.out.find("\"user_data\""), std::string::npos) << d.out;  // the group and its lag
}

TEST_F(KafkaTest, KcatReadsWhatSluiceProducedByteForByte) {
  create_topic(3);
  auto p = sh(sluice("produce --records 500 --rate 0 --json"));
  ASSERT_EQ(p.code, 0) << p.err;
  auto k = sh("kcat -C -b " + kafka_bootstrap() + " -t " + topic_ + " -e -q -f '%p\\t%o\\t%k\\t%s\\n'");
  ASSERT_EQ(k.code, 0) << k.err;
  std::map<std::pair<int32_t, int64_t>, std::string> by_kcat;
  std::istringstream lines(k.out);
  for (std::string line; std::getline(lines, line);) {
    auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    by_kcat[{std::stoi(line.substr(0, t1)), std::stoll(line.substr(t1 + 1, t2 - t1 - 1))}] = line.substr(t2 + 1);
  }
  auto msgs = read_all();
  ASSERT_EQ(msgs.size(), 500u);
  ASSERT_EQ(by_kcat.size(), 500u);
  for (const auto& m : msgs) {
    auto it = by_kcat.find({m.partition, m.offset});
    ASSERT_NE(it, by_kcat.end()) << m.partition << "/" << m.offset;
    ASSERT_TRUE(m.key);
    EXPECT_EQ(it->second, *m.key + "\t" + m.value);
  }
}

// A producer queue of 200 records for 30,000: sluice hands records to librdkafka in
// batches (rd_kafka_produce_batch, no copy) and waits whenever the queue is full. Every
// record arrives once, with its id as key, in the partition that key hashes to (Kafka's
// murmur2).
TEST_F(KafkaTest, FullProducerQueueWaitsAndLosesNothing) {
  create_topic(3);
  auto p = sh(sluice("--set kafka.queue.buffering.max.messages=200 produce --records 30000 --rate 0 --json"));
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(JsonOut(p.out).integer("/produced"), 30000) << p.out;
  auto msgs = read_all();
  ASSERT_EQ(msgs.size(), 30000u);
  std::set<std::string> keys;
  for (const auto& m : msgs) {
    ASSERT_TRUE(m.key);
    keys.insert(*m.key);
    EXPECT_EQ(m.partition, partition_for_key(*m.key, 3)) << *m.key;
    EXPECT_NE(m.value.find("\"id\":\"" + *m.key + "\""), std::string::npos) << m.value;
  }
  EXPECT_EQ(keys.size(), 30000u);
}

// A generated record without its id, which the mapping draws at random on every run
// (uuid4, as the seed's DAG): the same for the same seed and record.
std::string without_id(const std::string& value) {
  std::string v = value;
  size_t at = v.find("\"id\":\"");
  if (at != std::string::npos) v.erase(at, 6 + 36);
  return v;
}

// The order the builtin generator makes records in for a seed, as record (without its
// id) -> index: the records produced to a one-partition topic of an embedded log.
std::map<std::string, size_t> generation_order(const fs::path& dir, int records, int seed) {
  const SluiceCommand order{.log = "file:" + (dir / "order-log").string(), .topic = "order"};
  EXPECT_EQ(run_shell(order.command("topics create order -p 1"), dir).code, 0);
  auto p = run_shell(order.command(fmt::format("produce --records {} --rate 0 --seed {}", records, seed)), dir);
  EXPECT_EQ(p.code, 0) << p.err;
  std::map<std::string, size_t> index;
  for (const auto& m : read_topic(order.log, "order", std::chrono::seconds(60)))
    index.emplace(without_id(m.value), index.size());
  EXPECT_EQ(index.size(), static_cast<size_t>(records));
  return index;
}

// Within each partition, records are in the order the generator made them.
void expect_generation_order(const std::vector<log::Message>& msgs, const std::map<std::string, size_t>& index) {
  std::map<int32_t, size_t> last;  // partition -> index of its last record so far (+1)
  for (const auto& m : msgs) {
    auto it = index.find(without_id(m.value));
    ASSERT_NE(it, index.end()) << "a record the generator did not make: " << m.value;
    EXPECT_GT(it->second + 1, last[m.partition]) << "partition " << m.partition << " offset " << m.offset;
    last[m.partition] = it->second + 1;
  }
}

// sluice hands keyed records to librdkafka grouped by partition, computing each one's
// partition with librdkafka's partitioner itself. For three partitioners: every record
// lands where librdkafka puts the same key when it partitions (kcat, the reference),
// once, and each partition holds its records in the order they were made, also through
// a full producer queue.
TEST_F(KafkaTest, GroupedSendingKeepsLibrdkafkasPartitionsAndEachPartitionsOrder) {
  constexpr int kRecords = 20000;
  auto index = generation_order(dir_.path(), kRecords, 7);
  for (std::string partitioner : {"murmur2_random", "fnv1a_random", "consistent"}) {
    SCOPED_TRACE(partitioner);
    std::string topic = topic_ + "-" + partitioner, ref = topic + "-ref";
    for (const auto& t : {topic, ref}) ASSERT_EQ(sh(sluice_on(t, "topics create " + t + " -p 3")).code, 0);
    auto p = sh(sluice_on(topic, fmt::format("--set kafka.partitioner={} --set kafka.queue.buffering.max.messages=500 "
                                             "produce --records {} --rate 0 --seed 7 --json",
                                             partitioner, kRecords)));
    ASSERT_EQ(p.code, 0) << p.err;
    auto msgs = read_topic(log_uri(), topic, std::chrono::seconds(60));
    ASSERT_EQ(msgs.size(), index.size());
    std::string keys_file = (dir_.path() / "keys.tsv").string();
    {
      std::ofstream out(keys_file);
      for (const auto& m : msgs) out << m.key.value_or("") << "\tx\n";
    }
    auto k = sh("kcat -P -b " + kafka_bootstrap() + " -t " + ref + " -X partitioner=" + partitioner + " -K '\t' -l '" +
                keys_file + "' && kcat -C -b " + kafka_bootstrap() + " -t " + ref + " -e -q -f '%p %k\\n'");
    ASSERT_EQ(k.code, 0) << k.err;
    std::map<std::string, int32_t> where;
    std::istringstream lines(k.out);
    for (std::string line; std::getline(lines, line);) where[line.substr(line.find(' ') + 1)] = std::stoi(line);
    ASSERT_EQ(where.size(), index.size());
    std::set<std::string> keys;
    std::set<int32_t> used;
    for (const auto& m : msgs) {
      keys.insert(m.key.value_or(""));
      used.insert(m.partition);
      EXPECT_EQ(m.partition, where[m.key.value_or("")]) << m.key.value_or("(no key)");
    }
    EXPECT_EQ(keys.size(), index.size()) << "a record is twice in the topic";
    EXPECT_EQ(used.size(), 3u);
    expect_generation_order(msgs, index);
  }
}

// Partitions added to the topic while sluice produces: sluice reads the partition count
// again every topic.metadata.refresh.interval.ms (1 s here), so keys move to the
// partition of the new count, as with librdkafka's and Java's own partitioning. Every
// record lands once, in its key's partition under the old count or the new one, each
// partition in generation order, and the last records all under the new count.
TEST_F(KafkaTest, AddedPartitionsTakeKeysAfterTheNextRefresh) {
  constexpr int kRecords = 40000;  // 8 s at 5,000 records/s
  auto index = generation_order(dir_.path(), kRecords, 11);
  create_topic(2);
  Process producer(sluice(fmt::format("--set kafka.topic.metadata.refresh.interval.ms=1000 "
                                      "produce --records {} --rate 5000 --seed 11 --json",
                                      kRecords)),
                   {.output = dir_.path() / "producer.txt"});
  {
    // The partitions are added once records flow under the old count: the topic's end
    // offsets have moved (2,000 records, 0.4 s of the run).
    log::LogSettings s;
    s.uri = log_uri();
    auto admin = log::open_log(s)->admin();
    ASSERT_TRUE(wait_for([&] { return records_in(*admin, topic_) >= 2000; }, 30s, "2,000 records in " + topic_))
        << producer.output();
  }
  auto alter = kafka_script("topics --alter --topic " + topic_ + " --partitions 4");
  ASSERT_EQ(alter.code, 0) << alter.out << alter.err;
  ASSERT_EQ(producer.wait(120s), 0) << producer.output();
  auto msgs = read_all();
  ASSERT_EQ(msgs.size(), index.size());
  std::set<std::string> keys;
  size_t in_new = 0, late = 0, late_under_new = 0;
  for (const auto& m : msgs) {
    std::string key = m.key.value_or("");
    keys.insert(key);
    int32_t old_p = partition_for_key(key, 2), new_p = partition_for_key(key, 4);
    EXPECT_TRUE(m.partition == old_p || m.partition == new_p) << key << " in partition " << m.partition;
    if (m.partition >= 2) ++in_new;
    if (index[without_id(m.value)] >= index.size() * 85 / 100) {
      ++late;
      late_under_new += m.partition == new_p;
    }
  }
  EXPECT_EQ(keys.size(), index.size()) << "a record is twice in the topic";
  EXPECT_GT(in_new, 0u) << "no record went to the added partitions";
  EXPECT_EQ(late_under_new, late) << "the last 15% of the records were not all placed by the new partition count";
  expect_generation_order(msgs, index);
}

// kcat publishes the fixture's records and one that is not JSON: the stream writes the
// records and sends the other to the dead-letter topic (its producer starts with that
// first dead letter), with the reason in a header.
TEST_F(KafkaTest, StreamWritesWhatKcatProduced) {
  create_topic(3);
  std::string file = (dir_.path() / "records.jsonl").string();
  {
    std::ofstream out(file);
    for (const auto& [id, json] : fixture_records()) out << json << "\n";
    out << "not json\n";
  }
  auto k = sh("kcat -P -b " + kafka_bootstrap() + " -t " + topic_ + " -l '" + file + "'");
  ASSERT_EQ(k.code, 0) << k.err;
  std::string dlq = topic_ + "-dlq";
  auto s = sh(sluice("--set dead_letter_topic=" + dlq + " stream --trigger available-now --json"));
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(JsonOut(s.out).integer("/dead_lettered"), 1) << s.out;
  expect_fixture_rows();
  auto dead = read_topic(log_uri(), dlq, std::chrono::seconds(60));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, "not json");
  bool has_reason = false;
  for (const auto& h : dead[0].headers) has_reason |= h.key == "error.reason" && !h.value.empty();
  EXPECT_TRUE(has_reason);
}

// The seed's DAG publishes with kafka-python, one json.dumps(...).encode('utf-8') a record.
TEST_F(KafkaTest, StreamWritesWhatTheSeedsPythonProducerPublished) {
  if (run_shell("python3 -c 'import kafka'").code != 0)
    GTEST_SKIP() << "kafka-python is not installed (pip install kafka-python)";
  create_topic(3);
  std::string file = (dir_.path() / "records.jsonl").string();
  {
    std::ofstream out(file);
    for (const auto& [id, json] : fixture_records()) out << json << "\n";
  }
  auto p = sh("python3 " + shell_quote((repo_root() / "tests" / "kafka" / "seed_producer.py").string()) + " " +
              kafka_bootstrap() + " " + topic_ + " '" + file + "'");
  ASSERT_EQ(p.code, 0) << p.out << p.err;
  auto s = sh(sluice("stream --trigger available-now --json"));
  ASSERT_EQ(s.code, 0) << s.err;
  expect_fixture_rows();
}

// The broker goes away for 20 s while records flow: the producer's records wait in its
// queue, the query reads nothing meanwhile, and afterwards every id is in the table once.
TEST_F(KafkaTest, BrokerStoppedFor20SecondsLosesAndDoublesNothing) {
  create_topic(3);
  Process run(sluice("run --for 40s --rate 500 --trigger 1s --json"), {.output = dir_.path() / "run.txt"});
  ASSERT_TRUE(wait_for([&] { return !table_column(db(), "SELECT id FROM users").empty(); }, 30s, "rows in the table"))
      << run.output();
  auto stop = kafka_script("stop");
  ASSERT_EQ(stop.code, 0) << stop.out << stop.err;
  // The outage itself: a duration under test, not a wait for something to happen.
  std::this_thread::sleep_for(20s);
  auto start = kafka_script("start");
  ASSERT_EQ(start.code, 0) << start.out << start.err;
  int code = run.wait(180s);
  auto out = run.output();
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(JsonOut(out).integer("/final_lag"), 0) << out;
  expect_table_equals_topic();
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// Two stream processes in one group on a 4-partition topic while a producer runs: one
// of them is killed -9, the survivor takes all four partitions over, the victim comes
// back (the group splits them again), and so on, the two taking turns. Afterwards the
// table holds every produced id exactly once.
TEST_F(KafkaTest, KillNineOneOfTwoStreamsInAGroup) {
  create_topic(4);
  // Short session and rebalance timeouts (max.poll.interval.ms is the latter), so that
  // the group notices a killed member in seconds.
  std::string stream_cmd = sluice(
      "--set kafka.session.timeout.ms=6000 --set kafka.heartbeat.interval.ms=500 "
      "--set kafka.max.poll.interval.ms=10000 stream --trigger 500ms");
  Process producer(sluice("produce --for 40s --rate 1000"), {.output = dir_.path() / "producer.txt"});
  fs::path logs[2] = {dir_.path() / "a.txt", dir_.path() / "b.txt"};
  Process streams[2] = {Process(stream_cmd, {.output = logs[0]}), Process(stream_cmd, {.output = logs[1]})};
  int kills = 0, takeovers = 0;
  for (; kills < 4; ) {
    // Let both work a while: a duration, not a wait for something to happen.
    std::this_thread::sleep_for(2s);
    int victim = kills % 2, survivor = 1 - victim;
    size_t before = count(slurp(logs[survivor]), "4 partitions assigned");
    streams[victim].signal(SIGKILL);
    streams[victim].wait(10s);
    ++kills;
    if (wait_for([&] { return count(slurp(logs[survivor]), "4 partitions assigned") > before; }, 40s,
                 "the survivor to take all four partitions"))
      ++takeovers;
    else
      ADD_FAILURE() << "kill " << kills << ": no takeover; the survivor's log:\n" << slurp(logs[survivor]);
    size_t assigned_before = count(slurp(logs[victim]), "partitions assigned");
    streams[victim] = Process(stream_cmd, {.output = logs[victim]});
    // The next kill waits for the rebalance this restart starts to finish: a member
    // killed mid-rebalance holds the group until the rebalance timeout.
    EXPECT_TRUE(wait_for([&] { return count(slurp(logs[victim]), "partitions assigned") > assigned_before; }, 30s,
                         "the restarted stream's partitions"));
  }
  EXPECT_EQ(producer.wait(120s), 0) << producer.output();
  EXPECT_EQ(takeovers, kills) << "the survivor did not take every partition over";
  // Let the group drain the topic, then stop both streams gracefully.
  auto total = read_all().size();
  EXPECT_TRUE(wait_for([&] { return table_column(db(), "SELECT id FROM users").size() >= total; }, 90s,
                       "every record of the topic in the table"))
      << "table has " << table_column(db(), "SELECT id FROM users").size() << " of " << total;
  for (auto& p : streams) p.signal(SIGTERM);
  for (auto& p : streams) EXPECT_EQ(p.wait(60s), 0);
  expect_table_equals_topic();
}

// The sink is down (another process holds SQLite's write lock) for longer than
// max.poll.interval.ms: the query waits and retries with its partitions paused while it
// keeps serving the group protocol, so the member is not kicked out; once the lock goes,
// the batch is written and committed.
TEST_F(KafkaTest, LongSinkStallKeepsTheGroupMembership) {
  create_topic(2);
  ASSERT_EQ(sh(sluice("produce --records 200 --rate 0")).code, 0);
  ASSERT_EQ(sh(sluice("stream --trigger available-now")).code, 0);  // creates the table
  ASSERT_EQ(sh(sluice("produce --records 300 --rate 0")).code, 0);
  // Holds the database's write lock for 15 s.
  Process locker("python3 -c \"import sqlite3, time; c = sqlite3.connect('" + db() +
                     "', isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); "
                     "time.sleep(15); c.execute('COMMIT')\"",
                 {.output = dir_.path() / "locker.txt"});
  ASSERT_TRUE(wait_for([&] { return locker.output().find("locked") != std::string::npos; }, 10s,
                       "the locker to hold the lock"));
  Process stream(sluice("--set kafka.session.timeout.ms=6000 --set kafka.max.poll.interval.ms=7000 "
                        "--set kafka.heartbeat.interval.ms=500 stream --trigger 500ms"),
                 {.output = dir_.path() / "stream.txt"});
  EXPECT_EQ(locker.wait(60s), 0);
  EXPECT_TRUE(wait_for([&] { return table_column(db(), "SELECT id FROM users").size() >= 500; }, 30s,
                       "500 rows in the table"));
  stream.signal(SIGTERM);
  EXPECT_EQ(stream.wait(60s), 0);
  auto log = stream.output();
  EXPECT_NE(log.find("sink not ready"), std::string::npos) << log;  // the stall happened
  EXPECT_EQ(log.find("maximum poll interval"), std::string::npos) << log;
  // Revoked once, at the graceful stop; never during the stall.
  EXPECT_EQ(count(log, "partitions revoked"), 1u) << log;
  expect_table_equals_topic();
}

}  // namespace
}  // namespace sluice::testing
