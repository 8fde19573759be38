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
      if (sig < 0) continue;
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
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice::cli
