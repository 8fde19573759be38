#include "log/embedded/embedded_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/murmur2.h"
#include "log/data_loss.h"
#include "log/embedded/batch_format.h"
#include "log/embedded/group_offsets.h"
#include "log/embedded/partition_reader.h"
#include "log/embedded/partition_writer.h"
#include "log/embedded/segment_files.h"

namespace sluice::log::embedded {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// --- topic directories ----------------------------------------------------------------

std::string topic_dir(const std::string& root, const std::string& topic) { return root + "/" + topic; }

std::string partition_dir(const std::string& root, const std::string& topic, int32_t partition) {
  return topic_dir(root, topic) + "/" + std::to_string(partition);
}

TopicMeta read_topic_meta(const std::string& root, const std::string& topic) {
  TopicMeta m;
  std::ifstream in(topic_dir(root, topic) + "/topic.meta");
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto key = line.substr(0, eq);
    int v = std::atoi(line.c_str() + eq + 1);
    if (key == "partitions") m.partitions = v;
    if (key == "replication_factor") m.replication_factor = v;
  }
  return m;
}

bool create_topic_dirs(const std::string& root, const std::string& topic, int32_t partitions, int32_t rf) {
  if (!valid_topic_name(topic))
    throw UsageError("invalid topic name \"" + topic + "\": use 1 to 249 of the characters a-z A-Z 0-9 . _ -");
  if (partitions < 1) throw UsageError("a topic needs at least one partition");
  if (read_topic_meta(root, topic).partitions > 0) return false;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw FatalError("cannot create the log directory " + root + ": " + ec.message());
  // Build the topic in a temporary directory and rename it into place: readers never
  // see a half-made topic, and two creators cannot both win.
  std::string tmp = root + "/.creating-" + topic + "-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp + "/groups", ec);
  for (int32_t p = 0; p < partitions && !ec; ++p) fs::create_directories(tmp + "/" + std::to_string(p), ec);
  if (ec) throw FatalError("cannot create topic " + topic + " in " + root + ": " + ec.message());
  {
    std::ofstream meta(tmp + "/topic.meta");
    meta << "partitions=" << partitions << "\nreplication_factor=" << rf << "\n";
  }
  if (::rename(tmp.c_str(), topic_dir(root, topic).c_str()) != 0) {
    fs::remove_all(tmp, ec);
    if (read_topic_meta(root, topic).partitions > 0) return false;
    throw FatalError("cannot create topic " + topic + " in " + root + ": " + std::strerror(errno));
  }
  fsync_dir(root);
  return true;
}

bool LockFile::try_lock(const std::string& path, long& holder) {
  release();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw FatalError("cannot open lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    holder = n > 0 ? std::atol(buf) : 0;
    ::close(fd);
    return false;
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  fd_ = fd;
  return true;
}

void LockFile::release() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
  fd_ = -1;
}

namespace {

std::string holder_text(long pid) { return pid > 0 ? "process " + std::to_string(pid) : "another process"; }


// --- producer ---------------------------------------------------------------------------

class EmbeddedProducer : public Producer {
 public:
  EmbeddedProducer(std::string root, LogSettings settings, ProducerOptions options)
      : root_(std::move(root)), settings_(std::move(settings)), opt_(options) {
    if (opt_.exclusive && settings_.embedded.fsync == FsyncPolicy::interval)
      sync_thread_ = std::thread([this] { sync_loop(); });
  }

  ~EmbeddedProducer() override {
    try {
      flush(std::chrono::milliseconds(0));
    } catch (const std::exception& e) {
      spdlog::error("embedded log: final flush failed: {}", e.what());
    }
    {
      std::lock_guard lk(sync_mu_);
      stopping_ = true;
    }
    sync_cv_.notify_all();
    if (sync_thread_.joinable()) sync_thread_.join();
  }

  void send(const OutRecord& r) override {
    Topic& t = topic(r.topic);
    int32_t p = r.partition;
    if (p >= t.partitions) throw UsageError("partition " + std::to_string(p) + " of topic " + t.name + " does not exist");
    if (p < 0) p = r.key ? partition_for_key(*r.key, t.partitions) : t.sticky;
    auto& part = t.parts[static_cast<size_t>(p)];
    if (part.batch.empty()) part.first_at = Clock::now();
    part.batch.add(r, r.timestamp_ms > 0 ? r.timestamp_ms : wall_ms());
    if (static_cast<int64_t>(part.batch.size()) >= settings_.embedded.batch_bytes) write(t, p);
  }

