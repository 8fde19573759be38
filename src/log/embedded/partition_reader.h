#pragma once
// Reads one partition of the embedded log from a given offset, following segment
// rolls, while another process may be appending. Never serves a record from a batch
// that fails its CRC, length or offset-continuity checks.
//
// A batch at the very end of the newest segment that is incomplete or fails its CRC is
// treated as "not written yet" (the writer may be mid-write, or recovery will cut it):
// read() stops there and tries again on the next call. A bad batch followed by more
// data is corruption: logged, and the reader moves on to the next segment.
//
// Not thread-safe: one reader per consumer thread.
#include <cstdint>
#include <string>
#include <vector>

#include "log/log.h"

namespace sluice::log::embedded {

class PartitionReader {
 public:
  PartitionReader(std::string topic, int32_t partition, std::string dir, int64_t offset);
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // Appends up to `max` messages to `out`; returns how many.
  size_t read(size_t max, std::vector<Message>& out);
  int64_t position() const { return position_; }
  void seek(int64_t offset);

 private:
  bool open_segment();          // opens the segment holding position_
  bool advance_segment();       // moves to the next segment if there is one
  void close_segment();

  std::string topic_;
  int32_t partition_;
  std::string dir_;
  int64_t position_;
  int fd_ = -1;
  int64_t seg_base_ = -1;
  int64_t file_pos_ = 0;
  std::string buf_;
  bool warned_tail_ = false;
};

// Offsets a partition holds: [start, end). Scans the newest segment's tail for end.
struct PartitionExtent {
  int64_t start = 0;
  int64_t end = 0;
  int64_t bytes = 0;
};
PartitionExtent partition_extent(const std::string& dir);

}  // namespace sluice::log::embedded
