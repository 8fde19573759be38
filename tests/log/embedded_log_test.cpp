#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "common/murmur2.h"
#include "log/embedded/batch_format.h"
#include "log/embedded/segment_files.h"
#include "log/factory/open_log.h"
#include "support/scratch_dir.h"

namespace sluice::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class EmbeddedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.uri = "file:" + dir_.string();
    settings_.partitions = 3;
  }

  std::unique_ptr<Log> open() { return open_log(settings_); }

  static OutRecord rec(std::string_view topic, std::string_view value, std::optional<std::string_view> key = {},
                       int32_t partition = -1) {
    OutRecord r;
    r.topic = topic;
    r.value = value;
    r.key = key;
    r.partition = partition;
    return r;
  }

  // Reads every message of the topic from the start (waits until `expect` arrived).
  std::vector<Message> read_all(Log& log, const std::string& topic, size_t expect) {
    auto d = log.admin()->describe_topic(topic);
    std::vector<TopicPartitionOffset> a;
    for (auto& p : d.partitions) a.push_back({topic, p.partition, p.start_offset});
    auto c = log.consumer({});
    c->assign(a);
    std::vector<Message> out;
    auto end = std::chrono::steady_clock::now() + 10s;
    while (out.size() < expect && std::chrono::steady_clock::now() < end)
      for (auto& m : c->poll(10000, 20ms)) out.push_back(std::move(m));
    // Anything beyond `expect` must not be there either.
    for (auto& m : c->poll(10000, 0ms)) out.push_back(std::move(m));
    return out;
  }

  std::string part_dir(const std::string& topic, int p) { return (dir_ / topic / std::to_string(p)).string(); }

  sluice::testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path() / "log";  // the log's directory; the log makes it
  LogSettings settings_;
};

TEST_F(EmbeddedLogTest, RoundTripKeysValuesHeadersAndBinary) {
  auto log = open();
  ASSERT_TRUE(log->admin()->create_topic("t", 1, 1));
  EXPECT_FALSE(log->admin()->create_topic("t", 1, 1));
  auto p = log->producer();
  std::string binary("\0\x01\xff\n\"x", 6);
  Header hs[] = {{"h1", "v1"}, {"", ""}, {"bin", binary}};
  OutRecord r1 = rec("t", "plain", "k1");
  r1.headers = hs;
  r1.timestamp_ms = 1234;
  p->send(r1);
  p->send(rec("t", "", std::nullopt));  // null key, empty value
  p->send(rec("t", binary, ""));        // empty (not null) key
  auto st = p->flush(1s);
  EXPECT_EQ(st.acked, 3u);
  EXPECT_EQ(st.failed, 0u);
  auto msgs = read_all(*log, "t", 3);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].value, "plain");
  EXPECT_EQ(*msgs[0].key, "k1");
  EXPECT_EQ(msgs[0].timestamp_ms, 1234);
  EXPECT_EQ(msgs[0].headers, std::vector<Header>(std::begin(hs), std::end(hs)));
  EXPECT_FALSE(msgs[1].key);
  EXPECT_EQ(msgs[1].value, "");
  EXPECT_GT(msgs[1].timestamp_ms, 1'600'000'000'000);
  EXPECT_EQ(*msgs[2].key, "");
  EXPECT_EQ(msgs[2].value, binary);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(msgs[i].offset, i);
}

TEST_F(EmbeddedLogTest, KeyedRecordsLandOnKafkasPartition) {
  auto log = open();
  log->admin()->create_topic("t", 4, 1);
  auto p = log->producer();
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("user-" + std::to_string(i));
  for (auto& k : keys) p->send(rec("t", "v", k));
  p->flush(1s);
  auto msgs = read_all(*log, "t", keys.size());
  ASSERT_EQ(msgs.size(), keys.size());
  std::set<int32_t> used;
  for (auto& m : msgs) {
    EXPECT_EQ(m.partition, partition_for_key(*m.key, 4)) << *m.key;
    used.insert(m.partition);
  }
  EXPECT_EQ(used.size(), 4u);
}

