#include "support/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "support/spawn.h"

namespace sluice::testing {

namespace {

int open_append(const fs::path& p) { return ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }

// The end of a log, for a failure message.
std::string tail(const std::string& text, size_t n = 4000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

}  // namespace

Process::Process(const std::string& command, ProcessOptions options)
    : command_(command), options_(std::move(options)) {
  if (options_.output.empty()) {
    ADD_FAILURE() << "Process `" << command_ << "`: ProcessOptions::output is required";
    return;
  }
  int out = open_append(options_.output);
  int err = options_.errors.empty() ? out : open_append(options_.errors);
  if (out < 0 || err < 0) {
    ADD_FAILURE() << "Process `" << command_ << "`: cannot open its output file: " << std::strerror(errno);
  } else {
    std::string error;
    pid_ = detail::spawn_shell(
        {.script = "exec " + command_, .out_fd = out, .err_fd = err, .cwd = options_.cwd, .own_group = true}, error);
    if (pid_ < 0) ADD_FAILURE() << "Process `" << command_ << "`: " << error;
  }
  if (out >= 0) ::close(out);
  if (err >= 0 && err != out) ::close(err);
}

Process::~Process() {
  if (pid_ > 0 && !ended_) {
    kill_group();
    detail::wait_status(pid_);
  }
}

Process::Process(Process&& other) noexcept
    : command_(std::move(other.command_)),
      options_(std::move(other.options_)),
      pid_(other.pid_),
      ended_(other.ended_),
      status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !ended_) {
      kill_group();
      detail::wait_status(pid_);
    }
    command_ = std::move(other.command_);
    options_ = std::move(other.options_);
    pid_ = other.pid_;
    ended_ = other.ended_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

bool Process::running() {
  if (pid_ <= 0 || ended_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    ended_ = true;
    status_ = r == pid_ ? status : -1;
  }
  return !ended_;
}

void Process::signal(int sig) {
  if (pid_ > 0 && !ended_) ::kill(pid_, sig);  // not reaped yet: the pid is still ours
}

int Process::wait(std::chrono::milliseconds limit, std::source_location where) {
  if (pid_ <= 0) return -1;
  auto until = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (std::chrono::steady_clock::now() >= until) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
          << "`" << command_ << "` still running after " << limit.count()
                    << " ms; killed. Its output ends:\n"
                    << tail(output());
      kill_group();
      status_ = detail::wait_status(pid_);
      ended_ = true;
      return -1;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return detail::exit_code(status_);
}

std::string Process::output() const { return slurp(options_.output); }

void Process::kill_group() {
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it had not yet made its own group
}

}  // namespace sluice::testing
