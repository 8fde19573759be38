#include "scheduler/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "common/clock.h"
#include "common/error.h"

namespace sluice::scheduler {
namespace {

constexpr size_t kMaxRequest = 1 << 20;

// Requests: the fields of SuperviseOptions as NUL-terminated strings:
// log_path, log_max_bytes, result_path, timeout_ms, kill_grace_ms, env count, K=V..., argv...
std::string encode(const SuperviseOptions& o) {
  std::string out;
  auto put = [&](const std::string& s) {
    out += s;
    out.push_back('\0');
  };
  put(o.log_path);
  put(std::to_string(o.log_max_bytes));
  put(o.result_path);
  put(std::to_string(o.timeout.count()));
  put(std::to_string(o.kill_grace.count()));
  put(std::to_string(o.env.size()));
  for (const auto& [k, v] : o.env) put(k + "=" + v);
  for (const auto& a : o.argv) put(a);
  return out;
}

SuperviseOptions decode(const char* p, size_t n) {
  std::vector<std::string> f;
  for (size_t i = 0; i < n;) {
    size_t len = strnlen(p + i, n - i);
    f.emplace_back(p + i, len);
    i += len + 1;
  }
  SuperviseOptions o;
  if (f.size() < 6) return o;
  o.log_path = f[0];
  o.log_max_bytes = std::stoll(f[1]);
  o.result_path = f[2];
  o.timeout = std::chrono::milliseconds(std::stoll(f[3]));
  o.kill_grace = std::chrono::milliseconds(std::stoll(f[4]));
  size_t envs = std::stoul(f[5]), i = 6;
  for (; i < f.size() && envs > 0; ++i, --envs) {
    auto eq = f[i].find('=');
    o.env.emplace_back(f[i].substr(0, eq), eq == std::string::npos ? "" : f[i].substr(eq + 1));
  }
  for (; i < f.size(); ++i) o.argv.push_back(f[i]);
  return o;
}

// The supervisor, in the child of the launcher's fork.
[[noreturn]] void run_supervisor(int sock, const SuperviseOptions& o) {
  ::close(sock);
  setpgid(0, 0);  // its own group: a Ctrl-C on the scheduler's terminal does not reach it
  // Default dispositions (the launcher ignores SIGCHLD; the supervisor waits for its task),
  // SIGTERM and SIGINT kept blocked: supervise_main reads them from a signalfd, and one
  // arriving before it does must not kill the supervisor without a result.
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_SETMASK, &mask, nullptr);
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0 && null != 0) {
    dup2(null, 0);
    ::close(null);
  }
  {
    std::ofstream pid_file(o.result_path + ".pid.tmp");
    pid_file << getpid() << " " << process_start_ticks(getpid()) << "\n";
  }
  std::rename((o.result_path + ".pid.tmp").c_str(), (o.result_path + ".pid").c_str());
  int code = 1;
  try {
    code = supervise_main(o);
  } catch (const std::exception& e) {
    TaskResult r;
    r.exit_code = -1;
    r.error = std::string("the supervisor failed: ") + e.what();
    std::ofstream(o.result_path) << result_json(r);
  }
  _exit(code);
}