TEST_F(EmbeddedLogTest, SegmentsRollBySizeAndReadersFollow) {
  settings_.embedded.segment_bytes = 8192;
  settings_.embedded.batch_bytes = 1024;
  auto log = open();
  log->admin()->create_topic("t", 1, 1);
  auto p = log->producer();
  std::string value(300, 'x');
  for (int i = 0; i < 500; ++i) {
    value[0] = static_cast<char>('a' + i % 26);
    p->send(rec("t", value));
  }
  p->flush(1s);
  auto segs = embedded::list_segments(part_dir("t", 0));
  EXPECT_GT(segs.size(), 10u);
  for (size_t i = 1; i < segs.size(); ++i) EXPECT_GT(segs[i].base, segs[i - 1].base);
  auto msgs = read_all(*log, "t", 500);
  ASSERT_EQ(msgs.size(), 500u);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(msgs[i].offset, i);
    EXPECT_EQ(msgs[i].value[0], static_cast<char>('a' + i % 26));
  }
  // A reader positioned in the middle (via the index) starts exactly there.
  auto c = log->consumer({});
  c->assign({{"t", 0, 321}});
  auto some = c->poll(5, 1s);
  ASSERT_FALSE(some.empty());
  EXPECT_EQ(some[0].offset, 321);
}

TEST_F(EmbeddedLogTest, RetentionBySizeKeepsTheNewestSegments) {
  settings_.embedded.segment_bytes = 4096;
  settings_.embedded.batch_bytes = 1024;
  settings_.embedded.retention_bytes = 16384;
  auto log = open();
  auto p = log->producer();
  std::string value(200, 'r');
  for (int i = 0; i < 1000; ++i) p->send(rec("t", value, std::nullopt, 0));
  p->flush(1s);
  int64_t bytes = 0;
  for (auto& s : embedded::list_segments(part_dir("t", 0))) bytes += static_cast<int64_t>(fs::file_size(s.log_path));
  EXPECT_LE(bytes, 16384 + 4096);
  auto d = log->admin()->describe_topic("t");
  EXPECT_GT(d.partitions[0].start_offset, 0);
  EXPECT_EQ(d.partitions[0].end_offset, 1000);
  // A reader from offset 0 is moved to the first offset still held.
  auto msgs = read_all(*log, "t", static_cast<size_t>(1000 - d.partitions[0].start_offset));
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.front().offset, d.partitions[0].start_offset);
  EXPECT_EQ(msgs.back().offset, 999);
}

TEST_F(EmbeddedLogTest, RetentionByAgeDeletesOldSegments) {
  settings_.embedded.segment_bytes = 4096;
  settings_.embedded.batch_bytes = 1024;
  settings_.embedded.retention = std::chrono::hours(1);
  {
    auto log = open();
    auto p = log->producer();
    for (int i = 0; i < 200; ++i) p->send(rec("t", std::string(200, 'o'), std::nullopt, 0));
    p->flush(1s);
  }
  auto segs = embedded::list_segments(part_dir("t", 0));
  ASSERT_GT(segs.size(), 3u);
  // Age all but the newest two segments by two hours.
  for (size_t i = 0; i + 2 < segs.size(); ++i) {
    struct utimbuf old {};
    old.actime = old.modtime = ::time(nullptr) - 7200;
    ASSERT_EQ(::utime(segs[i].log_path.c_str(), &old), 0);
  }
  auto log = open();
  auto p = log->producer();
  p->send(rec("t", "new", std::nullopt, 0));  // opening the writer applies retention
  p->flush(1s);
  EXPECT_EQ(embedded::list_segments(part_dir("t", 0)).size(), 2u);
}

TEST_F(EmbeddedLogTest, EveryFsyncPolicyAcknowledgesWrittenRecords) {
  for (auto policy : {FsyncPolicy::always, FsyncPolicy::never, FsyncPolicy::interval}) {
    settings_.embedded.fsync = policy;
    settings_.embedded.fsync_interval = 10ms;
    auto log = open();
    std::string topic = "t" + std::to_string(static_cast<int>(policy));
    auto p = log->producer();
    for (int i = 0; i < 100; ++i) p->send(rec(topic, "v" + std::to_string(i)));
    EXPECT_EQ(p->flush(1s).acked, 100u);
    std::this_thread::sleep_for(30ms);  // lets the interval thread run once (not an assertion on time)
    EXPECT_EQ(read_all(*log, topic, 100).size(), 100u);
  }
}

