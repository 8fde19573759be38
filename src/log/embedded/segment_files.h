#pragma once
// File-level helpers of the embedded log shared by the writer, the readers and admin:
// listing a partition's segments, reading its sparse index, and scanning a segment's
// tail for the last valid batch (the heart of crash recovery). Format: batch_format.h.
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::log::embedded {

struct SegmentFile {
  int64_t base = 0;
  std::string log_path;
  std::string index_path;
};

struct IndexEntry {
  uint32_t relative_offset = 0;
  uint32_t position = 0;
};

// The partition's segments in offset order (empty if the directory has none).
std::vector<SegmentFile> list_segments(const std::string& partition_dir);
// The index entries of a segment; entries past `max_position` or out of order are
// dropped (an index is a hint).
std::vector<IndexEntry> read_index(const std::string& index_path, int64_t max_position);

struct TailScan {
  int64_t valid_bytes = 0;   // the segment's prefix holding whole, valid batches
  int64_t next_offset = 0;   // offset after the last valid batch (base if none)
  int64_t file_bytes = 0;    // the file's size when scanned
  size_t index_entries = 0;  // how many leading index entries point into the valid prefix
  int64_t max_timestamp = 0;
};

// Finds where the valid batches of a segment end: starts at the last index entry whose
// batch is valid and continues the offsets (falling back entry by entry, then to the
// file's start), then checks batch after batch (length, CRC, offset continuity).
// `fd` is read with pread only.
TailScan scan_tail(int fd, int64_t base, const std::vector<IndexEntry>& index);

// Reads exactly `n` bytes at `pos` (fewer only at end of file); throws FatalError on
// an I/O error, naming `path`.
size_t pread_full(int fd, void* buf, size_t n, int64_t pos, const std::string& path);

// fsync of a directory, so that a rename or a new file in it survives a crash.
void fsync_dir(const std::string& dir);

// Topic names follow Kafka's rules: 1-249 of [A-Za-z0-9._-], not "." or "..".
bool valid_topic_name(const std::string& name);

}  // namespace sluice::log::embedded
