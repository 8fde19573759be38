// The Kafka producer's staging pool on its own, without librdkafka: a delivery report
// is simulated by what the producer's delivery callback does, release() of the record's
// chunk. The pool's promise: a chunk's bytes stay put while any record in it awaits its
// report, at most 64 chunks of 1 MiB exist, and a chunk comes back for reuse once the
// writer and every record have released it.
#include "log/kafka/staging_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice::log::kafka {
namespace {

using Chunk = StagingPool::Chunk;

// Stages `records` records of `bytes` bytes in c and hands them all over (pins them),
// as the producer does: returns their offsets.
std::vector<size_t> stage_and_hand_over(Chunk* c, size_t records, size_t bytes, char fill) {
  std::vector<size_t> at;
  std::string value(bytes, fill);
  for (size_t i = 0; i < records; ++i) at.push_back(c->append(value));
  StagingPool::pin(c, static_cast<uint32_t>(records));
  return at;
}

TEST(StagingPoolTest, TheCapIs64ChunksOf1MiB) {
  static_assert(StagingPool::kChunkBytes == 1u << 20);
  static_assert(StagingPool::kMaxChunks == 64);
  static_assert(StagingPool::kMaxBytes == 64u << 20);
}

TEST(StagingPoolTest, AChunkHandedOutIsEmptyAndHoldsTheWritersReference) {
  StagingPool pool;
  EXPECT_EQ(pool.chunks(), 0u);  // nothing allocated before the first record
  Chunk* c = pool.acquire();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->used(), 0u);
  EXPECT_EQ(c->refs(), 1u);
  EXPECT_EQ(pool.chunks(), 1u);
  EXPECT_EQ(pool.free_chunks(), 0u);
}

TEST(StagingPoolTest, AppendCopiesRecordsOneAfterAnother) {
  StagingPool pool;
  Chunk* c = pool.acquire();
  std::string key = "user-17", value = R"({"name":"Ada"})";
  size_t key_at = c->append(key);
  size_t value_at = c->append(value);
  key = "changed";  // the chunk holds a copy: the caller's buffer may be reused at once
  value.clear();
  EXPECT_EQ(key_at, 0u);
  EXPECT_EQ(value_at, 7u);
  EXPECT_EQ(c->used(), 7u + 14u);
  EXPECT_EQ(std::string_view(c->data() + key_at, 7), "user-17");
  EXPECT_EQ(std::string_view(c->data() + value_at, 14), R"({"name":"Ada"})");
  EXPECT_EQ(c->append(""), 21u);  // an empty value takes no room
  EXPECT_EQ(c->used(), 21u);
}

TEST(StagingPoolTest, FitsUpToExactlyOneChunk) {
  StagingPool pool;
  Chunk* c = pool.acquire();
  EXPECT_TRUE(c->fits(StagingPool::kChunkBytes));
  EXPECT_FALSE(c->fits(StagingPool::kChunkBytes + 1));
  std::string record(1000, 'r');
  size_t n = 0;
  while (c->fits(record.size())) {
    c->append(record);
    ++n;
  }
  EXPECT_EQ(n, StagingPool::kChunkBytes / 1000);
  EXPECT_EQ(c->used(), n * 1000);
  size_t room = StagingPool::kChunkBytes - c->used();
  EXPECT_TRUE(c->fits(room));
  EXPECT_FALSE(c->fits(room + 1));
  c->append(std::string(room, 'z'));  // the last byte of the chunk is usable
  EXPECT_EQ(c->used(), StagingPool::kChunkBytes);
  EXPECT_EQ(c->data()[StagingPool::kChunkBytes - 1], 'z');
  EXPECT_TRUE(c->fits(0));
  EXPECT_FALSE(c->fits(1));
}