// Retention deleted records a group had not read: data loss, which stops the reader
// (Spark's failOnDataLoss) or, when allowed, is skipped with a warning.
TEST_F(EmbeddedLogTest, CommittedOffsetDeletedByRetentionIsDataLoss) {
  settings_.embedded.segment_bytes = 4096;
  settings_.embedded.batch_bytes = 1024;
  settings_.embedded.retention_bytes = 16384;
  auto log = open();
  log->admin()->create_topic("t", 1, 1);
  {
    auto c = log->consumer({"g", StartFrom::earliest});
    c->subscribe({"t"});
    c->commit({{"t", 0, 0}});  // read nothing yet
  }
  auto p = log->producer();
  std::string value(200, 'r');
  for (int i = 0; i < 1000; ++i) p->send(rec("t", value, std::nullopt, 0));
  p->flush(1s);
  int64_t start = log->admin()->describe_topic("t").partitions[0].start_offset;
  ASSERT_GT(start, 0);
  {
    auto c = log->consumer({"g", StartFrom::earliest});
    try {
      c->subscribe({"t"});
      FAIL() << "expected a DataLossError";
    } catch (const DataLossError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("data loss: group g committed offset 0 of t/0"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("stream.fail_on_data_loss=false"));
    }
  }
  ConsumerOptions lenient{"g", StartFrom::earliest};
  lenient.fail_on_data_loss = false;
  auto c = log->consumer(lenient);
  c->subscribe({"t"});
  auto msgs = c->poll(10, 1s);
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.front().offset, start);
}

TEST_F(EmbeddedLogTest, GroupOffsetsCommitReloadAndStartPositions) {
  auto log = open();
  log->admin()->create_topic("t", 2, 1);
  auto p = log->producer();
  for (int i = 0; i < 10; ++i) p->send(rec("t", "v", std::nullopt, i % 2));
  p->flush(1s);
  {
    auto c = log->consumer({"g", StartFrom::earliest});
    c->subscribe({"t"});
    auto msgs = c->poll(100, 1s);
    EXPECT_EQ(msgs.size(), 10u);
    EXPECT_EQ(c->commit({{"t", 0, 3}, {"t", 1, 5}}).size(), 2u);
    EXPECT_EQ(c->committed().size(), 2u);
  }
  {
    auto c = log->consumer({"g", StartFrom::earliest});
    c->subscribe({"t"});
    auto msgs = c->poll(100, 1s);
    EXPECT_EQ(msgs.size(), 2u);  // partition 0 from 3 (3,4); partition 1 from 5 (none)
    for (auto& m : msgs) EXPECT_EQ(m.partition, 0);
  }
  auto groups = log->admin()->group_offsets("t");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].group, "g");
  EXPECT_EQ(groups[0].committed.at(0), 3);
  EXPECT_EQ(groups[0].committed.at(1), 5);
  {
    auto c = log->consumer({"new", StartFrom::latest});
    c->subscribe({"t"});
    EXPECT_TRUE(c->poll(100, 50ms).empty());
    p->send(rec("t", "after", std::nullopt, 1));
    p->flush(1s);
    auto msgs = c->poll(100, 1s);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].value, "after");
  }
}

TEST_F(EmbeddedLogTest, SecondConsumerOfAGroupIsRefused) {
  auto log = open();
  log->admin()->create_topic("t", 1, 1);
  auto a = log->consumer({"g"});
  a->subscribe({"t"});
  auto b = log->consumer({"g"});
  try {
    b->subscribe({"t"});
    FAIL() << "second consumer of the group accepted";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("consumer group g"), std::string::npos) << e.what();
  }
}

TEST_F(EmbeddedLogTest, SecondWriterOfATopicIsRefused) {
  // No fsync thread: this test forks while the first writer lives, and a process with
  // threads should not fork (TSan refuses to).
  settings_.embedded.fsync = FsyncPolicy::never;
  auto log = open();
  auto a = log->producer();
  a->send(rec("t", "x"));
  auto b = log->producer();
  try {
    b->send(rec("t", "y"));
    FAIL() << "second writer accepted";
  } catch (const FatalError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("topic t"), std::string::npos) << msg;
    EXPECT_NE(msg.find("process " + std::to_string(::getpid())), std::string::npos) << msg;
  }
  // And from another process.
  pid_t child = fork();
  if (child == 0) {
    try {
      auto l = open_log(settings_);
      auto c = l->producer();
      c->send(rec("t", "z"));
      _exit(0);
    } catch (const FatalError&) {
      _exit(42);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

TEST_F(EmbeddedLogTest, SharedProducersOfSeveralProcessesInterleave) {
  auto log = open();
  log->admin()->create_topic("dlq", 1, 1);
  std::vector<pid_t> kids;
  for (int k = 0; k < 2; ++k) {
    pid_t child = fork();
    if (child == 0) {
      auto l = open_log(settings_);
      auto p = l->producer({.exclusive = false});
      for (int i = 0; i < 50; ++i) {
        p->send(rec("dlq", "p" + std::to_string(k) + "-" + std::to_string(i)));
        p->flush(1s);
      }
      _exit(p->poll().acked == 50 ? 0 : 1);
    }
    kids.push_back(child);
  }
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto msgs = read_all(*log, "dlq", 100);
  ASSERT_EQ(msgs.size(), 100u);
  std::set<std::string> values;
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].offset, static_cast<int64_t>(i));
    values.insert(msgs[i].value);
  }
  EXPECT_EQ(values.size(), 100u);
}

