#include "log/embedded/group_offsets.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/crc32c.h"
#include "common/error.h"
#include "log/embedded/segment_files.h"

namespace sluice::log::embedded {

static constexpr const char* kMagic = "sluice-group-offsets 1\n";

std::map<int32_t, int64_t> GroupOffsetsFile::load() const {
  std::map<int32_t, int64_t> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto crc_pos = text.rfind("crc ");
  if (!text.starts_with(kMagic) || crc_pos == std::string::npos)
    throw FatalError("consumer group offsets file " + path_ + " is corrupt (bad header); move it away to reset the group");
  uint32_t want = static_cast<uint32_t>(std::strtoul(text.c_str() + crc_pos + 4, nullptr, 10));
  if (crc32c(std::string_view(text).substr(0, crc_pos)) != want)
    throw FatalError("consumer group offsets file " + path_ + " is corrupt (checksum); move it away to reset the group");
  std::istringstream lines(text.substr(std::strlen(kMagic), crc_pos - std::strlen(kMagic)));
  int32_t p;
  int64_t o;
  while (lines >> p >> o) out[p] = o;
  return out;
}

void GroupOffsetsFile::store(const std::map<int32_t, int64_t>& offsets) const {
  std::string text = kMagic;
  for (auto [p, o] : offsets) text += std::to_string(p) + " " + std::to_string(o) + "\n";
  text += "crc " + std::to_string(crc32c(text)) + "\n";
  auto dir = std::filesystem::path(path_).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw FatalError("cannot write " + tmp + ": " + std::strerror(errno));
  const char* p = text.data();
  size_t n = text.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      ::close(fd);
      throw FatalError("cannot write " + tmp + ": " + std::strerror(e));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw FatalError("cannot fsync " + tmp + ": " + std::strerror(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0)
    throw FatalError("cannot rename " + tmp + " to " + path_ + ": " + std::strerror(errno));
  fsync_dir(dir);
}

}  // namespace sluice::log::embedded
