#include "log/kafka/kafka_log.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>

#include "common/error.h"

namespace sluice::log::kafka {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kAdminTimeoutMs = 10'000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A librdkafka configuration: bootstrap servers, sluice's defaults for this client,
// then the user's `kafka.*` keys, which win. Bad keys or values are usage errors.
rd_kafka_conf_t* make_conf(const std::string& bootstrap, const std::map<std::string, std::string>& defaults,
                           const std::map<std::string, std::string>& user) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v, bool from_user) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw UsageError(std::string(from_user ? "kafka." : "librdkafka setting ") + k + ": " + err);
    }
  };
  set("bootstrap.servers", bootstrap, false);
  for (const auto& [k, v] : defaults)
    if (!user.count(k)) set(k, v, false);
  for (const auto& [k, v] : user) set(k, v, true);
  return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);  // takes conf on success
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw UsageError(std::string("Kafka client: ") + err);
  }
  return rk;
}

// librdkafka's own log lines go through spdlog (they may name brokers, never secrets).
void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (level <= 3) spdlog::error("librdkafka {}: {}", fac, buf);
  else if (level <= 5) spdlog::warn("librdkafka {}: {}", fac, buf);
  else spdlog::debug("librdkafka {}: {}", fac, buf);
}

// --- producer ---------------------------------------------------------------------------

