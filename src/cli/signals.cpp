#include "cli/signals.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <ctime>

namespace sluice::cli {

SignalWatcher::SignalWatcher(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
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
      if (signalled_.exchange(true)) {
        static const char msg[] = "\nsluice: second signal, exiting now\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(130);
      }
      spdlog::info("{} received: finishing the current work and stopping (again to exit at once)",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      if (on_stop_) on_stop_();
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice::cli
