#pragma once
// Graceful stop on SIGINT/SIGTERM: a watcher thread waits for the signals (blocked in
// every other thread) and calls `on_stop` once, from that thread; a second signal ends
// the process at once with exit code 130.
//
// Construct it before starting any other thread, so they inherit the blocked mask.
#include <atomic>
#include <functional>
#include <thread>

namespace sluice::cli {

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void()> on_stop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  bool signalled() const { return signalled_.load(); }

 private:
  std::function<void()> on_stop_;
  std::atomic<bool> done_{false};
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

}  // namespace sluice::cli