  DeliveryStats poll() override {
    auto now = Clock::now();
    for (auto& [name, t] : topics_)
      for (size_t p = 0; p < t->parts.size(); ++p)
        if (!t->parts[p].batch.empty() && now - t->parts[p].first_at >= settings_.embedded.linger)
          write(*t, static_cast<int32_t>(p));
    return stats_;
  }

  DeliveryStats flush(std::chrono::milliseconds) override {
    for (auto& [name, t] : topics_)
      for (size_t p = 0; p < t->parts.size(); ++p)
        if (!t->parts[p].batch.empty()) write(*t, static_cast<int32_t>(p));
    return stats_;
  }

 private:
  struct Part {
    BatchBuilder batch;
    Clock::time_point first_at;
    std::unique_ptr<PartitionWriter> writer;  // exclusive mode: open for the producer's life
  };
  struct Topic {
    std::string name;
    int32_t partitions = 0;
    int32_t sticky = 0;  // partition of records without key, moves on after each write
    std::vector<Part> parts;
    LockFile lock;
  };

  Topic& topic(std::string_view name) {
    if (last_ && last_->name == name) return *last_;
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      std::string n(name);
      if (read_topic_meta(root_, n).partitions == 0)
        create_topic_dirs(root_, n, settings_.partitions, settings_.replication_factor);
      auto t = std::make_unique<Topic>();
      t->name = n;
      t->partitions = read_topic_meta(root_, n).partitions;
      t->parts.resize(static_cast<size_t>(t->partitions));
      if (opt_.exclusive) {
        long holder = 0;
        if (!t->lock.try_lock(topic_dir(root_, n) + "/writer.lock", holder))
          throw FatalError("topic " + n + " in " + root_ + " is being written by " + holder_text(holder) +
                           "; the embedded log allows one writer process per topic (stop the other one, or use "
                           "a different --log directory)");
      }
      std::lock_guard lk(sync_mu_);  // the sync thread walks topics_
      it = topics_.emplace(n, std::move(t)).first;
    }
    last_ = it->second.get();
    return *last_;
  }

  void write(Topic& t, int32_t p) {
    auto& part = t.parts[static_cast<size_t>(p)];
    uint32_t n = part.batch.count();
    try {
      if (opt_.exclusive) {
        if (!part.writer) {
          auto w = std::make_unique<PartitionWriter>(partition_dir(root_, t.name, p), settings_.embedded);
          std::lock_guard lk(sync_mu_);
          part.writer = std::move(w);
        }
        part.writer->append(part.batch);
      } else {
        write_shared(t, part);
      }
      stats_.acked += n;
    } catch (const FatalError& e) {
      stats_.failed += n;
      stats_.last_error = e.what();
      spdlog::error("embedded log: {} records to {}/{} not written: {}", n, t.name, p, e.what());
    }
    part.batch.clear();
    if (t.sticky == p) t.sticky = (p + 1) % t.partitions;
  }

