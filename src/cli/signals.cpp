#include "cli/signals.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>

namespace sluice::cli {

SignalWatcher::SignalWatcher() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    while (!done_.load()) {
      timespec wait{0, 100'000'000};
      int sig = sigtimedwait(&set, nullptr, &wait);
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
  // Wakes the watcher at once (a SIGTERM to its thread alone, which it takes as the
  // end) instead of letting the process wait out its 100 ms timeout on every exit.
  if (thread_.joinable()) {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
}

}  // namespace sluice::cli
