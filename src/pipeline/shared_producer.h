#pragma once
// A log producer shared by two threads: in `sluice run` the produce task and the query
// both send dead letters through one producer of the dead-letter topic, and a
// Producer is used by one thread at a time (log/log.h). Every call takes the lock;
// dead letters are rare, so the lock is never hot.
#include <mutex>

#include "log/log.h"

namespace sluice::pipeline {

class SharedProducer final : public log::Producer {
 public:
  explicit SharedProducer(log::Producer& p) : p_(p) {}
  void send(const log::OutRecord& r) override {
    std::lock_guard lk(mu_);
    p_.send(r);
  }
  log::DeliveryStats poll() override {
    std::lock_guard lk(mu_);
    return p_.poll();
  }
  log::DeliveryStats flush(std::chrono::milliseconds t) override {
    std::lock_guard lk(mu_);
    return p_.flush(t);
  }

 private:
  log::Producer& p_;
  std::mutex mu_;
};

}  // namespace sluice::pipeline