  // Takes the topic's writer lock for this one write (waiting up to 10 s), appends
  // after recovering whatever another process left, syncs and lets go.
  void write_shared(Topic& t, Part& part) {
    LockFile lock;
    long holder = 0;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!lock.try_lock(topic_dir(root_, t.name) + "/writer.lock", holder)) {
      if (Clock::now() > deadline)
        throw FatalError("topic " + t.name + " in " + root_ + " stayed locked by " + holder_text(holder) + " for 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    int32_t p = static_cast<int32_t>(&part - t.parts.data());
    PartitionWriter w(partition_dir(root_, t.name, p), settings_.embedded);
    w.append(part.batch);
    if (settings_.embedded.fsync != FsyncPolicy::never) w.sync();
  }

  // The interval fsync policy: every fsync_interval, sync what was written since.
  // Runs on its own thread; PartitionWriter's mutex orders it with append().
  void sync_loop() {
    auto next_retention = Clock::now() + std::chrono::seconds(30);
    std::unique_lock lk(sync_mu_);
    while (!stopping_) {
      sync_cv_.wait_for(lk, settings_.embedded.fsync_interval, [&] { return stopping_; });
      bool retention = Clock::now() >= next_retention;
      if (retention) next_retention = Clock::now() + std::chrono::seconds(30);
      for (auto* w : writers_snapshot_locked()) {
        w->sync();
        if (retention) w->apply_retention();
      }
    }
  }

  // Writers are created on the producer thread under sync_mu_ and never destroyed
  // before the sync thread stops, so raw pointers are safe while sync_mu_ is held.
  std::vector<PartitionWriter*> writers_snapshot_locked() {
    std::vector<PartitionWriter*> out;
    for (auto& [name, t] : topics_)
      for (auto& part : t->parts)
        if (part.writer) out.push_back(part.writer.get());
    return out;
  }

  std::string root_;
  LogSettings settings_;
  ProducerOptions opt_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
  Topic* last_ = nullptr;
  DeliveryStats stats_;

  std::mutex sync_mu_;  // guards topics_' structure against the sync thread, and stopping_
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  std::thread sync_thread_;
};

// --- consumer ---------------------------------------------------------------------------

class EmbeddedConsumer : public Consumer {
 public:
  EmbeddedConsumer(std::string root, ConsumerOptions options) : root_(std::move(root)), opt_(std::move(options)) {}

  void subscribe(const std::vector<std::string>& topics) override {
    if (opt_.group.empty()) throw UsageError("subscribe() needs a consumer group");
    parts_.clear();
    for (const auto& topic : topics) {
      auto meta = read_topic_meta(root_, topic);
      if (meta.partitions == 0) throw UsageError("topic " + topic + " does not exist in " + root_);
      auto& g = groups_[topic];
      long holder = 0;
      std::string groups_dir = topic_dir(root_, topic) + "/groups";
      std::error_code ec;
      fs::create_directories(groups_dir, ec);
      if (!g.lock.held() && !g.lock.try_lock(groups_dir + "/" + opt_.group + ".lock", holder))
        throw FatalError("consumer group " + opt_.group + " of topic " + topic + " is in use by " + holder_text(holder) +
                         "; the embedded log serves one consumer process per group (scale out on Kafka)");
      g.file = std::make_unique<GroupOffsetsFile>(groups_dir + "/" + opt_.group + ".offsets");
      g.committed = g.file->load();
      for (int32_t p = 0; p < meta.partitions; ++p) {
        int64_t offset;
        auto it = g.committed.find(p);
        auto extent = partition_extent(partition_dir(root_, topic, p));
        if (it == g.committed.end()) {
          offset = opt_.start == StartFrom::latest ? extent.end : extent.start;
        } else if (it->second < extent.start || it->second > extent.end) {
          offset = extent.start;
          DataLoss loss{.group = opt_.group,
                        .topic = topic,
                        .partition = p,
                        .committed = it->second,
                        .held_start = extent.start,
                        .held_end = extent.end,
                        .held_by = "log",
                        .resume_at = extent.start};
          if (opt_.fail_on_data_loss) throw DataLossError(data_loss_message(loss, OnDataLoss::fail));
          spdlog::warn("{}", data_loss_message(loss, OnDataLoss::warn));
        } else {
          offset = it->second;
        }
        parts_.push_back(std::make_unique<PartitionReader>(topic, p, partition_dir(root_, topic, p), offset));
      }
    }
  }

  void assign(const std::vector<TopicPartitionOffset>& list) override {
    parts_.clear();
    for (const auto& a : list)
      parts_.push_back(
          std::make_unique<PartitionReader>(a.topic, a.partition, partition_dir(root_, a.topic, a.partition), a.offset));
  }

