#pragma once
// The log seam: what the pipeline needs of a partitioned, durable log (Kafka's role in
// the seed). Two backends sit behind it, picked by URI in log/factory/open_log.h:
// `file:<dir>` (the embedded segment log in log/embedded/) and `kafka://host:port`
// (librdkafka, log/kafka/). Their settings are in log/log_settings.h.
//
// Contracts every backend keeps:
// - Producer: a record counts as acknowledged only once the log holds it (embedded:
//   written to the segment file; Kafka: delivery report with acks=all).
// - Consumer: offsets are committed only by an explicit commit(); a committed offset is
//   the next offset to read (Kafka's convention).
// - Keyed records go to partition_for_key(key, partitions) (Kafka's murmur2
//   partitioner), so a key lands on the same partition number on both backends.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace sluice::log {

struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};

// A record to append. The producer copies what it needs before send() returns.
struct OutRecord {
  std::string_view topic;
  std::optional<std::string_view> key;  // nullopt: no key (round-robin partition)
  std::string_view value;
  int64_t timestamp_ms = 0;    // 0: the producer stamps the current time
  int32_t partition = -1;      // -1: chosen from the key (murmur2) or round-robin
  std::span<const Header> headers = {};
};

// A record read back from the log.
struct Message {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::string value;
  std::vector<Header> headers;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // next offset to read
  bool operator==(const TopicPartitionOffset&) const = default;
};

// Totals since the producer was created.
struct DeliveryStats {
  uint64_t acked = 0;
  uint64_t failed = 0;
  std::string last_error;  // reason of the latest failure, empty if none
  // Non-empty while the log cannot be reached (Kafka: all brokers down); records wait
  // in the producer's queue meanwhile. Cleared by the next acknowledged record.
  std::string unreachable;
};

// Threading: a producer is used by one thread at a time (send, poll, flush, the
// destructor). A caller sharing one between threads serializes the calls itself, as
// SharedProducer does for the dead-letter topic that `sluice run` writes from two
// threads. Delivery reports are served inside those calls, on the calling thread, so
// the totals move only there (Kafka: librdkafka runs its delivery callbacks in
// rd_kafka_poll/rd_kafka_flush, which send() also calls while it waits for room).
// A backend's own threads (embedded: interval fsync and retention; Kafka: librdkafka's)
// never call back into the caller.
class Producer {
 public:
  virtual ~Producer() = default;
  // Queues one record (copying it). Blocks while the producer's buffer is full
  // (backpressure). Throws FatalError when the log cannot take records at all
  // (e.g. another process holds the topic's writer lock).
  virtual void send(const OutRecord& record) = 0;
  // Does due background work (writes batches whose linger time passed, serves
  // delivery reports) and returns the totals so far. Never blocks for long.
  virtual DeliveryStats poll() = 0;
  // Writes out everything queued and waits up to `timeout` for its acknowledgement.
  virtual DeliveryStats flush(std::chrono::milliseconds timeout) = 0;
};

enum class StartFrom { earliest, latest };

struct ConsumerOptions {
  std::string group;  // empty: no group (assign() only, commit() is an error)
  StartFrom start = StartFrom::earliest;  // for partitions with no committed offset
  // A committed offset the log no longer holds (records deleted by retention, or the
  // topic recreated) is data loss. true: poll() throws DataLossError naming the
  // partition and the offsets (Spark's failOnDataLoss); false: a warning, and reading
  // goes on from the earliest offset held.
  bool fail_on_data_loss = true;
};

class DataLossError : public FatalError {
 public:
  using FatalError::FatalError;
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Joins the group for these topics: every partition of them (embedded log), or the
  // partitions the group coordinator assigns (Kafka). Reading starts from the
  // group's committed offsets, else from options.start.
  virtual void subscribe(const std::vector<std::string>& topics) = 0;
  // Reads these partitions from these offsets, outside any group management.
  virtual void assign(const std::vector<TopicPartitionOffset>& partitions) = 0;
  // Returns up to `max` messages in offset order per partition, waiting up to
  // `timeout` when none is available. An empty result means nothing new.
  virtual std::vector<Message> poll(size_t max, std::chrono::milliseconds timeout) = 0;
  // Durably stores the group's next offsets for these partitions and returns those it
  // stored (they survive a crash): all of them, or fewer if the group took partitions
  // away meanwhile (Kafka rebalance; none while one is under way). A partition left out
  // is replayed by its new owner from its last commit, which the sink's upserts make
  // harmless. Throws FatalError if the log cannot store them.
  virtual std::vector<TopicPartitionOffset> commit(const std::vector<TopicPartitionOffset>& offsets) = 0;
  // Called while the caller cannot take records for a while (the sink is down and the
  // batch waits): keeps the consumer a member of its group without reading more.
  // The next poll() reads on from where it stopped.
  virtual void keep_alive() {}
  // The group's committed offsets for the partitions it reads (absent: none).
  virtual std::vector<TopicPartitionOffset> committed() = 0;
};

struct PartitionInfo {
  int32_t partition = 0;
  int64_t start_offset = 0;  // first offset still held (after retention)
  int64_t end_offset = 0;    // offset the next record will get
  int64_t bytes = 0;         // bytes held on disk (0 if the backend cannot tell)
};

struct TopicDescription {
  std::string name;
  int32_t replication_factor = 1;
  std::vector<PartitionInfo> partitions;
};

struct GroupOffsets {
  std::string group;
  std::map<int32_t, int64_t> committed;  // partition -> next offset to read
};

class Admin {
 public:
  virtual ~Admin() = default;
  virtual std::vector<std::string> list_topics() = 0;
  // Throws UsageError if the topic does not exist.
  virtual TopicDescription describe_topic(std::string_view topic) = 0;
  virtual bool topic_exists(std::string_view topic) = 0;
  // Creates the topic; returns false (and changes nothing) if it already exists.
  virtual bool create_topic(std::string_view topic, int32_t partitions, int32_t replication_factor) = 0;
  // The consumer groups that committed offsets for this topic.
  virtual std::vector<GroupOffsets> group_offsets(std::string_view topic) = 0;
};

struct ProducerOptions {
  // Embedded log only (Kafka has no such rule). true: the producer holds each topic's
  // writer lock from its first record to its end, so a second writer of the topic is
  // refused. false: it takes the lock for each write only, so several processes can
  // append to a low-volume topic in turn (the dead-letter topic, which both
  // `sluice produce` and `sluice stream` write).
  bool exclusive = true;
};

// One log: a factory of producers, consumers and admin clients for one URI.
class Log {
 public:
  virtual ~Log() = default;
  virtual std::unique_ptr<Producer> producer(const ProducerOptions& options = {}) = 0;
  virtual std::unique_ptr<Consumer> consumer(const ConsumerOptions& options) = 0;
  virtual std::unique_ptr<Admin> admin() = 0;
  virtual std::string describe() const = 0;  // e.g. "embedded log at ./data/log"
};

}  // namespace sluice::log