class KafkaProducer : public Producer {
 public:
  KafkaProducer(const std::string& bootstrap, const LogSettings& s) {
    // A queue of 20,000 records (~10 MB): records are still in the CPU's cache when
    // librdkafka compresses them and when their memory is reused. On the bench (local
    // broker) 9% less CPU and 40 MB less memory than 100,000, and as fast as 500,000.
    // Against a distant broker the queue bounds throughput to about its size per
    // round trip (10 MB / 10 ms = 1 GB/s); raise kafka.queue.buffering.max.messages then.
    conf_ = make_conf(bootstrap,
                      {{"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"compression.type", "lz4"},
                       {"linger.ms", "5"},
                       {"partitioner", "murmur2_random"},
                       {"queue.buffering.max.messages", "20000"}},
                      s.kafka);
    partitioner_ = keyed_partitioner(conf_value(conf_, "partitioner"));
    refresh_every_ = std::chrono::milliseconds(std::stoll(conf_value(conf_, "topic.metadata.refresh.interval.ms")));
    rd_kafka_conf_set_opaque(conf_, this);
    rd_kafka_conf_set_dr_msg_cb(conf_, &KafkaProducer::on_delivery);
    rd_kafka_conf_set_error_cb(conf_, &KafkaProducer::on_error);
    rd_kafka_conf_set_log_cb(conf_, log_cb);
  }

  ~KafkaProducer() override {
    if (!rk_) {  // never sent a record
      if (conf_) rd_kafka_conf_destroy(conf_);
      return;
    }
    try {
      if (!send_staged(Clock::now()))  // one try: a closing producer must not wait for room
        spdlog::error("{} records were not handed to Kafka before the producer closed", staged_.size());
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
    }
    rd_kafka_flush(rk_, 10'000);
    for (auto& [name, t] : topics_) rd_kafka_topic_destroy(t.rkt);
    rd_kafka_destroy(rk_);
  }

  // Plain records (no headers, partition or timestamp of their own) are staged and
  // handed to librdkafka a batch at a time: one topic lock and one clock read per
  // batch instead of per record. The others go at once, after the staged ones.
  void send(const OutRecord& r) override {
    if (topic_ != r.topic) {
      send_staged();
      topic_.assign(r.topic);
      cur_ = &topic_state(topic_);
    }
    if (!r.headers.empty() || r.partition >= 0 || r.timestamp_ms > 0) {
      send_staged();
      send_one(r);
      return;
    }
    size_t need = r.value.size() + (r.key ? r.key->size() : 0);
    if (need > kChunkBytes) {  // larger than any batch: copied by librdkafka on its own
      send_staged();
      send_one(r);
      return;
    }
    if (!open_ || open_->used + need > kChunkBytes) {
      send_staged();
      if (!open_chunk()) {  // every chunk pinned by records not yet acknowledged
        send_one(r);
        return;
      }
    }
    Staged st;
    st.has_key = r.key.has_value();
    if (st.has_key) st.key_at = open_->append(*r.key);
    st.key_len = st.has_key ? r.key->size() : 0;
    st.value_at = open_->append(r.value);
    st.value_len = r.value.size();
    staged_.push_back(st);
    if (staged_.size() >= kStageRecords) send_staged();
  }

  DeliveryStats poll() override {
    if (!rk_) return stats();
    send_staged();
    rd_kafka_poll(rk_, 0);
    return stats();
  }

  DeliveryStats flush(std::chrono::milliseconds timeout) override {
    if (!rk_) return stats();
    auto deadline = Clock::now() + timeout;
    send_staged(deadline);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    rd_kafka_flush(rk_, static_cast<int>(std::max<int64_t>(0, left.count())));
    return stats();
  }

 private:
  static constexpr size_t kStageRecords = 1024;
  static constexpr size_t kChunkBytes = 1 << 20;
  static constexpr size_t kMaxChunks = 64;

  // Staged records' bytes, which librdkafka reads until each record's delivery report
  // (no copy). A chunk holds one reference while records are added to it and one per
  // record handed over; the last one released puts it back in the pool.
  struct Chunk {
    std::unique_ptr<char[]> bytes{new char[kChunkBytes]};
    size_t used = 0;
    std::atomic<uint32_t> refs{0};
    size_t append(std::string_view s) {
      std::memcpy(bytes.get() + used, s.data(), s.size());
      used += s.size();
      return used - s.size();
    }
  };

  struct Staged {
    size_t key_at = 0, key_len = 0, value_at = 0, value_len = 0;
    bool has_key = false;
  };

  // A chunk to stage records in, from the pool or new; false (and no open chunk) if
  // kMaxChunks are all held by records not yet acknowledged. That bounds the memory
  // when one partition's records wait long (its leader is down) and pin every chunk
  // that holds one of them: records are then copied by librdkafka, one at a time.
  bool open_chunk() {
    if (open_) release(open_);
    open_ = nullptr;
    std::lock_guard lk(pool_mu_);
    if (!pool_.empty()) {
      open_ = pool_.back();
      pool_.pop_back();
    } else if (chunks_.size() < kMaxChunks) {
      open_ = chunks_.emplace_back(std::make_unique<Chunk>()).get();
    } else {
      if (!warned_pinned_)
        spdlog::warn("Kafka producer: {} MiB of records wait for their delivery reports; further records are copied "
                     "into librdkafka's queue one at a time until some are acknowledged",
                     kMaxChunks * kChunkBytes >> 20);
      warned_pinned_ = true;
      return false;
    }
    open_->used = 0;
    open_->refs.store(1);
    return true;
  }

  void release(Chunk* c) {
    if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard lk(pool_mu_);
    pool_.push_back(c);
  }

  // Backpressure: librdkafka's queue is full because the broker is slow or
  // unreachable. Waits for deliveries; nothing is dropped.
  void wait_for_room(std::optional<Clock::time_point>& waiting_since) {
    if (!waiting_since) waiting_since = Clock::now();  // no clock read until the queue is full
    if (Clock::now() - *waiting_since > std::chrono::seconds(5) && !warned_full_) {
      spdlog::warn("Kafka producer queue is full: the broker is slow or unreachable; the source waits");
      warned_full_ = true;
    }
    rd_kafka_poll(rk_, 100);
  }

  [[noreturn]] void fail(rd_kafka_resp_err_t err) {
    throw FatalError("cannot produce to Kafka topic " + topic_ + ": " + rd_kafka_err2str(err));
  }

  // Hands the staged records to librdkafka, waiting while its queue is full until
  // `deadline` (none: as long as it takes). Returns false if some are left staged.
  //
  // Keyed records go grouped by partition, one rd_kafka_produce_batch call per
  // partition: librdkafka enqueues each group under one lock, and its broker thread
  // builds each partition's batch from neighbouring memory (on the bench, 6% less wall
  // time than handing records over in their own order, 20 alternating runs). The
  // partition is the one librdkafka's configured partitioner would pick, from the
  // partition count the producer last read; records keep their order within each
  // partition, the only order Kafka keeps.
  bool send_staged(std::optional<Clock::time_point> deadline = std::nullopt) {
    if (staged_.empty()) return true;
    const size_t n = staged_.size();
    // parts == 0: librdkafka partitions them, one group in the order staged.
    const int32_t parts = grouping_partitions();
    const size_t groups = parts > 0 ? static_cast<size_t>(parts) : 1;
    // A stable counting sort of the staged records by partition into batch_:
    // batch_[at] holds staged_[order_[at]], and once sorted group g ends at
    // group_end_[g] (and starts where g - 1 ends).
    part_of_.resize(n);
    group_end_.assign(groups + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      const Staged& st = staged_[i];
      part_of_[i] =
          parts > 0 ? partitioner_(cur_->rkt, open_->bytes.get() + st.key_at, st.key_len, parts, nullptr, nullptr) : 0;
      ++group_end_[static_cast<size_t>(part_of_[i]) + 1];
    }
    for (size_t g = 1; g <= groups; ++g) group_end_[g] += group_end_[g - 1];
    batch_.assign(n, rd_kafka_message_t{});
    order_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      size_t at = group_end_[static_cast<size_t>(part_of_[i])]++;
      order_[at] = i;
      fill(batch_[at], staged_[i]);
    }
    left_.clear();
    size_t begin = 0;
    for (size_t g = 0; g < groups; ++g) {
      size_t end = group_end_[g];
      int32_t partition = parts > 0 ? static_cast<int32_t>(g) : RD_KAFKA_PARTITION_UA;
      for (size_t i = produce_run(partition, begin, end, deadline); i < end; ++i) left_.push_back(staged_[order_[i]]);
      begin = end;
    }
    staged_.swap(left_);
    return staged_.empty();
  }

  // The partition count to group the staged records by, or 0 to let librdkafka
  // partition them: a partitioner without a keyed form (random), an unkeyed record
  // (the *_random partitioners pick at random for those), or an unknown count. The
  // count is read again every topic.metadata.refresh.interval.ms, as librdkafka and
  // Java's producer do: a key moves when partitions are added.
  int32_t grouping_partitions() {
    if (!partitioner_) return 0;
    for (const Staged& st : staged_)
      if (!st.has_key) return 0;
    auto now = Clock::now();
    if (now >= cur_->refresh_at) {
      read_partition_count(*cur_, std::chrono::seconds(1));  // the producer waits meanwhile
      cur_->refresh_at = now + (cur_->partitions > 0 ? refresh_every_ : std::chrono::milliseconds(10'000));
    }
    return cur_->partitions;
  }

  void fill(rd_kafka_message_t& m, const Staged& st) const {
    m.payload = open_->bytes.get() + st.value_at;
    m.len = st.value_len;
    if (st.has_key) {
      m.key = open_->bytes.get() + st.key_at;
      m.key_len = st.key_len;
    }
    m._private = open_;  // the delivery report's msg_opaque
  }

  // Hands batch_[begin, end) to librdkafka for `partition` (or RD_KAFKA_PARTITION_UA),
  // in order, waiting while its queue is full until `deadline`. Returns where the
  // records it took end.
  size_t produce_run(int32_t partition, size_t begin, size_t end, std::optional<Clock::time_point> deadline) {
    std::optional<Clock::time_point> waiting_since;
    size_t done = begin;
    while (done < end) {
      int good = rd_kafka_produce_batch(cur_->rkt, partition, 0, batch_.data() + done, static_cast<int>(end - done));
      // Before any poll can serve their delivery reports.
      if (good > 0) open_->refs.fetch_add(static_cast<uint32_t>(good), std::memory_order_relaxed);
      // Once the queue is full, every later record of the call fails with
      // QUEUE_FULL too: go on from the first that failed, once there is room.
      size_t first_full = end;
      for (size_t i = done; i < end; ++i) {
        rd_kafka_message_t& m = batch_[i];
        if (m.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION && partition != RD_KAFKA_PARTITION_UA && first_full == end) {
          // librdkafka knows fewer partitions than the count read (it has not seen
          // the added ones yet): it partitions this record itself.
          m.err = RD_KAFKA_RESP_ERR_NO_ERROR;
          if (rd_kafka_produce_batch(cur_->rkt, RD_KAFKA_PARTITION_UA, 0, &m, 1) == 1) {
            open_->refs.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
        }
        if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        if (m.err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          staged_.clear();
          fail(m.err);
        }
        first_full = std::min(first_full, i);
      }
      done = first_full;
      if (done == end || (deadline && Clock::now() >= *deadline)) break;
      wait_for_room(waiting_since);
    }
    return done;
  }

  // One record with headers, partition or timestamp of its own.
  void send_one(const OutRecord& r) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!r.headers.empty()) {
      hdrs = rd_kafka_headers_new(r.headers.size());
      for (const auto& h : r.headers)
        rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
    }
    // librdkafka's macros cast their arguments unparenthesised: pass plain values.
    const char* key = r.key ? r.key->data() : nullptr;
    size_t key_len = r.key ? r.key->size() : 0;
    int32_t partition = r.partition >= 0 ? r.partition : RD_KAFKA_PARTITION_UA;
    int64_t timestamp = r.timestamp_ms > 0 ? r.timestamp_ms : 0;  // 0: librdkafka stamps the time itself
    char* value = const_cast<char*>(r.value.data());
    size_t value_len = r.value.size();
    std::optional<Clock::time_point> waiting_since;
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_RKT(cur_->rkt), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_TIMESTAMP(timestamp),
          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // librdkafka owns the headers now
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (hdrs) rd_kafka_headers_destroy(hdrs);
        fail(err);
      }
      wait_for_room(waiting_since);
    }
  }

