#include "log/embedded/partition_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "log/embedded/segment_files.h"

namespace sluice::log::embedded {

namespace {

std::string errno_text(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  if (e == ENOSPC) msg += " (the disk is full: free space or lower embedded_log.retention_bytes)";
  if (e == EACCES || e == EROFS) msg += " (check the permissions of the log directory)";
  return msg;
}

}  // namespace

PartitionWriter::PartitionWriter(std::string dir, const EmbeddedLogOptions& options)
    : dir_(std::move(dir)), opt_(options) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw FatalError("cannot create " + dir_ + ": " + ec.message());
  auto segments = list_segments(dir_);
  if (segments.empty()) {
    open_active(0, true);
    return;
  }
  const auto& active = segments.back();
  open_active(active.base, false);
  auto index = read_index(index_path_, size_);
  TailScan t = scan_tail(log_fd_, base_, index);
  if (t.valid_bytes < t.file_bytes) {
    recovered_bytes_ = t.file_bytes - t.valid_bytes;
    spdlog::warn("embedded log: {} ends with {} bytes of a torn or corrupt batch; truncated after offset {}", log_path_,
                 recovered_bytes_, t.next_offset - 1);
    if (::ftruncate(log_fd_, t.valid_bytes) != 0) throw FatalError(errno_text("cannot truncate", log_path_));
    ::fdatasync(log_fd_);
  }
  if (t.index_entries < index.size() || static_cast<int64_t>(index.size() * kIndexEntrySize) != [&] {
        struct stat st {};
        fstat(index_fd_, &st);
        return static_cast<int64_t>(st.st_size);
      }()) {
    if (::ftruncate(index_fd_, static_cast<off_t>(t.index_entries * kIndexEntrySize)) != 0)
      throw FatalError(errno_text("cannot truncate", index_path_));
  }
  size_ = t.valid_bytes;
  next_offset_ = t.next_offset;
  last_index_pos_ = t.index_entries > 0 ? index[t.index_entries - 1].position : 0;
  ::lseek(log_fd_, size_, SEEK_SET);
  ::lseek(index_fd_, static_cast<off_t>(t.index_entries * kIndexEntrySize), SEEK_SET);
  apply_retention();
}

PartitionWriter::~PartitionWriter() {
  std::lock_guard lk(mu_);
  if (opt_.fsync != FsyncPolicy::never) sync_locked();
  if (log_fd_ >= 0) ::close(log_fd_);
  if (index_fd_ >= 0) ::close(index_fd_);
}

void PartitionWriter::open_active(int64_t base, bool create) {
  base_ = base;
  log_path_ = dir_ + "/" + segment_name(base, "log");
  index_path_ = dir_ + "/" + segment_name(base, "index");
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  log_fd_ = ::open(log_path_.c_str(), flags, 0644);
  if (log_fd_ < 0) throw FatalError(errno_text("cannot open", log_path_));
  index_fd_ = ::open(index_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (index_fd_ < 0) throw FatalError(errno_text("cannot open", index_path_));
  struct stat st {};
  fstat(log_fd_, &st);
  size_ = st.st_size;
  next_offset_ = base;
  last_index_pos_ = 0;
  if (create) fsync_dir(dir_);
}

void PartitionWriter::write_all(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw FatalError(errno_text("cannot write", path));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

int64_t PartitionWriter::append(BatchBuilder& batch) {
  std::lock_guard lk(mu_);
  if (size_ > 0 && size_ + static_cast<int64_t>(batch.size()) > opt_.segment_bytes) roll();
  int64_t base = next_offset_;
  std::string_view bytes = batch.seal(base);
  try {
    write_all(log_fd_, bytes.data(), bytes.size(), log_path_);
  } catch (const FatalError&) {
    // Leave no partial batch behind: recovery would cut it anyway, but appends after
    // it would then be lost with it.
    if (::ftruncate(log_fd_, size_) == 0) ::lseek(log_fd_, size_, SEEK_SET);
    throw;
  }
  if (size_ - last_index_pos_ >= opt_.index_interval_bytes && size_ > 0) {
    char entry[kIndexEntrySize];
    uint32_t rel = static_cast<uint32_t>(base - base_), pos = static_cast<uint32_t>(size_);
    std::memcpy(entry, &rel, 4);
    std::memcpy(entry + 4, &pos, 4);
    write_all(index_fd_, entry, sizeof entry, index_path_);
    last_index_pos_ = size_;
  }
  size_ += static_cast<int64_t>(bytes.size());
  next_offset_ = base + batch.count();
  dirty_ = true;
  if (opt_.fsync == FsyncPolicy::always) sync_locked();
  return base;
}

void PartitionWriter::sync_locked() {
  if (!dirty_) return;
  if (::fdatasync(log_fd_) != 0) spdlog::error("{}", errno_text("fdatasync failed on", log_path_));
  dirty_ = false;
}

void PartitionWriter::sync() {
  std::lock_guard lk(mu_);
  sync_locked();
}

void PartitionWriter::roll() {
  if (opt_.fsync != FsyncPolicy::never) {
    dirty_ = true;
    sync_locked();
    ::fdatasync(index_fd_);
  }
  ::close(log_fd_);
  ::close(index_fd_);
  log_fd_ = index_fd_ = -1;
  int64_t next = next_offset_;
  open_active(next, true);
  next_offset_ = next;
  retention_locked();
}

void PartitionWriter::apply_retention() {
  std::lock_guard lk(mu_);
  retention_locked();
}

void PartitionWriter::retention_locked() {
  auto segments = list_segments(dir_);
  int64_t total = 0;
  for (const auto& s : segments) {
    struct stat st {};
    if (::stat(s.log_path.c_str(), &st) == 0) total += st.st_size;
  }
  auto now = std::filesystem::file_time_type::clock::now();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    struct stat st {};
    if (::stat(segments[i].log_path.c_str(), &st) != 0) continue;
    bool too_big = opt_.retention_bytes >= 0 && total > opt_.retention_bytes;
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(segments[i].log_path, ec);
    bool too_old = opt_.retention.count() > 0 && !ec && now - mtime > opt_.retention;
    if (!too_big && !too_old) break;
    spdlog::debug("embedded log: retention deletes {}", segments[i].log_path);
    ::unlink(segments[i].log_path.c_str());
    ::unlink(segments[i].index_path.c_str());
    total -= st.st_size;
  }
}

int64_t PartitionWriter::next_offset() {
  std::lock_guard lk(mu_);
  return next_offset_;
}

}  // namespace sluice::log::embedded
