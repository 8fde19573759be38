#pragma once
// The Kafka producer's staging memory: a pool of fixed-size chunks that staged records'
// bytes are copied into, and that librdkafka then reads without a copy of its own until
// each record's delivery report. No librdkafka here: the pool only counts references,
// so it is tested on its own (tests/log/staging_pool_test.cpp).
//
// Reference counting. acquire() hands out an empty chunk holding one reference, the
// writer's, for as long as records are appended to it. pin() adds one reference per
// record handed to librdkafka (before any delivery report for them can be served), and
// each delivery report drops one with release(). The writer drops its own with
// release() when it moves to another chunk. The last release() puts the chunk back in
// the pool, from which acquire() reuses it.
//
// The cap: at most kMaxChunks chunks of kChunkBytes (64 MiB) exist. When all of them are
// pinned by records not yet acknowledged (a partition whose leader is down pins every
// chunk holding one of its records), acquire() returns nullptr and the producer hands
// records to librdkafka with a copy instead, one at a time, until a chunk comes back.
//
// Threading: acquire(), pin() and Chunk::append() are called by the producing thread
// only. release() may be called from any thread (librdkafka serves delivery reports
// on the thread that calls rd_kafka_poll/flush); the pool's free list is locked and
// the count is atomic. Chunks live as long as the pool: its owner must destroy the pool
// only after librdkafka can no longer read records' bytes (after rd_kafka_destroy).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace sluice::log::kafka {

class StagingPool {
 public:
  static constexpr size_t kChunkBytes = 1 << 20;
  static constexpr size_t kMaxChunks = 64;
  static constexpr size_t kMaxBytes = kChunkBytes * kMaxChunks;

  class Chunk {
   public:
    // Copies `s` after the bytes already appended and returns where it starts. The
    // caller checks fits() first; only the writer (the holder of the writer's
    // reference) appends.
    size_t append(std::string_view s);
    bool fits(size_t n) const { return used_ + n <= kChunkBytes; }
    const char* data() const { return bytes_.get(); }
    size_t used() const { return used_; }
    uint32_t refs() const { return refs_.load(std::memory_order_acquire); }

   private:
    friend class StagingPool;
    std::unique_ptr<char[]> bytes_{new char[kChunkBytes]};
    size_t used_ = 0;
    std::atomic<uint32_t> refs_{0};
  };

  StagingPool() = default;
  StagingPool(const StagingPool&) = delete;
  StagingPool& operator=(const StagingPool&) = delete;

  // An empty chunk holding the writer's reference: one returned to the pool, else a
  // new one while fewer than kMaxChunks exist; nullptr if every chunk is pinned.
  Chunk* acquire();
  // `records` of the chunk's records were handed to librdkafka: one reference each,
  // dropped by their delivery reports. The caller still holds the writer's reference.
  static void pin(Chunk* c, uint32_t records) { c->refs_.fetch_add(records, std::memory_order_relaxed); }
  // Drops one reference; the last one returns the chunk to the pool. Any thread.
  void release(Chunk* c);

  // For tests and diagnostics: chunks allocated so far, and those in the pool (free).
  size_t chunks() const;
  size_t free_chunks() const;

 private:
  mutable std::mutex mu_;                       // guards pool_ and chunks_
  std::vector<Chunk*> pool_;                    // free chunks, reused last-in first-out
  std::vector<std::unique_ptr<Chunk>> chunks_;  // every chunk allocated
};

}  // namespace sluice::log::kafka