  // A topic's handle, kept for the producer's life, and its partition count as last
  // read (0: unknown).
  struct TopicState {
    rd_kafka_topic_t* rkt = nullptr;
    int32_t partitions = 0;
    Clock::time_point refresh_at{};
  };

  // librdkafka learns a new topic's partitions on its next metadata scan (up to a
  // second later) and holds its records until then; asking now lets the first
  // records go at once. A failure only means the scan does it later.
  TopicState& topic_state(const std::string& topic) {
    auto it = topics_.find(topic);
    if (it != topics_.end()) return it->second;
    // The client starts with the first record (a producer that never sends, such as
    // the dead-letter one of a clean run, costs no connection).
    if (!rk_) rk_ = make_client(RD_KAFKA_PRODUCER, std::exchange(conf_, nullptr));
    TopicState t;
    t.rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    if (!t.rkt) fail(rd_kafka_last_error());
    read_partition_count(t, std::chrono::seconds(5));
    t.refresh_at = Clock::now() + (t.partitions > 0 ? refresh_every_ : std::chrono::milliseconds(10'000));
    return topics_.emplace(topic, t).first->second;
  }

  // Asks the broker for the topic's partitions (librdkafka's own view is updated by
  // the answer too), waiting up to `timeout`; on failure the count stays as it was.
  void read_partition_count(TopicState& t, std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 0, t.rkt, &md, static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0)
      t.partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }

  // A configuration value librdkafka holds (its default if unset).
  static std::string conf_value(rd_kafka_conf_t* conf, const char* name) {
    char buf[256];
    size_t size = sizeof buf;
    if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK)
      throw FatalError(std::string("librdkafka has no setting ") + name);
    return buf;
  }

