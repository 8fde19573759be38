#include "cli/signals.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace sluice::cli {

SignalWatcher::SignalWatcher() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    while (!done_.load()) {
      // No timeout: an idle `sluice up` or `sluice scheduler` wakes for nothing (the
      // destructor's SIGTERM to this thread ends the wait).
      int sig = sigwaitinfo(&set, nullptr);
      if (sig < 0 || done_.load()) continue;  // done_: the destructor's wake-up, not a user's signal
      std::function<void()> action;
      {
        std::lock_guard lk(mu_);
        action = action_;
      }
      if (signalled_.exchange(true) || !action) {
        static const char msg[] = "\nsluice: interrupted, exiting now\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(130);
      }
      spdlog::info("{} received: finishing the current work, then stopping (again to exit at once)",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      action();
    }
  });
}

void SignalWatcher::on_stop(std::function<void()> action) {
  std::lock_guard lk(mu_);
  action_ = std::move(action);
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  // Wakes the watcher (a SIGTERM to its thread alone, which it takes as the end).
  if (thread_.joinable()) {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
}

}  // namespace sluice::cli