[[noreturn]] void serve(int sock, pid_t scheduler) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != scheduler) _exit(0);  // the scheduler died before the line above
  // Only the socket stays open: the scheduler's lock file, database and listeners would
  // otherwise live on in every supervisor.
  if (sock != 3) {
    dup2(sock, 3);
    sock = 3;
  }
  syscall(SYS_close_range, 4u, ~0u, 0u);
  signal(SIGCHLD, SIG_IGN);  // supervisors are reaped by the kernel; the scheduler watches pidfds
  std::string buf(kMaxRequest, '\0');
  while (true) {
    // A batch: the first request (waiting for it), then every one already sent. Its
    // supervisors are forked back to back, each held at a gate until the last fork, so that
    // they do not take the CPU from the forking (on 2 cores, 200 children that run at once
    // made each fork wait ~2.5 ms for the launcher's turn); then all go at once.
    std::vector<SuperviseOptions> batch;
    for (int flags = 0;; flags = MSG_DONTWAIT) {
      ssize_t n = recv(sock, buf.data(), buf.size(), flags);
      if (n > 0) {
        batch.push_back(decode(buf.data(), static_cast<size_t>(n)));
        continue;
      }
      if (n == 0 || (flags == 0 && errno != EINTR)) _exit(0);  // the scheduler closed its end
      if (flags != 0) break;                                    // EAGAIN: the batch is complete
    }
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0) gate[0] = gate[1] = -1;
    std::vector<std::array<int, 2>> replies;
    for (const auto& o : batch) {
      pid_t pid = fork();
      if (pid == 0) {
        if (gate[1] >= 0) {
          ::close(gate[1]);
          char c;
          while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
          }
          ::close(gate[0]);
        }
        run_supervisor(sock, o);
      }
      replies.push_back({pid, pid < 0 ? errno : 0});
    }
    if (gate[1] >= 0) {
      ::close(gate[1]);  // every child's read returns: go
      ::close(gate[0]);
    }
    for (auto& reply : replies)
      if (send(sock, reply.data(), sizeof(int) * 2, MSG_NOSIGNAL) != sizeof(int) * 2) _exit(0);
  }
}

}  // namespace

std::unique_ptr<Launcher> Launcher::start() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw FatalError(std::string("task launcher: socketpair: ") + std::strerror(errno));
  pid_t scheduler = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    throw FatalError(std::string("task launcher: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(sv[0]);
    serve(sv[1], scheduler);
  }
  ::close(sv[1]);
  return std::unique_ptr<Launcher>(new Launcher(pid, sv[0]));
}

Launcher::~Launcher() {
  ::close(fd_);  // the launcher sees the end of its socket and exits
  int status;
  waitpid(pid_, &status, 0);
}

pid_t Launcher::launch(const SuperviseOptions& o) {
  validate(o);
  auto req = encode(o);
  if (req.size() > kMaxRequest) throw UsageError("task launcher: the task's command line is longer than 1 MiB");
  if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    throw FatalError(std::string("task launcher: send: ") + std::strerror(errno));
  int reply[2];
  ssize_t n = recv(fd_, reply, sizeof reply, 0);
  if (n != sizeof reply) throw FatalError("task launcher: it is gone (no reply)");
  if (reply[0] < 0) throw FatalError(std::string("task launcher: fork: ") + std::strerror(reply[1]));
  return reply[0];
}

std::vector<Launcher::Launched> Launcher::launch_all(const std::vector<const SuperviseOptions*>& batch) {
  constexpr size_t kWindow = 64;  // requests in flight: well within the socket's buffer
  std::vector<Launched> out(batch.size());
  std::vector<size_t> sent;  // indexes awaiting a reply, in order
  size_t next = 0, replied = 0;
  auto receive_one = [&] {
    int reply[2];
    ssize_t n = recv(fd_, reply, sizeof reply, 0);
    auto& l = out[sent[replied++]];
    l.at_ms = wall_ms();
    if (n != sizeof reply) l.error = "task launcher: it is gone (no reply)";
    else if (reply[0] < 0) l.error = std::string("task launcher: fork: ") + std::strerror(reply[1]);
    else l.pid = reply[0];
  };
  while (next < batch.size() || replied < sent.size()) {
    while (next < batch.size() && sent.size() - replied < kWindow) {
      size_t i = next++;
      try {
        validate(*batch[i]);
        auto req = encode(*batch[i]);
        if (req.size() > kMaxRequest) throw UsageError("the task's command line is longer than 1 MiB");
        if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
          throw FatalError(std::string("task launcher: send: ") + std::strerror(errno));
        sent.push_back(i);
      } catch (const std::exception& e) {
        out[i].error = e.what();
      }
    }
    if (replied < sent.size()) receive_one();
  }
  return out;
}

std::pair<int, uint64_t> read_pid_file(const std::string& result_path) {
  std::ifstream in(result_path + ".pid");
  int pid = 0;
  uint64_t ticks = 0;
  if (in >> pid >> ticks) return {pid, ticks};
  return {0, 0};
}

}  // namespace sluice::scheduler