  using Partitioner = int32_t (*)(const rd_kafka_topic_t*, const void*, size_t, int32_t, void*, void*);

  // librdkafka's partitioner for keyed records under the `partitioner` setting (the
  // *_random ones differ only for unkeyed records), or none (random).
  static Partitioner keyed_partitioner(const std::string& name) {
    if (name == "murmur2" || name == "murmur2_random") return &rd_kafka_msg_partitioner_murmur2;
    if (name == "consistent" || name == "consistent_random") return &rd_kafka_msg_partitioner_consistent;
    if (name == "fnv1a" || name == "fnv1a_random") return &rd_kafka_msg_partitioner_fnv1a;
    return nullptr;
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    if (m->_private) self->release(static_cast<Chunk*>(m->_private));
    if (m->err) {
      self->failed_.fetch_add(1);
      std::lock_guard lk(self->mu_);
      self->last_error = rd_kafka_err2str(m->err);
    } else {
      // Served on the thread calling poll(), for every record: reads before writes,
      // so that a delivery costs no locked instruction but the count.
      self->acked_.fetch_add(1, std::memory_order_relaxed);
      if (self->warned_full_.load(std::memory_order_relaxed)) self->warned_full_ = false;
      if (self->unreachable_flag_.load(std::memory_order_relaxed) && self->unreachable_flag_.exchange(false)) {
        std::lock_guard lk(self->mu_);
        self->unreachable_.clear();
        spdlog::info("Kafka broker reachable again; queued records are being delivered");
      }
    }
  }