TEST_F(EmbeddedLogTest, OneWriterAndTwoReaderProcessesAtOnce) {
  auto log = open();
  log->admin()->create_topic("t", 2, 1);
  const int n = 20000;
  std::vector<pid_t> readers;
  for (int k = 0; k < 2; ++k) {
    pid_t child = fork();
    if (child == 0) {
      auto l = open_log(settings_);
      auto c = l->consumer({"reader" + std::to_string(k)});
      c->subscribe({"t"});
      std::map<int32_t, int64_t> next;
      int got = 0;
      auto end = std::chrono::steady_clock::now() + 30s;
      while (got < n && std::chrono::steady_clock::now() < end) {
        for (auto& m : c->poll(1000, 50ms)) {
          if (m.offset != next[m.partition]) _exit(2);  // a gap or a repeat
          next[m.partition] = m.offset + 1;
          if (m.value != "v" + std::to_string(std::stoi(m.key.value()))) _exit(3);
          ++got;
        }
      }
      _exit(got == n && c->poll(10, 100ms).empty() ? 0 : 1);
    }
    readers.push_back(child);
  }
  auto p = log->producer();
  for (int i = 0; i < n; ++i) {
    std::string k = std::to_string(i);
    p->send(rec("t", "v" + k, k));
    if (i % 100 == 0) p->poll();
  }
  p->flush(1s);
  for (pid_t r : readers) {
    int status = 0;
    waitpid(r, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
}

// Writes batches, then for every byte offset inside the last batch cuts a copy of the
// partition there, reopens it and checks recovery.
TEST_F(EmbeddedLogTest, RecoveryTruncatesATornLastBatchAtEveryByte) {
  settings_.embedded.batch_bytes = 1 << 20;
  {
    auto log = open();
    log->admin()->create_topic("t", 1, 1);
    auto p = log->producer();
    for (int b = 0; b < 4; ++b) {
      for (int i = 0; i < 5; ++i) p->send(rec("t", "batch" + std::to_string(b) + "-" + std::to_string(i)));
      p->flush(1s);  // one batch of 5 records
    }
  }
  auto segs = embedded::list_segments(part_dir("t", 0));
  ASSERT_EQ(segs.size(), 1u);
  auto full = fs::file_size(segs[0].log_path);
  // Find where the last batch starts: walk the batches.
  std::ifstream in(segs[0].log_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  size_t pos = 0, last_start = 0;
  while (pos < bytes.size()) {
    embedded::BatchHeader h;
    ASSERT_EQ(embedded::check_batch(std::string_view(bytes).substr(pos), h), embedded::DecodeStatus::ok);
    last_start = pos;
    pos += h.total_size();
  }
  ASSERT_EQ(pos, full);
  fs::path copy_root = dir_.string() + "-copy";
  for (size_t cut = last_start; cut < full; ++cut) {
    fs::remove_all(copy_root);
    fs::copy(dir_, copy_root, fs::copy_options::recursive);
    fs::resize_file(copy_root / "t" / "0" / fs::path(segs[0].log_path).filename(), cut);
    LogSettings s = settings_;
    s.uri = "file:" + copy_root.string();
    auto log = open_log(s);
    auto reader_view = log->consumer({});
    reader_view->assign({{"t", 0, 0}});
    auto before = reader_view->poll(100, 20ms);
    ASSERT_EQ(before.size(), 15u) << "cut at " << cut;  // the torn batch is never served
    auto p = log->producer();
    p->send(rec("t", "after-recovery"));
    ASSERT_EQ(p->flush(1s).acked, 1u);
    auto c = log->consumer({});
    c->assign({{"t", 0, 0}});
    std::vector<Message> msgs;
    for (int tries = 0; tries < 50 && msgs.size() < 16; ++tries)
      for (auto& m : c->poll(100, 10ms)) msgs.push_back(std::move(m));
    ASSERT_EQ(msgs.size(), 16u) << "cut at " << cut;
    EXPECT_EQ(msgs[14].value, "batch2-4");
    EXPECT_EQ(msgs[15].value, "after-recovery");
    EXPECT_EQ(msgs[15].offset, 15);
  }
  fs::remove_all(copy_root);
}

TEST_F(EmbeddedLogTest, RecoveryDropsACorruptLastBatchAndNeverServesIt) {
  {
    auto log = open();
    log->admin()->create_topic("t", 1, 1);
    auto p = log->producer();
    for (int b = 0; b < 3; ++b) {
      for (int i = 0; i < 4; ++i) p->send(rec("t", "b" + std::to_string(b) + "-" + std::to_string(i)));
      p->flush(1s);
    }
  }
  auto seg = embedded::list_segments(part_dir("t", 0))[0].log_path;
  std::ifstream in(seg, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  size_t pos = 0, last_start = 0;
  while (pos < bytes.size()) {
    embedded::BatchHeader h;
    ASSERT_EQ(embedded::check_batch(std::string_view(bytes).substr(pos), h), embedded::DecodeStatus::ok);
    last_start = pos;
    pos += h.total_size();
  }
  fs::path copy_root = dir_.string() + "-flip";
  for (size_t at : {last_start + 12, last_start + 17, last_start + 21, last_start + 45, bytes.size() - 1}) {
    fs::remove_all(copy_root);
    fs::copy(dir_, copy_root, fs::copy_options::recursive);
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    std::ofstream(copy_root / "t" / "0" / fs::path(seg).filename(), std::ios::binary | std::ios::trunc) << flipped;
    LogSettings s = settings_;
    s.uri = "file:" + copy_root.string();
    auto log = open_log(s);
    // A reader before recovery serves the good batches only.
    auto r = log->consumer({});
    r->assign({{"t", 0, 0}});
    auto seen = r->poll(100, 20ms);
    EXPECT_EQ(seen.size(), 8u) << "flip at " << at;
    for (auto& m : seen) EXPECT_EQ(m.value[1], m.offset < 4 ? '0' : '1');
    // Recovery (opening the writer) drops it; appends continue at offset 8.
    auto p = log->producer();
    p->send(rec("t", "next"));
    p->flush(1s);
    auto c = log->consumer({});
    c->assign({{"t", 0, 0}});
    std::vector<Message> msgs;
    for (int tries = 0; tries < 50 && msgs.size() < 9; ++tries)
      for (auto& m : c->poll(100, 10ms)) msgs.push_back(std::move(m));
    ASSERT_EQ(msgs.size(), 9u) << "flip at " << at;
    EXPECT_EQ(msgs[8].value, "next");
    EXPECT_EQ(msgs[8].offset, 8);
  }
  fs::remove_all(copy_root);
}

TEST_F(EmbeddedLogTest, BadUrisAndTopicNamesAreUsageErrors) {
  LogSettings s;
  s.uri = "nosuch:/x";
  EXPECT_THROW(open_log(s), UsageError);
  s.uri = "file:";
  EXPECT_THROW(open_log(s), UsageError);
  auto log = open();
  EXPECT_THROW(log->admin()->create_topic("bad/name", 1, 1), UsageError);
  EXPECT_THROW(log->admin()->describe_topic("missing"), UsageError);
  EXPECT_FALSE(fs::exists(dir_));  // nothing written by failed calls
}

TEST(BatchFormat, DecoderRejectsEveryTruncationAndBitFlipOfTheHeader) {
  embedded::BatchBuilder b;
  OutRecord r;
  r.topic = "t";
  r.value = "hello";
  r.key = "k";
  b.add(r, 1000);
  b.add(r, 1001);
  std::string batch(b.seal(7));
  embedded::BatchHeader h;
  ASSERT_EQ(embedded::check_batch(batch, h), embedded::DecodeStatus::ok);
  EXPECT_EQ(h.base_offset, 7);
  EXPECT_EQ(h.record_count, 2u);
  std::vector<Message> out;
  ASSERT_TRUE(embedded::decode_records(batch, h, "t", 0, 8, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].offset, 8);
  EXPECT_EQ(out[0].timestamp_ms, 1001);
  for (size_t cut = 0; cut < batch.size(); ++cut)
    EXPECT_NE(embedded::check_batch(std::string_view(batch).substr(0, cut), h), embedded::DecodeStatus::ok) << cut;
  for (size_t i = 12; i < batch.size(); ++i) {
    std::string bad = batch;
    bad[i] ^= 1;
    EXPECT_NE(embedded::check_batch(bad, h), embedded::DecodeStatus::ok) << i;
  }
}

}  // namespace
}  // namespace sluice::log
