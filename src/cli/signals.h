#pragma once
// Graceful stop on SIGINT/SIGTERM. Created first thing in main, before any other
// thread, it blocks the two signals in every thread and waits for them on its own.
// The first signal calls the action the running command registered with on_stop()
// (finish the current work, then return); with none registered, or on a second
// signal, the process exits at once with code 130.
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace sluice::cli {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Sets the action of the first signal (called on the watcher's thread).
  void on_stop(std::function<void()> action);
  bool signalled() const { return signalled_.load(); }

 private:
  std::mutex mu_;
  std::function<void()> action_;
  std::atomic<bool> done_{false};
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

}  // namespace sluice::cli