  // Client-level errors, served by rd_kafka_poll/flush on the producing thread. All
  // brokers down: records wait in the queue (up to message.timeout.ms), and the
  // produce task's progress line says so.
  static void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && err != RD_KAFKA_RESP_ERR__TRANSPORT &&
        err != RD_KAFKA_RESP_ERR__RESOLVE)
      return;
    std::lock_guard lk(self->mu_);
    if (!self->unreachable_flag_.exchange(true))
      spdlog::warn("Kafka broker unreachable ({}); records wait in the producer's queue", reason);
    self->unreachable_ = reason;
  }

  DeliveryStats stats() {
    DeliveryStats d;
    d.acked = acked_.load();
    d.failed = failed_.load();
    std::lock_guard lk(mu_);
    d.last_error = last_error;
    d.unreachable = unreachable_;
    return d;
  }

  rd_kafka_conf_t* conf_ = nullptr;  // until the client starts
  rd_kafka_t* rk_ = nullptr;
  Partitioner partitioner_ = nullptr;  // for keyed records; none: librdkafka partitions
  std::chrono::milliseconds refresh_every_{300'000};
  std::string topic_;                  // of the last record sent
  TopicState* cur_ = nullptr;          // topic_'s
  std::map<std::string, TopicState> topics_;
  std::vector<Staged> staged_;  // records not yet handed to librdkafka, their bytes in open_
  std::vector<Staged> left_;    // those send_staged() could not hand over
  std::vector<rd_kafka_message_t> batch_;
  std::vector<int32_t> part_of_;    // each staged record's group (its partition, or 0)
  std::vector<size_t> order_;       // order_[at]: the staged record in batch_[at]
  std::vector<size_t> group_end_;   // where each partition's records end in batch_
  Chunk* open_ = nullptr;
  std::mutex pool_mu_;  // guards pool_: delivery reports release chunks
  std::vector<Chunk*> pool_;
  std::vector<std::unique_ptr<Chunk>> chunks_;  // every chunk; freed after rd_kafka_destroy
  std::atomic<uint64_t> acked_{0}, failed_{0};
  std::atomic<bool> warned_full_{false};
  bool warned_pinned_ = false;  // said once that every chunk is held
  std::atomic<bool> unreachable_flag_{false};
  std::mutex mu_;  // guards last_error and unreachable_
  std::string last_error;
  std::string unreachable_;
};

// --- consumer ---------------------------------------------------------------------------

