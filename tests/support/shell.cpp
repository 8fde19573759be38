#include "support/shell.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "support/spawn.h"

namespace sluice::testing {
namespace {

// An unlinked temporary file: it vanishes with its descriptor.
class TempFile {
 public:
  TempFile() {
    std::string name = (fs::temp_directory_path() / "sluice_run_XXXXXX").string();
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  std::string read_all() const {
    std::string out;
    if (fd_ < 0) return out;
    char buf[65536];
    for (off_t at = 0;;) {
      ssize_t n = ::pread(fd_, buf, sizeof buf, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      at += n;
    }
    return out;
  }

 private:
  int fd_ = -1;
};

}  // namespace

RunResult run_shell(const std::string& command, const fs::path& cwd) {
  RunResult r;
  TempFile out, err;
  if (out.fd() < 0 || err.fd() < 0) {
    r.err = std::string("run_shell: no temporary file: ") + std::strerror(errno);
    return r;
  }
  std::string error;
  pid_t pid = detail::spawn_shell({.script = command, .out_fd = out.fd(), .err_fd = err.fd(), .cwd = cwd}, error);
  if (pid < 0) {
    r.err = error;
    return r;
  }
  r.code = detail::exit_code(detail::wait_status(pid));
  r.out = out.read_all();
  r.err = err.read_all();
  return r;
}

}  // namespace sluice::testing
