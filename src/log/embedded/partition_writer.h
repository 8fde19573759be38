#pragma once
// Appends record batches to one partition of the embedded log: the active segment,
// its sparse index, rolling, retention, fsync, and crash recovery on open.
//
// Recovery: opening scans the tail of the active (newest) segment from its last valid
// index entry (scan_tail) and truncates a torn or corrupt tail, and the index entries
// past it, so appends continue right after the last whole batch. Older segments were
// complete (and fsynced, unless fsync: never) when they were rolled.
//
// Locking: the caller holds the topic's writer lock (one writer process per topic).
// Within the process, `mu_` serialises append() with sync() and retention, which the
// producer's fsync thread calls.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "log/embedded/batch_format.h"
#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::embedded {

class PartitionWriter {
 public:
  // Opens (creating if needed) the partition directory and recovers it. Throws
  // FatalError naming the path on I/O errors.
  PartitionWriter(std::string dir, const EmbeddedLogOptions& options);
  ~PartitionWriter();
  PartitionWriter(const PartitionWriter&) = delete;
  PartitionWriter& operator=(const PartitionWriter&) = delete;

  // Seals `batch` with the next offset and writes it (fsync first under fsync:
  // always). Returns the batch's base offset. On a failed write the segment is
  // truncated back, nothing is acknowledged, and FatalError says why (e.g. disk full).
  int64_t append(BatchBuilder& batch);
  // fdatasync of written, not yet synced data (the interval policy's tick).
  void sync();
  // Deletes whole old segments past retention_bytes or older than retention.
  void apply_retention();
  int64_t next_offset();
  // Bytes cut off the tail by recovery when this writer opened (0: none).
  int64_t recovered_bytes() const { return recovered_bytes_; }

 private:
  void open_active(int64_t base, bool create);
  void roll();
  void write_all(int fd, const char* p, size_t n, const std::string& path);
  void sync_locked();
  void retention_locked();

  std::mutex mu_;
  std::string dir_;
  EmbeddedLogOptions opt_;
  int log_fd_ = -1, index_fd_ = -1;
  std::string log_path_, index_path_;
  int64_t base_ = 0;
  int64_t size_ = 0;            // bytes in the active segment
  int64_t next_offset_ = 0;
  int64_t last_index_pos_ = 0;  // position of the last index entry (or 0)
  bool dirty_ = false;
  int64_t recovered_bytes_ = 0;
};

}  // namespace sluice::log::embedded
