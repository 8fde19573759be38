#include "log/embedded/segment_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "log/embedded/batch_format.h"

namespace sluice::log::embedded {

std::vector<SegmentFile> list_segments(const std::string& dir) {
  std::vector<SegmentFile> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    auto base = parse_segment_name(e->d_name, "log");
    if (!base) continue;
    out.push_back({*base, dir + "/" + e->d_name, dir + "/" + segment_name(*base, "index")});
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.base < b.base; });
  return out;
}

std::vector<IndexEntry> read_index(const std::string& path, int64_t max_position) {
  std::vector<IndexEntry> out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    size_t n = static_cast<size_t>(st.st_size) / kIndexEntrySize;
    std::vector<char> buf(n * kIndexEntrySize);
    size_t got = 0;
    try {
      got = pread_full(fd, buf.data(), buf.size(), 0, path);
    } catch (const FatalError&) {
      got = 0;
    }
    for (size_t i = 0; i + kIndexEntrySize <= got; i += kIndexEntrySize) {
      IndexEntry e;
      std::memcpy(&e.relative_offset, buf.data() + i, 4);
      std::memcpy(&e.position, buf.data() + i + 4, 4);
      if (static_cast<int64_t>(e.position) >= max_position) break;
      if (!out.empty() && (e.relative_offset <= out.back().relative_offset || e.position <= out.back().position)) break;
      out.push_back(e);
    }
  }
  ::close(fd);
  return out;
}

size_t pread_full(int fd, void* buf, size_t n, int64_t pos, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, static_cast<char*>(buf) + done, n - done, pos + static_cast<int64_t>(done));
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      throw FatalError("cannot read " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(r);
  }
  return done;
}

TailScan scan_tail(int fd, int64_t base, const std::vector<IndexEntry>& index) {
  TailScan t;
  struct stat st {};
  fstat(fd, &st);
  t.file_bytes = st.st_size;
  std::string buf;
  // Reads and checks the batch at `pos`; fills `h` when valid.
  auto valid_at = [&](int64_t pos, int64_t expected, BatchHeader& h) {
    char len_buf[kLengthFieldEnd];
    if (pread_full(fd, len_buf, kLengthFieldEnd, pos, "segment") < kLengthFieldEnd) return false;
    uint32_t length;
    std::memcpy(&length, len_buf + 8, 4);
    if (length > kMaxBatchBytes || pos + static_cast<int64_t>(kLengthFieldEnd + length) > t.file_bytes) return false;
    buf.resize(kLengthFieldEnd + length);
    if (pread_full(fd, buf.data(), buf.size(), pos, "segment") < buf.size()) return false;
    return check_batch(buf, h) == DecodeStatus::ok && h.base_offset == expected;
  };
  int64_t pos = 0, expected = base;
  size_t entries = index.size();
  while (entries > 0) {
    const auto& e = index[entries - 1];
    BatchHeader h;
    if (valid_at(e.position, base + e.relative_offset, h)) {
      pos = e.position;
      expected = base + e.relative_offset;
      break;
    }
    --entries;
  }
  t.index_entries = entries;
  while (pos < t.file_bytes) {
    BatchHeader h;
    if (!valid_at(pos, expected, h)) break;
    pos += static_cast<int64_t>(h.total_size());
    expected = h.next_offset();
    t.max_timestamp = std::max(t.max_timestamp, h.max_timestamp);
  }
  t.valid_bytes = pos;
  t.next_offset = expected;
  return t;
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace sluice::log::embedded