  std::vector<Message> poll(size_t max, std::chrono::milliseconds timeout) override {
    std::vector<Message> out;
    if (parts_.empty() || max == 0) return out;
    auto deadline = Clock::now() + timeout;
    while (true) {
      // Each partition in turn, starting after the one served first last time.
      size_t share = std::max<size_t>(1, max / parts_.size());
      for (size_t i = 0; i < parts_.size() && out.size() < max; ++i) {
        auto& r = parts_[(next_ + i) % parts_.size()];
        r->read(std::min(share, max - out.size()), out);
      }
      next_ = (next_ + 1) % parts_.size();
      for (size_t i = 0; i < parts_.size() && out.size() < max; ++i) parts_[i]->read(max - out.size(), out);
      if (!out.empty() || Clock::now() >= deadline) return out;
      std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(2), deadline - Clock::now()));
    }
  }

  std::vector<TopicPartitionOffset> commit(const std::vector<TopicPartitionOffset>& offsets) override {
    if (opt_.group.empty()) throw UsageError("commit() needs a consumer group");
    std::map<std::string, bool> touched;
    for (const auto& o : offsets) {
      auto it = groups_.find(o.topic);
      if (it == groups_.end() || !it->second.file)
        throw UsageError("commit for topic " + o.topic + ", which this consumer did not subscribe to");
      it->second.committed[o.partition] = o.offset;
      touched[o.topic] = true;
    }
    for (auto& [topic, _] : touched) groups_[topic].file->store(groups_[topic].committed);
    return offsets;  // one consumer per group: partitions are never taken away
  }

  std::vector<TopicPartitionOffset> committed() override {
    std::vector<TopicPartitionOffset> out;
    for (auto& [topic, g] : groups_)
      for (auto [p, o] : g.committed) out.push_back({topic, p, o});
    return out;
  }

 private:
  struct Group {
    LockFile lock;
    std::unique_ptr<GroupOffsetsFile> file;
    std::map<int32_t, int64_t> committed;
  };
  std::string root_;
  ConsumerOptions opt_;
  std::vector<std::unique_ptr<PartitionReader>> parts_;
  size_t next_ = 0;
  std::map<std::string, Group> groups_;
};

// --- admin ------------------------------------------------------------------------------

class EmbeddedAdmin : public Admin {
 public:
  explicit EmbeddedAdmin(std::string root) : root_(std::move(root)) {}

  std::vector<std::string> list_topics() override {
    std::vector<std::string> out;
    DIR* d = opendir(root_.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.empty() || name[0] == '.') continue;
      if (read_topic_meta(root_, name).partitions > 0) out.push_back(name);
    }
    closedir(d);
    return out;
  }

  TopicDescription describe_topic(std::string_view topic) override {
    std::string t(topic);
    auto meta = read_topic_meta(root_, t);
    if (meta.partitions == 0) throw UsageError("topic " + t + " does not exist in " + root_);
    TopicDescription d;
    d.name = t;
    d.replication_factor = meta.replication_factor;
    for (int32_t p = 0; p < meta.partitions; ++p) {
      auto e = partition_extent(partition_dir(root_, t, p));
      d.partitions.push_back({p, e.start, e.end, e.bytes});
    }
    return d;
  }

  bool topic_exists(std::string_view topic) override { return read_topic_meta(root_, std::string(topic)).partitions > 0; }

  bool create_topic(std::string_view topic, int32_t partitions, int32_t rf) override {
    return create_topic_dirs(root_, std::string(topic), partitions, rf);
  }

  std::vector<GroupOffsets> group_offsets(std::string_view topic) override {
    std::vector<GroupOffsets> out;
    std::string dir = topic_dir(root_, std::string(topic)) + "/groups";
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 8 && name.ends_with(".offsets")) names.push_back(name.substr(0, name.size() - 8));
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& g : names) out.push_back({g, GroupOffsetsFile(dir + "/" + g + ".offsets").load()});
    return out;
  }

 private:
  std::string root_;
};

}  // namespace

EmbeddedLog::EmbeddedLog(std::string root, LogSettings settings) : root_(std::move(root)), settings_(std::move(settings)) {}

std::unique_ptr<Producer> EmbeddedLog::producer(const ProducerOptions& options) {
  return std::make_unique<EmbeddedProducer>(root_, settings_, options);
}

std::unique_ptr<Consumer> EmbeddedLog::consumer(const ConsumerOptions& options) {
  return std::make_unique<EmbeddedConsumer>(root_, options);
}

std::unique_ptr<Admin> EmbeddedLog::admin() { return std::make_unique<EmbeddedAdmin>(root_); }

}  // namespace sluice::log::embedded
