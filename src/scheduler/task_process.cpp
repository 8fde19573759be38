// Task processes (task_process.h): the supervisor's body (supervise_main: the task's
// process, its bounded log file, its timeout, its result file) and the scheduler's handle
// on a supervisor (TaskProcess: spawn, adopt, pidfd, signals).
#include "scheduler/task_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/clock.h"
#include "common/error.h"
#include "common/json_writer.h"

extern char** environ;

namespace sluice::scheduler {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string errno_text(int e) { return std::system_category().message(e); }

// The pidfd calls through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C".
int pidfd_open(pid_t pid, unsigned flags) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// `fd` moved to a number above 2 (close-on-exec), so that dup2() onto 0, 1 or 2 in a child
// never meets itself.
Fd above_stdio(int fd) {
  if (fd < 0 || fd > 2) return Fd(fd);
  Fd old(fd);
  return Fd(fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// "" or why the parent directories of `path` could not be made.
std::string make_parent_dirs(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return "";
  std::error_code ec;
  fs::create_directories(parent, ec);
  return ec ? fmt::format("cannot create {}: {}", parent.string(), ec.message()) : "";
}

// Copies `len` bytes at `offset` of `in` to the current position of `out` (in the kernel
// where the file system can, else through a buffer).
bool copy_range(int in, int64_t offset, int out, int64_t len) {
  off_t off = offset;
  while (len > 0) {
    ssize_t n = copy_file_range(in, &off, out, nullptr, static_cast<size_t>(len), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // unsupported here (EXDEV, EINVAL, ...) or a short file: the slow way
    len -= n;
  }
  char buf[1 << 16];
  while (len > 0) {
    ssize_t n = pread(in, buf, static_cast<size_t>(std::min<int64_t>(len, sizeof buf)), off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || !write_all(out, buf, static_cast<size_t>(n))) return false;
    off += n;
    len -= n;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// The task's log: appended, bounded.
//
// Appends until the file reaches `max` bytes; before it would pass them, rewrites it as
//   head   its first max/4 bytes, to a line's end if one ends in the last 4 KiB of them
//          (fixed from the first cut on)
//   line   "[sluice: N bytes of output cut]" (N: everything cut so far), on a line of its own
//   tail   the latest output: its last max/2 bytes, from a line's start if one begins in
//          the first 4 KiB of them
// into `<path>.tmp`, renamed over the file: a reader sees the old file or the new one,
// never a mix. A rewrite copies about 3/4 max bytes (copy_file_range) and comes once per
// max/4 bytes appended: amortised O(1) per byte. max < 0: no bound.
class LogFile {
 public:
  LogFile(std::string path, int64_t max) : path_(std::move(path)), max_(max) {
    if (auto e = make_parent_dirs(path_); !e.empty()) throw FatalError("log file " + path_ + ": " + e);
    fd_ = above_stdio(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    struct stat st {};
    if (!fd_ || fstat(fd_.get(), &st) != 0)
      throw FatalError("cannot open the log file " + path_ + ": " + errno_text(errno));
    size_ = st.st_size;
    char last = '\n';
    if (size_ > 0 && pread(fd_.get(), &last, 1, size_ - 1) != 1) last = '\n';
    at_line_start_ = last == '\n';
  }

  // The task's output, as it came.
  // The task's output, as it came. What would take the file past the bound is written in
  // two parts: up to the bound, then the rest after the cut.
  void append(std::string_view data) {
    while (!data.empty() && !failed_) {
      size_t take = data.size();
      if (max_ >= 0) {
        if (size_ >= max_) cut();
        if (failed_) return;
        take = std::min<size_t>(take, static_cast<size_t>(max_ - size_));
      }
      if (!write_all(fd_.get(), data.data(), take)) return fail("write: " + errno_text(errno));
      size_ += static_cast<int64_t>(take);
      at_line_start_ = data[take - 1] == '\n';
      data.remove_prefix(take);
    }
  }

  // A line of the supervisor's own, "[sluice: TEXT]", on a line of its own.
  void note(std::string_view text) {
    append(fmt::format("{}[sluice: {}]\n", at_line_start_ ? "" : "\n", text));
  }

 private:
  void fail(std::string what) {
    failed_ = true;  // the task goes on; its further output is dropped, so the bound holds
    spdlog::warn("log file {}: {}; dropping the task's further output", path_, what);
  }

  int64_t byte_at(int64_t off) {
    char c = 0;
    return pread(fd_.get(), &c, 1, off) == 1 ? c : -1;
  }

  // `len`, or less so that the head ends at a line's end when one ends in its last 4 KiB.
  int64_t head_at_line_end(int64_t len) {
    if (len <= 0 || byte_at(len - 1) == '\n') return len;
    char buf[4096];
    const int64_t from = std::max<int64_t>(0, len - static_cast<int64_t>(sizeof buf));
    ssize_t n = pread(fd_.get(), buf, static_cast<size_t>(len - from), from);
    if (n <= 0) return len;
    auto* nl = static_cast<char*>(memrchr(buf, '\n', static_cast<size_t>(n)));
    return nl ? from + (nl - buf) + 1 : len;
  }

  void cut() {
    const int64_t head = cut_ ? head_len_ : head_at_line_end(std::min(max_ / 4, size_));
    const int64_t body_begin = cut_ ? body_begin_ : head;
    const int64_t body = size_ - body_begin;
    int64_t keep = std::min(max_ / 2, body);
    int64_t from = size_ - keep;
    if (keep > 0 && byte_at(from - 1) != '\n') {  // start the tail at a line's start, if near
      char buf[4096];
      ssize_t n = pread(fd_.get(), buf, static_cast<size_t>(std::min<int64_t>(keep, sizeof buf)), from);
      if (auto* nl = n > 0 ? static_cast<char*>(memchr(buf, '\n', static_cast<size_t>(n))) : nullptr) {
        from += nl - buf + 1;
        keep = size_ - from;
      }
    }
    if (!cut_) sep_ = head > 0 && byte_at(head - 1) != '\n';
    const int64_t total = cut_total_ + (body - keep);
    const std::string line = fmt::format("{}[sluice: {} bytes of output cut]\n", sep_ ? "\n" : "", total);

    const std::string tmp = path_ + ".tmp";
    Fd out = above_stdio(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) return fail("cannot create " + tmp + ": " + errno_text(errno));
    if (!copy_range(fd_.get(), 0, out.get(), head) || !write_all(out.get(), line.data(), line.size()) ||
        !copy_range(fd_.get(), from, out.get(), keep) || ::rename(tmp.c_str(), path_.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return fail("cannot rewrite it to its bound: " + errno_text(e));
    }
    fd_ = std::move(out);  // now the file at path_, positioned at its end
    cut_ = true;
    head_len_ = head;
    body_begin_ = head + static_cast<int64_t>(line.size());
    cut_total_ = total;
    size_ = body_begin_ + keep;
  }

  std::string path_;
  int64_t max_;
  Fd fd_;
  int64_t size_ = 0;
  bool at_line_start_ = true;
  bool failed_ = false;
  bool cut_ = false;         // cut at least once: head_len_, body_begin_, sep_ hold
  bool sep_ = false;         // a '\n' between the head and the cut line
  int64_t head_len_ = 0;     // the head's bytes
  int64_t body_begin_ = 0;   // where the output after the cut line starts
  int64_t cut_total_ = 0;    // bytes of output cut so far
};

// ---------------------------------------------------------------------------------------
// The supervisor.

bool write_result(const std::string& path, const TaskResult& r, std::string& error) {
  if (auto e = make_parent_dirs(path); !e.empty()) {
    error = e;
    return false;
  }
  // No fsync: the file only has to survive the scheduler, not the machine. After a power
  // loss it may be empty, which read_result() takes for absent, as for a killed supervisor.
  const std::string tmp = path + ".tmp";
  const std::string text = result_json(r) + "\n";
  Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  bool ok = f && write_all(f.get(), text.data(), text.size());
  int e = errno;
  f.reset();
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return true;
  if (ok) e = errno;
  ::unlink(tmp.c_str());
  error = fmt::format("cannot write {}: {}", path, errno_text(e));
  return false;
}

// The environment of the task: ours, with `env` added or replacing.
std::vector<std::string> task_environment(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string_view key = kv.substr(0, kv.find('='));
    bool replaced = std::any_of(env.begin(), env.end(), [&](const auto& p) { return p.first == key; });
    if (!replaced) out.emplace_back(kv);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// The program to execute for `name`: as given if it holds a '/', else the first executable
// regular file of that name in `path_var` (PATH). "" with `error` set if there is none.
std::string find_program(const std::string& name, const char* path_var, std::string& error) {
  if (name.find('/') != std::string::npos) return name;
  std::string_view dirs = path_var ? path_var : "/usr/local/bin:/usr/bin:/bin";
  bool denied = false;
  while (true) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      denied = true;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  error = denied ? fmt::format("cannot execute '{}': {} (in PATH, not executable)", name, errno_text(EACCES))
                 : fmt::format("cannot execute '{}': not found in PATH", name);
  return "";
}

// The kernel's struct sigaction (x86_64 and arm64 share this layout); zero: SIG_DFL.
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

class Supervisor {
 public:
  Supervisor(const SuperviseOptions& o, int stop_fd) : o_(o), stop_fd_(stop_fd) {}

  int run() {
    // SIGTERM and SIGINT through a signalfd: blocked here (the CLI has them blocked in every
    // thread already). SIGPIPE ignored: the scheduler that started us may be gone, and our
    // stderr with it. The task gets every signal back at its default.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    sfd_ = above_stdio(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd_) return finish_early("signalfd: " + errno_text(errno));
    ::signal(SIGPIPE, SIG_IGN);

    try {
      log_.emplace(o_.log_path, o_.log_max_bytes);
    } catch (const FatalError& e) {
      return finish_early(e.what());
    }
    if (stops_pending() + signals_pending() > 0)
      return finish_early("terminated by the scheduler before the task started");
    start_task();
    if (!task_pid_) return finish();
    loop();
    return finish();
  }

 private:
  // Starts the task, or sets result_ for a program that cannot be executed.
  void start_task() {
    std::vector<std::string> env = task_environment(o_.env);
    const char* path_var = nullptr;
    for (const auto& e : env)
      if (e.starts_with("PATH=")) path_var = e.c_str() + 5;
    std::string error;
    std::string program = find_program(o_.argv[0], path_var, error);
    result_.started_ms = wall_ms();
    if (program.empty()) return cannot_execute(error);

    std::vector<std::string> argv = o_.argv;
    std::vector<char*> c_argv = c_strings(argv);
    std::vector<char*> c_env = c_strings(env);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
      return cannot_execute("pipe: " + errno_text(errno));
    Fd out_r = above_stdio(out[0]), out_w = above_stdio(out[1]);
    Fd err_r = above_stdio(err[0]), err_w = above_stdio(err[1]);
    Fd null = above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!out_r || !out_w || !err_r || !err_w || !null) return cannot_execute("descriptors: " + errno_text(errno));

    const pid_t parent = getpid();
    // vfork: no copy of the supervisor's address space (a fork copies its ~200 mappings,
    // the largest cost of a task start when 200 tasks start at once); we wait only until
    // the child has exec'd. The child makes system calls only and touches no memory but
    // its own locals.
    const pid_t pid = vfork();
    if (pid < 0) return cannot_execute("vfork: " + errno_text(errno));
    if (pid == 0) {
      // The child: async-signal-safe calls only (this process may have other threads).
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the supervisor died before prctl
      // Every disposition back to the default, through the system call: glibc's
      // sigaction() refuses its internal signals (32, 33), which posix_spawn left ignored
      // in this process, and an ignored signal would stay ignored across execve.
      KernelSigaction dfl{};
      for (int s = 1; s < NSIG; ++s)
        if (s != SIGKILL && s != SIGSTOP) ::syscall(SYS_rt_sigaction, s, &dfl, nullptr, sizeof dfl.mask);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      dup2(null.get(), 0);
      dup2(out_w.get(), 1);
      dup2(out_w.get(), 2);
      close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // nothing of ours leaks into the task
      execve(program.c_str(), c_argv.data(), c_env.data());
      int e = errno;
      (void)!::write(err_w.get(), &e, sizeof e);
      _exit(127);
    }
    setpgid(pid, pid);  // as the child does: whichever runs first, the group exists before we signal it
    out_w.reset();
    err_w.reset();
    int exec_errno = 0;
    ssize_t n;
    do n = ::read(err_r.get(), &exec_errno, sizeof exec_errno);
    while (n < 0 && errno == EINTR);
    if (n == sizeof exec_errno) {  // execve failed: the child has exited 127
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return cannot_execute(fmt::format("cannot execute '{}': {}", o_.argv[0], errno_text(exec_errno)));
    }
    task_pid_ = pid;
    task_fd_ = Fd(pidfd_open(pid, 0));  // no race: our unreaped child
    out_ = std::move(out_r);
    started_ = Clock::now();
    if (o_.timeout.count() > 0) timeout_at_ = started_ + o_.timeout;
    result_.started_ms = wall_ms();
  }

  void cannot_execute(const std::string& error) {
    result_.exit_code = 127;
    result_.error = error;
    result_.ended_ms = wall_ms();
    if (log_) log_->note(error);
  }

  void loop() {
    char buf[1 << 16];
    std::optional<Clock::time_point> drain_until;  // set once the task has ended
    while (true) {
      const auto now = Clock::now();
      if (drain_until && (!out_ || now >= *drain_until)) return;
      if (!drain_until) {
        if (timeout_at_ && now >= *timeout_at_) {
          timeout_at_.reset();
          if (!stopping()) {
            result_.timed_out = true;
            result_.error = fmt::format("timed out after {} ms", o_.timeout.count());
            log_->note(result_.error + ": SIGTERM to the task");
            begin_stop();
          }
        }
        if (kill_at_ && now >= *kill_at_) {
          kill_at_.reset();
          log_->note(fmt::format("still running {} ms after SIGTERM: SIGKILL", o_.kill_grace.count()));
          signal_task(SIGKILL);
        }
      }
      std::optional<Clock::time_point> next = drain_until;
      for (const auto& t : {timeout_at_, kill_at_})
        if (t && !drain_until && (!next || *t < *next)) next = t;
      int wait_ms = -1;
      if (next)
        wait_ms = static_cast<int>(
            std::clamp<int64_t>(std::chrono::ceil<milliseconds>(*next - Clock::now()).count(), 0, 1 << 30));
      if (!task_fd_ && !drain_until) wait_ms = wait_ms < 0 ? 50 : std::min(wait_ms, 50);  // no pidfd: poll the child
      pollfd fds[4];
      int n = 0;
      int i_out = -1, i_sig = -1, i_stop = -1, i_task = -1;
      if (out_) fds[i_out = n++] = {out_.get(), POLLIN, 0};
      fds[i_sig = n++] = {sfd_.get(), POLLIN, 0};
      if (stop_fd_ >= 0) fds[i_stop = n++] = {stop_fd_, POLLIN, 0};
      if (!drain_until && task_fd_) fds[i_task = n++] = {task_fd_.get(), POLLIN, 0};
      int ready = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
      if (ready < 0 && errno != EINTR) {  // cannot watch the task: end it rather than lose it
        spdlog::error("task supervisor: poll: {}", errno_text(errno));
        if (!drain_until) {
          signal_task(SIGKILL);
          reap_if_ended(true);
        }
        return;
      }
      if (ready <= 0) {
        if (!drain_until && !task_fd_) reap_if_ended(false);  // no pidfd (old kernel): poll the child
        continue;
      }
      if (i_out >= 0 && fds[i_out].revents) {
        ssize_t got = ::read(out_.get(), buf, sizeof buf);
        if (got > 0)
          log_->append(std::string_view(buf, static_cast<size_t>(got)));
        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
          out_.reset();  // EOF: every writer is gone
      }
      int stops = 0;
      if (fds[i_sig].revents) stops += signals_pending();
      if (i_stop >= 0 && fds[i_stop].revents) stops += stops_pending();
      if (stops > 0 && !drain_until) on_stop_requests(stops);
      if (!drain_until && (i_task < 0 || fds[i_task].revents)) {
        if (reap_if_ended(i_task >= 0)) drain_until = Clock::now() + milliseconds(1000);
      }
    }
  }

  bool stopping() const { return stop_sent_; }

  // `sig` to the task's process group, and to the task itself should it have left the group
  // (unreaped, its pid cannot have been reused).
  void signal_task(int sig) {
    kill(-*task_pid_, sig);
    kill(*task_pid_, sig);
  }

  void begin_stop() {
    stop_sent_ = true;
    signal_task(SIGTERM);
    kill_at_ = Clock::now() + o_.kill_grace;
  }

  void on_stop_requests(int count) {
    for (int i = 0; i < count; ++i) {
      if (!stopping()) {
        result_.error = "terminated by the scheduler";
        log_->note("terminated by the scheduler: SIGTERM to the task");
        begin_stop();
      } else if (!killed_by_request_) {
        killed_by_request_ = true;
        kill_at_.reset();
        log_->note("stopped again: SIGKILL");
        signal_task(SIGKILL);
      }
    }
  }

  // SIGTERMs and SIGINTs waiting on the signalfd, read and counted.
  int signals_pending() {
    int n = 0;
    signalfd_siginfo si;
    while (::read(sfd_.get(), &si, sizeof si) == sizeof si) ++n;
    return n;
  }

  // Stop requests waiting on stop_fd_ (an eventfd's count), read and returned.
  int stops_pending() {
    if (stop_fd_ < 0) return 0;
    pollfd p{stop_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return 0;
    uint64_t count = 0;
    if (::read(stop_fd_, &count, sizeof count) != sizeof count) return 0;
    return static_cast<int>(std::min<uint64_t>(count, 1000));
  }

  // If the task has ended: kills what it left running in its group (before reaping it, so
  // the group's id cannot have been reused), reaps it and fills the result. `known_ended`:
  // the pidfd said so.
  bool reap_if_ended(bool known_ended) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(*task_pid_), &info, WEXITED | WNOWAIT | (known_ended ? 0 : WNOHANG)) != 0 ||
        info.si_pid == 0)
      return false;
    kill(-*task_pid_, SIGKILL);
    int status = 0;
    while (waitpid(*task_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    result_.ended_ms = wall_ms();
    if (WIFEXITED(status)) {
      result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result_.signal = WTERMSIG(status);
      result_.exit_code = 128 + result_.signal;
      if (result_.error.empty())
        result_.error = fmt::format("killed by signal {} (SIG{})", result_.signal,
                                    sigabbrev_np(result_.signal) ? sigabbrev_np(result_.signal) : "?");
    }
    task_fd_.reset();
    return true;
  }

  int finish_early(const std::string& error) {
    result_.error = error;
    if (result_.started_ms == 0) result_.started_ms = wall_ms();
    result_.ended_ms = wall_ms();
    return finish();
  }

  int finish() {
    std::string error;
    if (!write_result(o_.result_path, result_, error)) {
      spdlog::error("task supervisor: {}", error);
      return 1;
    }
    return result_.ok() ? 0 : 1;
  }

  const SuperviseOptions& o_;
  const int stop_fd_;
  Fd sfd_;
  std::optional<LogFile> log_;
  TaskResult result_;
  std::optional<pid_t> task_pid_;  // set once the task runs; also its process group
  Fd task_fd_;                     // its pidfd, until reaped
  Fd out_;                         // the read end of its stdout+stderr
  Clock::time_point started_;
  std::optional<Clock::time_point> timeout_at_, kill_at_;
  bool stop_sent_ = false;          // SIGTERM sent (timeout or stop request)
  bool killed_by_request_ = false;  // a second stop request sent SIGKILL
};

// Reads /proc/<pid>/<file> into `out` (small files); false if it cannot.
bool read_proc(const std::string& path, std::string& out) {
  Fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f) return false;
  out.clear();
  char buf[4096];
  while (true) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Options.

std::vector<std::string> supervise_args(const SuperviseOptions& o) {
  namespace f = supervise_flag;
  // The repeated --env first: CLI11 takes a `--` right after a list option as the end of
  // that list, not of the options, and would then parse the task's argv as our flags.
  std::vector<std::string> a;
  for (const auto& [k, v] : o.env) {
    a.push_back(f::kEnv);
    a.push_back(k + "=" + v);
  }
  a.insert(a.end(), {f::kLog, o.log_path, f::kLogMax, std::to_string(o.log_max_bytes), f::kResult, o.result_path,
                     f::kTimeout, std::to_string(o.timeout.count()), f::kGrace, std::to_string(o.kill_grace.count())});
  a.push_back("--");
  a.insert(a.end(), o.argv.begin(), o.argv.end());
  return a;
}

void validate(const SuperviseOptions& o) {
  if (o.argv.empty() || o.argv[0].empty()) throw UsageError("task supervisor: the task's argv is empty");
  if (o.log_path.empty()) throw UsageError(std::string("task supervisor: ") + supervise_flag::kLog + " is empty");
  if (o.result_path.empty())
    throw UsageError(std::string("task supervisor: ") + supervise_flag::kResult + " is empty");
  if (o.log_max_bytes >= 0 && o.log_max_bytes < 1024)
    throw UsageError(fmt::format("task supervisor: {} must be at least 1024 (or -1: no bound), got {}",
                                 supervise_flag::kLogMax, o.log_max_bytes));
  if (o.timeout.count() < 0 || o.kill_grace.count() < 0)
    throw UsageError(fmt::format("task supervisor: {} and {} cannot be negative", supervise_flag::kTimeout,
                                 supervise_flag::kGrace));
  for (const auto& [k, v] : o.env)
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
      throw UsageError(fmt::format("task supervisor: {} {}={}: expected KEY=VALUE with a KEY free of '='",
                                   supervise_flag::kEnv, k, v));
}

int supervise_main(const SuperviseOptions& o, int stop_fd) {
  validate(o);
  return Supervisor(o, stop_fd).run();
}

// ---------------------------------------------------------------------------------------
// Results.

std::string result_json(const TaskResult& r) {
  JsonWriter w;
  w.begin_object()
      .field("exit_code", r.exit_code)
      .field("signal", r.signal)
      .field("timed_out", r.timed_out)
      .field("started_ms", r.started_ms)
      .field("ended_ms", r.ended_ms)
      .field("error", r.error)
      .end_object();
  return w.take();
}

std::optional<TaskResult> read_result(const std::string& result_path) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(result_path).get(text) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(text).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  TaskResult r;
  bool have_exit_code = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return std::nullopt;
    auto value = field.value();
    int64_t i = 0;
    bool b = false;
    std::string_view s;
    if (key == "exit_code" && value.get_int64().get(i) == simdjson::SUCCESS) {
      r.exit_code = static_cast<int>(i);
      have_exit_code = true;
    } else if (key == "signal" && value.get_int64().get(i) == simdjson::SUCCESS) {
      r.signal = static_cast<int>(i);
    } else if (key == "timed_out" && value.get_bool().get(b) == simdjson::SUCCESS) {
      r.timed_out = b;
    } else if (key == "started_ms" && value.get_int64().get(i) == simdjson::SUCCESS) {
      r.started_ms = i;
    } else if (key == "ended_ms" && value.get_int64().get(i) == simdjson::SUCCESS) {
      r.ended_ms = i;
    } else if (key == "error" && value.get_string().get(s) == simdjson::SUCCESS) {
      r.error = std::string(s);
    } else if (key == "exit_code" || key == "signal" || key == "timed_out" || key == "started_ms" ||
               key == "ended_ms" || key == "error") {
      return std::nullopt;  // a known field of the wrong type: not our file
    }
  }
  if (!have_exit_code) return std::nullopt;
  return r;
}

// ---------------------------------------------------------------------------------------
// The scheduler's handle.

uint64_t process_start_ticks(int pid) {
  if (pid <= 0) return 0;
  std::string stat;
  if (!read_proc(fmt::format("/proc/{}/stat", pid), stat)) return 0;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from
  // the last ')'. Field 3 (state) is the first after it; starttime is field 22.
  size_t p = stat.rfind(')');
  if (p == std::string::npos) return 0;
  p += 1;
  for (int field = 3; field <= 22; ++field) {
    p = stat.find_first_not_of(' ', p);
    if (p == std::string::npos) return 0;
    size_t end = stat.find(' ', p);
    if (field == 22) {
      uint64_t ticks = 0;
      auto [ptr, ec] = std::from_chars(stat.data() + p, stat.data() + (end == std::string::npos ? stat.size() : end),
                                       ticks);
      return ec == std::errc() ? ticks : 0;
    }
    if (end == std::string::npos) return 0;
    p = end;
  }
  return 0;
}

TaskProcess::TaskProcess(int pid, uint64_t start_ticks, int pidfd, bool own_child)
    : pid_(pid), start_ticks_(start_ticks), pidfd_(pidfd), own_child_(own_child) {}

TaskProcess TaskProcess::start(const std::string& self_exe, const SuperviseOptions& o) {
  validate(o);
  std::vector<std::string> args = supervise_args(o);
  args.insert(args.begin(), {"sluice", supervise_flag::kCommand});
  std::vector<char*> argv = c_strings(args);

  // Default dispositions for every signal (SETSIGDEF: the ones this process ignores; glibc
  // resets handled ones anyway), an empty mask, a process group of its own, stdin from
  // /dev/null and no descriptor of ours above stderr. glibc's posix_spawn is clone(CLONE_VM |
  // CLONE_VFORK): no copy of our address space, we wait only until the child has exec'd.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, self_exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw FatalError(fmt::format("cannot start the task supervisor {}: {}", self_exe, errno_text(rc)));

  int pidfd = pidfd_open(pid, 0);  // our unreaped child: it is that process
  if (pidfd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw FatalError(fmt::format("pidfd_open of the task supervisor: {} (Linux 5.3 or later needed)", errno_text(e)));
  }
  return TaskProcess(pid, process_start_ticks(pid), pidfd, true);
}

std::optional<TaskProcess> TaskProcess::adopt(int pid, uint64_t start_ticks) {
  if (pid <= 0 || start_ticks == 0 || process_start_ticks(pid) != start_ticks) return std::nullopt;
  int pidfd = pidfd_open(pid, 0);
  if (pidfd < 0) return std::nullopt;
  // Checked again with the pidfd held: if the pid was reused between the first check and
  // pidfd_open, the pidfd is the new process's and its start time tells.
  if (process_start_ticks(pid) != start_ticks) {
    ::close(pidfd);
    return std::nullopt;
  }
  return TaskProcess(pid, start_ticks, pidfd, false);
}

TaskProcess::TaskProcess(TaskProcess&& o) noexcept
    : pid_(o.pid_),
      start_ticks_(o.start_ticks_),
      pidfd_(std::exchange(o.pidfd_, -1)),
      own_child_(o.own_child_),
      ended_(o.ended_),
      have_status_(o.have_status_),
      status_(o.status_) {}

TaskProcess& TaskProcess::operator=(TaskProcess&& o) noexcept {
  if (this != &o) {
    close_fd();
    pid_ = o.pid_;
    start_ticks_ = o.start_ticks_;
    pidfd_ = std::exchange(o.pidfd_, -1);
    own_child_ = o.own_child_;
    ended_ = o.ended_;
    have_status_ = o.have_status_;
    status_ = o.status_;
  }
  return *this;
}

TaskProcess::~TaskProcess() { close_fd(); }

void TaskProcess::close_fd() {
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

bool TaskProcess::finished() {
  if (ended_ || pidfd_ < 0) return ended_;
  pollfd p{pidfd_, POLLIN, 0};
  bool exited = ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
  if (own_child_) {
    // Blocking only once the pidfd said it ended (then waitpid returns at once).
    int st = 0;
    pid_t r;
    do r = waitpid(pid_, &st, exited ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == pid_) {
      ended_ = have_status_ = true;
      status_ = st;
    } else if (r < 0) {
      ended_ = true;  // ECHILD: reaped elsewhere
    }
  } else {
    ended_ = exited;
  }
  return ended_;
}

bool TaskProcess::wait_for(std::chrono::milliseconds limit) {
  if (finished()) return true;
  const auto until = Clock::now() + limit;
  while (true) {
    auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
    pollfd p{pidfd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30)));
    if (finished()) return true;
    if ((r == 0 && left <= 0) || (r < 0 && errno != EINTR)) return false;
  }
}

std::optional<int> TaskProcess::exit_code() const {
  if (!have_status_) return std::nullopt;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return std::nullopt;
}

void TaskProcess::terminate() {
  if (finished()) return;
  pidfd_send_signal(pidfd_, SIGTERM);
}

void TaskProcess::kill_now() {
  if (finished()) return;
  // The task leads a process group of its own (the supervisor's child). Who the supervisor's
  // children are is read first, while it lives; then the supervisor dies (before it can see
  // its task die and write a result), then the tasks' groups. A task the supervisor starts
  // in between dies with it (PR_SET_PDEATHSIG).
  std::vector<int> children;
  std::string text;
  if (read_proc(fmt::format("/proc/{}/task/{}/children", pid_, pid_), text)) {
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
      int child = 0;
      auto [next, ec] = std::from_chars(p, end, child);
      if (ec == std::errc() && child > 0) children.push_back(child);
      p = ec == std::errc() ? next : p + 1;
    }
  }
  pidfd_send_signal(pidfd_, SIGKILL);
  kill(-pid_, SIGKILL);  // anything else of its group (it leads one: start() made it)
  for (int child : children) {
    kill(-child, SIGKILL);
    kill(child, SIGKILL);
  }
}

}  // namespace sluice::scheduler