TEST(StagingPoolTest, AChunkReturnsOnlyOnceTheWriterAndEveryRecordReleasedIt) {
  StagingPool pool;
  Chunk* c = pool.acquire();
  stage_and_hand_over(c, 3, 100, 'a');
  EXPECT_EQ(c->refs(), 4u);  // the writer's and one per record
  pool.release(c);           // the writer moves to another chunk
  EXPECT_EQ(c->refs(), 3u);
  EXPECT_EQ(pool.free_chunks(), 0u);
  pool.release(c);  // two delivery reports
  pool.release(c);
  EXPECT_EQ(c->refs(), 1u);
  EXPECT_EQ(pool.free_chunks(), 0u);
  pool.release(c);  // the last one
  EXPECT_EQ(c->refs(), 0u);
  EXPECT_EQ(pool.free_chunks(), 1u);
  EXPECT_EQ(pool.chunks(), 1u);
}

TEST(StagingPoolTest, DeliveriesBeforeTheWriterLetsGoKeepTheChunkOut) {
  StagingPool pool;
  Chunk* c = pool.acquire();
  stage_and_hand_over(c, 2, 10, 'a');
  pool.release(c);  // both records acknowledged while the writer still appends
  pool.release(c);
  EXPECT_EQ(c->refs(), 1u);
  EXPECT_EQ(pool.free_chunks(), 0u);
  c->append("more");  // still the writer's
  EXPECT_EQ(c->used(), 24u);
  pool.release(c);
  EXPECT_EQ(pool.free_chunks(), 1u);
}

TEST(StagingPoolTest, AReturnedChunkIsReusedEmptyInsteadOfANewOne) {
  StagingPool pool;
  Chunk* c = pool.acquire();
  stage_and_hand_over(c, 5, 200, 'a');
  pool.release(c);
  for (int i = 0; i < 5; ++i) pool.release(c);
  ASSERT_EQ(pool.free_chunks(), 1u);
  Chunk* again = pool.acquire();
  EXPECT_EQ(again, c);
  EXPECT_EQ(again->used(), 0u);  // starts empty
  EXPECT_EQ(again->refs(), 1u);  // with the writer's reference only
  EXPECT_EQ(again->append("x"), 0u);
  EXPECT_EQ(pool.chunks(), 1u);  // no second chunk allocated
  EXPECT_EQ(pool.free_chunks(), 0u);
}

TEST(StagingPoolTest, AWriterThatHandedNothingOverGetsItsChunkBack) {
  // The producer releases its open chunk before asking for another: with none of its
  // records in flight, the same chunk comes straight back.
  StagingPool pool;
  Chunk* c = pool.acquire();
  c->append("staged, then taken back");
  pool.release(c);
  EXPECT_EQ(pool.free_chunks(), 1u);
  EXPECT_EQ(pool.acquire(), c);
  EXPECT_EQ(pool.chunks(), 1u);
}

TEST(StagingPoolTest, TheMostRecentlyReturnedChunkIsReusedFirst) {
  StagingPool pool;
  Chunk* a = pool.acquire();
  Chunk* b = pool.acquire();
  ASSERT_NE(a, b);
  pool.release(a);
  pool.release(b);
  EXPECT_EQ(pool.acquire(), b);  // the one still in the CPU's cache
  EXPECT_EQ(pool.acquire(), a);
  EXPECT_EQ(pool.chunks(), 2u);
}

TEST(StagingPoolTest, PastTheCapNoChunkUntilADeliveryReportFreesOne) {
  StagingPool pool;
  std::vector<Chunk*> pinned;
  std::set<Chunk*> distinct;
  for (size_t i = 0; i < StagingPool::kMaxChunks; ++i) {
    Chunk* c = pool.acquire();
    ASSERT_NE(c, nullptr) << "chunk " << i;
    stage_and_hand_over(c, 2, 1000, static_cast<char>('A' + i % 26));
    pool.release(c);  // the writer moves on; the two records still pin it
    pinned.push_back(c);
    distinct.insert(c);
  }
  EXPECT_EQ(distinct.size(), StagingPool::kMaxChunks);
  EXPECT_EQ(pool.chunks(), StagingPool::kMaxChunks);
  EXPECT_EQ(pool.free_chunks(), 0u);
  // 64 MiB pinned: no chunk, however often the producer asks, and none allocated.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.acquire(), nullptr);
  EXPECT_EQ(pool.chunks(), StagingPool::kMaxChunks);

  // One record of chunk 10 acknowledged: it still pins its chunk.
  pool.release(pinned[10]);
  EXPECT_EQ(pool.acquire(), nullptr);
  // The other one too: chunk 10 is back, and it is the one handed out.
  pool.release(pinned[10]);
  EXPECT_EQ(pool.free_chunks(), 1u);
  Chunk* c = pool.acquire();
  EXPECT_EQ(c, pinned[10]);
  EXPECT_EQ(c->used(), 0u);
  EXPECT_EQ(pool.acquire(), nullptr);  // and then none again
  EXPECT_EQ(pool.chunks(), StagingPool::kMaxChunks);
}

