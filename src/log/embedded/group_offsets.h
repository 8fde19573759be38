#pragma once
// A consumer group's committed offsets for one topic of the embedded log, in
// DIR/<topic>/groups/<group>.offsets:
//
//   sluice-group-offsets 1
//   <partition> <next offset>      one line per partition
//   crc <CRC32C of the lines above>
//
// Replaced atomically: written to a temporary file, fsynced, renamed over the old one,
// and the directory fsynced, so a crash leaves either the old or the new offsets.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sluice::log::embedded {

class GroupOffsetsFile {
 public:
  explicit GroupOffsetsFile(std::string path) : path_(std::move(path)) {}
  // The stored offsets (empty if none). Throws FatalError if the file is corrupt.
  std::map<int32_t, int64_t> load() const;
  // Durably replaces the stored offsets. Throws FatalError on I/O errors.
  void store(const std::map<int32_t, int64_t>& offsets) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sluice::log::embedded
