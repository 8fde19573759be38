#include "log/kafka/staging_pool.h"

#include <cstring>

namespace sluice::log::kafka {

size_t StagingPool::Chunk::append(std::string_view s) {
  if (!s.empty()) std::memcpy(bytes_.get() + used_, s.data(), s.size());
  used_ += s.size();
  return used_ - s.size();
}

StagingPool::Chunk* StagingPool::acquire() {
  Chunk* c = nullptr;
  {
    std::lock_guard lk(mu_);
    if (!pool_.empty()) {
      c = pool_.back();
      pool_.pop_back();
    } else if (chunks_.size() < kMaxChunks) {
      c = chunks_.emplace_back(std::make_unique<Chunk>()).get();
    } else {
      return nullptr;
    }
  }
  c->used_ = 0;
  c->refs_.store(1);
  return c;
}

void StagingPool::release(Chunk* c) {
  if (c->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::lock_guard lk(mu_);
  pool_.push_back(c);
}

size_t StagingPool::chunks() const {
  std::lock_guard lk(mu_);
  return chunks_.size();
}

size_t StagingPool::free_chunks() const {
  std::lock_guard lk(mu_);
  return pool_.size();
}

}  // namespace sluice::log::kafka
