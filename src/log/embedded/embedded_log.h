#pragma once
// The embedded log (URI file:DIR): Kafka's role on one machine, with no server. Topics
// of N partitions in a directory tree (format: batch_format.h); one writer process
// per topic, any number of reader processes; consumer groups with atomically stored
// offsets. Implements the log seam (log/log.h).
#include <memory>
#include <string>

#include "log/log.h"
#include "log/log_settings.h"

namespace sluice::log::embedded {

class EmbeddedLog : public Log {
 public:
  EmbeddedLog(std::string root, LogSettings settings);
  std::unique_ptr<Producer> producer(const ProducerOptions& options = {}) override;
  std::unique_ptr<Consumer> consumer(const ConsumerOptions& options) override;
  std::unique_ptr<Admin> admin() override;
  std::string describe() const override { return "embedded log at " + root_; }

 private:
  std::string root_;
  LogSettings settings_;
};

// Topic directory helpers (shared by the producer, consumer and admin).
struct TopicMeta {
  int32_t partitions = 0;
  int32_t replication_factor = 1;
};
std::string topic_dir(const std::string& root, const std::string& topic);
std::string partition_dir(const std::string& root, const std::string& topic, int32_t partition);
// Reads DIR/<topic>/topic.meta; partitions == 0 if the topic does not exist.
TopicMeta read_topic_meta(const std::string& root, const std::string& topic);
// Creates the topic atomically (all its directories appear at once); false if it exists.
bool create_topic_dirs(const std::string& root, const std::string& topic, int32_t partitions, int32_t rf);

// An flock'ed lock file that says who holds it.
class LockFile {
 public:
  LockFile() = default;
  ~LockFile() { release(); }
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  // Takes the lock without waiting; on failure returns false and sets `holder` to the
  // pid written in the file (0 if unknown).
  bool try_lock(const std::string& path, long& holder);
  void release();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace sluice::log::embedded