class KafkaConsumer : public Consumer {
 public:
  KafkaConsumer(const std::string& bootstrap, const LogSettings& s, const ConsumerOptions& o)
      : group_(o.group), options_(o) {
    std::map<std::string, std::string> defaults = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", o.start == StartFrom::latest ? "latest" : "earliest"},
        {"enable.partition.eof", "false"},
    };
    // librdkafka's consumer needs a group.id even for assign(): a reader outside any
    // group (topics tail, tests) gets a private one, never joined nor committed.
    defaults["group.id"] = !o.group.empty() ? o.group : fmt::format("sluice-reader-{}-{}", ::getpid(), now_ms());
    rd_kafka_conf_t* conf = make_conf(bootstrap, defaults, s.kafka);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_rebalance_cb(conf, &KafkaConsumer::on_rebalance);
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = make_client(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk_);
  }

  ~KafkaConsumer() override {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  void subscribe(const std::vector<std::string>& topics) override {
    if (group_.empty()) throw UsageError("subscribe() needs a consumer group");
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
    for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
    auto err = rd_kafka_subscribe(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) throw FatalError(std::string("cannot subscribe to Kafka topics: ") + rd_kafka_err2str(err));
  }

  void assign(const std::vector<TopicPartitionOffset>& parts) override {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
    for (const auto& p : parts) rd_kafka_topic_partition_list_add(list, p.topic.c_str(), p.partition)->offset = p.offset;
    auto err = rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) throw FatalError(std::string("cannot assign Kafka partitions: ") + rd_kafka_err2str(err));
  }

  std::vector<Message> poll(size_t max, std::chrono::milliseconds timeout) override {
    std::vector<Message> out;
    if (!data_loss_.empty()) throw DataLossError(data_loss_);
    if (paused_) set_paused(false);
    while (!held_.empty() && out.size() < max) {
      out.push_back(std::move(held_.front()));
      held_.pop_front();
    }
    auto deadline = Clock::now() + timeout;
    while (out.size() < max) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      int wait = out.empty() ? static_cast<int>(std::max<int64_t>(0, left)) : 0;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, wait);
      if (!m) {
        if (!out.empty() || Clock::now() >= deadline) break;
        continue;
      }
      if (!data_loss_.empty()) {
        rd_kafka_message_destroy(m);
        throw DataLossError(data_loss_);
      }
      if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
          spdlog::warn("Kafka consumer: {}", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        continue;
      }
      out.push_back(to_message(m));
      rd_kafka_message_destroy(m);
    }
    return out;
  }

  // Pauses the assigned partitions and serves the group protocol (heartbeats,
  // rebalances) so that a long sink outage does not get this member kicked out
  // (max.poll.interval.ms). A message already fetched is held for the next poll().
  void keep_alive() override {
    if (!paused_) set_paused(true);
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 0)) {
      if (!m->err) held_.push_back(to_message(m));
      rd_kafka_message_destroy(m);
    }
  }

  static Message to_message(const rd_kafka_message_t* m) {
    Message msg;
    msg.topic = rd_kafka_topic_name(m->rkt);
    msg.partition = m->partition;
    msg.offset = m->offset;
    rd_kafka_timestamp_type_t tstype;
    msg.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
    if (m->key) msg.key = std::string(static_cast<const char*>(m->key), m->key_len);
    msg.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        msg.headers.push_back({name, val ? std::string(static_cast<const char*>(val), size) : std::string()});
    }
    return msg;
  }

  // Pauses or resumes every assigned partition (partitions assigned later follow
  // paused_ in the rebalance callback).
  void set_paused(bool pause) {
    rd_kafka_topic_partition_list_t* a = nullptr;
    if (rd_kafka_assignment(rk_, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
      if (pause) rd_kafka_pause_partitions(rk_, a);
      else rd_kafka_resume_partitions(rk_, a);
      rd_kafka_topic_partition_list_destroy(a);
    }
    paused_ = pause;
  }

  // On assignment (a restart, or partitions moved here by a rebalance): a committed
  // offset outside what the broker holds means records were deleted unread (retention,
  // or the topic recreated). librdkafka would silently jump to auto.offset.reset;
  // under fail_on_data_loss the next poll() throws instead.
  // Called from the rebalance callback, on the query's thread.
  void check_data_loss(rd_kafka_topic_partition_list_t* parts) {
    auto* list = rd_kafka_topic_partition_list_copy(parts);
    if (rd_kafka_committed(rk_, list, kAdminTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        if (e.offset < 0) continue;  // nothing committed: starting_offsets applies
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk_, e.topic, e.partition, &lo, &hi, kAdminTimeoutMs)) continue;
        if (e.offset >= lo && e.offset <= hi) continue;
        std::string what = fmt::format("data loss: group {} committed offset {} of {}/{}, but the broker holds offsets "
                                       "{} to {} (records deleted by retention, or the topic was recreated)",
                                       group_, e.offset, e.topic, e.partition, lo, hi);
        if (options_.fail_on_data_loss) {
          data_loss_ = what + "; set stream.fail_on_data_loss=false to go on from the earliest offset held";
          break;
        }
        spdlog::warn("{}; going on from the earliest offset held (stream.fail_on_data_loss is false)", what);
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  // Commits only the partitions this member still owns, and returns those. A
  // rebalance under way commits none: the records stay uncommitted and their next
  // owner replays them into the same rows.
  std::vector<TopicPartitionOffset> commit(const std::vector<TopicPartitionOffset>& offsets) override {
    if (group_.empty()) throw UsageError("commit() needs a consumer group");
    std::vector<TopicPartitionOffset> stored;
    rd_kafka_topic_partition_list_t* owned = nullptr;
    if (rd_kafka_assignment(rk_, &owned) != RD_KAFKA_RESP_ERR_NO_ERROR || !owned) return stored;
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& o : offsets)
      if (rd_kafka_topic_partition_list_find(owned, o.topic.c_str(), o.partition)) {
        rd_kafka_topic_partition_list_add(list, o.topic.c_str(), o.partition)->offset = o.offset;
        stored.push_back(o);
      }
    rd_kafka_topic_partition_list_destroy(owned);
    auto err = list->cnt > 0 ? rd_kafka_commit(rk_, list, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;  // synchronous
    rd_kafka_topic_partition_list_destroy(list);
    switch (err) {
      case RD_KAFKA_RESP_ERR_NO_ERROR: return stored;
      case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
      case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
      case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
      case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
      case RD_KAFKA_RESP_ERR__STATE:
      case RD_KAFKA_RESP_ERR__NO_OFFSET: return {};
      default: throw FatalError(std::string("Kafka offset commit failed: ") + rd_kafka_err2str(err));
    }
  }

  // The group's committed offsets for these partitions (fills list offsets).
  bool committed_for(rd_kafka_topic_partition_list_t* list) {
    return rd_kafka_committed(rk_, list, kAdminTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }

  std::vector<TopicPartitionOffset> committed() override {
    std::vector<TopicPartitionOffset> out;
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_assignment(rk_, &assignment) || !assignment) return out;
    if (rd_kafka_committed(rk_, assignment, kAdminTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR)
      for (int i = 0; i < assignment->cnt; ++i)
        if (assignment->elems[i].offset >= 0)
          out.push_back({assignment->elems[i].topic, assignment->elems[i].partition, assignment->elems[i].offset});
    rd_kafka_topic_partition_list_destroy(assignment);
    return out;
  }

 private:
  // Eager rebalancing: on revoke the query's in-flight batch is simply not committed
  // (the next owner replays it; upserts make that harmless); on assign, reading
  // resumes from the group's committed offsets.
  // Called from rd_kafka_consumer_poll on the query's thread.
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    std::string names;
    for (int i = 0; i < parts->cnt; ++i) names += fmt::format("{}{}", i ? "," : "", parts->elems[i].partition);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      spdlog::info("Kafka group {}: {} partitions assigned [{}]", self->group_, parts->cnt, names);
      self->check_data_loss(parts);
      rd_kafka_assign(rk, parts);
      if (self->paused_) rd_kafka_pause_partitions(rk, parts);
    } else {
      spdlog::info("Kafka group {}: partitions revoked [{}]", self->group_, names);
      self->held_.clear();  // their next owner reads them
      rd_kafka_assign(rk, nullptr);
    }
  }

  std::string group_;
  ConsumerOptions options_;
  rd_kafka_t* rk_ = nullptr;
  bool paused_ = false;          // keep_alive() paused the assignment
  std::string data_loss_;        // set by check_data_loss under fail_on_data_loss
  std::deque<Message> held_;     // fetched during keep_alive(), served first by poll()
};

