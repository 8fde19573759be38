#include "web/lag_tracker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"

namespace sluice::web {
namespace {

constexpr int64_t kEndHistoryMs = 6 * 3600 * 1000;  // how far back time lag can see
constexpr int64_t kRateWindowMs = 10'000;
// Per-partition series beyond this many partitions are left out of /metrics (the
// registry's bound on a family; the API still shows every partition).
constexpr int32_t kMetricPartitions = 120;

}  // namespace

double time_lag_seconds(const EndHistory& h, int64_t committed, int64_t end_now, int64_t now_ms) {
  if (committed >= end_now) return 0;
  // The newest sample whose end offset had not passed `committed` yet: the record at
  // `committed` was appended after it, and by the next sample.
  for (size_t i = h.size(); i-- > 0;) {
    if (h[i].second > committed) continue;
    auto [t0, e0] = h[i];
    auto [t1, e1] = i + 1 < h.size() ? h[i + 1] : std::pair{now_ms, end_now};
    double appended = e1 > e0 ? static_cast<double>(t0) + static_cast<double>(t1 - t0) *
                                                              static_cast<double>(committed - e0 + 1) /
                                                              static_cast<double>(e1 - e0)
                              : static_cast<double>(t1);
    return std::max(0.0, (static_cast<double>(now_ms) - appended) / 1000.0);
  }
  // Every sample already held it: at least as old as the oldest sample.
  return h.empty() ? 0.0 : std::max(0.0, static_cast<double>(now_ms - h.front().first) / 1000.0);
}

const GroupLag* TopicSample::group(std::string_view name) const {
  for (const auto& g : groups)
    if (g.group == name) return &g;
  return nullptr;
}

LagTracker::LagTracker(std::unique_ptr<log::Admin> admin, Options options, std::unique_ptr<history::HistoryStore> history,
                       metrics::Registry* registry)
    : admin_(std::move(admin)), opt_(std::move(options)), history_(std::move(history)), registry_(registry) {}

LagTracker::~LagTracker() { stop(); }

void LagTracker::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void LagTracker::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<TopicSample> LagTracker::latest() const {
  std::lock_guard lk(mu_);
  return latest_;
}

void LagTracker::loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    lk.unlock();
    sample(wall_ms());
    lk.lock();
    cv_.wait_for(lk, opt_.interval, [this] { return stopping_; });
  }
}

void LagTracker::sample(int64_t now) {
  TopicSample s;
  s.time_ms = now;
  std::vector<log::GroupOffsets> groups;
  try {
    if (!admin_->topic_exists(opt_.topic)) {
      s.error = "topic " + opt_.topic + " does not exist yet";
    } else {
      s.topic = admin_->describe_topic(opt_.topic);
      groups = admin_->group_offsets(opt_.topic);
    }
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  if (s.error.empty()) {
    int64_t total = 0;
    for (const auto& p : s.topic.partitions) {
      auto& h = ends_[p.partition];
      // A run of samples with one end offset keeps its first and its last time only.
      if (h.size() >= 2 && h.back().second == p.end_offset && h[h.size() - 2].second == p.end_offset) h.back().first = now;
      else h.emplace_back(now, p.end_offset);
      while (h.size() > 2 && h[1].first < now - kEndHistoryMs) h.pop_front();
      total += p.end_offset;
    }
    totals_.emplace_back(now, total);
    while (totals_.size() > 2 && totals_.front().first < now - kRateWindowMs) totals_.pop_front();
    if (totals_.size() >= 2 && totals_.back().first > totals_.front().first)
      s.rate = static_cast<double>(totals_.back().second - totals_.front().second) * 1000.0 /
               static_cast<double>(totals_.back().first - totals_.front().first);
    bool own_seen = false;
    for (const auto& g : groups) own_seen |= g.group == opt_.own_group;
    if (!own_seen && !opt_.own_group.empty()) groups.push_back({opt_.own_group, {}});
    for (const auto& g : groups) {
      GroupLag gl;
      gl.group = g.group;
      gl.lag = log::consumer_lag(s.topic, g.committed, g.group == opt_.own_group ? opt_.own_start : log::StartFrom::earliest);
      for (const auto& p : gl.lag.partitions) {
        int64_t from = p.end_offset - p.lag;  // the first record owed
        double sec = p.lag == 0 ? 0.0 : time_lag_seconds(ends_[p.partition], from, p.end_offset, now);
        gl.seconds[p.partition] = sec;
        gl.max_seconds = std::max(gl.max_seconds, sec);
      }
      s.groups.push_back(std::move(gl));
    }
  }
  if (history_ && s.error.empty()) {
    std::vector<history::LagSample> rows;
    for (const auto& g : s.groups)
      for (const auto& p : g.lag.partitions)
        rows.push_back({now, g.group, opt_.topic, p.partition, p.start_offset, p.end_offset, p.committed, p.lag,
                        g.seconds.at(p.partition)});
    try {
      history_->add_lag(rows);
      history_failing_ = false;
    } catch (const std::exception& e) {
      if (!history_failing_) spdlog::warn("lag history not kept: {}", e.what());
      history_failing_ = true;
    }
  }
  if (registry_ && s.error.empty()) publish_metrics(s);
  std::lock_guard lk(mu_);
  latest_ = std::move(s);
}

void LagTracker::publish_metrics(const TopicSample& s) {
  auto& r = *registry_;
  for (const auto& p : s.topic.partitions) {
    if (p.partition >= kMetricPartitions) continue;
    metrics::Labels l{{"topic", opt_.topic}, {"partition", std::to_string(p.partition)}};
    r.gauge("sluice_log_start_offset", "First offset the log still holds, per partition.", l).set(static_cast<double>(p.start_offset));
    r.gauge("sluice_log_end_offset", "Offset the next record of the partition will get.", l).set(static_cast<double>(p.end_offset));
  }
  const auto* own = s.group(opt_.own_group);
  if (!own) return;
  for (const auto& p : own->lag.partitions) {
    if (p.partition >= kMetricPartitions) continue;
    metrics::Labels l{{"topic", opt_.topic}, {"partition", std::to_string(p.partition)}};
    r.gauge("sluice_consumer_lag_records", "Records of the partition the pipeline's consumer group has not committed.", l)
        .set(static_cast<double>(p.lag));
    r.gauge("sluice_consumer_lag_seconds",
            "How long ago the oldest record the pipeline's group has not committed was appended.", l)
        .set(own->seconds.at(p.partition));
  }
}

}  // namespace sluice::web