TEST(StagingPoolTest, APinnedChunksBytesStayPutWhileOthersAreReused) {
  StagingPool pool;
  Chunk* waiting = pool.acquire();  // its records wait for a slow partition's leader
  auto at = stage_and_hand_over(waiting, 100, 500, 'w');
  pool.release(waiting);
  // Meanwhile other chunks go round and round, each fully acknowledged.
  for (int round = 0; round < 200; ++round) {
    Chunk* c = pool.acquire();
    ASSERT_NE(c, nullptr);
    ASSERT_NE(c, waiting);
    stage_and_hand_over(c, 10, 1000, static_cast<char>('a' + round % 26));
    pool.release(c);
    for (int i = 0; i < 10; ++i) pool.release(c);
  }
  EXPECT_EQ(pool.chunks(), 2u);  // one chunk served all 200 rounds
  for (size_t a : at) EXPECT_EQ(std::string_view(waiting->data() + a, 500), std::string(500, 'w'));
  for (int i = 0; i < 100; ++i) pool.release(waiting);
  EXPECT_EQ(pool.free_chunks(), 2u);
}

// The producer's threads as in production: the producing thread stages, hands over
// and moves to the next chunk; another thread serves delivery reports (librdkafka
// serves them on whichever thread calls poll), one release per record. Every chunk
// comes back, never more than the cap exist, and a chunk handed out again is one whose
// every record was reported. Run under TSan to check the counts' memory order.
TEST(StagingPoolTest, DeliveryReportsOnAnotherThreadReturnEveryChunk) {
  StagingPool pool;
  constexpr int kChunksFilled = 500;
  constexpr size_t kRecords = 64;
  constexpr size_t kRecordBytes = 8192;
  struct Report {
    Chunk* chunk;
    size_t at;  // where the record starts
    char tag;   // its first byte, as staged
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Report> reports;  // one per record handed over
  bool done = false;
  std::atomic<int> overwritten{0};
  std::thread poller([&] {
    std::unique_lock lk(mu);
    while (true) {
      cv.wait(lk, [&] { return done || !reports.empty(); });
      if (reports.empty()) return;
      Report r = reports.front();
      reports.pop_front();
      lk.unlock();
      // librdkafka reads the record until this report: it must not have been reused.
      if (r.chunk->data()[r.at] != r.tag) overwritten.fetch_add(1);
      pool.release(r.chunk);
      lk.lock();
    }
  });
  std::string record(kRecordBytes, 'r');
  for (int n = 0; n < kChunksFilled;) {
    Chunk* c = pool.acquire();
    if (!c) {  // every chunk pinned: the producer would copy the record into librdkafka
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(c->used(), 0u);
    std::vector<Report> staged;
    for (size_t i = 0; i < kRecords; ++i) {
      record[0] = static_cast<char>(n * 7 + i);
      staged.push_back({c, c->append(record), record[0]});
    }
    StagingPool::pin(c, kRecords);
    {
      std::lock_guard lk(mu);
      reports.insert(reports.end(), staged.begin(), staged.end());
    }
    cv.notify_one();
    pool.release(c);  // the writer moves on
    ++n;
  }
  {
    std::lock_guard lk(mu);
    done = true;
  }
  cv.notify_one();
  poller.join();
  EXPECT_EQ(overwritten.load(), 0);
  EXPECT_GE(pool.chunks(), 1u);
  EXPECT_LE(pool.chunks(), StagingPool::kMaxChunks);
  EXPECT_EQ(pool.free_chunks(), pool.chunks());  // every chunk back in the pool
}

}  // namespace
}  // namespace sluice::log::kafka