// --- admin ------------------------------------------------------------------------------

class KafkaAdmin : public Admin {
 public:
  KafkaAdmin(const std::string& bootstrap, const LogSettings& s) : bootstrap_(bootstrap), settings_(s) {
    rd_kafka_conf_t* conf = make_conf(bootstrap, {}, s.kafka);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rk_ = make_client(RD_KAFKA_PRODUCER, conf);
  }
  ~KafkaAdmin() override { rd_kafka_destroy(rk_); }

  std::vector<std::string> list_topics() override {
    const rd_kafka_metadata_t* md = metadata(nullptr);
    std::vector<std::string> out;
    for (int i = 0; i < md->topic_cnt; ++i)
      if (md->topics[i].topic[0] != '_') out.emplace_back(md->topics[i].topic);
    rd_kafka_metadata_destroy(md);
    return out;
  }

  TopicDescription describe_topic(std::string_view topic) override {
    std::string t(topic);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, t.c_str(), nullptr);
    const rd_kafka_metadata_t* md = metadata(rkt);
    rd_kafka_topic_destroy(rkt);
    if (md->topic_cnt < 1 || md->topics[0].err) {
      rd_kafka_metadata_destroy(md);
      throw UsageError("topic " + t + " does not exist in Kafka at " + bootstrap_);
    }
    TopicDescription d;
    d.name = t;
    const auto& mt = md->topics[0];
    d.replication_factor = mt.partition_cnt > 0 ? mt.partitions[0].replica_cnt : 1;
    for (int i = 0; i < mt.partition_cnt; ++i) {
      int64_t lo = 0, hi = 0;
      rd_kafka_query_watermark_offsets(rk_, t.c_str(), mt.partitions[i].id, &lo, &hi, kAdminTimeoutMs);
      d.partitions.push_back({mt.partitions[i].id, lo, hi, 0});
    }
    std::sort(d.partitions.begin(), d.partitions.end(),
              [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
    rd_kafka_metadata_destroy(md);
    return d;
  }

  bool topic_exists(std::string_view topic) override {
    for (const auto& t : list_topics())
      if (t == topic) return true;
    return false;
  }

  bool create_topic(std::string_view topic, int32_t partitions, int32_t rf) override {
    std::string t(topic);
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.c_str(), partitions, rf, err, sizeof err);
    if (!nt) throw UsageError("cannot create topic " + t + ": " + err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, kAdminTimeoutMs, err, sizeof err);
    rd_kafka_CreateTopics(rk_, &nt, 1, opts, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, kAdminTimeoutMs + 5000);
    std::string failure;
    bool created = false;
    if (!ev) {
      failure = "no answer from the broker";
    } else if (rd_kafka_event_error(ev)) {
      failure = rd_kafka_event_error_string(ev);
    } else {
      size_t n = 0;
      const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      auto code = n > 0 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (code == RD_KAFKA_RESP_ERR_NO_ERROR) created = true;
      else if (code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) failure = rd_kafka_topic_result_error_string(res[0]);
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    if (!failure.empty()) throw FatalError("cannot create Kafka topic " + t + " at " + bootstrap_ + ": " + failure);
    return created;
  }

  std::vector<GroupOffsets> group_offsets(std::string_view topic) override {
    std::vector<GroupOffsets> out;
    const rd_kafka_group_list* groups = nullptr;
    if (rd_kafka_list_groups(rk_, nullptr, &groups, kAdminTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
    auto desc = describe_topic(topic);
    std::string t(topic);
    for (int g = 0; g < groups->group_cnt; ++g) {
      std::string name = groups->groups[g].group;
      // A consumer handle of that group reads its committed offsets (it does not join).
      ConsumerOptions o;
      o.group = name;
      KafkaConsumer probe(bootstrap_, settings_, o);
      auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(desc.partitions.size()));
      for (const auto& p : desc.partitions) rd_kafka_topic_partition_list_add(list, t.c_str(), p.partition);
      GroupOffsets go;
      go.group = name;
      if (probe.committed_for(list))
        for (int i = 0; i < list->cnt; ++i)
          if (list->elems[i].offset >= 0) go.committed[list->elems[i].partition] = list->elems[i].offset;
      rd_kafka_topic_partition_list_destroy(list);
      if (!go.committed.empty()) out.push_back(std::move(go));
    }
    rd_kafka_group_list_destroy(groups);
    return out;
  }

 private:
  const rd_kafka_metadata_t* metadata(rd_kafka_topic_t* only) {
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(rk_, only ? 0 : 1, only, &md, kAdminTimeoutMs);
    if (err)
      throw FatalError("cannot reach Kafka at " + bootstrap_ + ": " + rd_kafka_err2str(err) +
                       " (is the broker running? check the log URI)");
    return md;
  }

  std::string bootstrap_;
  LogSettings settings_;
  rd_kafka_t* rk_ = nullptr;
};

}  // namespace

KafkaLog::KafkaLog(std::string bootstrap, LogSettings settings)
    : bootstrap_(std::move(bootstrap)), settings_(std::move(settings)) {
  // Check every kafka.* key now, so that a bad one is a usage error before any work.
  rd_kafka_conf_destroy(make_conf(bootstrap_, {}, settings_.kafka));
}

std::unique_ptr<Producer> KafkaLog::producer(const ProducerOptions&) {
  return std::make_unique<KafkaProducer>(bootstrap_, settings_);
}

std::unique_ptr<Consumer> KafkaLog::consumer(const ConsumerOptions& options) {
  return std::make_unique<KafkaConsumer>(bootstrap_, settings_, options);
}

std::unique_ptr<Admin> KafkaLog::admin() { return std::make_unique<KafkaAdmin>(bootstrap_, settings_); }

}  // namespace sluice::log::kafka
