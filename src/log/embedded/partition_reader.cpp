#include "log/embedded/partition_reader.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "log/embedded/batch_format.h"
#include "log/embedded/segment_files.h"

namespace sluice::log::embedded {

PartitionReader::PartitionReader(std::string topic, int32_t partition, std::string dir, int64_t offset)
    : topic_(std::move(topic)), partition_(partition), dir_(std::move(dir)), position_(offset) {}

PartitionReader::~PartitionReader() { close_segment(); }

void PartitionReader::close_segment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  seg_base_ = -1;
}

void PartitionReader::seek(int64_t offset) {
  close_segment();
  position_ = offset;
}

bool PartitionReader::open_segment() {
  auto segments = list_segments(dir_);
  if (segments.empty()) return false;
  if (position_ < segments.front().base) {
    spdlog::warn("{}/{}: offset {} is no longer held (retention); continuing from offset {}", topic_, partition_,
                 position_, segments.front().base);
    position_ = segments.front().base;
  }
  const SegmentFile* seg = &segments.front();
  for (const auto& s : segments)
    if (s.base <= position_) seg = &s;
  int fd = ::open(seg->log_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // deleted between listing and open: try again next time
  struct stat st {};
  fstat(fd, &st);
  fd_ = fd;
  seg_base_ = seg->base;
  file_pos_ = 0;
  // Start from the last index entry at or before the position.
  for (const auto& e : read_index(seg->index_path, st.st_size)) {
    if (seg->base + e.relative_offset > position_) break;
    file_pos_ = e.position;
  }
  return true;
}

bool PartitionReader::advance_segment() {
  for (const auto& s : list_segments(dir_)) {
    if (s.base <= seg_base_) continue;
    if (s.base > position_)
      spdlog::warn("{}/{}: offsets {} to {} are missing; continuing from {}", topic_, partition_, position_, s.base - 1,
                   s.base);
    close_segment();
    position_ = std::max(position_, s.base);
    return open_segment();
  }
  return false;
}

size_t PartitionReader::read(size_t max, std::vector<Message>& out) {
  size_t added = 0;
  while (added < max) {
    if (fd_ < 0 && !open_segment()) return added;
    char head[kLengthFieldEnd];
    size_t got = pread_full(fd_, head, kLengthFieldEnd, file_pos_, dir_);
    uint32_t length = 0;
    if (got == kLengthFieldEnd) std::memcpy(&length, head + 8, 4);
    bool have_all = false;
    if (got == kLengthFieldEnd && length <= kMaxBatchBytes) {
      buf_.resize(kLengthFieldEnd + length);
      have_all = pread_full(fd_, buf_.data(), buf_.size(), file_pos_, dir_) == buf_.size();
    }
    BatchHeader h;
    DecodeStatus st = have_all ? check_batch(buf_, h) : DecodeStatus::incomplete;
    if (st == DecodeStatus::ok && h.base_offset != position_ && h.next_offset() <= position_) {
      // A batch before the position (the index points at or before it): skip it.
      file_pos_ += static_cast<int64_t>(h.total_size());
      continue;
    }
    if (st == DecodeStatus::ok && h.base_offset > position_) {
      spdlog::warn("{}/{}: offsets {} to {} are missing; continuing from {}", topic_, partition_, position_,
                   h.base_offset - 1, h.base_offset);
      position_ = h.base_offset;
    }
    if (st != DecodeStatus::ok || (h.base_offset < position_ && h.next_offset() <= position_)) {
      // End of this segment's valid data: a newer segment means move on; otherwise
      // this is the live tail (not written yet, or a torn batch recovery will cut).
      struct stat sst {};
      fstat(fd_, &sst);
      bool more_after = got > 0 && have_all && file_pos_ + static_cast<int64_t>(buf_.size()) < sst.st_size;
      if (st == DecodeStatus::corrupt && more_after)
        spdlog::error("{}/{}: corrupt batch at byte {} of segment {}; skipping to the next segment", topic_, partition_,
                      file_pos_, seg_base_);
      if (advance_segment()) continue;
      if (st == DecodeStatus::corrupt && !warned_tail_) {
        spdlog::debug("{}/{}: the batch at the end of the log is not valid (yet); waiting", topic_, partition_);
        warned_tail_ = true;
      }
      return added;
    }
    warned_tail_ = false;
    size_t before = out.size();
    if (!decode_records(buf_, h, topic_, partition_, position_, out)) {
      spdlog::error("{}/{}: malformed records in batch at offset {}; skipping it", topic_, partition_, h.base_offset);
    }
    added += out.size() - before;
    position_ = h.next_offset();
    file_pos_ += static_cast<int64_t>(h.total_size());
  }
  return added;
}

PartitionExtent partition_extent(const std::string& dir) {
  PartitionExtent e;
  auto segments = list_segments(dir);
  if (segments.empty()) return e;
  e.start = segments.front().base;
  for (const auto& s : segments) {
    struct stat st {};
    if (::stat(s.log_path.c_str(), &st) == 0) e.bytes += st.st_size;
  }
  const auto& last = segments.back();
  int fd = ::open(last.log_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    e.end = last.base;
    return e;
  }
  struct stat st {};
  fstat(fd, &st);
  auto t = scan_tail(fd, last.base, read_index(last.index_path, st.st_size));
  ::close(fd);
  e.end = t.next_offset;
  if (e.end == last.base && segments.size() == 1) e.start = last.base;
  return e;
}

}  // namespace sluice::log::embedded
