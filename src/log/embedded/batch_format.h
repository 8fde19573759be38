#pragma once
// The embedded log's on-disk format. Everything a reader needs to know is here.
//
// Layout of a log directory (the URI file:DIR):
//
//   DIR/<topic>/topic.meta                 "partitions=3\nreplication_factor=1\n"
//   DIR/<topic>/writer.lock                flock'ed by the one process writing the topic
//   DIR/<topic>/<partition>/<base>.log     segment: record batches, back to back
//   DIR/<topic>/<partition>/<base>.index   sparse index of that segment
//   DIR/<topic>/groups/<group>.offsets     a consumer group's committed offsets
//   DIR/<topic>/groups/<group>.lock        flock'ed by the group's one consumer process
//
// <base> is the offset of the segment's first record, as 20 decimal digits, so that a
// directory listing sorts segments in offset order.
//
// A record batch (all integers little-endian):
//
//   off  size  field
//    0    8    base_offset      offset of the batch's first record
//    8    4    length           bytes after this field (12 + length = batch size)
//   12    4    crc              CRC32C of bytes [16, 12 + length)
//   16    1    version          1
//   17    1    flags            0 (reserved: compression)
//   18    2    reserved         0
//   20    4    record_count     >= 1
//   24    8    first_timestamp  ms since the epoch
//   32    8    max_timestamp
//   40    ...  records
//
// A record: varint body_length (bytes after it), then
//   varint offset_delta, zigzag-varint timestamp_delta (from first_timestamp),
//   zigzag-varint key_length (-1: null key), key bytes,
//   varint value_length, value bytes,
//   varint header_count, per header: varint key_length, key, varint value_length, value.
//
// The CRC leaves out base_offset (assigned when the batch is appended); readers and
// recovery check instead that each batch's base_offset continues the previous one.
//
// A sparse index entry (8 bytes): u32 offset relative to the segment's base, u32 file
// position of the batch starting there. One entry per index_interval_bytes of log; the
// index is a hint that recovery rebuilds from the log when it disagrees.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "log/log.h"

namespace sluice::log::embedded {

inline constexpr size_t kBatchHeaderSize = 40;
inline constexpr size_t kLengthFieldEnd = 12;  // base_offset + length
inline constexpr uint8_t kBatchVersion = 1;
inline constexpr uint32_t kMaxBatchBytes = 256u << 20;  // sanity bound when decoding
inline constexpr size_t kIndexEntrySize = 8;

struct BatchHeader {
  int64_t base_offset = 0;
  uint32_t length = 0;
  uint32_t crc = 0;
  uint8_t version = 0;
  uint32_t record_count = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;

  size_t total_size() const { return kLengthFieldEnd + length; }
  int64_t next_offset() const { return base_offset + record_count; }
};

// Accumulates records into one batch, encoded in place (no per-record allocation).
class BatchBuilder {
 public:
  BatchBuilder() { clear(); }
  void clear();
  void add(const OutRecord& r, int64_t timestamp_ms);
  // Seals the batch: fills the header (base offset, count, timestamps, CRC) and
  // returns the bytes to append.
  std::string_view seal(int64_t base_offset);
  uint32_t count() const { return count_; }
  size_t size() const { return buf_.size(); }
  bool empty() const { return count_ == 0; }

 private:
  std::string buf_;
  uint32_t count_ = 0;
  int64_t first_ts_ = 0, max_ts_ = 0;
};

enum class DecodeStatus {
  ok,
  incomplete,  // fewer bytes than the header or its length says: not (yet) all there
  corrupt,     // bad CRC, version or lengths
};

// Parses the header at the start of `bytes` (needs kBatchHeaderSize bytes for ok).
DecodeStatus decode_header(std::string_view bytes, BatchHeader& h);
// Checks the whole batch at the start of `bytes`: header, length and CRC.
DecodeStatus check_batch(std::string_view bytes, BatchHeader& h);
// Decodes the records of a checked batch into `out` (those with offset >= from).
// Returns false (and appends nothing) if a record is malformed.
bool decode_records(std::string_view batch, const BatchHeader& h, const std::string& topic, int32_t partition,
                    int64_t from, std::vector<Message>& out);

std::string segment_name(int64_t base_offset, const char* ext);  // "00000000000000000042.log"
// Base offset from a segment file name, nullopt if the name is not one.
std::optional<int64_t> parse_segment_name(std::string_view name, std::string_view ext);

}  // namespace sluice::log::embedded
